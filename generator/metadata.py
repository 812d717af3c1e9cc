"""Catalogue metadata generated from the packages' ``datapackage.json`` descriptors.

The descriptors written by :func:`generator.packages.build_descriptor` are the single
source of truth, with two additions kept beside them: each package's coverage in space
and time (:mod:`generator.coverage`) and the catalogue's configuration,
``data/catalogue.yaml`` (publisher, contact point, EU data themes per dataset).
Everything here is a pure function of those (plus the site URL and the catalogue's issue
date), so two builds of the same data give byte-identical files.

* :func:`dcat_catalogue` – the catalogue as Turtle, RDF/XML and JSON-LD, in the Italian
  profile DCAT-AP_IT (harvested by dati.gov.it) and in DCAT-AP 3: every mandatory and
  recommended property of catalogue, dataset and distribution of both profiles (the
  tests check it with pySHACL and the SEMIC DCAT-AP 3 shapes).
* :func:`dataset_jsonld` – a schema.org ``Dataset`` for a package's HTML page.
* :func:`jsonld_script` – JSON safe to embed in ``<script type="application/ld+json">``.

IRIs (all under ``site_url``): catalogue ``/dati/#catalogo``; dataset
``/dati/<name>/#dataset`` (also the ``@id`` of the schema.org JSON-LD); distribution
``/dati/<name>/#distribuzione-<resource>``; period of time ``/dati/<name>/#periodo``;
agents and contact points ``/chi-siamo/#...``. Files are ``/data/<name>/<path>``
(download and access URL; a site-rooted path stays as it is), the landing page is the
descriptor's ``homepage``. Vocabularies: licences from the Italian licence vocabulary
(CC BY 4.0 -> ``.../licences/A21_CCBY40``), formats from the EU file-type authority,
themes from the EU data-theme authority (declared with each dataset, else in the
configuration; never guessed), places from OntoPiA and the EU country authority, availability from the
EU planned-availability authority. The vocabulary terms the catalogue uses are typed in
it (a theme is a ``skos:Concept``, a format a ``dct:MediaTypeOrExtent`` ...), so that a
validator checking the DCAT-AP ranges needs no network.

Every node of the RDF graph has an IRI (no blank nodes): minted under the site URL, or
the vocabulary term itself. The three serialisations are written from the sorted
triples, so the output does not depend on hash seeds or on the order in which the
descriptors are given.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape as _xml_escape

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, SKOS, XSD

from .packages import SITE_NAME

# --------------------------------------------------------------------------- vocabularies
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GSP = Namespace("http://www.opengis.net/ont/geosparql#")
ADMS_LICENCE_TYPE = Namespace("http://purl.org/adms/licencetype/")
ADMS_PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANG = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_AVAILABILITY = Namespace(
    "http://publications.europa.eu/resource/authority/planned-availability/"
)
IANA_MEDIA = "http://www.iana.org/assignments/media-types/"
THEME_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")
DCAT_VERSION = URIRef(str(DCAT) + "version")  # DCAT 3, not in rdflib's DCAT namespace

#: prefixes declared in every serialisation (all of them end with ``#`` or ``/``)
PREFIXES: dict[str, str] = {
    "dcat": str(DCAT),
    "dcatap": str(DCATAP),
    "dcatapit": str(DCATAPIT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "gsp": str(GSP),
    "locn": str(LOCN),
    "owl": str(OWL),
    "rdf": str(RDF),
    "skos": str(SKOS),
    "spdx": str(SPDX),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}

LANGUAGE = EU_LANG["ITA"]
FREQUENCY = EU_FREQ["IRREG"]
AVAILABILITY = EU_AVAILABILITY["STABLE"]
CONFIG_FILE = "catalogue.yaml"  # in data/
CATALOGUE_DESCRIPTION = (
    "Catalogo dei dati aperti di Comuni aperti: pacchetti di dati (Frictionless Data "
    "Package) ricavati da documenti pubblici italiani, con una pagina per comune e per "
    "programma. Dati derivati pubblicati con licenza CC BY 4.0."
)

#: Frictionless licence name -> (Italian licence vocabulary IRI, ADMS licence type)
LICENCES: dict[str, tuple[str, str]] = {
    "CC-BY-4.0": (
        "https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40",
        "Attribution",
    ),
    "CC0-1.0": ("https://w3id.org/italia/controlled-vocabulary/licences/A11_CCO10", "PublicDomain"),
}
CATALOGUE_LICENCE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}

#: descriptor format / media type -> EU file-type authority code
FILE_TYPES = {
    "csv": "CSV",
    "text/csv": "CSV",
    "json": "JSON",
    "application/json": "JSON",
    "geojson": "GEOJSON",
    "application/geo+json": "GEOJSON",
    "xml": "XML",
    "application/xml": "XML",
    "text/xml": "XML",
    "zip": "ZIP",
    "application/zip": "ZIP",
    "pdf": "PDF",
    "application/pdf": "PDF",
    "parquet": "PARQUET",
    "application/vnd.apache.parquet": "PARQUET",
    "sqlite": "BIN",
    "application/vnd.sqlite3": "BIN",  # no SQLite type in the authority
    "sql": "SQL",
    "application/sql": "SQL",
    "xlsx": "XLSX",
    "ods": "ODS",
}

#: the EU data-theme authority's codes and Italian labels (as in the DCAT-AP_IT guidelines);
#: themes are declared per dataset in the configuration
EU_THEMES = {
    "AGRI": "Agricoltura, pesca, silvicoltura e prodotti alimentari",
    "ECON": "Economia e finanze",
    "EDUC": "Istruzione, cultura e sport",
    "ENER": "Energia",
    "ENVI": "Ambiente",
    "GOVE": "Governo e settore pubblico",
    "HEAL": "Salute",
    "INTR": "Tematiche internazionali",
    "JUST": "Giustizia, sistema giuridico e sicurezza pubblica",
    "REGI": "Regioni e città",
    "SOCI": "Popolazione e società",
    "TECH": "Scienza e tecnologia",
    "TRAN": "Trasporti",
}
#: EU file-type codes used here -> label
FILE_TYPE_LABELS = {
    "CSV": "CSV",
    "JSON": "JSON",
    "GEOJSON": "GeoJSON",
    "XML": "XML",
    "ZIP": "ZIP",
    "PDF": "PDF",
    "PARQUET": "Parquet",
    "SQL": "SQL",
    "XLSX": "Excel XLSX",
    "ODS": "ODS",
    "BIN": "Binary data",
}
PUBLISHER_TYPES = {
    "Academia-ScientificOrganisation",
    "Company",
    "IndustryConsortium",
    "LocalAuthority",
    "NationalAuthority",
    "NonGovernmentalOrganisation",
    "NonProfitOrganisation",
    "PrivateIndividual(s)",
    "RegionalAuthority",
    "StandardisationBody",
    "SupraNationalAuthority",
}

# Characters that XML 1.0 cannot carry (and so no RDF/XML file could): dropped everywhere
# so that the three serialisations always describe the same graph.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_IRI_SAFE = "/:#?&=%~+@!$,;'()*[]-._"


# --------------------------------------------------------------------------- configuration
class ConfigError(ValueError):
    """``data/catalogue.yaml`` is missing something the catalogue needs."""


def load_config(path: Path | None = None) -> dict:
    """``data/catalogue.yaml``, checked: publisher, contact point, themes per dataset."""
    import yaml

    from . import paths

    path = path or paths.DATA / CONFIG_FILE
    where = f"data/{CONFIG_FILE}" if path == paths.DATA / CONFIG_FILE else str(path)
    try:
        conf = paths.load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{where}: cannot be read: {e}") from None
    return check_config(conf, where)


def check_config(conf: dict, where: str = "catalogue configuration") -> dict:
    pub, contact = conf.get("publisher") or {}, conf.get("contact") or {}
    for key in ("name", "identifier", "homepage"):
        if not _text(pub.get(key)):
            raise ConfigError(f"{where}: publisher.{key} is missing")
    if pub.get("type") and pub["type"] not in PUBLISHER_TYPES:
        raise ConfigError(
            f"{where}: publisher.type {pub['type']!r} is not an ADMS "
            f"publisher type ({', '.join(sorted(PUBLISHER_TYPES))})"
        )
    if not _text(contact.get("name")) or not _text(contact.get("url")):
        raise ConfigError(f"{where}: contact.name and contact.url are needed")
    email = _text(contact.get("email"))
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise ConfigError(f"{where}: contact.email {email!r} is not an e-mail address")
    themes = conf.get("themes") or {}
    for name, codes in themes.items():
        bad = [c for c in codes or [] if c not in EU_THEMES]
        if not codes or bad:
            raise ConfigError(
                f"{where}: themes of {name!r}: {bad or 'none'} "
                f"(EU data themes: {', '.join(sorted(EU_THEMES))})"
            )
    return {"publisher": pub, "contact": contact, "themes": themes}


@lru_cache(maxsize=1)
def default_config() -> dict:
    return load_config()


def themes_of(
    name: str, config: dict, declared: list[str] | None = None, missing_ok: bool = False
) -> list[str]:
    """The EU data themes of package ``name``: those declared with the dataset (its spec
    or parser family: ``Dataset.themes``), else those of the configuration's ``themes:``
    (the registry, the document list, the export; a package renamed ``<name>--<document>``
    keeps its themes). Never guessed: a package with neither is an error (``missing_ok``:
    no theme, the build has reported it)."""
    if declared:
        bad = [c for c in declared if c not in EU_THEMES]
        if bad:
            raise ConfigError(
                f"dataset {name!r} declares themes that are not EU data "
                f"themes: {bad} ({', '.join(sorted(EU_THEMES))})"
            )
        return sorted(set(declared))
    themes = config["themes"]
    codes = themes.get(name) or themes.get(name.split("--")[0])
    if not codes and not missing_ok:
        raise ConfigError(
            f"data/{CONFIG_FILE}: no EU data themes for the dataset {name!r}: "
            "declare them with the dataset (spec or parser family) or add it "
            "under 'themes:'"
        )
    return sorted(set(codes or []))


def config_problems(declared: dict[str, list[str]]) -> list[str]:
    """What the build must report about the themes of the packages (name -> themes
    declared with the dataset); the configuration itself must load (:class:`ConfigError`
    otherwise)."""
    default_config.cache_clear()  # read again at every build (serve edits it)
    config = default_config()
    out = []
    for name, themes in declared.items():
        try:
            themes_of(name, config, themes)
        except ConfigError as e:
            out.append(str(e))
    return out


# --------------------------------------------------------------------------- helpers
def _text(s) -> str:
    return _XML_INVALID.sub("", str(s or "")).strip()


def _lit(s, lang: str | None = "it") -> Literal:
    return Literal(_text(s), lang=lang)


def _day(value: str) -> str:
    """``2025-11-01T00:00:00Z`` / ``2025-11-01`` -> ``2025-11-01`` (validated)."""
    return date.fromisoformat(str(value)[:10]).isoformat()


def _date(value: str) -> Literal:
    return Literal(_day(value), datatype=XSD.date)


def _frag(s: str) -> str:
    return quote(str(s), safe="-._~")


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _text(s).lower()).strip("-") or "agente"


def absolute_url(site_url: str, path: str, base: str | None = None) -> str:
    """An absolute URL: kept if it has a scheme, site-rooted if it starts with ``/``,
    otherwise relative to ``base`` (a package's ``/data/<name>/`` folder)."""
    site_url = site_url.rstrip("/")
    path = _text(path)
    if _SCHEME.match(path):
        return quote(path, safe=_IRI_SAFE)
    if path.startswith("/"):
        return site_url + quote(path, safe=_IRI_SAFE)
    base = base or site_url + "/"
    return base + quote(path, safe=_IRI_SAFE)


def catalogue_iri(site_url: str) -> str:
    return f"{site_url.rstrip('/')}/dati/#catalogo"


def dataset_iri(site_url: str, name: str) -> str:
    return f"{site_url.rstrip('/')}/dati/{_frag(name)}/#dataset"


def distribution_iri(site_url: str, name: str, resource: str) -> str:
    return f"{site_url.rstrip('/')}/dati/{_frag(name)}/#distribuzione-{_frag(resource)}"


def agent_iri(site_url: str, title: str) -> str:
    return f"{site_url.rstrip('/')}/chi-siamo/#{_slug(title)}"


def contact_iri(site_url: str, title: str) -> str:
    return f"{site_url.rstrip('/')}/chi-siamo/#contatti-{_slug(title)}"


def download_url(site_url: str, name: str, path: str) -> str:
    """Where a resource file is published: ``{site_url}/data/<name>/<path>``."""
    base = f"{site_url.rstrip('/')}/data/{_frag(name)}/"
    return absolute_url(site_url, path, base)


def landing_page(descriptor: dict, site_url: str) -> str:
    home = descriptor.get("homepage") or f"/dati/{descriptor['name']}/"
    return absolute_url(site_url, home)


def _roles(contributor: dict) -> list[str]:
    roles = contributor.get("roles") or [contributor.get("role") or "contributor"]
    return [str(r) for r in roles]


def _agents(descriptor: dict, role: str) -> list[dict]:
    found = [
        c
        for c in descriptor.get("contributors") or []
        if role in _roles(c) and _text(c.get("title"))
    ]
    return found


def publisher_of(descriptor: dict) -> dict:
    """The package's publisher contributor (the site itself when none is named)."""
    found = _agents(descriptor, "publisher")
    return found[0] if found else {"title": SITE_NAME, "role": "publisher"}


def rights_holder_of(descriptor: dict) -> dict:
    found = _agents(descriptor, "rightsHolder") or _agents(descriptor, "rights-holder")
    return found[0] if found else publisher_of(descriptor)


def file_type(resource: dict) -> str:
    for key in (resource.get("format"), resource.get("mediatype")):
        code = FILE_TYPES.get(str(key or "").lower())
        if code:
            return code
    path = str(resource.get("path") or "")
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return FILE_TYPES.get(ext, ext.upper() or "BIN")


def _keywords(descriptor: dict) -> list[str]:
    kws = sorted({_text(k) for k in descriptor.get("keywords") or [] if _text(k)})
    return kws or [descriptor["name"]]


def wkt_box(bbox) -> str:
    """``(min lon, min lat, max lon, max lat)`` as a WKT polygon (WGS84, lon lat order)."""
    x0, y0, x1, y1 = (_num(v) for v in bbox)
    return f"POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def wkt_point(point) -> str:
    return f"POINT({_num(point[0])} {_num(point[1])})"


def _num(v) -> str:
    return format(float(v), ".5f").rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- DCAT-AP graph
def _concept(g: Graph, iri: URIRef, scheme: str, label: Literal, *types: URIRef) -> URIRef:
    """A vocabulary term the catalogue uses, typed and labelled as DCAT-AP expects."""
    g.add((iri, RDF.type, SKOS.Concept))
    for t in types:
        g.add((iri, RDF.type, t))
    g.add((iri, SKOS.inScheme, URIRef(scheme)))
    g.add((iri, SKOS.prefLabel, label))
    return iri


def _add_agent(g: Graph, site_url: str, contributor: dict, config: dict) -> URIRef:
    title = _text(contributor.get("title"))
    pub = config["publisher"]
    ours = title == _text(pub["name"])
    iri = URIRef(agent_iri(site_url, title))
    g.add((iri, RDF.type, DCATAPIT.Agent))
    g.add((iri, RDF.type, FOAF.Agent))
    g.add((iri, FOAF.name, _lit(title)))
    g.add((iri, DCTERMS.identifier, Literal(_text(pub["identifier"]) if ours else _slug(title))))
    home = pub["homepage"] if ours else contributor.get("path")
    if home:
        g.add((iri, FOAF.homepage, URIRef(absolute_url(site_url, home))))
    if ours and pub.get("type"):
        kind = _concept(
            g,
            ADMS_PUBLISHER_TYPE[pub["type"]],
            str(ADMS_PUBLISHER_TYPE).rstrip("/"),
            Literal(re.sub(r"(?<=[a-z])(?=[A-Z])", " ", pub["type"]), lang="en"),
        )
        g.add((iri, DCTERMS.type, kind))
    return iri


def _add_contact(g: Graph, site_url: str, config: dict) -> URIRef:
    contact = config["contact"]
    iri = URIRef(contact_iri(site_url, contact["name"]))
    g.add((iri, RDF.type, DCATAPIT.Organization))
    g.add((iri, RDF.type, VCARD.Organization))
    g.add((iri, RDF.type, VCARD.Kind))
    g.add((iri, VCARD.fn, _lit(contact["name"])))
    if _text(contact.get("email")):
        g.add(
            (iri, VCARD.hasEmail, URIRef("mailto:" + quote(_text(contact["email"]), safe="@.+-_")))
        )
    g.add((iri, VCARD.hasURL, URIRef(absolute_url(site_url, contact["url"]))))
    return iri


def _add_licence(g: Graph, site_url: str, licence: dict) -> URIRef:
    name = str(licence.get("name") or "")
    path = absolute_url(site_url, licence["path"]) if licence.get("path") else ""
    iri, kind = LICENCES.get(name, (path, "Attribution"))
    if not iri:
        raise ValueError(f"licence without a known name or a path: {licence!r}")
    node = URIRef(iri)
    g.add((node, RDF.type, DCATAPIT.LicenseDocument))
    g.add((node, RDF.type, DCTERMS.LicenseDocument))
    g.add(
        (
            node,
            DCTERMS.type,
            _concept(
                g,
                ADMS_LICENCE_TYPE[kind],
                str(ADMS_LICENCE_TYPE).rstrip("/"),
                Literal(kind, lang="en"),
            ),
        )
    )
    g.add((node, FOAF.name, _lit(licence.get("title") or name)))
    if path and path != iri:
        g.add((node, FOAF.page, URIRef(path)))
    return node


def _add_location(g: Graph, place: dict) -> URIRef:
    """A place of :mod:`generator.coverage` (its IRI is the OntoPiA / EU term)."""
    iri = URIRef(place["iri"])
    g.add((iri, RDF.type, DCTERMS.Location))
    g.add((iri, LOCN.geographicalName, _lit(place["name"])))
    g.add((iri, DCATAPIT.geographicalIdentifier, Literal(place["iri"])))
    g.add((iri, SKOS.notation, Literal(place["code"])))
    if place.get("bbox"):
        g.add((iri, DCAT.bbox, Literal(wkt_box(place["bbox"]), datatype=GSP.wktLiteral)))
    if place.get("centroid"):
        g.add((iri, DCAT.centroid, Literal(wkt_point(place["centroid"]), datatype=GSP.wktLiteral)))
    return iri


def _add_period(g: Graph, iri: str, period: dict) -> URIRef:
    node = URIRef(iri)
    g.add((node, RDF.type, DCTERMS.PeriodOfTime))
    for prop, key in ((DCAT.startDate, "start"), (DCAT.endDate, "end")):
        g.add((node, prop, _date(period[key])))
    for prop, key in ((DCATAPIT.startDate, "start"), (DCATAPIT.endDate, "end")):
        g.add((node, prop, _date(period[key])))
    return node


def _document(g: Graph, iri: str) -> URIRef:
    node = URIRef(iri)
    g.add((node, RDF.type, FOAF.Document))
    return node


def _add_distribution(
    g: Graph, site_url: str, name: str, res: dict, licences: list[URIRef]
) -> URIRef:
    dist = URIRef(distribution_iri(site_url, name, res["name"]))
    g.add((dist, RDF.type, DCATAPIT.Distribution))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCTERMS.title, _lit(res.get("title") or res["name"])))
    g.add(
        (dist, DCTERMS.description, _lit(res.get("description") or res.get("title") or res["name"]))
    )
    code = file_type(res)
    g.add(
        (
            dist,
            DCTERMS.format,
            _concept(
                g,
                EU_FILE_TYPE[code],
                str(EU_FILE_TYPE).rstrip("/"),
                Literal(FILE_TYPE_LABELS.get(code, code), lang="en"),
                DCTERMS.MediaTypeOrExtent,
            ),
        )
    )
    url = download_url(site_url, name, res["path"])
    g.add((dist, DCAT.accessURL, URIRef(url)))
    g.add((dist, DCAT.downloadURL, URIRef(url)))
    media = str(res.get("mediatype") or "").split(";")[0].strip().lower()
    if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", media):
        mt = URIRef(IANA_MEDIA + media)
        g.add((mt, RDF.type, DCTERMS.MediaType))
        g.add((dist, DCAT.mediaType, mt))
    for lic in licences:
        g.add((dist, DCTERMS.license, lic))
    g.add(
        (
            dist,
            DCATAP.availability,
            _concept(
                g, AVAILABILITY, str(EU_AVAILABILITY).rstrip("/"), Literal("stabile", lang="it")
            ),
        )
    )
    if res.get("bytes") is not None:
        g.add(
            (dist, DCAT.byteSize, Literal(str(int(res["bytes"])), datatype=XSD.nonNegativeInteger))
        )
    schema_url = res.get("schema_url") or (  # the schema the file follows
        download_url(site_url, name, "datapackage.json") if res.get("schema") else None
    )
    if schema_url:
        std = URIRef(absolute_url(site_url, schema_url))
        g.add((std, RDF.type, DCTERMS.Standard))
        g.add((dist, DCTERMS.conformsTo, std))
    algo, _, digest = str(res.get("hash") or "").rpartition(":")
    if digest and (algo or "md5").lower() in ("md5", "sha1", "sha256", "sha512"):
        ck = URIRef(f"{dist}-checksum")
        g.add((dist, SPDX.checksum, ck))
        g.add((ck, RDF.type, SPDX.Checksum))
        algorithm = SPDX["checksumAlgorithm_" + (algo or "md5").lower()]
        g.add((algorithm, RDF.type, SPDX.ChecksumAlgorithm))
        g.add((ck, SPDX.algorithm, algorithm))
        g.add((ck, SPDX.checksumValue, Literal(digest.lower(), datatype=XSD.hexBinary)))
    return dist


