"""Every query in ``queries/`` applies every dimension of the viewer's scope (areas, boards,
departments), or its docstring says why a dimension does not apply to it, in the one form
``queries._base.NOT_SCOPED_BY`` reads ("Not scoped by boards, departments: …").

The query functions are found by introspection (every public function of a ``queries`` module that
takes a ``scope``), so a new query cannot escape the rule: a function missing from ``CALLS`` fails.
Each is called on the screens dataset township-wide (its measure must be positive, so the check can
fail) and with a scope narrowed in one dimension to a value that matches nothing (its measure must
then be zero). Figures against SQL for real scopes: ``test_scoped_screens``.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterator

import pandas as pd
import pytest
from sqlalchemy import text

import queries
from cockpit import clock
from cockpit.auth.audit import audit
from cockpit.auth.users import User
from cockpit.scope import Scope
from cockpit.warehouse.db import engine_for
from queries import areas, audit as audit_q, departments, events, governance, indicators, kpis, people
from queries import my_orders as my_orders_q
from queries import my_summons as my_summons_q
from queries import orders as orders_q
from queries import warnings as warnings_q
from queries import whistles as whistles_q
from queries._base import NOT_SCOPED_BY, clear_cache, not_scoped_by
from queries.filters import parse_filters
from tests.screens import dataset
from tests.screens.dataset import NOW, TODAY, TOWNSHIP

DIMENSIONS = ("areas", "boards", "departments")
NO_MATCH = "__matches_nothing__"
EVERYTHING = Scope(personal_data=True)
SOURCES = (("hotline", "hotline", "event"), ("stats", "statistics", "indicator_value"))


@dataclass(frozen=True)
class Ctx:
    """What the calls need: the warehouse and values that hold data in the dataset."""

    db: Any
    f: Any  # the last 12 months, every board
    f_services: Any  # the same on the services board
    grid: str  # a grid with people of concern
    person_key: str
    event_id: int
    dispatch_day: date
    warning_id: int  # a warning with evidence that names people (a subsidy payment to a cadre's relative)
    wf: Any = None  # the warning center's view of every warning, any status
    of: Any = None  # the work-order desk's view of every order dispatched in the last 12 months


def present(result: Any) -> int:
    return 0 if result is None else 1


def rows(result: Any) -> int:
    return len(result)


def valued_cards(df: pd.DataFrame) -> int:
    """KPI cards with a figure other than zero."""
    return sum(1 for v in df["value"] if v is not None and not pd.isna(v) and float(v) != 0.0)


@dataclass(frozen=True)
class Call:
    call: Callable[[Ctx, Scope], Any]
    measure: Callable[[Any], int] = rows


# The arguments of every query function, and what of its result must vanish outside the scope.
CALLS: dict[str, Call] = {
    "areas.home_township": Call(lambda c, sc: areas.home_township(c.db, sc), present),
    "areas.area_info": Call(lambda c, sc: areas.area_info(c.db, sc, c.grid), present),
    "areas.breadcrumb": Call(lambda c, sc: areas.breadcrumb(c.db, sc, c.grid),
                             lambda r: sum(x["level"] != "township" for x in r)),
    "areas.children": Call(lambda c, sc: areas.children(c.db, sc, TOWNSHIP)),
    "areas.map_shapes": Call(lambda c, sc: areas.map_shapes(c.db, sc, TOWNSHIP), lambda df: int(df["open_events"].sum())),
    "audit.audit_entries": Call(lambda c, sc: audit_q.audit_entries(c.db, sc)),
    "audit.audit_actions": Call(lambda c, sc: audit_q.audit_actions(c.db, sc)),
    "departments.department_response_ranking": Call(lambda c, sc: departments.department_response_ranking(c.db, sc, c.f)),
    "events.event_figures": Call(lambda c, sc: events.event_figures(c.db, sc, c.f),
                                 lambda r: int(r["n_reported"] + r["n_open"])),
    "events.event_figures_by_board": Call(lambda c, sc: events.event_figures_by_board(c.db, sc, c.f),
                                          lambda r: int(sum(b["n_reported"] + b["n_open"] for b in r.values()))),
    "events.event_trend": Call(lambda c, sc: events.event_trend(c.db, sc, c.f), lambda df: int(df["n_reported"].sum())),
    "events.events_by_area": Call(lambda c, sc: events.events_by_area(c.db, sc, c.f)),
    "events.events_by_category": Call(lambda c, sc: events.events_by_category(c.db, sc, c.f)),
    "events.events_by_channel": Call(lambda c, sc: events.events_by_channel(c.db, sc, c.f)),
    "events.event_records": Call(lambda c, sc: events.event_records(c.db, sc, c.f)),
    "events.count_event_records": Call(lambda c, sc: events.count_event_records(c.db, sc, c.f), int),
    "events.iter_event_records": Call(lambda c, sc: list(events.iter_event_records(c.db, sc, c.f, chunk=50)),
                                      lambda chunks: sum(len(df) for df in chunks)),
    "events.latest_events": Call(lambda c, sc: events.latest_events(c.db, sc, area=TOWNSHIP)),
    "events.dispatched_on": Call(lambda c, sc: events.dispatched_on(c.db, sc, c.dispatch_day, area=TOWNSHIP)),
    "events.count_dispatched_on": Call(lambda c, sc: events.count_dispatched_on(c.db, sc, c.dispatch_day),
                                       lambda r: r["n"]),
    "events.latest_event_day": Call(lambda c, sc: events.latest_event_day(c.db, sc), present),
    "governance.source_freshness": Call(lambda c, sc: governance.source_freshness(c.db, sc, SOURCES, NOW, 60)),
    "governance.etl_runs": Call(lambda c, sc: governance.etl_runs(c.db, sc)),
    "governance.dq_issues": Call(lambda c, sc: governance.dq_issues(c.db, sc)),
    "governance.dq_summary": Call(lambda c, sc: governance.dq_summary(c.db, sc)),
    "governance.lineage": Call(lambda c, sc: governance.lineage(c.db, sc, "event", str(c.event_id)), present),
    "indicators.indicator_series": Call(lambda c, sc: indicators.indicator_series(c.db, sc, TOWNSHIP)),
    "indicators.sensor_stats": Call(lambda c, sc: indicators.sensor_stats(c.db, sc, "pm25", c.f), lambda r: r["n"]),
    "indicators.sensor_mean": Call(lambda c, sc: indicators.sensor_mean(c.db, sc, "pm25", c.f), present),
    "indicators.service_totals": Call(lambda c, sc: indicators.service_totals(c.db, sc, c.f), lambda r: r["n"]),
    "kpis.board_kpis": Call(lambda c, sc: kpis.board_kpis(c.db, sc, c.f_services, TOWNSHIP), valued_cards),
    "people.care_counts": Call(lambda c, sc: people.care_counts(c.db, sc, TOWNSHIP, TODAY), lambda df: int(df["n"].sum())),
    "people.care_list": Call(lambda c, sc: people.care_list(c.db, sc, c.grid, TODAY)),
    "people.person_card": Call(lambda c, sc: people.person_card(c.db, sc, c.person_key), present),
    "warnings.warning_list": Call(lambda c, sc: warnings_q.warning_list(c.db, sc, c.wf)),
    "warnings.count_warnings": Call(lambda c, sc: warnings_q.count_warnings(c.db, sc, c.wf), int),
    "warnings.level_counts": Call(lambda c, sc: warnings_q.level_counts(c.db, sc, c.wf), lambda r: sum(r.values())),
    "warnings.rule_names": Call(lambda c, sc: warnings_q.rule_names(c.db, sc)),
    "warnings.warning_detail": Call(lambda c, sc: warnings_q.warning_detail(c.db, sc, c.warning_id), present),
    "warnings.warning_history": Call(lambda c, sc: warnings_q.warning_history(c.db, sc, c.warning_id)),
    "warnings.warning_evidence": Call(lambda c, sc: warnings_q.warning_evidence(c.db, sc, c.warning_id),
                                      lambda r: sum(len(df) for df in r.values())),
    "warnings.open_levels": Call(lambda c, sc: warnings_q.open_levels(c.db, sc, TOWNSHIP), lambda df: int(df["n_open"].sum())),
    "warnings.live_warnings": Call(lambda c, sc: warnings_q.live_warnings(c.db, sc, area=TOWNSHIP)),
    "warnings.open_level_totals": Call(lambda c, sc: warnings_q.open_level_totals(c.db, sc, area=TOWNSHIP),
                                       lambda r: sum(r.values())),
    "orders.triage_queue": Call(lambda c, sc: orders_q.triage_queue(c.db, sc)),
    "orders.dispatch_proposal": Call(lambda c, sc: orders_q.dispatch_proposal(c.db, sc, _queued_warning(c)), present),
    "orders.order_list": Call(lambda c, sc: orders_q.order_list(c.db, sc, c.of, now=NOW)),
    "orders.order_counts": Call(lambda c, sc: orders_q.order_counts(c.db, sc, now=NOW), lambda r: sum(r.values())),
    "orders.order_detail": Call(lambda c, sc: orders_q.order_detail(c.db, sc, _first_order(c), now=NOW), present),
    "orders.order_of_warning": Call(lambda c, sc: orders_q.order_of_warning(c.db, sc, _ordered_warning(c)), present),
    "orders.response_times": Call(lambda c, sc: orders_q.response_times(c.db, sc, c.of, now=NOW, by="grid"),
                                  lambda df: int(df["orders"].sum())),
    "orders.today_orders": Call(lambda c, sc: orders_q.today_orders(c.db, sc, now=NOW, area=TOWNSHIP),
                                lambda r: r["n"] + len(r["rows"])),
    "orders.desk_choices": Call(lambda c, sc: orders_q.desk_choices(c.db, sc), lambda r: len(r["places"])),
    "my_orders.my_order_list": Call(lambda c, sc: my_orders_q.my_order_list(c.db, _GRIDMAN, sc, NOW)),
    "my_orders.order_page": Call(lambda c, sc: my_orders_q.order_page(c.db, _GRIDMAN, sc, _first_order(c), NOW), present),
    "whistles.whistle_counts": Call(lambda c, sc: whistles_q.whistle_counts(c.db, sc, _ALL_WHISTLES, now=NOW),
                                    lambda r: sum(r.values())),
    "whistles.whistle_list": Call(lambda c, sc: whistles_q.whistle_list(c.db, sc, _ALL_WHISTLES, now=NOW)),
    "whistles.whistle_detail": Call(lambda c, sc: whistles_q.whistle_detail(c.db, sc, _open_whistle(c), now=NOW),
                                    present),
    "whistles.open_whistle_of": Call(lambda c, sc: whistles_q.open_whistle_of(c.db, sc, order_id=_first_order(c)),
                                     present),
    "whistles.source_visible": Call(lambda c, sc: whistles_q.source_visible(c.db, sc, "order", _first_order(c)), int),
    "whistles.township_choices": Call(lambda c, sc: whistles_q.township_choices(c.db, sc)),
    "my_summons.summons_page": Call(lambda c, sc: my_summons_q.summons_page(c.db, _URBAN, sc, _urban_summons(c), NOW),
                                    present),
}


# the grid worker the dataset's first order is assigned to (my orders: ``queries.my_orders``)
_GRIDMAN = User(id=None, username="gridman", display_name="gridman", role="grid_worker",
                grid_codes=(next(iter(dataset.GRIDS)),))


def _sql_one(c: Ctx, query: str) -> Any:
    with c.db.connect() as conn:
        return conn.execute(text(query)).scalar()


def _queued_warning(c: Ctx) -> int:
    """A warning waiting to be dispatched, with a board, a department and a grid."""
    return int(_sql_one(c, "SELECT MIN(id) FROM warning WHERE status = 'new' AND grid_code IS NOT NULL "
                           "AND department_code IS NOT NULL"))


def _first_order(c: Ctx) -> int:
    return int(_sql_one(c, "SELECT MIN(id) FROM work_order WHERE grid_code IS NOT NULL"))


_ALL_WHISTLES = whistles_q.WhistleFilters(status="all")
# the urban management liaison, summoned by the dataset's whistles (my summons: ``queries.my_summons``)
_URBAN = User(id=None, username="liaison", display_name="liaison", role="department_liaison", department_code="urban")


def _urban_summons(c: Ctx) -> int:
    return int(_sql_one(c, "SELECT MIN(id) FROM summons WHERE department_code = 'urban'"))


def _open_whistle(c: Ctx) -> int:
    """The dataset's open whistle, on its first order."""
    return int(_sql_one(c, "SELECT MIN(id) FROM whistle WHERE status = 'open'"))


