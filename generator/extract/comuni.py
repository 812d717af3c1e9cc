"""The comuni named by a list, resolved to ISTAT codes, keeping only what the list allows.

A list of comuni by province says more than each name alone: the province (or provinces)
it puts a comune in, and that each comune is listed once. :func:`resolve_list` resolves
every name with ``ctx.resolve`` (the list's provinces as the hint; every resolution is
logged for the data-quality page), then drops the matches the list itself contradicts:

* a match outside the provinces of its list: the registry resolves a name unique in Italy
  even in another province, but the list puts it in this one (a misprint of a local name);
* a fuzzy match to a comune that another row of the same list names exactly: each comune
  is listed once, so the fuzzy one is another comune misprinted;
* any code given to two rows: one of them is misprinted and nothing says which, so
  neither keeps the code (they are returned, for a uniqueness check).

A dropped match stays in the resolution log as unresolved, with the reason and the code
it was dropped from as candidate.

Before resolving, :func:`split_and` tells a list's ``" e "`` (``"Covo e Mapello"``) from
the ``e`` inside a name (``"Santa Cristina e Bissone"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Hashable

from ..registry import Resolution


@dataclass
class Named:
    """One row naming a comune."""

    name: str  # the name to resolve
    line: int
    block: Hashable = None  # the list (province) the row belongs to
    provinces: tuple[str, ...] | None = None  # the provinces the list allows (None: any)
    label: str = ""  # how a reason names the row: "12 Camino"


def resolve_list(ctx, rows: list[Named]) -> tuple[list[Resolution], dict[str, list[int]]]:
    """Resolutions of ``rows`` (in their order) after the drops of the module docstring,
    and ``{istat: [row index, ...]}`` of the codes that two or more rows named."""
    out: list[Resolution] = []
    logged: list[int] = []

    def drop(i: int, why: str) -> None:
        res = out[i]
        rec = ctx.resolutions[logged[i]]
        rec.status, rec.istat, rec.name, rec.method, rec.note = (
            "unresolved",
            None,
            None,
            None,
            why,
        )
        rec.candidates = [res.istat]
        out[i] = Resolution(
            res.query, "unresolved", score=res.score, candidates=[res.istat], note=why
        )

    for i, row in enumerate(rows):
        out.append(ctx.resolve(row.name, row.line, province=row.provinces))
        logged.append(len(ctx.resolutions) - 1)
        c = ctx.registry.get(out[i].istat) if out[i].ok and row.provinces else None
        if c is not None and c.province_sigla not in row.provinces:
            drop(
                i,
                f"scartato: {out[i].name} ({c.province_sigla}) è fuori dalla provincia "
                f"dell'elenco ({'/'.join(row.provinces)})",
            )
    blocks: dict[Any, list[int]] = {}
    for i, row in enumerate(rows):
        blocks.setdefault(row.block, []).append(i)
    for members in blocks.values():
        certain: dict[str, int] = {}
        for i in members:
            if out[i].ok and out[i].method != "fuzzy":
                certain.setdefault(out[i].istat, i)
        for i in members:
            if out[i].ok and out[i].method == "fuzzy" and out[i].istat in certain:
                other = rows[certain[out[i].istat]]
                drop(
                    i,
                    f"scartato: {out[i].name} ha già la sua riga ({other.label}, "
                    f"riga {other.line})",
                )
    codes: dict[str, list[int]] = {}
    for i, res in enumerate(out):
        if res.ok:
            codes.setdefault(res.istat, []).append(i)
    duplicates = {k: v for k, v in codes.items() if len(v) > 1}
    for members in duplicates.values():
        for i in members:
            others = ", ".join(f"riga {rows[j].line}" for j in members if j != i)
            drop(
                i,
                f"scartato: {out[i].name} è nominato anche alla {others}; non si sa quale "
                "riga sia giusta",
            )
    return out, duplicates


def split_and(name: str, is_comune: Callable[[str], bool]) -> list[str]:
    """``"Covo e Mapello"`` -> ``["Covo", "Mapello"]``; ``"Santa Cristina e Bissone"`` and
    ``"Bardello con Malgesso e Bregano"`` stay one comune. ``" e "`` separates names only
    when the whole is not a comune and every part is (``is_comune(name)`` says)."""
    if is_comune(name):
        return [name]
    parts = re.split(r"\s+e\s+", name, flags=re.I)
    for cut in range(1, len(parts)):
        left = " e ".join(parts[:cut])
        if is_comune(left):
            right = split_and(" e ".join(parts[cut:]), is_comune)
            if all(is_comune(r) for r in right):
                return [left] + right
    return [name]
