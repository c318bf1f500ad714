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
import resource
import threading
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


def _child(conn: Any, memory_bytes: int, func: Callable[..., Any], args: tuple) -> None:
    """In the child: limit memory, run, send ("ok", result) or ("error", zh, en) / ("memory",)."""
    from mapapp.errors import user_message  # noqa: PLC0415

    try:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
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


def run_limited(func: Callable[..., Any], *args: Any, memory_mb: int, seconds: float) -> Any:
    """``func(*args)`` in a child process limited to ``memory_mb`` of address space and ``seconds``.

    ``func`` and ``args`` must pickle (a module-level function); so must the result.

    Raises
    ------
    JobError
        Out of memory, out of time, killed, or the function raised (its user message).
    """
    ctx = _context()
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, int(memory_mb) * 2**20, func, args), daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(seconds):
            raise JobError(f"分析超过 {seconds:g} 秒仍未完成，已停止。请改用更粗的分辨率，或选择更小的市、县。",
                           f"The analysis did not finish within {seconds:g} s and was stopped. Choose a coarser "
                           "resolution or a smaller city or county.")
        answer = receive.recv()
    except EOFError:
        answer = ("memory",)  # the child died without a word (killed by the kernel)
    finally:
        receive.close()
        if proc.is_alive():
            proc.kill()
        proc.join(5)
    if answer[0] == "ok":
        return answer[1]
    if answer[0] == "memory":
        raise JobError(f"分析所需内存超过每次分析的上限 {memory_mb:,} MB，已停止。请改用更粗的分辨率，或选择更小的市、县。",
                       f"The analysis needed more than the {memory_mb:,} MB allowed per run and was stopped. "
                       "Choose a coarser resolution or a smaller city or county.")
    raise JobError(answer[1], answer[2])


def analysis(db_path: str, params: Any, lang: str) -> Any:
    """In the child: ``mapapp.analyses.run`` on the store at ``db_path`` (opened read-only)."""
    from layers import Store  # noqa: PLC0415
    from mapapp import analyses  # noqa: PLC0415

    store = _STORES.get(db_path)
    if store is None:
        store = _STORES[db_path] = Store(db_path)
    return analyses.run(store, params, lang)
