"""Every configuration mistake stops with a ConfigError naming the file, the key and the fix;
environment overrides win over the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from cockpit.config import ROOT, ConfigError, load_config

# A valid source: indicator_value needs no location, so it is the smallest complete declaration.
SOURCE = """
[sources.stats]
department = "statistics"
kind = "sql"
url = "sqlite:///{sources_dir}/stats.db"
table = "ydzb"
target = "indicator_value"
primary_key = ["id"]
replication_key = "gxsj"
interval_minutes = 30
[sources.stats.columns]
indicator_code = "zbdm"
area_code = "qydm"
period_start = "tjq"
value = "zbz"
[sources.stats.formats]
period_start = "%Y-%m"
[sources.stats.values.indicator_code]
"A01" = "industrial_output"
"""


def write(tmp_path: Path, main: str, **others: str) -> Path:
    """Write cockpit.toml (and other files, relative to tmp_path); return the main file."""
    for name, body in others.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    path = tmp_path / "cockpit.toml"
    path.write_text(main, encoding="utf-8")
    return path


def load(path: Path, **env: str):
    return load_config(path, env=env)


def error(path: Path, **env: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(path, **env)
    exc = info.value
    message = str(exc)
    # the message a user sees carries all three parts
    assert exc.file in message and f"[{exc.key}]" in message and "Fix: " + exc.fix in message
    assert exc.fix.strip(), "every error must say what to do"
    return exc


def test_valid_config_loads_with_defaults_and_sources(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, '[app]\nport = 9000\n' + SOURCE))
    assert cfg.get("app", "port") == 9000
    assert cfg.get("app", "host") == "127.0.0.1"  # default
    src = cfg.sources["stats"]
    assert src.interval_minutes == 30 and src.primary_key == ("id",)
    assert src.url == f"sqlite:///{ROOT / 'var' / 'sources'}/stats.db"  # {sources_dir} expanded
    assert src.values == {"indicator_code": {"A01": "industrial_output"}}
    assert src.file == tmp_path / "cockpit.toml"


def test_the_shipped_config_is_valid() -> None:
    cfg = load_config(ROOT / "config" / "cockpit.toml", env={})
    assert cfg.sources and all(s.file.name == "demo.toml" for s in cfg.sources.values())


# (main file text, extra files, expected file (relative to tmp_path), expected key, a fragment of the fix)
CASES = {
    "unknown section": ("[nonsense]\na = 1\n", {}, "cockpit.toml", "nonsense", "warehouse"),
    "section not a table": ("app = 3\n", {}, "cockpit.toml", "app", "[app]"),
    "unknown key": ("[app]\ncolour = 'red'\n", {}, "cockpit.toml", "app.colour", "port"),
    "bad URL": ('[warehouse]\nurl = "not a url"\n', {}, "cockpit.toml", "warehouse.url", "postgresql+psycopg://"),
    "unsupported database": ('[warehouse]\nurl = "mysql://u@h/db"\n', {}, "cockpit.toml", "warehouse.url", "postgresql+psycopg://"),
    "bad int": ('[app]\nport = "eighty"\n', {}, "cockpit.toml", "app.port", "8050"),
    "bool where int": ("[app]\nport = true\n", {}, "cockpit.toml", "app.port", "8050"),
    "bad bool": ('[app]\ndemo = "maybe"\n', {}, "cockpit.toml", "app.demo", "true or false"),
    "bad float": ('[etl]\nretry_backoff_seconds = "soon"\n', {}, "cockpit.toml", "etl.retry_backoff_seconds", "2.0"),
    "number where text": ("[app]\nhost = 127\n", {}, "cockpit.toml", "app.host", "quotes"),
    "unknown language": ('[app]\nlanguage = "fr"\n', {}, "cockpit.toml", "app.language", '"zh"'),
    "invalid TOML": ("[app\nport = 1\n", {}, "cockpit.toml", "-", "syntax"),
    "include not a list": ('include = "sources/a.toml"\n', {}, "cockpit.toml", "include", "include = ["),
    "included file with settings": ('include = ["sources/a.toml"]\n', {"sources__a.toml": "[app]\nport = 1\n"},
                                    "sources/a.toml", "app", "cockpit.toml"),
    "duplicate source across includes": ('include = ["sources/a.toml", "sources/b.toml"]\n',
                                         {"sources__a.toml": SOURCE, "sources__b.toml": SOURCE},
                                         "sources/b.toml", "sources.stats", "a.toml"),
    "duplicate source in file and include": ('include = ["sources/a.toml"]\n' + SOURCE, {"sources__a.toml": SOURCE},
                                             "sources/a.toml", "sources.stats", "cockpit.toml"),
    "source not a table": ("[sources]\nstats = 1\n", {}, "cockpit.toml", "sources.stats", "[sources.stats]"),
    "unknown source key": (SOURCE.replace('kind = "sql"', 'kind = "sql"\ncolour = 1'), {}, "cockpit.toml",
                           "sources.stats.colour", "replication_key"),
    "missing source key": (SOURCE.replace('department = "statistics"\n', ""), {}, "cockpit.toml",
                           "sources.stats.department", "add department"),
    "unknown kind": (SOURCE.replace('kind = "sql"', 'kind = "ftp"'), {}, "cockpit.toml", "sources.stats.kind", "csv"),
    "unknown target": (SOURCE.replace('"indicator_value"', '"weather"'), {}, "cockpit.toml", "sources.stats.target",
                       "indicator_value"),
    "bad primary key": (SOURCE.replace('primary_key = ["id"]', "primary_key = []"), {}, "cockpit.toml",
                        "sources.stats.primary_key", '["id"]'),
    "columns not a table": (SOURCE.split("[sources.stats.columns]")[0] + 'columns = "zbdm"\n', {}, "cockpit.toml",
                            "sources.stats.columns", "[sources.stats.columns]"),
    "field not in target": (SOURCE.replace('value = "zbz"', 'value = "zbz"\ncolour = "ys"'), {}, "cockpit.toml",
                            "sources.stats.columns.colour", "period_start"),
    "unmapped required field": (SOURCE.replace('value = "zbz"\n', ""), {}, "cockpit.toml",
                                "sources.stats.columns.value", "add value ="),
    "no location": (SOURCE.replace('target = "indicator_value"', 'target = "inspection"')
                    .split("[sources.stats.columns]")[0]
                    + '[sources.stats.columns]\nkind = "lx"\ninspected_at = "jcsj"\nresult = "jg"\n',
                    {}, "cockpit.toml", "sources.stats.columns", "grid_code"),
    "format on an unmapped field": (SOURCE.replace('period_start = "%Y-%m"', 'period_start = "%Y-%m"\nfoo = "iso"'), {},
                                    "cockpit.toml", "sources.stats.formats.foo", "[sources.stats.columns]"),
    "format on a non-date field": (SOURCE.replace('period_start = "%Y-%m"', 'period_start = "%Y-%m"\nvalue = "iso"'), {},
                                   "cockpit.toml", "sources.stats.formats.value", "remove the format"),
    "unknown date format": (SOURCE.replace('"%Y-%m"', '"yyyy-mm"'), {}, "cockpit.toml",
                            "sources.stats.formats.period_start", "epoch"),
    "value map on an unmapped field": (SOURCE + '[sources.stats.values.foo]\n"1" = "x"\n', {}, "cockpit.toml",
                                       "sources.stats.values.foo", "[sources.stats.columns]"),
    "value map not a table": (SOURCE.replace('[sources.stats.values.indicator_code]\n"A01" = "industrial_output"\n', "")
                              .replace("[sources.stats.columns]", 'values = { area_code = "x" }\n[sources.stats.columns]'),
                              {}, "cockpit.toml", "sources.stats.values.area_code", "[sources.stats.values.area_code]"),
    "sql source without table": (SOURCE.replace('table = "ydzb"\n', ""), {}, "cockpit.toml", "sources.stats.url", "table ="),
    "bad source URL": (SOURCE.replace('"sqlite:///{sources_dir}/stats.db"', '"oracle://db/stats"'), {}, "cockpit.toml",
                       "sources.stats.url", "sqlite:///"),
    "file source without path": (SOURCE.replace('kind = "sql"', 'kind = "csv"'), {}, "cockpit.toml",
                                 "sources.stats.path", "path ="),
    "bad interval": (SOURCE.replace("interval_minutes = 30", "interval_minutes = 0"), {}, "cockpit.toml",
                     "sources.stats.interval_minutes", "interval_minutes = 15"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_config_error_names_file_key_and_fix(tmp_path: Path, case: str) -> None:
    main, others, file, key, fix = CASES[case]
    exc = error(write(tmp_path, main, **others))
    assert Path(exc.file) == (tmp_path / file).resolve()
    assert exc.key == key
    assert fix in exc.fix


def test_missing_config_file_names_it_and_the_variable(tmp_path: Path) -> None:
    exc = error(tmp_path / "nowhere.toml")
    assert Path(exc.file) == tmp_path / "nowhere.toml"
    assert "COCKPIT_CONFIG" in exc.fix


def test_config_file_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[app]\nport = 9100\n")
    assert load_config(env={"COCKPIT_CONFIG": str(path)}).get("app", "port") == 9100


def test_include_of_a_missing_file(tmp_path: Path) -> None:
    exc = error(write(tmp_path, 'include = ["sources/none.toml"]\n'))
    assert "none.toml" in str(exc)
    assert exc.key == "include"
    assert "include" in exc.fix


def test_include_of_a_missing_file_names_the_file(tmp_path: Path) -> None:
    exc = error(write(tmp_path, 'include = ["sources/none.toml"]\n'))
    assert Path(exc.file) == tmp_path / "sources" / "none.toml"
    assert "does not exist" in str(exc)


def test_env_override_of_warehouse_url(tmp_path: Path) -> None:
    path = write(tmp_path, '[warehouse]\nurl = "sqlite:///{var}/other.db"\n')
    url = "postgresql+psycopg://cockpit:secret@db.example:5432/cockpit"
    assert load(path, COCKPIT_WAREHOUSE_URL=url).warehouse_url == url
    assert load(path).warehouse_url == f"sqlite:///{ROOT / 'var'}/other.db"


def test_env_override_with_a_bad_url_names_the_variable(tmp_path: Path) -> None:
    exc = error(write(tmp_path, ""), COCKPIT_WAREHOUSE_URL="mysql://u@h/db")
    assert exc.file == "$COCKPIT_WAREHOUSE_URL"


def test_env_override_with_a_bad_url_is_refused(tmp_path: Path) -> None:
    exc = error(write(tmp_path, ""), COCKPIT_WAREHOUSE_URL="nonsense")
    assert exc.key == "warehouse.url" and "nonsense" in str(exc)


def test_env_override_of_a_bad_int_names_the_variable(tmp_path: Path) -> None:
    exc = error(write(tmp_path, "[app]\nport = 8050\n"), COCKPIT_APP_PORT="eighty")
    assert exc.file == "$COCKPIT_APP_PORT"
    assert exc.key == "app.port"
    assert "8050" in exc.fix


def test_env_overrides_are_typed_and_win_over_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[app]\nport = 8050\ndemo = true\n[etl]\nretry_backoff_seconds = 2.0\n")
    cfg = load(path, COCKPIT_APP_PORT="9001", COCKPIT_APP_DEMO="off", COCKPIT_ETL_RETRY_BACKOFF_SECONDS="0.5",
               COCKPIT_SECRET_KEY="s3cret")
    assert cfg.get("app", "port") == 9001
    assert cfg.get("app", "demo") is False
    assert cfg.get("etl", "retry_backoff_seconds") == 0.5
    assert cfg.get("security", "secret_key") == "s3cret"  # the short alias
