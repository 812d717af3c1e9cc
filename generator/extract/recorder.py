"""One recorder for what an extraction proves and what it could not publish.

A :class:`Recorder` collects, for one document:

* **checks**, each a named rule of the library below, with one pass rule: a check passes
  when its rule holds, and never when the document's declared value was not found;
* **rejects**: input lines that could not be published, with the reason, and with their
  text withheld when it carries a natural person's codice fiscale (privacy by
  construction: no caller can forget it);
* **facts**: programme-level figures the document declares, with their lines;
* **candidates**: the input lines of each table, for the line accounting that the build
  enforces (:func:`accounting_errors`).

The check library (the names are the rules' ids in specs):

==================  =========================================================================
``equal``           a declared figure equals the parsed one (numbers: within ``tolerance``)
``sequence``        order numbers run 1..N (no gap, repeat or disorder)
``column_total``    a column's sum equals its printed total
``declared_count``  the number of rows equals a count the document declares
``unit_amount``     every row's amount is its count times one constant amount per unit
``sorted``          a column is in ascending order (strictly: no repeats)
``copies``          a table printed twice is the same both times
``rows``            a rule holds on every row (row arithmetic); failures listed by line
``absent``          nothing of a kind that must not occur is found (duplicates, names
                    outside the list's region ...); the failure lists what was found
==================  =========================================================================
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterable

from ..privacy import CF_PERSONAL
from ..quality import Check, Reject
from .cells import CENT, as_json_number
from .result import ParseResult

WITHHELD_TEXT = "[testo omesso: la riga contiene dati di una persona fisica]"
_WORDS16 = re.compile(r"[A-Z0-9]{16}")


def _num(v):
    return as_json_number(v) if isinstance(v, Decimal) else v


def fmt_it(x, decimals: int = 2) -> str:
    """Italian format for explanations: 40000464.11 -> '40.000.464,11'."""
    if x is None:
        return "—"
    s = f"{x:,.{decimals}f}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


def ranges(nums: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``'1-3 7'``."""
    out, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return " ".join(out)


def only_in(a_label: str, a: Iterable, b_label: str, b: Iterable) -> str:
    """Explain two lists that should hold the same items:
    ``'solo in indice: Cremona; solo in elenco: Lodi'`` ('' when they agree)."""
    a, b = list(a), list(b)
    parts = [
        f"solo in {label}: {', '.join(map(str, only))}"
        for label, only in (
            (a_label, [x for x in a if x not in set(b)]),
            (b_label, [x for x in b if x not in set(a)]),
        )
        if only
    ]
    return "; ".join(parts)


