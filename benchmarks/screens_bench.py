"""Screen benchmark: server time of the big-screen refresh and of a board filter change, and the bytes
one refresh sends, on the real Dash app through its HTTP interface.

Method. The app (``app.py``) is imported in a process of its own per warehouse, pointed at it with
``COCKPIT_WAREHOUSE_URL`` (the app reads its configuration once). A Flask test client plays the
browser: it signs in as a township leader when access control is installed (form login, then the CSRF
header on every POST), opens the page the way the Dash renderer does (the page-routing callback with
the new location), and then sends the very ``/_dash-update-component`` requests the renderer sends:

* big-screen refresh: the ``dcc.Interval``-triggered callback of ``/`` (one request);
* board filter change on ``/board/safety``: the filter callback, which returns the new URL, then,
  as ``dcc.Location(refresh="callback-nav")`` moves the browser there, the page-routing callback and the
  navbar callback (three requests; their server times are added up). The village filter is changed
  from "all" to each village of the township in turn.

Server time is the wall time of the request in the test client (routing, session check, callback,
queries, figure building and JSON encoding; no network). Each scenario runs ``reps`` times after a
warm-up, twice: *cold*, with the query cache (``queries._base``) emptied before every call, which is what
a viewer meets after each ETL run (the cache is keyed on the latest run, and sources load every few
minutes); and *warm*, with the cache kept. Bytes are the response bodies of the requests of one refresh
(the app does not compress; the gzip size is given for a compressing proxy).

Run alone on one warehouse: ``python -m benchmarks.screens_bench --url URL [--reps N] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterator

from benchmarks.warehouses import BENCH, bench_config, demo_sources, fresh_warehouse, sqlite_path
from cockpit.config import ROOT
from cockpit.warehouse.migrate import upgrade

TARGET_P95_MS = 150.0
TARGET_BYTES = 300 * 1024
TARGET_RATIO = 1.5
BASELINE_SCALE = "town"
BENCH_USER = "bench"
DASH_UPDATE = "/_dash-update-component"
CSRF_HEADER, CSRF_COOKIE = "X-CSRFToken", "cockpit_csrf"  # cockpit.auth.csrf
# Bump to load the cached town-scale warehouse again for a change its key does not see.
CACHE_VERSION = 1
BREAKDOWN_CALLS = 5  # cold refreshes timed statement by statement (not counted in the figures)


# ---------------------------------------------------------------- figures
@dataclass
class Timing:
    """Server times of one scenario, milliseconds."""

    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)


def percentile(samples: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(samples)
    if len(xs) == 1:
        return xs[0]
    k = (len(xs) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


@dataclass
class ScreenFigures:
    """One warehouse's figures (from the measuring process, as JSON)."""

    engine: str
    scale: str
    events: int
    agg_rows: int
    reps: int
    refresh_cold: list[float]
    refresh_warm: list[float]
    filter_cold: list[float]
    filter_warm: list[float]
    filter_parts_cold: dict[str, float]  # median ms per request of a filter change
    refresh_bytes: int
    refresh_gzip_bytes: int
    filter_bytes: int
    login: bool
    refresh_sql: dict[str, float] = field(default_factory=dict)  # ms of SQL per query function in a cold refresh
    refresh_timed_ms: float = 0.0  # mean of the cold refreshes whose statements refresh_sql times
    today: str | None = None
    load_avg: list[float] = field(default_factory=list)  # the machine's 1-minute load average before / after
    notes: list[str] = field(default_factory=list)

    def timing(self, name: str) -> Timing:
        return Timing(getattr(self, name))


