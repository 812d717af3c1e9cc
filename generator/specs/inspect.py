"""``comuni-aperti inspect FILE``: the candidate tables of a new document, and a starter spec
for each.

A maintainer who drops a new document into ``data/sources/`` wants to know what in it could
become a dataset. This reads the text the way the spec engine does and looks for:

* **rows** -- runs of lines that name a comune (resolved exactly, no fuzzy guess) next to
  numbers, codes or amounts, or that start with an order number (``1.``, ``12)``);
* **lists in running text** -- ``... comuni di A, B, C;`` where most items are comuni;
* **fixed-width records** -- rows boxed by ``----`` rules;
* around them, the **headings** (a province name alone on a line, ``Provincia di X:``) and
  **totals lines** (``TOTALE ...``, a line of amounts only) that a spec should declare.

Each candidate gets its line range, what was found and a starter spec: the row grammar
inferred from its lines as a sequence of typed cells, the comune column with its province
context, the totals line and the checks that the layout suggests (an order number -> a
1..N sequence). The starter spec is a draft to edit and test with ``comuni-aperti check``,
not a parse: nothing is published from it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import yaml

from ..extract import cells
from ..extract.blocks import province_of_heading
from ..extract.text import clean, is_page_header

_NUMBERED = re.compile(r"^\s*(\d{1,4})\s*[.)]\s+\S")
_TOTAL = re.compile(r"^\s*(?:TOTALE|Totale|TOTALI|Totali)\b")
_RULE = re.compile(r"^\s*[-=_]{10,}\s*$")
_LIST_INTRO = re.compile(r"\bcomuni\s+di\s*:?\s*", re.I)
_TOKEN_TYPES = [
    ("istat", re.compile(r"^\d{6}$")),
    ("amount", re.compile(rf"^(?:{cells.AMTE}|-)$")),
    ("date", re.compile(r"^\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})$")),
    ("percent", re.compile(rf"^(?:{cells.NUM})%$")),
    ("integer", re.compile(rf"^(?:{cells.INT})$")),
    ("sigla", re.compile(r"^\(?[A-Z]{2}\)?$")),
]


@dataclass
class Candidate:
    """A run of lines that looks like a table."""

    kind: str  # rows | numbered | list | fixed_width
    start: int
    end: int
    rows: list[int] = field(default_factory=list)
    comuni: int = 0  # rows (or items) naming a comune
    headings: list[tuple[int, str]] = field(default_factory=list)  # (line, sigla)
    totals: list[int] = field(default_factory=list)
    grammar: list[tuple[str, str]] = field(default_factory=list)  # (cell, type)
    spec: str = ""

    @property
    def summary(self) -> str:
        what = {
            "rows": "righe con comune e valori",
            "numbered": "elenco numerato",
            "list": "elenco di comuni nel testo",
            "fixed_width": "record a colonne fisse",
        }
        parts = [f"{len(self.rows)} {what[self.kind]}", f"{self.comuni} comuni riconosciuti"]
        if self.headings:
            parts.append(f"{len(self.headings)} intestazioni di provincia")
        if self.totals:
            parts.append("riga dei totali")
        return ", ".join(parts)


def candidates(doc, registry) -> list[Candidate]:
    """The candidate tables of ``doc`` (a loaded Document), best first."""
    finder = _Finder(doc, registry)
    boxed = finder.lists() + finder.fixed_width()
    # a run of lines inside a boxed layout (fixed-width records, a list in the text) is that
    # layout, read line by line
    found = boxed + [
        c
        for c in finder.line_runs()
        if not any(b.start <= c.start and c.end <= b.end + 1 for b in boxed)
    ]
    for c in found:
        c.spec = starter_spec(doc, c)
    return sorted(found, key=lambda c: (-c.comuni, -len(c.rows), c.start))


class _Finder:
    def __init__(self, doc, registry):
        self.doc, self.reg = doc, registry

    def is_comune(self, name: str, province=None) -> bool:
        name = clean(name).strip(" ;.,:'\"()*")
        return len(name) > 1 and self.reg.resolve(name, province=province, fuzzy=False).ok

    def classify(self, n: int) -> tuple[str | None, list[tuple[str, str]]]:
        """What line ``n`` looks like: ``("row" | "numbered" | "heading" | "total" | None,
        typed tokens)``."""
        text = re.sub(r"\(\(\s*|\s*\)\)", "", self.doc.line(n))  # GU change marks
        t = clean(text)
        if not t or is_page_header(text):
            return None, []
        if _TOTAL.match(t) or (cells.amounts_only(t) and len(t) < 120):
            return "total", []
        if province_of_heading(t, self.reg, uppercase_only=False) and len(t.split()) <= 6:
            return "heading", []
        tokens = _typed_tokens(text)
        types = {k for k, _ in tokens}
        numbered = bool(_NUMBERED.match(text))
        text_cells = [v for k, v in tokens if k == "text"]
        names_comune = any(
            self.is_comune(v) or self.is_comune(_strip_number(v)) for v in text_cells[:2]
        )
        if numbered and (names_comune or len(t) < 80):
            return "numbered", tokens
        if names_comune and types & {"istat", "amount", "integer", "percent", "date", "sigla"}:
            return "row", tokens
        return None, tokens

    def line_runs(self) -> list[Candidate]:
        out: list[Candidate] = []
        cur: Candidate | None = None
        gap = 0
        heading = None
        for n, _ in self.doc.numbered():
            kind, tokens = self.classify(n)
            if kind == "heading":
                heading = (
                    n,
                    province_of_heading(
                        clean(re.sub(r"\(\(\s*|\s*\)\)", "", self.doc.line(n))),
                        self.reg,
                        uppercase_only=False,
                    ),
                )
                continue
            if kind in ("row", "numbered"):
                ckind = "numbered" if kind == "numbered" else "rows"
                if cur is None or cur.kind != ckind or gap > 3:
                    cur = Candidate(ckind, n, n)
                    out.append(cur)
                near = cur.rows[-1] if cur.rows else n - 6
                if heading and heading[0] > near and heading not in cur.headings:
                    cur.headings.append(heading)
                cur.rows.append(n)
                cur.end, gap = n, 0
                if any(
                    self.is_comune(v) or self.is_comune(_strip_number(v))
                    for k, v in tokens
                    if k == "text"
                ):
                    cur.comuni += 1
                continue
            if kind == "total" and cur is not None and gap <= 3:
                cur.totals.append(n)
                cur.end = n
            if clean(self.doc.line(n)):
                gap += 1
        for c in out:
            c.grammar = _grammar(self.doc, c)
        return [c for c in _merge_runs(out) if len(c.rows) >= 3 and c.comuni >= 2]

    def lists(self) -> list[Candidate]:
        text_lines = self.doc.lines
        joined, starts = "", []
        for n, line in enumerate(text_lines, start=1):
            starts.append((len(joined), n))
            joined += clean(line) + " "
        out = []
        for m in _LIST_INTRO.finditer(joined):
            stop = re.compile(r"[;.](?:\s|$)").search(joined, m.end())
            body = joined[m.end() : stop.start() if stop else len(joined)]
            items = [i.strip() for i in re.split(r",|\s+e\s+", body) if i.strip()]
            comuni = sum(1 for i in items if self.is_comune(i))
            if len(items) >= 3 and comuni * 2 >= len(items):
                line_of = lambda pos: max(n for off, n in starts if off <= pos)  # noqa: E731
                c = Candidate(
                    "list", line_of(m.start()), line_of(stop.start() if stop else len(joined) - 1)
                )
                c.rows = list(range(c.start, c.end + 1))
                c.comuni = comuni
                out.append(c)
        return out

    def fixed_width(self) -> list[Candidate]:
        rules = [n for n, line in self.doc.numbered() if _RULE.match(line)]
        if len(rules) < 3:
            return []
        c = Candidate("fixed_width", rules[0], rules[-1])
        c.rows = [
            n
            for n in range(rules[0], rules[-1] + 1)
            if _NUMBERED.match(self.doc.line(n)) or re.match(r"^\s*\d{1,4}\s+\S", self.doc.line(n))
        ]
        c.comuni = sum(
            1
            for n in c.rows
            if any(
                self.is_comune(_strip_province(v))
                for k, v in _typed_tokens(self.doc.line(n))
                if k == "text"
            )
        )
        return [c] if len(c.rows) >= 2 else []


def _merge_runs(runs: list[Candidate], max_gap: int = 60) -> list[Candidate]:
    """Runs of the same shape separated by a few lines (a repeated column header, a page
    header) are one table."""
    out: list[Candidate] = []
    for c in runs:
        prev = out[-1] if out else None
        if (
            prev
            and prev.kind == c.kind
            and prev.grammar == c.grammar
            and c.start - prev.end <= max_gap
        ):
            prev.rows += c.rows
            prev.comuni += c.comuni
            prev.totals += c.totals
            prev.headings += [h for h in c.headings if h not in prev.headings]
            prev.end = c.end
        else:
            out.append(c)
    return out


def _strip_number(v: str) -> str:
    return re.sub(r"^\d{1,4}\s*[.)]\s*", "", v)


def _strip_province(v: str) -> str:
    return re.sub(r"\s*\([A-Z]{2}\)\s*$", "", re.sub(r"^\d{1,4}\s+", "", v))


def _typed_tokens(line: str) -> list[tuple[str, str]]:
    """``[(type, text)]``: tab-separated cells when the line has tabs, else whitespace tokens
    with runs of untyped words merged into one ``text`` cell."""
    parts = (
        [p for p in line.split("\t")]
        if "\t" in line
        else re.split(r"\s+", line.replace("\xa0", " ").strip())
    )
    out: list[tuple[str, str]] = []
    for p in parts:
        p = p.strip()
        if not p:
            continue
        kind = next((k for k, rx in _TOKEN_TYPES if rx.match(p)), "text")
        if kind == "text" and out and out[-1][0] == "text" and "\t" not in line:
            out[-1] = ("text", f"{out[-1][1]} {p}")
        else:
            out.append((kind, p))
    return out


def _grammar(doc, c: Candidate) -> list[tuple[str, str]]:
    """The most common cell-type sequence of the candidate's rows, with cell names."""
    seqs = Counter(tuple(k for k, _ in _typed_tokens(doc.line(n))) for n in c.rows)
    best = list(seqs.most_common(1)[0][0])
    names, seen = [], Counter()
    for i, k in enumerate(best):
        if c.kind == "numbered" and i == 0 and k == "integer":
            name = "n"
        elif k == "text":
            name = "comune" if "comune" not in names else "testo"
        else:
            name = {
                "istat": "codice_istat",
                "amount": "importo",
                "integer": "numero",
                "sigla": "provincia",
                "date": "data",
                "percent": "percentuale",
            }[k]
        seen[name] += 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return list(zip(names, best))


