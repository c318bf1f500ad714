"""Who is asking, and may they: sign-in, roles, and the check in front of every callback.

Roles (``mapapp.users.ROLES``): **viewer** (map, hazards, parks, public facility data),
**planner** (plus analyses, reports, uploads, internal tables), **admin** (plus the audit log).

A callback says which role it needs with one line under ``@callback``::

    @callback(Output("stock-table", "data"), Input(...))
    @auth.role("planner")
    def stock_table(...): ...

The check runs on the server before Dash reads the request (``before_request`` looks the
callback up in ``app.callback_map``): a callback without ``@auth.role`` needs ``DEFAULT_ROLE``
(planner), so a new internal table is never open to viewers by mistake. Anonymous requests get
401, too low a role 403 (and an audit entry); hiding buttons is only a courtesy on top.

Sign-in modes (``Settings.auth``):

* ``local``: the demo on this machine. Every request from the loopback address is the local
  user, a planner, shown with a 演示模式 badge; any other address is refused.
* ``users``: the users file (``mapapp.users``), a sign-in form, a Flask signed-cookie session
  (secret from ``ONEMAP_SECRET_KEY`` or a generated file; HttpOnly, SameSite=Lax, Secure),
  sign-out, idle timeout; a changed password or role ends existing sessions.
* ``proxy``: the organisation's reverse proxy signs users in and passes the name in a header
  (``Remote-User``); the header is believed only from the allow-listed proxy addresses. The role
  comes from the users file (entries without password), else ``Settings.proxy_role``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import flask
from markupsafe import escape
from werkzeug.exceptions import Forbidden, Unauthorized

from mapapp import audit as audit_log
from mapapp.i18n import t
from mapapp.settings import Settings
from mapapp.users import ROLES, User, UsersFile, rank

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

#: Role of a server callback that does not declare one.
DEFAULT_ROLE = "planner"
#: Paths anyone may fetch: the sign-in page and static files (no data in them).
PUBLIC = ("/login", "/logout", "/_favicon.ico")
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
LOCAL_USER = "local"


def role(name: str) -> Callable[[F], F]:
    """Declare the role a callback needs (put it directly under ``@callback``)."""
    if name not in ROLES:
        raise ValueError(f"role: found {name!r}; expected one of {ROLES}")

    def mark(func: F) -> F:
        func._onemap_role = name  # type: ignore[attr-defined]  # Dash's @wraps copies __dict__
        return func

    return mark


#: Output component id -> role, for callbacks this project does not define (Dash's own pages
#: router) or that are registered without a function of ours; ``output_role`` adds to it.
OUTPUT_ROLES: dict[str, str] = {}


def output_role(name: str, *component_ids: str) -> None:
    """Declare the role of the callbacks that write ``component_ids`` (the registry form)."""
    role(name)  # checks the name
    OUTPUT_ROLES.update(dict.fromkeys(component_ids, name))


output_role("viewer", "_pages_content", "_pages_store", "_pages_dummy")  # Dash's pages router


def _output_ids(key: str) -> list[str]:
    """Component ids of a callback-map key (``..a.b...c.d..`` or ``a.b``; pattern ids as JSON)."""
    parts = key[2:-2].split("...") if key.startswith("..") else [key]
    return [p.rsplit(".", 1)[0] for p in parts]


def callback_role(key: str, callback: Any) -> str:
    """The role a registered callback needs: ``@role`` on its function, else ``OUTPUT_ROLES`` of
    its outputs (the highest), else ``DEFAULT_ROLE``."""
    declared = getattr(callback, "_onemap_role", None)
    if declared:
        return declared
    found = [OUTPUT_ROLES[i] for i in _output_ids(key) if i in OUTPUT_ROLES]
    return max(found, key=rank) if found else DEFAULT_ROLE


_USERS: dict[str, UsersFile] = {}


def users_file(settings: Settings) -> UsersFile:
    """The users file of ``settings`` (one reader per path and process: it caches the parsed file)."""
    key = str(settings.users_path())
    if key not in _USERS:
        _USERS[key] = UsersFile(key)
    return _USERS[key]


def _settings() -> Settings:
    return flask.current_app.extensions["onemap"]["settings"]


def current_user() -> User | None:
    """The signed-in user of this request (None: anonymous)."""
    return flask.g.get("onemap_user")


def audit(action: str, **params: Any) -> None:
    """Write ``action`` by the current user to the audit log."""
    user = current_user()
    audit_log.record(_settings().audit_path(), action, user.name if user else None, user.role if user else None,
                     ip=flask.request.remote_addr, **params)


# --- modes ---------------------------------------------------------------------------------------

def _loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _allowed(address: str | None, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    for net in networks:
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False


def _user_from_session(settings: Settings, users: UsersFile) -> User | None:
    session = flask.session
    name, stamp, seen = session.get("u"), session.get("s"), session.get("t")
    if not isinstance(name, str) or not isinstance(seen, (int, float)):
        return None
    if time.time() - seen > settings.idle_minutes * 60 or stamp != users.stamp_of(name):
        session.clear()
        return None
    session["t"] = int(time.time())
    found = users.role_of(name)
    return User(name, found, "users") if found else None


def _user_from_proxy(settings: Settings, users: UsersFile) -> User | None:
    if not _allowed(flask.request.remote_addr, settings.proxy_allow):
        return None  # the header of anyone but the trusted proxy is ignored
    name = flask.request.headers.get(settings.proxy_header, "").strip()
    if not name or len(name) > 64:
        return None
    return User(name, users.role_of(name) or settings.proxy_role, "proxy")


def resolve_user(settings: Settings, users: UsersFile) -> User | None:
    """Who sent this request, by the configured mode."""
    if settings.auth == "local":
        return User(LOCAL_USER, "planner", "local") if _loopback(flask.request.remote_addr) else None
    if settings.auth == "proxy":
        return _user_from_proxy(settings, users)
    return _user_from_session(settings, users)


# --- the Flask wiring ----------------------------------------------------------------------------

def secret_key(settings: Settings) -> str:
    """``ONEMAP_SECRET_KEY``, else the secret file (created with 48 random bytes, mode 0600)."""
    if os.environ.get("ONEMAP_SECRET_KEY"):
        return os.environ["ONEMAP_SECRET_KEY"]
    path = settings.secret_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def register(app: Any, settings: Settings) -> None:
    """Sessions, the check before every request, sign-in/out and the admin's audit page."""
    server: flask.Flask = app.server
    # the local demo keeps no session: a key per process is enough (no file beside the store)
    # (shared by the workers of one `onemap serve`: background jobs' handles are signed with it)
    server.secret_key = secret_key(settings) if settings.auth != "local" else (
        os.environ.get("ONEMAP_LOCAL_SECRET") or secrets.token_urlsafe(48))
    server.config.update(SESSION_COOKIE_NAME="onemap_session", SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=settings.cookie_secure,
                         PERMANENT_SESSION_LIFETIME=settings.idle_minutes * 60)

    @server.before_request
    def _check() -> Any:
        settings = _settings()
        user = resolve_user(settings, users_file(settings))
        flask.g.onemap_user = user
        path = flask.request.path
        if path in PUBLIC or path.startswith(PUBLIC_PREFIXES):
            return None
        if user is None:
            # a page asked by a browser goes to the sign-in form (users mode; the proxy and the
            # local demo have none: 401)
            if settings.auth == "users" and flask.request.method == "GET" and not path.startswith(
                    ("/_dash", "/basemap", "/admin")):
                return flask.redirect(f"/login?next={flask.request.full_path}")
            raise Unauthorized()
        if path == "/_dash-update-component":
            body = flask.request.get_json(silent=True)
            key = body.get("output") if isinstance(body, dict) else None
            found = app.callback_map.get(key) if isinstance(key, str) else None
            need = callback_role(key, found.get("callback")) if found else DEFAULT_ROLE
            if not user.may(need):
                audit("refused", callback=str(key)[:120], needs=need)
                raise Forbidden()
        return None

    server.add_url_rule("/login", "onemap_login", _login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "onemap_logout", _logout)
    server.add_url_rule("/admin/audit", "onemap_audit", _audit_page)


