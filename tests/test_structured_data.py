"""schema.org on every page kind, read with extruct as a metadata search engine would."""

from __future__ import annotations

import json

import extruct
import pytest

from generator import registry

SITE_URL = "https://comuni-aperti.netlify.app"


def _objects(site, rel: str) -> list[dict]:
    """The page's JSON-LD objects (``@graph`` flattened), as extruct finds them."""
    html = (site / rel / "index.html").read_text(encoding="utf-8")
    found = extruct.extract(html, base_url=f"{SITE_URL}/{rel}", syntaxes=["json-ld"])["json-ld"]
    out = []
    for obj in found:
        out += obj.get("@graph", [obj])
    return out


def _types(obj: dict) -> set[str]:
    t = obj.get("@type")
    return set(t) if isinstance(t, list) else {t}


def _nested(obj, wanted: str):
    """Every object of type ``wanted`` inside ``obj`` (``obj`` included)."""
    if isinstance(obj, dict):
        if wanted in _types(obj):
            yield obj
        for v in obj.values():
            yield from _nested(v, wanted)
    elif isinstance(obj, list):
        for v in obj:
            yield from _nested(v, wanted)


def dataset_problems(d: dict) -> list[str]:
    """What a complete Dataset lacks (Google's Dataset guidance plus coverage and creator)."""
    out = [
        k
        for k in (
            "@id",
            "name",
            "description",
            "url",
            "identifier",
            "license",
            "creator",
            "publisher",
            "distribution",
            "spatialCoverage",
            "temporalCoverage",
            "dateModified",
            "inLanguage",
            "isAccessibleForFree",
        )
        if not d.get(k)
    ]
    if len(d.get("description") or "") < 50:
        out.append("description shorter than 50 characters")
    if not (d.get("creator") or {}).get("name"):
        out.append("creator without a name")
    for dl in d.get("distribution") or []:
        if not (dl.get("contentUrl", "").startswith(SITE_URL + "/") and dl.get("encodingFormat")):
            out.append(f"distribution without contentUrl/encodingFormat: {dl}")
    places = d.get("spatialCoverage")
    for p in places if isinstance(places, list) else [places] if places else []:
        if not (
            p.get("name") and p.get("@type") in ("Country", "AdministrativeArea") and p.get("geo")
        ):
            out.append(f"spatial coverage without name, type or geo: {p}")
    return out


def place_problems(p: dict) -> list[str]:
    out = [k for k in ("@id", "name", "identifier", "url", "geo") if not p.get(k)]
    geo = p.get("geo") or {}
    if not (isinstance(geo.get("latitude"), float) and isinstance(geo.get("longitude"), float)):
        out.append("geo without latitude/longitude")
    if "Country" not in _types(p) and not p.get("containedInPlace"):
        out.append("containedInPlace missing")
    return out


@pytest.fixture(scope="module")
def site(built_site):
    return built_site[0]


@pytest.fixture(scope="module")
def pages(site):
    """One or more pages of every kind that has JSON-LD (kind -> relative paths)."""
    reg = registry.load()
    hist = sorted(c.istat for c in reg.historical.values() if c.successor)
    tables = sorted(
        str(p.parent.relative_to(site)) for p in site.glob("programmi/*/tabelle/*/index.html")
    )
    acts = sorted(
        str(p.parent.relative_to(site)) for p in site.glob("documenti/*/atti/*/index.html")
    )
    return {
        "home": [""],
        "comuni": ["comuni"],
        "province": ["province/BG", "province/RM"],
        "comune": [
            "comuni/016024",
            "comuni/019035",
            "comuni/031019",
            hist[0] and f"comuni/{hist[0]}",
        ],
        "programmes": ["programmi"],
        "programme": sorted(
            str(p.parent.relative_to(site))
            for p in site.glob("programmi/*/index.html")
            if "/tabelle/" not in str(p)
        ),
        "table": tables[:3],
        "documents": ["documenti"],
        "document": sorted(
            f"documenti/{p.parent.name}" for p in site.glob("documenti/*/index.html")
        ),
        "act": acts[:3] + acts[-2:],
        "catalogue": ["dati"],
        "dataset": sorted(f"dati/{p.parent.name}" for p in site.glob("data/*/datapackage.json")),
        "quality": ["dati/qualita"],
    }


