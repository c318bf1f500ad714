"""``onemap serve``: the app behind gunicorn (several workers, one read-only store), or Dash's
dev server with ``--debug``. Registered as a plugin of the ``onemap`` group (entry point
``onemap.commands``), so ``etl`` never imports the app.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

logger = logging.getLogger(__name__)

_TEXT = {
    "serving": ("OneMap 已启动：{url}  （{workers} 个进程，数据库 {db}；Ctrl+C 停止）",
                "OneMap is serving at {url}  ({workers} worker(s), store {db}; Ctrl+C stops)"),
}


def _check_store(db: Path, lang: str) -> None:
    """Open and close the store once before forking workers: a clear message, exit 1, if bad."""
    from layers import Store, StoreUnavailable  # noqa: PLC0415

    try:
        Store(db).close()
    except StoreUnavailable as exc:
        click.echo(exc.zh if lang == "zh" else exc.en, err=True)
        sys.exit(1)


class _Gunicorn:
    """A gunicorn application that builds the Dash app in each worker (after the fork)."""

    def __new__(cls, settings: Any, options: dict[str, Any]) -> Any:
        from gunicorn.app.base import BaseApplication  # noqa: PLC0415

        class App(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    if key in self.cfg.settings:  # control_socket_disable: gunicorn >= 25.1
                        self.cfg.set(key, value)

            def load(self) -> Any:
                from mapapp.app import create_app  # noqa: PLC0415

                return create_app(settings).server

        return App()


@click.command()
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="ONEMAP_DB_PATH",
              default="data/jjj.duckdb", show_default=True, help="The store to serve (read-only).")
@click.option("--host", envvar="ONEMAP_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="ONEMAP_PORT", type=click.IntRange(1, 65535), default=8050, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="gunicorn worker processes (each opens the store read-only).")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Threads per worker.")
@click.option("--debug", is_flag=True, help="Dash's dev server with reloading and error pages.")
@click.pass_obj
def serve(obj: dict | None, db: Path, host: str, port: int, workers: int, threads: int, debug: bool) -> None:
    """Serve the map app (default http://127.0.0.1:8050)."""
    from mapapp.settings import Settings  # noqa: PLC0415

    lang = (obj or {}).get("lang", "zh")
    _check_store(db, lang)
    settings = Settings.from_env(db_path=str(db), host=host, port=port, debug=debug)
    url = f"http://{host}:{port}/"
    click.echo(_TEXT["serving"][0 if lang == "zh" else 1].format(url=url, workers=1 if debug else workers, db=db))
    if debug:
        from mapapp.app import create_app  # noqa: PLC0415

        create_app(settings).run(host=host, port=port, debug=True)
        return
    _Gunicorn(settings, {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                         "worker_class": "gthread", "timeout": 120, "accesslog": None,
                         "errorlog": "-", "loglevel": "warning",
                         # no per-user control socket: two servers would share one path
                         "control_socket_disable": True}).run()
