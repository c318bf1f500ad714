"""``onemap users add|list|remove|passwd`` and ``onemap audit``: the users file and the audit log
of a deployment (plugins of the ``onemap`` group, entry points ``onemap.commands``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from mapapp import audit as audit_log
from mapapp.settings import Settings
from mapapp.users import ROLES, UsersError, UsersFile

_TEXT = {
    "added": ("已添加用户 {name}（{role}），用户文件 {path}", "added user {name} ({role}) to {path}"),
    "removed": ("已删除用户 {name}；其登录在下一次请求时失效", "removed user {name}; their sessions end at the next request"),
    "changed": ("已修改 {name} 的密码；其他登录在下一次请求时失效", "changed the password of {name}; other sessions end"),
    "none": ("用户文件 {path} 中没有用户。添加：onemap users add 用户名 --role planner",
             "no users in {path}. Add one: onemap users add NAME --role planner"),
    "password": ("{name} 的密码", "Password of {name}"),
    "no_log": ("审计日志 {path} 中没有记录", "no entries in the audit log {path}"),
    "header": ("时间\t用户\t角色\t操作\t参数", "time\tuser\trole\taction\tparameters"),
}


def _t(obj: Any, key: str, **kw: Any) -> str:
    return _TEXT[key][0 if _lang(obj) == "zh" else 1].format(**kw)


def _lang(obj: Any) -> str:
    return (obj or {}).get("lang", "zh")


def _fail(obj: Any, exc: UsersError) -> None:
    click.echo(exc.zh if _lang(obj) == "zh" else exc.en, err=True)
    sys.exit(1)


def _settings(db: Path, users_file: Path | None = None, audit_file: Path | None = None) -> Settings:
    return Settings.from_env(db_path=str(db), users_file=str(users_file) if users_file else None,
                             audit_log=str(audit_file) if audit_file else None)


DB = click.option("--db", type=click.Path(dir_okay=False, path_type=Path), envvar="ONEMAP_DB_PATH",
                  default="data/jjj.duckdb", show_default=True,
                  help="The store; the users file and the audit log sit beside it unless set.")
USERS = click.option("--users-file", type=click.Path(dir_okay=False, path_type=Path), envvar="ONEMAP_USERS_FILE",
                     help="The users file (default: onemap-users.json beside the store).")


def _password(obj: Any, name: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(_t(obj, "password", name=name), hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """Who may sign in (``--auth users``) and with which role: viewer, planner, admin."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
@click.option("--no-password", is_flag=True, help="A role only, for users signed in by the proxy (--auth proxy).")
@DB
@USERS
@click.pass_obj
def add(obj: Any, name: str, role: str, password_stdin: bool, no_password: bool, db: Path,
        users_file: Path | None) -> None:
    """Add a user (asks for the password twice, at least 10 characters)."""
    store = UsersFile(_settings(db, users_file).users_path())
    try:
        store.add(name, role, None if no_password else _password(obj, name, password_stdin))
    except UsersError as exc:
        _fail(obj, exc)
    click.echo(_t(obj, "added", name=name, role=role, path=store.path))


@users.command("list")
@DB
@USERS
@click.pass_obj
def list_users(obj: Any, db: Path, users_file: Path | None) -> None:
    """Users and their roles (never the hashes)."""
    store = UsersFile(_settings(db, users_file).users_path())
    try:
        found = store.users()
    except UsersError as exc:
        _fail(obj, exc)
    if not found:
        click.echo(_t(obj, "none", path=store.path))
    for name, entry in sorted(found.items()):
        click.echo(f"{name}\t{entry['role']}\t{'password' if entry.get('hash') else 'proxy'}")


@users.command("remove")
@click.argument("name")
@DB
@USERS
@click.pass_obj
def remove(obj: Any, name: str, db: Path, users_file: Path | None) -> None:
    """Remove a user (their sessions end at their next request)."""
    try:
        UsersFile(_settings(db, users_file).users_path()).remove(name)
    except UsersError as exc:
        _fail(obj, exc)
    click.echo(_t(obj, "removed", name=name))


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
@DB
@USERS
@click.pass_obj
def passwd(obj: Any, name: str, password_stdin: bool, db: Path, users_file: Path | None) -> None:
    """Set a user's password (their other sessions end)."""
    try:
        UsersFile(_settings(db, users_file).users_path()).passwd(name, _password(obj, name, password_stdin))
    except UsersError as exc:
        _fail(obj, exc)
    click.echo(_t(obj, "changed", name=name))


@click.command()
@DB
@click.option("--log", "log_file", type=click.Path(dir_okay=False, path_type=Path), envvar="ONEMAP_AUDIT_LOG",
              help="The audit log (default: onemap-audit.jsonl beside the store).")
@click.option("--user", default=None, help="Only this user's entries.")
@click.option("--action", type=click.Choice(sorted(audit_log.ACTIONS)), default=None)
@click.option("--since", default=None, help="Only entries from this ISO time on, e.g. 2026-12-01.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.pass_obj
def audit(obj: Any, db: Path, log_file: Path | None, user: str | None, action: str | None, since: str | None,
          limit: int) -> None:
    """Who signed in, ran, exported or generated what, and when (newest first)."""
    path = _settings(db, audit_file=log_file).audit_path()
    rows = audit_log.entries(path, user=user, action=action, since=since, limit=limit)
    if not rows:
        click.echo(_t(obj, "no_log", path=path))
        return
    click.echo(_t(obj, "header"))
    for e in rows:
        click.echo("\t".join([str(e.get("time", "")), str(e.get("user") or "—"), str(e.get("role") or "—"),
                              audit_log.action_name(str(e.get("action")), _lang(obj)),
                              audit_log.describe(e.get("params") or {})]))
