"""A small, known township written straight into a migrated warehouse, for query and browser tests."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select

from cockpit import clock
from cockpit.aggregates import rebuild_event_days
from cockpit.reference import CATEGORIES
from cockpit.warehouse import schema as s
from cockpit.warehouse.db import engine_for

TOWNSHIP = "330999001"
VILLAGES = {"330999001001": "青石村", "330999001002": "柳溪村"}
GRIDS = {v + f"{i:02d}": f"{name}第{i}网格" for v, name in VILLAGES.items() for i in (1, 2)}
NOW = clock.now().replace(minute=0, second=0)
TODAY = NOW.date()


def _lineage(source: str, key: str, run: int = 1) -> dict:
    return {"src_source": source, "src_key": key, "src_run_id": run, "row_hash": "x" * 32, "loaded_at": clock.now()}


def months_before(now: datetime, n: int) -> list[date]:
    """The first days of the ``n`` months before ``now``'s month, oldest first."""
    first = now.date().replace(day=1)
    out = []
    for _ in range(n):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(first)
    return out[::-1]


def _square(x: float, y: float, w: float, h: float) -> str:
    return json.dumps({"type": "Polygon", "coordinates": [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]})


def area_rows() -> list[dict]:
    """The township, its two villages and four grids, with polygons."""
    areas = [{"code": TOWNSHIP, "name": "清溪镇", "level": "township", "parent_code": "330999", "seq": 1,
              "geometry": _square(120.0, 29.8, 0.05, 0.03), "centroid_lon": 120.025, "centroid_lat": 29.815,
              **_lineage("grid_area", TOWNSHIP)}]
    for vi, (v, name) in enumerate(VILLAGES.items()):
        areas.append({"code": v, "name": name, "level": "village", "parent_code": TOWNSHIP, "seq": vi + 1,
                      "geometry": _square(120.0 + 0.025 * vi, 29.8, 0.025, 0.03), "centroid_lon": 120.0125 + 0.025 * vi,
                      "centroid_lat": 29.815, **_lineage("grid_area", v)})
        for gi in (1, 2):
            g = v + f"{gi:02d}"
            areas.append({"code": g, "name": GRIDS[g], "level": "grid", "parent_code": v, "seq": gi,
                          "geometry": _square(120.0 + 0.025 * vi, 29.8 + 0.015 * (gi - 1), 0.025, 0.015),
                          "centroid_lon": 120.0125 + 0.025 * vi, "centroid_lat": 29.8075 + 0.015 * (gi - 1),
                          "grid_worker": "网格员" + str(gi), **_lineage("grid_area", g)})
    return areas


# joint (一件事) applications, handled by the service centre, and the departments that do their steps
JOINT_STEPS = (("civil_affairs", "hrss", "education"), ("health", "police", "hrss"))


