"""Heavy analyses as Dash background callbacks: the job manager, and results shared by workers.

Dash's ``DiskcacheManager`` keeps each job's progress and result in a ``diskcache`` folder that
every gunicorn worker of this store opens (``Settings.jobs_path``; no Redis), starts the job in
a process forked from the worker (``multiprocess``) and, on 取消 or a new run, kills that process
and its children (``psutil``). The job itself only waits: the analysis runs in a grandchild
started with ``mapapp.jobs.run_limited(start="spawn")`` under the memory and time limits, so the
worker that took the request is free at once and the map stays responsive.

The job process has no Flask request: ``JobManager.call_job_fn`` runs in the request and hands
the worker's settings to the job it forks (``job_settings``). Results are also kept here for a
while (``remember`` / ``recall``) so that a download on the other worker does not recompute.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import diskcache
from dash import DiskcacheManager

from mapapp.settings import Settings

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_JOB: dict[str, Settings] = {}  # the settings of the job being forked (inherited by the fork)
_VIEWS: dict[str, diskcache.Cache] = {}
VIEW_SECONDS = 3600  # a result stays downloadable this long after its run
VIEW_BYTES = 256 * 2**20


def jobs_path(settings: Settings) -> Path:
    """``settings.jobs_dir``, else a folder in the system's temp directory named after the store
    (the same for every worker of one store, whatever its folder's permissions)."""
    if settings.jobs_dir:
        return Path(settings.jobs_dir)
    digest = hashlib.sha256(str(Path(settings.db_path).resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"onemap-jobs-{digest}"


class _Cache(diskcache.Cache):
    """``diskcache.Cache`` whose writes try again on a locked database. Without it a job's final
    write could fail once (``diskcache.Timeout``) when two jobs and both workers wrote at the same
    moment, and the planner's result was lost (the poll answered "nothing", found by
    ``tests/bench/bench_heavy.py``); progress writes are tried again the same way."""

    ATTEMPTS = 8

    def _again(self, write: Any, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(self.ATTEMPTS):
            try:
                return write(*args, **kwargs)
            except diskcache.Timeout:
                if attempt == self.ATTEMPTS - 1:
                    raise
                logger.warning("job cache %s busy, writing again (%d)", self.directory, attempt + 1)
                time.sleep(0.05 * 2**attempt)
        return None  # not reached

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._again(super().set, *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._again(super().delete, *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._again(super().touch, *args, **kwargs)


class JobManager(DiskcacheManager):
    """``DiskcacheManager`` that passes the requesting worker's settings to the job."""

    def __init__(self, settings: Settings) -> None:
        path = jobs_path(settings)
        path.mkdir(parents=True, exist_ok=True)
        super().__init__(_Cache(str(path / "dash")), expire=VIEW_SECONDS)

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> int:
        from mapapp import context as app_context  # noqa: PLC0415  (a request of the worker)

        with _LOCK:  # one fork at a time: each job inherits the settings of its own request
            _JOB["settings"] = app_context.settings()
            return super().call_job_fn(key, job_fn, args, context)


def job_settings() -> Settings:
    """In a job: the settings of the worker that started it."""
    return _JOB["settings"]


def _views(settings: Settings) -> diskcache.Cache:
    key = str(jobs_path(settings))
    if key not in _VIEWS:
        _VIEWS[key] = _Cache(str(Path(key) / "views"), size_limit=VIEW_BYTES)
    return _VIEWS[key]


def edition(settings: Settings) -> str:
    """What a kept result depends on besides its parameters: the store file as built (size and
    modification time: a rebuilt store is a new edition) and the code that computed it (the
    modification times of the ``layers`` and ``mapapp`` sources), so neither a rebuild nor an
    upgrade serves an old result. Every cache of results (this module's on disk, the worker's
    own in ``mapapp.pages.analysis_callbacks``) puts it in its keys."""
    store = Path(settings.db_path)
    try:
        st = store.stat()
        parts = [str(store.resolve()), str(st.st_size), str(st.st_mtime_ns)]
    except OSError:
        parts = [str(store)]
    return hashlib.sha256("|".join([*parts, _code_edition()]).encode()).hexdigest()[:16]


_CODE: list[str] = []


def _code_edition() -> str:
    if not _CODE:
        import layers  # noqa: PLC0415

        roots = [Path(layers.__file__).parent, Path(__file__).parent]
        stamps = sorted(f"{f}:{f.stat().st_mtime_ns}" for root in roots for f in root.rglob("*.py"))
        _CODE.append(hashlib.sha256("\n".join(stamps).encode()).hexdigest())
    return _CODE[0]


def remember(settings: Settings, key: str, view: Any) -> None:
    """Keep ``view`` (an ``AnalysisView``) for every worker of this store for ``VIEW_SECONDS``."""
    _views(settings).set(f"{edition(settings)}|{key}", view, expire=VIEW_SECONDS)


def recall(settings: Settings, key: str) -> Any:
    """The view ``remember``-ed under ``key`` by any worker for this edition of the store and
    code (``edition``), else None."""
    return _views(settings).get(f"{edition(settings)}|{key}")