def test_every_page_kind_is_sampled(pages):
    assert all(pages.values()), {k: v for k, v in pages.items() if not v}
    assert len(pages["programme"]) >= 8 and len(pages["table"]) >= 1 and len(pages["act"]) >= 5


@pytest.mark.parametrize("kind", ["programme", "table", "dataset", "quality", "documents"])
def test_dataset_pages_carry_a_complete_dataset(site, pages, kind):
    for rel in pages[kind]:
        found = [o for o in _objects(site, rel) if "Dataset" in _types(o)]
        assert found, rel
        for d in found:
            assert dataset_problems(d) == [], (rel, d.get("@id"))


def test_table_page_dataset_is_part_of_its_package(site, pages):
    for rel in pages["table"]:
        [d] = _objects(site, rel)
        assert d["url"] == f"{SITE_URL}/{rel}/" and d["isPartOf"]["@id"].endswith("/#dataset")
        assert {x["encodingFormat"] for x in d["distribution"]} >= {"text/csv"}


@pytest.mark.parametrize("kind", ["catalogue", "document"])
def test_lists_of_datasets_hold_complete_datasets(site, pages, kind):
    from support import _documents

    docs = _documents()
    for rel in pages[kind]:
        objs = _objects(site, rel)
        datasets = [d for o in objs for d in _nested(o, "Dataset")]
        doc = docs.get(rel.removeprefix("documenti/")) if kind == "document" else None
        if doc is not None and not (doc.parser or doc.meta.get("specs")):
            assert datasets == [], rel  # no parser or spec yet: nothing read, nothing claimed
            continue
        assert datasets, rel
        for d in datasets:
            assert dataset_problems(d) == [], (rel, d.get("@id"))


@pytest.mark.parametrize("kind", ["home", "programmes"])
def test_short_lists_name_datasets_described_in_full_elsewhere(site, pages, kind):
    """The home page and the programme list name the datasets by reference (@id, name,
    page); the page each reference points to describes that very dataset in full."""
    for rel in pages[kind]:
        refs = [d for o in _objects(site, rel) for d in _nested(o, "Dataset")]
        assert len(refs) >= 8, rel
        for ref in refs:
            assert ref["url"].startswith(SITE_URL + "/dati/") and ref["name"], ref
            path, _, _ = ref["url"].removeprefix(SITE_URL + "/").partition("#")
            full = [
                d
                for o in _objects(site, path.rstrip("/"))
                for d in _nested(o, "Dataset")
                if d.get("@id") == ref["@id"]
            ]
            assert full and dataset_problems(full[0]) == [], ref


def test_home_is_a_website_with_search_and_a_catalogue(site):
    objs = _objects(site, "")
    [web] = [o for o in objs if "WebSite" in _types(o)]
    [cat] = [o for o in objs if "DataCatalog" in _types(o)]
    assert web["url"] == SITE_URL + "/" and web["inLanguage"] == "it"
    assert web["potentialAction"]["target"]["urlTemplate"] == SITE_URL + "/cerca/?q={query}"
    assert cat["@id"] == SITE_URL + "/dati/#catalogo"  # the DCAT catalogue's IRI
    assert cat["publisher"]["name"] == "Comuni aperti" and len(cat["dataset"]) >= 10