def _lang() -> str:
    lang = flask.request.args.get("lang")
    return lang if lang in ("zh", "en") else _settings().lang


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never ``//host`` or ``http://``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "") if not parts.netloc else "/"


def page(lang: str, title: str, body: str, status: int = 200) -> flask.Response:
    """A plain page of this site (sign-in, audit log, published reports) with its stylesheet."""
    html = (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<title>{escape(title)}</title><link rel="stylesheet" href="/assets/auth.css"></head>'
            f'<body class="om-auth">{body}</body></html>')
    return flask.Response(html, status=status, mimetype="text/html")


def _login() -> flask.Response:
    settings = _settings()
    users = users_file(settings)
    lang = _lang()
    if settings.auth != "users":  # local and proxy sign in elsewhere
        return flask.redirect("/")
    error = ""
    if flask.request.method == "POST":
        form = flask.request.form
        token = flask.session.get("csrf")
        if not token or not secrets.compare_digest(str(form.get("csrf", "")), token):
            error = t("auth.expired", lang)
        else:
            name = str(form.get("user", ""))[:64]
            user = users.verify(name, str(form.get("password", ""))[:1024])
            if user is not None:
                flask.session.clear()
                flask.session.update({"u": user.name, "s": users.stamp_of(user.name), "t": int(time.time())})
                flask.session.permanent = True
                flask.g.onemap_user = user
                audit("sign_in")
                return flask.redirect(_safe_next(form.get("next")))
            audit_log.record(settings.audit_path(), "sign_in_failed", name or None, None,
                             ip=flask.request.remote_addr)
            error = t("auth.wrong", lang)
    flask.session["csrf"] = token = flask.session.get("csrf") or secrets.token_urlsafe(24)
    body = (f'<form method="post" class="om-login"><h1>OneMap · {escape(t("auth.title", lang))}</h1>'
            + (f'<p class="om-error">{escape(error)}</p>' if error else "")
            + f'<label>{escape(t("auth.user", lang))}<input name="user" autocomplete="username" required></label>'
            f'<label>{escape(t("auth.password", lang))}<input name="password" type="password" '
            f'autocomplete="current-password" required></label>'
            f'<input type="hidden" name="csrf" value="{escape(token)}">'
            f'<input type="hidden" name="next" value="{escape(_safe_next(flask.request.values.get("next")))}">'
            f'<button type="submit">{escape(t("auth.sign_in", lang))}</button>'
            f'<p class="om-note">{escape(t("auth.internal", lang))}</p></form>')
    return page(lang, t("auth.title", lang), body, 401 if error else 200)


