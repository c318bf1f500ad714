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