# ---------------------------------------------------------------- the browser
class Browser:
    """A Flask test client that talks to the app the way the Dash renderer does."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.client = server.test_client()
        self.logged_in = False

    def has_route(self, path: str) -> bool:
        return any(rule.rule == path for rule in self.server.url_map.iter_rules())

    def login(self, engine: Any) -> bool:
        """Sign in as a leader if the app has access control; False if it has none."""
        if not self.has_route("/login"):
            return False
        from cockpit.auth.users import create_user, get_user, reset_password

        password = "Bench-" + secrets.token_urlsafe(18)
        with engine.begin() as conn:
            if get_user(conn, BENCH_USER) is None:
                create_user(conn, BENCH_USER, password, "leader", actor=BENCH_USER, must_change_password=False)
            else:
                reset_password(conn, BENCH_USER, password, actor=BENCH_USER, must_change_password=False)
        page = self.client.get("/login")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        if page.status_code != 200 or not match:
            raise RuntimeError(f"login form not found (GET /login: HTTP {page.status_code})")
        done = self.client.post("/login", data={"username": BENCH_USER, "password": password,
                                                "csrf_token": match.group(1), "next": "/"})
        if done.status_code != 302:
            raise RuntimeError(f"login failed: HTTP {done.status_code}")
        self.logged_in = True
        return True

    def headers(self) -> dict[str, str]:
        cookie = self.client.get_cookie(CSRF_COOKIE)
        return {CSRF_HEADER: cookie.value} if cookie is not None else {}

    def get(self, path: str) -> Any:
        r = self.client.get(path, headers=self.headers())
        if r.status_code != 200:
            raise RuntimeError(f"GET {path}: HTTP {r.status_code}")
        return r

    def callback(self, payload: dict) -> tuple[float, bytes]:
        """POST one callback request; (server milliseconds, response body)."""
        headers = self.headers()
        t0 = time.perf_counter()
        r = self.client.post(DASH_UPDATE, json=payload, headers=headers)
        ms = (time.perf_counter() - t0) * 1000.0
        if r.status_code not in (200, 204):
            raise RuntimeError(f"callback {payload['output'][:60]}: HTTP {r.status_code} {r.get_data(as_text=True)[:300]}")
        return ms, r.data


# ---------------------------------------------------------------- payloads
def _prop_id(component_id: Any, prop: str) -> str:
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":")) + "." + prop
    return f"{component_id}.{prop}"


def _outputs(output: str) -> list[dict] | dict:
    """The ``outputs`` field for a callback's ``output`` string, as the renderer builds it."""
    def one(part: str) -> dict:
        cid, prop = part.rsplit(".", 1)
        return {"id": cid, "property": prop.split("@", 1)[0]}
    if output.startswith(".."):
        return [one(p) for p in output[2:-2].split("...")]
    return one(output)


def find_callback(deps: list[dict], input_id: str, prop: str) -> dict:
    """The callback whose inputs include ``input_id.prop`` (ids of wildcard inputs as in the dependencies)."""
    for d in deps:
        if any(i["id"] == input_id and i["property"] == prop for i in d["inputs"]):
            return d
    raise LookupError(f"no callback with input {input_id}.{prop}: has the page changed?")


def walk(tree: Any) -> Iterator[dict]:
    """Every component of a serialised layout."""
    if isinstance(tree, dict):
        if "props" in tree and "type" in tree:
            yield tree
            yield from walk(tree["props"].get("children"))
        else:
            for v in tree.values():
                yield from walk(v)
    elif isinstance(tree, list):
        for v in tree:
            yield from walk(v)


def _location_payload(deps: list[dict], location: str, pathname: str, search: str, changed: list[str]) -> dict:
    """The request of a callback fired by a ``dcc.Location`` (``location``) changing its path or query."""
    d = find_callback(deps, location, "pathname")
    values = {"pathname": pathname, "search": search}
    return {"output": d["output"], "outputs": _outputs(d["output"]),
            "inputs": [{"id": i["id"], "property": i["property"], "value": values.get(i["property"])} for i in d["inputs"]],
            "changedPropIds": [f"{location}.{p}" for p in changed], "state": []}


def router_payload(deps: list[dict], pathname: str, search: str, changed: list[str]) -> dict:
    return _location_payload(deps, "_pages_location", pathname, search, changed)


def navbar_payload(deps: list[dict], pathname: str, search: str, changed: list[str]) -> dict:
    return _location_payload(deps, "url", pathname, search, changed)


def refresh_payload(deps: list[dict], page: dict, n: int) -> dict:
    """The big screen's interval refresh, with the page's own state values."""
    d = find_callback(deps, "big-refresh", "n_intervals")
    props = {c["props"].get("id"): c["props"] for c in walk(page) if isinstance(c["props"].get("id"), str)}
    state = [{"id": s["id"], "property": s["property"], "value": props.get(s["id"], {}).get(s["property"])}
             for s in d["state"]]
    return {"output": d["output"], "outputs": _outputs(d["output"]),
            "inputs": [{"id": "big-refresh", "property": "n_intervals", "value": n}],
            "changedPropIds": ["big-refresh.n_intervals"], "state": state}


