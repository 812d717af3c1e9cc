"""The built DCAT catalogue, checked as a harvester would: pySHACL with the SEMIC DCAT-AP 3
shapes (vendored in tests/shacl/), the DCAT-AP_IT mandatory and recommended properties of
the Italian guidelines, and the coverage each dataset declares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib import namespace as ns

from generator.metadata import load_config

SHAPES = Path(__file__).resolve().parent / "shacl" / "dcat-ap-3.0.1"
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
ONTOPIA = "https://w3id.org/italia/controlled-vocabulary/territorial-classifications/"
ITALY = URIRef("http://publications.europa.eu/resource/authority/country/ITA")
LOMBARDIA = URIRef(ONTOPIA + "regions/03")


@pytest.fixture(scope="module")
def shapes():
    g = Graph()
    for f in ("dcat-ap-SHACL.ttl", "shapes_recommended.ttl"):
        g.parse(SHAPES / f)
    return g


@pytest.fixture(scope="module")
def catalogue(built_site):
    site, _ = built_site
    return Graph().parse(site / "dati" / "catalogo.ttl")


def _shacl(data: Graph, shapes: Graph) -> list[str]:
    """Every result (violation or warning) as ``severity path focus: message``."""
    _, report, _ = validate(data, shacl_graph=shapes, inference="none", allow_warnings=False)
    SH = ns.SH
    out = []
    for r in report.subjects(SH.resultSeverity, None):
        out.append(
            f"{report.value(r, SH.resultSeverity).split('#')[1]} "
            f"{report.value(r, SH.resultPath)} {report.value(r, SH.focusNode)}: "
            f"{report.value(r, SH.resultMessage)}"
        )
    return sorted(out)


def test_catalogue_conforms_to_dcat_ap_3(catalogue, shapes):
    """No violation of the release's shapes and no warning of the recommended ones."""
    assert _shacl(catalogue, shapes) == []


@pytest.mark.parametrize(
    "prop,severity",
    [
        (ns.DCTERMS.temporal, "Warning"),  # recommended
        (ns.DCTERMS.spatial, "Warning"),
        (ns.DCAT.contactPoint, "Warning"),
        (ns.DCTERMS.description, "Violation"),  # mandatory
    ],
)
def test_the_shapes_catch_a_missing_property(catalogue, shapes, prop, severity):
    """The check can fail: drop a property from one dataset and pySHACL reports it."""
    g = Graph()
    for t in catalogue:
        g.add(t)
    ds = URIRef(next(str(s) for s in catalogue.subjects(ns.RDF.type, ns.DCAT.Dataset)))
    g.remove((ds, prop, None))
    found = _shacl(g, shapes)
    assert any(r.startswith(f"{severity} {prop} {ds}") for r in found), found


def test_byte_sizes_are_non_negative_integers(catalogue, shapes):
    """``dcat:byteSize`` typed ``xsd:decimal`` (fine for DCAT-AP 1.x) is a DCAT-AP 3 violation."""
    sizes = list(catalogue.subject_objects(ns.DCAT.byteSize))
    assert sizes and all(o.datatype == ns.XSD.nonNegativeInteger for _, o in sizes)
    g = Graph()
    for t in catalogue:
        g.add(t)
    dist, size = sizes[0]
    g.remove((dist, ns.DCAT.byteSize, size))
    g.add((dist, ns.DCAT.byteSize, Literal(str(size), datatype=ns.XSD.decimal)))
    assert any(f"{ns.DCAT.byteSize} {dist}" in r for r in _shacl(g, shapes))


def _missing(g: Graph, cls: URIRef, prop: URIRef) -> list[str]:
    return sorted(str(s) for s in g.subjects(ns.RDF.type, cls) if g.value(s, prop) is None)


# The DCAT-AP_IT guidelines (AgID, "Linee guida per i cataloghi dati"): M mandatory, R recommended
DCATAPIT_PROPERTIES = {
    DCATAPIT.Catalog: [
        ns.DCTERMS.title,
        ns.DCTERMS.description,
        ns.DCTERMS.publisher,
        ns.DCTERMS.modified,
        ns.DCAT.dataset,  # M
        ns.FOAF.homepage,
        ns.DCTERMS.language,
        ns.DCTERMS.issued,
        ns.DCAT.themeTaxonomy,
    ],  # R
    DCATAPIT.Dataset: [
        ns.DCTERMS.identifier,
        ns.DCTERMS.title,
        ns.DCTERMS.description,
        ns.DCTERMS.modified,
        ns.DCAT.theme,
        ns.DCTERMS.rightsHolder,
        ns.DCTERMS.accrualPeriodicity,
        ns.DCAT.distribution,  # M
        ns.DCAT.contactPoint,
        ns.DCTERMS.publisher,  # R
        ns.DCTERMS.spatial,
        ns.DCTERMS.temporal,
        ns.DCAT.keyword,
        ns.DCTERMS.issued,
        ns.DCAT.landingPage,
        ns.DCTERMS.language,
    ],  # O
    DCATAPIT.Distribution: [
        ns.DCTERMS.format,
        ns.DCAT.accessURL,
        ns.DCTERMS.license,  # M
        ns.DCTERMS.description,  # R
        ns.DCAT.downloadURL,
        ns.DCAT.byteSize,
        ns.DCTERMS.title,
    ],  # O
    DCATAPIT.Agent: [ns.DCTERMS.identifier, ns.FOAF.name],  # M
    DCATAPIT.Organization: [VCARD.fn, VCARD.hasURL],  # M (+ e-mail)
    DCATAPIT.LicenseDocument: [ns.DCTERMS.type, ns.FOAF.name],  # R, O
    ns.DCTERMS.PeriodOfTime: [DCATAPIT.startDate, DCATAPIT.endDate],  # M
    ns.DCTERMS.Location: [DCATAPIT.geographicalIdentifier, LOCN.geographicalName],  # O
}


