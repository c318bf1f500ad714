"""Analyses in a child process with a memory limit and a time limit, so no request can take a
server worker down (issue 18: 优化选址 at resolution 9 grew a worker to 24 GB before the kernel
killed it).

``run_limited(func, *args, memory_mb=, seconds=)`` runs ``func(*args)`` in a child forked from a
``forkserver`` that has already imported the analyses (a child starts in about 50 ms, not the
two seconds of a fresh interpreter). The child sets ``RLIMIT_AS`` to ``memory_mb``, so a run
that would need more fails there with ``MemoryError``; the parent waits at most ``seconds`` and
then kills it. Either way the worker answers with a message in the user's language
(``JobError``) and is unharmed. ``budget.check_work`` refuses most such runs before they start;
this is the safety net for the estimates it cannot make.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import threading
import time
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_CTX: Any = None
_STORES: dict[str, Any] = {}  # per child process (forked fresh per job: opened once per job)


class JobError(ValueError):
    """A job that ran out of memory or time, or failed; ``zh``/``en`` for users."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _context() -> Any:
    global _CTX
    with _LOCK:
        if _CTX is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(["mapapp.analyses", "layers"])
            _CTX = ctx
        return _CTX


_NOTES: list[Any] = []  # in a child: the pipe to the parent (``note``)


def note(zh: str, en: str) -> None:
    """In a child of ``run_limited``: tell the parent what to say if this run is stopped (e.g.
    which resolution would fit); a no-op elsewhere."""
    if _NOTES:
        _NOTES[0].send(("note", zh, en))


#: Niceness of an analysis child: on a busy machine the workers answering map requests get the
#: CPU first (tests/bench/bench_heavy.py measures the map's latency while heavy runs go on).
CHILD_NICE = 10


def _child(conn: Any, memory_bytes: int, func: Callable[..., Any], args: tuple) -> None:
    """In the child: limit memory, run, send ("ok", result) or ("error", zh, en) / ("memory",)."""
    from mapapp.errors import user_message  # noqa: PLC0415

    _NOTES[:] = [conn]
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
        os.nice(CHILD_NICE)  # the map's requests come first when the cores are busy
        conn.send(("ok", func(*args)))
    except MemoryError:
        conn.send(("memory",))
    except Exception as exc:  # noqa: BLE001
        if "OutOfMemory" in type(exc).__name__ or "Out of Memory" in str(exc):  # DuckDB's, also when opening
            conn.send(("memory",))
            return
        conn.send(("error", user_message(exc, "zh"), user_message(exc, "en")))
    finally:
        conn.close()


def _wait(receive: Any, seconds: float, on_wait: Callable[[float], None] | None) -> tuple[Any, tuple[str, str]]:
    """The child's answer (None: out of time) and its last note; ``on_wait(elapsed)`` each second."""
    started = time.monotonic()
    hint = ("", "")
    while (left := seconds - (time.monotonic() - started)) > 0:
        if not receive.poll(min(1.0, left)):
            if on_wait is not None:
                on_wait(time.monotonic() - started)
            continue
        message = receive.recv()
        if message[0] != "note":
            return message, hint
        hint = (message[1], message[2])
    return None, hint