def test_comune_pages_describe_the_comune(site, pages):
    reg = registry.load()
    for rel in pages["comune"]:
        istat = rel.split("/")[1]
        c = reg.get(istat)
        [place] = _objects(site, rel)
        assert "City" in _types(place)
        ids = {i["propertyID"]: i["value"] for i in place["identifier"]}
        assert ids["ISTAT"] == istat and place["name"] == c.name
        if c.historical:
            assert place["containedInPlace"]["url"].endswith(f"/comuni/{c.successor}/")
            continue
        assert place_problems(place) == [], rel
        assert ids["codice catastale"] == c.cadastral_code
        prov = place["containedInPlace"]
        assert prov["name"] == c.province and prov["url"].endswith(f"/province/{c.province_sigla}/")
        assert prov["@id"].endswith(f"/provinces/{c.province_code}")
        region = prov["containedInPlace"]
        assert region["name"] == c.region and region["@id"].endswith(f"/regions/{c.region_code}")
        assert region["containedInPlace"]["@type"] == "Country"
        pop = {p["propertyID"]: p["value"] for p in place["additionalProperty"]}
        assert pop["popolazione"] == c.population
        lat, lon = place["geo"]["latitude"], place["geo"]["longitude"]
        assert 35 < lat < 47.1 and 6.6 < lon < 18.6


def test_geo_point_lies_inside_the_comune(site):
    """The point is inside the boundary (point on surface), not a centroid in a lake."""
    import pandas as pd
    import shapely

    from generator.coverage import _geo_dir

    df = pd.read_feather(_geo_dir() / "2023_italy_geo_municipalities.feather")
    geoms = dict(
        zip(
            (f"{int(c):06d}" for c in df["municipality_code"]),
            shapely.from_wkb(df["geometry"].values),
        )
    )
    for istat in ("016024", "019035", "097047", "012133"):
        [place] = _objects(site, f"comuni/{istat}")
        pt = shapely.Point(place["geo"]["longitude"], place["geo"]["latitude"])
        assert geoms[istat].buffer(1e-5).contains(pt), istat


@pytest.mark.parametrize("kind,wanted", [("province", "AdministrativeArea"), ("comuni", "Country")])
def test_area_pages_describe_the_area_and_what_it_contains(site, pages, kind, wanted):
    for rel in pages[kind]:
        [place] = _objects(site, rel)
        assert wanted in _types(place) and place_problems(place) == [], rel
        contained = place["containsPlace"]
        html = (site / rel / "index.html").read_text(encoding="utf-8")
        for p in contained:  # a page linked from this one, or a section of it
            path, _, anchor = p["url"].removeprefix(SITE_URL).partition("#")
            assert (f'id="{anchor}"' in html) if anchor else (f'href="{path}"' in html), p


def test_documents_and_acts(site, pages):
    for rel in pages["document"]:
        [doc] = [o for o in _objects(site, rel) if "DigitalDocument" in _types(o)]
        assert doc["url"] == f"{SITE_URL}/{rel}/" and doc["name"] and doc["datePublished"]
        assert doc["publisher"]["name"]
    for rel in pages["act"]:
        [act] = _objects(site, rel)
        assert "Legislation" in _types(act), rel
        for k in ("name", "url", "legislationType", "isPartOf", "legislationPassedBy"):
            assert act.get(k), (rel, k)
        twin = json.loads((site / rel / "index.json").read_text(encoding="utf-8"))
        assert act["legislationType"] == twin["type"] and act.get("legislationDate") == twin["date"]
        named = {p["url"].removeprefix(SITE_URL) for p in act.get("spatialCoverage", [])}
        assert named == {m["url"] for m in twin["mentioned"]}


def test_comune_links_the_datasets_about_it(site):
    [place] = _objects(site, "comuni/016024")
    twin = json.loads((site / "comuni/016024/index.json").read_text(encoding="utf-8"))
    assert twin["programmes"] and place["subjectOf"]
    assert {d["url"] for d in place["subjectOf"]} >= {
        f"{SITE_URL}/dati/{p['facts'][0]['dataset']}/" for p in twin["programmes"]
    }
