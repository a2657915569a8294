"""The key figures (KPIs) of the boards, defined once as data.

A metric says what it counts, over which cases, with which time dimension, from what sample on a
rate or a mean means something, its target and direction. The screens, the CLI
(``python -m cockpit kpis``) and docs/metrics.md (written from ``markdown()``) read these
definitions, so a number means the same everywhere and says what it means on hover.

Each board's cards, their order and their targets are configuration (``[kpis]`` in the TOML file,
checked by ``settings_from``); the defaults below are what the cockpit shows without it.
Department-delivered indicators (industrial output, 三会一课 …) are metrics too: their code comes
from the reference list, their target from the indicator table unless configured.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from cockpit.i18n import UNIT_CODES, t
from cockpit.reference import BOARDS, INDICATORS


@dataclass(frozen=True)
class Metric:
    key: str  # short name, also the catalogue keys kpi.<key> (label) and def.<key> (definition)
    kind: str  # event | service | sensor | indicator: where its figures come from
    type: str  # count | ratio | mean | latest (a department's latest delivered month)
    unit: str  # catalogue key of the unit (unit.<unit>)
    higher_is_better: bool | None  # None: neither (a volume)
    target: float | None = None
    sample: str | None = None  # the figure that counts the cases a ratio or mean is taken over
    min_sample_key: str = "min_cases"  # which minimum applies: min_cases or min_readings
    time: str = "reported"  # the time dimension that places a case in a period (catalogue time.<…>)

    @property
    def label_key(self) -> str:
        return f"kpi.{self.key}"

    @property
    def definition_key(self) -> str:
        return f"def.{self.key}"


EVENT_METRICS = (
    Metric("events", "event", "count", "case", None),
    Metric("open", "event", "count", "case", False, time="as_of"),
    Metric("overdue_open", "event", "count", "case", False, time="as_of"),
    Metric("resolution_rate", "event", "ratio", "pct", True, 90.0, sample="n_reported"),
    Metric("response_hours", "event", "mean", "hour", False, 2.0, sample="n_responded"),
    Metric("satisfaction", "event", "mean", "score", True, 4.5, sample="n_rated"),
    Metric("late", "event", "count", "case", False, time="resolved_in"),
)
SERVICE_METRICS = (
    Metric("applications", "service", "count", "case", None, time="submitted"),
    Metric("one_visit_rate", "service", "ratio", "pct", True, 90.0, sample="n_completed", time="submitted"),
    Metric("online_share", "service", "ratio", "pct", True, 60.0, sample="n", time="submitted"),
)
SENSOR_METRICS = (
    Metric("pm25", "sensor", "mean", "ugm3", False, 35.0, sample="n", min_sample_key="min_readings", time="measured"),
)
# the units of delivered indicators (as the reference list writes them) -> catalogue unit keys
INDICATOR_METRICS = tuple(
    Metric(i.code, "indicator", "latest", UNIT_CODES[i.unit], i.higher_is_better, i.target, time="month") for i in INDICATORS
)
_INDICATOR_NAMES = {i.code: {"zh": i.name_zh, "en": i.name_en} for i in INDICATORS}
METRICS: dict[str, Metric] = {m.key: m for m in EVENT_METRICS + SERVICE_METRICS + SENSOR_METRICS + INDICATOR_METRICS}

DEFAULT_BOARDS: dict[str, tuple[str, ...]] = {
    "party": ("sanhui_yike_rate", "cadre_eval_score", "party_members", "party_branches", "events", "open",
              "resolution_rate"),
    "economy": ("industrial_output", "tax_revenue", "fixed_asset_investment", "pm25", "living_env_score", "events",
                "open", "resolution_rate"),
    "safety": ("events", "open", "overdue_open", "resolution_rate", "response_hours", "satisfaction", "late"),
    "services": ("applications", "one_visit_rate", "online_share", "family_doctor_rate", "enrolment_rate", "events",
                 "open", "resolution_rate"),
}
DEFAULT_MINIMUMS = {"min_cases": 5, "min_readings": 24}


@dataclass(frozen=True)
class KpiSettings:
    """Each board's metrics in display order, with their targets; the minimum samples."""

    boards: Mapping[str, tuple[Metric, ...]] = field(default_factory=dict)
    min_cases: int = DEFAULT_MINIMUMS["min_cases"]
    min_readings: int = DEFAULT_MINIMUMS["min_readings"]

    def __hash__(self) -> int:  # a query argument: cached by value
        return hash((tuple((b, ms) for b, ms in sorted(self.boards.items())), self.min_cases, self.min_readings))

    def of(self, board: str) -> tuple[Metric, ...]:
        return tuple(self.boards.get(board, ()))

    def minimum(self, m: Metric) -> int:
        """The smallest sample a ratio or mean of ``m`` is shown from (0: a count, always shown)."""
        return getattr(self, m.min_sample_key) if m.sample else 0


