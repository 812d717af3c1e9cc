"""The JSON API: the per-comune and per-programme JSON twins as a documented, versioned
contract.

The twins (``/comuni/<istat>/index.json``, ``/programmi/<slug>/index.json``) are the pages'
contexts, written as JSON. Their shape is fixed by the JSON Schemas in
``generator/schemas/`` (Draft 2020-12, closed objects: a field the schema does not name
fails validation, so the tests notice any change of shape), published at
``/dati/api/v<major>/<name>.schema.json`` and named by each twin's ``$schema``. The
page ``/dati/api/`` documents the URLs and every field from the schemas themselves, with
the changelog of ``content/api.yaml``.

Versioning: a change that only adds fields is a minor version (the schema at the same
URL gains the fields: clients that ignore unknown fields keep working); removing or
renaming a field or changing its type is a new major version, published at a new URL.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from . import paths

SCHEMAS = Path(__file__).resolve().parent / "schemas"
MAJOR = "v1"
BASE = f"/dati/api/{MAJOR}/"
ENDPOINTS = {  # schema name -> (URL pattern, example, what it is)
    "comune": (
        "/comuni/{istat}/index.json",
        "/comuni/016024/index.json",
        "Un comune: anagrafica e tutti i dati pubblicati su di esso, con la provenienza.",
    ),
    "programma": (
        "/programmi/{slug}/index.json",
        "/programmi/fondo-0-6-riparto-2018/index.json",
        "Un programma: descrizione, pacchetti, tabelle (anteprima), grafici, verifiche.",
    ),
}
CHANGELOG = "api.yaml"  # in content/


def schema_path(name: str) -> str:
    """Site path of a published schema: ``/dati/api/v1/comune.schema.json``."""
    return f"{BASE}{name}.schema.json"


@cache
def schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def schema_url(name: str) -> str:
    """The schema's ``$id`` (absolute): the value of a twin's ``$schema``."""
    return schema(name)["$id"]


def twin(name: str, ctx: dict) -> dict:
    """The JSON twin of a page: its context, led by the ``$schema`` it conforms to."""
    return {"$schema": schema_url(name), **ctx}


def _type(node: dict, root: dict) -> str:
    node = _resolve(node, root)
    if "const" in node:
        return "costante"
    if "oneOf" in node:
        return " | ".join(_type(n, root) for n in node["oneOf"])
    t = node.get("type", "qualsiasi")
    names = {
        "string": "stringa",
        "integer": "intero",
        "number": "numero",
        "boolean": "booleano",
        "object": "oggetto",
        "array": "lista",
        "null": "null",
    }
    out = " | ".join(names.get(x, x) for x in (t if isinstance(t, list) else [t]))
    if node.get("format") == "date":
        out += " (data)"
    return out


def _resolve(node: dict, root: dict) -> dict:
    ref = node.get("$ref")
    if not ref:
        return node
    target = root
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    merged = {**_resolve(target, root), **{k: v for k, v in node.items() if k != "$ref"}}
    merged["properties"] = {
        **_resolve(target, root).get("properties", {}),
        **node.get("properties", {}),
    }
    merged["required"] = sorted(
        set(_resolve(target, root).get("required", [])) | set(node.get("required", []))
    )
    return merged


def fields(name: str) -> list[dict]:
    """Every field of a schema, depth first: ``{path, type, required, description}``
    (``programmes[].facts[].source.line_start``), for the documentation page."""
    root = schema(name)
    out: list[dict] = []

    def walk(node: dict, prefix: str) -> None:
        node = _resolve(node, root)
        for variant in node.get("oneOf", []):
            if _resolve(variant, root).get("type") == "object":
                walk(variant, prefix)
        req = set(node.get("required", []))
        for key, sub in node.get("properties", {}).items():
            sub_r = _resolve(sub, root)
            path = f"{prefix}{key}"
            out.append(
                {
                    "path": path,
                    "type": _type(sub, root),
                    "required": key in req,
                    "description": sub.get("description") or sub_r.get("description", ""),
                }
            )
            if sub_r.get("type") == "object" or any(
                _resolve(v, root).get("type") == "object" for v in sub_r.get("oneOf", [])
            ):
                walk(sub_r, path + ".")
            items = sub_r.get("items")
            if isinstance(items, dict) and _resolve(items, root).get("type") == "object":
                walk(items, path + "[].")
            elif (
                isinstance(items, dict)
                and isinstance(_resolve(items, root).get("items"), dict)
                and _resolve(_resolve(items, root)["items"], root).get("type") == "object"
            ):
                walk(_resolve(items, root)["items"], path + "[][].")

    walk(root, "")
    return out


def changelog(path: Path | None = None) -> dict:
    """``content/api.yaml``: the API's version and its changelog (newest first)."""
    path = path or paths.CONTENT / CHANGELOG
    data = paths.load_yaml(path.read_text(encoding="utf-8")) if path.exists() else {}
    data = data or {}
    return {
        "version": str(data.get("version") or ""),
        "changes": [
            {"version": str(c["version"]), "date": str(c["date"]), "text": str(c["text"])}
            for c in data.get("changelog") or []
        ],
    }


def page_context() -> dict:
    log = changelog()
    return {
        "version": log["version"],
        "major": MAJOR,
        "changes": log["changes"],
        "endpoints": [
            {
                "name": n,
                "pattern": pat,
                "example": ex,
                "what": what,
                "schema": schema_path(n),
                "title": schema(n)["title"],
                "description": schema(n)["description"],
                "fields": fields(n),
            }
            for n, (pat, ex, what) in ENDPOINTS.items()
        ],
    }


def files() -> dict[str, bytes]:
    """The published schemas: site path -> bytes (as in generator/schemas/)."""
    return {schema_path(n): (SCHEMAS / f"{n}.schema.json").read_bytes() for n in ENDPOINTS}
