"""``onemap users``, ``onemap audit`` and the refusal of ``onemap serve --host 0.0.0.0`` without a
sign-in, through the real ``onemap`` group (CliRunner)."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from etl.cli import main
from mapapp import audit as audit_log
from mapapp.users import UsersFile


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input)


def test_users_add_list_passwd_remove(tmp_path):
    db = str(tmp_path / "store.duckdb")
    r = run("users", "add", "lihua", "--role", "planner", "--db", db, input="a long password\na long password\n")
    assert r.exit_code == 0 and "已添加用户 lihua（planner）" in r.output, r.output
    path = tmp_path / "onemap-users.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_text(encoding="utf-8")
    assert "a long password" not in raw and "$argon2id$" in raw  # a salted Argon2id hash, never the password
    assert UsersFile(path).verify("lihua", "a long password").role == "planner"
    assert UsersFile(path).verify("lihua", "a wrong password") is None
    assert run("users", "add", "sso", "--no-password", "--db", db).exit_code == 0
    listed = run("--lang", "en", "users", "list", "--db", db).output
    assert "lihua\tplanner\tpassword" in listed and "sso\tviewer\tproxy" in listed and "argon2" not in listed
    r = run("users", "passwd", "lihua", "--password-stdin", "--db", db, input="another long one\n")
    assert r.exit_code == 0 and UsersFile(path).verify("lihua", "another long one")
    assert run("users", "remove", "lihua", "--db", db).exit_code == 0
    assert "lihua" not in run("users", "list", "--db", db).output


@pytest.mark.parametrize(("args", "words"), [
    (["add", "x", "--password-stdin"], "密码太短"),
    (["add", "bad name!", "--password-stdin"], "用户名无效"),
    (["remove", "ghost"], "没有用户 ghost"),
])
def test_users_errors_are_plain(tmp_path, args, words):
    r = run("users", *args, "--db", str(tmp_path / "s.duckdb"), input="short\n")
    assert r.exit_code == 1 and words in r.output and "Traceback" not in r.output


def test_a_damaged_users_file_is_named(tmp_path):
    (tmp_path / "onemap-users.json").write_text("{not json", encoding="utf-8")
    r = run("users", "list", "--db", str(tmp_path / "s.duckdb"))
    assert r.exit_code == 1 and "已损坏" in r.output


def test_audit_lists_newest_first_with_filters(tmp_path):
    log = tmp_path / "onemap-audit.jsonl"
    audit_log.record(log, "sign_in", "lihua", "planner", ip="10.0.0.2")
    audit_log.record(log, "download", "lihua", "planner", analysis="gaps", format="xlsx")
    audit_log.record(log, "report", "wang", "planner", unit="130200", format="pdf")
    with log.open("a", encoding="utf-8") as f:
        f.write('{"cut in ha')  # a line cut by a full disk is skipped
    r = run("audit", "--db", str(tmp_path / "s.duckdb"))
    lines = r.output.splitlines()
    assert r.exit_code == 0 and lines[0].startswith("时间") and len(lines) == 4
    assert "生成报告" in lines[1] and "unit=130200" in lines[1] and "导出分析表" in lines[2]
    only = run("--lang", "en", "audit", "--db", str(tmp_path / "s.duckdb"), "--user", "lihua", "--action", "download")
    assert only.output.splitlines()[1:] and all("analysis export" in x for x in only.output.splitlines()[1:])
    assert json.loads(log.read_text(encoding="utf-8").splitlines()[0])["ip"] == "10.0.0.2"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "onemap.example.org"])
def test_serve_on_the_network_without_auth_is_refused(tmp_path, host):
    r = run("serve", "--host", host, "--db", str(tmp_path / "none.duckdb"))
    assert r.exit_code == 2 and "拒绝启动" in r.output and "--auth users" in r.output and "onemap users add" in r.output


def test_serve_users_mode_needs_users(tmp_path):
    r = run("--lang", "en", "serve", "--host", "0.0.0.0", "--auth", "users", "--db", str(tmp_path / "none.duckdb"))
    assert r.exit_code == 2 and "needs users" in r.output and "onemap users add" in r.output