@pytest.mark.parametrize("cls", list(DCATAPIT_PROPERTIES), ids=lambda c: c.n3().split("/")[-1])
def test_dcat_ap_it_properties(catalogue, cls):
    assert list(catalogue.subjects(ns.RDF.type, cls)), cls
    for prop in DCATAPIT_PROPERTIES[cls]:
        assert _missing(catalogue, cls, prop) == [], prop


def test_contact_point_email_is_the_configured_one(catalogue):
    """DCAT-AP_IT makes ``vcard:hasEmail`` mandatory: published as soon as the project's
    address is in data/catalogue.yaml, never invented."""
    email = load_config()["contact"]["email"]
    found = sorted(str(o) for o in catalogue.objects(None, VCARD.hasEmail))
    assert found == ([f"mailto:{email}"] if email else [])


def test_themes_are_the_declared_ones(built_site, catalogue):
    """A dataset's themes: its own declaration (spec or parser family), else the
    configuration's; never guessed."""
    import io

    from generator import parse, registry, sources
    from generator.quality import Log

    site, _ = built_site
    log = Log(stream=io.StringIO(), quiet=True)
    results, _ = parse.parse_all(sources.discover(log), registry.load(), log, None)
    declared = {ds.name: set(ds.themes) for r in results.values() for ds in r.datasets}
    configured = {k: set(v) for k, v in load_config()["themes"].items()}
    packages = {p.parent.name for p in (site / "data").glob("*/datapackage.json")}
    assert packages
    for name in packages:
        found = {str(t).rsplit("/", 1)[1] for t in catalogue.objects(_dataset(name), ns.DCAT.theme)}
        assert found == (declared.get(name) or configured[name]), name
    assert declared["fondo-0-6-riparto-2018"]  # some come from the specs


def _dataset(name: str) -> URIRef:
    return URIRef(f"https://comuni-aperti.netlify.app/dati/{name}/#dataset")


def _period(g: Graph, name: str) -> tuple[str, str]:
    p = g.value(_dataset(name), ns.DCTERMS.temporal)
    return str(g.value(p, ns.DCAT.startDate)), str(g.value(p, ns.DCAT.endDate))


def test_spatial_coverage_is_what_the_rows_name(catalogue):
    spatial = {
        str(s).split("/dati/")[1].split("/")[0]: set(catalogue.objects(s, ns.DCTERMS.spatial))
        for s in catalogue.subjects(ns.RDF.type, ns.DCAT.Dataset)
    }
    assert spatial["comuni"] == {ITALY}  # every comune
    assert spatial["sovrimposta-fabbricati-1983"] == {ITALY}  # the Gazzetta, all Italy
    assert spatial["fondo-0-6-riparto-2018"] == {LOMBARDIA}
    assert spatial["smart-polizia-locale-2025"] == {LOMBARDIA}
    assert spatial["documenti"] == {ITALY}  # a national document among the sources
    for places in spatial.values():
        for p in places:
            assert str(p).startswith((ONTOPIA, str(ITALY))), p
    lomb = catalogue.value(LOMBARDIA, LOCN.geographicalName)
    assert str(lomb) == "Lombardia"
    coords = [
        float(v) for v in re.findall(r"-?\d+\.?\d*", str(catalogue.value(LOMBARDIA, ns.DCAT.bbox)))
    ]
    (x0, y0), (x1, y1) = coords[0:2], coords[4:6]  # lower-left, upper-right corners
    assert 8.4 < x0 < 8.6 and 44.6 < y0 < 44.7 and 11.4 < x1 < 11.5 and 46.6 < y1 < 46.7


def test_temporal_coverage_comes_from_the_acts(catalogue):
    assert _period(catalogue, "sovrimposta-fabbricati-1983") == ("1983-10-24", "1983-10-24")
    assert _period(catalogue, "comuni") == ("2023-01-01", "2023-01-01")  # ISTAT 1 January
    start, end = _period(catalogue, "documenti")
    assert start == "1983-10-24" and end >= "2025-11-01"
    # the fondo 0-6 rows come from one decree of the 2018 bulletin (not the bulletin's date)
    start, end = _period(catalogue, "fondo-0-6-riparto-2018")
    assert start == end and "2018-01-01" <= start < "2018-11-22"
