"""Stage 1: discover the vendored documents, check them against the manifest, load their text.

A document is added by dropping its file into ``data/sources/`` and adding one entry
to ``sources.yaml``. Nothing else. Problems (missing file, file without an entry,
changed hash, bad encoding, binary content, path tricks) are reported with file and
line; the document is then skipped (or, for encoding fixes we can make exactly,
loaded with a warning).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import paths
from .quality import Log

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
REQUIRED = ("id", "file", "title", "issuer", "date", "kind", "official_reference", "licence",
            "status", "sha256")
MAX_LINE = 20_000          # characters; longer lines are cut for display and reported
MAX_BYTES = 50 * 1024 * 1024


@dataclass
class Document:
    id: str
    path: Path
    meta: dict
    text: str
    sha256: str
    lines: list[str] = field(default_factory=list)

    @property
    def parser(self) -> str | None:
        return self.meta.get("parser")

    @property
    def title(self) -> str:
        return self.meta.get("title", self.id)

    def line(self, n: int) -> str:
        """Line ``n`` (1-based), as in the vendored file."""
        return self.lines[n - 1]

    def numbered(self):
        """``(line_number, text)`` pairs, 1-based."""
        return enumerate(self.lines, start=1)


def load_manifest(log: Log, manifest: Path | None = None) -> list[dict]:
    manifest = manifest or paths.MANIFEST
    rel = _rel(manifest)
    if not manifest.exists():
        log.error("manifest-missing", "sources manifest not found", rel)
        return []
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        log.error("manifest-syntax", f"manifest is not valid YAML: {e}", rel,
                  line + 1 if line is not None else None)
        return []
    entries = data.get("documents") or []
    text_lines = manifest.read_text(encoding="utf-8").splitlines()
    out, seen = [], set()
    for e in entries:
        eid = str(e.get("id", ""))
        line = _line_of(text_lines, f"id: {eid}") if eid else None
        missing = [k for k in REQUIRED if not e.get(k)]
        if missing:
            log.error("manifest-entry", f"entry {eid or '?'} lacks {', '.join(missing)}", rel, line)
            continue
        if not ID_RE.match(eid):
            log.error("manifest-id", f"id {eid!r} is not a slug (a-z, 0-9, '-')", rel, line)
            continue
        f = str(e["file"])
        if "/" in f or "\\" in f or f.startswith("."):
            log.error("manifest-path", f"file {f!r} must be a plain file name in data/sources/",
                      rel, line)
            continue
        if eid in seen:
            log.error("manifest-duplicate", f"id {eid} appears twice", rel, line)
            continue
        seen.add(eid)
        e["_line"] = line
        out.append(e)
    return out


def discover(log: Log, sources_dir: Path | None = None) -> list[Document]:
    """Every manifest entry whose file is present and sound, as a loaded Document."""
    sources_dir = sources_dir or paths.SOURCES
    manifest = sources_dir / "sources.yaml"
    entries = load_manifest(log, manifest)
    listed = {e["file"] for e in entries}
    for p in sorted(sources_dir.iterdir()):
        if p.is_file() and p.name != "sources.yaml" and not p.name.startswith(".") \
                and p.name not in listed and p.suffix.lower() not in (".md",):
            log.error("unlisted-file", "file in data/sources/ has no manifest entry "
                      "(add one to sources.yaml)", _rel(p))
    docs = []
    for e in entries:
        p = sources_dir / e["file"]
        if not p.exists():
            log.error("file-missing", f"manifest entry {e['id']} names a file that is not there",
                      _rel(manifest), e.get("_line"))
            continue
        doc = load_document(p, e, log)
        if doc is not None:
            docs.append(doc)
    return docs


def load_document(path: Path, meta: dict, log: Log) -> Document | None:
    rel = _rel(path)
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != str(meta.get("sha256", "")).lower():
        log.error("hash-mismatch", f"sha256 is {digest}, manifest says {meta.get('sha256')}: "
                  "the file changed; review it and update the manifest", rel)
    if not raw.strip():
        log.error("empty", "document is empty", rel)
        return None
    if len(raw) > MAX_BYTES:
        log.error("too-large", f"document is {len(raw)} bytes (limit {MAX_BYTES})", rel)
        return None
    if b"\x00" in raw:
        line = raw[:raw.index(b"\x00")].count(b"\n") + 1
        log.error("binary", "document contains NUL bytes: not a text file", rel, line)
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        log.warning("bom", "UTF-8 byte order mark removed", rel, 1)
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        log.error("encoding", f"not UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start}); "
                  "convert the file to UTF-8", rel, line)
        return None
    if "\r" in text:
        log.warning("line-endings", "CR/CRLF line endings normalised to LF", rel,
                    text[:text.index("\r")].count("\n") + 1)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, ln in enumerate(lines, start=1):
        if len(ln) > MAX_LINE:
            log.warning("long-line", f"line has {len(ln)} characters (limit {MAX_LINE}); "
                        "cut for display", rel, i)
            lines[i - 1] = ln[:MAX_LINE]
    bad = [i for i, ln in enumerate(lines, start=1)
           if any(ord(c) < 32 and c not in "\t\f" for c in ln)]
    if bad:
        log.warning("control-chars", f"{len(bad)} lines contain control characters", rel, bad[0])
    return Document(id=meta["id"], path=path, meta=meta, text=text, sha256=digest, lines=lines)


def _line_of(lines: list[str], needle: str) -> int | None:
    for i, ln in enumerate(lines, start=1):
        if needle in ln:
            return i
    return None


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(paths.ROOT.resolve()))
    except ValueError:
        return str(p)