def _add_dataset(
    g: Graph,
    d: dict,
    site_url: str,
    config: dict,
    coverage: dict | None,
    themes: list[str] | None = None,
) -> URIRef:
    name = d["name"]
    ds = URIRef(dataset_iri(site_url, name))
    g.add((ds, RDF.type, DCATAPIT.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.identifier, Literal(f"{_text(config['publisher']['identifier'])}:{name}")))
    g.add((ds, DCTERMS.title, _lit(d.get("title") or name)))
    g.add((ds, DCTERMS.description, _lit(d.get("description") or d.get("title") or name)))
    created = d.get("created")
    if not created:
        raise ValueError(f"package {name!r} has no 'created' date")
    g.add((ds, DCTERMS.issued, _date(created)))
    g.add((ds, DCTERMS.modified, _date(created)))
    for code in themes_of(name, config, themes, missing_ok=True):
        g.add(
            (ds, DCAT.theme, _concept(g, EU_THEME[code], str(THEME_SCHEME), _lit(EU_THEMES[code])))
        )
    g.add((ds, DCTERMS.accrualPeriodicity, FREQUENCY))
    g.add((FREQUENCY, RDF.type, DCTERMS.Frequency))
    g.add((ds, DCTERMS.language, LANGUAGE))
    g.add((LANGUAGE, RDF.type, DCTERMS.LinguisticSystem))
    for kw in _keywords(d):
        g.add((ds, DCAT.keyword, _lit(kw)))
    publisher = publisher_of(d)
    g.add((ds, DCTERMS.publisher, _add_agent(g, site_url, publisher, config)))
    g.add((ds, DCTERMS.rightsHolder, _add_agent(g, site_url, rights_holder_of(d), config)))
    g.add((ds, DCAT.contactPoint, _add_contact(g, site_url, config)))
    g.add((ds, DCAT.landingPage, _document(g, landing_page(d, site_url))))
    if d.get("documentation"):
        g.add((ds, FOAF.page, _document(g, absolute_url(site_url, d["documentation"]))))
    else:
        g.add((ds, FOAF.page, _document(g, download_url(site_url, name, "datapackage.json"))))
    if d.get("version"):
        g.add((ds, OWL.versionInfo, Literal(_text(d["version"]))))
        g.add((ds, DCAT_VERSION, Literal(_text(d["version"]))))
    # the documents the data were read from: web pages about the sources (not datasets,
    # so dct:relation rather than dct:source, whose DCAT-AP range is dcat:Dataset)
    for src in d.get("sources") or []:
        if src.get("path"):
            g.add((ds, DCTERMS.relation, URIRef(absolute_url(site_url, src["path"]))))
    if coverage:
        for place in coverage.get("spatial") or []:
            g.add((ds, DCTERMS.spatial, _add_location(g, place)))
        if coverage.get("temporal"):
            g.add(
                (
                    ds,
                    DCTERMS.temporal,
                    _add_period(g, f"{site_url}/dati/{_frag(name)}/#periodo", coverage["temporal"]),
                )
            )

    licences = [_add_licence(g, site_url, lic) for lic in d.get("licenses") or []]
    if not licences:
        raise ValueError(f"package {name!r} has no licence")
    for res in d.get("resources") or []:
        g.add((ds, DCAT.distribution, _add_distribution(g, site_url, name, res, licences)))
    return ds


