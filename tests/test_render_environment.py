"""The render environment reads ``x.name`` on a dict as an item first (a speed-up,
render._Environment): every lookup must give what Jinja's own environment gives. Its
templates print through render._escape (another speed-up): the Markup markupsafe.escape
gives, for every kind of value."""

from __future__ import annotations

import markupsafe
import pytest
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

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


def _compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from here on."""
    seen: list[str] = []
    compile_ = Environment.compile

    def spy(self, source, name=None, filename=None, raw=False, defer_init=False):
        seen.append(name)
        return compile_(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(Environment, "compile", spy)
    return seen


def test_compiled_templates_are_kept_between_builds(tmp_path, monkeypatch):
    """render.TemplateCache: a worker of the next build (a new environment) loads the
    compiled template instead of compiling it, and renders the same bytes."""
    cache = render.TemplateCache(tmp_path, "code-a")
    monkeypatch.setattr(render, "_template_cache", cache)
    seen = _compiles(monkeypatch)
    first = render.environment().get_template("sitemap.xml").render(urls=["/a/"], data={})
    assert "sitemap.xml" in seen and any(cache.dir.iterdir())
    seen.clear()
    again = render.environment().get_template("sitemap.xml").render(urls=["/a/"], data={})
    assert seen == [] and again == first


def test_a_corrupt_or_stale_compiled_template_is_compiled_again(tmp_path, monkeypatch):
    cache = render.TemplateCache(tmp_path, "code-a")
    monkeypatch.setattr(render, "_template_cache", cache)
    seen = _compiles(monkeypatch)
    first = render.environment().get_template("sitemap.xml").render(urls=["/a/"], data={})
    (entry,) = list(cache.dir.iterdir())
    raw = entry.read_bytes()
    entry.write_bytes(raw[:-40] + bytes(40))  # a changed entry: its sha256 no longer holds
    seen.clear()
    again = render.environment().get_template("sitemap.xml").render(urls=["/a/"], data={})
    assert seen == ["sitemap.xml"] and again == first
    assert entry.read_bytes() == raw  # written again, whole
    # the template's source changed (Jinja's own checksum): compiled again
    templates = tmp_path / "source"
    templates.mkdir()
    (templates / "t.html").write_text("uno")
    monkeypatch.setattr(render.paths, "TEMPLATES", templates)
    assert render.environment().get_template("t.html").render() == "uno"
    (templates / "t.html").write_text("due")
    seen.clear()
    assert render.environment().get_template("t.html").render() == "due"
    assert seen == ["t.html"]


def test_templates_of_other_code_are_never_used_and_are_removed(tmp_path, monkeypatch):
    old, new = render.TemplateCache(tmp_path, "code-a"), render.TemplateCache(tmp_path, "code-b")
    assert old.dir != new.dir and old.dir.parent == new.dir.parent
    monkeypatch.setattr(render, "_template_cache", old)
    render.environment().get_template("sitemap.xml")
    monkeypatch.setattr(render, "_template_cache", new)
    seen = _compiles(monkeypatch)
    render.environment().get_template("sitemap.xml")
    assert seen == ["sitemap.xml"]
    new.prune()
    assert [d.name for d in new.base.iterdir()] == [new.dir.name]


# -- printing: render._escape in place of markupsafe.escape ----------------------------------
class _Html:
    def __html__(self):
        return "<b>safe</b>"


class _Text(str):
    pass


VALUES = [
    "plain",
    "<a href=\"x\">'&'</a>",
    "",
    "è € \u2028",
    12,
    -3,
    0,
    True,
    None,
    1.5,
    Markup("<i>ok</i>"),
    _Html(),
    _Text("<sub>"),
    ["<x>"],
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__ + ":" + repr(v)[:12])
def test_escape_is_markupsafes(value):
    ours = render._escape(value)
    assert type(ours) is Markup
    assert str(ours) == str(markupsafe.escape(value))


SOURCE = "{{ a }}|{{ b }}|{{ c }}|{{ d }}{% if true %}{{ e }}{% endif %}"


def test_templates_print_through_the_fast_escape():
    env = render.environment()
    t = env.from_string(SOURCE)
    assert t.root_render_func.__globals__["escape"] is render._escape
    values = {"a": "<&>", "b": 7, "c": Markup("<br>"), "d": _Html(), "e": None}
    theirs = Environment(autoescape=True).from_string(SOURCE)
    assert t.render(**values) == theirs.render(**values) == "&lt;&amp;&gt;|7|<br>|<b>safe</b>None"
