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

import functools
import hashlib
import io
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import yaml

from generator import build, paths, quality, registry, sources
from generator.quality import Log

REAL_SOURCES = paths.SOURCES  # captured at import: tests monkeypatch paths.SOURCES
SMART = "smart-polizia-locale-2025.txt"
BURL = "burl-2018-so47.txt"
AREE = "aree-interne-2021-2027.txt"
PD = "pd-lombardia-regolamento-2014.txt"

SCRIPT = "<script>alert(1)</script>"
JS_URL = "javascript:alert(1)"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = (SCRIPT, JS_URL, IMG)
FORMULA = "=2+5"  # a spreadsheet formula (CSV injection)
CLOSE_SCRIPT = "</script><script>alert(1)</script>"  # leaves a <script> element (JSON-LD)
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
    content: bytes | None  # None: no file is written
    parser: str | None = None
    file: str | None = None  # default "<id>.txt"
    listed: bool = True  # False: the file is there, the manifest has no entry
    sha256: str | None = None  # default: the hash of ``content``
    meta: dict = field(default_factory=dict)
    symlink_to: Path | None = None  # the file is a symbolic link to this path
    directory: bool = False  # the "file" is a directory
    raw_entry: str | None = None  # the manifest entry as raw YAML (malformed entries)

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
            pass  # path tricks: nothing to write
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
        entry = {
            "id": d.id,
            "file": d.filename,
            "title": f"Documento di prova {d.id}",
            "issuer": "Corpus di prova",
            "date": "2024-01-01",
            "kind": "prova",
            "official_reference": f"Prova {d.id}",
            "licence": "CC0 (prova)",
            "status": "test",
            "sha256": d.sha256 or hashlib.sha256(d.content or b"").hexdigest(),
        }
        if d.parser:
            entry["parser"] = d.parser
        entry.update(d.meta)
        for i, (k, v) in enumerate(entry.items()):
            value = json.dumps(v, ensure_ascii=False, default=str)  # YAML double-quoted scalar
            lines.append(("  - " if i == 0 else "    ") + f"{k}: {value}")
    (folder / "sources.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- the documents the kinds patch --------------------------------------------------------
@functools.cache
def real_entries() -> dict[str, dict]:
    """The real manifest entries, by id."""
    data = yaml.safe_load((REAL_SOURCES / "sources.yaml").read_text(encoding="utf-8"))
    return {e["id"]: e for e in data["documents"]}


SMART_ID = "smart-polizia-locale-2025"
BURL_ID = "burl-2018-so47"
AREE_ID = "aree-interne-2021-2027"
PD_ID = "pd-lombardia-regolamento-2014"
GU_ID = "prova-gu"

GU_HEADER = "Numero d'ordine\tCOMUNI\tAliquota deliberata %"
GU_FRAGMENT = [
    "## INDICE ALFABETICO PER PROVINCIA",
    "",
    "Asti . . . . .\tPag. 3\t\t",
    "Lecce . . . . .\t4\t\t",
    "",
    GU_HEADER,
    "**PROVINCIA DI ASTI**",
    "1.\tAgliano\t20",
    "2.\tAlbugnano\t16",
    "<b>PROVINCIA DI LECCE</b>\t\t",
    "1.\tAlessano\t20",
    "2.\tAlliste\t12",
]

# The untouched document of every corpus: it must come out of every build as from
# data/sources/.
BASELINE_ID = PD_ID


def family_doc(doc_id: str, content: bytes, meta: dict | None = None) -> Source:
    """A document of one of the parser families, with its real manifest entry (same id,
    file, dates: so data/known-defects applies to it as to the real document), and
    ``meta`` overriding fields of the entry."""
    if doc_id == GU_ID:
        return Source(GU_ID, content, "gu_sovrimposta", meta={"date": "1983-10-24", **(meta or {})})
    e = real_entries()[doc_id]
    fields = {k: v for k, v in e.items() if k not in ("id", "file", "sha256", "parser")}
    return Source(doc_id, content, e["parser"], file=e["file"], meta={**fields, **(meta or {})})


def baseline() -> Source:
    return family_doc(PD_ID, encode(real_lines(PD)))


@dataclass
class Patch:
    """A change to a document: lines replaced (same line count), a cut (keep the lines
    before ``cut[0]`` and that line's first ``cut[1]`` characters), a byte-level
    transformation (BOM, CRLF) or fields of its manifest entry."""

    lines: dict[int, str] = field(default_factory=dict)
    cut: tuple[int, int] | None = None
    transform: Callable[[bytes], bytes] | None = None
    meta: dict = field(default_factory=dict)  # manifest fields to override


def patched(base: list[str], patches: list[Patch]) -> bytes:
    lines = list(base)
    for p in patches:
        for n, t in p.lines.items():
            lines[n - 1] = t
    cuts = sorted(p.cut for p in patches if p.cut)
    if cuts:
        n, chars = cuts[0]
        lines = lines[: n - 1] + [lines[n - 1][:chars]]
    data = encode(lines)
    for p in patches:
        if p.transform:
            data = p.transform(data)
    return data


# The documents the kinds patch, one per parser family: id -> its clean lines.
FAMILY_DOCS: dict[str, Callable[[], list[str]]] = {
    SMART_ID: lambda: real_lines(SMART),
    BURL_ID: lambda: real_lines(BURL),
    AREE_ID: lambda: real_lines(AREE),
    GU_ID: lambda: list(GU_FRAGMENT),
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
    docs: Callable[[], list[Source]] = lambda: []  # documents added by the hazard
    patches: dict[str, Patch] = field(default_factory=dict)  # family document id -> patch

    def sources(self, hazard: bool = True) -> list[Source]:
        """The corpus of this kind alone; ``hazard=False``: its clean twin."""
        docs = [baseline()]
        for doc_id, patch in self.patches.items():
            lines = FAMILY_DOCS[doc_id]()
            docs.append(
                family_doc(
                    doc_id,
                    patched(lines, [patch] if hazard else []),
                    patch.meta if hazard else None,
                )
            )
        return docs + (self.docs() if hazard else [])


def all_kinds_sources(kinds: list[Kind]) -> list[Source]:
    """Every kind side by side: one document per family, carrying all its patches."""
    docs = [baseline()]
    for doc_id, lines in FAMILY_DOCS.items():
        patches = [k.patches[doc_id] for k in kinds if doc_id in k.patches]
        docs.append(
            family_doc(
                doc_id,
                patched(lines(), patches),
                {k: v for p in patches for k, v in p.meta.items()},
            )
        )
    for k in kinds:
        docs += k.docs()
    return docs + normal_docs()


def normal_docs() -> list[Source]:
    """Documents that are not bad input: a new document with no parser or spec yet."""
    return [Source("prova-senza-parser", encode(["Un documento", "senza parser"]))]


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
_PAYLOAD_TEXT = encode(
    [
        "Documento con contenuti attivi, che il sito deve mostrare solo come testo:",
        SCRIPT,
        JS_URL,
        IMG,
        f"Comune di {SCRIPT} <b>grassetto</b> & 'apici' \"virgolette\"",
    ]
)

_row_smart_total = _smart[_smart_row("15\tUNIONE ANTICHI") - 1].rsplit("\t", 1)[0]
_besnate_tokens = _burl[_fondo_row("012012") - 1].split()

KINDS: list[Kind] = [
    # -- files and manifest --------------------------------------------------------------
    Kind(
        "empty-file",
        [Expect("problem", "empty", "prova-vuoto.txt")],
        docs=lambda: [Source("prova-vuoto", b"")],
    ),
    Kind(
        "binary-file",
        [Expect("problem", "binary", "prova-binario.txt", line=3)],
        docs=lambda: [
            Source(
                "prova-binario",
                b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x01\x02<< /Type /Catalog >>\nendobj\n",
            )
        ],
    ),
    Kind(
        "latin-1",
        [Expect("problem", "encoding", "prova-latin1.txt", line=3, in_text="1252")],
        docs=lambda: [
            Source(
                "prova-latin1",
                "Elenco dei comuni\n\nComune di Fenegrò\nCantù, Forlì\n".encode("latin-1"),
            )
        ],
    ),
    Kind(
        "cp1252",
        [Expect("problem", "encoding", "prova-cp1252.txt", line=2, in_text="1252")],
        docs=lambda: [
            Source("prova-cp1252", "Riparto\nImporto “totale”: 1.000 €\n".encode("cp1252"))
        ],
    ),
    Kind(
        "crlf",
        [Expect("problem", "line-endings", AREE_ID, line=1)],
        patches={AREE_ID: Patch(transform=lambda b: b.replace(b"\n", b"\r\n"))},
    ),
    Kind(
        "bom",
        [Expect("problem", "bom", GU_ID, line=1)],
        patches={GU_ID: Patch(transform=lambda b: b"\xef\xbb\xbf" + b)},
    ),
    Kind(
        "unknown-parser",
        [
            Expect(
                "problem",
                "unknown-parser",
                "sources.yaml",
                _manifest("prova-parser-ignoto"),
                in_text="parser_inesistente",
            )
        ],
        docs=lambda: [Source("prova-parser-ignoto", encode(["Testo"]), "parser_inesistente")],
    ),
    Kind(
        "entry-without-file",
        [Expect("problem", "file-missing", "sources.yaml", _manifest("prova-fantasma"))],
        docs=lambda: [Source("prova-fantasma", None)],
    ),
    Kind(
        "file-without-entry",
        [Expect("problem", "unlisted-file", "prova-orfano.txt")],
        docs=lambda: [Source("prova-orfano", encode(["Nessuno mi ha elencato"]), listed=False)],
    ),
    Kind(
        "hash-mismatch",
        [Expect("problem", "hash-mismatch", "prova-modificato")],
        docs=lambda: [
            Source(
                "prova-modificato", encode(["Testo cambiato dopo la revisione"]), sha256="0" * 64
            )
        ],
    ),
    Kind(
        "oversized-line",
        [Expect("problem", "long-line", "prova-riga-lunga", "Allegato: ")],
        docs=lambda: [Source("prova-riga-lunga", _LONG)],
    ),
    Kind(
        "path-traversal-id",
        [Expect("problem", "manifest-id", "sources.yaml", _manifest("../../etc"))],
        docs=lambda: [Source("../../etc", None, file="etc.txt")],
    ),
    Kind(
        "path-traversal-file",
        [Expect("problem", "manifest-path", "sources.yaml", _manifest("prova-percorso"))],
        docs=lambda: [Source("prova-percorso", None, file="../../etc/passwd")],
    ),
    Kind(
        "symlink-out-of-folder",
        [Expect("problem", "symlink", "sources.yaml", _manifest("prova-link"))],
        docs=lambda: [Source("prova-link", None, symlink_to=Path("/etc/passwd"))],
    ),
    Kind(
        "directory-as-file",
        [Expect("problem", "not-a-file", "sources.yaml", _manifest("prova-cartella"))],
        docs=lambda: [Source("prova-cartella", None, directory=True)],
    ),
    Kind(
        "malformed-entry",
        [Expect("problem", "manifest-entry", "sources.yaml", "solo una stringa")],
        docs=lambda: [
            Source("prova-malformata", None, raw_entry='  - "solo una stringa, non una voce"')
        ],
    ),
    Kind(
        "same-file-twice",
        [Expect("problem", "manifest-duplicate", "sources.yaml", _manifest("prova-doppio-b"))],
        docs=lambda: [
            Source(i, encode(["Un file, due voci"]), file="prova-doppio.txt")
            for i in ("prova-doppio-a", "prova-doppio-b")
        ],
    ),
    Kind(
        "invalid-date",
        [
            Expect(
                "problem",
                "manifest-date",
                "sources.yaml",
                _manifest("prova-data"),
                in_text="2018-13-45",
            )
        ],
        docs=lambda: [Source("prova-data", encode(["Testo"]), meta={"date": "2018-13-45"})],
    ),
    Kind(
        "parser-not-a-name",
        [Expect("problem", "unknown-parser", "sources.yaml", _manifest("prova-parser-lista"))],
        docs=lambda: [Source("prova-parser-lista", encode(["Testo"]), meta={"parser": ["smart"]})],
    ),
    # -- tables -----------------------------------------------------------------------------
    Kind(
        "truncated-smart",
        [Expect("reject", "attese 4 colonne", SMART_ID, "1\tCREMA\tOffanengo")],
        patches={SMART_ID: Patch(cut=(_smart_row("1\tCREMA\t"), 60))},
    ),
    Kind(
        "truncated-fondo",
        [
            Expect("check", "fondo06:fund-total", BURL_ID, in_text="differenza"),
            Expect("check", "fondo06:column-total:pop_0_6", BURL_ID),
            Expect("reject", "riga non riconosciuta", BURL_ID, "012034 Caronno Pertusella"),
        ],
        patches={BURL_ID: Patch(cut=(_fondo_row("012034"), 60))},
    ),
    Kind(
        "missing-cell-smart",
        [
            Expect(
                "reject",
                "attese 4 colonne separate da tabulazione, trovate 3",
                SMART_ID,
                "6\tSOVERE\t",
            )
        ],
        patches={SMART_ID: Patch({_smart_row("6\tSOVERE"): "6\tSOVERE\tEndine Gaiano, Pianico"})},
    ),
    Kind(
        "extra-cell-smart",
        [
            Expect(
                "reject",
                "attese 4 colonne separate da tabulazione, trovate 5",
                SMART_ID,
                "4\tTERRE DI FRONTIERA",
            )
        ],
        patches={
            SMART_ID: Patch(
                {
                    _smart_row("4\tTERRE DI FRONTIERA"): (
                        "4\tTERRE DI FRONTIERA\tBizzarone, Faloppio, Uggiate con Ronago, Olgiate Comasco, "
                        "Rovellasca\t5\t(vedi nota)"
                    )
                }
            )
        },
    ),
    Kind(
        "missing-cell-fondo",
        [
            Expect("reject", "riga non riconosciuta", BURL_ID, "012012 Besnate"),
            Expect("check", "fondo06:rows-published", BURL_ID),
        ],
        patches={
            BURL_ID: Patch({_fondo_row("012012"): " ".join(t for t in _besnate_tokens if t != "-")})
        },
    ),
    Kind(
        "extra-cell-fondo",
        [
            Expect("reject", "riga non riconosciuta", BURL_ID, "012013 Besozzo"),
            Expect("check", "fondo06:rows-published", BURL_ID),
        ],
        patches={
            BURL_ID: Patch(
                {_fondo_row("012013"): _burl[_fondo_row("012013") - 1].rstrip() + " 1,00"}
            )
        },
    ),
    Kind(
        "non-numeric-amount",
        [
            Expect("reject", "riga non riconosciuta", BURL_ID, "012006 Azzate"),
            Expect("check", "fondo06:rows-published", BURL_ID),
        ],
        patches={
            BURL_ID: Patch(
                {
                    _fondo_row("012006"): _burl[_fondo_row("012006") - 1].replace(
                        "5.587,42", "5.58O,42"
                    )
                }
            )
        },
    ),
    Kind(
        "non-numeric-total-smart",
        [Expect("reject", "totale comuni non numerico", SMART_ID, "15\tUNIONE ANTICHI")],
        patches={
            SMART_ID: Patch({_smart_row("15\tUNIONE ANTICHI"): _row_smart_total + "\tdodici"})
        },
    ),
    Kind(
        "duplicate-istat",
        [
            Expect("check", "fondo06:istat-order", BURL_ID, in_text=str(_fondo_row("012019"))),
            Expect(
                "check",
                "fondo06:istat-registry",
                BURL_ID,
                in_text=f"riga {_fondo_row('012019')} Brenta: stampato 012017",
            ),
        ],
        patches={
            BURL_ID: Patch(
                {_fondo_row("012019"): _burl[_fondo_row("012019") - 1].replace("012019", "012017")}
            )
        },
    ),
    # -- names and headings ---------------------------------------------------------------------
    Kind(
        "unresolved-name",
        [
            Expect("resolution", "unresolved", SMART_ID, "Paperopoli", "Paperopoli"),
            Expect("problem", "unresolved-name", SMART_ID, "Paperopoli", "Paperopoli"),
        ],
        patches={
            SMART_ID: Patch(
                {_smart_row("2\tBONATE SOTTO"): "2\tBONATE SOTTO\tBonate Sopra, Paperopoli\t3"}
            )
        },
    ),
    Kind(
        "ambiguous-name",
        [
            Expect("resolution", "ambiguous", SMART_ID, "Samone", "Samone"),
            Expect("problem", "unresolved-name", SMART_ID, "Samone", "ambiguous"),
        ],
        patches={
            SMART_ID: Patch(
                {_smart_row("4\tPALOSCO"): "4\tPALOSCO\tBolgare, Cividate al Piano, Samone\t4"}
            )
        },
    ),
    Kind(
        "heading-never-closes",
        [
            Expect("any", "", GU_ID, "**PROVINCIA DI ASTI"),
            Expect("any", "", GU_ID, "<b>PROVINCIA DI LECCE"),
        ],
        patches={GU_ID: Patch({7: "**PROVINCIA DI ASTI", 10: "<b>PROVINCIA DI LECCE\t\t"})},
    ),
    Kind(
        "heading-without-table",
        [Expect("any", "", SMART_ID, "MANTOVA")],
        patches={SMART_ID: Patch({_smart_row("COMO") - 1: "MANTOVA"})},
    ),
    # -- active content -----------------------------------------------------------------------
    Kind(
        "html-payload",
        [Expect("resolution", "unresolved", SMART_ID, "<script>alert(1)</script>")],
        docs=lambda: [
            Source(
                "prova-payload",
                _PAYLOAD_TEXT,
                meta={
                    "title": f"Titolo {SCRIPT} {IMG}",
                    "issuer": JS_URL,
                    "official_reference": f"{IMG} {SCRIPT}",
                },
            )
        ],
        patches={
            SMART_ID: Patch(
                {_smart_row("6\tLENO"): "6\tLENO\t" + ", ".join(PAYLOADS + (FORMULA,)) + "\t5"}
            ),
            BURL_ID: Patch(
                {2: f"{SCRIPT} {IMG} {JS_URL} " + _burl[1]},
                meta={"official_reference": f"BURL {CLOSE_SCRIPT} {IMG}"},
            ),
        },
    ),
]
KIND_NAMES = [k.name for k in KINDS]


def kind(name: str) -> Kind:
    return next(k for k in KINDS if k.name == name)


# -- helpers for the tests ----------------------------------------------------------------
def kinds(xfail: dict[str, str]) -> list:
    """The kind names as pytest params, those in ``xfail`` marked xfail(strict) with the
    reason."""
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=xfail[n])) if n in xfail else n
        for n in KIND_NAMES
    ]


