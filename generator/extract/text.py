"""Lines and prose: wrapped labels re-joined, page furniture recognised, and figures the
text declares in prose ("pari complessivamente a € 40.000.464,00") found with the line
they are printed on.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .cells import NBSP, text as clean

__all__ = [
    "clean",
    "join_wrapped",
    "Prose",
    "Declared",
    "is_page_header",
    "is_blank",
    "strip_leaders",
]

_LEADERS = re.compile(r"(?:\s*\.){3,}\s*$")


def is_blank(line: str) -> bool:
    return not line.replace(NBSP, " ").strip()


def strip_leaders(cell: str) -> str:
    """A name printed with dot leaders, as in indexes and lists: ``'Agrigento . . . . .'``
    -> ``'Agrigento'``."""
    return _LEADERS.sub("", cell).strip()


def join_wrapped(
    parts: list[str], *, capitals: bool = True, digits: bool = False, spaced_letters: bool = True
) -> str:
    """Join the lines of a wrapped cell or title into one string.

    A word broken at the end of a line with a hyphen is closed up: ``AMBITO TER-`` +
    ``RITORIALE`` -> ``AMBITO TERRITORIALE``; ``pro-`` + ``gramma`` -> ``programma``
    (with ``capitals=False`` only before a lowercase letter, as titles need: ``XI-`` +
    ``Lombardia`` stays apart); with ``digits``, ``2016-`` + ``2018`` -> ``2016-2018``.
    With ``spaced_letters``, letter-spaced words (``C O M P R E N S O R I O``) are closed up.
    Other lines are joined with one space.
    """
    out = ""
    for p in (clean(x) for x in parts):
        if not p:
            continue
        if (
            out.endswith("-")
            and len(out) > 1
            and out[-2].isalpha()
            and (p[0].isalpha() if capitals else p[0].islower())
        ):
            out = out[:-1] + p
        elif digits and out.endswith("-") and len(out) > 1 and out[-2].isdigit() and p[0].isdigit():
            out += p
        else:
            out = f"{out} {p}" if out else p
    if spaced_letters:
        out = re.sub(r"\b(?:[A-Z] ){2,}[A-Z]\b", lambda m: m.group(0).replace(" ", ""), out)
    return out


# -- page furniture ---------------------------------------------------------------------
# Running headers and footers of the Italian official bulletins, in any combination on one
# line: "Bollettino Ufficiale", "Serie Ordinaria n. 47 - Giovedì 22 novembre 2018",
# "– 49 –", "GAZZETTA UFFICIALE DELLA REPUBBLICA ITALIANA", "Serie generale - n. 80",
# "Pag. 3 di 8".
_PAGE_PIECES = re.compile(
    r"Bollettino Ufficiale|Serie (?:Ordinaria|Avvisi e Concorsi) n\.\s*\d+\s*-\s*\w+\s+\d{1,2}"
    r"\s+[a-z]+\s+\d{4}|[–-]\s*\d{1,4}\s*[–-]|GAZZETTA UFFICIALE DELLA REPUBBLICA ITALIANA"
    r"|Serie generale\s*-\s*n\.\s*\d+|Pag\.\s*\d+\s*di\s*\d+"
)


def is_page_header(line: str) -> bool:
    """True for a line made only of running page headers or footers (page numbers)."""
    s = clean(line)
    return bool(s) and not _PAGE_PIECES.sub("", s).strip()


# -- figures declared in prose ------------------------------------------------------------
@dataclass
class Declared:
    """A figure found in the text: the match and the line where it is printed."""

    match: re.Match
    line: int
    line_end: int

    def group(self, *args):
        return self.match.group(*args)


# a word hyphenated at the end of the text so far, and a line that goes on with it
_HYPHEN_END = re.compile(r"[a-zà-ÿ]-$")
_LOWER = re.compile(r"[a-zà-ÿ]")


def _tail(parts: list[str], size: int = 3) -> str:
    """The last ``size`` characters of ``"".join(parts)`` (what ``_HYPHEN_END`` can
    match: a letter, the hyphen, and the newline ``$`` may stand before)."""
    out = ""
    for p in reversed(parts):
        out = p + out
        if len(out) >= size:
            break
    return out[-size:]


def _drop_last(parts: list[str]) -> None:
    """Drop the last character of ``"".join(parts)`` (in the last piece that has one)."""
    for i in range(len(parts) - 1, -1, -1):
        if parts[i]:
            parts[i] = parts[i][:-1]
            return


class Prose:
    """Lines ``start..end`` of a document as one string, with every match mapped back to
    the line it starts on.

    ``joiner=" "`` (default) reads running text: lines are cleaned and a word hyphenated
    across a line end is re-joined, so a pattern can span lines. ``joiner="\\n"`` keeps the
    lines as printed (slides, where a line break separates a figure from its label).
    """

    def __init__(self, lines: list[str], start: int = 1, end: int | None = None, joiner: str = " "):
        end = len(lines) if end is None else min(end, len(lines))
        self.start = start
        # the text is built as a list of pieces, and a hyphen looked for in its last
        # characters only: appending to a string and searching all of it for each line was
        # quadratic (41 % of the parse of a bulletin of 8,600 lines, read 16 times)
        parts: list[str] = []
        length = 0
        marks: list[tuple[int, int]] = []
        for n in range(start, end + 1):
            raw = lines[n - 1]
            t = clean(raw) if joiner == " " else raw
            if joiner == " " and not t:
                continue
            if marks:
                if joiner == " " and _HYPHEN_END.search(_tail(parts)) and _LOWER.match(t):
                    _drop_last(parts)
                    length -= 1
                else:
                    parts.append(joiner)
                    length += len(joiner)
            marks.append((length, n))
            parts.append(t)
            length += len(t)
        self.text = "".join(parts)
        self._marks = marks
        self._offsets = [off for off, _ in marks]

    def line_of(self, pos: int) -> int:
        """The line on which the character at ``pos`` of :attr:`text` is printed."""
        i = bisect.bisect_right(self._offsets, pos)
        return self._marks[i - 1][1] if i else self.start

    def find_all(self, pattern: str, flags: int = 0) -> list[Declared]:
        return [
            Declared(m, self.line_of(m.start()), self.line_of(max(m.start(), m.end() - 1)))
            for m in re.finditer(pattern, self.text, flags)
        ]

    def find(self, pattern: str, flags: int = 0, last: bool = False) -> Declared | None:
        """The first (or ``last``) match of ``pattern``, or None."""
        found = self.find_all(pattern, flags)
        return (found[-1] if last else found[0]) if found else None


_OPERATIVE = re.compile(r"^\s*(DECRETA|DELIBERA|DETERMINA|ORDINA)\s*$")


def operative_start(lines: list[str], start: int, end: int) -> int:
    """First line of an act's operative part (``DECRETA``, ``DELIBERA`` ...), else ``start``."""
    return next((n for n in range(start, end + 1) if _OPERATIVE.match(lines[n - 1])), start)
