"""Run the byte ranges of one file and fold their results in file order; stop them at once.

A small file is read in the caller's thread, range by range. A large one is cut into more
ranges than there are workers and checked by a process pool (tiktoken's batch encoder does not
scale with threads here; processes do): a few ranges per worker are in flight, and results that
come back early wait for their turn, so memory does not grow with the file. A cancel (the user
quit or left the file) ends the workers mid-range instead of waiting for them.

Workers are forked when that is safe (the CLI: one thread), so they share the vocabulary the
parent loaded; from the app they are spawned and import only `range_check`.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing import resource_tracker

from tuner.data.analysis.range_check import ChunkResult, RangeTask, analyse_range, init_worker
from tuner.data.analysis.report import AnalysisCancelled
from tuner.data.analysis.totals import Totals
from tuner.data.jsonl.lines import split_ranges

# Below this size one process is faster than starting a pool (each worker loads the vocabulary).
PARALLEL_THRESHOLD_BYTES = 24 * 1024 * 1024
# Ranges small enough for steady progress and cancellation, large enough to amortise pickling.
CHUNK_BYTES = 8 * 1024 * 1024
# How often a waiting analysis looks at its cancel event: quitting must feel immediate.
CANCEL_POLL_SECONDS = 0.05
# Ranges handed to the pool ahead of the one being folded, per worker: enough to keep every
# worker busy, few enough that finished results do not pile up.
RANGES_IN_FLIGHT_PER_WORKER = 2

ProgressCallback = Callable[[int, int], None]


def run_ranges(
    task: RangeTask,
    size: int,
    workers: int | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    totals: Totals,
) -> None:
    """Analyse every range of the file and fold the results into `totals`, in file order."""
    path = task.path
    n_workers = workers if workers is not None else _auto_workers(size)
    if n_workers <= 1:
        ranges = split_ranges(path, max(1, size // CHUNK_BYTES)) if size else []
        for start, end, first in ranges:
            if cancel is not None and cancel.is_set():
                raise AnalysisCancelled(str(path))
            totals.fold(analyse_range(task, start, end, first, cancel))
            if progress:
                progress(end, size)
        return

    ranges = split_ranges(path, max(n_workers, size // CHUNK_BYTES))
    done_bytes = 0
    context = _pool_context()
    if context.get_start_method() == "fork":
        # Keep the collector off the parent's objects so forked children keep sharing their
        # pages (the vocabulary above all) instead of copying them on the first collection.
        gc.freeze()
    gate = context.Semaphore(1)  # one worker at a time on a line over ONE_AT_A_TIME_BYTES
    with ProcessPoolExecutor(
        max_workers=n_workers, mp_context=context, initializer=init_worker, initargs=(gate,)
    ) as pool:
        waiting = iter(enumerate(ranges))
        pending: dict[Future[ChunkResult], int] = {}
        finished: dict[int, ChunkResult] = {}  # come back early: held until their turn
        turn = 0  # the next range to fold
        in_flight = n_workers * RANGES_IN_FLIGHT_PER_WORKER
        try:
            while True:
                # Hand out ranges while few are out: finished results wait here, in memory.
                while len(pending) + len(finished) < in_flight:
                    number, (start, end, first) = next(waiting, (-1, (0, 0, 0)))
                    if number < 0:
                        break
                    pending[pool.submit(analyse_range, task, start, end, first)] = number
                if not pending:
                    break
                done, _ = wait(
                    set(pending), timeout=CANCEL_POLL_SECONDS, return_when=FIRST_COMPLETED
                )
                if cancel is not None and cancel.is_set():
                    raise AnalysisCancelled(str(path))
                for future in done:
                    finished[pending.pop(future)] = future.result()
                folded = False
                while turn in finished:
                    result = finished.pop(turn)
                    totals.fold(result)
                    done_bytes += result.end - result.start
                    turn += 1
                    folded = True
                if folded and progress:
                    progress(done_bytes, size)
        except BaseException:
            _stop_workers(pool)
            raise
        finally:
            gc.unfreeze()


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's worker processes now, mid-range: a cancelled analysis (the user quit or
    left the file) must not wait for ranges that take seconds each to finish.

    `shutdown(cancel_futures=True)` only drops the ranges not yet started; the ones running
    would still be waited for when the pool closes. Python 3.14 has `terminate_workers()`;
    before it the pool's own process table is the only handle on its workers.
    """
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    # Terminated before the pool is told to shut down: shutting down first sends each idle
    # worker its exit sentinel, and which of the two reaches a worker first would be a race.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


_tracker_lock = threading.Lock()


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker against a stderr that has a file descriptor.

    The tracker hands its child `sys.stderr.fileno()`. Inside a Textual app sys.stderr is a
    capture object whose fileno() is -1, and spawning fails with "bad value(s) in
    fds_to_keep". Once started, the tracker is reused by every later pool.
    """
    try:
        if sys.stderr is not None and sys.stderr.fileno() >= 0:
            return
    except (AttributeError, OSError, ValueError):
        pass
    with _tracker_lock:
        captured = sys.stderr
        sys.stderr = sys.__stderr__
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = captured


def _pool_context() -> multiprocessing.context.BaseContext:
    """Fork when it is safe, so workers share the vocabulary the parent already loaded.

    A vocabulary costs about 90 MB per process; forked children map the parent's copy instead of
    building their own. Forking is only safe with a single thread (the CLI); from the app, whose
    threads may hold locks, workers are spawned fresh and load their own.
    """
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    _start_resource_tracker()
    return multiprocessing.get_context("spawn")


def _auto_workers(size: int) -> int:
    if size < PARALLEL_THRESHOLD_BYTES:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))
