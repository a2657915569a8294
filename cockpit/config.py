"""Configuration: one TOML file (``COCKPIT_CONFIG``, default ``config/cockpit.toml``),
every setting overridable by environment (``COCKPIT_<SECTION>_<KEY>``, e.g.
``COCKPIT_WAREHOUSE_URL``; ``COCKPIT_SECRET_KEY`` is short for ``COCKPIT_SECURITY_SECRET_KEY``).

The file may list ``include = ["sources/demo.toml", ...]`` (relative to itself): included files
hold only ``[sources.NAME]`` blocks, so a new department source is a config entry and no Python.

Every mistake stops with a ``ConfigError`` that names the file, the key and the fix.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cockpit.metrics import DEFAULT_SETTINGS, KpiSettings, KpiSettingsError, settings_from
from cockpit.warehouse.targets import TARGETS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config" / "cockpit.toml"

# section -> key -> default. Types are checked against the defaults' types.
DEFAULTS: dict[str, dict[str, Any]] = {
    "warehouse": {"url": "sqlite:///{var}/warehouse.db"},
    "app": {
        "host": "127.0.0.1",
        "port": 8050,
        "workers": 2,
        "language": "zh",
        "timezone": "Asia/Shanghai",  # period boundaries and display; stored times are wall times of this zone
        "big_screen_period": "last30",  # the big screen's window: a rolling one, so it is never nearly empty
        "refresh_seconds": 60,
        "reload_minutes": 360,
        "demo": True,
    },
    "security": {
        "secret_key": "dev-insecure-secret-change-me",
        "id_salt": "dev-insecure-salt-change-me",
        # who may show the cockpit in a frame (CSP frame-ancestors): 'self', or also the origins of the
        # command-centre wall software, space-separated, e.g. "'self' https://wall.example.gov.cn" (on the
        # cockpit's own registrable domain: browsers withhold the SameSite session cookie from cross-site frames)
        "frame_ancestors": "'self'",
    },
    "etl": {
        "batch_size": 50000,
        "retry_attempts": 3,
        "retry_backoff_seconds": 2.0,
        "prepare_processes": 2,  # worker processes preparing a pass of several sources, or a full one (0: none)
        "stale_after_minutes": 60,
        "duplicate_window_hours": 24,  # a report of the same incident within it is linked to the first (docs/sources.md)
        "fallback_warn_share": 0.10,  # the governance page marks a value map whose "*" entry took this share of a run's rows
    },
    "scheduler": {
        "full_reconcile_hour": 2,
        "full_reconcile_minute": 30,
        "report_day_of_week": "mon",
        "report_hour": 7,
        "report_minute": 30,
        "misfire_grace_seconds": 300,
        "escalation_minutes": 5,  # how often silences expire and unacknowledged warnings escalate, between loads
        "lock_file": "{var}/scheduler.lock",
    },
    "orders": {  # work orders (cockpit.orders): deadlines, and the photos of a result
        "ack_minutes": 60,  # acknowledge within; the resolution deadline is the category's SLA (职责清单)
        "ack_minutes_red": 30,  # the order of a red warning (an elderly person inactive …)
        "photo_max_bytes": 5_000_000,
        "photo_max_count": 6,  # per reported result
    },
    "demo": {"sources_dir": "{var}/sources", "seed": 20261126, "scale": "town", "simulate_interval_seconds": 20},
    "auth": {
        "session_idle_minutes": 60,
        "session_max_hours": 12,
        "login_max_attempts": 5,  # failed logins per username and address in the window (cockpit.auth.ratelimit)
        "login_window_minutes": 15,
        "kiosk_token": "",  # read-only big-screen token (/?kiosk_token=...); empty disables kiosk login
    },
    # a count of people (e.g. 特困 in a grid) under min_count is shown as "<min_count", never as the number
    "privacy": {"min_count": 3},
}

ENV_ALIASES = {"COCKPIT_SECRET_KEY": ("security", "secret_key"), "COCKPIT_ID_SALT": ("security", "id_salt")}

SOURCE_KINDS = ("sql", "csv", "excel")
SOURCE_KEYS = {
    "department", "kind", "url", "path", "table", "target", "primary_key", "replication_key",
    "interval_minutes", "columns", "formats", "values", "constants", "encoding", "delimiter",
    "enabled", "description", "sheet", "replication_format",
}
FALLBACK = "*"  # the value-map entry every code the map does not list goes to
DATE_FORMATS_NAMED = ("iso", "epoch", "epoch_ms", "cn_date", "excel")


class ConfigError(Exception):
    """A configuration mistake: which file, which key, what to do."""

    def __init__(self, file: Path | str, key: str, problem: str, fix: str) -> None:
        self.file, self.key, self.problem, self.fix = str(file), key, problem, fix
        super().__init__(f"{file}: [{key}] {problem}. Fix: {fix}")


@dataclass(frozen=True)
class SourceConfig:
    name: str
    department: str
    kind: str
    target: str
    primary_key: tuple[str, ...]
    columns: dict[str, str]  # input field -> source column
    file: Path  # the TOML file that declares it
    url: str | None = None  # kind = sql
    path: Path | None = None  # kind = csv | excel
    table: str | None = None
    replication_key: str | None = None  # any source column, mapped to a field or not (cockpit/etl/replication.py)
    replication_format: str | None = None  # file sources: the replication column's date format, if no mapped field gives it
    interval_minutes: int = 15
    formats: dict[str, str] = field(default_factory=dict)  # input field -> date format
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # input field -> {source code: unified code}
    constants: dict[str, Any] = field(default_factory=dict)  # input field -> fixed value
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    enabled: bool = True
    description: str = ""

    def key(self, *parts: str) -> str:
        """The dotted config key of this source (for error messages)."""
        return ".".join(("sources", self.name, *parts))


@dataclass(frozen=True)
class Config:
    file: Path
    settings: dict[str, dict[str, Any]]
    sources: dict[str, SourceConfig]
    kpis: KpiSettings = DEFAULT_SETTINGS  # each board's metrics, targets and minimum samples ([kpis])
    rules: Any = None  # the warning rules ([rules]): a cockpit.warnings.rules.RuleSettings
    notify: Any = None  # the notification outbox and its channels ([notify]): a cockpit.notify.settings.NotifySettings
    whistle: Any = None  # a whistle's deadlines ([whistle]): a cockpit.whistles.settings.WhistleSettings
    score: Any = None  # the department score ([score]): a cockpit.whistles.settings.ScoreSettings

    def get(self, section: str, key: str) -> Any:
        return self.settings[section][key]

    @property
    def warehouse_url(self) -> str:
        return self.settings["warehouse"]["url"]

    @property
    def var_dir(self) -> Path:
        return ROOT / "var"


def _expand(value: Any, placeholders: dict[str, str]) -> Any:
    if isinstance(value, str):
        for k, v in placeholders.items():
            value = value.replace("{" + k + "}", v)
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(path, "-", "the configuration file does not exist",
                          "create it, or point COCKPIT_CONFIG at an existing file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "-", f"the file is not valid TOML ({exc})", "correct the syntax at that line") from None


def _coerce(file: Path, key: str, raw: Any, default: Any, from_env: bool) -> Any:
    if isinstance(default, bool):
        if isinstance(raw, bool):
            return raw
        if from_env and str(raw).lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return str(raw).lower() in ("1", "true", "yes", "on")
        raise ConfigError(file, key, f"expected true or false, got {raw!r}", "write true or false")
    if isinstance(default, int):
        try:
            if isinstance(raw, bool):
                raise ValueError
            return int(raw)
        except (TypeError, ValueError):
            raise ConfigError(file, key, f"expected a whole number, got {raw!r}", "write a number such as " + str(default)) from None
    if isinstance(default, float):
        try:
            return float(raw)
        except (TypeError, ValueError):
            raise ConfigError(file, key, f"expected a number, got {raw!r}", "write a number such as " + str(default)) from None
    if not isinstance(raw, str):
        raise ConfigError(file, key, f"expected text, got {raw!r}", "put the value in quotes")
    return raw


def _check_url(file: Path, key: str, url: str) -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(url)
    except ArgumentError:
        raise ConfigError(file, key, f"{url!r} is not a database URL",
                          "use sqlite:///path/to/file.db or postgresql+psycopg://user:pass@host:5432/db") from None
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(file, key, f"database {u.get_backend_name()!r} is not supported",
                          "use a sqlite:/// or postgresql+psycopg:// URL")


def _check_clock(file: Path, settings: dict[str, dict[str, Any]], env: dict[str, str]) -> None:
    """The zone of every "now" and period boundary, and a pinned instant (``COCKPIT_NOW``) if any."""
    from cockpit import clock
    from cockpit.periods import PERIODS

    try:
        clock.set_timezone(settings["app"]["timezone"])
    except clock.ClockError as exc:
        raise ConfigError(file, "app.timezone", str(exc), 'write timezone = "Asia/Shanghai"') from None
    if env.get(clock.ENV_NOW):
        try:
            clock.parse_instant(env[clock.ENV_NOW])
        except clock.ClockError as exc:
            raise ConfigError(f"${clock.ENV_NOW}", clock.ENV_NOW, str(exc), "unset it to follow the real time") from None
    if settings["app"]["big_screen_period"] not in PERIODS or settings["app"]["big_screen_period"] == "custom":
        raise ConfigError(file, "app.big_screen_period", f"unknown period {settings['app']['big_screen_period']!r}",
                          "use one of: " + ", ".join(p for p in PERIODS if p != "custom"))


def load_config(path: Path | str | None = None, env: dict[str, str] | None = None) -> Config:
    """Read, validate and return the configuration. Raises ``ConfigError``."""
    env = dict(os.environ if env is None else env)
    file = Path(path or env.get("COCKPIT_CONFIG") or DEFAULT_CONFIG).resolve()
    data = _read_toml(file)
    includes = data.pop("include", [])
    kpi_block = data.pop("kpis", {})
    rules_block = data.pop("rules", {})
    notify_block = data.pop("notify", {})
    whistle_block = data.pop("whistle", None)
    score_block = data.pop("score", None)
    raw_sources: dict[str, tuple[Path, Any]] = {}
    for name, block in (data.pop("sources", {}) or {}).items():
        raw_sources[name] = (file, block)
    if not isinstance(includes, list):
        raise ConfigError(file, "include", "expected a list of file names", 'write include = ["sources/demo.toml"]')
    for inc in includes:
        inc_file = (file.parent / inc).resolve()
        if not inc_file.is_file():
            raise ConfigError(inc_file, "include", f"the included file does not exist (listed in {file.name})",
                              f"create it, or remove {inc!r} from include in {file.name}")
        inc_data = _read_toml(inc_file)
        extra = set(inc_data) - {"sources"}
        if extra:
            raise ConfigError(inc_file, sorted(extra)[0], "an included file may hold only [sources.NAME] blocks",
                              f"move [{sorted(extra)[0]}] into {file.name}")
        for name, block in (inc_data.get("sources") or {}).items():
            if name in raw_sources:
                raise ConfigError(inc_file, f"sources.{name}", "this source is declared twice",
                                  f"rename one of them (the other is in {raw_sources[name][0].name})")
            raw_sources[name] = (inc_file, block)

    settings: dict[str, dict[str, Any]] = {}
    for section, keys in data.items():
        if section not in DEFAULTS:
            raise ConfigError(file, section, "unknown section",
                              "remove it or use one of: " + ", ".join(sorted(DEFAULTS)) + ", kpis, notify, rules, score, sources, whistle, include")
        if not isinstance(keys, dict):
            raise ConfigError(file, section, "expected a table", f"write it as [{section}]")
        for key in keys:
            if key not in DEFAULTS[section]:
                raise ConfigError(file, f"{section}.{key}", "unknown key",
                                  "remove it or use one of: " + ", ".join(sorted(DEFAULTS[section])))
    for section, defaults in DEFAULTS.items():
        settings[section] = {}
        for key, default in defaults.items():
            env_name = f"COCKPIT_{section.upper()}_{key.upper()}"
            alias = next((a for a, sk in ENV_ALIASES.items() if sk == (section, key) and a in env), None)
            if env_name in env or alias:
                value = _coerce(Path(f"${alias or env_name}"), f"{section}.{key}", env[alias or env_name], default, True)
            elif key in data.get(section, {}):
                value = _coerce(file, f"{section}.{key}", data[section][key], default, False)
            else:
                value = default
            settings[section][key] = value
    var = str(ROOT / "var")
    placeholders = {"var": var, "root": str(ROOT)}
    for section in settings.values():
        for key in section:
            section[key] = _expand(section[key], placeholders)
    placeholders["sources_dir"] = str(Path(settings["demo"]["sources_dir"]).resolve())
    url_env = next((n for n in ("COCKPIT_WAREHOUSE_URL", *(a for a, sk in ENV_ALIASES.items()
                                                           if sk == ("warehouse", "url"))) if n in env), None)
    _check_url(Path(f"${url_env}") if url_env else file, "warehouse.url", settings["warehouse"]["url"])
    if settings["app"]["language"] not in ("zh", "en"):
        raise ConfigError(file, "app.language", f"unknown language {settings['app']['language']!r}", 'use "zh" or "en"')

    _check_clock(file, settings, env)
    if not 0 < settings["etl"]["fallback_warn_share"] <= 1:
        raise ConfigError(file, "etl.fallback_warn_share", f"expected a share between 0 and 1, got {settings['etl']['fallback_warn_share']}",
                          "write fallback_warn_share = 0.1 (10 %)")
    if settings["privacy"]["min_count"] < 1:
        raise ConfigError(file, "privacy.min_count", f"expected a whole number ≥ 1, got {settings['privacy']['min_count']}",
                          "write min_count = 3")

    if not isinstance(kpi_block, dict):
        raise ConfigError(file, "kpis", "expected a table", "write it as [kpis]")
    try:
        kpis = settings_from(kpi_block)
    except KpiSettingsError as exc:
        raise ConfigError(file, exc.key, exc.problem, exc.fix) from None

    rules = _rules(file, rules_block)
    notify = _notify(file, notify_block, env)
    whistle, score = _whistle_and_score(file, whistle_block, score_block)
    sources = {name: _source(name, block, f, placeholders) for name, (f, block) in raw_sources.items()}
    return Config(file=file, settings=settings, sources=sources, kpis=kpis, rules=rules, notify=notify,
                  whistle=whistle, score=score)


def _rules(file: Path, block: Any) -> Any:
    """``[rules]``: the warning rules, the defaults changed and extended by it (``cockpit.warnings.rules``)."""
    from cockpit.warnings.rules import RuleSettingsError, rules_from

    if not isinstance(block, dict):
        raise ConfigError(file, "rules", "expected a table", "write it as [rules]")
    try:
        return rules_from(block)
    except RuleSettingsError as exc:
        raise ConfigError(file, exc.key, exc.problem, exc.fix) from None


def _notify(file: Path, block: Any, env: dict[str, str]) -> Any:
    """``[notify]``: the notification outbox and its channels (``cockpit.notify.settings``)."""
    from cockpit.notify.settings import NotifySettingsError, notify_from

    try:
        return notify_from(block, env)
    except NotifySettingsError as exc:
        raise ConfigError(file, exc.key, exc.problem, exc.fix) from None


def _whistle_and_score(file: Path, whistle_block: Any, score_block: Any) -> tuple[Any, Any]:
    """``[whistle]`` and ``[score]``: a whistle's deadlines and the department score
    (``cockpit.whistles.settings``)."""
    from cockpit.whistles.settings import WhistleSettingsError, score_from, whistle_from

    try:
        return whistle_from(whistle_block), score_from(score_block)
    except WhistleSettingsError as exc:
        raise ConfigError(file, exc.key, exc.problem, exc.fix) from None


def _source(name: str, block: Any, file: Path, placeholders: dict[str, str]) -> SourceConfig:
    key = f"sources.{name}"
    if not isinstance(block, dict):
        raise ConfigError(file, key, "expected a table", f"write it as [{key}]")
    unknown = set(block) - SOURCE_KEYS
    if unknown:
        u = sorted(unknown)[0]
        raise ConfigError(file, f"{key}.{u}", "unknown key", "remove it or use one of: " + ", ".join(sorted(SOURCE_KEYS)))
    for required in ("department", "kind", "target", "primary_key", "columns"):
        if required not in block:
            raise ConfigError(file, f"{key}.{required}", "missing", f"add {required} = ... to [{key}]")
    kind = block["kind"]
    if kind not in SOURCE_KINDS:
        raise ConfigError(file, f"{key}.kind", f"unknown kind {kind!r}", "use one of: " + ", ".join(SOURCE_KINDS))
    target = TARGETS.get(block["target"])
    if target is None:
        raise ConfigError(file, f"{key}.target", f"unknown target {block['target']!r}",
                          "use one of: " + ", ".join(sorted(TARGETS)))
    pk = block["primary_key"]
    pk = (pk,) if isinstance(pk, str) else tuple(pk)
    if not pk or not all(isinstance(c, str) and c for c in pk):
        raise ConfigError(file, f"{key}.primary_key", "expected a column name or a list of them", 'write primary_key = ["id"]')
    columns = block["columns"]
    constants = block.get("constants", {})
    for sect, mapping in (("columns", columns), ("constants", constants)):
        if not isinstance(mapping, dict):
            raise ConfigError(file, f"{key}.{sect}", "expected a table", f"write it as [{key}.{sect}]")
        for fld in mapping:
            if fld not in target.fields:
                raise ConfigError(file, f"{key}.{sect}.{fld}", f"target {block['target']!r} has no field {fld!r}",
                                  "use one of: " + ", ".join(target.fields))
    for fld, spec in target.fields.items():
        if spec.required and fld not in columns and fld not in constants:
            raise ConfigError(file, f"{key}.columns.{fld}", f"required field {fld!r} is not mapped",
                              f"add {fld} = \"<source column>\" to [{key}.columns] or a constant to [{key}.constants]")
    if target.located and not ({"grid_code", "address", "lon"} & set(columns)):
        raise ConfigError(file, f"{key}.columns", "no location: rows could not be placed on a grid",
                          "map grid_code, address, or lon and lat")
    formats = block.get("formats", {})
    for fld, fmt in formats.items():
        if fld not in columns:
            raise ConfigError(file, f"{key}.formats.{fld}", f"{fld!r} is not mapped in columns", f"map it in [{key}.columns] or remove the format")
        if target.fields[fld].type not in ("datetime", "date"):
            raise ConfigError(file, f"{key}.formats.{fld}", f"{fld!r} is not a date or time field", "remove the format")
        if fmt not in DATE_FORMATS_NAMED and "%" not in fmt:
            raise ConfigError(file, f"{key}.formats.{fld}", f"unknown date format {fmt!r}",
                              "use " + ", ".join(DATE_FORMATS_NAMED) + " or a strftime pattern such as \"%Y/%m/%d %H:%M\"")
    values = block.get("values", {})
    for fld, mapping in values.items():
        if fld not in columns:
            raise ConfigError(file, f"{key}.values.{fld}", f"{fld!r} is not mapped in columns", f"map it in [{key}.columns] or remove the value map")
        if not isinstance(mapping, dict):
            raise ConfigError(file, f"{key}.values.{fld}", "expected a table of source code = unified code", f"write it as [{key}.values.{fld}]")
        _check_value_map(file, key, block["target"], fld, mapping)
    _check_constants(file, key, block["target"], constants)
    _check_department(file, key, block["department"])
    rep_fmt = block.get("replication_format")
    if rep_fmt is not None:
        if not isinstance(rep_fmt, str) or (rep_fmt not in DATE_FORMATS_NAMED and "%" not in rep_fmt):
            raise ConfigError(file, f"{key}.replication_format", f"unknown date format {rep_fmt!r}",
                              "use " + ", ".join(DATE_FORMATS_NAMED) + " or a strftime pattern such as \"%Y/%m/%d %H:%M\"")
        if not block.get("replication_key"):
            raise ConfigError(file, f"{key}.replication_format", "there is no replication_key to read in this format",
                              "add replication_key = \"<last-changed column>\" or remove replication_format")
        if kind == "sql":
            raise ConfigError(file, f"{key}.replication_format", "a sql source compares its replication column in "
                              "the column's own type, not in a date format", "remove replication_format")
    url = block.get("url")
    path = block.get("path")
    if kind == "sql":
        if not url or not block.get("table"):
            raise ConfigError(file, f"{key}.url", "a sql source needs url and table", 'add url = "sqlite:///..." and table = "..."')
        url = _expand(url, placeholders)
        _check_url(file, f"{key}.url", url)
    else:
        if not path:
            raise ConfigError(file, f"{key}.path", f"a {kind} source needs a path", 'add path = "{sources_dir}/ledger.csv"')
        path = Path(_expand(path, placeholders))
        if not path.is_absolute():
            path = (file.parent / path).resolve()
    interval = block.get("interval_minutes", 15)
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 1:
        raise ConfigError(file, f"{key}.interval_minutes", f"expected a whole number of minutes ≥ 1, got {interval!r}", "write interval_minutes = 15")
    return SourceConfig(
        name=name, department=block["department"], kind=kind, target=block["target"], primary_key=pk,
        columns=dict(columns), file=file, url=url, path=path, table=block.get("table"),
        replication_key=block.get("replication_key"), replication_format=block.get("replication_format"),
        interval_minutes=interval, formats=dict(formats),
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()}, constants=dict(constants),
        encoding=block.get("encoding", "utf-8"), delimiter=block.get("delimiter", ","), sheet=block.get("sheet"),
        enabled=bool(block.get("enabled", True)), description=block.get("description", ""),
    )


def _suggest(value: str, choices: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def _check_value_map(file: Path, key: str, target: str, fld: str, mapping: dict[str, Any]) -> None:
    """Every unified code a value map gives (the ``"*"`` fallback too) is in the field's unified code
    list (``cockpit/unified_codes.py``); area codes are checked against the warehouse instead
    (``cockpit.etl.value_maps.unknown_location_targets``)."""
    from cockpit.unified_codes import code_list

    listed = code_list(target, fld)
    for src, unified in mapping.items():
        entry = f'{key}.values.{fld}."{src}"'
        if not isinstance(unified, (str, int)) or isinstance(unified, bool) or str(unified).strip() == "":
            raise ConfigError(file, entry, f"expected a unified code, got {unified!r}", 'write "<source code>" = "<unified code>"')
        if listed is None or (src == FALLBACK and unified == FALLBACK):  # "*" = "*": unlisted values pass unchanged
            continue
        codes, where = listed
        if str(unified) not in codes:
            what = "fallback" if src == FALLBACK else f"code {src!r}"
            raise ConfigError(file, entry, f"the {what} maps to {str(unified)!r}, which is not a {fld} code of the unified list",
                              _suggest(str(unified), codes) + "map it to one of: " + ", ".join(codes) + f" ({where})")


def _check_constants(file: Path, key: str, target: str, constants: dict[str, Any]) -> None:
    """A constant of a coded field is one of its unified codes, as a value map's targets are."""
    from cockpit.unified_codes import code_list

    for fld, value in constants.items():
        listed = code_list(target, fld)
        if listed is None:
            continue
        codes, where = listed
        if str(value) not in codes:
            raise ConfigError(file, f"{key}.constants.{fld}", f"{value!r} is not a {fld} code of the unified list",
                              _suggest(str(value), codes) + "use one of: " + ", ".join(codes) + f" ({where})")


def _check_department(file: Path, key: str, department: Any) -> None:
    from cockpit.reference import DEPARTMENTS

    codes = tuple(d.code for d in DEPARTMENTS)
    if department not in codes:
        raise ConfigError(file, f"{key}.department", f"unknown department {department!r}",
                          _suggest(str(department), codes) + "use one of the department codes of cockpit/reference.py: "
                          + ", ".join(codes))
