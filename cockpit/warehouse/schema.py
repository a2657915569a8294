"""Warehouse schema, SQLAlchemy Core. Changed only through Alembic migrations (``migrations/``).

Conventions
- Every table loaded by the ETL carries lineage: ``src_source`` (source name), ``src_key``
  (the source's primary key, joined with '|'), ``src_run_id`` (the ``etl_run`` that last wrote
  it), ``row_hash`` (hash of the standardised values, so an unchanged row is never rewritten)
  and ``loaded_at``.
- Times are naive local times (Asia/Shanghai), as the departments record them.
- No raw ID number or phone number is ever stored: ``*_key`` is a salted hash, ``*_masked``
  the display form.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def lineage() -> list[Column]:
    return [
        Column("src_source", String(64), nullable=False),
        Column("src_key", String(200), nullable=False),
        Column("src_run_id", Integer, nullable=True),
        Column("row_hash", String(32), nullable=False),
        Column("loaded_at", DateTime, nullable=False),
    ]


# ---------------------------------------------------------------- reference (seeded)
board = Table(
    "board", metadata,
    Column("code", String(16), primary_key=True),
    Column("name_zh", String(50), nullable=False),
    Column("name_en", String(80), nullable=False),
)

department = Table(
    "department", metadata,
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(80), nullable=False),
    Column("name_en", String(120), nullable=False),
)

channel = Table(
    "channel", metadata,
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(50), nullable=False),
    Column("name_en", String(80), nullable=False),
)

category = Table(
    "category", metadata,
    Column("code", String(32), primary_key=True),
    Column("name_zh", String(80), nullable=False),
    Column("name_en", String(120), nullable=False),
    Column("board", String(16), ForeignKey("board.code"), nullable=False),
    Column("department_code", String(32), ForeignKey("department.code"), nullable=False),
    Column("sla_hours", Integer, nullable=False),
)

responsibility = Table(  # 职责清单: category -> department, role 'lead' (主体) or 'cooperate' (配合)
    "responsibility", metadata,
    Column("category_code", String(32), ForeignKey("category.code"), primary_key=True),
    Column("department_code", String(32), ForeignKey("department.code"), primary_key=True),
    Column("role", String(16), nullable=False),
)

indicator = Table(
    "indicator", metadata,
    Column("code", String(48), primary_key=True),
    Column("name_zh", String(80), nullable=False),
    Column("name_en", String(120), nullable=False),
    Column("board", String(16), ForeignKey("board.code"), nullable=False),
    Column("unit", String(16), nullable=False),
    Column("higher_is_better", Boolean, nullable=False),
    Column("target", Float),
    Column("period", String(8), nullable=False),
    Column("department_code", String(32), ForeignKey("department.code")),  # who delivers it (migration 0012)
)

# ---------------------------------------------------------------- loaded dimensions
area = Table(
    "area", metadata,
    Column("code", String(20), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("level", String(16), nullable=False),  # county | township | village | grid
    Column("parent_code", String(20), index=True),
    Column("seq", Integer),  # order within parent (a grid's 组 number)
    Column("geometry", Text),  # GeoJSON Polygon, lon/lat
    Column("centroid_lon", Float),
    Column("centroid_lat", Float),
    Column("population", Integer),
    Column("households", Integer),
    Column("grid_worker", String(50)),
    *lineage(),
)

person = Table(
    "person", metadata,
    Column("person_key", String(64), primary_key=True),  # salted hash of the 身份证号
    Column("id_masked", String(24), nullable=False),
    Column("name", String(50)),
    Column("gender", String(1)),
    Column("birth_date", Date),
    Column("grid_code", String(20), index=True),
    Column("address", String(200)),
    Column("phone_masked", String(16)),
    *lineage(),
)

person_tag = Table(  # 独居老人, 低保, 特困 … from civil affairs and others
    "person_tag", metadata,
    Column("person_key", String(64), primary_key=True),
    Column("tag", String(32), primary_key=True),
    Column("since", Date),
    Column("until", Date),
    Column("grid_code", String(20), index=True),
    *lineage(),
)

enterprise = Table(
    "enterprise", metadata,
    Column("credit_code", String(18), primary_key=True),  # 统一社会信用代码
    Column("name", String(120), nullable=False),
    Column("industry", String(50)),
    Column("scale", String(16)),
    Column("grid_code", String(20), index=True),
    Column("address", String(200)),
    Column("status", String(16)),  # active | closed
    Column("registered_on", Date),
    Column("closed_on", Date),
    Column("employees", Integer),
    *lineage(),
)

# ---------------------------------------------------------------- facts
event = Table(
    "event", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("category_code", String(32), nullable=False, index=True),
    Column("board", String(16), nullable=False),
    Column("department_code", String(32), nullable=False),
    Column("grid_code", String(20), nullable=False),
    Column("village_code", String(20), nullable=False),
    Column("address", String(200)),
    Column("lon", Float),
    Column("lat", Float),
    Column("reporter_key", String(64)),
    Column("reporter_masked", String(24)),
    Column("enterprise_code", String(18)),
    Column("title", String(200)),
    Column("content", Text),
    Column("status", String(16), nullable=False),
    Column("reported_at", DateTime, nullable=False, index=True),
    Column("accepted_at", DateTime),
    Column("dispatched_at", DateTime, index=True),  # today's work orders on the big screen
    Column("acknowledged_at", DateTime),
    Column("onsite_at", DateTime),
    Column("resolved_at", DateTime),
    Column("closed_at", DateTime),
    Column("deadline_at", DateTime),
    Column("satisfaction", Integer),  # 1..5
    Column("duplicate_of", Integer),
    *lineage(),
    UniqueConstraint("src_source", "src_key"),
    Index("ix_event_village_reported", "village_code", "reported_at"),  # an area's events in a period
    Index("ix_event_grid_reported", "grid_code", "reported_at"),  # a grid's events in a period (aggregate refresh)
    # the backlog as of an instant (queries.events.backlog_parts): open now, resolved or closed after it
    Index("ix_event_open_village_reported", "village_code", "reported_at",
          sqlite_where=text("resolved_at IS NULL AND closed_at IS NULL"),
          postgresql_where=text("resolved_at IS NULL AND closed_at IS NULL")),
    Index("ix_event_village_resolved", "village_code", "resolved_at"),
    Index("ix_event_village_closed_unresolved", "village_code", "closed_at", sqlite_where=text("resolved_at IS NULL"),
          postgresql_where=text("resolved_at IS NULL")),
    Index("ix_event_duplicate_of", "duplicate_of", sqlite_where=text("duplicate_of IS NOT NULL"),  # a record's duplicates
          postgresql_where=text("duplicate_of IS NOT NULL")),
    # one person's reports of a category in a grid (linking duplicates after a load: cockpit.etl.duplicates)
    Index("ix_event_reporter", "reporter_key", "category_code", "grid_code", "reported_at",
          sqlite_where=text("reporter_key IS NOT NULL"), postgresql_where=text("reporter_key IS NOT NULL")),
)

inspection = Table(
    "inspection", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("enterprise_code", String(18), index=True),
    Column("kind", String(16), nullable=False),  # safety | food | fire | environment
    Column("grid_code", String(20), index=True),
    Column("inspected_at", DateTime, nullable=False),
    Column("result", String(8), nullable=False),  # pass | fail
    Column("hazard_count", Integer),
    Column("rectify_deadline", Date),
    Column("rectified_at", DateTime),
    *lineage(),
    UniqueConstraint("src_source", "src_key"),
)

indicator_value = Table(
    "indicator_value", metadata,
    Column("indicator_code", String(48), primary_key=True),
    Column("area_code", String(20), primary_key=True),
    Column("period_start", Date, primary_key=True),
    Column("value", Float, nullable=False),
    *lineage(),
    Index("ix_indicator_value_area_period", "area_code", "period_start"),  # an area's values (and its sub-areas')
)

sensor_reading = Table(
    "sensor_reading", metadata,
    Column("sensor_id", String(40), primary_key=True),
    Column("metric", String(24), primary_key=True),
    Column("ts", DateTime, primary_key=True),
    Column("value", Float, nullable=False),
    Column("grid_code", String(20)),
    Column("subject_key", String(64)),  # person_key for home sensors of elderly living alone
    *lineage(),
    # an area's readings in a period; subject and value ride along so that the sums by person (the
    # inactivity rule) and the means by grid read the index alone, never the table
    Index("ix_sensor_reading_metric_grid_ts", "metric", "grid_code", "ts", "subject_key", "value"),
)

service_application = Table(
    "service_application", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_code", String(40), nullable=False),
    Column("service_name", String(100)),
    Column("department_code", String(32)),
    Column("applicant_key", String(64)),
    Column("grid_code", String(20)),  # its reads go through the area index below, which begins with it
    Column("channel", String(32), nullable=False),  # online | walk_in
    Column("joint", Boolean, nullable=False),  # 一件事 joint application
    Column("status", String(16), nullable=False),
    Column("submitted_at", DateTime, nullable=False, index=True),
    Column("completed_at", DateTime),
    Column("visits", Integer),
    *lineage(),
    UniqueConstraint("src_source", "src_key"),
    # an area's applications in a period, with the columns the service KPIs count (read from the index alone)
    Index("ix_service_application_grid_submitted_cover", "grid_code", "submitted_at", "channel", "visits", "joint"),
)

service_step = Table(  # one department's step of a joint (一件事) application
    "service_step", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_ref", String(200), nullable=False, index=True),  # the application's src_key
    Column("department_code", String(32), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    *lineage(),
    UniqueConstraint("src_source", "src_key"),
)

cadre_relative = Table(  # 组织部: a cadre's declared close relatives (干部家属申报), keyed by person keys only
    "cadre_relative", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("cadre_key", String(64), nullable=False, index=True),  # salted hash of the cadre's 身份证号
    Column("cadre_name", String(50)),
    Column("position", String(80)),
    Column("township_code", String(20), nullable=False),  # where the cadre serves
    Column("relative_key", String(64), nullable=False, index=True),  # salted hash of the relative's 身份证号
    Column("relation", String(16), nullable=False),  # spouse | parent | child | sibling | in_law
    Column("declared_on", Date),
    *lineage(),
    UniqueConstraint("src_source", "src_key"),
)

subsidy_payment = Table(  # 民政: subsidy payments (低保, 特困 …) to a person
    "subsidy_payment", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_key", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # a person tag: dibao | tekun | …
    Column("amount", Float, nullable=False),  # yuan
    Column("paid_on", Date, nullable=False, index=True),
    Column("grid_code", String(20), nullable=False, index=True),
    *lineage(),
    UniqueConstraint("src_source", "src_key"),
)

# ---------------------------------------------------------------- ETL metadata
etl_run = Table(
    "etl_run", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False, index=True),
    Column("full", Boolean, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    Column("status", String(16), nullable=False),  # running | success | failed | interrupted | abandoned
    Column("attempts", Integer, nullable=False, default=1),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("rows_loaded", Integer, nullable=False, default=0),
    Column("rows_rejected", Integer, nullable=False, default=0),
    Column("watermark_before", String(64)),
    Column("watermark_after", String(64)),
    Column("error", Text),
    Column("host", String(120)),
    # JSON per input field: {"target": "*"-entry code, "rows": n, "codes": [[source code, rows], ...]} (migration 0019)
    Column("value_map_fallbacks", Text),
)

etl_watermark = Table(
    "etl_watermark", metadata,
    Column("source", String(64), primary_key=True),
    Column("value", String(64)),
    Column("run_id", Integer),
    Column("updated_at", DateTime, nullable=False),
)

dq_issue = Table(  # quarantined source rows
    "dq_issue", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("source_key", String(200)),
    Column("fingerprint", String(32), nullable=False),  # hash of the raw row
    Column("rule", String(40), nullable=False),
    Column("field", String(64)),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),  # the raw row as JSON (personal numbers masked)
    Column("run_id", Integer),
    Column("first_seen_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("resolved_at", DateTime),
    UniqueConstraint("source", "fingerprint", "rule"),
    Index("ix_dq_issue_source_key", "source", "source_key"),
)

# ---------------------------------------------------------------- read-side aggregates (kept by the ETL)
agg_event_day = Table(  # events per reported day x grid x category x channel (cockpit.aggregates)
    "agg_event_day", metadata,
    Column("day", Date, primary_key=True),
    Column("grid_code", String(20), primary_key=True),
    Column("category_code", String(32), primary_key=True),
    Column("channel", String(32), primary_key=True),
    Column("village_code", String(20), nullable=False),
    Column("board", String(16), nullable=False),
    Column("department_code", String(32), nullable=False),
    Column("n_reported", Integer, nullable=False),
    Column("n_open", Integer, nullable=False),  # not resolved or closed (as of the refresh)
    Column("n_resolved", Integer, nullable=False),  # resolved or closed
    Column("n_dispatched", Integer, nullable=False),
    Column("n_responded", Integer, nullable=False),  # with a first response (accepted or acknowledged)
    Column("sum_response_min", Float, nullable=False),
    Column("n_resolve_timed", Integer, nullable=False),  # with a resolution time
    Column("sum_resolve_min", Float, nullable=False),
    Column("n_late", Integer, nullable=False),  # resolved after the deadline
    Column("n_rated", Integer, nullable=False),
    Column("sum_satisfaction", Float, nullable=False),
    Column("refreshed_at", DateTime, nullable=False),
    Index("ix_agg_event_day_village_day", "village_code", "day"),
    Index("ix_agg_event_day_board_day", "board", "day"),
    # a board's figures for a township or village: chosen by SQLite's planner even without statistics
    Index("ix_agg_event_day_village_board_day", "village_code", "board", "day"),
    # rows with open events (a few hundred per township): the map's open counts
    Index("ix_agg_event_day_open", "village_code", sqlite_where=text("n_open > 0"), postgresql_where=text("n_open > 0")),
)

data_version = Table(  # one row (id 1): moves when data the screens show has changed (cockpit.warehouse.data_version)
    "data_version", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    Column("changed_at", DateTime, nullable=False),
)

# ---------------------------------------------------------------- digital brain: warnings (cockpit.warnings)
warning = Table(  # one row per warning: its current state, the projection of its history (warning_history)
    "warning", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(48), nullable=False, index=True),
    Column("fingerprint", String(64), nullable=False, index=True),  # hash of rule + subject
    # the fingerprint while the warning is open, NULL once it has ended: one open warning per fingerprint
    Column("open_fingerprint", String(64), unique=True),
    Column("subject", String(200), nullable=False),  # what the rule matched: "SAF-ORDER|<grid>", a sensor …
    Column("title", String(200), nullable=False),  # masked display text
    Column("level", String(8), nullable=False),  # red | orange | yellow | blue
    Column("status", String(16), nullable=False),  # new | acknowledged | dismissed | cleared (cockpit.warnings.states)
    Column("active", Boolean, nullable=False),  # the rule's condition held at the last rules pass
    Column("silence_id", Integer),  # the silence muting it now, if any
    Column("township_code", String(20), nullable=False),
    Column("village_code", String(20)),
    Column("grid_code", String(20)),
    Column("board", String(16), nullable=False),
    Column("category_code", String(32)),
    Column("department_code", String(32)),
    Column("lon", Float),
    Column("lat", Float),
    Column("evidence_count", Integer, nullable=False),
    Column("measure", Float),  # the number the rule judged (reporters, µg/m³ …), for display
    Column("opened_at", DateTime, nullable=False),
    Column("last_matched_at", DateTime, nullable=False),
    Column("ack_due_at", DateTime),  # acknowledge by, else escalate one level
    Column("acknowledged_at", DateTime),
    Column("ended_at", DateTime),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_warning_township_status", "township_code", "status"),
    Index("ix_warning_village_status", "village_code", "status"),
)

warning_history = Table(  # append-only: triggers reject UPDATE and DELETE (migration 0014)
    "warning_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("warning_id", Integer, ForeignKey("warning.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),  # a user name, or "rules" for the rule engine
    Column("action", String(24), nullable=False),  # opened | joined | level_raised | escalated | acknowledged …
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("from_level", String(8)),
    Column("to_level", String(8), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("silence_id", Integer),
    Column("evidence_added", Integer, nullable=False, default=0),
    Column("note", Text),
)

warning_evidence = Table(  # the loaded rows that make a warning, by their lineage (source, source key)
    "warning_evidence", metadata,
    Column("warning_id", Integer, ForeignKey("warning.id"), primary_key=True),
    Column("fact", String(32), primary_key=True),  # the warehouse table: event, sensor_reading, inspection …
    Column("src_source", String(64), primary_key=True),
    Column("src_key", String(200), primary_key=True),
    Column("at", DateTime, nullable=False),  # the row's time (reported, measured, paid …)
    Column("row_id", Integer),  # the row's id in tables that have one
    Column("code", String(48)),  # sensor_reading: sensor_id; indicator_value: area_code
    Column("metric", String(48)),  # sensor_reading: metric; indicator_value: indicator_code
    Column("added_at", DateTime, nullable=False),
)

silence = Table(  # mutes matching warnings from starts_at to ends_at without losing them
    "silence", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(48)),  # NULL matches every rule
    Column("area_code", String(20)),  # an area and everything under it; NULL: everywhere
    Column("category_code", String(32)),  # NULL: every category
    Column("starts_at", DateTime, nullable=False),
    Column("ends_at", DateTime, nullable=False),
    Column("author", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# ---------------------------------------------------------------- digital brain: work orders (cockpit.orders)
work_order = Table(  # one row per work order: its current state, the projection of its log (work_order_log)
    "work_order", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # what it was made from while it is open ("warning:12", "events:5,7"), NULL once it ended: one
    # open order per warning or set of events, so a double click never dispatches twice
    Column("open_key", String(200), unique=True),
    Column("warning_id", Integer, ForeignKey("warning.id"), index=True),  # NULL: made from events
    Column("status", String(16), nullable=False),  # cockpit.orders.states.STATUSES
    Column("title", String(200), nullable=False),  # masked display text
    Column("board", String(16), nullable=False),
    Column("category_code", String(32)),
    Column("department_code", String(32), nullable=False),  # 主体责任 responsible department
    Column("cooperating", String(200)),  # 配合责任, comma-separated department codes
    Column("assignee_user", String(64)),  # the grid worker it is assigned to; NULL: the department's liaisons
    Column("township_code", String(20), nullable=False),
    Column("village_code", String(20)),
    Column("grid_code", String(20)),
    Column("address", String(200)),
    Column("lon", Float),
    Column("lat", Float),
    Column("level", String(8)),  # its warning's level when dispatched (NULL for events)
    Column("created_at", DateTime, nullable=False),  # first dispatched
    Column("created_by", String(64), nullable=False),
    Column("ack_due_at", DateTime, nullable=False),
    Column("resolve_due_at", DateTime, nullable=False),
    Column("acknowledged_at", DateTime),  # first acknowledgement (MTTA)
    Column("arrived_at", DateTime),
    Column("resolved_at", DateTime),  # the last resolution (MTTR)
    Column("closed_at", DateTime),
    Column("ended_at", DateTime),  # closed or dismissed
    Column("ack_overdue_at", DateTime),  # when it escalated for a missed acknowledgement deadline
    Column("resolve_overdue_at", DateTime),  # when it escalated for a missed resolution deadline
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("return_count", Integer, nullable=False, default=0),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_work_order_status", "status"),
    Index("ix_work_order_grid_status", "grid_code", "status"),
    Index("ix_work_order_department_status", "department_code", "status"),
    Index("ix_work_order_created_at", "created_at"),
)

work_order_log = Table(  # append-only: triggers reject UPDATE and DELETE (migration 0015)
    "work_order_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("work_order.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),  # a user name, or "rules" for the overdue escalation
    Column("action", String(24), nullable=False),  # dispatched | acknowledged | arrived | resolved …
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    # the assignment after the change, so the log alone replays the order's state
    Column("department_code", String(32), nullable=False),
    Column("assignee_user", String(64)),
    Column("note", Text),
)

work_order_event = Table(  # the events an order was made from (响应受理 of one or several events)
    "work_order_event", metadata,
    Column("order_id", Integer, ForeignKey("work_order.id"), primary_key=True),
    Column("event_id", Integer, primary_key=True),
)

work_order_photo = Table(  # photos of an order's result, stored by the cockpit, served only in scope
    "work_order_photo", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("work_order.id"), nullable=False, index=True),
    Column("log_id", Integer, ForeignKey("work_order_log.id")),  # the step it was reported with
    Column("content_type", String(16), nullable=False),  # image/jpeg | image/png
    Column("bytes", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", DateTime, nullable=False),
)

grid_duty = Table(  # grid -> its grid worker (a user name): the routing of a grid's orders, edited by the admin
    "grid_duty", metadata,
    Column("grid_code", String(20), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
)

notice = Table(  # the in-app notification list, and what the outbox sends (cockpit.notify)
    "notice", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # dispatch | escalation | overdue | summons
    Column("recipient", String(100), nullable=False),  # "user:<name>", "department:<code>", "role:<role>"
    Column("group_key", String(200), nullable=False),  # notices of one group go out as one message
    Column("order_id", Integer),
    Column("warning_id", Integer),
    Column("title", String(200), nullable=False),  # masked
    Column("body", Text),  # masked
    Column("link", String(200)),  # the page it is about
    Column("created_at", DateTime, nullable=False),
    Column("read_at", DateTime),
    Index("ix_notice_recipient_created", "recipient", "created_at"),
)

# ---------------------------------------------------------------- whistles and summons (cockpit.whistles)
whistle = Table(  # 街乡吹哨: the township summons several departments to one problem
    "whistle", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # what it was blown on while it is open ("warning:12", "order:5"), NULL once it ended: one open
    # whistle per warning or work order, so a double click never summons twice
    Column("open_key", String(200), unique=True),
    Column("warning_id", Integer, ForeignKey("warning.id"), index=True),
    Column("order_id", Integer, ForeignKey("work_order.id"), index=True),
    Column("status", String(16), nullable=False),  # cockpit.whistles.states.WHISTLE_STATUSES
    Column("title", String(200), nullable=False),  # masked display text
    Column("board", String(16), nullable=False),
    Column("category_code", String(32)),
    Column("township_code", String(20), nullable=False),
    Column("village_code", String(20)),
    Column("grid_code", String(20)),
    Column("urgent", Boolean, nullable=False),
    Column("note", Text),  # masked
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("ended_at", DateTime),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_whistle_status_created", "status", "created_at"),
)

whistle_log = Table(  # append-only: triggers reject UPDATE and DELETE (migration 0017)
    "whistle_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("whistle_id", Integer, ForeignKey("whistle.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(24), nullable=False),  # blown | completed | cancelled
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("note", Text),
)

summons = Table(  # 部门报到: one summoned department's response to a whistle, the case its score counts
    "summons", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("whistle_id", Integer, ForeignKey("whistle.id"), nullable=False, index=True),
    Column("department_code", String(32), nullable=False),
    Column("role", String(16), nullable=False),  # lead | cooperate (as proposed by the responsibility list, or chosen)
    Column("status", String(16), nullable=False),  # cockpit.whistles.states.SUMMONS_STATUSES
    # copied from the whistle so the score reads one table
    Column("township_code", String(20), nullable=False),
    Column("category_code", String(32)),
    Column("urgent", Boolean, nullable=False),
    Column("created_at", DateTime, nullable=False),  # summoned: the period the case counts in
    Column("ack_due_at", DateTime, nullable=False),
    Column("arrive_due_at", DateTime, nullable=False),
    Column("resolve_due_at", DateTime, nullable=False),
    Column("acknowledged_at", DateTime),  # first response (an acknowledgement, or a contest)
    Column("arrived_at", DateTime),
    Column("resolved_at", DateTime),  # the result standing now (NULL again after a reopening)
    Column("verified_at", DateTime),
    Column("ended_at", DateTime),
    Column("rating", Integer),  # 1–5, the township's rating of the department's cooperation
    Column("rating_comment", Text),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("contest_reason", Text),  # masked
    Column("contested_from", String(16)),  # the status a rejected contest returns to
    Column("contest_outcome", String(16)),  # pending | accepted | rejected
    Column("contest_decided_at", DateTime),
    Column("ack_overdue_at", DateTime),
    Column("arrive_overdue_at", DateTime),
    Column("resolve_overdue_at", DateTime),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_summons_department_created", "department_code", "created_at"),
    Index("ix_summons_status", "status"),
)

summons_log = Table(  # append-only: triggers reject UPDATE and DELETE (migration 0017)
    "summons_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("summons_id", Integer, ForeignKey("summons.id"), nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(64), nullable=False),  # a user name, or "rules" for the overdue escalation
    Column("action", String(24), nullable=False),  # summoned | acknowledged | arrived | resolved | contested …
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("department_code", String(32), nullable=False),
    Column("rating", Integer),
    Column("note", Text),
)

responsibility_review = Table(  # a category flagged for review of the responsibility list (an accepted contest)
    "responsibility_review", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("category_code", String(32)),
    Column("department_code", String(32), nullable=False),  # the department that was not responsible
    Column("summons_id", Integer, ForeignKey("summons.id")),
    Column("reason", Text),  # masked: the contest's reason
    Column("flagged_at", DateTime, nullable=False),
    Column("flagged_by", String(64), nullable=False),
    Column("reviewed_at", DateTime),  # the list was edited for the category, or the admin closed the flag
    Column("reviewed_by", String(64)),
    Index("ix_responsibility_review_open", "reviewed_at", "category_code"),
)

# ---------------------------------------------------------------- notification outbox (cockpit.notify.outbox)
notify_message = Table(  # one message of a channel: the notices of one group, sent (and retried) as one
    "notify_message", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(48), nullable=False),  # the name under [notify.channels]
    Column("channel_kind", String(16), nullable=False),  # wecom | dingtalk | email
    Column("kind", String(16), nullable=False),  # the notices' kind: dispatch | escalation | overdue | summons
    Column("group_key", String(200), nullable=False),
    Column("addresses", Text),  # e-mail: the recipients' addresses, comma-separated
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),  # Markdown (robots) / plain text (e-mail), masked
    Column("notices", Integer, nullable=False),  # how many notices it carries
    Column("status", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    Column("last_error", Text),
    Index("ix_notify_message_due", "status", "next_attempt_at"),
    Index("ix_notify_message_channel_status", "channel", "status"),
)

notify_message_notice = Table(  # which message carries a notice on a channel: at most one (the primary key)
    "notify_message_notice", metadata,
    Column("notice_id", Integer, ForeignKey("notice.id"), primary_key=True),
    Column("channel", String(48), primary_key=True),
    Column("message_id", Integer, ForeignKey("notify_message.id"), nullable=False),
    Index("ix_notify_message_notice_message", "message_id"),
)

notify_attempt = Table(  # every attempt to send a message, successful or not
    "notify_attempt", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", Integer, ForeignKey("notify_message.id"), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("status", String(32)),  # HTTP status, or the SMTP reply code
    Column("error", Text),  # what went wrong (errcode and errmsg, connection refused …)
    Column("seconds", Float, nullable=False),
    Index("ix_notify_attempt_message_at", "message_id", "at"),
)

# ---------------------------------------------------------------- weekly report archive (cockpit.reports.archive)
report_archive = Table(  # append-only (triggers, migration 0018): regenerating a week adds a row, the earlier kept
    "report_archive", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("week", String(8), nullable=False),  # ISO week, 2026-W47
    Column("township_code", String(20)),  # NULL: every township
    Column("lang", String(2), nullable=False),
    Column("title", String(200), nullable=False),
    Column("pages", Integer, nullable=False),
    Column("bytes", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),  # of ``pdf``, checked again on every read
    Column("empty", Boolean, nullable=False),  # the week had no data to report
    # the scope it was generated under (comma-separated codes, NULL: all): who may read it
    Column("scope_areas", Text),
    Column("scope_boards", Text),
    Column("scope_departments", Text),
    Column("scope_personal", Boolean, nullable=False),
    Column("generated_at", DateTime, nullable=False),
    Column("generated_by", String(64), nullable=False),  # an account's name, or "scheduler"
    Column("trigger", String(16), nullable=False),  # page | schedule | cli
    Column("pdf", LargeBinary, nullable=False),  # in the warehouse, so every web worker and the scheduler share it
    Index("ix_report_archive_week_township", "week", "township_code"),
    Index("ix_report_archive_generated_at", "generated_at"),
)

# ---------------------------------------------------------------- access control and audit
user_account = Table(  # people who log in; scope columns are used per role (cockpit.auth.roles)
    "user_account", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),  # stored lower-case
    Column("display_name", String(80), nullable=False),
    Column("role", String(24), nullable=False),
    Column("board", String(16)),  # board_head
    Column("grid_codes", Text),  # grid_worker: comma-separated area codes
    Column("department_code", String(32)),  # department_liaison
    Column("password_hash", String(256), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("must_change_password", Boolean, nullable=False, default=False),
    Column("demo_password", String(64)),  # demo accounts only: the generated password, shown by the run script
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
)

user_session = Table(  # server side of the signed session cookie: expiry and logout
    "user_session", metadata,
    Column("id", String(64), primary_key=True),  # sha256 of the random session id held in the cookie
    Column("user_id", Integer, ForeignKey("user_account.id")),  # NULL for a kiosk session
    Column("kiosk", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("ended_at", DateTime),
    Column("ip", String(64)),
    Index("ix_user_session_user_id", "user_id"),
)

login_attempt = Table(  # for rate limiting across web workers
    "login_attempt", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("username", String(64), nullable=False),  # as typed (lower-case, truncated)
    Column("ip", String(64), nullable=False),
    Column("success", Boolean, nullable=False),
    Index("ix_login_attempt_username_at", "username", "at"),
    Index("ix_login_attempt_ip_at", "ip", "at"),
)

rate_counter = Table(  # fixed-window counters, locked and counted in one statement (cockpit.auth.ratelimit)
    "rate_counter", metadata,
    Column("kind", String(24), primary_key=True),  # e.g. login.pair, login.account, login.address, refusal
    Column("subject", String(64), primary_key=True),  # a username, or "" where the kind has none
    Column("ip", String(64), primary_key=True),  # an address, or "" where the kind has none
    Column("window_start", DateTime, nullable=False),
    Column("hits", Integer, nullable=False),
)

audit_log = Table(  # append-only: triggers reject UPDATE and DELETE (migration 0003)
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(48), nullable=False),
    Column("obj_type", String(32)),
    Column("obj_id", String(200)),
    Column("detail", Text),  # JSON
    Column("ip", String(64)),
    Index("ix_audit_log_obj", "obj_type", "obj_id"),
)
