"""The users file: who may sign in, with which role, and an Argon2id hash of each password.

A JSON file (``ONEMAP_USERS_FILE``, default ``onemap-users.json`` beside the store), written
atomically with mode 0600. ``onemap users add|list|remove|passwd`` keeps it; the app reads it
again whenever it changes, so a removed user or a changed password signs out at the next request.
Users of ``--auth proxy`` may have a role and no password (their sign-in is the proxy's).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: Roles from least to most: a role may do everything the roles before it may.
ROLES = ("viewer", "planner", "admin")
NAME = re.compile(r"[\w.@-]{1,64}")  # letters (any script), digits, _ . @ -
MIN_PASSWORD = 10
_HASHER = PasswordHasher()  # Argon2id, the library's (RFC 9106 low-memory) parameters
_DUMMY = _HASHER.hash("onemap: unknown users take as long as wrong passwords")


class UsersError(ValueError):
    """A bad users file or command (``zh``/``en``)."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class User:
    """A signed-in user: name, role, how they signed in (local / users / proxy)."""

    name: str
    role: str
    how: str = "users"

    def may(self, role: str) -> bool:
        """Is this user's role ``role`` or above it?"""
        return rank(self.role) >= rank(role)


def rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else -1


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise UsersError(f"用户名无效：{name!r:.40}；只能用字母、数字、_ . @ -，1–64 个字符",
                         f"invalid user name {name!r:.40}: use letters, digits, _ . @ -, 1-64 characters")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UsersError(f"角色无效：{role!r:.20}；应为 viewer（查看）、planner（规划）或 admin（管理）",
                         f"invalid role {role!r:.20}: expected viewer, planner or admin")
    return role


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UsersError(f"密码太短：至少 {MIN_PASSWORD} 个字符", f"password too short: at least {MIN_PASSWORD} characters")
    return password


class UsersFile:
    """The users file at ``path`` (read again when its modification time changes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._users: dict[str, dict[str, Any]] = {}

    def users(self) -> dict[str, dict[str, Any]]:
        """name -> {"role", "hash"?}; empty when the file does not exist."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return {}
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if stamp != self._stamp:
                try:
                    data = json.loads(self.path.read_text(encoding="utf-8"))
                    users = data["users"]
                    assert isinstance(users, dict) and all(
                        isinstance(u, dict) and u.get("role") in ROLES for u in users.values())
                except (OSError, ValueError, KeyError, TypeError, AssertionError):
                    raise UsersError(f"用户文件 {self.path} 已损坏；请从备份恢复，或删除后用 onemap users add 重建",
                                     f"users file {self.path} is damaged; restore it from a backup, or delete it "
                                     "and run onemap users add") from None
                self._users, self._stamp = users, stamp
            return dict(self._users)

    def role_of(self, name: str) -> str | None:
        entry = self.users().get(name)
        return entry["role"] if entry else None

    def stamp_of(self, name: str) -> str | None:
        """A fingerprint of the user's role and hash: it changes with either (sessions then end)."""
        entry = self.users().get(name)
        if not entry:
            return None
        return hashlib.sha256(f"{entry['role']}|{entry.get('hash', '')}".encode()).hexdigest()[:16]

    def verify(self, name: str, password: str) -> User | None:
        """The user if ``password`` is theirs (constant work for unknown names), else None."""
        entry = self.users().get(name) if isinstance(name, str) else None
        digest = (entry or {}).get("hash") or _DUMMY
        try:
            _HASHER.verify(digest, password if isinstance(password, str) else "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return User(name, entry["role"]) if entry and entry.get("hash") else None

    # --- changes (the CLI) ---

    def _write(self, users: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".users-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": 1, "users": users}, f, ensure_ascii=False, indent=1, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def add(self, name: str, role: str, password: str | None) -> None:
        users = self.users()
        if check_name(name) in users:
            raise UsersError(f"用户 {name} 已存在；改密码用 onemap users passwd", f"user {name} exists; use onemap users passwd")
        users[name] = {"role": check_role(role)}
        if password is not None:
            users[name]["hash"] = _HASHER.hash(check_password(password))
        self._write(users)

    def passwd(self, name: str, password: str) -> None:
        users = self.users()
        if name not in users:
            raise UsersError(f"没有用户 {name}", f"no user {name}")
        users[name] = {**users[name], "hash": _HASHER.hash(check_password(password))}
        self._write(users)

    def remove(self, name: str) -> None:
        users = self.users()
        if users.pop(name, None) is None:
            raise UsersError(f"没有用户 {name}", f"no user {name}")
        self._write(users)
