"""The audit log: who signed in, exported or generated what, when, with which parameters.

One JSON object per line (``ONEMAP_AUDIT_LOG``, default ``onemap-audit.jsonl`` beside the
read-only store), appended with a single ``write`` on a file opened ``O_APPEND`` so that lines
of several gunicorn workers never interleave. Admins read it in the app (``/admin/audit``) and
with ``onemap audit``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Actions written, with their Chinese and English names (the admin view and ``onemap audit``).
ACTIONS = {
    "sign_in": ("登录", "sign-in"), "sign_in_failed": ("登录失败", "failed sign-in"), "sign_out": ("退出", "sign-out"),
    "analysis": ("运行分析", "analysis run"), "download": ("导出分析表", "analysis export"),
    "report": ("生成报告", "report generated"), "publish": ("发布报告", "report published"),
    "published_download": ("下载已发布报告", "published report downloaded"), "refused": ("越权请求被拒绝", "request refused (role)"),
}


def record(path: str | Path, action: str, user: str | None, role: str | None, *, ip: str | None = None,
           **params: Any) -> None:
    """Append one entry; a log that cannot be written is logged as an error, never raised."""
    entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "user": user, "role": role,
             "ip": ip, "action": action, "params": params}
    line = (json.dumps(entry, ensure_ascii=False, default=str, separators=(",", ":")) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
    except OSError:
        logger.error("cannot write the audit log %s", path, exc_info=True)


def entries(path: str | Path, *, user: str | None = None, action: str | None = None,
            since: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Entries newest first, filtered by user, action and ISO time ``since``; at most ``limit``."""
    out = [e for e in _read(Path(path)) if (user is None or e.get("user") == user)
           and (action is None or e.get("action") == action) and (since is None or str(e.get("time")) >= since)]
    out.reverse()
    return out[:limit] if limit else out


def _read(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by a full disk: skipped, the rest stays readable
            if isinstance(entry, dict):
                yield entry


def action_name(action: str, lang: str) -> str:
    names = ACTIONS.get(action)
    return names[0 if lang == "zh" else 1] if names else action


def describe(params: dict[str, Any]) -> str:
    """Parameters as ``key=value`` text (the admin view and the CLI)."""
    return "，".join(f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
                    for k, v in (params or {}).items() if v not in (None, "", [], {}))