def _ordered_warning(c: Ctx) -> int:
    return int(_sql_one(c, "SELECT MIN(warning_id) FROM work_order"))


# the query functions that show names of people (with a scope that may see personal data)
SHOW_NAMES = {"people.care_list", "people.person_card", "warnings.warning_evidence"}


def query_functions() -> dict[str, Callable[..., Any]]:
    """Every public function of a public ``queries`` module that takes a ``scope`` argument."""
    found = {}
    for info in pkgutil.iter_modules(queries.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"queries.{info.name}")
        for name, fn in vars(module).items():
            if (not name.startswith("_") and inspect.isfunction(fn) and fn.__module__ == module.__name__
                    and "scope" in inspect.signature(fn).parameters):
                found[f"{info.name}.{name}"] = fn
    return found


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated warehouse holding the screens dataset, on each engine, for the module's tests."""
    from cockpit.warehouse.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('scope') / 'warehouse.db'}"
        upgrade(url)
        dataset.build(url)
        yield url
        return
    pg_server, template = request.getfixturevalue("pg_server"), request.getfixturevalue("_pg_template")
    name = f"cockpit_scope_{os.getpid()}"
    pg_server.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    url = pg_server.url(name)
    dataset.build(url)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def ctx(warehouse_url: str) -> Ctx:
    db = engine_for(warehouse_url)
    clear_cache()
    with db.begin() as conn:
        audit(conn, "lead", "login.success", now=clock.now())
        grid, person_key = conn.execute(text("SELECT grid_code, person_key FROM person_tag ORDER BY person_key")).first()
        event_id = conn.execute(text("SELECT MIN(id) FROM event")).scalar()
        day = conn.execute(text("SELECT substr(CAST(dispatched_at AS TEXT), 1, 10) AS d FROM event "
                                "WHERE dispatched_at IS NOT NULL AND duplicate_of IS NULL "
                                "GROUP BY d ORDER BY COUNT(*) DESC, d LIMIT 1")).scalar()
        warning_id = conn.execute(text("SELECT warning_id FROM warning_evidence WHERE fact = 'subsidy_payment'")).scalar()
    f, _ = parse_filters({"period": "last12m"}, NOW)
    f_services, _ = parse_filters({"period": "last12m"}, NOW, board="services")
    wf, _ = warnings_q.parse_warning_filters({"status": "all"}, NOW)
    of, _ = orders_q.parse_order_filters({"status": "all", "period": "last12m"}, NOW)
    return Ctx(db, f, f_services, grid, person_key, int(event_id), date.fromisoformat(day), int(warning_id), wf, of)