def catalogue_graph(
    descriptors: list[dict],
    site_url: str,
    issued: str,
    *,
    coverage: dict[str, dict] | None = None,
    config: dict | None = None,
    themes: dict[str, list[str]] | None = None,
    title: str = SITE_NAME,
    description: str = CATALOGUE_DESCRIPTION,
    spatial: list[dict] | None = None,
) -> Graph:
    """The catalogue as an rdflib graph (see :func:`dcat_catalogue`)."""
    site_url = site_url.rstrip("/")
    config = config or default_config()
    coverage = coverage or {}
    names = [d["name"] for d in descriptors]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"duplicate package names: {dupes}")
    g = Graph(bind_namespaces="none")
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)

    cat = URIRef(catalogue_iri(site_url))
    g.add((cat, RDF.type, DCATAPIT.Catalog))
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, _lit(title)))
    g.add((cat, DCTERMS.description, _lit(description)))
    site = {"title": config["publisher"]["name"], "role": "publisher"}
    g.add((cat, DCTERMS.publisher, _add_agent(g, site_url, site, config)))
    g.add((cat, FOAF.homepage, _document(g, site_url + "/")))
    g.add((cat, DCTERMS.language, LANGUAGE))
    g.add((LANGUAGE, RDF.type, DCTERMS.LinguisticSystem))
    g.add((cat, DCAT.themeTaxonomy, THEME_SCHEME))
    g.add((THEME_SCHEME, RDF.type, SKOS.ConceptScheme))
    g.add((THEME_SCHEME, DCTERMS.title, _lit("Temi dei dati (EU Data Theme)")))
    g.add((cat, DCTERMS.license, _add_licence(g, site_url, CATALOGUE_LICENCE)))
    for place in spatial or []:
        g.add((cat, DCTERMS.spatial, _add_location(g, place)))
    days = [_day(issued)]
    g.add((cat, DCTERMS.issued, _date(issued)))
    for d in sorted(descriptors, key=lambda d: d["name"]):
        g.add(
            (
                cat,
                DCAT.dataset,
                _add_dataset(
                    g, d, site_url, config, coverage.get(d["name"]), (themes or {}).get(d["name"])
                ),
            )
        )
        days.append(_day(d["created"]))
    g.add((cat, DCTERMS.modified, Literal(max(days), datatype=XSD.date)))
    return g


