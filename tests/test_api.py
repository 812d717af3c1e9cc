"""The JSON API: every comune and programme twin of the built site conforms to its published
JSON Schema, and /dati/api/ documents the URLs, every field and the changelog."""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from generator import api


def _validator(name: str):
    schema = api.schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def site(built_site):
    return built_site[0]


@pytest.mark.parametrize(
    "name,pattern", [("comune", "comuni/*/index.json"), ("programma", "programmi/*/index.json")]
)
def test_every_twin_conforms_to_its_schema(site, name, pattern):
    v = _validator(name)
    twins = sorted(site.glob(pattern))
    assert len(twins) >= (8028 if name == "comune" else 8)
    bad = []
    for f in twins:
        doc = json.loads(f.read_text(encoding="utf-8"))
        errors = sorted(v.iter_errors(doc), key=lambda e: e.json_path)
        if errors:
            bad.append(f"{f.relative_to(site)}: {errors[0].json_path}: {errors[0].message[:200]}")
    assert bad == [], "\n".join(bad[:10])


@pytest.mark.parametrize("change", ["extra-field", "wrong-type", "missing-field", "bad-code"])
def test_the_schema_notices_a_change_of_shape(site, change):
    """Closed objects: a twin that gains, loses or retypes a field no longer validates, so
    the shape cannot change without the schema (and the changelog) changing too."""
    doc = json.loads((site / "comuni/016024/index.json").read_text(encoding="utf-8"))
    doc = copy.deepcopy(doc)
    fact = doc["programmes"][0]["facts"][0]
    if change == "extra-field":
        fact["source"]["page"] = 3
    elif change == "wrong-type":
        doc["population"] = str(doc["population"])
    elif change == "missing-field":
        del doc["urls"]["csv"]
    else:
        doc["istat"] = "16024"
    assert list(_validator("comune").iter_errors(doc))


def test_twins_name_their_schema_and_the_schema_is_published(site):
    for name, (pattern, example, _) in api.ENDPOINTS.items():
        doc = json.loads((site / example.lstrip("/")).read_text(encoding="utf-8"))
        assert doc["$schema"] == api.schema_url(name)
        published = site / api.schema_path(name).lstrip("/")
        assert json.loads(published.read_text(encoding="utf-8")) == api.schema(name)
        assert api.schema_url(name).endswith(api.schema_path(name))


def test_api_page_documents_urls_fields_and_changelog(site):
    html = (site / "dati/api/index.html").read_text(encoding="utf-8")
    log = api.changelog()
    assert log["version"] and log["changes"] and log["changes"][0]["version"] == log["version"]
    assert f"/dati/api/{api.MAJOR}/" in html
    for name, (pattern, example, _) in api.ENDPOINTS.items():
        assert f"<code>{pattern}</code>" in html and f'href="{example}"' in html
        assert f'href="{api.schema_path(name)}"' in html
        paths = [f["path"] for f in api.fields(name)]
        assert set(api.schema(name)["required"]) <= set(paths)
        for p in paths:  # every field, nested ones included
            assert f"<code>{p}</code>" in html, p
        assert all(
            f["description"]
            for f in api.fields(name)
            if "." not in f["path"] and "[]" not in f["path"]
        ), name
    assert "programmes[].facts[].source.line_start" in [f["path"] for f in api.fields("comune")]
    assert 'href="/dati/api/"' in (site / "dati/index.html").read_text(encoding="utf-8")
