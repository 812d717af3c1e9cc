"""The spec engine: a document and a table spec in, a validated table with provenance out.

For each table of a spec (``docs/writing-a-spec.md`` is the reader's guide) the engine

1. **finds** the table: the line that opens it (``region.start``, a column-header block
   ``region.header``), where it ends (``end``, ``end_at``, the printed totals line, the
   end of the act it belongs to), which printing to use when it is printed several times
   (``occurrence``); or, with ``rows_only``, every run of rows;
2. **classifies** every line of the region: blank, page furniture (``skip``), a repeated
   column header, a block heading (``headings``: a province heading sets the province of
   the rows below it), the totals line, or a *candidate*: a line that must end up in a
   published row or rejected with its reason;
3. **reads rows** with the row grammar (``row.cells``: a sequence of typed cells, or
   ``row.pattern``: a regular expression with named groups), joining lines when a row
   spans several (``row.start``) or taking a name printed above the values
   (``row.label_above``); every cell is read by its type (``generator/extract/cells.py``);
4. **builds columns** (``columns``): from a cell, computed (``value``), classified by the
   words of another column (``classify``), the comune split from the end of a cell
   (``split_comune``), a comune resolved to its ISTAT code (``resolution``), with the
   natural persons masked (``privacy``);
5. **proves** the table: the printed totals line, figures the act declares in prose
   (``declared``), the named checks (``checks``), a fund split by shares (``riparto``);
6. adds **provenance** to every row: document, act (the act whose lines hold the row),
   first and last line.

A table marked ``parser: true`` is not read here: a parser supplies its rows (with their
provenance) and :func:`parser_table` gives them the spec's schema and proves them (5).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..extract import cells
from ..extract.blocks import province_of_heading
from ..extract.fields import (
    COMUNE_FK,
    NO_RESOLUTION,
    RESOLUTION_FIELDS,
    provenance,
    resolution_fields,
)
from ..extract.persons import PERSONA_FISICA, PERSONA_GIURIDICA, Pseudonyms, subject_kind
from ..extract.recorder import Recorder
from ..extract.result import Act, Dataset, ParseResult, Table, act_at
from ..extract.rows import label_above
from ..extract.text import Prose, clean, is_page_header, join_wrapped, operative_start
from . import readers
from . import riparto as riparto_mod
from .expr import evaluate
from .load import Map, Spec, SpecError


@dataclass
class RawRow:
    """A row as read: its lines and its cells (printed text, by cell name)."""

    start: int
    end: int
    lines: list[int]
    text: str
    cells: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)  # block heading values (province ...)


@dataclass
class Region:
    start: int  # first line of the table (after its title)
    end: int  # last line
    title_line: int | None
    header: tuple[int, int] | None = None


def apply(spec: Spec, doc, ctx, result: ParseResult) -> None:
    """Run every table of ``spec`` on ``doc``, adding them to the spec's dataset."""
    rec = Recorder(doc)
    ds = _dataset(spec, doc, result)
    for t in spec.tables:
        if t.get("parser"):  # rows from the document's parser: parser_table()
            continue
        table = TableRun(spec, t, doc, ctx, result.acts, rec).run()
        if table is not None:
            if ds not in result.datasets:
                result.datasets.append(ds)
            ds.tables.append(table)
            result.private += table_private(table)
            if "{act}" in ds.description and table.rows:
                ds.description = _fill(
                    ds.description, doc, act_at(result.acts, table.rows[0]["line_start"])
                )
    missing = [t["name"] for t in spec.tables if t.get("parser")]
    if missing and not doc.parser:
        ctx.warn(
            "spec-parser-table-missing",
            f"spec {spec.name}: table {', '.join(missing)} "
            "(parser: true) is filled by a parser, and the document has none",
        )
    rec.finish(result)


def declared_dataset(spec_name: Spec | str, doc, result: ParseResult) -> Dataset:
    """The dataset a spec (or spec name) declares, found in ``result`` or added to it (for a
    parser that publishes tables of a spec's dataset)."""
    from .load import load

    ds = _dataset(load(spec_name) if isinstance(spec_name, str) else spec_name, doc, result)
    if ds not in result.datasets:
        result.datasets.append(ds)
    return ds


