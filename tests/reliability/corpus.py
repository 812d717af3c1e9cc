"""The bad-input corpus of the reliability tests, written into temporary folders.

A corpus is a ``sources/`` folder (documents + ``sources.yaml``) like ``data/sources/``.
Every *kind* of bad input (:data:`KINDS`) is one small change to a clean corpus: a
broken file, a broken manifest entry, or a patch to one line of a real vendored
document (the SMART list, the BURL bulletin with the Fondo 0-6 table, the Aree interne
slides) or of a short crafted GU fragment. Each kind knows

* how to make the corpus with the hazard and its clean twin (:meth:`Kind.sources`);
* what the build must report, as :class:`Expect` entries: a problem code, a check or a
  reject, located by document and by the text of the line (so the same expectation
  holds in the one-kind corpus and in the corpus of all kinds, where line numbers of
  the manifest differ).

:func:`all_kinds_sources` puts every kind side by side in one corpus (one document per
parser family: all SMART hazards go into one SMART list, all BURL hazards into one
bulletin), for the end-to-end builds.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from generator import build, paths, quality, registry, sources
from generator.quality import Log

REAL_SOURCES = paths.SOURCES          # captured at import: tests monkeypatch paths.SOURCES
SCRIPT = "<script>alert(1)</script>"
JS_URL = "javascript:alert(1)"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, JS_URL, IMG)
# What must never appear unescaped in HTML/XML output (the payloads' active parts).
RAW_MARKERS = ("<script>alert", "<img src=x", 'href="javascript:', "src=x onerror")


def real_lines(file: str) -> list[str]:
    return (REAL_SOURCES / file).read_text(encoding="utf-8").split("\n")


def text_of(lines: list[str]) -> bytes:
    return "\n".join(lines).encode("utf-8")


def quiet_log() -> Log:
    return Log(stream=io.StringIO(), quiet=True)


# -- documents and manifests ----------------------------------------------------------
@dataclass
class Source:
    """One document of a corpus: its manifest entry and its bytes."""
    id: str
    content: bytes | None            # None: the entry names a file that is not there
    parser: str | None = None
    file: str | None = None          # default "<id>.txt"
    listed: bool = True              # False: the file is there, the manifest has no entry
    sha256: str | None = None        # default: the hash of ``content``
    meta: dict = field(default_factory=dict)
    symlink_to: Path | None = None   # the file is a symbolic link to this path
    directory: bool = False          # the file is a directory
    raw_entry: str | None = None     # the manifest entry as raw YAML lines (malformed entries)

    @property
    def filename(self) -> str:
        return self.file or f"{self.id}.txt"


def write_corpus(folder: Path, docs: list[Source]) -> dict[str, int]:
    """Write ``docs`` and their ``sources.yaml`` into ``folder``.

    Returns ``{id: line of the entry in sources.yaml}``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Corpus di prova (tests/reliability)", "documents:"]
    where: dict[str, int] = {}
    for d in docs:
        target = folder / d.filename if "/" not in d.filename else None
        if target is not None and d.symlink_to is not None:
            target.symlink_to(d.symlink_to)
        elif target is not None and d.directory:
            target.mkdir()
        elif target is not None and d.content is not None:
            target.write_bytes(d.content)
        if not d.listed:
            continue
        where[d.id] = len(lines) + 1
        if d.raw_entry is not None:
            lines += d.raw_entry.split("\n")
            continue
        entry = {"id": d.id, "file": d.filename, "title": f"Documento di prova {d.id}",
                 "issuer": "Corpus di prova", "date": "2024-01-01", "kind": "prova",
                 "official_reference": f"Prova {d.id}", "licence": "CC0 (prova)",
                 "status": "test",
                 "sha256": d.sha256 or hashlib.sha256(d.content or b"").hexdigest()}
        if d.parser:
            entry["parser"] = d.parser
        entry.update(d.meta)
        for i, (k, v) in enumerate(entry.items()):
            lines.append(("  - " if i == 0 else "    ") + f"{k}: {json.dumps(v, ensure_ascii=False)}")
    (folder / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return where


# -- the clean documents ----------------------------------------------------------------
SMART = "smart-polizia-locale-2025.txt"
BURL = "burl-2018-so47.txt"
AREE = "aree-interne-2021-2027.txt"
PD = "pd-lombardia-regolamento-2014.txt"

H3 = "Numero d'ordine\tCOMUNI\tAliquota deliberata %"
GU_FRAGMENT = [
    "## INDICE ALFABETICO PER PROVINCIA", "",
    "Asti . . . . .\tPag. 3\t\t", "Lecce . . . . .\t4\t\t", "",
    H3,
    "**PROVINCIA DI ASTI**",
    "1.\tAgliano\t20",
    "2.\tAlbugnano\t16",
    "<b>PROVINCIA DI LECCE</b>\t\t",
    "1.\tAlessano\t20",
    "2.\tAlliste\t12",
]

# Ids of the documents every corpus holds. The baseline is untouched: it must come out
# of every build exactly as from data/sources/.
BASELINE_ID = "prova-pd-collegi"


def baseline() -> Source:
    return Source(BASELINE_ID, text_of(real_lines(PD)), "pd_collegi")


# A patch changes a document: ``{line: new text}`` (1-based, same line count), a cut
# (keep lines up to ``cut_line``, that one only up to ``cut_chars`` characters), or a
# byte-level transformation (BOM, CRLF).
@dataclass
class Patch:
    lines: dict[int, str] = field(default_factory=dict)
    cut: tuple[int, int] | None = None
    transform: Callable[[bytes], bytes] | None = None


def patched(base: list[str], patches: list[Patch]) -> bytes:
    lines = list(base)
    for p in patches:
        for n, t in p.lines.items():
            lines[n - 1] = t
    cuts = [p.cut for p in patches if p.cut]
    if cuts:
        n, chars = min(cuts)
        lines = lines[:n - 1] + [lines[n - 1][:chars]]
    data = text_of(lines)
    for p in patches:
        if p.transform:
            data = p.transform(data)
    return data


# One document per parser family; the kinds patch them.
FAMILY_DOCS = {
    # id: (parser, base lines)
    "prova-smart": ("smart", lambda: real_lines(SMART)),
    "prova-burl": ("burl", lambda: real_lines(BURL)),
    "prova-aree": ("aree_interne", lambda: real_lines(AREE)),
    "prova-gu": ("gu_sovrimposta", lambda: list(GU_FRAGMENT) + [""]),
}


# -- what the build must report -------------------------------------------------------
@dataclass
class Expect:
    """One thing the build must report about a hazard.

    ``what`` is ``"problem"`` (``code`` is the Problem code), ``"check"`` (``code`` is
    the check id, which must fail), ``"reject"`` (``code`` is a prefix of the reason),
    ``"resolution"`` (``code`` is the status: unresolved / ambiguous) or ``"any"`` (any
    problem, failed check or reject on that line). ``doc`` is a document id or a file
    name; ``marker`` a substring of the line the report must point to (``None``: no line,
    the problem is about the whole file); ``in_text`` a substring of the message or
    explanation.
    """
    what: str
    code: str
    doc: str
    marker: str | None = None
    in_text: str = ""
    line: int | None = None          # a fixed line (manifest entries), instead of a marker


@dataclass
class Kind:
    name: str
    docs: Callable[[], list[Source]] = lambda: []          # extra documents with the hazard
    patches: dict[str, Patch] = field(default_factory=dict)  # family doc id -> patch
    expect: list[Expect] = field(default_factory=list)
    # documents of the corpus that must still be loaded and parsed (besides the baseline)
    note: str = ""

    def sources(self, hazard: bool = True) -> list[Source]:
        """The corpus of this kind alone (``hazard=False``: its clean twin)."""
        docs = [baseline()]
        for doc_id in self.patches:
            parser, base = FAMILY_DOCS[doc_id]
            docs.append(Source(doc_id, patched(base(), [self.patches[doc_id]] if hazard else []),
                               parser))
        if hazard:
            docs += self.docs()
        return docs


def all_kinds_sources(kinds: list[Kind]) -> list[Source]:
    """Every kind side by side: one document per family carrying all its patches."""
    docs = [baseline()]
    for doc_id, (parser, base) in FAMILY_DOCS.items():
        ps = [k.patches[doc_id] for k in kinds if doc_id in k.patches]
        docs.append(Source(doc_id, patched(base(), ps), parser))
    for k in kinds:
        docs += k.docs()
    return docs


# -- the build's first stages, and what --strict would say --------------------------------
@dataclass
class Gathered:
    """Sources and parse stages of the build on one corpus.

    ``blocking`` is what ``build(strict=True)`` raises ``BuildError`` on: build() calls
    ``log.blocking(checks)`` after these same stages (and fails when it is not empty).
    """
    folder: Path
    manifest_lines: dict[str, int]
    docs: dict[str, sources.Document]
    results: dict
    log: Log
    checks: list
    blocking: list[str]

    def reports(self, e: Expect) -> list[str]:
        """Every report matching ``e``, as readable strings (empty: not reported)."""
        line = self.line_of(e)
        if e.marker is not None and line is None:
            raise AssertionError(f"marker {e.marker!r} not found in {e.doc}")
        out = []
        if e.what in ("problem", "any"):
            out += [str(p) for p in self.log.problems
                    if (e.what == "any" or p.code == e.code) and self._file_matches(p.file, e)
                    and (line is None or p.line == line) and e.in_text in p.message]
        if e.what in ("check", "any"):
            out += [f"check {c.id} line {c.line_start}: {c.explanation}" for c in self.checks
                    if not c.passed and c.doc_id == e.doc and (e.what == "any" or c.id == e.code)
                    and (e.what == "check" or c.line_start == line)
                    and e.in_text in f"{c.explanation} {c.declared} {c.parsed}"]
        if e.what in ("reject", "any"):
            out += [f"reject {x.doc_id}:{x.line}: {x.reason}" for r in self.results.values()
                    for x in r.rejects if x.doc_id == e.doc and x.line == line
                    and (e.what == "any" or x.reason.startswith(e.code))]
        if e.what == "resolution":
            out += [f"resolution {r.doc_id}:{r.line} {r.query!r} {r.status}"
                    for r in self.resolutions() if r.doc_id == e.doc and r.line == line
                    and r.status == e.code and e.in_text in r.query]
        return out

    def resolutions(self):
        return [r for r in self._resolutions]

    def line_of(self, e: Expect) -> int | None:
        if e.line is not None:
            return e.line
        if e.marker is None:
            return None
        if e.doc == "sources.yaml":
            text = (self.folder / "sources.yaml").read_text(encoding="utf-8").split("\n")
        else:
            doc = self.docs.get(e.doc)
            text = doc.lines if doc else []
        hits = [n for n, t in enumerate(text, start=1) if e.marker in t]
        return hits[0] if hits else None

    def _file_matches(self, file: str | None, e: Expect) -> bool:
        if file is None:
            return False
        doc = self.docs.get(e.doc)
        names = {e.doc, doc.path.name if doc else ""} - {""}
        return any(file == n or file.endswith("/" + n) for n in names)


def gather(folder: Path) -> Gathered:
    """Run the build's sources and parse stages on the corpus in ``folder``."""
    manifest_lines = {}
    log = quiet_log()
    docs = sources.discover(log, folder)
    results, resolutions = build.parse_all(docs, registry.load(), log)
    checks = [c for r in results.values() for c in r.checks]
    quality.mark_known_checks(checks, log.known)
    g = Gathered(folder, manifest_lines, {d.id: d for d in docs}, results, log, checks,
                 log.blocking(checks))
    g._resolutions = resolutions
    return g


def tree_digest(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root`` (symlinks by their target)."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out
