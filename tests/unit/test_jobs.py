"""Heavy analyses run in a child process with a memory and a time limit: a run that needs too
much memory or time ends there, with a message for users, and the caller carries on."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from mapapp import jobs


def test_a_result_comes_back():
    assert jobs.run_limited(os.getpid, memory_mb=1024, seconds=60) != os.getpid()  # another process
    assert jobs.run_limited(sorted, [3, 1, 2], memory_mb=1024, seconds=60) == [1, 2, 3]


def test_too_much_memory_is_stopped_in_the_child():
    with pytest.raises(jobs.JobError) as stopped:
        jobs.run_limited(np.ones, 2**31, memory_mb=512, seconds=60)  # 16 GB of float64
    assert "内存超过每次分析的上限 512 MB" in stopped.value.zh and "512 MB" in stopped.value.en
    assert jobs.run_limited(np.ones, 10, memory_mb=512, seconds=60).sum() == 10  # this process is fine


def test_too_long_is_stopped():
    started = time.monotonic()
    with pytest.raises(jobs.JobError, match="did not finish within 1 s") as stopped:
        jobs.run_limited(time.sleep, 30, memory_mb=512, seconds=1)
    assert "已停止" in stopped.value.zh
    assert time.monotonic() - started < 30  # the child was killed, not waited for


def test_errors_come_back_as_user_messages():
    with pytest.raises(jobs.JobError) as failed:
        jobs.run_limited(int, "x", memory_mb=512, seconds=60)  # Python's own words stay out
    assert failed.value.zh == "输入无效，请检查后重试。" and "invalid literal" not in failed.value.en


def test_job_cache_writes_again_when_the_database_is_busy(tmp_path, monkeypatch):
    """A locked job cache (diskcache.Timeout) on a write is tried again, so a finished job's result
    is not lost; a cache that stays locked still raises, after a bounded number of attempts."""
    import diskcache  # noqa: PLC0415

    from mapapp.background import _Cache  # noqa: PLC0415

    cache = _Cache(str(tmp_path / "c"))
    real, calls = diskcache.Cache.set, []

    def flaky(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) < 3:
            raise diskcache.Timeout
        return real(self, *args, **kwargs)

    monkeypatch.setattr(diskcache.Cache, "set", flaky)
    monkeypatch.setattr(_Cache, "ATTEMPTS", 4)
    assert cache.set("result", {"ok": 1}) is True and cache.get("result") == {"ok": 1} and len(calls) == 3

    def locked(self, *args, **kwargs):
        raise diskcache.Timeout

    monkeypatch.setattr(diskcache.Cache, "set", locked)
    with pytest.raises(diskcache.Timeout):
        cache.set("result", 2)
    cache.close()


def _niceness() -> int:
    return os.nice(0)


def test_the_analysis_child_yields_the_cpu_to_map_requests():
    """The child runs at a lower priority than the worker that started it."""
    assert jobs.run_limited(_niceness, memory_mb=512, seconds=30) == min(19, os.nice(0) + jobs.CHILD_NICE)