# --------------------------------------------------------------------------- serialisations
_TYPE_RANK = [
    DCATAPIT.Catalog,
    DCATAPIT.Dataset,
    DCATAPIT.Distribution,
    SPDX.Checksum,
    DCTERMS.PeriodOfTime,
    DCTERMS.Location,
    DCATAPIT.LicenseDocument,
    DCATAPIT.Agent,
    DCATAPIT.Organization,
    FOAF.Document,
    DCTERMS.Standard,
    DCTERMS.MediaTypeOrExtent,
    DCTERMS.MediaType,
    DCTERMS.LinguisticSystem,
    DCTERMS.Frequency,
    SKOS.ConceptScheme,
    SKOS.Concept,
]


@lru_cache(maxsize=4096)
def _qname(iri: str) -> str | None:
    best = None
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            local = iri[len(ns) :]
            if re.fullmatch(r"[A-Za-z_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?", local) and (
                best is None or len(ns) > len(PREFIXES[best.split(":")[0]])
            ):
                best = f"{prefix}:{local}"
    return best


def _term_key(o) -> tuple:
    if isinstance(o, Literal):
        return (1, str(o), o.language or "", str(o.datatype or ""))
    return (0, str(o), "", "")


def _subjects(g: Graph) -> list[tuple[URIRef, list[URIRef], list[tuple]]]:
    """(subject, sorted types, sorted (predicate, object) pairs) in a stable order: by
    :data:`_TYPE_RANK` of the subject's types, then by IRI. One pass over the triples
    (made once per catalogue for its three serialisations, :func:`dcat_catalogue`)."""
    by_subject: dict = {}
    for s, p, o in g:
        by_subject.setdefault(s, []).append((p, o))
    out = []
    for s, po in by_subject.items():
        types = sorted((o for p, o in po if p == RDF.type), key=str)
        pairs = sorted(
            ((p, o) for p, o in po if p != RDF.type),
            key=lambda po: (str(po[0]), _term_key(po[1])),
        )
        rank = min((_TYPE_RANK.index(t) for t in types if t in _TYPE_RANK), default=len(_TYPE_RANK))
        out.append((rank, str(s), s, types, pairs))
    out.sort(key=lambda x: x[:2])
    return [(s, types, pairs) for _, _, s, types, pairs in out]


