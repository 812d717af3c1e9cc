"""Stage 1: discover the vendored documents, check them against the manifest, load their text.

A document is added by dropping its file into ``data/sources/`` and adding one entry
to ``sources.yaml``. Nothing else. Problems (unreadable or malformed manifest, missing
file, file without an entry, changed hash, bad encoding, binary content, path tricks,
unknown parser) are reported with file and line; the document is then skipped (or,
where the text can be normalised exactly — BOM, CR/CRLF line endings — loaded with a
warning). A bad input never stops the build: it is reported and the rest goes on.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path

import yaml

from . import paths
from .quality import Log

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")
SHA_RE = re.compile(r"^[0-9a-fA-F]{64}$")
REQUIRED = (
    "id",
    "file",
    "title",
    "issuer",
    "date",
    "kind",
    "official_reference",
    "licence",
    "status",
    "sha256",
)
# Every key an entry may have (README, "Adding a document"); anything else is an error and
# is never published. ``date`` may be a YAML date, ``specs`` is a list of spec names
# (data/specs/<name>.yaml); every other value is text.
OPTIONAL = ("parser", "specs", "region", "date_note", "source_url")
FIELDS = REQUIRED + OPTIONAL
MAX_MANIFEST_BYTES = 1024 * 1024
# Characters that change how text reads without being seen: bidirectional overrides and
# isolates, zero-width spaces and joiners, the word joiner, the BOM inside text.
INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c"
        "\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff\u061c",
    )
)


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases (no alias bomb can expand: a
    manifest has no use for them) and without duplicate keys (no silent last-wins)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None,
                None,
                "anchors and aliases (&name, *name) are not allowed here",
                event.start_mark,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark.line + 1)
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be plain text", key_node.start_mark
                ) from None
            if first != key_node.start_mark.line + 1:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first at line {first})",
                    key_node.start_mark,
                )
        return super().construct_mapping(node, deep=deep)


def strict_yaml(text: str):
    """``(data, tree)`` of a YAML text read with :class:`StrictLoader` (``tree``: the
    composed nodes, for line numbers)."""
    loader = StrictLoader(text)
    try:
        tree = loader.get_single_node()
        data = loader.construct_document(tree) if tree is not None else None
    finally:
        loader.dispose()
    return data, tree


MAX_LINE = 20_000  # characters; longer lines are cut for display and reported
MAX_BYTES = 50 * 1024 * 1024


class Document:
    """A vendored document: its manifest entry (``meta``), its lines as they are read and
    shown (each cut at ``MAX_LINE`` characters) and the sha256 of its bytes. ``text`` is
    the whole text; it is made from the lines when asked for, and kept apart only when it
    differs from them (a line cut, or line endings other than LF): one copy of a bulletin
    in memory, not two (1,000 bulletins: about 1 GiB)."""

    __slots__ = ("id", "path", "meta", "sha256", "lines", "_text", "_final_newline")

    def __init__(
        self,
        id: str,
        path: Path,
        meta: dict,
        text: str,
        sha256: str,
        lines: list[str] | None = None,
    ):
        self.id, self.path, self.meta, self.sha256 = id, path, meta, sha256
        self.lines = lines if lines is not None else []
        self._final_newline = text.endswith("\n")
        self._text: str | None = None
        if text != self.text:
            self._text = text

    @property
    def text(self) -> str:
        if self._text is not None:
            return self._text
        return "\n".join(self.lines) + ("\n" if self._final_newline else "")

    def __repr__(self) -> str:
        return f"Document(id={self.id!r}, path={str(self.path)!r}, lines={len(self.lines)})"

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
    """The sound entries of the manifest; every unsound one is reported and left out.

    Each returned entry has ``id`` and ``file`` as strings and ``_line``, the line of the
    manifest where the entry starts.
    """
    manifest = manifest or paths.MANIFEST
    rel = _rel(manifest)
    if not manifest.is_file():
        log.error("manifest-missing", "sources manifest not found", rel)
        return []
    raw = manifest.read_bytes()
    if len(raw) > MAX_MANIFEST_BYTES:
        log.error(
            "manifest-syntax", f"manifest is {len(raw)} bytes (limit {MAX_MANIFEST_BYTES})", rel
        )
        return []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        log.error(
            "manifest-encoding",
            f"manifest is not UTF-8 (byte 0x{raw[e.start]:02x}); convert it to UTF-8",
            rel,
            raw[: e.start].count(b"\n") + 1,
        )
        return []
    try:
        data, tree = strict_yaml(text)
    except yaml.YAMLError as e:
        line = getattr(getattr(e, "problem_mark", None), "line", None)
        log.error(
            "manifest-syntax",
            f"manifest is not valid YAML: {e}",
            rel,
            line + 1 if line is not None else None,
        )
        return []
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("documents") or [], list):
        log.error(
            "manifest-syntax",
            "manifest must be a mapping whose `documents:` is a list of entries",
            rel,
            1,
        )
        return []
    entries = data.get("documents") or []
    lines = _entry_lines(tree, len(entries))
    known_parsers = _parser_families()
    out, seen, files = [], set(), {}
    for e, line, key_lines in zip(entries, lines, _key_lines(tree, len(entries))):
        if not isinstance(e, dict):
            log.error("manifest-entry", f"entry is not a mapping of fields: {e!r}", rel, line)
            continue
        eid = str(e.get("id") or "")
        for k in [k for k in e if k not in FIELDS]:
            log.error(
                "manifest-key",
                f"entry {eid or '?'}: unknown key {k!r} (not published; "
                f"the keys are {', '.join(FIELDS)})",
                rel,
                key_lines.get(k, line),
            )
            del e[k]
        missing = [k for k in REQUIRED if e.get(k) in (None, "", [], {})]
        if missing:
            log.error("manifest-entry", f"entry {eid or '?'} lacks {', '.join(missing)}", rel, line)
            continue
        # (a parser that is not a name is reported below: the document keeps its page)
        wrong = [
            k
            for k in FIELDS
            if k in e
            and e[k] is not None
            and not isinstance(e[k], str)
            and not (k == "date" and isinstance(e[k], datetime.date))
            and not (
                k == "specs"
                and isinstance(e[k], list)
                and all(isinstance(x, str) and x for x in e[k])
            )
            and k != "parser"
        ]
        if wrong:
            for k in wrong:
                log.error(
                    "manifest-type",
                    f"entry {eid or '?'}: {k} must be text, not "
                    f"{_yaml_type(e[k])} ({e[k]!r}); quote it",
                    rel,
                    key_lines.get(k, line),
                )
            continue
        if not SHA_RE.match(e["sha256"]):
            log.error(
                "manifest-type",
                f"entry {eid}: sha256 {e['sha256']!r} is not 64 hexadecimal digits",
                rel,
                key_lines.get("sha256", line),
            )
            continue
        for k, v in e.items():
            if isinstance(v, str) and v.translate(INVISIBLE) != v:
                log.warning(
                    "invisible-chars",
                    f"entry {eid or '?'}: {k} holds invisible or "
                    "bidirectional control characters (removed)",
                    rel,
                    key_lines.get(k, line),
                )
                e[k] = v.translate(INVISIBLE)
        if not ID_RE.match(eid):
            log.error("manifest-id", f"id {eid!r} is not a slug (a-z, 0-9, '-')", rel, line)
            continue
        f = e["file"]
        if not isinstance(f, str) or "/" in f or "\\" in f or f.startswith(".") or "\0" in f:
            log.error(
                "manifest-path", f"file {f!r} must be a plain file name in data/sources/", rel, line
            )
            continue
        if eid in seen:
            log.error("manifest-duplicate", f"id {eid} appears twice", rel, line)
            continue
        if f in files:
            log.error(
                "manifest-duplicate", f"file {f} is already the file of entry {files[f]}", rel, line
            )
            continue
        try:
            date = datetime.date.fromisoformat(str(e["date"]))
        except ValueError:
            log.error(
                "manifest-date",
                f"entry {eid}: date {e['date']!r} is not a date (YYYY-MM-DD)",
                rel,
                line,
            )
            continue
        entry = {**e, "id": eid, "date": date.isoformat(), "_line": line}
        parser = e.get("parser")
        if parser not in (None, "") and (
            not isinstance(parser, str)
            or (parser not in known_parsers[0] and parser not in known_parsers[1])
        ):
            log.warning(
                "unknown-parser",
                f"entry {eid} names parser {parser!r}, which does not "
                f"exist (known: {', '.join(sorted(known_parsers[0]))}); the document "
                "gets a page but no dataset",
                rel,
                line,
            )
            entry["parser"] = str(parser)
        seen.add(eid)
        files[f] = eid
        out.append(entry)
    return out


def _yaml_type(v) -> str:
    return {
        bool: "yes/no",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a mapping",
    }.get(type(v), type(v).__name__)


def discover(log: Log, sources_dir: Path | None = None) -> list[Document]:
    """Every manifest entry whose file is present and sound, as a loaded Document."""
    sources_dir = sources_dir or paths.SOURCES
    if not sources_dir.is_dir():
        log.error("sources-missing", "the sources folder does not exist", _rel(sources_dir))
        return []
    manifest = sources_dir / "sources.yaml"
    entries = load_manifest(log, manifest)
    listed = {e["file"] for e in entries}
    for p in sorted(sources_dir.iterdir()):
        if (
            p.is_file()
            and p.name != "sources.yaml"
            and not p.name.startswith(".")
            and p.name not in listed
            and p.suffix.lower() not in (".md",)
        ):
            log.error(
                "unlisted-file",
                "file in data/sources/ has no manifest entry (add one to sources.yaml)",
                _rel(p),
            )
    docs = []
    for e in entries:
        p = sources_dir / e["file"]
        if p.is_symlink():
            log.error(
                "symlink",
                f"manifest entry {e['id']} names a symbolic link (to "
                f"{p.readlink()}): vendor the file itself",
                _rel(manifest),
                e.get("_line"),
            )
            continue
        if not p.exists():
            log.error(
                "file-missing",
                f"manifest entry {e['id']} names a file that is not there",
                _rel(manifest),
                e.get("_line"),
            )
            continue
        if not p.is_file():
            log.error(
                "not-a-file",
                f"manifest entry {e['id']} names {e['file']}, which is not a regular file",
                _rel(manifest),
                e.get("_line"),
            )
            continue
        doc = load_document(p, e, log)
        if doc is not None:
            docs.append(doc)
    return docs


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0d-\x1f]")


def load_document(path: Path, meta: dict, log: Log) -> Document | None:
    rel = _rel(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        log.error("unreadable", f"document cannot be read: {e.strerror}", rel)
        return None
    digest = hashlib.sha256(raw).hexdigest()
    if digest != str(meta.get("sha256", "")).lower():
        log.error(
            "hash-mismatch",
            f"sha256 is {digest}, manifest says {meta.get('sha256')}: "
            "the file changed; review it and update the manifest",
            rel,
        )
    if not raw.strip():
        log.error("empty", "document is empty", rel)
        return None
    if len(raw) > MAX_BYTES:
        log.error("too-large", f"document is {len(raw)} bytes (limit {MAX_BYTES})", rel)
        return None
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        log.error("binary", "document contains NUL bytes: not a text file", rel, line)
        return None
    if raw.startswith(b"\xef\xbb\xbf"):
        log.warning("bom", "UTF-8 byte order mark removed", rel, 1)
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        log.error(
            "encoding",
            f"not UTF-8 (byte 0x{raw[e.start]:02x} at offset {e.start}"
            f"{_legacy_hint(raw)}); convert the file to UTF-8",
            rel,
            line,
        )
        return None
    if "\r" in text:
        log.warning(
            "line-endings",
            "CR/CRLF line endings normalised to LF",
            rel,
            text[: text.index("\r")].count("\n") + 1,
        )
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, ln in enumerate(lines, start=1):
        if len(ln) > MAX_LINE:
            log.warning(
                "long-line",
                f"line has {len(ln)} characters (limit {MAX_LINE}); cut for display",
                rel,
                i,
            )
            lines[i - 1] = ln[:MAX_LINE]
    # control characters other than tab and form feed (a line holds no newline or CR)
    bad = (
        [i for i, ln in enumerate(lines, start=1) if _CONTROL.search(ln)]
        if _CONTROL.search(text)
        else []
    )
    if bad:
        log.warning("control-chars", f"{len(bad)} lines contain control characters", rel, bad[0])
    return Document(id=meta["id"], path=path, meta=meta, text=text, sha256=digest, lines=lines)


def _legacy_hint(raw: bytes) -> str:
    """``'; it reads as Windows-1252 (cp1252)'`` when that legacy encoding decodes it."""
    for enc, name in (("cp1252", "Windows-1252 (cp1252)"), ("latin-1", "Latin-1")):
        try:
            raw.decode(enc)
        except UnicodeDecodeError:
            continue
        return f"; it reads as {name}"
    return ""


def _entry_lines(tree, n: int) -> list[int | None]:
    """1-based manifest line where each of the ``n`` entries of ``documents:`` starts."""
    if isinstance(tree, yaml.MappingNode):
        for key, value in tree.value:
            if getattr(key, "value", None) == "documents" and isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in value.value]
    return [None] * n


def _key_lines(tree, n: int) -> list[dict[str, int]]:
    """For each of the ``n`` entries of ``documents:``, the 1-based line of each key."""
    if isinstance(tree, yaml.MappingNode):
        for key, value in tree.value:
            if getattr(key, "value", None) == "documents" and isinstance(value, yaml.SequenceNode):
                return [
                    {
                        k.value: k.start_mark.line + 1
                        for k, _ in item.value
                        if isinstance(k, yaml.ScalarNode)
                    }
                    if isinstance(item, yaml.MappingNode)
                    else {}
                    for item in value.value
                ]
    return [{} for _ in range(n)]


def _parser_families() -> tuple[set[str], set[str]]:
    """``(families, modules that failed to import)`` of generator/parsers."""
    from . import parsers  # here, not at the top: parsers import this module's types

    return set(parsers.families()), set(parsers.BROKEN)


def _rel(p: Path) -> str:
    try:
        return str(p.resolve().relative_to(paths.ROOT.resolve()))
    except ValueError:
        return str(p)
