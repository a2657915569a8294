"""``python -m cockpit report`` as a real subprocess (its --json, a week without data, bad input
exiting 2 with a message), ``parse_week``, and the typesetting of a table long enough to span pages
(its header repeated on each), read back with pdftotext."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cockpit.config import ROOT
from cockpit.i18n import t
from cockpit.reports import render
from cockpit.reports.generate import parse_week
from tests.screens import dataset
from tests.screens.dataset import TOWNSHIP

PINNED = "2026-11-18T10:30:00"


def cockpit(*args: str, url: str, timeout: float = 240) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCKPIT_")}
    env.update(COCKPIT_WAREHOUSE_URL=url, COCKPIT_NOW=PINNED)
    return subprocess.run([sys.executable, "-m", "cockpit", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.mark.parametrize("bad", ["2026-47", "2026-W54", "W47", "2026-11", "", "2026-Wxx"])
def test_parse_week_says_how_to_write_one(bad: str) -> None:
    with pytest.raises(ValueError, match="2026-W47"):
        parse_week(bad)


def test_parse_week_reads_an_iso_week() -> None:
    p = parse_week(" 2026-w47 ")
    assert (p.name, p.start.isoformat(), p.end.isoformat()) == ("2026-W47", "2026-11-16", "2026-11-23")
    assert parse_week("2026-W53").name == "2026-W53"  # 2026 has 53 ISO weeks


def test_report_command_json_empty_week_and_bad_input(sqlite_url: str, tmp_path: Path) -> None:
    dataset.build(sqlite_url)
    out = tmp_path / "w47.pdf"
    r = cockpit("report", "--week", "2026-W47", "--out", str(out), "--json", url=sqlite_url)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)  # nothing but the JSON on stdout
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert got["file"] == str(out) and got["bytes"] == len(data)
    assert got["sha256"] == hashlib.sha256(data).hexdigest()
    assert (got["week"], got["township"], got["lang"], got["empty"]) == ("2026-W47", TOWNSHIP, "zh", False)
    info = subprocess.run(["pdfinfo", str(out)], check=True, capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == got["pages"]
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+", info), info  # A4

    # a week before any data: a report that says so, not an error
    empty = tmp_path / "w30.pdf"
    r = cockpit("report", "--week", "2026-W30", "--township", TOWNSHIP, "--lang", "en", "--out", str(empty), "--json",
                url=sqlite_url)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["empty"] is True
    body = squeeze(pdf_text(empty))
    assert squeeze(t("rpt.empty", "en", week="2026-W30")) in body
    assert squeeze(t("rpt.sec.appendix", "en")) in body

    # bad input: exit 2 and a message saying what to write
    r = cockpit("report", "--week", "2026-47", "--out", str(tmp_path / "x.pdf"), url=sqlite_url)
    assert r.returncode == 2 and "2026-W47" in r.stderr and "Traceback" not in r.stderr
    r = cockpit("report", "--week", "2026-W47", "--township", "999", "--out", str(tmp_path / "x.pdf"), "--json",
                url=sqlite_url)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert TOWNSHIP in json.loads(r.stdout)["error"]  # names the townships there are
    r = cockpit("report", "--week", "2027-W10", "--out", str(tmp_path / "x.pdf"), url=sqlite_url)
    assert r.returncode == 2 and "not begun" in r.stderr
    r = cockpit("report", "--week", "2026-W47", "--out", str(tmp_path / "missing" / "x.pdf"), url=sqlite_url)
    assert r.returncode == 2 and "does not exist" in r.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_report_help() -> None:
    r = subprocess.run([sys.executable, "-m", "cockpit", "report", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0 and "--week" in r.stdout and "--json" in r.stdout and "--lang" in r.stdout


def test_a_long_table_repeats_its_header_on_every_page(tmp_path: Path) -> None:
    head = ("表头甲列", "HeaderB", "表头丙列")
    rows = [(f"第{i}行", str(i), "内容" * 3) for i in range(1, 121)]
    html = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"></head><body>'
            + str(render.el("section", [render.el("h2", "长表格"), render.table(head, rows)])) + "</body></html>")
    pdf, pages = render.pdf_bytes(html)
    assert pages >= 2
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf)
    texts = [p for p in pdf_text(path).split("\f") if p.strip()]
    assert len(texts) == pages
    for page in texts:
        assert all(h in page for h in head), page[:200]
    # rows are not lost or repeated at the break
    found = [int(m) for m in re.findall(r"第(\d+)行", "".join(texts))]
    assert found == list(range(1, 121))