def starter_spec(doc, c: Candidate) -> str:
    """A draft spec for the candidate (YAML text), to edit and test."""
    name = re.sub(r"[^a-z0-9]+", "-", doc.id.lower()).strip("-")
    table: dict = {
        "name": "righe",
        "title": "DA COMPLETARE: titolo della tabella",
        "description": "DA COMPLETARE: che cosa elenca la tabella, da quale atto.",
        "region": _region(doc, c),
    }
    columns: list = []
    if c.kind == "list":
        table["row"] = {
            "list": {
                "intro": r"(?i:comuni\s+di)\s*:?",
                "end": r"[;.](?:\s|$)",
                "separator": ",",
                "cell": "comune",
                "context": {
                    "provincia": {
                        "find": r"(?:^|\s)([A-Z][a-z']+(?:\s[A-Z][a-z']+)*):\s",
                        "province": True,
                    }
                },
            }
        }
        columns = [
            {"name": "n", "counter": True, "type": "integer", "title": "N."},
            {"name": "comune", "title": "Comune", "required": True},
        ]
    elif c.kind == "fixed_width":
        table["row"] = {
            "fixed_width": {"separator": r"^\s*-{20,}\s*$", "columns": _fixed_columns(doc, c)}
        }
        columns = [
            {"name": "n", "type": "integer", "title": "N."},
            {"name": "comune", "title": "Comune", "required": True},
        ]
    else:
        if c.kind == "numbered":
            table["row"] = {"pattern": r"^\s*(?P<n>\d+)\s*[.)]\s+(?P<comune>.+?)\s*[;.]?\s*$"}
        else:
            table["row"] = {"cells": [{n: t} for n, t in c.grammar]}
        for n, t in c.grammar if c.kind != "numbered" else [("n", "integer"), ("comune", "text")]:
            col = {"name": n, "title": n.replace("_", " ").capitalize()}
            if t in ("integer", "amount", "percent"):
                col["type"] = "integer" if t == "integer" else "number"
            columns.append(col)
    if c.headings:
        table["headings"] = {"province": True, "column": "provincia"}
        columns.append({"name": "provincia", "title": "Provincia"})
    if c.kind == "list":
        columns.append({"name": "provincia", "title": "Provincia"})
    columns.append(
        {
            "resolution": {"name": "comune", "province": "provincia"}
            if c.headings or c.kind == "list" or any(n == "provincia" for n, _ in c.grammar)
            else {"name": "comune"}
        }
    )
    table["columns"] = columns
    checks: list = [{"complete": {}}]
    if c.kind in ("numbered", "fixed_width"):
        checks.insert(
            0, {"sequence": {"column": "n", **({"by": "provincia"} if c.headings else {})}}
        )
    if c.totals:
        amounts = [n for n, t in c.grammar if t == "amount"]
        table["totals"] = {"match": r"^\s*TOTALE\b", "columns": amounts or ["importo"]}
    table["checks"] = checks
    spec = {
        "spec": 1,
        "title": f"DA COMPLETARE ({doc.id}, righe {c.start}-{c.end})",
        "dataset": {
            "name": name,
            "title": "DA COMPLETARE",
            "description": "DA COMPLETARE",
            "programme": name,
            "keywords": [],
            "themes": ["GOVE"],
            "views": {
                "map": {
                    "table": "righe",
                    "value": "1",
                    "title": "Comuni",
                    "legend": "nell'elenco",
                    "classes": 1,
                    "format": "yes",
                }
            },
        },
        "tables": [table],
    }
    return yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=100)


