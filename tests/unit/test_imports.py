"""Imports point one way: mapapp -> layers -> etl.schema; etl imports neither."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> dict[str, set[str]]:
    out = {}
    for path in (ROOT / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names |= {f"{node.module}.{a.name}" for a in node.names}
        out[str(path.relative_to(ROOT))] = names
    return out


def test_etl_imports_neither_layers_nor_mapapp():
    for path, names in _imports("etl").items():
        bad = {n for n in names if n.split(".")[0] in ("layers", "mapapp")}
        assert not bad, f"{path} imports {bad}"


def test_layers_imports_only_the_schema_from_etl():
    for path, names in _imports("layers").items():
        top = {n: n.split(".")[0] for n in names}
        bad = {n for n in names if top[n] == "mapapp" or (top[n] == "etl" and n not in ("etl", "etl.schema"))}
        assert not bad, f"{path} imports {bad}"


def test_mapapp_never_imports_duckdb_etl_or_private_layers():
    for path, names in _imports("mapapp").items():
        bad = {n for n in names if n.split(".")[0] in ("duckdb", "etl") or n.startswith("layers._")}
        assert not bad, f"{path} imports {bad}"


def test_the_walker_sees_imports(tmp_path):
    assert "etl.schema" in _imports("layers")["layers/store.py"]


def test_mapapp_calls_only_the_public_layers_api():
    import layers  # noqa: PLC0415

    for path, names in _imports("mapapp").items():
        used = {n.split(".", 1)[1] for n in names if n.startswith("layers.")}
        assert used <= set(layers.__all__), f"{path} reaches past layers.__all__: {used - set(layers.__all__)}"


def test_mapapp_runs_no_sql():
    """The app asks ``layers`` for data; it never queries the store itself (ARCHITECTURE.md)."""
    for path in (ROOT / "mapapp").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in ("query", "execute", "sql"), \
                    f"{path.relative_to(ROOT)}:{node.lineno} calls .{node.func.attr}(): use a layers function"