def _primary_type(types: list[URIRef]) -> URIRef | None:
    for t in types:
        if t in _TYPE_RANK:
            return t
    return next((t for t in types if _qname(str(t))), None)


def _xml_attr(s: str) -> str:
    return _xml_escape(s, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def to_rdfxml(g: Graph, subjects: list | None = None) -> bytes:
    """RDF/XML written from the sorted triples: typed node elements, no blank nodes."""
    used = set()
    lines = []
    for s, types, pairs in subjects if subjects is not None else _subjects(g):
        primary = _primary_type(types)
        tag = _qname(str(primary)) if primary is not None else "rdf:Description"
        used.add(tag.split(":")[0])
        lines.append(f'  <{tag} rdf:about="{_xml_attr(str(s))}">')
        for t in types:
            if t != primary:
                lines.append(f'    <rdf:type rdf:resource="{_xml_attr(str(t))}"/>')
        for p, o in pairs:
            pq = _qname(str(p))
            if pq is None:
                raise ValueError(f"no prefix for predicate {p}")
            used.add(pq.split(":")[0])
            if isinstance(o, URIRef):
                lines.append(f'    <{pq} rdf:resource="{_xml_attr(str(o))}"/>')
                continue
            attrs = ""
            if o.language:
                attrs = f' xml:lang="{_xml_attr(o.language)}"'
            elif o.datatype is not None and o.datatype != XSD.string:
                attrs = f' rdf:datatype="{_xml_attr(str(o.datatype))}"'
            text = _xml_escape(str(o), {"\r": "&#13;"})
            lines.append(f"    <{pq}{attrs}>{text}</{pq}>")
        lines.append(f"  </{tag}>")
    used.add("rdf")
    ns = "".join(f'\n    xmlns:{p}="{PREFIXES[p]}"' for p in sorted(used))
    head = f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{ns}>'
    return ("\n".join([head, *lines, "</rdf:RDF>"]) + "\n").encode("utf-8")


_TTL_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _ttl_term(o) -> str:
    if isinstance(o, URIRef):
        return f"<{o}>"
    text = "".join(_TTL_ESCAPES.get(c, c) for c in str(o))
    if o.language:
        return f'"{text}"@{o.language}'
    if o.datatype is not None and o.datatype != XSD.string:
        return f'"{text}"^^{_qname(str(o.datatype)) or f"<{o.datatype}>"}'
    return f'"{text}"'


def to_turtle(g: Graph, subjects: list | None = None) -> bytes:
    """Turtle written from the sorted triples (literals keep their lexical form)."""
    used = set()
    blocks = []
    for s, types, pairs in subjects if subjects is not None else _subjects(g):
        lines = []
        if types:
            tq = [_qname(str(t)) or f"<{t}>" for t in types]
            used.update(q.split(":")[0] for q in tq if not q.startswith("<"))
            lines.append("a " + ", ".join(tq))
        grouped: dict[str, list[str]] = {}
        for p, o in pairs:
            pq = _qname(str(p))
            if pq is None:
                raise ValueError(f"no prefix for predicate {p}")
            used.add(pq.split(":")[0])
            grouped.setdefault(pq, []).append(_ttl_term(o))
            if not isinstance(o, URIRef) and o.datatype is not None:
                used.add((_qname(str(o.datatype)) or ":").split(":")[0])
        for pq, objs in grouped.items():
            lines.append(pq + " " + (",\n        ".join(objs)))
        blocks.append(f"<{s}>\n    " + " ;\n    ".join(lines) + " .\n")
    head = "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(used & set(PREFIXES)))
    return (head + "\n" + "\n".join(blocks)).encode("utf-8")


def _jsonld_value(o):
    if isinstance(o, URIRef):
        return {"@id": str(o)}
    if o.language:
        return {"@language": o.language, "@value": str(o)}
    if o.datatype is not None and o.datatype != XSD.string:
        return {"@type": _qname(str(o.datatype)) or str(o.datatype), "@value": str(o)}
    return {"@value": str(o)}


def to_jsonld(g: Graph, subjects: list | None = None) -> bytes:
    """JSON-LD (a compacted ``@graph`` with prefix terms) written from the sorted triples."""
    nodes = []
    used = set()
    for s, types, pairs in subjects if subjects is not None else _subjects(g):
        node: dict = {"@id": str(s)}
        if types:
            tq = [_qname(str(t)) or str(t) for t in types]
            used.update(q.split(":")[0] for q in tq)
            node["@type"] = tq[0] if len(tq) == 1 else tq
        props: dict[str, list] = {}
        for p, o in pairs:
            key = _qname(str(p)) or str(p)
            used.add(key.split(":")[0])
            props.setdefault(key, []).append(_jsonld_value(o))
            if not isinstance(o, URIRef) and o.datatype is not None and o.datatype != XSD.string:
                used.add((_qname(str(o.datatype)) or "").split(":")[0])
        for key, values in props.items():
            node[key] = values[0] if len(values) == 1 else values
        nodes.append(node)
    context = {p: PREFIXES[p] for p in sorted(used) if p in PREFIXES}
    doc = {"@context": context, "@graph": nodes}
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def dcat_catalogue(
    descriptors: list[dict], site_url: str, issued: str, **options
) -> dict[str, bytes]:
    """DCAT-AP_IT catalogue of the packages: ``catalogo.ttl``, ``.rdf`` and ``.jsonld``.

    ``descriptors`` are the packages' ``datapackage.json`` contents; ``site_url`` is the
    absolute site root (IRIs and URLs are minted under it); ``issued`` is the
    catalogue's issue date (``YYYY-MM-DD`` or an ISO timestamp).  The catalogue's
    ``dct:modified`` is the latest of ``issued`` and the packages' ``created`` dates.
    Keyword ``options`` are passed to :func:`catalogue_graph`: ``coverage`` (package name
    -> :func:`generator.coverage.of_dataset`), ``config`` (default: ``data/catalogue.yaml``),
    ``themes`` (package name -> the EU themes declared with the dataset),
    ``spatial`` (the catalogue's own coverage: place dicts), ``title``, ``description``.
    """
    g = catalogue_graph(descriptors, site_url, issued, **options)
    subjects = _subjects(g)  # sorted once for the three
    return {
        "catalogo.ttl": to_turtle(g, subjects),
        "catalogo.rdf": to_rdfxml(g, subjects),
        "catalogo.jsonld": to_jsonld(g, subjects),
    }


# --------------------------------------------------------------------------- schema.org
def organisation_jsonld(site_url: str, config: dict | None = None) -> dict:
    """The publisher (the project) as a schema.org ``Organization``."""
    config = config or default_config()
    pub, contact = config["publisher"], config["contact"]
    site_url = site_url.rstrip("/")
    point = {
        "@type": "ContactPoint",
        "name": _text(contact["name"]),
        "url": absolute_url(site_url, contact["url"]),
        "contactType": "dati",
    }
    if _text(contact.get("email")):
        point["email"] = _text(contact["email"])
    return {
        "@type": "Organization",
        "@id": agent_iri(site_url, pub["name"]),
        "name": _text(pub["name"]),
        "url": absolute_url(site_url, pub["homepage"]),
        "contactPoint": point,
    }


def place_summary(place: dict) -> dict:
    """A coverage place (:mod:`generator.coverage`) as a schema.org Place."""
    kind = "Country" if place["level"] == "country" else "AdministrativeArea"
    out = {"@type": kind, "name": place["name"], "identifier": place["code"]}
    if place.get("iri"):
        out["@id"] = place["iri"]
    if place.get("bbox"):
        x0, y0, x1, y1 = (_num(v) for v in place["bbox"])
        out["geo"] = {"@type": "GeoShape", "box": f"{y0} {x0} {y1} {x1}"}
    return out


def temporal_coverage(period: dict | None) -> str | None:
    """ISO 8601: ``2018-11-22`` (one day) or ``1983-10-24/2025-11-01`` (an interval)."""
    if not period:
        return None
    start, end = _day(period["start"]), _day(period["end"])
    return start if start == end else f"{start}/{end}"


def coverage_jsonld(coverage: dict | None) -> dict:
    """``spatialCoverage`` and ``temporalCoverage`` of a coverage dict (those it has)."""
    out: dict = {}
    places = [place_summary(p) for p in (coverage or {}).get("spatial") or []]
    if places:
        out["spatialCoverage"] = places[0] if len(places) == 1 else places
    when = temporal_coverage((coverage or {}).get("temporal"))
    if when:
        out["temporalCoverage"] = when
    return out


def _distribution_jsonld(site_url: str, name: str, res: dict) -> dict:
    dl = {
        "@type": "DataDownload",
        "name": _text(res.get("title") or res["name"]),
        "encodingFormat": res.get("mediatype") or str(res.get("format") or ""),
        "contentUrl": download_url(site_url, name, res["path"]),
    }
    if _text(res.get("description")):
        dl["description"] = _text(res["description"])
    if res.get("bytes") is not None:
        dl["contentSize"] = f"{int(res['bytes'])} B"
    algo, _, digest = str(res.get("hash") or "").rpartition(":")
    if algo.lower() == "sha256" and digest:
        dl["sha256"] = digest.lower()
    return dl


def dataset_jsonld(
    descriptor: dict,
    site_url: str,
    page_url: str,
    *,
    coverage: dict | None = None,
    config: dict | None = None,
    compact: bool = False,
) -> dict:
    """schema.org ``Dataset`` for the package's page (``page_url``, absolute or site-rooted).

    Its ``@id`` is the DCAT dataset IRI of :func:`dcat_catalogue`, so the page and the
    catalogue describe the same resource. ``coverage`` (:func:`generator.coverage.of_dataset`)
    gives ``spatialCoverage`` and ``temporalCoverage``. ``compact`` (for lists of datasets)
    leaves out the variables (``variableMeasured``), the catalogue link and the Excel
    twins of the CSV files, and names the publisher by reference.
    """
    site_url = site_url.rstrip("/")
    config = config or default_config()
    d = descriptor
    name = d["name"]
    org = organisation_jsonld(site_url, config)
    licences = [
        lic.get("path") or LICENCES.get(lic.get("name"), ("",))[0]
        for lic in d.get("licenses") or []
    ]
    licences = [lic for lic in licences if lic]

    out = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": dataset_iri(site_url, name),
        "name": _text(d.get("title") or name),
        "alternateName": name,
        "description": _text(d.get("description") or d.get("title") or name),
        "url": absolute_url(site_url, page_url),
        "identifier": f"{_text(config['publisher']['identifier'])}:{name}",
        "inLanguage": "it",
        "isAccessibleForFree": True,
        "creator": org,
        "publisher": org,
        "keywords": [_text(k) for k in d.get("keywords") or [] if _text(k)],
        "isBasedOn": [
            {
                "@type": "CreativeWork",
                "name": _text(s.get("title")),
                "url": absolute_url(site_url, s["path"]),
            }
            for s in d.get("sources") or []
            if s.get("path")
        ],
        "distribution": [
            _distribution_jsonld(site_url, name, r)
            for r in d.get("resources") or []
            if not (compact and (r["name"].endswith("-excel") or r.get("format") == "parquet"))
        ],
    }
    if licences:
        out["license"] = licences[0] if len(licences) == 1 else licences
    out.update(coverage_jsonld(coverage))
    if d.get("created"):
        out["dateModified"] = _day(d["created"])
    if d.get("version"):
        out["version"] = d["version"]
    if compact:
        ref = {k: org[k] for k in ("@type", "@id", "name")}
        out["creator"] = out["publisher"] = ref
    else:
        out["includedInDataCatalog"] = {
            "@type": "DataCatalog",
            "@id": catalogue_iri(site_url),
            "name": SITE_NAME,
            "url": site_url + "/dati/",
        }
        out["variableMeasured"] = _variables(d.get("resources") or [])
    return out