def filter_payload(deps: list[dict], page: dict, key: str, value: str) -> dict:
    """The board's filter callback after the dropdown ``key`` was set to ``value``."""
    pattern = json.dumps({"key": ["ALL"], "page": "board", "role": "filter"}, separators=(",", ":"))
    d = find_callback(deps, pattern, "value")
    filters = [c for c in walk(page) if isinstance(c["props"].get("id"), dict)
               and c["props"]["id"].get("role") == "filter" and c["props"]["id"].get("page") == "board"]
    store = next(c["props"] for c in walk(page) if c["props"].get("id") == "board-state")

    def items(prop: str) -> list[dict]:
        out = []
        for c in filters:
            item = {"id": c["props"]["id"], "property": prop}
            v = value if (prop == "value" and c["props"]["id"]["key"] == key) else c["props"].get(prop)
            if v is not None:
                item["value"] = v
            out.append(item)
        return out

    changed = _prop_id(next(c["props"]["id"] for c in filters if c["props"]["id"]["key"] == key), "value")
    return {"output": d["output"], "outputs": _outputs(d["output"]),
            "inputs": [items(i["property"]) for i in d["inputs"]], "changedPropIds": [changed],
            "state": [{"id": "board-state", "property": "data", "value": store.get("data")}]}


def dropdown_options(page: dict, key: str) -> list[str]:
    for c in walk(page):
        cid = c["props"].get("id")
        if isinstance(cid, dict) and cid.get("page") == "board" and cid.get("key") == key:
            return [o["value"] for o in c["props"].get("options") or [] if o.get("value")]
    return []


def _layout_of(body: bytes) -> dict:
    return json.loads(body)["response"]["_pages_content"]["children"]