def run_limited(func: Callable[..., Any], *args: Any, memory_mb: int, seconds: float, start: str = "forkserver",
                on_wait: Callable[[float], None] | None = None, hint: tuple[str, str] = ("", "")) -> Any:
    """``func(*args)`` in a child process limited to ``memory_mb`` of address space and ``seconds``.

    ``func`` and ``args`` must pickle (a module-level function); so must the result. ``start``:
    ``forkserver`` (a worker: children start in 50 ms) or ``spawn`` (a process that was itself
    forked from a worker, e.g. a background job: it must not share the worker's fork server,
    and killing it must take the child along). ``on_wait(elapsed_seconds)`` is called about
    once a second while the child runs (progress). What the child passed to ``note`` is added
    (else ``hint``) is added to the message when it runs out of time or memory.

    Raises
    ------
    JobError
        Out of memory, out of time, killed, or the function raised (its user message).
    """
    ctx = _context() if start == "forkserver" else multiprocessing.get_context(start)
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, int(memory_mb) * 2**20, func, args), daemon=True)
    proc.start()
    send.close()
    try:
        answer, noted = _wait(receive, seconds, on_wait)
        hint = noted if noted[0] else hint
    except EOFError:
        answer = ("memory",)  # the child died without a word (killed by the kernel)
    finally:
        receive.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if answer is None:
        raise JobError(f"分析超过 {seconds:g} 秒仍未完成，已停止。" + (hint[0] or "请改用更粗的分辨率，或选择更小的市、县。"),
                       f"The analysis did not finish within {seconds:g} s and was stopped. "
                       + (hint[1] or "Choose a coarser resolution or a smaller city or county."))
    if answer[0] == "ok":
        return answer[1]
    if answer[0] == "memory":
        raise JobError(f"分析所需内存超过每次分析的上限 {memory_mb:,} MB，已停止。" + (hint[0] or "请改用更粗的分辨率，或选择更小的市、县。"),
                       f"The analysis needed more than the {memory_mb:,} MB allowed per run and was stopped. "
                       + (hint[1] or "Choose a coarser resolution or a smaller city or county."))
    raise JobError(answer[1], answer[2])


def analysis(db_path: str, params: Any, lang: str) -> Any:
    """In the child: ``mapapp.analyses.run`` on the store at ``db_path`` (opened read-only)."""
    from layers import Store  # noqa: PLC0415
    from mapapp import analyses  # noqa: PLC0415

    store = _STORES.get(db_path)
    if store is None:
        store = _STORES[db_path] = Store(db_path)
    return analyses.run(store, params, lang)


def fit_hint(store: Any, params: Any) -> tuple[str, str]:
    """What would fit in a quarter of the work of ``params`` (the message when a run of it is
    stopped at the time or memory limit): a coarser resolution, else a smaller unit."""
    from layers import coarser_fit, work_amount  # noqa: PLC0415

    res = params.resolution()
    args = {"unit": params.unit, "hazard": params.hazard, "min_class": params.min_class,
            "radius_km": params.radius_km if params.kind == "dispatch" and params.event == "point" else None}
    amount = work_amount(store, params.kind, res, **args)
    fit = coarser_fit(store, params.kind, res, amount / 4, **args)
    if fit:
        return (f"第 {res} 级分辨率约有 {amount:,} 个计算单元；请改用第 {fit[0]} 级分辨率（约 {fit[1]:,} 个），"
                "或选择更小的市、县。",
                f"Resolution {res} is about {amount:,} units of work; choose resolution {fit[0]} "
                f"(about {fit[1]:,}) or a smaller city or county.")
    return (f"第 {res} 级分辨率约有 {amount:,} 个计算单元；请选择更小的市、县再分析。",
            f"Resolution {res} is about {amount:,} units of work; choose a smaller city or county.")


def checked_analysis(db_path: str, params: Any, lang: str, cells: int, pairs: int) -> Any:
    """In the child of a background job: check the unit and the work against the budget again
    (the request could be forged), ``note`` what would fit (``fit_hint``), then ``analysis``."""
    from layers import Budget, Store, check_work  # noqa: PLC0415
    from mapapp import context  # noqa: PLC0415

    store = _STORES.get(db_path)
    if store is None:
        store = _STORES[db_path] = Store(db_path)
    if params.unit is not None:
        context.check_unit(store, params.unit)
    check_work(store, params.kind, params.resolution(), Budget(cells, pairs), unit=params.unit,
               hazard=params.hazard, min_class=params.min_class,
               radius_km=params.radius_km if params.kind == "dispatch" and params.event == "point" else None)
    note(*fit_hint(store, params))
    return analysis(db_path, params, lang)