def test_every_query_function_is_in_the_table():
    found = query_functions()
    assert len(found) >= 30
    missing = sorted(set(found) - set(CALLS))
    assert not missing, f"query functions without a row in CALLS (add one, with a measure of what the scope hides): {missing}"
    assert not sorted(set(CALLS) - set(found)), "rows in CALLS for functions that no longer exist or take no scope"


def test_declarations_take_the_one_form():
    """A docstring line about a dimension not applying is read only in the fixed form: any other
    wording would be ignored by the rule, so it fails here."""
    loose = re.compile(r"not scoped by", re.IGNORECASE)
    for name, fn in query_functions().items():
        doc = fn.__doc__ or ""
        assert fn.__doc__, f"{name} has no docstring"
        assert len(loose.findall(doc)) == len(NOT_SCOPED_BY.findall(doc)), f"{name}: write 'Not scoped by <dims>: <why>'"
        for m in NOT_SCOPED_BY.finditer(doc):
            assert len(m.group(2)) > 15, f"{name}: say why {m.group(1)} does not apply"


@pytest.mark.parametrize("dimension", DIMENSIONS)
@pytest.mark.parametrize("name", sorted(CALLS))
def test_each_query_applies_each_dimension_or_says_why_not(ctx, name, dimension):
    fn = query_functions()[name]
    if dimension in not_scoped_by(fn):
        return
    case = CALLS[name]
    whole = case.measure(case.call(ctx, EVERYTHING))
    assert whole > 0, f"{name}: the dataset must hold data for it township-wide, or the check proves nothing"
    narrowed = Scope(personal_data=True, **{dimension: frozenset({NO_MATCH})})
    assert case.measure(case.call(ctx, narrowed)) == 0, (
        f"{name} returns data outside a scope narrowed by {dimension}: apply it in SQL, or say in its docstring "
        f"'Not scoped by {dimension}: <why>'")


