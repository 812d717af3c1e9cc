"""The bad-input corpus of the reliability tests, written into temporary folders.

A corpus is a folder like ``data/sources/``: documents and their ``sources.yaml``.
Each :class:`Kind` of bad input is one change to a clean corpus: a broken file, a
broken manifest entry, or a patch to lines of a real vendored document (the SMART list,
the BURL bulletin with the Fondo 0-6 table, the Aree interne slides) or of a short
crafted GU fragment. A kind knows

* how to write the corpus with its hazard, and the clean twin without it
  (:meth:`Kind.sources`);
* what the build must report about it (:class:`Expect`): a problem, a failed check, a
  reject or an unresolved name, located by document and by the text of its line, so the
  same expectation holds alone and in the corpus of all kinds side by side
  (:func:`all_kinds_sources`: one document per parser family, carrying all the patches
  of that family, as two documents of one family would publish the same packages).

Every corpus also holds the untouched PD regulation (:data:`BASELINE_ID`), which must
come out of every build as it comes out of ``data/sources/``.
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
# The active parts of the payloads: never in HTML or XML output, where only the escaped
# forms (&lt;script&gt; ...) may appear.
RAW_MARKERS = ("<script>alert", "<img src=x", 'href="javascript:', "onerror=alert(1)>")


def real_lines(file: str) -> list[str]:
    """A vendored document's lines (without the final newline's empty string)."""
    lines = (REAL_SOURCES / file).read_text(encoding="utf-8").split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def encode(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def quiet_log() -> Log:
    return Log(stream=io.StringIO(), quiet=True)


def line_starting(lines: list[str], prefix: str) -> int:
    """1-based number of the first line starting with ``prefix``."""
    return next(n for n, t in enumerate(lines, start=1) if t.startswith(prefix))


# -- documents and manifests ------------------------------------------------------------
@dataclass
class Source:
    """One document of a corpus: its manifest entry and what is on disk."""
    id: str
    content: bytes | None            # None: no file is written
    parser: str | None = None
    file: str | None = None          # default "<id>.txt"
    listed: bool = True              # False: the file is there, the manifest has no entry
    sha256: str | None = None        # default: the hash of ``content``
    meta: dict = field(default_factory=dict)
    symlink_to: Path | None = None   # the file is a symbolic link to this path
    directory: bool = False          # the "file" is a directory
    raw_entry: str | None = None     # the manifest entry as raw YAML (malformed entries)

    @property
    def filename(self) -> str:
        return self.file or f"{self.id}.txt"


def write_corpus(folder: Path, docs: list[Source]) -> None:
    """Write ``docs`` and their ``sources.yaml`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Corpus di prova (tests/reliability)", "documents:"]
    for d in docs:
        target = folder / d.filename
        if "/" in d.filename:
            pass                                  # path tricks: nothing to write
        elif d.symlink_to is not None:
            target.symlink_to(d.symlink_to)
        elif d.directory:
            target.mkdir()
        elif d.content is not None:
            target.write_bytes(d.content)
        if not d.listed:
            continue
        if d.raw_entry is not None:
            lines.append(d.raw_entry)
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
            value = json.dumps(v, ensure_ascii=False)       # a valid YAML double-quoted scalar
            lines.append(("  - " if i == 0 else "    ") + f"{k}: {value}")
    (folder / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- the documents the kinds patch --------------------------------------------------------
SMART = "smart-polizia-locale-2025.txt"
BURL = "burl-2018-so47.txt"
AREE = "aree-interne-2021-2027.txt"
PD = "pd-lombardia-regolamento-2014.txt"

GU_HEADER = "Numero d'ordine\tCOMUNI\tAliquota deliberata %"
GU_FRAGMENT = [
    "## INDICE ALFABETICO PER PROVINCIA", "",
    "Asti . . . . .\tPag. 3\t\t", "Lecce . . . . .\t4\t\t", "",
    GU_HEADER,
    "**PROVINCIA DI ASTI**",
    "1.\tAgliano\t20",
    "2.\tAlbugnano\t16",
    "<b>PROVINCIA DI LECCE</b>\t\t",
    "1.\tAlessano\t20",
    "2.\tAlliste\t12",
]

BASELINE_ID = "prova-pd-collegi"


def baseline() -> Source:
    return Source(BASELINE_ID, encode(real_lines(PD)), "pd_collegi")


@dataclass
class Patch:
    """A change to a document: lines replaced (same line count), a cut (keep the lines
    before ``cut[0]`` and that line's first ``cut[1]`` characters) or a byte-level
    transformation (BOM, CRLF)."""
    lines: dict[int, str] = field(default_factory=dict)
    cut: tuple[int, int] | None = None
    transform: Callable[[bytes], bytes] | None = None


def patched(base: list[str], patches: list[Patch]) -> bytes:
    lines = list(base)
    for p in patches:
        for n, t in p.lines.items():
            lines[n - 1] = t
    cuts = sorted(p.cut for p in patches if p.cut)
    if cuts:
        n, chars = cuts[0]
        lines = lines[:n - 1] + [lines[n - 1][:chars]]
    data = encode(lines)
    for p in patches:
        if p.transform:
            data = p.transform(data)
    return data


# One document per parser family: id -> (parser, lines). Kinds patch them.
FAMILY_DOCS: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "prova-smart": ("smart", lambda: real_lines(SMART)),
    "prova-burl": ("burl", lambda: real_lines(BURL)),
    "prova-aree": ("aree_interne", lambda: real_lines(AREE)),
    "prova-gu": ("gu_sovrimposta", lambda: list(GU_FRAGMENT)),
}


# -- what the build must report -----------------------------------------------------------
@dataclass
class Expect:
    """One thing the build must report about a hazard.

    ``what``: ``"problem"`` (``code`` = Problem code), ``"check"`` (``code`` = id of a
    check that must fail), ``"reject"`` (``code`` = start of the reason),
    ``"resolution"`` (``code`` = unresolved | ambiguous) or ``"any"`` (any problem,
    failed check or reject on that line). ``doc``: a document id, a file name or
    ``"sources.yaml"``. The line is ``line``, or the first line of ``doc`` containing
    ``marker``; neither: the report is about the whole file and has no line.
    ``in_text``: a substring of the message, explanation or name.
    """
    what: str
    code: str
    doc: str
    marker: str | None = None
    in_text: str = ""
    line: int | None = None


@dataclass
class Kind:
    """One kind of bad input."""
    name: str
    expect: list[Expect]
    docs: Callable[[], list[Source]] = lambda: []            # documents added by the hazard
    patches: dict[str, Patch] = field(default_factory=dict)  # family document id -> patch

    def sources(self, hazard: bool = True) -> list[Source]:
        """The corpus of this kind alone; ``hazard=False``: its clean twin."""
        docs = [baseline()]
        for doc_id, patch in self.patches.items():
            parser, base = FAMILY_DOCS[doc_id]
            docs.append(Source(doc_id, patched(base(), [patch] if hazard else []), parser))
        return docs + (self.docs() if hazard else [])


def all_kinds_sources(kinds: list[Kind]) -> list[Source]:
    """Every kind side by side: one document per family, carrying all its patches."""
    docs = [baseline()]
    for doc_id, (parser, base) in FAMILY_DOCS.items():
        docs.append(Source(doc_id, patched(base(), [k.patches[doc_id] for k in kinds
                                                    if doc_id in k.patches]), parser))
    for k in kinds:
        docs += k.docs()
    return docs


# -- the kinds ----------------------------------------------------------------------------
_smart = real_lines(SMART)
_burl = real_lines(BURL)


def _smart_row(progr_capofila: str) -> int:
    return line_starting(_smart, progr_capofila)


def _fondo_row(code: str) -> int:
    return line_starting(_burl, code + " ")


def _manifest(entry_id: str) -> str:
    return f'- id: "{entry_id}"'


_LONG = b"riga normale\n" + "Allegato: ".encode() + b"1234567890" * 2500 + b"\nultima riga\n"
_PAYLOAD_TEXT = encode([
    "Documento con contenuti attivi, che il sito deve mostrare solo come testo:",
    SCRIPT, JS_URL, IMG, f"Comune di {SCRIPT} <b>grassetto</b> & 'apici' \"virgolette\""])

_row_smart_total = _smart[_smart_row("15\tUNIONE ANTICHI") - 1].rsplit("\t", 1)[0]
_row_besnate = _burl[_fondo_row("012012") - 1]
_amounts_besnate = _row_besnate.split()

KINDS: list[Kind] = [
    # -- files and manifest --------------------------------------------------------------
    Kind("empty-file", [Expect("problem", "empty", "prova-vuoto.txt")],
         docs=lambda: [Source("prova-vuoto", b"")]),
    Kind("binary-file", [Expect("problem", "binary", "prova-binario.txt", line=3)],
         docs=lambda: [Source("prova-binario", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x01"
                                               b"\x02<< /Type /Catalog >>\nendobj\n")]),
    Kind("latin-1", [Expect("problem", "encoding", "prova-latin1.txt", line=3, in_text="1252")],
         docs=lambda: [Source("prova-latin1", "Elenco dei comuni\n\nComune di Fenegrò\n"
                                              "Cantù, Forlì\n".encode("latin-1"))]),
    Kind("cp1252", [Expect("problem", "encoding", "prova-cp1252.txt", line=2, in_text="1252")],
         docs=lambda: [Source("prova-cp1252", "Riparto\nImporto “totale”: 1.000 €\n"
                                              .encode("cp1252"))]),
    Kind("crlf", [Expect("problem", "line-endings", "prova-aree", line=1)],
         patches={"prova-aree": Patch(transform=lambda b: b.replace(b"\n", b"\r\n"))}),
    Kind("bom", [Expect("problem", "bom", "prova-gu", line=1)],
         patches={"prova-gu": Patch(transform=lambda b: b"\xef\xbb\xbf" + b)}),
    Kind("no-parser", [Expect("problem", "no-parser", "prova-senza-parser")],
         docs=lambda: [Source("prova-senza-parser", encode(["Un documento", "senza parser"]))]),
    Kind("unknown-parser",
         [Expect("problem", "unknown-parser", "sources.yaml", _manifest("prova-parser-ignoto"),
                 in_text="parser_inesistente"),
          Expect("problem", "no-parser", "prova-parser-ignoto")],
         docs=lambda: [Source("prova-parser-ignoto", encode(["Testo"]), "parser_inesistente")]),
    Kind("entry-without-file",
         [Expect("problem", "file-missing", "sources.yaml", _manifest("prova-fantasma"))],
         docs=lambda: [Source("prova-fantasma", None)]),
    Kind("file-without-entry", [Expect("problem", "unlisted-file", "prova-orfano.txt")],
         docs=lambda: [Source("prova-orfano", encode(["Nessuno mi ha elencato"]), listed=False)]),
    Kind("hash-mismatch", [Expect("problem", "hash-mismatch", "prova-modificato")],
         docs=lambda: [Source("prova-modificato", encode(["Testo cambiato dopo la revisione"]),
                              sha256="0" * 64)]),
    Kind("oversized-line", [Expect("problem", "long-line", "prova-riga-lunga", "Allegato: ")],
         docs=lambda: [Source("prova-riga-lunga", _LONG)]),
    Kind("path-traversal-id",
         [Expect("problem", "manifest-id", "sources.yaml", _manifest("../../etc"))],
         docs=lambda: [Source("../../etc", None, file="etc.txt")]),
    Kind("path-traversal-file",
         [Expect("problem", "manifest-path", "sources.yaml", _manifest("prova-percorso"))],
         docs=lambda: [Source("prova-percorso", None, file="../../etc/passwd")]),
    Kind("symlink-out-of-folder",
         [Expect("problem", "symlink", "sources.yaml", _manifest("prova-link"))],
         docs=lambda: [Source("prova-link", None, symlink_to=Path("/etc/passwd"))]),
    Kind("directory-as-file",
         [Expect("problem", "not-a-file", "sources.yaml", _manifest("prova-cartella"))],
         docs=lambda: [Source("prova-cartella", None, directory=True)]),
    Kind("malformed-entry",
         [Expect("problem", "manifest-entry", "sources.yaml", "solo una stringa")],
         docs=lambda: [Source("prova-malformata", None,
                              raw_entry='  - "solo una stringa, non una voce"')]),
    Kind("same-file-twice",
         [Expect("problem", "manifest-duplicate", "sources.yaml", _manifest("prova-doppio-b"))],
         docs=lambda: [Source(i, encode(["Un file, due voci"]), file="prova-doppio.txt")
                       for i in ("prova-doppio-a", "prova-doppio-b")]),
    # -- tables -----------------------------------------------------------------------------
    Kind("truncated-smart",
         [Expect("reject", "attese 4 colonne", "prova-smart", "1\tCREMA\tOffanengo")],
         patches={"prova-smart": Patch(cut=(_smart_row("1\tCREMA\t"), 60))}),
    Kind("truncated-fondo",
         [Expect("check", "fondo06:fund-total", "prova-burl", in_text="differenza"),
          Expect("check", "fondo06:column-total:pop_0_6", "prova-burl"),
          Expect("reject", "riga non riconosciuta", "prova-burl", "012034 Caronno Pertusella")],
         patches={"prova-burl": Patch(cut=(_fondo_row("012034"), 60))}),
    Kind("missing-cell-smart",
         [Expect("reject", "attese 4 colonne separate da tabulazione, trovate 3", "prova-smart",
                 "6\tSOVERE\t")],
         patches={"prova-smart": Patch({_smart_row("6\tSOVERE"): "6\tSOVERE\tEndine Gaiano, "
                                                                 "Pianico"})}),
    Kind("extra-cell-smart",
         [Expect("reject", "attese 4 colonne separate da tabulazione, trovate 5", "prova-smart",
                 "4\tTERRE DI FRONTIERA")],
         patches={"prova-smart": Patch({_smart_row("4\tTERRE DI FRONTIERA"): (
             "4\tTERRE DI FRONTIERA\tBizzarone, Faloppio, Uggiate con Ronago, Olgiate Comasco, "
             "Rovellasca\t5\t(vedi nota)")})}),
    Kind("missing-cell-fondo",
         [Expect("reject", "riga non riconosciuta", "prova-burl", "012012 Besnate"),
          Expect("check", "fondo06:rows-published", "prova-burl")],
         patches={"prova-burl": Patch({_fondo_row("012012"): " ".join(
             t for t in _amounts_besnate if t != "-")})}),
    Kind("extra-cell-fondo",
         [Expect("reject", "riga non riconosciuta", "prova-burl", "012013 Besozzo"),
          Expect("check", "fondo06:rows-published", "prova-burl")],
         patches={"prova-burl": Patch({_fondo_row("012013"): _burl[_fondo_row("012013") - 1]
                                       .rstrip() + " 1,00"})}),
    Kind("non-numeric-amount",
         [Expect("reject", "riga non riconosciuta", "prova-burl", "012006 Azzate"),
          Expect("check", "fondo06:rows-published", "prova-burl")],
         patches={"prova-burl": Patch({_fondo_row("012006"): _burl[_fondo_row("012006") - 1]
                                       .replace("5.587,42", "5.58O,42")})}),
    Kind("non-numeric-total-smart",
         [Expect("reject", "totale comuni non numerico", "prova-smart", "15\tUNIONE ANTICHI")],
         patches={"prova-smart": Patch({_smart_row("15\tUNIONE ANTICHI"):
                                        _row_smart_total + "\tdodici"})}),
    Kind("duplicate-istat",
         [Expect("check", "fondo06:istat-order", "prova-burl", in_text=str(_fondo_row("012019"))),
          Expect("check", "fondo06:istat-registry", "prova-burl",
                 in_text=f"riga {_fondo_row('012019')} Brenta: stampato 012017")],
         patches={"prova-burl": Patch({_fondo_row("012019"): _burl[_fondo_row("012019") - 1]
                                       .replace("012019", "012017")})}),
    # -- names and headings ---------------------------------------------------------------------
    Kind("unresolved-name",
         [Expect("resolution", "unresolved", "prova-smart", "Paperopoli", "Paperopoli"),
          Expect("problem", "unresolved-name", "prova-smart", "Paperopoli", "Paperopoli")],
         patches={"prova-smart": Patch({_smart_row("2\tBONATE SOTTO"):
                                        "2\tBONATE SOTTO\tBonate Sopra, Paperopoli\t3"})}),
    Kind("ambiguous-name",
         [Expect("resolution", "ambiguous", "prova-smart", "Samone", "Samone"),
          Expect("problem", "unresolved-name", "prova-smart", "Samone", "ambiguous")],
         patches={"prova-smart": Patch({_smart_row("4\tPALOSCO"):
                                        "4\tPALOSCO\tBolgare, Cividate al Piano, Samone\t4"})}),
    Kind("heading-never-closes",
         [Expect("any", "", "prova-gu", "**PROVINCIA DI ASTI"),
          Expect("any", "", "prova-gu", "<b>PROVINCIA DI LECCE")],
         patches={"prova-gu": Patch({7: "**PROVINCIA DI ASTI", 10: "<b>PROVINCIA DI LECCE\t\t"})}),
    Kind("heading-without-table",
         [Expect("any", "", "prova-smart", "MANTOVA")],
         patches={"prova-smart": Patch({_smart_row("COMO") - 1: "MANTOVA"})}),
    # -- active content -----------------------------------------------------------------------
    Kind("html-payload",
         [Expect("resolution", "unresolved", "prova-smart", "<script>alert(1)</script>")],
         docs=lambda: [Source("prova-payload", _PAYLOAD_TEXT, meta={
             "title": f"Titolo {SCRIPT} {IMG}", "issuer": JS_URL,
             "official_reference": f"{IMG} {SCRIPT}"})],
         patches={"prova-smart": Patch({_smart_row("6\tLENO"): "6\tLENO\t" + ", ".join(PAYLOADS)
                                        + "\t4"}),
                  "prova-burl": Patch({2: f"{SCRIPT} {IMG} {JS_URL} " + _burl[1]})}),
]
KIND_NAMES = [k.name for k in KINDS]


def kind(name: str) -> Kind:
    return next(k for k in KINDS if k.name == name)


# -- the build's first stages, and what --strict would say ----------------------------------
@dataclass
class Gathered:
    """The build's sources and parse stages run on one corpus.

    ``blocking`` is what ``build(strict=True)`` fails on: build() raises ``BuildError``
    when ``log.blocking(checks)`` is not empty after these same stages.
    """
    folder: Path
    docs: dict[str, sources.Document]
    results: dict
    resolutions: list
    log: Log
    checks: list
    blocking: list[str]

    def line_of(self, e: Expect) -> int | None:
        if e.line is not None or e.marker is None:
            return e.line
        if e.doc == "sources.yaml":
            text = (self.folder / "sources.yaml").read_text(encoding="utf-8").split("\n")
        else:
            text = self.docs[e.doc].lines if e.doc in self.docs else []
        line = next((n for n, t in enumerate(text, start=1) if e.marker in t), None)
        assert line is not None, f"{e.marker!r} is not in {e.doc}"
        return line

    def file_names(self, e: Expect) -> set[str]:
        """The names under which problems about ``e.doc`` are filed."""
        doc = self.docs.get(e.doc)
        return {e.doc} | ({doc.path.name} if doc else set())

    def reports(self, e: Expect) -> list[str]:
        """Every report matching ``e``, as readable strings (empty: not reported)."""
        line, names = self.line_of(e), self.file_names(e)

        def same_file(f):
            return f is not None and any(f == n or f.endswith("/" + n) for n in names)

        out = []
        if e.what in ("problem", "any"):
            out += [str(p) for p in self.log.problems if same_file(p.file) and p.line == line
                    and (e.what == "any" or p.code == e.code) and e.in_text in p.message]
        if e.what in ("check", "any"):
            out += [f"{c.doc_id}:{c.line_start}: check failed [{c.id}] {c.explanation}"
                    for c in self.checks if not c.passed and c.doc_id == e.doc
                    and (c.id == e.code if e.what == "check" else c.line_start == line)
                    and e.in_text in f"{c.explanation} {c.declared} {c.parsed}"]
        if e.what in ("reject", "any"):
            out += [f"{x.doc_id}:{x.line}: rejected: {x.reason}" for r in self.results.values()
                    for x in r.rejects if x.doc_id == e.doc and x.line == line
                    and x.reason.startswith(e.code)]
        if e.what == "resolution":
            out += [f"{r.doc_id}:{r.line}: {r.status} {r.query!r}" for r in self.resolutions
                    if r.doc_id == e.doc and r.line == line and r.status == e.code
                    and e.in_text in r.query]
        return out


def gather(folder: Path) -> Gathered:
    """Run the build's sources and parse stages (``build.parse_all``) on a corpus."""
    log = quiet_log()
    docs = sources.discover(log, folder)
    results, resolutions = build.parse_all(docs, registry.load(), log)
    checks = [c for r in results.values() for c in r.checks]
    quality.mark_known_checks(checks, log.known)
    return Gathered(folder, {d.id: d for d in docs}, results, resolutions, log, checks,
                    log.blocking(checks))


def tree_digest(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root``."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return dict(sorted(out.items()))