# ---------------------------------------------------------------- measuring (in the app's process)
def _query_of_frame() -> str:
    """The ``queries`` function (or other part of the app) that is running the current statement."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if frame.f_code.co_name == "data_version" and path.endswith("_base.py"):
            return "cache key (data version)"
        if f"{os.sep}queries{os.sep}" in path and not path.endswith("_base.py"):
            return f"{Path(path).stem}.{frame.f_code.co_name}"
        if f"{os.sep}cockpit{os.sep}auth{os.sep}" in path:
            return "session check"
        frame = frame.f_back
    return "other"


def sql_breakdown(engine: Any, call: Callable[[int], Any], clear: Callable[[], None], n: int) -> tuple[dict[str, float], float]:  # noqa: ANN401
    """Milliseconds of SQL per query function in one cold call of ``call`` (mean of ``n``; the statement's
    execution and fetching by the driver, timed by the engine's cursor events), and the mean wall time of
    those calls (timing each statement makes them a little slower than the counted ones)."""
    from sqlalchemy import event  # noqa: PLC0415

    spent: dict[str, float] = {}

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        conn.info["bench_t0"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ARG001
        name = _query_of_frame()
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - conn.info.pop("bench_t0")

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    wall = 0.0
    try:
        for i in range(n):
            clear()
            t0 = time.perf_counter()
            call(i)
            wall += time.perf_counter() - t0
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return {k: v * 1000.0 / n for k, v in sorted(spent.items(), key=lambda kv: -kv[1])}, wall * 1000.0 / n


def measure(url: str, *, reps: int, warmup: int, engine_name: str, scale: str, today: date | None = None) -> ScreenFigures:
    if os.environ.get("COCKPIT_WAREHOUSE_URL") != url:
        raise RuntimeError("set COCKPIT_WAREHOUSE_URL before the app is imported (run this in its own process)")
    import app as cockpit_app  # noqa: PLC0415 - the app reads its configuration at import
    from sqlalchemy import text  # noqa: PLC0415

    from pages._common import engine  # noqa: PLC0415
    from queries import _base as query_base  # noqa: PLC0415

    if today is not None:  # the pages see the demo data's last day as today
        from cockpit import clock  # noqa: PLC0415

        clock.pin(datetime.combine(today, datetime.min.time()).replace(hour=12))
    with engine().connect() as conn:
        events = conn.execute(text("SELECT count(*) FROM event")).scalar()
        agg_rows = conn.execute(text("SELECT count(*) FROM agg_event_day")).scalar()
    browser = Browser(cockpit_app.app.server)
    login = browser.login(engine())
    browser.get("/")  # the page itself (also registers Dash's page-routing callback)
    deps = json.loads(browser.get("/_dash-dependencies").data)
    notes: list[str] = [] if login else ["the app had no login page: measured without access control"]

    # the big screen as the renderer opens it, then its interval refresh
    _, body = browser.callback(router_payload(deps, "/", "", ["pathname", "search"]))
    big = _layout_of(body)
    ticks = iter(range(1, 1 << 30))

    def refresh_once(_i: int = 0) -> tuple[float, bytes]:
        return browser.callback(refresh_payload(deps, big, next(ticks)))

    _, refresh_body = refresh_once()
    if b"big-slot-party" not in refresh_body:
        raise RuntimeError("the big-screen refresh returned no update")

    # the safety board as opened from the navigation, then a village picked in its filter
    board_path = "/board/safety"
    _, body = browser.callback(router_payload(deps, board_path, "", ["pathname", "search"]))
    board = _layout_of(body)
    villages = dropdown_options(board, "village")
    if not villages:
        raise RuntimeError("the board page offers no village to filter on")

    def filter_once(i: int) -> tuple[dict[str, float], int]:
        village = villages[i % len(villages)]
        ms_filter, body = browser.callback(filter_payload(deps, board, "village", village))
        href = json.loads(body)["response"]["board-go"]["href"]
        search = href[len(board_path):] if href.startswith(board_path) else ""
        ms_page, routed = browser.callback(router_payload(deps, board_path, search, ["search"]))
        ms_nav, nav = browser.callback(navbar_payload(deps, board_path, search, ["search"]))
        if village.encode() not in routed:
            raise RuntimeError(f"the board did not show village {village}")
        return {"filter": ms_filter, "page": ms_page, "navbar": ms_nav}, len(body) + len(routed) + len(nav)

    def runs(fn: Callable[[int], float], *, cold: bool, first: int) -> list[float]:
        """``first`` calls not counted (warm-up), then ``reps`` counted ones."""
        for i in range(first):
            fn(i)
        out = []
        for i in range(first, first + reps):
            if cold:
                query_base.clear_cache()
            out.append(fn(i))
        return out

    refresh_cold = runs(lambda i: refresh_once()[0], cold=True, first=warmup)
    refresh_warm = runs(lambda i: refresh_once()[0], cold=False, first=warmup)
    parts: list[dict[str, float]] = []

    def filter_cold_one(i: int) -> float:
        p, _ = filter_once(i)
        parts.append(p)
        return sum(p.values())

    filter_cold = runs(filter_cold_one, cold=True, first=warmup)
    parts = parts[warmup:]
    # warm: every village viewed once before the counted calls
    filter_warm = runs(lambda i: sum(filter_once(i)[0].values()), cold=False, first=max(warmup, len(villages)))
    _, filter_bytes = filter_once(0)
    refresh_sql, refresh_timed = sql_breakdown(engine(), lambda i: refresh_once(), query_base.clear_cache,
                                                    BREAKDOWN_CALLS)
    return ScreenFigures(
        engine=engine_name, scale=scale, events=int(events), agg_rows=int(agg_rows), reps=reps,
        refresh_cold=refresh_cold, refresh_warm=refresh_warm, filter_cold=filter_cold, filter_warm=filter_warm,
        filter_parts_cold={k: statistics.median(p[k] for p in parts) for k in parts[0]},
        refresh_bytes=len(refresh_body), refresh_gzip_bytes=len(gzip.compress(refresh_body)),
        filter_bytes=filter_bytes, refresh_sql=refresh_sql, refresh_timed_ms=refresh_timed, login=login,
        today=today.isoformat() if today else None, notes=notes,
    )


# ---------------------------------------------------------------- orchestration (in the benchmark's process)
def _sources_key(sources: Path) -> dict:
    manifest = json.loads((sources / "manifest.json").read_text(encoding="utf-8"))
    return {k: manifest.get(k) for k in ("scale", "seed", "today", "generated_at")}


def _loader_key() -> str:
    """A digest of what decides the loaded rows: the ETL, the aggregates and the demo sources' declaration."""
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha256()
    files = sorted((ROOT / "cockpit" / "etl").rglob("*.py")) + [ROOT / "cockpit" / "aggregates.py",
                                                                 ROOT / "config" / "sources" / "demo.toml"]
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _load(url: str, sources: Path, name: str) -> None:
    """Full load of a copy of ``sources`` into the (empty, migrated) warehouse at ``url``."""
    from cockpit.etl import run_sources
    from cockpit.warehouse.db import engine_for

    work = BENCH / f"work-{name}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(sources, work)
    try:
        results = run_sources(bench_config(url, work, name), engine_for(url), full=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        engine_for(url).dispose()
    failed = [(r.source, r.error) for r in results if r.status != "success"]
    if failed:
        raise RuntimeError(f"loading the {name} warehouse failed: {failed}")


def baseline_warehouse(engine_name: str, cluster: Any) -> str:  # noqa: ANN401 - a devtools PgCluster
    """The town-scale warehouse the figures are compared with. SQLite: loaded once and kept under
    var/bench/ (loaded again when the sources, the ETL code or ``CACHE_VERSION`` change; new migrations
    are applied);
    PostgreSQL: loaded into the benchmark's cluster on each run (a town load takes well under a minute)."""
    sources = demo_sources(BASELINE_SCALE)
    key = {"cache_version": CACHE_VERSION, "loader": _loader_key(), **_sources_key(sources)}
    tag = f"screens-{BASELINE_SCALE}"
    if engine_name == "sqlite":
        marker = BENCH / f"{tag}.json"
        db = sqlite_path(tag)
        if db.exists() and marker.exists() and json.loads(marker.read_text(encoding="utf-8")) == key:
            url = f"sqlite:///{db}"
            upgrade(url)
            return url
        marker.unlink(missing_ok=True)
        print(f"[sqlite] loading the {BASELINE_SCALE}-scale warehouse for the screens (kept for later runs) …", flush=True)
        url = fresh_warehouse("sqlite", None, tag)
        _load(url, sources, tag)
        marker.write_text(json.dumps(key), encoding="utf-8")
        return url
    print(f"[{engine_name}] loading the {BASELINE_SCALE}-scale warehouse for the screens …", flush=True)
    url = fresh_warehouse(engine_name, cluster, tag.replace("-", "_"))
    _load(url, sources, f"{tag}-{engine_name}")
    return url


def settle(url: str) -> None:
    """PostgreSQL: planner statistics as autovacuum keeps them in a running deployment (a warehouse
    loaded a moment ago may not have them yet). SQLite: left as loaded (nothing in the cockpit runs
    ANALYZE there)."""
    from sqlalchemy import text  # noqa: PLC0415

    from cockpit.warehouse.db import engine_for  # noqa: PLC0415

    engine = engine_for(url)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()


def measure_in_process(url: str, engine_name: str, scale: str, today: str | None, *, reps: int, warmup: int) -> ScreenFigures:
    """``measure`` in a fresh Python process (the app reads its warehouse URL once, at import)."""
    settle(url)
    out = BENCH / f"screens-{engine_name}-{scale}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.screens_bench", "--url", url, "--engine", engine_name, "--scale", scale,
           "--reps", str(reps), "--warmup", str(warmup), "--json", str(out)]
    if today:
        cmd += ["--today", today]
    before = os.getloadavg()[0]
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, "COCKPIT_WAREHOUSE_URL": url}, check=True)
    fig = ScreenFigures(**json.loads(out.read_text(encoding="utf-8")))
    fig.load_avg = [before, os.getloadavg()[0]]
    return fig