class Recorder:
    """Checks, rejects, facts and candidate lines of one document's extraction."""

    def __init__(self, doc):
        self.doc = doc
        self.doc_id = doc.id
        self.checks: list[Check] = []
        self.rejects: list[Reject] = []
        self.facts: list[dict] = []
        self.candidates: dict[str, set[int]] = {}
        self.summaries: set[str] = set()

    # -- accounting --------------------------------------------------------------------
    def candidate(self, table: str, lines: Iterable[int]) -> None:
        """Mark input lines as candidates of ``table`` (blank lines are left out)."""
        s = self.candidates.setdefault(table, set())
        s.update(n for n in lines if self.doc.line(n).strip())

    def summary(self, table: str, lines: Iterable[int] = ()) -> None:
        """Declare ``table`` a summary of other tables (one row per province, say): its
        rows span lines that those tables account for, so its candidates are only
        ``lines`` (the headings it is read from, say) and the lines rejected for it."""
        self.summaries.add(table)
        self.candidate(table, lines)

    def reject(self, table: str, line: int, reason: str, part: str = "") -> Reject:
        """Reject an input line of ``table`` (or only ``part`` of it, when the rest of the
        line is published: an item of a list); its text is withheld when it carries a
        personal codice fiscale."""
        self.candidates.setdefault(table, set()).add(line)
        text = self.doc.line(line)
        if any(CF_PERSONAL.fullmatch(w) for w in _WORDS16.findall(text + " " + part)):
            # withheld, and still a part when it was one (the line accounting relies on it)
            text, part = WITHHELD_TEXT, WITHHELD_TEXT if part else ""
        r = Reject(self.doc_id, line, text, reason, table, part)
        self.rejects.append(r)
        return r

    # -- checks ------------------------------------------------------------------------
    def check(
        self,
        cid: str,
        description: str,
        declared: Any,
        parsed: Any,
        passed: bool | None = None,
        lines: tuple | None = None,
        explanation: str = "",
        note: str = "",
        missing: str = "",
    ) -> Check:
        """A check. It passes when ``passed`` (default: ``declared == parsed``) and the
        declared value was found. ``explanation`` says why it failed (kept only for a
        failure); ``note`` says how the values were obtained (kept either way); ``missing``
        explains a declared value that is absent (default: not found in the text)."""
        if declared is None:
            ok, explanation = False, missing or "valore dichiarato non trovato"
        else:
            ok = bool(declared == parsed if passed is None else passed)
        a, b = (tuple(lines or ()) + (None, None))[:2]
        text = "; ".join(x for x in (note, "" if ok else explanation) if x)
        c = Check(cid, description, _num(declared), _num(parsed), ok, self.doc_id, a, b or a, text)
        self.checks.append(c)
        return c

    def equal(
        self,
        cid: str,
        description: str,
        declared,
        parsed,
        lines: tuple | None = None,
        explanation: str = "",
        tolerance=0,
    ) -> Check:
        """Declared = parsed (numbers within ``tolerance``); the difference explains a failure."""
        ok = declared is not None and parsed is not None and abs(parsed - declared) <= tolerance
        if not ok and not explanation and declared is not None and parsed is not None:
            explanation = f"differenza {float(parsed - declared):+.2f}"
        return self.check(cid, description, declared, parsed, ok, lines, explanation)

    def sequence(
        self,
        cid: str,
        description: str,
        numbers: list[int],
        lines: tuple | None = None,
        explanation: str = "",
        declared_last: int | None = None,
    ) -> Check:
        """Order numbers run 1..N. ``declared_last``: the highest number printed (when some
        printed rows were not published, the published ones fall short of it)."""
        n = declared_last if declared_last is not None else len(numbers)
        ok = numbers == list(range(1, n + 1))
        if not ok and not explanation:
            expected = set(range(1, n + 1))
            missing = sorted(expected - set(numbers))
            repeated = sorted({x for x in numbers if numbers.count(x) > 1})
            parts = [
                f"mancano {ranges(missing)}" if missing else "",
                f"ripetuti {ranges(repeated)}" if repeated else "",
                "fuori ordine" if not missing and not repeated else "",
            ]
            explanation = "; ".join(p for p in parts if p)
        return self.check(
            cid,
            description,
            n if declared_last is not None else f"1..{n}",
            len(numbers) if declared_last is not None else numbers,
            ok,
            lines,
            explanation,
        )

    def column_total(
        self,
        cid: str,
        description: str,
        rows: list[dict],
        column: str,
        printed,
        line: int | None,
        tolerance=0,
    ) -> Check:
        return self.equal(
            cid, description, printed, total(rows, column), (line, line), tolerance=tolerance
        )

    def declared_count(
        self,
        cid: str,
        description: str,
        declared: int | None,
        parsed: int,
        lines: tuple | None = None,
        explanation: str = "",
    ) -> Check:
        return self.check(
            cid,
            description,
            declared,
            parsed,
            declared == parsed,
            lines,
            explanation or "il numero di righe non corrisponde a quello dichiarato",
        )

    def rows(
        self, cid: str, description: str, rows: list[dict], holds: Callable[[dict], bool], what: str
    ) -> Check:
        """How many rows satisfy ``holds(row)``; the failures are listed by line."""
        bad = [r["line_start"] for r in rows if not holds(r)]
        lines = ", ".join(map(str, bad))
        return self._over_rows(
            cid, description, rows, bad, f"{len(bad)} righe non rispettano {what} (righe {lines})"
        )

    def absent(
        self,
        cid: str,
        description: str,
        found: list,
        describe: Callable[[Any], str],
        lines: tuple | None = None,
        why: str = "",
    ) -> Check:
        """Nothing of a kind that must not occur: declared 0, parsed ``len(found)``; a
        failure lists ``describe(item)`` of each item found, then ``why`` (what they mean)."""
        return self.equal(
            cid, description, 0, len(found), lines, "; ".join(describe(x) for x in found) + why
        )

    def sorted(
        self,
        cid: str,
        description: str,
        rows: list[dict],
        key: Callable[[dict], Any],
        strict: bool = True,
    ) -> Check:
        keys = [key(r) for r in rows]
        bad = [
            rows[i]["line_start"]
            for i in range(1, len(rows))
            if (keys[i] <= keys[i - 1] if strict else keys[i] < keys[i - 1])
        ]
        return self._over_rows(
            cid, description, rows, bad, f"fuori ordine o ripetuti alle righe {bad}"
        )

    def _over_rows(self, cid: str, description: str, rows: list[dict], bad: list, note: str):
        """A check over ``rows``: declared all of them, parsed all but the ``bad`` ones (the
        lines of the failures, said in ``note``), over the rows' lines."""
        return self.check(
            cid,
            description,
            len(rows),
            len(rows) - len(bad),
            not bad,
            (rows[0]["line_start"], rows[-1]["line_end"]) if rows else None,
            note,
        )

    def copies(
        self,
        cid: str,
        description: str,
        copy: list,
        reference: list,
        lines: tuple | None = None,
        explanation: str = "",
    ) -> Check:
        """A table printed twice: ``copy`` and ``reference`` (comparable items) are equal."""
        same = sum(1 for a, b in zip(copy, reference) if a == b)
        ok = copy == reference
        return self.check(
            cid,
            description,
            len(reference),
            same if not ok else len(copy),
            ok,
            lines,
            explanation or "le copie della tabella differiscono",
        )

    def unit_amount(
        self,
        cid: str,
        description: str,
        rows: list[dict],
        count: str,
        amount: str,
        rate: Decimal,
        lines: tuple | None = None,
    ) -> Check:
        """Every row: ``amount`` = ``count`` x ``rate``, rounded to the cent."""
        bad = [
            r["line_start"]
            for r in rows
            if (Decimal(r[count] or 0) * rate).quantize(CENT, ROUND_HALF_UP) != r[amount]
        ]
        return self.check(
            cid,
            description,
            len(rows),
            len(rows) - len(bad),
            not bad,
            lines,
            f"righe incoerenti: {bad[:30]}" + (" …" if len(bad) > 30 else ""),
        )

    # -- facts ---------------------------------------------------------------------------
    def fact(
        self,
        label: str,
        value,
        unit: str | None,
        lines: tuple,
        dataset: str | None = None,
        act_id: str = "",
        note: str | None = None,
    ) -> dict | None:
        """A programme-level figure the document declares (None values are not facts)."""
        if value is None:
            return None
        f = {
            "label": label,
            "value": value,
            "unit": unit,
            "source_id": self.doc_id,
            "line_start": lines[0],
            "line_end": lines[-1] if len(lines) > 1 else lines[0],
        }
        if dataset:
            f["dataset"] = dataset
        if act_id:
            f["act_id"] = act_id
        if note:
            f["note"] = note
        self.facts.append(f)
        return f

    # -- the result ------------------------------------------------------------------------
    def finish(self, result: ParseResult) -> ParseResult:
        """Hand everything to ``result``: checks, rejects, facts, and each table's candidate
        lines (its published rows' lines are candidates too)."""
        result.checks += self.checks
        result.rejects += self.rejects
        result.facts += self.facts
        for ds in result.datasets:
            for t in ds.tables:
                if t.name in self.candidates:
                    mine = self.candidates[t.name]
                    rows = (
                        set()
                        if t.name in self.summaries
                        else {
                            n
                            for r in t.rows
                            for n in range(r["line_start"], r["line_end"] + 1)
                            if r.get("source_id") == self.doc_id and self.doc.line(n).strip()
                        }
                    )
                    t.candidates = (t.candidates or set()) | mine | rows
        self.checks, self.rejects, self.facts = [], [], []
        return result