class KpiSettingsError(ValueError):
    """A mistake in ``[kpis]``: ``key`` (dotted), what is wrong, and what to write instead."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key, self.problem, self.fix = key, problem, fix
        super().__init__(f"[{key}] {problem}. Fix: {fix}")


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KpiSettingsError(key, f"expected a number, got {value!r}", "write a number such as 90.0")
    return float(value)


def settings_from(block: Mapping[str, Any] | None) -> KpiSettings:
    """``[kpis]`` of the configuration as settings, checked like a source block::

        [kpis]
        min_cases = 5            # a rate or mean over fewer cases shows 样本不足
        min_readings = 24        # the same for sensor means
        [kpis.boards]
        safety = ["events", "open", "overdue_open", "resolution_rate"]
        [kpis.targets]
        resolution_rate = 95.0
    """
    block = dict(block or {})
    unknown = set(block) - {"boards", "targets", *DEFAULT_MINIMUMS}
    if unknown:
        raise KpiSettingsError(f"kpis.{sorted(unknown)[0]}", "unknown key",
                               "use boards, targets, " + ", ".join(DEFAULT_MINIMUMS))
    minimums = {}
    for name, default in DEFAULT_MINIMUMS.items():
        value = block.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise KpiSettingsError(f"kpis.{name}", f"expected a whole number ≥ 1, got {value!r}", f"write {name} = {default}")
        minimums[name] = value
    targets = block.get("targets", {}) or {}
    if not isinstance(targets, dict):
        raise KpiSettingsError("kpis.targets", "expected a table of metric = target", "write it as [kpis.targets]")
    for key, value in targets.items():
        if key not in METRICS:
            raise KpiSettingsError(f"kpis.targets.{key}", "unknown metric", "use one of: " + ", ".join(METRICS))
        if METRICS[key].higher_is_better is None:
            raise KpiSettingsError(f"kpis.targets.{key}", "a volume has no target (neither more nor less is better)",
                                   "remove it")
        _number(f"kpis.targets.{key}", value)
    boards = block.get("boards", {}) or {}
    if not isinstance(boards, dict):
        raise KpiSettingsError("kpis.boards", "expected a table of board = [metrics]", "write it as [kpis.boards]")
    order: dict[str, tuple[str, ...]] = dict(DEFAULT_BOARDS)
    for board, keys in boards.items():
        if board not in BOARDS:
            raise KpiSettingsError(f"kpis.boards.{board}", "unknown board", "use one of: " + ", ".join(BOARDS))
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise KpiSettingsError(f"kpis.boards.{board}", "expected a list of metric names", f'write {board} = ["events"]')
        for k in keys:
            if k not in METRICS:
                raise KpiSettingsError(f"kpis.boards.{board}", f"unknown metric {k!r}", "use one of: " + ", ".join(METRICS))
            if METRICS[k].kind == "indicator" and next(i for i in INDICATORS if i.code == k).board != board:
                raise KpiSettingsError(f"kpis.boards.{board}", f"indicator {k!r} belongs to another board",
                                       "list it under its own board")
        if len(set(keys)) != len(keys):
            raise KpiSettingsError(f"kpis.boards.{board}", "a metric is listed twice", "list each metric once")
        order[board] = tuple(keys)
    resolved = {b: tuple(replace(METRICS[k], target=_number(f"kpis.targets.{k}", targets[k])) if k in targets
                         else METRICS[k] for k in keys) for b, keys in order.items()}
    return KpiSettings(boards=resolved, **minimums)


DEFAULT_SETTINGS = settings_from({})


def label(m: Metric, lang: str) -> str:
    """The metric's name in ``lang``."""
    return _INDICATOR_NAMES[m.key][lang] if m.kind == "indicator" else t(m.label_key, lang)


def describe(settings: KpiSettings, lang: str = "zh") -> list[dict]:
    """Every metric a board shows, for the CLI and docs: board, key, name, type, unit, direction,
    target, minimum sample, time dimension and definition."""
    out = []
    for board in BOARDS:
        for m in settings.of(board):
            out.append({"board": board, "key": m.key, "name": label(m, lang), "kind": m.kind, "type": m.type,
                        "unit": t(f"unit.{m.unit}", lang), "higher_is_better": m.higher_is_better, "target": m.target,
                        "min_sample": settings.minimum(m) or None, "time": t(f"time.{m.time}", lang),
                        "definition": t(m.definition_key if m.kind != "indicator" else "def.indicator", lang)})
    return out