def _region(doc, c: Candidate) -> dict:
    """Where the starter spec's table is: after the nearest non-empty line above it (its
    title, as the engine reads ``start``), at that line's occurrence in the document, for as
    many lines as the candidate spans; a table on the document's first line starts there."""
    title = next((n for n in range(c.start - 1, 0, -1) if doc.line(n).strip()), None)
    if title is None:  # the table opens the document: its first line is in it
        region = {"start": ".", "start_inclusive": True, "within": "document"}
        span = c.end - 1
    else:
        region = {"start": _escape_line(doc.line(title)), "within": "document"}
        rx = re.compile(region["start"])
        same = [n for n, text in doc.numbered() if rx.search(text.replace("\xa0", " "))]
        if same and same[0] != title:
            region["occurrence"] = same.index(title) + 1
        span = c.end - title
    if span > 0:
        region["max_lines"] = span
    return region


def _escape_line(line: str) -> str:
    """A pattern for the first words of ``line`` as the document prints them (the engine
    matches the vendored text, so spacing becomes ``\\s+``, not the cleaned text)."""
    words = line.replace("\xa0", " ").split()
    out, size = [], 0
    for w in words:
        if size and size + len(w) > 60:
            break
        out.append(re.escape(w))
        size += len(w) + 1
    return r"\s+".join(out) or "."