def parser_table(
    spec: Spec | str,
    table: str,
    doc,
    ctx,
    acts: list[Act],
    rec: Recorder,
    rows: list[dict],
    lines: tuple[int, int] | None = None,
    **fill: str,
) -> Table:
    """The table ``table`` of a spec (or spec name), marked ``parser: true``, with the
    ``rows`` a parser read from ``lines`` (first, last; by default the rows' span): the spec
    gives the title, description, columns and keys, and its declared figures and checks are
    run on the rows, recorded on ``rec``. ``fill`` gives the ``{key}`` placeholders of the
    table's name, title and description (one declared table for several printed ones:
    ``indennizzi_{sede}``)."""
    from .load import load

    spec = load(spec) if isinstance(spec, str) else spec
    t = next((x for x in spec.tables if x["name"] == table and x.get("parser")), None)
    if t is None:
        raise SpecError(spec.where(), f"no table {table!r} with `parser: true` in the spec")
    t = _placeholders(t, fill)
    for r in rows:  # the columns a row lacks are empty
        for c in t["columns"]:
            for f in RESOLUTION_FIELDS if "resolution" in c else [c]:
                r.setdefault(f["name"], None)
    if lines is None:
        lines = (
            min((r["line_start"] for r in rows), default=1),
            max((r["line_end"] for r in rows), default=1),
        )
    run = TableRun(spec, t, doc, ctx, acts, rec)
    run.region = Region(lines[0], lines[1], lines[0])
    run.find_declared(run.region)
    run.prove(rows, [run.region], run.region, [])
    return run.table(rows, run.region)


def _placeholders(t: Map, fill: dict[str, str]) -> Map:
    out = Map(t)
    out.line = t.line
    for key in ("name", "title", "description"):
        for k, v in fill.items():
            out[key] = str(out[key]).replace(f"{{{k}}}", v)
    return out


def table_private(table: Table) -> list[tuple[int, int]]:
    return sorted(
        {
            (r["line_start"], r["line_end"])
            for r in table.rows
            if r.get("soggetto") == PERSONA_FISICA or r.get("_person")
        }
    )


def _dataset(spec: Spec, doc, result: ParseResult) -> Dataset:
    d = spec.dataset
    ds = result.dataset(d["name"])
    if ds is not None:
        return ds
    if not d.get("title"):
        raise SpecError(
            spec.where(d),
            f"dataset {d['name']!r} is declared neither here (give "
            "it `title` and `description`) nor by the document's parser",
        )
    description = " ".join(str(d.get("description", "")).split())
    ds = Dataset(
        d["name"],
        d["title"],
        description.replace(
            "{official_reference}", str(doc.meta.get("official_reference", doc.id))
        ),
        [],
        programme=d.get("programme", d["name"]),
        keywords=list(d.get("keywords") or []),
        views=dict(d.get("views") or {}),
    )
    ds.themes = list(d.get("themes") or [])
    return ds  # added to the result with its first table


def _fill(text: str, doc, act: Act | None) -> str:
    """In a description: ``{act}`` (``D.d.s. 14 novembre 2018 n. 16506``), ``{act_ref}``
    (``D.d.s. n. 16506``) and ``{official_reference}`` (the document's, from the manifest)."""
    label = f"{act.type} {cells.italian_date(act.date)} n. {act.number}" if act else "il documento"
    ref = f"{act.type} n. {act.number}" if act else "il documento"
    return (
        " ".join(str(text).split())
        .replace("{act}", label)
        .replace("{act_ref}", ref)
        .replace("{official_reference}", str(doc.meta.get("official_reference", doc.id)))
    )


