"""Every Atom feed of the built site, read by feedparser as a feed reader would."""

from __future__ import annotations

import re

import feedparser
import pytest

from generator.formatting import atom_date

RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def _updated(xml: str) -> list[str]:
    return re.findall(r"<updated>([^<]*)</updated>", xml)


@pytest.fixture(scope="module")
def feeds(built_site):
    site, _ = built_site
    found = sorted(site.rglob("feed.xml"))
    assert len(found) > 7899, len(found)  # site, programmes, every comune
    return site, found


def test_every_feed_parses_cleanly(feeds):
    """feedparser reports no error (``bozo``) and finds a date in every ``<updated>``."""
    site, found = feeds
    bad = []
    for f in found:
        xml = f.read_bytes()
        d = feedparser.parse(xml)
        rel = str(f.relative_to(site))
        if d.bozo:
            bad.append(f"{rel}: {d.bozo_exception}")
            continue
        if d.version != "atom10" or not d.feed.get("updated_parsed") or not d.feed.get("title"):
            bad.append(f"{rel}: feed without version, title or date")
        for e in d.entries:
            if not (e.get("updated_parsed") and e.get("id") and e.get("link") and e.get("title")):
                bad.append(f"{rel}: entry {e.get('id')!r} without date, id, link or title")
        dates = _updated(xml.decode("utf-8"))
        wrong = [x for x in dates if not RFC3339.fullmatch(x)]
        if wrong:
            bad.append(f"{rel}: not RFC 3339: {wrong[:3]}")
    assert bad == [], "\n".join(bad[:20])


def test_site_feed_dates_are_the_documents_and_packages_dates(feeds):
    site, _ = feeds
    d = feedparser.parse((site / "feed.xml").read_bytes())
    data = [e for e in d.entries if e.title.startswith("Dati: ")]
    assert len(data) >= 10
    for e in data:  # was 2025-11-01T00:00:00ZT00:00:00Z
        assert RFC3339.fullmatch(e.updated) and e.updated.endswith("T00:00:00Z"), e.updated


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2025-11-01", "2025-11-01T00:00:00Z"),
        ("2025-11-01T00:00:00Z", "2025-11-01T00:00:00Z"),
        ("1983-10-24", "1983-10-24T00:00:00Z"),
    ],
)
def test_atom_date(value, expected):
    assert atom_date(value) == expected


@pytest.mark.parametrize("value", ["", "None", "2025-13-01", "ieri"])
def test_atom_date_rejects_what_is_not_a_date(value):
    with pytest.raises(ValueError):
        atom_date(value)
