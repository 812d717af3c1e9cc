"""The render environment reads ``x.name`` on a dict as an item first (a speed-up,
render._Environment): every lookup must give what Jinja's own environment gives."""

from __future__ import annotations

import pytest
from jinja2 import Environment, StrictUndefined

from generator import render

CASES = [
    "{{ d.a }}",
    "{{ d.items is defined }}",  # a key named like a dict method: the method, as in Jinja
    "{{ d.items()|list|length }}",
    "{{ d.get('a') }}",
    "{{ d.missing is defined }}",
    "{{ d.nested.b }}",
    "{{ o.real }}",  # not a dict: the attribute
    "{{ n.x is defined }}",  # a dict subclass goes the usual way
    "{% for k, v in d|dictsort %}{{ k }}={{ v }};{% endfor %}",
]


class _Sub(dict):
    x = "attr"


@pytest.mark.parametrize("src", CASES)
def test_lookups_are_jinjas(src):
    values = {"d": {"a": 1, "items": 5, "nested": {"b": 2}}, "o": 3, "n": _Sub(x="item")}
    ours = render.environment()
    theirs = Environment(autoescape=True)
    assert ours.from_string(src).render(**values) == theirs.from_string(src).render(**values)


def test_a_missing_key_is_undefined_as_in_jinja():
    env = render.environment()
    env.undefined = StrictUndefined
    with pytest.raises(Exception) as e:
        env.from_string("{{ d.missing }}").render(d={"a": 1})
    assert "missing" in str(e.value)
