"""One score everywhere: for the same period and township, the ranking page's scores, the big
screen's ranking slot and ``python -m cockpit score --period P --township T --json`` (run in a
subprocess on the same warehouse and clock) are equal, over the whistles of ``test_ranking``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from cockpit import clock
from cockpit.i18n import t
from tests.screens.conftest import ROOT
from tests.screens.test_access import Session
from tests.screens.test_ranking import TOWNSHIP, month, page_order, page_scores, scored  # noqa: F401 (fixture)
from tests.screens.test_warning_screens import node


def cli_scores(url: str, period: str) -> dict:
    env = {**os.environ, "COCKPIT_WAREHOUSE_URL": url, "COCKPIT_NOW": clock.now().isoformat(), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "cockpit", "score", "--period", period, "--township", TOWNSHIP, "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_page_the_big_screen_and_the_command_line_give_the_same_scores(cockpit, scored):  # noqa: F811
    p = month()
    cli = cli_scores(scored, p.name)
    assert (cli["period"], cli["township"]) == (p.name, TOWNSHIP)
    last = p.end - timedelta(days=1)
    assert cli["start"] == p.start.isoformat() and cli["end"] in (p.end.isoformat(), last.isoformat())  # [start, end) or its last day
    assert cli["as_of"].replace("T", " ").startswith(clock.now().strftime("%Y-%m-%d %H:%M"))
    rows = cli["rows"]
    assert len(rows) == 7 and any(r["insufficient"] for r in rows) and len({r["grade"] for r in rows if r["grade"]}) >= 4

    s = Session(cockpit, "lead")
    page = s.page("/ranking", f"?period={p.name}&township={TOWNSHIP}")
    assert page_order(page) == [r["department"] for r in rows]
    assert page_scores(page) == {r["department"]: (f"{r['score']:.1f}" if r["score"] is not None
                                                   else t("score.insufficient", "zh")) for r in rows}
    for r in rows:
        assert (node(page, f"rk-rank-{r['department']}")["props"]["children"]) == (str(r["rank"]) if r["rank"] else "—")

    from pages.bigscreen import RANKING_TOP

    big = node(s.page("/"), "big-ranking")["props"]["figure"]["data"][0]
    scored_rows = [r for r in rows if r["score"] is not None][:RANKING_TOP]
    assert big["customdata"] == [r["department"] for r in scored_rows]
    assert big["x"] == [round(r["score"], 1) for r in scored_rows]
    assert [x.split(" · ")[1] for x in big["text"]] == [r["grade"] for r in scored_rows]
    # the weights the command line used are the page's formula
    from pages._common import config
    from queries.score import settings

    assert cli["weights"] == dict(settings(config()).weights)
    assert cli["min_sample"] == settings(config()).min_sample
