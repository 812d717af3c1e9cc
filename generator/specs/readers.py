"""Two more row shapes a spec can name, besides one row per line (or per group of lines).

``row.list`` -- **comuni listed in running text**, as decrees and communiqués print them::

    Pavia: piogge persistenti del periodo dal 14 aprile 1989 al 27 aprile 1989 nel
    territorio dei comuni di Olevano Lomellina, Vellezzo Lomellina, ... Zenevredo;

The region is read as prose (lines joined, words hyphenated at a line end re-joined);
every match of ``intro`` opens a list, which runs to the first ``end`` delimiter; its
items are split at ``separator``. Each item is one row, with the lines it is printed on.
Named groups of ``intro`` become cells of every row of the list (``evento`` above), and
``context`` patterns, searched backwards from the list, give values such as the province
(``Pavia:``). A list the region cuts before its ``end`` (a truncated text) has its last item
rejected: it may be a name cut in half.

``row.fixed_width`` -- **fixed-width records**, as old typewritten tables print them::

     3  ALBANO                 20/03/03              IMPOSTA COMUNALE
        SANT'ALESSANDRO (BG)   n. 18                 SUGLI IMMOBILI:
    --------------------------------------------------------------------

A record is the lines between two ``separator`` lines; each cell is the text between two
character positions, joined over the record's lines (a cell wraps independently of the
others). A record the region cuts before its separator is rejected, line by line.
"""

from __future__ import annotations

import re

from ..extract.blocks import province_of_heading
from ..extract.text import Prose, clean, join_wrapped


def read_lists(run, region) -> list:
    """Rows of ``row.list`` (module docstring)."""
    from .engine import RawRow

    spec = run.t["row"]["list"]
    prose = Prose(run.doc.lines, region.start, region.end)
    text = prose.text
    rows: list = []
    for m in re.finditer(spec["intro"], text):
        end = re.compile(spec.get("end", r"[;.](?:\s|$)")).search(text, m.end())
        stop = end.start() if end else len(text)
        context = {k: clean(v) for k, v in m.groupdict().items() if v is not None}
        context.update(_list_context(run, spec, text, m.end()))
        items = _items(text, m.end(), stop, spec.get("separator", r",|\s+e\s+"))
        for i, (a, b) in enumerate(items):
            line, line_end = prose.line_of(a), prose.line_of(max(a, b - 1))
            run.rec.candidate(run.name, range(line, line_end + 1))
            if end is None and i == len(items) - 1:
                for n in range(line, line_end + 1):
                    run.rec.reject(
                        run.name,
                        n,
                        "elenco interrotto dalla fine del testo: "
                        f"l'ultima voce ({text[a:b]!r}) può essere troncata",
                        part=text[a:b],
                    )
                continue
            rows.append(
                RawRow(
                    line,
                    line_end,
                    list(range(line, line_end + 1)),
                    text[a:b],
                    {spec.get("cell", "comune"): clean(text[a:b]), **context},
                    dict(context),
                )
            )
    return rows


def _items(text: str, start: int, stop: int, separator: str) -> list[tuple[int, int]]:
    """Spans of the non-empty items between ``start`` and ``stop`` (",," leaves nothing)."""
    out, pos = [], start
    for sep in list(re.finditer(separator, text[start:stop])) + [None]:
        cut = start + sep.start() if sep else stop
        a, b = pos, cut
        while a < b and text[a] in " \t:":
            a += 1  # noqa: E701
        while b > a and text[b - 1] in " \t":
            b -= 1  # noqa: E701
        if b > a:
            out.append((a, b))
        pos = start + sep.end() if sep else stop
    return out


def _list_context(run, spec: dict, text: str, before: int) -> dict:
    """Values from ``context`` patterns: the last match before the list's first item."""
    out = {}
    for name, c in (spec.get("context") or {}).items():
        pattern = c if isinstance(c, str) else c["find"]
        found = [m for m in re.finditer(pattern, text[:before])]
        if not found:
            continue
        value = clean(found[-1].group(1) if found[-1].groups() else found[-1].group(0))
        if isinstance(c, dict) and c.get("province"):
            value = province_of_heading(value, run.ctx.registry, uppercase_only=False)
        out[name] = value
    return out


def read_fixed_width(run, region, first: int) -> list:
    """Records of ``row.fixed_width`` (module docstring), from line ``first``."""
    from .engine import RawRow

    spec = run.t["row"]["fixed_width"]
    sep = re.compile(spec["separator"])
    cols = {name: tuple(span) for name, span in spec["columns"].items()}
    rows, record = [], []
    for n in range(first, region.end + 2):
        line = run.doc.line(n) if n <= region.end else None
        if line is not None and not sep.search(line):
            if line.strip():
                record.append(n)
                run.rec.candidate(run.name, [n])
            continue
        if record:
            if line is None and spec.get("closed", True):
                for k in record:
                    run.rec.reject(
                        run.name,
                        k,
                        "record interrotto dalla fine del testo "
                        "(manca la riga di separazione che lo chiude)",
                    )
            else:
                cells = {
                    name: join_wrapped([run.doc.line(k)[a:b] for k in record], spaced_letters=False)
                    for name, (a, b) in (
                        (c, (s[0], s[1] if len(s) > 1 and s[1] else None)) for c, s in cols.items()
                    )
                }
                run.row_starts.append(record[0])
                rows.append(
                    RawRow(
                        record[0],
                        record[-1],
                        list(record),
                        " ".join(clean(run.doc.line(k)) for k in record),
                        cells,
                        {},
                    )
                )
        record = []
        if line is not None:
            run.skipped["skip"] += 1
    return rows
