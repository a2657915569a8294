"""Monthly indicators (统计, 组织, 人社/教育/卫健), government-service applications and their joint-application
steps, market inspections and the emergency-management hazard ledger (CSV)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import numpy as np

from cockpit.demo import codes
from cockpit.demo.defects import Plan
from cockpit.demo.registry import address_plan, grid_plan
from cockpit.demo.store import Column as C
from cockpit.demo.store import TableData
from cockpit.demo.world import World

# indicator -> (base per village, monthly growth, seasonal amplitude, noise, cap)
_MODEL = {
    "industrial_output": (3200, 0.006, 0.12, 0.06, None), "fixed_asset_investment": (900, 0.004, 0.25, 0.15, None),
    "tax_revenue": (260, 0.005, 0.1, 0.08, None), "rural_income": (3300, 0.005, 0.2, 0.03, None),
    "project_plan_investment": (600, 0.0, 0.0, 0.0, None), "project_actual_investment": (560, 0.0, 0.2, 0.15, None),
    "living_env_score": (91, 0.0, 0.02, 0.03, 100), "party_members": (95, 0.002, 0.0, 0.005, None),
    "party_branches": (6, 0.0, 0.0, 0.0, None), "sanhui_yike_rate": (96, 0.0, 0.0, 0.02, 100),
    "cadre_eval_score": (87, 0.0, 0.0, 0.03, 100), "employment_new": (14, 0.0, 0.3, 0.3, None),
    "enrolment_rate": (99.7, 0.0, 0.0, 0.002, 100), "health_checkups": (45, 0.0, 0.4, 0.2, None),
    "family_doctor_rate": (74, 0.003, 0.0, 0.01, 100),
}


def months(w: World) -> list[date]:
    """Complete months inside the history window."""
    out = []
    m = date(w.start.year, w.start.month, 1)
    if m < w.start.date():
        m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    last = date(w.end.year, w.end.month, 1)
    while m < last:
        out.append(m)
        m = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    out = out or [(date(w.end.year, w.end.month, 1) - timedelta(days=1)).replace(day=1)]
    # early in a month the last month is not delivered in full yet (``_published``): the month before
    # it too, so that a short history still holds a delivered month
    if w.end < datetime.combine(last, datetime.min.time()) + timedelta(days=12) and len(out) < 2:
        out.insert(0, (out[0] - timedelta(days=1)).replace(day=1))
    return out


def indicator_values(w: World, own_codes: dict[str, str], rng: random.Random) -> list[tuple[str, str, date, float]]:
    ms = [m.replace(day=1) for m in months(w)]
    out = []
    for vi, v in enumerate(w.map.villages):
        size = rng.uniform(0.5, 1.6)
        lagging = vi % 12 == 7  # one village lags on its targets
        for own, code in own_codes.items():
            base, growth, amp, noise, cap = _MODEL[code]
            for k, m in enumerate(ms):
                x = base * (1 + growth) ** k * (1 + amp * np.cos(2 * np.pi * (m.month - 7) / 12)) * (1 + rng.gauss(0, noise))
                if cap is None:
                    x *= size
                elif lagging:
                    x -= 12
                if code == "party_branches":
                    x = round(x * size)
                x = min(x, cap) if cap else x
                out.append((own, v.code, m, round(float(x), 2)))
    return out


def stats(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("statistics", "tj_ybsj", [C("id", "INTEGER"), C("bsm"), C("zbdm"), C("xzqhdm"), C("tjyf", fmt="ym"),
                                             C("zbz", "REAL"), C("gxsj", "INTEGER", "epoch")],
                   pk=("id",), unique="bsm", replication="gxsj")
    for n, (own, area, m, x) in enumerate(indicator_values(w, codes.STATS_INDICATOR, rng), 1):
        row = [n, f"TJ{rng.getrandbits(40):010x}", own, area, m, x, _published(m, rng)]
        if row[-1] <= w.end:  # delivered by the instant the history ends at
            td.rows.append(row)
    plans = [Plan("unknown_reference", "xzqhdm", lambda row: row[3][:9] + "299"), Plan("bad_number", "zbz"),
             Plan("unknown_code", "zbdm", "QTZB"), Plan("bad_date", "tjyf")]
    return td, plans


def _published(m: date, rng: random.Random) -> datetime:
    """When a department delivers month ``m``: 3 to 12 days after it ends (rows due after the instant
    the history ends at are not in the sources yet: on the 1st, last month is not delivered)."""
    nxt = date(m.year + m.month // 12, m.month % 12 + 1, 1)
    return datetime.combine(nxt, datetime.min.time()) + timedelta(days=rng.uniform(3, 12))


def org(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("organization", "DJ_ZBSJ", [C("JLBH"), C("XH", "INTEGER"), C("ZBBM"), C("DWDM"), C("NY", fmt="y-m"),
                                               C("SZ", "REAL"), C("XGSJ", fmt="slash")],
                   pk=("JLBH",), unique="XH", replication="XGSJ")
    for n, (own, area, m, x) in enumerate(indicator_values(w, codes.ORG_INDICATOR, rng), 1):
        row = [f"DJ{n:08d}", n, own, area, m, x, _published(m, rng).replace(second=0, microsecond=0)]
        if row[-1] <= w.end:
            td.rows.append(row)
    plans = [Plan("unknown_reference", "DWDM", lambda row: row[3][:9] + "299"), Plan("missing_value", "SZ"),
             Plan("bad_date", "NY")]
    return td, plans


def services_ind(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("services", "indicator_monthly", [C("id", "INTEGER"), C("uuid"), C("indicator"), C("area_code"),
                                                      C("month", fmt="date"), C("value", "REAL"),
                                                      C("updated_at", fmt="iso_t")],
                   pk=("id",), unique="uuid", replication="updated_at")
    for n, (own, area, m, x) in enumerate(indicator_values(w, codes.SERVICES_INDICATOR, rng), 1):
        row = [n, f"{rng.getrandbits(64):016x}", own, area, m, x, _published(m, rng).replace(microsecond=0)]
        if row[-1] <= w.end:
            td.rows.append(row)
    plans = [Plan("unknown_reference", "area_code", lambda row: row[3][:9] + "299"), Plan("bad_number", "value"),
             Plan("missing_key", "id")]
    return td, plans


# ---------------------------------------------------------------------- government services
APP_COLUMNS = [C("sqbh"), C("lsh", "INTEGER"), C("sxbm"), C("sxmc"), C("bljg"), C("sqrsfzh"), C("sqrdz"), C("sqqd"),
               C("sfyjs"), C("blzt"), C("sqsj", fmt="iso"), C("bjsj", fmt="iso"), C("pdcs"), C("gxsj", fmt="iso")]
STEP_COLUMNS = [C("hjid", "INTEGER"), C("hjbh"), C("sqbh"), C("bmdm"), C("kssj", fmt="iso"), C("wcsj", fmt="iso"),
                C("gxsj", fmt="iso")]
GOV_HOURS = np.array([0, 0, 0, 0, 0, 0, 0, 1, 6, 12, 12, 8, 3, 6, 11, 11, 8, 2, 1, 1, 1, 1, 0, 0], float)


def application(w: World, rng: random.Random, n: int, t: int, at: datetime, until: datetime | None = None
                ) -> tuple[list, list[list]]:
    until = until or w.end
    items = list(codes.SERVICE_ITEM)
    item = rng.choices(items, weights=[codes.SERVICE_ITEM[i][3] for i in items])[0]
    _, name, dept, _, joint = codes.SERVICE_ITEM[item]
    p = w.persons[rng.choice(w.town_persons[t])]
    online = rng.random() < (0.35 if at.weekday() < 5 and 8 <= at.hour < 17 else 0.95)
    visits = 0 if online and rng.random() < 0.8 else rng.choices((1, 2, 3), (80, 15, 5))[0]
    sqbh = f"SQ{t + 1:02d}{at:%Y%m%d}{n:07d}"
    done_at = at + timedelta(hours=rng.uniform(2, 72 if not joint else 240))
    steps: list[list] = []
    if joint:
        last = at
        for k, d in enumerate(codes.JOINT_STEPS[item]):
            start = at + timedelta(hours=rng.uniform(0.2, 4))
            fin = start + timedelta(hours=rng.uniform(2, 96))
            fin_v = fin.replace(microsecond=0) if fin < until else None
            last = max(last, fin)
            steps.append([None, f"{sqbh}-{k + 1}", sqbh, d, start.replace(microsecond=0), fin_v,
                          (fin_v or start).replace(microsecond=0)])
        done_at = last + timedelta(hours=rng.uniform(1, 24))
    if done_at < until:
        status = "退回" if rng.random() < 0.04 else "办结"
        done = done_at.replace(microsecond=0)
    else:
        status, done = rng.choice(("受理", "办理中")), None
    row = [sqbh, n, item, name, dept, p.id_number, p.address, "1" if online else "2", "是" if joint else "否", status,
           at, done, visits, done or at]
    return row, steps


def gov(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[tuple[TableData, list[Plan]], tuple[TableData, list[Plan]]]:
    apps = TableData("gov_service", "sx_sqxx", list(APP_COLUMNS), pk=("sqbh",), unique="lsh", replication="gxsj")
    steps = TableData("gov_service", "yjs_hjxx", list(STEP_COLUMNS), pk=("hjid",), unique="hjbh", replication="gxsj")
    n = 0
    for t in range(w.scale.townships):
        for day, k in w.daily_counts(nrng, 40, weekend=0.25, season=0.1, peak_doy=240):
            for _ in range(k):
                n += 1
                row, st = application(w, rng, n, t, w.time_in_day(rng, day, GOV_HOURS))
                apps.rows.append(row)
                for s in st:
                    s[0] = len(steps.rows) + 1
                    steps.rows.append(s)
    p_apps = [Plan("invalid_id_number", "sqrsfzh"), Plan("unknown_code", "sqqd", "3"), Plan("bad_number", "pdcs"),
              address_plan(apps, "sqrdz", rng), Plan("duplicate", None)]
    p_steps = [Plan("unknown_code", "bmdm", "XXJ"), Plan("bad_date", "wcsj"), Plan("missing_value", "sqbh")]
    return (apps, p_apps), (steps, p_steps)


# ---------------------------------------------------------------------- market inspections
INSPECTION_COLUMNS = [C("jcid", "INTEGER"), C("jcbh"), C("tyshxydm"), C("jclx"), C("jcsj", "INTEGER", "epoch"), C("jcjg"),
                      C("yhs"), C("zgqx", fmt="date"), C("zgwcsj", "INTEGER", "epoch"), C("wgbm"),
                      C("gxsj", "INTEGER", "epoch")]


def inspection_row(w: World, rng: random.Random, n: int, ent_index: int, at: datetime, kind: str | None = None,
                   fail: bool | None = None, until: datetime | None = None) -> list:
    until = until or w.end
    e = w.enterprises[ent_index]
    kind = kind or rng.choices(list(codes.INSPECTION_KIND), (35, 25, 25, 15))[0]
    fail = rng.random() < 0.18 if fail is None else fail
    result = rng.choice(("不合格", "责令整改")) if fail else "合格"
    hazards = rng.randrange(1, 5) if fail else 0
    deadline = (at + timedelta(days=rng.choice((7, 15, 30)))).date() if fail else None
    fixed = None
    if fail:
        f = at + timedelta(days=rng.uniform(2, 40))
        fixed = f.replace(microsecond=0) if f < until else None
    return [n, f"JC{at:%Y%m%d}{n:06d}", e.credit_code, kind, at, result, hazards, deadline, fixed, e.grid.code,
            fixed or at]


def inspections(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("market", "jcjl", list(INSPECTION_COLUMNS), pk=("jcid",), unique="jcbh", replication="gxsj")
    raw = []
    for t in range(w.scale.townships):
        active = [i for i in w.town_enterprises[t] if w.enterprises[i].closed is None]
        per_day = len(active) * 3 / 365
        for day, k in w.daily_counts(nrng, per_day / w.scale.rate, weekend=0.05, season=0.1):
            for _ in range(k):
                raw.append((w.time_in_day(rng, day, GOV_HOURS), rng.choice(active), None, None, False))
        # a factory failing two safety inspections within 90 days
        bad = next((i for i in active if w.enterprises[i].industry == "C"), active[0])
        for d in (70, 12):
            raw.append((w.end - timedelta(days=d, hours=-10), bad, "03", True, True))
    raw.sort(key=lambda r: r[0])
    for n, (at, ent, kind, fail, protect) in enumerate(raw, 1):
        if protect:
            td.protected.add(len(td.rows))
        td.rows.append(inspection_row(w, rng, n, ent, at.replace(microsecond=0), kind, fail))
    plans = [Plan("invalid_credit_code", "tyshxydm"), Plan("bad_number", "yhs"), Plan("unknown_code", "jcjg", "待复查"),
             grid_plan(td, "wgbm")]
    return td, plans


# ---------------------------------------------------------------------- emergency hazards ledger (CSV)
HAZARD_COLUMNS = [C("序号"), C("隐患编号"), C("单位名称"), C("统一社会信用代码"), C("隐患类别"), C("地址"),
                  C("发现日期", fmt="cn"), C("检查结果"), C("隐患数量"), C("整改期限", fmt="cn"),
                  C("整改完成日期", fmt="cn"), C("整改状态"), C("最后更新", fmt="iso")]


def hazard_row(w: World, rng: random.Random, n: int, ent_index: int, found: date, until: datetime | None = None) -> list:
    until = until or w.end
    e = w.enterprises[ent_index]
    kind = rng.choice(list(codes.HAZARD_KIND))
    has = rng.random() < 0.7
    deadline = found + timedelta(days=rng.choice((7, 15, 30, 60))) if has else None
    fixed = None
    if has:
        f = found + timedelta(days=rng.randrange(1, 70))
        fixed = f if f < until.date() else None
    status = "无需整改" if not has else "已整改" if fixed else "逾期未改" if deadline < until.date() else "整改中"
    upd = datetime.combine(fixed or found, datetime.min.time()) + timedelta(hours=rng.uniform(8, 18))
    return [str(n), f"YH{found:%Y%m%d}{n:05d}", e.name, e.credit_code, kind, e.address, found,
            "存在隐患" if has else "无隐患", str(rng.randrange(1, 4) if has else 0), deadline, fixed, status,
            upd.replace(microsecond=0)]


def overdue_hazard(w: World, t: int, n: int) -> list:
    """A hazard found 45 days ago with 30 days to rectify, still open (逾期未改)."""
    rng = random.Random(w.seed * 100 + 70 + t)
    active = [i for i in w.town_enterprises[t] if w.enterprises[i].closed is None]
    ent = next((i for i in active if w.enterprises[i].industry == "E"), active[-1])
    found = w.end.date() - timedelta(days=45)
    row = hazard_row(w, rng, n, ent, found)
    row[4], row[7], row[8] = "建筑施工", "存在隐患", "2"
    row[9], row[10], row[11] = found + timedelta(days=30), None, "逾期未改"
    row[12] = (datetime.combine(found, datetime.min.time()) + timedelta(hours=rng.uniform(8, 18))).replace(microsecond=0)
    return row


def hazards(w: World, rng: random.Random, nrng: np.random.Generator) -> tuple[TableData, list[Plan]]:
    td = TableData("emergency_hazards.csv", "emergency_hazards.csv", list(HAZARD_COLUMNS), pk=("隐患编号",), unique="序号",
                   replication="最后更新", kind="csv")
    n = 0
    for t in range(w.scale.townships):
        ents = w.town_enterprises[t]
        for day, k in w.daily_counts(nrng, 1.5, weekend=0.1, season=0.2, peak_doy=330):
            for _ in range(k):
                n += 1
                td.rows.append(hazard_row(w, rng, n, rng.choice(ents), day))
    for t in range(w.scale.townships):  # a construction firm that let its rectification deadline pass
        n += 1
        td.protected.add(len(td.rows))
        td.rows.append(overdue_hazard(w, t, n))
    plans = [Plan("bad_date", "发现日期"), Plan("invalid_credit_code", "统一社会信用代码"), address_plan(td, "地址", rng),
             Plan("missing_key", "隐患编号"), Plan("unknown_code", "隐患类别", "其他")]
    return td, plans