def _logout() -> Any:
    if current_user() is not None and current_user().how == "users":
        audit("sign_out")
    flask.session.clear()
    return flask.redirect("/login")


def _audit_page() -> flask.Response:
    user, lang = current_user(), _lang()
    if user is None:
        raise Unauthorized()
    if not user.may("admin"):
        audit("refused", page="/admin/audit", needs="admin")
        raise Forbidden()
    who = flask.request.args.get("user") or None
    rows = audit_log.entries(_settings().audit_path(), user=who, limit=1000)
    head = "".join(f"<th>{escape(t(k, lang))}</th>" for k in ("audit.time", "audit.user", "audit.role",
                                                               "audit.action", "audit.params", "audit.ip"))
    cells = "".join(
        "<tr>" + "".join(f"<td>{escape(v)}</td>" for v in (
            str(e.get("time", "")).replace("T", " ").replace("+00:00", " UTC"), e.get("user") or "—",
            e.get("role") or "—", audit_log.action_name(str(e.get("action")), lang),
            audit_log.describe(e.get("params") or {}), e.get("ip") or "—")) + "</tr>" for e in rows)
    body = (f'<h1>OneMap · {escape(t("audit.title", lang))}</h1><p class="om-note">{escape(t("auth.internal", lang))}'
            f' · {escape(t("audit.count", lang, n=len(rows)))} · <a href="/">{escape(t("audit.back", lang))}</a></p>'
            f'<table class="om-audit"><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>')
    return page(lang, t("audit.title", lang), body)


def badge(lang: str) -> Any:
    """The header's user badge: name and role, 演示模式 in the local demo, audit log and sign-out."""
    from dash import html  # noqa: PLC0415

    user = current_user()
    if user is None:
        return None
    parts: list[Any] = [html.Span(t("auth.badge", lang, user=user.name if user.how != "local"
                                     else t("auth.local_user", lang), role=t(f"role.{user.role}", lang)),
                                  className="om-user")]
    if user.how == "local":
        parts.append(html.Span(t("auth.demo", lang), className="om-tag om-tag-demo", id="map-demo-badge",
                               title=t("auth.demo_hint", lang)))
    else:
        parts.append(html.Span(t("auth.internal", lang), className="om-tag om-tag-internal"))
    parts.append(html.A(t("published.title", lang), href=f"/published?lang={lang}", className="om-link",
                        id="map-published-link"))
    if user.may("admin"):
        parts.append(html.A(t("audit.title", lang), href=f"/admin/audit?lang={lang}", className="om-link"))
    if user.how == "users":
        parts.append(html.A(t("auth.sign_out", lang), href="/logout", className="om-link"))
    return html.Span(parts, className="om-auth-badge")


def role_class() -> str:
    """A page class naming the role (CSS hides what the role may not use)."""
    user = current_user()
    return f"om-role-{user.role if user else 'none'}"


def may(role_name: str) -> bool:
    user = current_user()
    return user is not None and rank(user.role) >= rank(role_name)