# -- the build's first stages, and what --strict would say ----------------------------------
@dataclass
class Gathered:
    """The build's sources and parse stages run on one corpus.

    ``blocking`` is what ``build(strict=True)`` fails on: build() raises ``BuildError``
    when ``log.blocking(checks, rejects)`` is not empty after these same stages (the
    packages and pages written in between only add problems, never remove one).
    """

    folder: Path
    docs: dict[str, sources.Document]
    results: dict
    resolutions: list
    log: Log
    checks: list
    blocking: list[str]

    def line_of(self, e: Expect) -> int | None:
        return locate(self.folder, e)

    def reports(self, e: Expect) -> list[str]:
        """Every report matching ``e``, as readable strings (empty: not reported)."""
        return find_reports(
            e,
            self.line_of(e),
            file_names(e),
            {
                "problems": [asdict(p) for p in self.log.problems],
                "checks": [asdict(c) for c in self.checks],
                "rejects": [asdict(x) for r in self.results.values() for x in r.rejects],
                "resolutions": [asdict(r) for r in self.resolutions],
            },
        )


def file_names(e: Expect) -> set[str]:
    """The names under which problems about ``e.doc`` are filed (id, file name)."""
    file = real_entries()[e.doc]["file"] if e.doc in real_entries() else f"{e.doc}.txt"
    return {e.doc, file}


