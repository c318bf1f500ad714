"""App settings: explicit argument, then ``ONEMAP_*`` environment, then default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Sign-in modes: ``local`` (the demo: this machine only, signed in as planner), ``users`` (the
#: users file), ``proxy`` (a trusted reverse proxy's user header).
AUTH_MODES = ("local", "users", "proxy")


@dataclass(frozen=True)
class Settings:
    """Where the store is and how to serve it."""

    db_path: str = "data/jjj.duckdb"
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    lang: str = "zh"
    tianditu_key: str = ""  # optional online basemap; empty: the choice is shown disabled
    budget_cells: int = 500_000  # most cells one analysis may process (res 9 region-wide: 2.9 million)
    budget_pairs: int = 10_000_000_000  # most candidate x demand pairs of one siting run
    job_memory_mb: int = 4096  # address space of the child process of one analysis (0: no child)
    job_seconds: int = 120  # an analysis still running after this is stopped
    auth: str = "local"  # one of AUTH_MODES
    users_file: str = ""  # default: onemap-users.json beside the store
    audit_log: str = ""  # default: onemap-audit.jsonl beside the store
    secret_file: str = ""  # default: onemap-secret.key beside the store (ONEMAP_SECRET_KEY wins)
    proxy_allow: tuple[str, ...] = ("127.0.0.1", "::1")  # addresses/networks of the trusted proxy
    proxy_header: str = "Remote-User"  # the header the proxy sets to the signed-in user
    proxy_role: str = "viewer"  # role of proxy users not listed in the users file
    idle_minutes: int = 60  # a session unused this long signs out
    cookie_secure: bool = True  # session cookie only over HTTPS (the organisation's proxy)
    published_dir: str = ""  # default: onemap-published beside the store (reports released to viewers)
    jobs_dir: str = ""  # background jobs and recent results (default: a temp folder named after the store)

    def beside_store(self, explicit: str, name: str) -> Path:
        """``explicit`` if set, else ``name`` in the store's folder."""
        return Path(explicit) if explicit else Path(self.db_path).resolve().parent / name

    def users_path(self) -> Path:
        return self.beside_store(self.users_file, "onemap-users.json")

    def audit_path(self) -> Path:
        return self.beside_store(self.audit_log, "onemap-audit.jsonl")

    def published_path(self) -> Path:
        return self.beside_store(self.published_dir, "onemap-published")

    def secret_path(self) -> Path:
        return self.beside_store(self.secret_file, "onemap-secret.key")

    @classmethod
    def from_env(cls, **explicit: object) -> "Settings":
        """Explicit keyword arguments win over ``ONEMAP_DB_PATH``/``_HOST``/``_PORT``/``_DEBUG``/
        ``_LANG``/``_TIANDITU_KEY``."""
        env = os.environ
        values = {
            "db_path": env.get("ONEMAP_DB_PATH", cls.db_path),
            "host": env.get("ONEMAP_HOST", cls.host),
            "port": int(env.get("ONEMAP_PORT", cls.port)),
            "debug": env.get("ONEMAP_DEBUG", "").lower() in ("1", "true", "yes"),
            "lang": env.get("ONEMAP_LANG", cls.lang) if env.get("ONEMAP_LANG") in ("zh", "en") else cls.lang,
            "tianditu_key": env.get("ONEMAP_TIANDITU_KEY", "").strip(),
            "budget_cells": int(float(env.get("ONEMAP_BUDGET_CELLS", cls.budget_cells))),
            "budget_pairs": int(float(env.get("ONEMAP_BUDGET_PAIRS", cls.budget_pairs))),
            "job_memory_mb": int(env.get("ONEMAP_JOB_MEMORY_MB", cls.job_memory_mb)),
            "job_seconds": int(env.get("ONEMAP_JOB_SECONDS", cls.job_seconds)),
            "auth": env.get("ONEMAP_AUTH", cls.auth),
            "users_file": env.get("ONEMAP_USERS_FILE", ""),
            "audit_log": env.get("ONEMAP_AUDIT_LOG", ""),
            "secret_file": env.get("ONEMAP_SECRET_FILE", ""),
            "proxy_allow": tuple(a.strip() for a in env["ONEMAP_PROXY_ALLOW"].split(",") if a.strip())
            if env.get("ONEMAP_PROXY_ALLOW") else cls.proxy_allow,
            "proxy_header": env.get("ONEMAP_PROXY_HEADER", cls.proxy_header),
            "proxy_role": env.get("ONEMAP_PROXY_ROLE", cls.proxy_role),
            "idle_minutes": int(env.get("ONEMAP_IDLE_MINUTES", cls.idle_minutes)),
            "cookie_secure": env.get("ONEMAP_COOKIE_SECURE", "1").lower() not in ("0", "false", "no"),
            "jobs_dir": env.get("ONEMAP_JOBS_DIR", ""),
            "published_dir": env.get("ONEMAP_PUBLISHED_DIR", ""),
        }
        values.update({k: v for k, v in explicit.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