def run_all(engines: list[str], cluster: Any, scale: str, measured_urls: dict[str, str], *,  # noqa: ANN401
            reps: int = 30, warmup: int = 3) -> list[dict]:
    """Per engine: the screens on the warehouse the ETL benchmark loaded at ``scale`` and on the town
    baseline. Returns [{"engine", "measured": ScreenFigures, "baseline": ScreenFigures}]."""
    today = _sources_key(demo_sources(scale)).get("today")
    base_today = _sources_key(demo_sources(BASELINE_SCALE)).get("today")
    results = []
    for engine_name in engines:
        url = measured_urls[engine_name]
        print(f"[{engine_name}] screens at {scale} scale ({reps} calls each, cold and warm) …", flush=True)
        measured = measure_in_process(url, engine_name, scale, today, reps=reps, warmup=warmup)
        if scale == BASELINE_SCALE:
            baseline = measured
        else:
            base_url = baseline_warehouse(engine_name, cluster)
            print(f"[{engine_name}] screens at {BASELINE_SCALE} scale …", flush=True)
            baseline = measure_in_process(base_url, engine_name, BASELINE_SCALE, base_today, reps=reps, warmup=warmup)
        for fig in (baseline, measured):
            print(f"[{engine_name}] {fig.scale}: refresh cold p95 {fig.timing('refresh_cold').p95:.0f} ms, "
                  f"filter cold p95 {fig.timing('filter_cold').p95:.0f} ms, {fig.refresh_bytes / 1024:.0f} KB per refresh",
                  flush=True)
        results.append({"engine": engine_name, "measured": measured, "baseline": baseline})
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.screens_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="warehouse URL (loaded)")
    parser.add_argument("--engine", default="")
    parser.add_argument("--scale", default="")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--today", help="the date the screens are viewed on (YYYY-MM-DD; default: the clock)")
    parser.add_argument("--json", help="write the figures here (default: print them)")
    args = parser.parse_args(argv)
    os.environ["COCKPIT_WAREHOUSE_URL"] = args.url
    fig = measure(args.url, reps=args.reps, warmup=args.warmup,
                  engine_name=args.engine or args.url.split(":", 1)[0].split("+", 1)[0], scale=args.scale,
                  today=date.fromisoformat(args.today) if args.today else None)
    out = json.dumps(asdict(fig))
    if args.json:
        Path(args.json).write_text(out, encoding="utf-8")
    else:
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
