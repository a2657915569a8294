"""The generic ETL engine: declared sources (``config/sources/*.toml``) into the warehouse.

Public API (the CLI and the scheduler call these)::

    run_sources(config, engine, *, names=None, full=False, stop=None, now=clock.now) -> list[RunResult]
    run_source(config, engine, source, *, full=False, stop=None, now=clock.now) -> RunResult
    mark_abandoned_runs(engine) -> int

Modules: ``extract`` (read sources in batches from the watermark), ``parse`` (dates, check digits),
``steps`` (the standardisation pipeline), ``value_maps`` (a department's values onto the unified
ones, the ``"*"`` fallback and its counts), ``replication`` (incremental by which column, or by row
hashes), ``locate`` (grid from code, address or coordinates),
``load`` (bulk upsert per engine), ``quarantine`` (dq_issue), ``watermark``, ``runs`` (etl_run),
``engine`` (one source's run), ``parallel`` (worker processes preparing sources), ``passes`` (a pass
over several sources and its after-load hooks).
"""

from cockpit.etl.engine import RunResult, load_context, run_source
from cockpit.etl.passes import UnknownSource, run_sources
from cockpit.etl.runs import mark_abandoned_runs

__all__ = ["RunResult", "UnknownSource", "load_context", "mark_abandoned_runs", "run_source", "run_sources"]
