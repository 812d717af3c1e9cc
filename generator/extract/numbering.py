"""Order numbers printed beside the rows of a list (``1.``, ``2.``, ... ``N.``): read and
audited.

A numbered list proves its own completeness: within a block the numbers run 1..N in the
order of the rows (often the alphabetical order of the names), so a gap is a lost row, a
repeat a misprint or a row read twice, and a number lower than the previous one either a
new block whose heading is missing or a misprint. The toolkit offers:

* :func:`read_number` -- a number that lost its leading digit(s) in print (``01.`` after
  ``100.``) is read from its predecessor;
* :func:`restarts` -- a row opens a new block when both its number and its name go back
  (a misprinted number alone does not);
* :func:`audit` -- the gaps, repeats and out-of-order numbers of a block, for the
  ``sequence`` check and for publication;
* :func:`alpha_key` -- the sort key of names in Italian lists.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ..registry import normalise
from .recorder import ranges


def alpha_key(name: str) -> str:
    """Sort key of a list of names: case, accents, spaces and apostrophes ignored."""
    return normalise(name).replace(" ", "")


def read_number(printed: str, previous: int) -> int:
    """The order number of a cell (``'57.'``), given the previous row's number in the block.

    A printed number lower than the previous one, whose digits are the trailing digits of
    previous + 1, has lost its leading digit(s) (``01.`` and ``10.`` after 100 and 109):
    the number is previous + 1. The caller rules out a restart first (:func:`restarts`)
    and reports every such reading (the number as printed differs from the one read).
    Any other cell reads as printed.
    """
    digits = printed.strip().rstrip(".")
    value = int(digits)
    if value < previous and str(previous + 1).endswith(digits):
        return previous + 1
    return value


def restarts(number: int, name: str, previous_number: int, previous_name: str) -> bool:
    """A row opens a new block: a lower number *and* an alphabetically earlier name."""
    return number < previous_number and alpha_key(name) < alpha_key(previous_name)


@dataclass
class Audit:
    """What the numbers of one block say (the list prints no totals: the highest number is
    the count it declares)."""

    numbers: list[int]
    top: int  # the highest number: the count the numbering declares
    missing: list[int]  # 1..top not printed
    repeated: list[int]  # printed more than once
    disorder: list[Any]  # items whose number is not above the previous item's

    @property
    def ok(self) -> bool:
        return not (self.missing or self.repeated or self.disorder)

    def explain(self, describe: Callable[[Any], str]) -> str:
        """``'mancano i numeri 1-54; numeri ripetuti 39; fuori sequenza: ...'`` ('' if ok);
        ``describe(item)`` names an out-of-order item (the first ten are listed)."""
        parts = [
            f"mancano i numeri {ranges(self.missing)}" if self.missing else "",
            f"numeri ripetuti {' '.join(map(str, self.repeated))}" if self.repeated else "",
            "fuori sequenza: " + ", ".join(describe(x) for x in self.disorder[:10])
            if self.disorder
            else "",
        ]
        return "; ".join(p for p in parts if p)


def audit(items: Iterable[Any], number: Callable[[Any], int] = lambda x: x) -> Audit:
    """Audit the numbering of a block's items, in reading order."""
    items = list(items)
    numbers = [number(x) for x in items]
    seen = Counter(numbers)
    top = max(numbers, default=0)
    return Audit(
        numbers,
        top,
        [k for k in range(1, top + 1) if k not in seen],
        sorted(k for k, c in seen.items() if c > 1),
        [b for a, b in zip(items, items[1:]) if number(b) <= number(a)],
    )