def find_reports(e: Expect, line: int | None, names: set[str], found: dict) -> list[str]:
    """The reports in ``found`` (lists of dicts: ``problems``, ``checks``, ``rejects``,
    ``resolutions``, as in quality.json) that match ``e`` at ``line``; ``names``: the file
    names problems about ``e.doc`` are filed under."""
    if e.marker is not None and line is None:
        return []

    def same_file(f):
        return f is not None and any(f == n or f.endswith("/" + n) for n in names)

    out = []
    if e.what in ("problem", "any"):
        out += [
            f"{p['file']}:{p['line']}: {p['level']}: [{p['code']}] {p['message']}"
            for p in found["problems"]
            if same_file(p["file"])
            and p["line"] == line
            and (e.what == "any" or p["code"] == e.code)
            and e.in_text in p["message"]
        ]
    if e.what in ("check", "any"):
        out += [
            f"{c['doc_id']}:{c['line_start']}: check failed [{c['id']}] {c['explanation']}"
            for c in found["checks"]
            if not c["passed"]
            and c["doc_id"] == e.doc
            and (c["id"] == e.code if e.what == "check" else c["line_start"] == line)
            and e.in_text in f"{c['explanation']} {c['declared']} {c['parsed']}"
        ]
    if e.what in ("reject", "any"):
        out += [
            f"{x['doc_id']}:{x['line']}: rejected: {x['reason']}"
            for x in found["rejects"]
            if x["doc_id"] == e.doc and x["line"] == line and x["reason"].startswith(e.code)
        ]
    if e.what == "resolution":
        out += [
            f"{r['doc_id']}:{r['line']}: {r['status']} {r['query']!r}"
            for r in found["resolutions"]
            if r["doc_id"] == e.doc
            and r["line"] == line
            and r["status"] == e.code
            and e.in_text in r["query"]
        ]
    return out


