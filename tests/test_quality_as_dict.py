"""quality.as_dict: the dict dataclasses.asdict makes, faster for flat records (the quality
page lists every check, rejected line and name resolution: 200,000 at 100 bulletins)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

import pytest

from generator.quality import Check, ResolutionRecord, as_dict


@dataclass
class _Inner:
    a: int
    b: list = field(default_factory=list)


@dataclass
class _Outer:
    name: str
    inner: _Inner | None = None
    values: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    amount: Decimal | None = None
    pair: tuple = ()


CASES = [
    ResolutionRecord("doc", 12, "Agrà", "exact", "012001", "Agra", "exact", 100.0, "", ["a"]),
    ResolutionRecord("doc", None, "X", "unresolved", None, None, None, None),
    _Outer("flat", None, [1, "2", None, 3.5, True]),
    _Outer("nested", _Inner(1, [2, 3])),
    _Outer("list of records", values=[_Inner(1), _Inner(2, [4])]),
    _Outer("dict", extra={"k": [1, 2], "r": _Inner(5)}),
    _Outer("decimal", amount=Decimal("1.50")),
    _Outer("tuple", pair=(1, [2])),
    _Outer("list of lists", values=[[1, 2], [3]]),
]


@pytest.mark.parametrize("obj", CASES, ids=lambda o: getattr(o, "name", type(o).__name__))
def test_the_same_dict_as_asdict(obj):
    got, want = as_dict(obj), asdict(obj)
    assert got == want
    assert list(got) == list(want)  # the same key order (JSON files keep it)
    assert [type(v) for v in got.values()] == [type(v) for v in want.values()]


def test_lists_are_copies_as_asdict_makes():
    r = ResolutionRecord("doc", 1, "q", "fuzzy", "001001", "Agliè", "fuzzy", 91.0, "", ["x"])
    d = as_dict(r)
    d["candidates"].append("y")
    assert r.candidates == ["x"]


@pytest.mark.parametrize(
    "declared", [12, "12", Decimal("1234.50"), [1, 2], {"BG": 3}, None], ids=repr
)
def test_checks_whatever_they_declare(declared):
    c = Check("group-count:BG:3", "gruppi", declared, declared, True, "doc", 10, 12)
    assert as_dict(c) == asdict(c)
    assert list(as_dict(c)) == list(asdict(c))