class TableRun:
    """One table of a spec on one document."""

    def __init__(self, spec: Spec, t: dict, doc, ctx, acts: list[Act], rec: Recorder):
        self.spec, self.t, self.doc, self.ctx, self.acts, self.rec = spec, t, doc, ctx, acts, rec
        self.name = t["name"]
        self.prefix = t.get("id_prefix", self.name)
        self.row_rx = _row_regex(spec, t.get("row") or {})
        self.header_blocks: list[tuple[int, int, str]] = []
        self.totals: tuple[int, list[Decimal]] | None = None
        self.row_starts: list[int] = []
        self.declared: dict[str, tuple[Any, int | None]] = {}
        self.declared_lines: dict[str, tuple[int, int]] = {}  # first and last line printed
        self.skipped: Counter = Counter()  # structure lines skipped, by kind
        self._counted: list[dict] = []  # rows built so far (``counter`` columns)
        self._prose_cache: dict = {}
        self._cell_specs_made: dict | None = None
        self._province_codes_made: dict[str, str] | None = None
        rec.candidate(self.name, [])  # the table is this recorder's to account for

    # -- 1. find -----------------------------------------------------------------------------
    def run(self) -> Table | None:
        regions = self.locate()
        if not regions and self.t["region"].get("if_missing") == "empty":
            chosen = self.region = Region(1, 0, None)  # published empty; its checks report it
            raws = []
        elif not regions:
            self.ctx.warn(
                "spec-table-not-found",
                f"spec {self.spec.name}: table {self.name} "
                "not found in the document (region.start / region.header match no "
                "line)",
            )
            return None
        else:
            occ = self.t["region"].get("occurrence", "first")
            chosen = (
                regions[-1]
                if occ == "last"
                else regions[0]
                if occ in ("first", "all")
                else regions[int(occ) - 1]
            )
            self.region = chosen
            raws = self.read(chosen)
            if not raws:
                self.ctx.warn(
                    "spec-table-empty",
                    f"spec {self.spec.name}: table {self.name} "
                    f"read no row in lines {chosen.start}-{chosen.end} (the line "
                    "region.start matches is the table's title, not in it, unless "
                    "start_inclusive: true; or the row grammar matches no line)",
                    chosen.start,
                )
        self.find_declared(chosen)
        rows = self.build(raws)
        if self.t.get("riparto"):
            riparto_mod.run(self, rows, raws)
        self.prove(rows, regions, chosen, raws)
        return self.table(rows, chosen)

    def locate(self) -> list[Region]:
        reg = self.t["region"]
        lines = self.doc.lines
        if reg.get("rows_only"):
            return self._row_runs()
        starts: list[int] = []
        if reg.get("start"):
            rx = re.compile(reg["start"])
            starts = [n for n, text in self.doc.numbered() if rx.search(text.replace("\xa0", " "))]
            near = reg.get("start_near")
            if near:
                starts = [
                    n
                    for n in starts
                    if re.search(
                        near["find"],
                        " ".join(
                            clean(x) for x in self.doc.lines[n - 1 : n + near.get("lines", 40)]
                        ),
                        re.I,
                    )
                ]
        elif reg.get("header"):
            starts = [n for n in range(1, len(lines) + 1) if self._header_at(n)]
            starts = starts[:1] if reg.get("occurrence", "first") == "first" else starts
        out = []
        for s in starts:
            inclusive = reg.get("start_inclusive") or not reg.get("start")
            title = None if inclusive else s
            first = s if inclusive else s + 1
            out.append(Region(first, self._end_of(s), title))
        return out

    def _end_of(self, start: int) -> int:
        reg = self.t["region"]
        end = len(self.doc.lines)
        if reg.get("within", "act" if self.acts else "document") == "act":
            a = act_at(self.acts, start)
            end = a.line_end if a else end
        if reg.get("max_lines"):
            end = min(end, start + reg["max_lines"])
        for key, inclusive in (("end", False), ("end_at", True)):
            if reg.get(key):
                rx = re.compile(reg[key])
                for n in range(start + 1, end + 1):
                    if rx.search(self.doc.line(n).replace("\xa0", " ")):
                        end = n if inclusive else n - 1
                        break
        return end

    def _header_at(self, n: int) -> tuple[int, str] | None:
        """``(last line, text)`` of a column-header block starting at line ``n``."""
        h = self.t["region"].get("header")
        if not h or not re.search(h["start"], self.doc.line(n)):
            return None
        last = min(len(self.doc.lines), n + h.get("max_lines", 60))
        for k in range(n, last + 1):
            if re.search(h["end"], self.doc.line(k)):
                text = clean(" ".join(self.doc.lines[n - 1 : k]))
                if all(w in text for w in h.get("must_contain", [])):
                    return k, text
                return None
        return None

    def _row_runs(self) -> list[Region]:
        """``rows_only``: each run of rows separated only by blank lines is one printing of
        the table (a row starts with its name printed above its values)."""
        runs: list[list[int]] = []
        for n, text in self.doc.numbered():
            if not self.row_rx.match(text.replace("\xa0", " ")):
                continue
            top = self._label_top(n)
            if runs and all(not self.doc.line(k).strip() for k in range(runs[-1][-1] + 1, top)):
                runs[-1].append(n)
            else:
                runs.append([n])
        return [Region(self._label_top(r[0]), r[-1], None) for r in runs]

    def _stops(self, text: str) -> bool:
        return bool(self.row_rx.match(text.replace("\xa0", " "))) or text.rstrip().endswith(":")

    def _label_top(self, n: int) -> int:
        return label_above(self.doc, n, self._stops, max_blank=None)

    # -- 2-3. classify and read -----------------------------------------------------------------
    def read(self, region: Region) -> list[RawRow]:
        row = self.t["row"]
        if self.t["region"].get("rows_only"):
            return self._read_label_rows(region)
        if row.get("list"):
            return readers.read_lists(self, region)
        if row.get("fixed_width"):
            return readers.read_fixed_width(self, region, self._skip_header(region))
        raws: list[RawRow] = []
        cur: RawRow | None = None
        context: dict = {}
        n = self._skip_header(region)
        multiline = self.t["row"].get("start")
        while n <= region.end:
            text = self._remove(self.doc.line(n))
            hb = self._header_at(n) if self.t["region"].get("header") else None
            if hb:
                cur = self._close(cur, raws)
                self.header_blocks.append((n, hb[0], hb[1]))
                self.skipped["intestazione di colonna"] += sum(
                    1 for k in range(n, hb[0] + 1) if self.doc.line(k).strip()
                )
                n = hb[0] + 1
                continue
            kind = self._classify(n, text, context)
            if kind in ("skip", "heading", "totals"):
                self.skipped[kind] += 1
            if kind == "totals":
                cur = self._close(cur, raws)
                break
            if kind == "candidate":
                cur = self._take(n, text, cur, raws, context, multiline)
            elif kind == "heading":
                cur = self._close(cur, raws)
            n += 1
        self._close(cur, raws)
        return [r for r in raws if r.cells]

    def _remove(self, text: str) -> str:
        """``row.remove``: printing marks deleted from every line before it is read (e.g. the
        Gazzetta's ``(( ))`` around text changed by a conversion law)."""
        rx = self.t["row"].get("remove")
        return re.sub(rx, "", text) if rx else text

    def _skip_header(self, region: Region) -> int:
        """``region.first_row``: the lines before the first row are the column header."""
        first_row = self.t["region"].get("first_row")
        if not first_row:
            return region.start
        rx = re.compile(first_row)
        first = next(
            (n for n in range(region.start, region.end + 1) if rx.search(self.doc.line(n))),
            region.end + 1,
        )
        if first > region.start:
            text = clean(" ".join(self.doc.lines[region.start - 1 : first - 1]))
            self.header_blocks.append((region.start, first - 1, text))
            self.skipped["intestazione di colonna"] += sum(
                1 for k in range(region.start, first) if self.doc.line(k).strip()
            )
            missing = [w for w in (self.t["region"].get("header_words") or []) if w not in text]
            if missing:
                self.ctx.warn(
                    "spec-header",
                    f"spec {self.spec.name}, table {self.name}: the column header lacks {missing}",
                    region.start,
                )
        return first

    def _classify(self, n: int, text: str, context: dict) -> str:
        t = clean(text)
        if not t:
            return "blank"
        for rule in self.t.get("skip") or []:
            if rule == "page_header" and is_page_header(text):
                return "skip"
            if isinstance(rule, dict) and re.search(rule["match"], text):
                return "skip"
        tot = self.t.get("totals")
        if tot and re.search(tot["match"], t):
            self.totals = (n, [cells.amount(c) for c in re.findall(cells.AMTE, t)])
            return "totals"
        h = self.t.get("headings")
        if h:
            value = self._heading(t, h)
            if value is not None:
                context[h.get("column", "provincia")] = value
                context["_heading_line"] = n
                return "heading"
        return "candidate"

    def _heading(self, t: str, h: dict) -> str | None:
        if h.get("match"):
            m = re.search(h["match"], t)
            if not m:
                return None
            name = m.group(1) if m.groups() else m.group(0)
            return (
                province_of_heading(name, self.ctx.registry, uppercase_only=False)
                if h.get("province")
                else name.strip()
            )
        if h.get("province"):
            return province_of_heading(t, self.ctx.registry)
        return None

    def _take(self, n, text, cur, raws, context, multiline) -> RawRow | None:
        self.rec.candidate(self.name, [n])
        if multiline:
            if re.search(multiline, text):
                self._close(cur, raws)
                self.row_starts.append(n)
                cur = RawRow(n, n, [n], clean(text), context=dict(context))
                raws.append(cur)
            elif cur is not None and not cur.cells:
                cur.lines.append(n)
                cur.end = n
                cur.text += " " + clean(text)
            else:
                self.rec.reject(self.name, n, "riga non riconosciuta all'interno della tabella")
                return cur
            m = self.row_rx.match(cur.text)
            if m:
                cur.cells = {k: v for k, v in m.groupdict().items()}
                return None
            return cur
        m = self.row_rx.match(text)
        if not m and self._continues(n, text, raws):
            return None
        self.row_starts.append(n)
        if not m:
            self.rec.reject(self.name, n, self._diagnose(text))
            return None
        raws.append(RawRow(n, n, [n], text, dict(m.groupdict()), dict(context)))
        return None

    def _continues(self, n: int, text: str, raws: list[RawRow]) -> bool:
        """``row.continuation``: a line right below a row (no blank line between) that is
        not a row itself and matches this pattern continues the row: each named group
        fills its cell, or is added to it after a space (text wrapped onto the next line,
        a note printed under the row)."""
        rx = self.t["row"].get("continuation")
        prev = raws[-1] if raws else None
        m = re.match(rx, text) if rx and prev and prev.end == n - 1 else None
        if not m:
            return False
        prev.lines.append(n)
        prev.end = n
        prev.text += " " + clean(text)
        for k, v in m.groupdict().items():
            if v is not None:
                prev.cells[k] = f"{prev.cells[k]} {v.strip()}" if prev.cells.get(k) else v
        return True

    def _diagnose(self, text: str) -> str:
        """Why a line is not a row: with a ``cells`` grammar, the first cell that does not
        match (the longest prefix of the grammar that does)."""
        cells_spec = self.t["row"].get("cells")
        if not cells_spec:
            return "riga non riconosciuta: non corrisponde al pattern della riga"
        for k in range(len(cells_spec) - 1, 0, -1):
            rx = _row_regex(self.spec, {"cells": cells_spec[:k]}, anchored_end=False)
            if rx.match(text):
                name, body = _cell_entry(cells_spec[k])
                what = body.get("type", "pattern" if body.get("pattern") else "text")
                rep = f" ×{body['repeat']}" if body.get("repeat") else ""
                last = _cell_entry(cells_spec[k - 1])[0]
                return (
                    f"riga non riconosciuta: si legge fino alla cella «{last}»; la cella "
                    f"«{name}» ({what}{rep}) non corrisponde"
                )
        return "riga non riconosciuta: la prima cella non corrisponde alla grammatica della riga"

    def _close(self, cur: RawRow | None, raws: list[RawRow]) -> None:
        if cur is not None and not cur.cells:
            for ln in cur.lines:
                self.rec.reject(
                    self.name, ln, "riga di tabella incompleta: colonne non riconosciute"
                )
        return None

    def _read_label_rows(self, region: Region) -> list[RawRow]:
        out = []
        for n in range(region.start, region.end + 1):
            text = self.doc.line(n).replace("\xa0", " ")
            m = self.row_rx.match(text)
            if not m:
                continue
            top = self._label_top(n)
            label = join_wrapped([self.doc.line(k) for k in range(top, n)])
            self.rec.candidate(self.name, range(top, n + 1))
            self.row_starts.append(top)
            label_cell = self.t["row"]["label_above"].get("cell", "nome")
            out.append(
                RawRow(top, n, list(range(top, n + 1)), text, {label_cell: label, **m.groupdict()})
            )
        return out

    # -- 4. columns ----------------------------------------------------------------------------
    def build(self, raws: list[RawRow]) -> list[dict]:
        rows = []
        names = Pseudonyms()
        for raw in raws:
            try:
                row = self._columns(raw)
            except (cells.CellError, SpecError) as e:
                for ln in raw.lines:
                    self.rec.reject(self.name, ln, f"cella non valida: {e}")
                continue
            if row is None:
                continue
            self._privacy(row, names, raw)
            self._resolve(row, raw)
            self._counted.append(row)
            act = act_at(self.acts, raw.start)
            row.update(provenance(self.doc.id, raw.start, raw.end, act.id if act else ""))
            rows.append(row)
        return rows

    def cell(self, raw: RawRow, name: str, index: int | None = None):
        spec_cell = self._cell_specs().get(name)
        printed = raw.cells.get(name)
        if printed is None or (isinstance(printed, str) and not printed.strip()):
            return raw.context.get(name)
        typ = spec_cell.get("type", "text") if spec_cell else "text"
        if spec_cell and spec_cell.get("repeat"):
            frag = spec_cell.get("pattern") or cells.TYPES[typ].pattern
            values = [cells.read(typ, p) for p in re.findall(f"(?:{frag})(?=\\s|$)", printed)]
            return values if index is None else (values[index] if index < len(values) else None)
        value = cells.read(typ, printed) if typ in cells.TYPES else clean(printed)
        if typ == "sigla" and value not in self.ctx.registry.provinces:
            raise cells.CellError(f"sigla di provincia sconosciuta: {value}")
        return value

    def _cell_specs(self) -> dict:
        """The row's cells by name, each a mapping (``type``, ``pattern``, ``repeat``):
        made once per table (it is asked for every cell read)."""
        if self._cell_specs_made is not None:
            return self._cell_specs_made
        out = {}
        for c in (self.t.get("row") or {}).get("cells") or []:
            name, body = (c, "text") if isinstance(c, str) else next(iter(c.items()))
            out[name] = {"type": body} if isinstance(body, str) else dict(body or {})
        self._cell_specs_made = out
        return out

    def _columns(self, raw: RawRow) -> dict | None:
        row: dict = {}
        for c in self.t["columns"]:
            name = c.get("name")
            if not name:
                continue
            try:
                self._column(c, name, row, raw)
            except cells.CellError as e:
                raise cells.CellError(f"colonna {name}: {e}") from None
            if c.get("type") == "integer" and isinstance(row[name], Decimal):
                row[name] = int(row[name])
        return row

    def _column(self, c: dict, name: str, row: dict, raw: RawRow) -> None:
        if "split_comune" in c:
            self._split_comune(c, row, raw)
        elif "classify" in c:
            src = c["classify"]["from"]
            row[name] = _classify(c["classify"], row[src] if src in row else raw.cells.get(src))
        elif c.get("counter"):
            row[name] = len(self._counted) + 1
        elif "from_prose" in c:
            row[name] = self._from_prose(c["from_prose"], row, raw)
        elif "province_of_code" in c:
            code = str(raw.cells.get(c["province_of_code"]) or "")
            row[name] = self._province_codes().get(code[:3])
        elif "value" in c:
            row[name] = evaluate(str(c["value"]), lambda k: row.get(k, raw.cells.get(k)))
        elif c.get("from", name) in raw.cells or c.get("from", name) in raw.context:
            row[name] = self.cell(raw, c.get("from", name), c.get("index"))
            if c.get("extract") and isinstance(row[name], str):
                m = re.search(c["extract"], row[name])
                row[name] = clean(m.group(1)) if m else None
            if isinstance(row[name], str) and (
                c.get("cell") or c.get("type") in ("integer", "number", "date")
            ):
                row[name] = cells.read(
                    c.get("cell")
                    or {"integer": "integer", "number": "number", "date": "date"}[c["type"]],
                    row[name],
                )
        else:
            row[name] = c.get("default")

    def _from_prose(self, fp: dict, row: dict, raw: RawRow):
        """A value the act's text gives for this row: the first match of ``find`` whose
        ``key`` group equals one of the row's ``by`` cells; its ``take`` group."""
        cache = self._prose_cache.setdefault(fp["find"], {})
        if not cache:
            prose = self._scope(fp.get("in", "act"), self.region)
            for d in prose.find_all(fp["find"]) if prose else []:
                cache.setdefault(d.group(fp.get("key", "key")), d)
        for col in fp.get("by") or []:
            key = raw.cells.get(col) if col in raw.cells else row.get(col)
            d = cache.get(key or "")
            if d is not None:
                if fp.get("line_to"):
                    row[fp["line_to"]] = d.line
                return clean(d.group(fp["take"]))
        return None

    def _province_codes(self) -> dict[str, str]:
        if self._province_codes_made is None:
            self._province_codes_made = {
                p["code"]: s for s, p in self.ctx.registry.provinces.items()
            }
        return self._province_codes_made

    def _split_comune(self, c: dict, row: dict, raw: RawRow) -> None:
        """``split_comune: {from: cell, province: column, rest: column}``: the comune is
        the end of the cell -- after the last run of NBSP-joined words when the printer
        marked the cells that way, else the longest tail naming a comune of the province."""
        sc = c["split_comune"]
        middle = raw.cells.get(sc["from"]) or ""
        p = sc.get("province", "provincia")
        province = row[p] if p in row else self.cell(raw, p)
        parts = [p for p in middle.split(" ") if p.strip("\xa0 ")]
        if len(parts) == 2:
            row[sc["rest"]], row[c["name"]] = clean(parts[0]), clean(parts[1])
            return
        words = clean(middle).split()
        for k in range(min(len(words) - 1, 6), 0, -1):
            cand = " ".join(words[-k:])
            r = self.ctx.registry.resolve(cand, province=province, fuzzy=False)
            if r.ok and self.ctx.registry.get(r.istat).province_sigla == province:
                row[sc["rest"]], row[c["name"]] = " ".join(words[:-k]), cand
                return
        raise SpecError("", "confine tra nome e comune non determinabile")

    def _privacy(self, row: dict, names: Pseudonyms, raw: RawRow) -> None:
        p = self.t.get("privacy")
        if not p:
            return
        default = PERSONA_GIURIDICA if p.get("default") == PERSONA_GIURIDICA else PERSONA_FISICA
        kind = subject_kind(row.get(p["name"]) or "", row.get(p["fiscal_code"]), default)
        if p.get("kind_column"):
            row[p["kind_column"]] = kind
        if kind == PERSONA_FISICA:
            row[p["name"]] = names.label(row.get(p["fiscal_code"]) or f"riga {raw.start}")
            for col in p.get("clear") or []:
                row[col] = None
            row["_person"] = True

    def _resolve(self, row: dict, raw: RawRow) -> None:
        for c in self.t["columns"]:
            res = c.get("resolution")
            if not res:
                continue
            name = row.get(res["name"])
            when = res.get("when")
            line = row.pop(res["line_from"], None) if res.get("line_from") else None
            if not name or (when and not evaluate(when, row.get)):
                row.update(NO_RESOLUTION)
                continue
            province = row.get(res.get("province", "provincia"))
            r = self.ctx.resolve(name, line or raw.start, province=province)
            row.update(resolution_fields(r))

    # -- 5. prove ------------------------------------------------------------------------------
    def find_declared(self, region: Region) -> None:
        for name, d in (self.t.get("declared") or {}).items():
            prose = self._scope(d.get("in", "act"), region)
            found = prose.find(d["find"], last=d.get("pick") == "last") if prose else None
            if found is None:
                self.declared[name] = (None, None)
                continue
            printed = found.group(d.get("group", 1))
            value = cells.read(d.get("type", "amount"), printed)
            if d.get("scale") and value is not None:  # printed in thousands, millions
                value = value * d["scale"]
            self.declared[name] = (value, found.line)
            self.declared_lines[name] = (found.line, found.line_end)

    def _scope(self, scope: str, region: Region) -> Prose | None:
        lines = self.doc.lines
        act = act_at(self.acts, region.title_line or region.start)
        a0, a1 = (act.line_start, act.line_end) if act else (1, len(lines))
        if scope == "document":
            return Prose(lines)
        if scope == "act":
            return Prose(lines, a0, a1)
        if scope == "before_table":
            return Prose(lines, a0, (region.title_line or region.start) - 1)
        if scope == "operative":
            return Prose(lines, operative_start(lines, a0, a1), a1)
        if scope == "table":
            return Prose(lines, region.start, region.end)
        if scope == "header" and self.header_blocks:
            first, last, _ = self.header_blocks[0]
            return Prose(lines, first, last)
        return None

    def figure(self, name: str):
        if name not in self.declared:
            raise SpecError(
                self.spec.where(self.t),
                f"table {self.name}: figure {name!r} is "
                f"not declared (declared: {', '.join(self.declared) or 'none'})",
            )
        return self.declared[name][0]

    def prove(
        self, rows: list[dict], regions: list[Region], chosen: Region, raws: list[RawRow]
    ) -> None:
        from .checks import run_checks

        run_checks(self, rows, regions, chosen, raws)

    # -- 6. the table ----------------------------------------------------------------------------
    def table(self, rows: list[dict], region: Region) -> Table:
        fields, foreign_keys = _schema(self.t, self._cell_specs())
        for r in rows:
            r.pop("_person", None)
        act = act_at(self.acts, region.title_line or region.start)
        table = Table(
            self.name,
            self.t["title"],
            _fill(self.t["description"], self.doc, act),
            fields,
            rows,
            primary_key=list(self.t.get("primary_key") or []) or None,
            foreign_keys=foreign_keys,
        )
        table.declared = dict(self.declared)
        if self.totals:
            line, values = self.totals
            for col, v in zip((self.t.get("totals") or {}).get("columns", []), values):
                table.declared[f"totale:{col}"] = (v, line)
        return table