def _fixed_columns(doc, c: Candidate) -> dict:
    """Column spans of a fixed-width table from its first record: a cell starts after two
    or more spaces."""
    line = doc.line(c.rows[0]) if c.rows else ""
    starts = [0] + [m.end() for m in re.finditer(r"\S\s{2,}(?=\S)", line)]
    names = ["n", "comune"] + [f"colonna_{i}" for i in range(3, len(starts) + 1)]
    spans = {}
    for i, (name, a) in enumerate(zip(names, starts)):
        spans[name] = [a, starts[i + 1]] if i + 1 < len(starts) else [a]
    return spans


def report(doc, registry) -> str:
    """The text ``comuni-aperti inspect`` prints."""
    found = candidates(doc, registry)
    out = [f"{doc.path.name}: {len(doc.lines)} righe, {len(found)} tabelle candidate"]
    for i, c in enumerate(found, start=1):
        out.append(f"\n[{i}] righe {c.start}-{c.end}: {c.summary}")
        if c.headings:
            out.append("    intestazioni: " + ", ".join(f"{s} (riga {n})" for n, s in c.headings))
        if c.totals:
            out.append("    totali: righe " + ", ".join(map(str, c.totals)))
        if c.grammar:
            out.append("    celle: " + " ".join(f"{n}:{t}" for n, t in c.grammar))
        sample = [clean(doc.line(n))[:100] for n in c.rows[:3]]
        out += [f"    {s}" for s in sample]
        out.append("    spec di partenza:")
        out += ["      " + line for line in c.spec.rstrip().split("\n")]
    if not found:
        out.append(
            "nessuna tabella candidata: nessuna riga nomina un comune accanto a numeri, "
            "nessun elenco numerato o di comuni"
        )
    return "\n".join(out)
