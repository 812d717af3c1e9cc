"""Writing the output tree: atomic, incremental, byte-identical.

A build writes into a staging directory beside ``site/``. When a previous site
exists, the staging directory starts as a hard-linked copy of it, and a file is
rewritten only when its bytes changed (its sha256 differs from the manifest of the
previous build); a changed file is unlinked before it is written, so the previous
site is never modified. Files the new build did not produce are removed. Unchanged
files keep their inode and mtime, so a deploy uploads only what changed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

MANIFEST = "build-manifest"     # kept in the cache dir, one per output directory


def manifest_path(cache_dir: Path, site_dir: Path) -> Path:
    key = hashlib.sha256(str(Path(site_dir).resolve()).encode()).hexdigest()[:16]
    return cache_dir / f"{MANIFEST}-{key}.json"


def inert_json(text: str) -> str:
    """JSON with ``<``, ``>`` and ``&`` as \\u escapes: the same data for every JSON
    reader, and inert if a file is ever served or embedded as HTML."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class Writer:
    """Writes files under ``root``; records each file's sha256 and the HTML pages."""

    def __init__(self, root: Path, previous: dict[str, str] | None = None):
        self.root = Path(root)
        self.previous = previous or {}
        self.hashes: dict[str, str] = {}
        self.pages: list[str] = []
        self.count = 0
        self.written = 0
        self._root = str(self.root)
        self._dirs: set[str] = set()

    @staticmethod
    def rel(url_path: str) -> str:
        rel = url_path.lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        return rel

    def write(self, url_path: str, data: str | bytes) -> None:
        rel = self.rel(url_path)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        h = hashlib.sha256(raw).hexdigest()
        self.hashes[rel] = h
        self.count += 1
        if rel.endswith(".html") and rel != "404.html":
            self.pages.append("/" + rel[: -len("index.html")] if rel.endswith("index.html") else "/" + rel)
        path = f"{self._root}/{rel}"
        if self.previous:
            if self.previous.get(rel) == h and os.path.exists(path):
                return
            if os.path.lexists(path):
                os.unlink(path)     # never write through a hard link into the previous site
        self._makedirs(rel)
        # a fresh staging tree has no file to replace, but a page may be written twice
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        self.written += 1

    def _makedirs(self, rel: str) -> None:
        d = rel.rpartition("/")[0]
        if d and d not in self._dirs:
            os.makedirs(f"{self._root}/{d}", exist_ok=True)
            self._dirs.add(d)

    def json(self, url_path: str, obj, default=None) -> None:
        # compact separators keep the C encoder (indent= falls back to pure Python)
        self.write(url_path, inert_json(json.dumps(obj, ensure_ascii=False, separators=(",", ":"),
                                                   default=default)) + "\n")

    def merge(self, other: "Writer") -> None:
        """Take over what a worker process wrote."""
        self.hashes.update(other.hashes)
        self.pages += other.pages
        self.count += other.count
        self.written += other.written


def stage(site_dir: Path, previous_ok: bool) -> Path:
    """A staging directory beside ``site_dir``: a hard-linked copy of it when reusable."""
    tmp = site_dir.with_name(f".{site_dir.name}-staging-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    if previous_ok and site_dir.is_dir():
        try:
            shutil.copytree(site_dir, tmp, copy_function=os.link)
            return tmp
        except OSError:     # hard links not possible here: start empty
            shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def prune(root: Path, keep: set[str], keep_prefixes: tuple[str, ...] = ()) -> int:
    """Remove files of ``root`` that this build did not write (and empty directories)."""
    removed = 0
    for dirpath, dirnames, files in os.walk(root, topdown=False):
        rel_dir = os.path.relpath(dirpath, root)
        for f in files:
            rel = f if rel_dir == "." else f"{rel_dir}/{f}"
            if rel not in keep and not rel.startswith(keep_prefixes):
                os.unlink(os.path.join(dirpath, f))
                removed += 1
        if rel_dir != "." and not os.listdir(dirpath):
            os.rmdir(dirpath)
    return removed


def swap(tmp: Path, site_dir: Path) -> None:
    """Replace ``site_dir`` with ``tmp`` by renames; the old tree is removed afterwards."""
    old = None
    if site_dir.exists():
        old = site_dir.with_name(f".{site_dir.name}-old-{os.getpid()}")
        if old.exists():
            shutil.rmtree(old)
        os.replace(site_dir, old)
    os.replace(tmp, site_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def load_manifest(cache_dir: Path, site_dir: Path) -> dict[str, str]:
    p = manifest_path(cache_dir, site_dir)
    if not p.exists() or not site_dir.is_dir():
        return {}
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("files", {}) if data.get("site") == str(site_dir.resolve()) else {}


def save_manifest(cache_dir: Path, site_dir: Path, hashes: dict[str, str], inputs: str,
                  blocking: int = 0) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    final = manifest_path(cache_dir, site_dir)
    tmp = final.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({"site": str(site_dir.resolve()), "inputs": inputs,
                               "blocking": blocking, "files": hashes}, sort_keys=True),
                   encoding="utf-8")
    os.replace(tmp, final)