def _variables(resources: list[dict]) -> list[dict]:
    variables, seen = [], set()
    for res in resources:
        for f in (res.get("schema") or {}).get("fields") or []:
            label = _text(f.get("title") or f.get("name"))
            if label and label not in seen:
                seen.add(label)
                pv = {"@type": "PropertyValue", "name": label}
                if _text(f.get("description")):
                    pv["description"] = _text(f["description"])
                variables.append(pv)
    return variables


def table_jsonld(
    descriptor: dict,
    table: str,
    site_url: str,
    page_url: str,
    *,
    coverage: dict | None = None,
    config: dict | None = None,
) -> dict:
    """A schema.org ``Dataset`` for one table of a package (its own page): the table's
    files as distributions, part of the package's dataset."""
    base = dataset_jsonld(descriptor, site_url, page_url, coverage=coverage, config=config)
    res = [
        r
        for r in descriptor.get("resources") or []
        if r["name"] in (table, f"{table}-excel", f"{table}-json")
    ]
    if not res:
        raise ValueError(f"package {descriptor['name']!r} has no table {table!r}")
    main = res[0]
    out = {
        **base,
        "@id": absolute_url(site_url, page_url) + "#dataset",
        "name": _text(main.get("title") or table),
        "alternateName": f"{descriptor['name']}/{table}",
        "description": _text(main.get("description") or main.get("title") or table),
        "identifier": f"{base['identifier']}/{table}",
        "isPartOf": {"@type": "Dataset", "@id": base["@id"], "name": base["name"]},
        "distribution": [_distribution_jsonld(site_url, descriptor["name"], r) for r in res],
        "variableMeasured": _variables(res[:1]),
    }
    out.pop("includedInDataCatalog", None)
    return out


# --------------------------------------------------------------------------- embedding
_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_SCRIPT_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")


def jsonld_script(obj) -> str:
    """JSON for ``<script type="application/ld+json">``: ``<``, ``>``, ``&``, U+2028 and
    U+2029 become ``\\uXXXX`` escapes (they can only occur inside JSON strings, so the
    result is the same JSON value), hence no string can close the element or open a
    comment."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE_RE.sub(lambda m: _SCRIPT_UNSAFE[m.group(0)], text)