def locate(folder: Path, e: Expect) -> int | None:
    """The line ``e`` points to in the corpus in ``folder`` (None: no line, or the marker is
    not there). Documents are read as the build reads them (lines split on LF)."""
    if e.line is not None or e.marker is None:
        return e.line
    path = folder / ("sources.yaml" if e.doc == "sources.yaml" else f"{e.doc}.txt")
    if e.doc in real_entries():
        path = folder / real_entries()[e.doc]["file"]
    if not path.is_file():
        return None
    text = path.read_bytes().decode("utf-8-sig", errors="replace").split("\n")
    return next((n for n, t in enumerate(text, start=1) if e.marker in t), None)


def gather(folder: Path) -> Gathered:
    """Run the build's sources and parse stages (``build.parse_all``) on a corpus."""
    log = quiet_log()
    docs = sources.discover(log, folder)
    results, resolutions = build.parse_all(docs, registry.load(), log)
    checks = [c for r in results.values() for c in r.checks]
    quality.mark_known_checks(checks, log.known)
    rejects = [x for r in results.values() for x in r.rejects]
    return Gathered(
        folder,
        {d.id: d for d in docs},
        results,
        resolutions,
        log,
        checks,
        log.blocking(checks, rejects),
    )


def tree_digest(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root``."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return dict(sorted(out.items()))


# -- accounting: every candidate line is in a row or rejected ---------------------------------
def accounting_errors(doc, result) -> list[str]:
    """The toolkit's line accounting (``generator.extract.recorder.accounting_errors``), which
    the build enforces on every document."""
    from generator.extract.recorder import accounting_errors as toolkit_accounting

    return toolkit_accounting(doc, result)
