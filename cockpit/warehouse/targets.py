"""What the ETL can load: one ``Target`` per warehouse table, with its input fields.

A source's ``[sources.NAME.columns]`` maps *input fields* (keys below) to its own columns.
The standardisation steps (``cockpit/etl/steps.py``) turn input fields into table columns:

type            input value                         becomes
--------------  ----------------------------------  ------------------------------------------
str/int/float   code or key text / number           same-named column, cast
text            free text: title, content, address  same-named column, personal numbers masked
bool            1/0, true/false, 是/否, Y/N          same-named column
datetime/date   text or epoch, per ``formats``      same-named column
code            source code, mapped by ``values``   same-named column (unknown code -> quarantine)
id_number       身份证号 (GB 11643 check digit)      ``into`` = (salted-hash column, masked column)
phone           mobile number                       ``into`` = (salted-hash column, masked column)
credit_code     统一社会信用代码 (GB 32100)          same-named column
geometry        GeoJSON text                        same-named column

Location: targets with ``located=True`` need a grid. ``grid_code`` may be mapped directly,
or resolved from ``address`` text (village name + 组 number) or from ``lon``/``lat``
(point in grid polygon). Unresolvable rows are quarantined.

A ``str`` field holds a code or a key and is stored as read; every other field of text is ``text``:
the ID, mobile and landline numbers inside it are masked before it is written
(``cockpit.privacy.mask_text``), so the warehouse never holds one.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    type: str
    required: bool = False
    into: tuple[str | None, str | None] | None = None  # id_number/phone: (hash column, masked column), either may be None
    ref: str | None = None  # code list the value must belong to: 'category', 'channel', 'department', 'indicator', 'area'


@dataclass(frozen=True)
class Target:
    table: str
    business_key: tuple[str, ...]  # columns of the upsert key
    fields: dict[str, Field]
    located: bool = False  # needs a resolvable grid_code
    extra_columns: tuple[str, ...] = field(default=())  # columns computed by a target step


TARGETS: dict[str, Target] = {
    "area": Target(
        table="area",
        business_key=("code",),
        fields={
            "code": Field("str", required=True),
            "name": Field("text", required=True),
            "level": Field("code", required=True),
            "parent_code": Field("str"),
            "seq": Field("int"),
            "geometry": Field("geometry"),
            "centroid_lon": Field("float"),
            "centroid_lat": Field("float"),
            "population": Field("int"),
            "households": Field("int"),
            "grid_worker": Field("text"),
        },
    ),
    "person": Target(
        table="person",
        business_key=("person_key",),
        fields={
            "id_number": Field("id_number", required=True, into=("person_key", "id_masked")),
            "name": Field("text"),
            "gender": Field("code"),
            "birth_date": Field("date"),
            "grid_code": Field("str"),
            "address": Field("text"),
            "lon": Field("float"),
            "lat": Field("float"),
            "phone": Field("phone", into=(None, "phone_masked")),
        },
        located=True,
    ),
    "person_tag": Target(
        table="person_tag",
        business_key=("person_key", "tag"),
        fields={
            "id_number": Field("id_number", required=True, into=("person_key", None)),
            "tag": Field("code", required=True),
            "since": Field("date"),
            "until": Field("date"),
            "grid_code": Field("str"),
            "address": Field("text"),
            "lon": Field("float"),
            "lat": Field("float"),
        },
        located=True,
    ),
    "enterprise": Target(
        table="enterprise",
        business_key=("credit_code",),
        fields={
            "credit_code": Field("credit_code", required=True),
            "name": Field("text", required=True),
            "industry": Field("code"),
            "scale": Field("code"),
            "grid_code": Field("str"),
            "address": Field("text"),
            "lon": Field("float"),
            "lat": Field("float"),
            "status": Field("code", required=True),
            "registered_on": Field("date"),
            "closed_on": Field("date"),
            "employees": Field("int"),
        },
        located=True,
    ),
    "event": Target(
        table="event",
        business_key=("src_source", "src_key"),
        fields={
            "channel": Field("code", required=True, ref="channel"),
            "category_code": Field("code", required=True, ref="category"),
            "grid_code": Field("str"),
            "address": Field("text"),
            "lon": Field("float"),
            "lat": Field("float"),
            "reporter_id": Field("id_number", into=("reporter_key", "reporter_masked")),
            "reporter_phone": Field("phone", into=("reporter_key", "reporter_masked")),
            "enterprise_code": Field("credit_code"),
            "title": Field("text"),
            "content": Field("text"),
            "status": Field("code", required=True),
            "reported_at": Field("datetime", required=True),
            "accepted_at": Field("datetime"),
            "dispatched_at": Field("datetime"),
            "acknowledged_at": Field("datetime"),
            "onsite_at": Field("datetime"),
            "resolved_at": Field("datetime"),
            "closed_at": Field("datetime"),
            "deadline_at": Field("datetime"),
            "satisfaction": Field("int"),
        },
        located=True,
        # board, department_code from the category; village_code from the grid
        extra_columns=("board", "department_code", "village_code"),
    ),
    "inspection": Target(
        table="inspection",
        business_key=("src_source", "src_key"),
        fields={
            "enterprise_code": Field("credit_code"),
            "kind": Field("code", required=True),
            "grid_code": Field("str"),
            "address": Field("text"),
            "inspected_at": Field("datetime", required=True),
            "result": Field("code", required=True),
            "hazard_count": Field("int"),
            "rectify_deadline": Field("date"),
            "rectified_at": Field("datetime"),
        },
        located=True,
    ),
    "indicator_value": Target(
        table="indicator_value",
        business_key=("indicator_code", "area_code", "period_start"),
        fields={
            "indicator_code": Field("code", required=True, ref="indicator"),
            "area_code": Field("str", required=True, ref="area"),
            "period_start": Field("date", required=True),
            "value": Field("float", required=True),
        },
    ),
    "sensor_reading": Target(
        table="sensor_reading",
        business_key=("sensor_id", "metric", "ts"),
        fields={
            "sensor_id": Field("str", required=True),
            "metric": Field("code", required=True),
            "ts": Field("datetime", required=True),
            "value": Field("float", required=True),
            "grid_code": Field("str"),
            "subject_id": Field("id_number", into=("subject_key", None)),
        },
    ),
    "service_application": Target(
        table="service_application",
        business_key=("src_source", "src_key"),
        fields={
            "service_code": Field("code", required=True),
            "service_name": Field("text"),
            "department_code": Field("code", ref="department"),
            "applicant_id": Field("id_number", into=("applicant_key", None)),
            "grid_code": Field("str"),
            "address": Field("text"),
            "channel": Field("code", required=True),
            "joint": Field("bool"),
            "status": Field("code", required=True),
            "submitted_at": Field("datetime", required=True),
            "completed_at": Field("datetime"),
            "visits": Field("int"),
        },
        located=True,
    ),
    "cadre_relative": Target(
        table="cadre_relative",
        business_key=("src_source", "src_key"),
        fields={
            "cadre_id": Field("id_number", required=True, into=("cadre_key", None)),
            "cadre_name": Field("text"),
            "position": Field("text"),
            "township_code": Field("str", required=True, ref="area"),
            "relative_id": Field("id_number", required=True, into=("relative_key", None)),
            "relation": Field("code", required=True),
            "declared_on": Field("date"),
        },
    ),
    "subsidy_payment": Target(
        table="subsidy_payment",
        business_key=("src_source", "src_key"),
        fields={
            "person_id": Field("id_number", required=True, into=("person_key", None)),
            "kind": Field("code", required=True),
            "amount": Field("float", required=True),
            "paid_on": Field("date", required=True),
            "grid_code": Field("str"),
            "address": Field("text"),
            "lon": Field("float"),
            "lat": Field("float"),
        },
        located=True,
    ),
    "service_step": Target(
        table="service_step",
        business_key=("src_source", "src_key"),
        fields={
            "application_ref": Field("str", required=True),
            "department_code": Field("code", required=True, ref="department"),
            "started_at": Field("datetime", required=True),
            "finished_at": Field("datetime"),
        },
    ),
}
