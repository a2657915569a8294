"""A pass on several cores: worker processes prepare the sources, the loading process writes.

Preparing a batch (reading the source, standardising, hashing) is Python work; the warehouse
takes one writer. Each worker process takes the next source not yet taken, prepares its batches
from the source's watermark (read when the pass starts; everything in a full pass) and sends them
to the loading process, which writes whatever batch arrives, each in its own transaction with its
quarantine rows, watermark and run counts, exactly as a one-process pass does. A source's batches
arrive and are written in their order; batches of different sources interleave.

A worker retries an unavailable source with the same backoff as the one-process pass, from the
same watermark (rows written by the failed attempt are read again and found unchanged).
A source's failure is sent to the loading process, which records it; the other sources go on.
On ``stop`` the loading process ends after the batch it is writing: sources being loaded are
recorded as interrupted, sources not started are skipped, and the workers are stopped.

Workers are started from a fork server (a clean process started once, with the ETL modules
imported), so starting them is quick and never copies the threads of a running scheduler.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from cockpit.config import Config, SourceConfig
from cockpit.etl import engine as etl
from cockpit.etl import watermark
from cockpit.etl.extract import SourceUnavailable
from cockpit.etl.steps import Context
from cockpit.privacy import masked_logger
from cockpit import clock

log = masked_logger(__name__)  # exception messages may quote source values

DEPTH = 2  # prepared batches waiting per worker, at most
POLL_SECONDS = 0.2


def processes_for(config: Config, sources: list[SourceConfig], *, full: bool) -> int:
    """How many worker processes a pass of ``sources`` uses (0: prepare in the loading process).
    An incremental pass of one source (the scheduler's usual run) reads the few rows changed since
    its watermark: starting a process and sending it the area registry would cost more than the
    overlap of its preparing and writing gains."""
    if len(sources) == 1 and not full:
        return 0
    wanted = int(config.get("etl", "prepare_processes"))
    return max(0, min(wanted, len(sources)))


def _context() -> multiprocessing.context.BaseContext:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["cockpit.etl.parallel"])
    return ctx


@dataclass
class _Source:
    """The loading process's view of one source of the pass."""

    config: SourceConfig
    result: etl.RunResult | None = None  # set when its worker begins it
    fresh: bool = False
    done: bool = False


def run(config: Config, engine: Engine, sources: list[SourceConfig], context: Context, results: list[etl.RunResult], *,
        processes: int, full: bool, stop: threading.Event | None) -> None:
    """Load ``sources`` (no area source among them), prepared by ``processes`` workers; append
    their results to ``results`` in the order of ``sources``."""
    with engine.connect() as conn:  # only this pass moves them (after it has read them)
        since = [None if full else watermark.get(conn, src.name) for src in sources]
    mp = _context()
    todo = mp.Queue()
    for i in range(len(sources)):
        todo.put(i)
    for _ in range(processes):
        todo.put(None)
    out = mp.Queue(maxsize=DEPTH * processes)
    cancel = mp.Event()
    copy_text = engine.dialect.name == "postgresql"
    # pickled once for all workers: starting a worker then only copies bytes into its pipe, where
    # pickling the area registry for each one kept this process from writing for a part of a second
    job = pickle.dumps((config, sources, since, full, context, copy_text, os.getpid(), clock.state()),
                       protocol=pickle.HIGHEST_PROTOCOL)
    workers = [mp.Process(target=_work, args=(job, todo, out, cancel), name=f"etl-prepare-{n}", daemon=True)
               for n in range(processes)]
    for w in workers:
        w.start()
    state = [_Source(src) for src in sources]
    try:
        _receive(engine, state, out, workers, full=full, stop=stop)
    finally:
        cancel.set()
        _stop_workers(workers, out)
        todo.close()
        # stopped (or the loading process is failing): what was being loaded is interrupted
        _finish_unfinished(engine, state, "interrupted", etl.STOPPED_BETWEEN_BATCHES)
        results.extend(st.result for st in state if st.result is not None)


def _receive(engine: Engine, state: list[_Source], out: Any, workers: list, *, full: bool,
             stop: threading.Event | None) -> None:
    exited = 0
    while exited < len(workers):
        if stop is not None and stop.is_set():
            return
        try:
            msg = out.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if not any(w.is_alive() for w in workers) and out.empty():
                _finish_unfinished(engine, state, "failed", "a worker process preparing the batches ended unexpectedly")
                return
            continue
        kind, i = msg[0], msg[1]
        st = state[i] if i is not None else None
        if kind == "exit":
            exited += 1
        elif kind == "begin":
            st.result = etl.begin_run(engine, st.config, full=full, now=clock.now)
            st.fresh = st.result.watermark_after is None
        elif st.done:  # the source failed while writing: the rest of its batches is dropped
            continue
        elif kind == "batch":
            try:
                st.fresh = etl.write_batch(engine, st.config, msg[2], st.result, fresh=st.fresh)
            except Exception as exc:  # writing failed: this source fails, the others go on
                _finish(engine, st, "failed", etl.failure_text(exc, st.config))
        elif kind == "retry":
            st.result.attempts = msg[2]
            st.fresh = st.result.watermark_after is None
        elif kind == "end":
            _finish(engine, st, "success", None)
        elif kind == "failed":
            _finish(engine, st, "failed", msg[2])


def _finish(engine: Engine, st: _Source, status: str, error: str | None) -> None:
    st.result.status, st.result.error = status, error
    etl.finish_run(engine, st.result, now=clock.now)
    st.done = True


def _finish_unfinished(engine: Engine, state: list[_Source], status: str, error: str) -> None:
    """Record every begun source that has not ended with ``status`` and ``error``."""
    for st in state:
        if st.result is not None and not st.done:
            _finish(engine, st, status, error)


def _stop_workers(workers: list, out: Any) -> None:
    """Let the workers end (they see ``cancel`` between batches and while waiting to send), taking
    what they still send; a worker that does not end in time is terminated."""
    deadline = time.monotonic() + 30
    while any(w.is_alive() for w in workers) and time.monotonic() < deadline:
        try:
            out.get(timeout=POLL_SECONDS)
        except queue.Empty:
            continue
    for w in workers:
        if w.is_alive():
            w.terminate()
        w.join()
    out.close()
    out.join_thread()


# ---------------------------------------------------------------- in the worker process
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        pass
    return True


def _work(job: bytes, todo: Any, out: Any, cancel: Any) -> None:
    """Prepare the sources taken from ``todo``; ``job``: the pass, pickled by ``run``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the loading process's to handle
    config, sources, since, full, context, copy_text, loader, clock_state = pickle.loads(job)
    clock.restore(clock_state)  # the loading process's zone and pinned instant (a fork server's child has neither)

    def send(msg: tuple) -> bool:
        """Hand ``msg`` to the loading process; False when the pass is cancelled or its loading
        process is gone (killed: it could not cancel)."""
        while not cancel.is_set() and _alive(loader):
            try:
                out.put(msg, timeout=POLL_SECONDS)
                return True
            except queue.Full:
                continue
        # nobody reads what the queue still holds: without this, the process would wait at its exit
        # for its feeding thread to write those batches into a full pipe, forever once the loader is gone
        out.cancel_join_thread()
        return False

    attempts = max(1, int(config.get("etl", "retry_attempts")))
    while not cancel.is_set():
        i = todo.get()
        if i is None:
            break
        source = sources[i]
        if not send(("begin", i)):
            return
        for attempt in range(1, attempts + 1):
            try:
                for p in etl.prepare_batches(config, source, context, since[i], full=full, now=clock.now,
                                             copy_text=copy_text):
                    if not send(("batch", i, p)):
                        return
                send(("end", i))
                break
            except SourceUnavailable as exc:
                if attempt == attempts:
                    send(("failed", i, str(exc)))
                    break
                delay = etl.retry_delay(config, attempt)
                log.warning("source %s unavailable (attempt %d of %d), retrying in %.1f s: %s",
                            source.name, attempt, attempts, delay, exc)
                if not send(("retry", i, attempt + 1)) or cancel.wait(delay):
                    return
            except Exception as exc:
                send(("failed", i, etl.failure_text(exc, source)))
                break
    send(("exit", None))