def test_no_query_shows_names_to_a_scope_without_personal_data(ctx):
    with ctx.db.connect() as conn:
        names = set(conn.execute(text("SELECT name FROM person WHERE name IS NOT NULL")).scalars())
    assert names

    def named(result: Any) -> set[str]:
        blob = repr(result.to_dict("records")) if isinstance(result, pd.DataFrame) else repr(result)
        return {n for n in names if n in blob}

    for name, case in sorted(CALLS.items()):
        assert not named(case.call(ctx, Scope(personal_data=False))), name
        if name in SHOW_NAMES:  # the check above can fail: these do show names when allowed
            assert named(case.call(ctx, EVERYTHING)), name


def test_people_of_concern_counts_only_for_scopes_with_personal_data(ctx):
    with ctx.db.connect() as conn:
        expected = dict(conn.execute(text(
            "SELECT tag, COUNT(DISTINCT person_key) FROM person_tag WHERE grid_code LIKE :t "
            "AND tag IN ('elderly_alone', 'tekun', 'dibao', 'disabled') GROUP BY tag"), {"t": TOWNSHIP + "%"}).all())
    got = people.care_counts(ctx.db, EVERYTHING, TOWNSHIP, TODAY)
    assert expected and dict(zip(got["tag"], got["n"].astype(int))) == expected
    for scope in (Scope(personal_data=False), Scope(departments=frozenset({"civil_affairs"}), personal_data=False)):
        assert people.care_counts(ctx.db, scope, TOWNSHIP, TODAY).empty
    # the owner of the tags with personal data sees them; another department does not
    assert not people.care_counts(ctx.db, Scope(departments=frozenset({"civil_affairs"}), personal_data=True),
                                  TOWNSHIP, TODAY).empty
    assert people.care_counts(ctx.db, Scope(departments=frozenset({"police"}), personal_data=True), TOWNSHIP, TODAY).empty
