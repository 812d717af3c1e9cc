"""Blocks under headings, and the province of a block whose heading is missing.

Lists of comuni are printed province by province under a heading (``BERGAMO``,
``PROVINCIA DI CREMONA``, ``## PROVINCIA DI X``). Headings come in several markup styles
(:func:`heading_text`) and are sometimes missing: the province of such a block is then
inferred from evidence and the inference is reported, never silently assumed. The
evidence the toolkit offers, for a parser to weigh:

* :func:`province_votes` -- the provinces of the block's names that resolve exactly
  (no fuzzy match), counted;
* :func:`between` -- the provinces an ordering (the document's index, alphabetical order)
  allows between the block's neighbours.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Iterable

from ..registry import normalise

_MARKUP = re.compile(r"^(#+)\s*|^\*\*|\*\*$|</?b>", re.I)


def heading_text(cell: str) -> tuple[str, str]:
    """``'## PROVINCIA DI X'`` -> ``('PROVINCIA DI X', 'markdown-h2')``; the markup is one
    of ``markdown-hN``, ``bold`` (``**X**``), ``html-bold`` (``<b>X</b>``), ``plain``."""
    s = cell.strip()
    markup = "plain"
    if s.startswith("#"):
        markup = f"markdown-h{len(s) - len(s.lstrip('#'))}"
    elif s.startswith("**"):
        markup = "bold"
    elif s.lower().startswith("<b>"):
        markup = "html-bold"
    s = _MARKUP.sub("", s).strip()
    return _MARKUP.sub("", s).strip(), markup


def unclosed_markup(cell: str) -> bool:
    """A heading whose bold markup opens and does not close (``**X``, ``<b>X``)."""
    s = cell.strip()
    return (s.startswith("**") and not s.endswith("**")) or (
        s.lower().startswith("<b>") and "</b>" not in s.lower()
    )


def province_of_heading(text: str, registry, uppercase_only: bool = True) -> str | None:
    """``'BERGAMO'`` -> ``'BG'``; ``'MONZA BRIANZA'`` -> ``'MB'`` (all its words in one
    province name); ``'PROVINCIA DI CREMONA'`` -> ``'CR'``; ``"Citta' metropolitana di
    Catania:"`` -> ``'CT'``. None for any other line."""
    t, _ = heading_text(text)
    if not t or "\t" in t or (uppercase_only and not t.isupper()):
        return None
    t = re.sub(
        r"^(?:provincia|citt[aà]'?\s+metropolitana)\s+(?:di\s+|del(?:la|l')?\s*)", "", t, flags=re.I
    ).strip(" .:")
    sigla = registry.province_sigla(t)
    if sigla:
        return sigla
    words = set(normalise(t).split())
    if not words:
        return None
    hits = [s for s, p in registry.provinces.items() if words <= set(normalise(p["name"]).split())]
    return hits[0] if len(hits) == 1 else None


def province_votes(
    names: Iterable[str],
    registry,
    to_key: Callable[[str], Iterable[str]] | None = None,
    province=None,
) -> tuple[Counter, int]:
    """Votes per province of the names that resolve exactly, and how many resolved.

    ``to_key`` maps a comune's province sigla today to the keys voted for (e.g. the
    historical provinces it belonged to); by default the sigla itself. ``province``: the
    provinces the names are looked up in (a sigla or several; default all of Italy).
    """
    votes: Counter = Counter()
    resolved = 0
    for name in names:
        r = registry.resolve(name, province=province, fuzzy=False)
        if r.ok:
            resolved += 1
            sigla = registry.get(r.istat).province_sigla
            for k in to_key(sigla) if to_key else [sigla]:
                votes[k] += 1
    return votes, resolved


def between(order: list[str], before: str | None, after: str | None) -> list[str]:
    """The items of ``order`` strictly between ``before`` and ``after`` (None: the ends)."""
    pos = {n: i for i, n in enumerate(order)}
    lo = pos.get(before, -1) if before else -1
    hi = pos.get(after, len(order)) if after else len(order)
    return order[lo + 1 : hi]