def total(rows: list[dict], column: str) -> Decimal:
    """Sum of a column, empty cells left out."""
    return sum((r[column] for r in rows if r.get(column) is not None), Decimal("0.00"))


def accounting_errors(doc, result: ParseResult) -> list[str]:
    """Tables of ``result`` whose line accounting does not hold (empty when all is well).

    Every candidate line of a table is inside a published row's ``line_start..line_end``
    or rejected for that table, never both; every reject names a published table.
    """
    errors = []
    names = {t.name for ds in result.datasets for t in ds.tables}
    errors += [
        f"{doc.id}:{x.line}: rejected for table {x.table!r}, which is not published: "
        "the line cannot be accounted"
        for x in result.rejects
        if x.table not in names
    ]
    for ds in result.datasets:
        for t in ds.tables:
            where = f"{ds.name}/{t.name}"
            if t.candidates is None:
                errors.append(
                    f"{where}: no candidate lines recorded (the extraction must say "
                    "which input lines the table is read from)"
                )
                continue
            covered = {
                n
                for r in t.rows
                if r.get("source_id") == doc.id
                for n in range(r["line_start"], r["line_end"] + 1)
            }
            rejected = {x.line for x in result.rejects if x.table == t.name}
            whole = {x.line for x in result.rejects if x.table == t.name and not x.part}
            lost = sorted(t.candidates - covered - rejected)
            both = sorted((covered & whole) & t.candidates)
            if lost:
                errors.append(
                    f"{where}: {len(lost)} candidate lines neither published nor "
                    f"rejected: {lost[:10]}"
                )
            if both:
                errors.append(f"{where}: lines both published and rejected: {both[:10]}")
    return errors