def other_departments_services(now: datetime, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """Applications of departments other than civil affairs (police, hrss) and joint applications
    with their steps: who sees which application depends on the department."""
    apps, steps = [], []
    for n in range(60):
        dept = ("police", "hrss", "gov_service")[n % 3]
        joint = dept == "gov_service"
        key = f"B{n}"
        submitted = now - timedelta(days=n * 80 / 60, hours=1)
        apps.append({"service_code": "S2" if not joint else "J1", "service_name": "户口迁移" if dept == "police" else
                     "失业登记" if dept == "hrss" else "困难群众救助一件事", "department_code": dept,
                     "grid_code": rng.choice(list(GRIDS)), "channel": rng.choice(["online", "walk_in"]), "joint": joint,
                     "status": ("completed", "completed", "in_progress")[n % 3 if not joint else 0],
                     "submitted_at": submitted, "visits": rng.randint(0, 2), **_lineage("gov", key)})
        if joint:
            for k, d in enumerate(JOINT_STEPS[(n // 3) % 2]):
                steps.append({"application_ref": key, "department_code": d, "started_at": submitted + timedelta(hours=1),
                              "finished_at": submitted + timedelta(hours=5 + k), **_lineage("gov_steps", f"{key}-{k}")})
    return apps, steps


def build(url: str, *, events: int = 240, seed: int = 7, now: datetime | None = None) -> None:
    """Fill the warehouse at ``url``: areas with polygons, events over the 90 days before ``now`` (the
    clock's, by default), indicators for the 11 months before, sensors, service applications, ETL runs
    and quarantined rows; then build the aggregates."""
    NOW = (now or clock.now()).replace(minute=0, second=0)  # noqa: N806 - the module's NOW, for this build
    engine = engine_for(url)
    rng = random.Random(seed)
    areas = area_rows()
    cats = [c for c in CATEGORIES if c.board in ("safety", "economy", "services", "party")]
    channels = ["hotline_12345", "grid_app", "petition", "camera"]
    ev = []
    for n in range(events):
        cat = rng.choice(cats)
        grid = rng.choice(list(GRIDS))
        reported = NOW - timedelta(days=rng.randrange(0, 90), hours=rng.randrange(0, 12), minutes=rng.randrange(60))
        accepted = reported + timedelta(minutes=rng.randrange(5, 240)) if rng.random() < 0.9 else None
        dispatched = accepted + timedelta(minutes=rng.randrange(5, 120)) if accepted and rng.random() < 0.8 else None
        ack = dispatched + timedelta(minutes=rng.randrange(1, 300)) if dispatched and rng.random() < 0.9 else None
        resolved = reported + timedelta(hours=rng.randrange(1, 200)) if rng.random() < 0.7 else None
        if resolved and resolved > NOW:
            resolved = None
        status = "closed" if resolved and rng.random() < 0.5 else "resolved" if resolved else \
            "acknowledged" if ack else "dispatched" if dispatched else "accepted" if accepted else "reported"
        ev.append({"channel": rng.choice(channels), "category_code": cat.code, "board": cat.board,
                   "department_code": cat.department, "grid_code": grid, "village_code": grid[:12],
                   "title": f"{cat.name_zh}事件{n}", "status": status, "reporter_masked": "138****5678",
                   "reported_at": reported, "accepted_at": accepted, "dispatched_at": dispatched,
                   "acknowledged_at": ack, "resolved_at": resolved,
                   "deadline_at": reported + timedelta(hours=cat.sla_hours),
                   "satisfaction": rng.randint(1, 5) if resolved and rng.random() < 0.6 else None,
                   "duplicate_of": 1 if n % 37 == 5 else None, **_lineage("hotline", f"E{n}")})
    iv = []
    for code, base in (("sanhui_yike_rate", 92.0), ("industrial_output", 5000.0), ("family_doctor_rate", 70.0)):
        for m, first in enumerate(months_before(NOW, 11), start=1):
            for v in VILLAGES:
                iv.append({"indicator_code": code, "area_code": v, "period_start": first,
                           "value": base + m + (1 if v.endswith("2") else 0), **_lineage("stats", f"{code}|{v}|{first}")})
    sensors = [{"sensor_id": "AQ1", "metric": "pm25", "ts": NOW - timedelta(hours=h), "value": 30.0 + h % 20,
                "grid_code": list(GRIDS)[0], **_lineage("ecology", f"AQ1|{h}")} for h in range(0, 24 * 70, 6)]
    apps = [{"service_code": "S1", "service_name": "低保申请", "department_code": "civil_affairs",
             "grid_code": rng.choice(list(GRIDS)), "channel": rng.choice(["online", "walk_in"]), "joint": n % 5 == 0,
             "status": ("completed", "completed", "completed", "rejected", "in_progress")[n % 5],
             "submitted_at": NOW - timedelta(days=n * 80 / 120), "visits": rng.randint(0, 3),
             **_lineage("gov", f"A{n}")} for n in range(120)]
    apps_more, steps = other_departments_services(NOW, random.Random(seed + 1))
    apps += apps_more
    sensors += [{"sensor_id": sid, "metric": metric, "ts": NOW - timedelta(hours=h), "value": value + h % 7,
                 "grid_code": grid, **_lineage(source, f"{sid}|{h}")}
                for sid, metric, value, grid, source in (("HW1", "water_litres", 80.0, list(GRIDS)[1], "civil_home"),
                                                         ("FR1", "fire_risk", 2.0, list(GRIDS)[2], "emergency"))
                for h in range(0, 24 * 40, 8)]
    runs = [
        {"id": 1, "source": "hotline", "full": True, "started_at": NOW - timedelta(minutes=30),
         "ended_at": NOW - timedelta(minutes=29), "status": "success", "attempts": 1, "rows_read": 250,
         "rows_loaded": 240, "rows_rejected": 10},
        {"id": 2, "source": "stats", "full": True, "started_at": NOW - timedelta(days=2),
         "ended_at": NOW - timedelta(days=2), "status": "success", "attempts": 1, "rows_read": 66,
         "rows_loaded": 66, "rows_rejected": 0},
        {"id": 3, "source": "ecology", "full": False, "started_at": NOW - timedelta(minutes=10),
         "ended_at": NOW - timedelta(minutes=9), "status": "failed", "attempts": 3, "rows_read": 0,
         "rows_loaded": 0, "rows_rejected": 0, "error": "connection refused"},
    ]
    dq = [{"source": "hotline", "source_key": f"E9{n}", "fingerprint": f"f{n}", "rule": "id_check_digit" if n % 2 else
           "unknown_code", "field": "reporter_id" if n % 2 else "category", "reason": "身份证号校验位错误" if n % 2 else "未知分类代码",
           "raw": json.dumps({"sfzh": "330***********1234"}, ensure_ascii=False), "run_id": 1,
           "first_seen_at": NOW - timedelta(minutes=29), "last_seen_at": NOW - timedelta(minutes=29)} for n in range(10)]
    people, tags = [], []
    for gi, g in enumerate(GRIDS):
        for k in range(3):
            key = f"pk{gi}{k}".ljust(64, "0")
            people.append({"person_key": key, "id_masked": f"330***********{gi}{k}2X", "name": f"居民{gi}{k}",
                           "gender": "MF"[k % 2], "birth_date": date(1940 + k, 3, 1), "grid_code": g,
                           "address": f"{GRIDS[g]}{k + 1}号", "phone_masked": f"139****{gi}{k}00",
                           **_lineage("police_person", f"R{gi}{k}")})
            tags.append({"person_key": key, "tag": ("elderly_alone", "dibao", "tekun")[k], "since": date(2024, 1, 1),
                         "until": None, "grid_code": g, **_lineage("civil_tags", f"T{gi}{k}")})
    with engine.begin() as conn:
        conn.execute(insert(s.area), areas)
        conn.execute(insert(s.person), people)
        conn.execute(insert(s.person_tag), tags)
        conn.execute(insert(s.event), ev)
        conn.execute(insert(s.indicator_value), iv)
        conn.execute(insert(s.sensor_reading), sensors)
        conn.execute(insert(s.service_application), apps)
        conn.execute(insert(s.service_step), steps)
        conn.execute(insert(s.etl_run), runs)
        conn.execute(insert(s.dq_issue), dq)
        warnings_part(conn, NOW, ev)
        orders_part(conn, NOW, ev)
        whistles_part(conn, NOW)
    rebuild_event_days(engine)


def warnings_part(conn, now: datetime, ev: list[dict]) -> None:  # noqa: ANN001
    """Warnings of several rules, levels, statuses and scopes, with their evidence and history, as the
    rule engine would have written them (no engine: the read side's tests need known rows).

    1 prominent issue (safety, orange, new) on three events of one grid and category; 2 air quality
    (economy, yellow, acknowledged) on three PM2.5 readings; 3 public-power oversight (party, orange,
    new, a village) on a subsidy payment and a cadre's declared relative; 4 elderly inactivity
    (services, red, new, muted by a silence); 5 indicator lag (services, yellow, cleared); 6 indicator
    lag (economy, blue, new, the township only)."""
    grid1, grid2 = list(GRIDS)[0], list(GRIDS)[1]
    village2 = list(VILLAGES)[1]
    safety = [e for e in ev if e["board"] == "safety" and e["grid_code"] == grid1 and e["duplicate_of"] is None]
    category = max(sorted({e["category_code"] for e in safety}), key=lambda c: sum(e["category_code"] == c for e in safety))
    cluster = [e for e in safety if e["category_code"] == category][:3]
    dept = next(c.department for c in CATEGORIES if c.code == category)
    pk = "pk00".ljust(64, "0")
    conn.execute(insert(s.subsidy_payment), [{"person_key": pk, "kind": "dibao", "amount": 980.0,
                                             "paid_on": (now - timedelta(days=20)).date(), "grid_code": grid1,
                                             **_lineage("civil_pay", "P1")}])
    conn.execute(insert(s.cadre_relative), [{"cadre_key": "c" * 64, "cadre_name": "干部甲", "position": "村委会主任",
                                            "township_code": TOWNSHIP, "relative_key": pk, "relation": "spouse",
                                            "declared_on": date(2025, 1, 1), **_lineage("org_cadre", "C1")}])
    silence_id = conn.execute(insert(s.silence), [{"rule": "elderly_inactive", "area_code": grid2,
                                     "category_code": None, "starts_at": now - timedelta(hours=3),
                                     "ends_at": now + timedelta(days=1), "author": "duty", "reason": "设备检修",
                                     "created_at": now - timedelta(hours=3)}]).inserted_primary_key[0]

    def w(n: int, rule: str, level: str, status: str, board: str, dept: str | None, category: str | None,
          village: str | None, grid: str | None, opened: datetime, title: str, evidence: int, **extra) -> dict:
        return {"rule": rule, "fingerprint": f"fp{n}", "open_fingerprint": None if status == "cleared" else f"fp{n}",
                "subject": f"s{n}", "title": title, "level": level, "status": status, "active": status != "cleared",
                "silence_id": None, "township_code": TOWNSHIP, "village_code": village, "grid_code": grid,
                "board": board, "category_code": category, "department_code": dept, "lon": None, "lat": None,
                "evidence_count": evidence, "measure": float(evidence), "opened_at": opened, "last_matched_at": opened,
                "ack_due_at": opened + timedelta(hours=4), "acknowledged_at": None, "ended_at": None,
                "updated_at": opened, **extra}

    rows = [
        w(1, "prominent_issue", "orange", "new", "safety", dept, category, grid1[:12], grid1, now - timedelta(hours=2),
          "3 位群众 · 2 个渠道", 3, lon=120.01, lat=29.805),
        w(2, "air_quality", "yellow", "acknowledged", "economy", "ecology", "ECO-POLLUTION", grid1[:12], grid1,
          now - timedelta(days=3), "PM2.5 日均 82 µg/m³", 3, acknowledged_at=now - timedelta(days=3, hours=-1)),
        w(3, "power_oversight", "orange", "new", "party", "organization", "PTY-SUPERVISION", grid1[:12], None,
          now - timedelta(days=1), "低保发放对象为干部近亲属", 2),
        w(4, "elderly_inactive", "red", "new", "services", "civil_affairs", "SRV-ELDERLY", grid2[:12], grid2,
          now - timedelta(hours=5), "独居老人 24 小时无用水", 1, silence_id=silence_id),
        w(5, "indicator_lag", "yellow", "cleared", "services", "health", None, village2, None,
          now - timedelta(days=40), "家庭医生签约率低于目标", 1, ended_at=now - timedelta(days=10)),
        w(6, "indicator_lag", "blue", "new", "economy", "statistics", None, None, None, now - timedelta(days=6),
          "规上工业产值偏离均值", 1),
    ]
    ids = {n: conn.execute(insert(s.warning), [r]).inserted_primary_key[0] for n, r in enumerate(rows, start=1)}
    first_month = months_before(now, 11)[-1]
    evidence = [{"warning_id": 1, "fact": "event", "src_source": e["src_source"], "src_key": e["src_key"],
                 "at": e["reported_at"], "row_id": ev.index(e) + 1, "code": None, "metric": None, "added_at": now}
                for e in cluster]
    evidence += [{"warning_id": 2, "fact": "sensor_reading", "src_source": "ecology", "src_key": f"AQ1|{h}",
                  "at": now - timedelta(hours=h), "row_id": None, "code": "AQ1", "metric": "pm25", "added_at": now}
                 for h in (0, 6, 12)]
    evidence += [{"warning_id": 3, "fact": "subsidy_payment", "src_source": "civil_pay", "src_key": "P1",
                  "at": now - timedelta(days=20), "row_id": 1, "code": None, "metric": None, "added_at": now},
                 {"warning_id": 3, "fact": "cadre_relative", "src_source": "org_cadre", "src_key": "C1",
                  "at": datetime(2025, 1, 1), "row_id": 1, "code": None, "metric": None, "added_at": now},
                 {"warning_id": 4, "fact": "sensor_reading", "src_source": "civil_home", "src_key": "HW1|0",
                  "at": now, "row_id": None, "code": "HW1", "metric": "water_litres", "added_at": now},
                 {"warning_id": 5, "fact": "indicator_value", "src_source": "stats",
                  "src_key": f"family_doctor_rate|{village2}|{first_month}", "at": midnight_of(first_month),
                  "row_id": None, "code": village2, "metric": "family_doctor_rate", "added_at": now},
                 {"warning_id": 6, "fact": "indicator_value", "src_source": "stats",
                  "src_key": f"industrial_output|{list(VILLAGES)[0]}|{first_month}", "at": midnight_of(first_month),
                  "row_id": None, "code": list(VILLAGES)[0], "metric": "industrial_output", "added_at": now}]
    for row in evidence:
        row["warning_id"] = ids[row["warning_id"]]
    conn.execute(insert(s.warning_evidence), evidence)
    history = [{"warning_id": n, "at": r["opened_at"], "actor": "rules", "action": "opened", "from_status": None,
                "to_status": "new", "from_level": None, "to_level": r["level"], "active": True, "silence_id": None,
                "evidence_added": r["evidence_count"], "note": None} for n, r in enumerate(rows, start=1)]
    history += [{"warning_id": 2, "at": rows[1]["acknowledged_at"], "actor": "duty", "action": "acknowledged",
                 "from_status": "new", "to_status": "acknowledged", "from_level": "yellow", "to_level": "yellow",
                 "active": True, "silence_id": None, "evidence_added": 0, "note": "已通知生态环境分局"},
                {"warning_id": 4, "at": now - timedelta(hours=3), "actor": "duty", "action": "silenced",
                 "from_status": "new", "to_status": "new", "from_level": "red", "to_level": "red", "active": True,
                 "silence_id": silence_id, "evidence_added": 0, "note": "设备检修"},
                {"warning_id": 5, "at": rows[4]["ended_at"], "actor": "rules", "action": "cleared", "from_status": "new",
                 "to_status": "cleared", "from_level": "yellow", "to_level": "yellow", "active": False,
                 "silence_id": None, "evidence_added": 0, "note": None}]
    for row in history:
        row["warning_id"] = ids[row["warning_id"]]
    conn.execute(insert(s.warning_history), history)


def orders_part(conn, now: datetime, ev: list[dict]) -> None:  # noqa: ANN001
    """Work orders as the core would have written them (rows and their logs, no core: known rows).

    1 dispatched today (safety, grid 1, to grid worker gridman); 2 acknowledged, past its resolution
    deadline (economy, grid 2); 3 resolved, waiting to be verified (services, grid 3); 4 closed
    (party, grid 4); 5 dispatched, past its acknowledgement deadline (safety, grid 1); 6 dismissed,
    made from the cleared warning 5 (services, a village: no grid)."""
    grids = list(GRIDS)
    picks = {}
    for board, grid in (("safety", grids[0]), ("economy", grids[1]), ("services", grids[2]), ("party", grids[3])):
        picks[board] = next(i for i, e in enumerate(ev, start=1) if e["board"] == board and e["grid_code"] == grid
                            and e["duplicate_of"] is None)
    h, d = timedelta(hours=1), timedelta(days=1)
    warning5 = conn.execute(select(s.warning.c.id).where(s.warning.c.fingerprint == "fp5")).scalar()

    def order(n: int, board: str, status: str, created: datetime, *, grid: str | None, assignee: str | None = None,
              ack: datetime | None = None, resolved: datetime | None = None, closed: datetime | None = None,
              ack_due: datetime | None = None, resolve_due: datetime | None = None, warning: int | None = None,
              level: str | None = None) -> dict:
        e = ev[picks[board] - 1]
        ended = closed if status in ("closed", "dismissed") else None
        return {"open_key": None if ended else f"events:{picks[board]}" if n != 5 else f"events:{picks[board]},0",
                "warning_id": warning, "status": status, "title": e["title"], "board": board,
                "category_code": e["category_code"], "department_code": e["department_code"], "cooperating": None,
                "assignee_user": assignee, "township_code": TOWNSHIP, "village_code": (grid or list(VILLAGES)[1])[:12],
                "grid_code": grid, "level": level, "created_at": created, "created_by": "duty",
                "ack_due_at": ack_due or created + timedelta(minutes=30), "resolve_due_at": resolve_due or created + 72 * h,
                "acknowledged_at": ack, "resolved_at": resolved, "closed_at": closed if status == "closed" else None,
                "ended_at": ended, "reopen_count": 0, "return_count": 0, "updated_at": closed or resolved or ack or created}

    rows = [
        order(1, "safety", "dispatched", now, grid=grids[0], assignee="gridman", ack_due=now + 2 * h),
        order(2, "economy", "acknowledged", now - 2 * d, grid=grids[1], ack=now - 2 * d + 20 * timedelta(minutes=1),
              resolve_due=now - h),
        order(3, "services", "resolved", now - 5 * d, grid=grids[2], ack=now - 5 * d + 30 * timedelta(minutes=1),
              resolved=now - 5 * d + 20 * h),
        order(4, "party", "closed", now - 10 * d, grid=grids[3], ack=now - 10 * d + h, resolved=now - 9 * d,
              closed=now - 8 * d),
        order(5, "safety", "dispatched", now - 3 * d, grid=grids[0]),
        order(6, "services", "dismissed", now - 30 * d, grid=None, warning=warning5, level="yellow",
              closed=now - 10 * d),
    ]
    rows[5]["department_code"] = "health"
    logs, links = [], []
    for n, r in enumerate(rows, start=1):
        oid = conn.execute(insert(s.work_order).values(**r).returning(s.work_order.c.id)).scalar_one()
        steps = [("dispatched", None, "dispatched", r["created_at"], "duty", None)]
        if r["acknowledged_at"]:
            steps.append(("acknowledged", "dispatched", "acknowledged", r["acknowledged_at"], r["assignee_user"] or "liaison",
                          None))
        if r["resolved_at"]:
            steps.append(("resolved", "acknowledged", "resolved", r["resolved_at"], "liaison", "已现场处置"))
        if r["status"] == "closed":
            steps.append(("closed", "resolved", "closed", r["closed_at"], "duty", None))
        if r["status"] == "dismissed":
            steps.append(("dismissed", "dispatched", "dismissed", r["ended_at"], "duty", "指标口径调整"))
        logs += [{"order_id": oid, "at": at, "actor": actor, "action": action, "from_status": src, "to_status": dst,
                  "department_code": r["department_code"], "assignee_user": r["assignee_user"], "note": note}
                 for action, src, dst, at, actor, note in steps]
        if r["warning_id"] is None:
            links.append({"order_id": oid, "event_id": picks[r["board"]]})
    conn.execute(insert(s.work_order_log), logs)
    conn.execute(insert(s.work_order_event), links)


def whistles_part(conn, now: datetime) -> None:  # noqa: ANN001
    """Whistles as the core would have written them (rows and their logs, no core: known rows).

    Six completed whistles of the last fortnight on the closed work order 4, each summoning urban
    (lead: on time, verified, rated 5 or 4) and police (cooperating: three on time rated 3, three
    acknowledged late and closed without a result, rated 1); one open whistle on order 1, blown an
    hour ago: urban not acknowledged (half an hour late), police acknowledged in time, not on site yet."""
    order = {r.id: r for r in conn.execute(select(s.work_order.c.id, s.work_order.c.title, s.work_order.c.board,
                                                  s.work_order.c.category_code, s.work_order.c.village_code,
                                                  s.work_order.c.grid_code).order_by(s.work_order.c.id))}
    first, closed = list(order)[0], list(order)[3]
    m, h, d = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)

    def whistle(oid: int, at: datetime, status: str) -> int:
        o = order[oid]
        ended = at + 30 * h if status == "completed" else None
        wid = conn.execute(insert(s.whistle).values(
            open_key=f"order:{oid}" if status == "open" else None, order_id=oid, status=status, title=o.title,
            board=o.board, category_code=o.category_code, township_code=TOWNSHIP, village_code=o.village_code,
            grid_code=o.grid_code, urgent=False, note="联合处置", created_at=at, created_by="duty", ended_at=ended,
            updated_at=ended or at).returning(s.whistle.c.id)).scalar_one()
        logs = [{"whistle_id": wid, "at": at, "actor": "duty", "action": "blown", "from_status": None, "to_status": "open"}]
        if ended:
            logs.append({"whistle_id": wid, "at": ended, "actor": "rules", "action": "completed", "from_status": "open",
                         "to_status": "completed"})
        conn.execute(insert(s.whistle_log), logs)
        return wid

    def summon(wid: int, at: datetime, dept: str, role: str, steps: list[tuple[str, str, timedelta, int | None]],
               status: str) -> None:
        """``steps``: (action, to status, after the summons, rating) in order."""
        times = {a: at + after for a, _, after, _ in steps}
        rating = next((r for *_, r in steps if r), None)
        ended = at + steps[-1][2] if status in ("verified", "closed") else None
        sid = conn.execute(insert(s.summons).values(
            whistle_id=wid, department_code=dept, role=role, status=status, township_code=TOWNSHIP,
            category_code=order[closed].category_code, urgent=False, created_at=at, ack_due_at=at + 30 * m,
            arrive_due_at=at + 24 * h, resolve_due_at=at + 72 * h, acknowledged_at=times.get("acknowledged"),
            arrived_at=times.get("arrived"), resolved_at=times.get("resolved"), verified_at=times.get("verified"),
            ended_at=ended, rating=rating, reopen_count=0, updated_at=(at + steps[-1][2]) if steps else at,
        ).returning(s.summons.c.id)).scalar_one()
        logs, before = [{"summons_id": sid, "at": at, "actor": "duty", "action": "summoned", "from_status": None,
                         "to_status": "summoned", "department_code": dept}], "summoned"
        for action, to, after, r in steps:
            actor = "duty" if action in ("verified", "closed") else "liaison" if dept == "urban" else "police"
            logs.append({"summons_id": sid, "at": at + after, "actor": actor, "action": action, "from_status": before,
                         "to_status": to, "department_code": dept, "rating": r,
                         "note": "已处置" if action in ("resolved", "closed") else None})
            before = to
        conn.execute(insert(s.summons_log), logs)

    good = [("acknowledged", "acknowledged", 10 * m, None), ("arrived", "on_site", 3 * h, None),
            ("resolved", "resolved", 20 * h, None)]
    for n in range(6):
        at = (now - (2 + 2 * n) * d).replace(hour=9)
        wid = whistle(closed, at, "completed")
        summon(wid, at, "urban", "lead", [*good, ("verified", "verified", 26 * h, 5 if n % 3 else 4)], "verified")
        if n < 3:
            summon(wid, at, "police", "cooperate", [*good, ("verified", "verified", 26 * h, 3)], "verified")
        else:
            summon(wid, at, "police", "cooperate", [("acknowledged", "acknowledged", 2 * h, None),
                                                   ("closed", "closed", 28 * h, 1)], "closed")
    at = now - h
    wid = whistle(first, at, "open")
    summon(wid, at, "urban", "lead", [], "summoned")
    summon(wid, at, "police", "cooperate", [("acknowledged", "acknowledged", 20 * m, None)], "acknowledged")


def midnight_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())
