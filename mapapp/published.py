"""Published reports: what a planner released to viewers, and the two pages that serve them.

A planner ticks 发布给查看者 when generating a report (PDF or XLSX); the file goes into the
published folder beside the store (``Settings.published_path``; writable like the audit log) with
a small JSON record beside it (who, when, which unit and hazard). Viewers see only this folder:
``/published`` lists it and ``/published/<file>`` downloads one file of it; nothing else
internal is reachable from there (names are checked against the folder's own records, never
joined from the request). Both publishing and each download are written to the audit log.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask
from markupsafe import escape
from werkzeug.exceptions import NotFound

#: Formats that may be published (a ZIP also holds tables and layers meant for planners).
FORMATS = ("pdf", "xlsx")
_NAME = re.compile(r"^\d{8}T\d{6}_\d{6,12}_[a-z_]{1,24}\.(pdf|xlsx)$")
MIMETYPES = {"pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def publish(folder: Path, report_name: str, content: bytes, *, user: str | None, unit: str, unit_name: str,
            hazard: str) -> dict[str, Any]:
    """Write ``content`` (the report file ``report_name``: ``<adcode>_<hazard>.<ext>``) into
    ``folder`` under a dated name, with its record; the record. ``ValueError`` for a format
    that is not published or a name of another shape."""
    now = datetime.now(UTC)
    name = f"{now:%Y%m%dT%H%M%S}_{report_name}"
    if not _NAME.match(name):
        raise ValueError(f"publish: found a report named {report_name[:40]!r}; expected <adcode>_<hazard>.pdf or .xlsx")
    folder.mkdir(parents=True, exist_ok=True)
    record = {"file": name, "unit": unit, "unit_name": unit_name, "hazard": hazard, "format": name.rsplit(".", 1)[1],
              "bytes": len(content), "by": user, "at": now.isoformat(timespec="seconds")}
    _write(folder / name, content)
    _write(folder / f"{name}.json", json.dumps(record, ensure_ascii=False).encode("utf-8"))
    return record


def _write(path: Path, content: bytes) -> None:
    """Atomically: a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".publishing-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def listing(folder: Path) -> list[dict[str, Any]]:
    """The published reports, newest first (records whose file is there)."""
    if not folder.is_dir():
        return []
    out = []
    for meta in folder.glob("*.json"):
        try:
            record = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and _NAME.match(str(record.get("file", ""))) \
                and meta.name == f"{record['file']}.json" and (folder / record["file"]).is_file():
            out.append(record)
    return sorted(out, key=lambda r: str(r.get("at")), reverse=True)


def find(folder: Path, name: str) -> dict[str, Any]:
    """The record of the published file ``name``; ``NotFound`` for anything else."""
    for record in listing(folder):
        if record["file"] == name:
            return record
    raise NotFound()


# --- the two pages -------------------------------------------------------------------------------

def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(n / 1e3, 0.1):.0f} KB"


def _title(record: dict[str, Any], lang: str) -> str:
    from mapapp.i18n import label, t  # noqa: PLC0415

    hazard = t("report.hazard_all", lang) if record.get("hazard") == "all" else label("hazard", record.get("hazard"), lang)
    return t("published.item", lang, unit=record.get("unit_name") or record.get("unit"), hazard=hazard,
             fmt=str(record.get("format", "")).upper())


def list_page() -> flask.Response:
    """``/published``: the published reports with download links (any signed-in role)."""
    from mapapp import auth  # noqa: PLC0415
    from mapapp.i18n import t  # noqa: PLC0415

    lang, folder = _request()
    rows = listing(folder)
    head = "".join(f"<th>{escape(t(k, lang))}</th>" for k in ("published.report", "published.by",
                                                               "published.at", "published.size"))
    cells = "".join(
        f'<tr><td><a href="/published/{escape(r["file"])}?lang={lang}">{escape(_title(r, lang))}</a></td>'
        f'<td>{escape(r.get("by") or "—")}</td><td>{escape(str(r.get("at", "")).replace("T", " ").replace("+00:00", " UTC"))}</td>'
        f'<td>{escape(_size(int(r.get("bytes") or 0)))}</td></tr>' for r in rows)
    body = (f'<h1>OneMap · {escape(t("published.title", lang))}</h1><p class="om-note">'
            f'{escape(t("published.note", lang, n=len(rows)))} · <a href="/?lang={lang}">{escape(t("audit.back", lang))}</a></p>'
            + (f'<table class="om-audit"><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>' if rows
               else f'<p>{escape(t("published.none", lang))}</p>'))
    return auth.page(lang, t("published.title", lang), body)


def download(name: str) -> flask.Response:
    """``/published/<name>``: one published file (any signed-in role); audited."""
    from mapapp import auth  # noqa: PLC0415

    _, folder = _request()
    record = find(folder, name)
    auth.audit("published_download", file=record["file"], unit=record.get("unit"), hazard=record.get("hazard"))
    response = flask.Response((folder / record["file"]).read_bytes(), mimetype=MIMETYPES[record["format"]])
    response.headers["Content-Disposition"] = f'attachment; filename="{record["file"].split("_", 1)[1]}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _request() -> tuple[str, Path]:
    """The page language and the published folder, once the user is known (401 otherwise)."""
    from werkzeug.exceptions import Unauthorized  # noqa: PLC0415

    from mapapp import auth, context  # noqa: PLC0415

    if auth.current_user() is None:
        raise Unauthorized()
    lang = flask.request.args.get("lang")
    settings = context.settings()
    return (lang if lang in ("zh", "en") else settings.lang), settings.published_path()


def register(server: flask.Flask) -> None:
    server.add_url_rule("/published", "onemap_published", list_page)
    server.add_url_rule("/published/<name>", "onemap_published_file", download)