METRICS_INTRO = """
# Metrics: what each number means

Written from `cockpit/metrics.py` by `python -m cockpit kpis --markdown` (a test checks that this file
is current). The screens show the same definition when the pointer rests on a card.

## Time

- One clock (`cockpit/clock.py`) gives every "now" and "today": pages, query defaults, ETL run records,
  audit rows, sessions, the scheduler's cron times, the demo generator and the simulator.
  `COCKPIT_NOW=2026-12-01T00:05:00` or `python -m cockpit --as-of 2026-12-01T00:05:00 …` stops it at that
  instant.
- Every stored time is a wall-clock time of China Standard Time (`app.timezone`, `Asia/Shanghai`) without
  an offset, whatever the server's own zone: dates in the sources are read as Beijing time, epoch seconds
  are converted to it, and `now()` is Beijing time too, so a day starts at 00:00 Beijing time on a UTC host.
  Period boundaries are whole days of that zone.

## Periods and what they are compared with

| period | 中文 | the days it covers | compared with |
|---|---|---|---|
| `last7`, `last30` | 近7天 / 近30天 | the 7 (30) days ending today, today included | the 7 (30) days just before |
| `last12m` | 近12个月 | the 12 months ending today | the 12 months just before |
| `week` | 本周 | Monday to today while it runs (ISO weeks) | last week's same days (较上周同期); a finished week: the whole week before |
| `month` | 本月 | the 1st to today while it runs | the same days of the month before, at most its last day (较上月同期: 1–31 March against 1–28 February); a finished month: the whole month before |
| `quarter`, `year` | 本季度 / 本年 | likewise | likewise (较上季度同期, 较上年同期) |
| `custom` | 自定义 | the chosen days | the block of equal length just before |

A running period's figures are taken at the current instant and the comparison's at the corresponding
instant of its own last day (at 10:30 on 15 December, the backlog is compared with the backlog at 10:30
on 15 November). Periods are whole days: today counts as a day while it runs. Every card says what it is
compared with. The big screen shows a rolling window (`app.big_screen_period`, `last30` by default) so that
it is never nearly empty on the first of a month or a Monday.

## Rules every figure follows

- **Minimum sample.** A rate or a mean over fewer cases than `kpis.min_cases` (5), or a sensor mean over
  fewer readings than `kpis.min_readings` (24), shows 样本不足 (too few cases) with the count instead of
  a number, and is not compared.
- **Open** is open at the end of the view: reported before that instant and neither resolved nor closed by
  it, from the lifecycle times (an event marked resolved or closed without a time counts as closed).
- **Deadline** of an event: the one the source gives (12345 orders carry one), else the report time plus
  the SLA hours of its category, for every channel.
- **Duplicates**: one incident reported twice (same reporter, category and grid within
  `etl.duplicate_window_hours`, across channels) is linked to the first report by `duplicate_of` and
  counted once.
- **Department deliveries**: a township figure combined from the villages' monthly deliveries says how many
  villages delivered ("11/12 村已报送"); a month that not every village delivered is not compared with
  another as if alike.
"""


def markdown(settings: KpiSettings = DEFAULT_SETTINGS) -> str:
    """docs/metrics.md: the definitions in words, then each board's metrics (written from the data above)."""
    lines = [METRICS_INTRO.strip(), ""]
    for board in BOARDS:
        lines += [f"## {BOARDS[board][1]} ({BOARDS[board][0]}, `{board}`)", "",
                  "| metric | 指标 | type | unit | better | target | min. sample | placed in a period by | definition |",
                  "|---|---|---|---|---|---|---|---|---|"]
        en, zh = {r["key"]: r for r in describe(settings, "en")}, {r["key"]: r for r in describe(settings, "zh")}
        for m in settings.of(board):
            e, z = en[m.key], zh[m.key]
            better = "—" if m.higher_is_better is None else "higher" if m.higher_is_better else "lower"
            target = "—" if m.target is None else f"{m.target:g}"
            lines.append(f"| `{m.key}` {e['name']} | {z['name']} | {m.type} | {e['unit']} | {better} | {target} | "
                         f"{e['min_sample'] or '—'} | {e['time']} | {e['definition']} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
