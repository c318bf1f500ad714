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


def _layers_imports() -> dict[str, list[tuple[str, str]]]:
    """Per file of ``layers``: (module, name) of every absolute ``from layers... import name``."""
    out = {}
    for path in (ROOT / "layers").rglob("*.py"):
        pairs = []
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] == "layers":
                pairs += [(node.module, a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                pairs += [(a.name, "") for a in node.names if a.name.split(".")[0] == "layers"]
        out[str(path.relative_to(ROOT))] = pairs
    return out


def test_the_rooms_of_layers_point_one_way():
    """map/ draws and never computes analyses or reports; analysis/ never reaches map/ or report/."""
    forbidden = {"layers/map/": ("layers.analysis", "layers.report"),
                 "layers/analysis/": ("layers.map", "layers.report"),
                 "layers/frames.py": ("layers.map", "layers.analysis", "layers.report"),
                 "layers/store.py": ("layers.map", "layers.analysis", "layers.report")}
    seen = set()
    for path, pairs in _layers_imports().items():
        for room, bad in forbidden.items():
            if path.startswith(room):
                seen.add(room)
                hits = {f"{m}.{n}" for m, n in pairs
                        if any(f"{m}.{n}" == b or f"{m}.{n}".startswith(b + ".") or m == b or m.startswith(b + ".")
                               for b in bad)}
                assert not hits, f"{path} imports {hits} (rooms: see layers/__init__.py)"
    assert seen == set(forbidden)


def test_no_module_of_layers_imports_another_modules_private_names():
    """What two modules share is public (in layers.frames or the travel model), never ``_name``."""
    bad = {path: sorted(f"{m}.{n}" for m, n in pairs if n.startswith("_"))
           for path, pairs in _layers_imports().items()}
    assert not {p: b for p, b in bad.items() if b}


def test_every_room_says_what_lives_there():
    import layers  # noqa: PLC0415
    import layers.analysis  # noqa: PLC0415
    import layers.frames  # noqa: PLC0415
    import layers.map  # noqa: PLC0415
    import layers.report  # noqa: PLC0415

    for module in (layers, layers.analysis, layers.map, layers.report, layers.frames):
        assert module.__doc__ and len(module.__doc__.split()) >= 20, module.__name__


def test_long_modules_say_why_they_are_long():
    """No file of layers/ or mapapp/ passes ~400 lines without a docstring sentence saying why."""
    for package in ("layers", "mapapp"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") > 420:
                doc = ast.get_docstring(ast.parse(text)) or ""
                assert "long" in doc.lower() or "长" in doc, f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines"