def _classify(spec: dict, value) -> Any:
    if value is None:
        return spec.get("default")
    for rule in spec.get("rules") or []:
        if re.search(rule["match"], str(value), re.I):
            return rule["value"]
    return spec.get("default")


def _schema(t: dict, cell_specs: dict) -> tuple[list[dict], list[dict]]:
    """The Table Schema fields and foreign keys a table's ``columns`` declare: a
    ``resolution`` placeholder places the resolution fields (``method_description``: the
    description of ``resolution_method`` when the table adds methods of its own) and the
    foreign key to the comuni; ``foreign_keys`` adds the table's own."""
    fields, foreign_keys = [], []
    for c in t["columns"]:
        if "resolution" in c:
            methods = " ".join(str((c["resolution"] or {}).get("method_description", "")).split())
            fields += [
                dict(f, description=methods)
                if methods and f["name"] == "resolution_method"
                else dict(f)
                for f in RESOLUTION_FIELDS
            ]
            foreign_keys = [COMUNE_FK]
            continue
        fields.append(_field(c, cell_specs))
    return fields, foreign_keys + [_plain(fk) for fk in t.get("foreign_keys") or []]


def _plain(x):
    """A YAML node (with its line) as plain dicts and lists, for the published schema."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return [_plain(v) for v in x] if isinstance(x, list) else x


def _field(c: dict, cell_specs: dict) -> dict:
    src = cell_specs.get(c.get("from", c["name"]), {})
    typ = c.get("type") or cells.TYPES.get(src.get("type", "text"), cells.TYPES["text"]).schema_type
    f: dict[str, Any] = {"name": c["name"], "type": typ, "title": c.get("title", c["name"])}
    if c.get("description"):
        f["description"] = " ".join(str(c["description"]).split())
    # in the order the spec writes them
    cons = {
        k: v
        for k, v in c.items()
        if k in ("required", "unique", "minimum", "maximum", "enum", "pattern")
    }
    if cons:
        f["constraints"] = cons
    return f


def _cell_entry(c) -> tuple[str, dict]:
    """``(name, {type, repeat, optional, pattern})`` of one cell of a ``cells`` grammar."""
    name, body = (c, "text") if isinstance(c, str) else next(iter(c.items()))
    return name, {"type": body} if isinstance(body, str) else dict(body or {})


def _row_regex(spec: Spec, row: dict, anchored_end: bool = True) -> re.Pattern:
    """The row grammar as one regular expression (``cells`` compiled, or ``pattern``)."""
    if row.get("pattern"):
        return re.compile(row["pattern"])
    if not row.get("cells"):
        return re.compile(r"(?!)")  # list and fixed-width rows: read otherwise
    parts = []
    for c in row["cells"]:
        name, body = _cell_entry(c)
        frag = body.get("pattern") or cells.TYPES[body.get("type", "text")].pattern
        rep = str(body.get("repeat", ""))
        if rep:
            lo, _, hi = (
                rep.partition("-")
                if "-" in rep
                else (rep.rstrip("+"), "", "" if rep.endswith("+") else rep)
            )
            lo = int(lo or 1)
            tail = f"{{{lo - 1},{int(hi) - 1 if hi else ''}}}"
            frag = f"(?:{frag})(?:\\s+(?:{frag})){tail}"
        group = f"(?P<{name}>{frag})"
        parts.append(f"(?:\\s+{group})?" if body.get("optional") else f"\\s+{group}")
    body = "".join(parts)
    body = body[3:] if body.startswith("\\s+") else body
    return re.compile(rf"^\s*{body}\s*$" if anchored_end else rf"^\s*{body}(?=\s|$)")
