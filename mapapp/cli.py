"""``onemap serve``: the app behind gunicorn (several workers, one read-only store), or Dash's
dev server with ``--debug``. Registered as a plugin of the ``onemap`` group (entry point
``onemap.commands``), so ``etl`` never imports the app.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from pathlib import Path
from typing import Any

import click

logger = logging.getLogger(__name__)

_TEXT = {
    "serving": ("OneMap 已启动：{url}  （{workers} 个进程，数据库 {db}；Ctrl+C 停止）",
                "OneMap is serving at {url}  ({workers} worker(s), store {db}; Ctrl+C stops)"),
    "demo": ("演示模式：不需登录，本机用户按规划人员权限使用；只接受本机（127.0.0.1）访问。",
             "Demo mode: no sign-in, the local user has planner rights; only this machine (127.0.0.1) may connect."),
    "open_needs_auth": (
        "拒绝启动：--host {host} 会让其他电脑访问，但没有设置登录方式。请选择一种：\n"
        "  用户文件：onemap users add 用户名 --role planner，然后 onemap serve --host {host} --auth users\n"
        "  单位统一登录（反向代理）：onemap serve --host {host} --auth proxy --proxy-allow 代理服务器地址\n"
        "详见 README“部门部署”。只在本机演示请去掉 --host（默认 127.0.0.1）。",
        "Refusing to start: --host {host} lets other computers connect, but no sign-in is set. Choose one:\n"
        "  a users file: onemap users add NAME --role planner, then onemap serve --host {host} --auth users\n"
        "  the organisation's sign-in (reverse proxy): onemap serve --host {host} --auth proxy --proxy-allow PROXY_ADDRESS\n"
        "See \"Deploying for a department\" in the README. For a demo on this machine, leave out --host (127.0.0.1)."),
    "port_busy": ("无法启动：{host} 的端口 {port} 已被占用（可能另一个 OneMap 正在运行）。请先停止它，或换一个端口：onemap serve --port 8051",
                  "Cannot start: port {port} on {host} is in use (perhaps another OneMap is running). Stop it, or choose "
                  "another port: onemap serve --port 8051"),
    "no_users": ("拒绝启动：--auth users 需要用户，但用户文件 {path} 中没有。先运行：onemap users add 用户名 --role admin",
                 "Refusing to start: --auth users needs users and {path} has none. First run: onemap users add NAME --role admin"),
}


def _check_store(db: Path, lang: str) -> None:
    """Open and close the store once before forking workers: a clear message, exit 1, if bad."""
    from layers import Store, StoreUnavailable  # noqa: PLC0415

    try:
        Store(db).close()
    except StoreUnavailable as exc:
        click.echo(exc.zh if lang == "zh" else exc.en, err=True)
        sys.exit(1)


def _loopback(host: str) -> bool:
    import ipaddress  # noqa: PLC0415

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: other computers may reach it


def _check_auth(settings: Any, lang: str) -> None:
    """Refuse (exit 2) a server other computers can reach without a sign-in, and users mode
    without users."""
    from mapapp.users import UsersError, UsersFile  # noqa: PLC0415

    text = 0 if lang == "zh" else 1
    if settings.auth == "local" and not _loopback(settings.host):
        click.echo(_TEXT["open_needs_auth"][text].format(host=settings.host), err=True)
        sys.exit(2)
    if settings.auth == "users":
        try:
            found = UsersFile(settings.users_path()).users()
        except UsersError as exc:
            click.echo(exc.zh if lang == "zh" else exc.en, err=True)
            sys.exit(2)
        if not any(u.get("hash") for u in found.values()):
            click.echo(_TEXT["no_users"][text].format(path=settings.users_path()), err=True)
            sys.exit(2)


def _check_port(host: str, port: int, lang: str) -> None:
    """Refuse (exit 1) a port another program holds. The workers bind with SO_REUSEPORT, which
    would otherwise let a second OneMap share the port with the first and split the requests
    between two stores; a plain bind fails on any socket bound there, shared or not."""
    import socket  # noqa: PLC0415

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return  # an unknown host: gunicorn says so
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # as gunicorn binds: connections of a server just stopped (TIME_WAIT) do not hold the port,
        # a socket listening there (shared or not) does
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError:
            click.echo(_TEXT["port_busy"][0 if lang == "zh" else 1].format(host=host, port=port), err=True)
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
@click.option("--auth", type=click.Choice(["local", "users", "proxy"]), envvar="ONEMAP_AUTH", default="local",
              show_default=True, help="Sign-in: local (demo, this machine only), users (onemap users), proxy "
                                      "(a trusted reverse proxy's user header).")
@click.option("--proxy-allow", envvar="ONEMAP_PROXY_ALLOW", default=None,
              help="--auth proxy: addresses or networks of the proxy, comma-separated (default 127.0.0.1).")
@click.option("--proxy-header", envvar="ONEMAP_PROXY_HEADER", default=None,
              help="--auth proxy: the header with the user name (default Remote-User).")
@click.pass_obj
def serve(obj: dict | None, db: Path, host: str, port: int, workers: int, threads: int, debug: bool, auth: str,
          proxy_allow: str | None, proxy_header: str | None) -> None:
    """Serve the map app (default http://127.0.0.1:8050)."""
    from mapapp.settings import Settings  # noqa: PLC0415

    lang = (obj or {}).get("lang", "zh")
    allow = tuple(a.strip() for a in proxy_allow.split(",") if a.strip()) if proxy_allow else None
    settings = Settings.from_env(db_path=str(db), host=host, port=port, debug=debug, auth=auth,
                                 proxy_allow=allow, proxy_header=proxy_header)
    _check_auth(settings, lang)
    _check_store(db, lang)
    _check_port(host, port, lang)
    url = f"http://{host}:{port}/"
    if auth == "local":
        click.echo(_TEXT["demo"][0 if lang == "zh" else 1])
    click.echo(_TEXT["serving"][0 if lang == "zh" else 1].format(url=url, workers=1 if debug else workers, db=db))
    if debug:
        from mapapp.app import create_app  # noqa: PLC0415

        create_app(settings).run(host=host, port=port, debug=True)
        return
    # the local demo keeps no secret file; its workers share this one (background jobs' handles)
    os.environ.setdefault("ONEMAP_LOCAL_SECRET", secrets.token_urlsafe(48))
    _Gunicorn(settings, {"bind": f"{host}:{port}", "workers": workers, "threads": threads,
                         "worker_class": "gthread", "timeout": 120, "accesslog": None,
                         # each worker listens on its own SO_REUSEPORT socket, so the kernel
                         # spreads new connections evenly; on one shared socket the busiest
                         # worker took 47 of 50 keep-alive sessions (tests/bench/RESULTS.md)
                         "reuse_port": True,
                         "errorlog": "-", "loglevel": "warning",
                         # no per-user control socket: two servers would share one path
                         "control_socket_disable": True}).run()
