"""Post a Dash callback request as the renderer does, with any (hostile) values, no browser."""

from __future__ import annotations

import json
from typing import Any


def _concrete(spec_id: str, match: dict[str, Any]) -> Any:
    """A callback-map id (plain or a JSON pattern) with ``["MATCH"]`` replaced from ``match``."""
    if not spec_id.startswith("{"):
        return spec_id
    pattern = json.loads(spec_id)
    return {k: (match[k] if v == ["MATCH"] else v) for k, v in pattern.items()}


def callback_key(app: Any, part: str) -> str:
    """The one key of ``app.callback_map`` that contains ``part``."""
    keys = [k for k in app.callback_map if part in k]
    assert len(keys) == 1, (part, keys)
    return keys[0]


def post(client: Any, app: Any, part: str, inputs: list[Any], state: list[Any] | None = None,
         match: dict[str, Any] | None = None, changed: int = 0, **kw: Any) -> Any:
    """POST callback ``part`` with ``inputs``/``state`` values in the order of its spec.

    Non-pattern and MATCH ids get ``{"id", "property", "value"}``; an ALL input takes the value
    as given (a list of such dicts); ``kw`` go to ``client.post``. Returns the Flask test response.
    """
    key = callback_key(app, part)
    spec = app.callback_map[key]
    match = match or {}

    def items(specs: list[dict[str, Any]], values: list[Any]) -> list[Any]:
        out = []
        for s, v in zip(specs, values):
            if '["ALL"]' in s["id"]:
                out.append(v)
            else:
                out.append({"id": _concrete(s["id"], match), "property": s["property"], "value": v})
        return out

    outputs = [{"id": _concrete(o.split(".")[0] if not o.startswith("{") else o.rsplit(".", 1)[0], match),
                "property": o.rsplit(".", 1)[1].split("@")[0]} for o in _outputs(key)]
    body = {"output": key, "outputs": outputs if key.startswith("..") else outputs[0],
            "inputs": items(spec["inputs"], inputs), "state": items(spec.get("state", []), state or []),
            "changedPropIds": [f"{_id_text(spec['inputs'][changed]['id'], match)}.{spec['inputs'][changed]['property']}"]}
    return client.post("/_dash-update-component", json=body, **kw)


def _id_text(spec_id: str, match: dict[str, Any]) -> str:
    concrete = _concrete(spec_id, match)
    return concrete if isinstance(concrete, str) else json.dumps(concrete, sort_keys=True, separators=(",", ":"))


def _outputs(key: str) -> list[str]:
    """``..a.b...c.d..`` -> ["a.b", "c.d"]; ``a.b`` -> ["a.b"]."""
    if not key.startswith(".."):
        return [key]
    return key[2:-2].split("...")
