"""Comparisons of a comune: rank in its province and region, medians of its province, of its
region and of the comuni of its population class, and the small chart that shows them.

Only the comuni of today's registry are compared (a historical comune has no population
today, nor a place in today's provinces). Population classes are ISTAT's usual ones, by
residents on 1 January 2023 (the registry's population). Every number here is computed
from the published rows: :mod:`generator.views` says which value of which table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable

from . import charts, formatting

# upper bounds (inclusive) of the population classes; the last class is open
BANDS = (1_000, 5_000, 10_000, 20_000, 50_000, 100_000, 250_000)
MIN_PEERS = 3  # a median of fewer comuni is not shown


def band(population: int | None) -> int | None:
    """Index of the population class of ``population`` (None without a population)."""
    if population is None:
        return None
    for i, top in enumerate(BANDS):
        if population <= top:
            return i
    return len(BANDS)


def band_label(i: int) -> str:
    """``'da 20.001 a 50.000 abitanti'``, ``'fino a 1.000 abitanti'``, ``'oltre 250.000
    abitanti'``."""
    if i == 0:
        return f"fino a {formatting.num(BANDS[0])} abitanti"
    if i >= len(BANDS):
        return f"oltre {formatting.num(BANDS[-1])} abitanti"
    return f"da {formatting.num(BANDS[i - 1] + 1)} a {formatting.num(BANDS[i])} abitanti"


def median(values: list) -> Decimal | None:
    s = sorted(values)
    if not s:
        return None
    mid = len(s) // 2
    return Decimal(s[mid]) if len(s) % 2 else (Decimal(s[mid - 1]) + Decimal(s[mid])) / 2


@dataclass
class Stats:
    """One measure (a number per comune) compared within provinces, regions and
    population classes. ``values``: ISTAT code -> value, current comuni only."""

    values: dict[str, Decimal]
    rank_province: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    rank_region: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    median_province: dict[str, tuple[Decimal, int]] = field(default_factory=dict)
    median_region: dict[str, tuple[Decimal, int]] = field(default_factory=dict)
    median_band: dict[int, tuple[Decimal, int]] = field(default_factory=dict)
    ranking_province: dict[str, list[str]] = field(default_factory=dict)  # sigla -> codes

    @classmethod
    def of(cls, values: dict[str, Decimal], registry) -> "Stats":
        st = cls(values)
        by_prov: dict[str, list[str]] = defaultdict(list)
        by_reg: dict[str, list[str]] = defaultdict(list)
        by_band: dict[int, list[Decimal]] = defaultdict(list)
        for istat, v in values.items():
            c = registry.current[istat]
            by_prov[c.province_sigla].append(istat)
            by_reg[c.region].append(istat)
            b = band(c.population)
            if b is not None:
                by_band[b].append(v)
        for groups, ranks, medians in (
            (by_prov, st.rank_province, st.median_province),
            (by_reg, st.rank_region, st.median_region),
        ):
            for key, codes in groups.items():
                order = _order(codes, values)
                ranks.update(_ranks_of(order, values))
                medians[key] = (median([values[c] for c in codes]), len(codes))
                if groups is by_prov:
                    st.ranking_province[key] = order
        st.median_band = {b: (median(vs), len(vs)) for b, vs in by_band.items()}
        return st


def _order(codes: list[str], values: dict[str, Decimal]) -> list[str]:
    """``codes`` by value, highest first, equal values by code: what the key ``(-value,
    code)`` gives, without a negated Decimal per comparison (a stable sort by code, then
    one by value, reversed: Python's reverse sort keeps equal items in their order)."""
    return sorted(sorted(codes), key=values.__getitem__, reverse=True)


def _ranks(codes: list[str], values: dict[str, Decimal]) -> dict[str, tuple[int, int, int]]:
    """``{code: (rank, out of, tied with)}``, highest value first; equal values share the
    rank (1, 2, 2, 4) and ``tied with`` counts the others with the same value."""
    return _ranks_of(_order(codes, values), values)


def _ranks_of(order: list[str], values: dict[str, Decimal]) -> dict[str, tuple[int, int, int]]:
    """:func:`_ranks` of codes already in :func:`_order`."""
    out: dict[str, tuple[int, int, int]] = {}
    n = len(order)
    i = 0
    while i < n:
        j = i
        while j + 1 < n and values[order[j + 1]] == values[order[i]]:
            j += 1
        for c in order[i : j + 1]:
            out[c] = (i + 1, n, j - i)
        i = j + 1
    return out


def ordinal(rank: tuple[int, int, int], where: str) -> str:
    """``'16º su 50 comuni della provincia'``, with ``'a pari merito con altri 3'``."""
    i, n, tied = rank
    s = f"{formatting.num(i)}º su {formatting.num(n)}" + (f" {where}" if where else "")
    if tied:
        s += f" (a pari merito con {'un altro' if tied == 1 else 'altri ' + formatting.num(tied)})"
    return s


def chart_height(n: int) -> int:
    """Height of :func:`chart` with ``n`` bars (charts.bar_chart's layout)."""
    return 8 + max(1, n) * 22 + 24


def chart(items: list[tuple[str, Decimal | None]], title: str, fmt: Callable, desc: str) -> str:
    """Standalone SVG: the comune's bar first, then the medians it is compared with."""
    return charts.standalone(
        charts.bar_chart(
            [(k, None if v is None else float(v)) for k, v in items],
            title,
            unit_fmt=fmt,
            desc=desc,
            width=560,
        )
    )
