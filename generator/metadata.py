"""Catalogue metadata generated from the packages' ``datapackage.json`` descriptors.

The descriptors written by :func:`generator.packages.build_descriptor` are the single
source of truth; everything here is a pure function of them (plus the site URL and the
catalogue's issue date), so two builds of the same data give byte-identical files.

* :func:`dcat_catalogue` – a DCAT-AP_IT catalogue (the Italian profile of DCAT-AP used
  by dati.gov.it for harvesting) as Turtle, RDF/XML and JSON-LD.
* :func:`dataset_jsonld` – a schema.org ``Dataset`` for a package's HTML page.
* :func:`jsonld_script` – JSON safe to embed in ``<script type="application/ld+json">``.

IRIs (all under ``site_url``): catalogue ``/dati/#catalogo``; dataset
``/dati/<name>/#dataset`` (also the ``@id`` of the schema.org JSON-LD); distribution
``/dati/<name>/#distribuzione-<resource>``; agents and contact points ``/chi-siamo/#...``.
Files are ``/data/<name>/<path>`` (download and access URL), the landing page is the
descriptor's ``homepage``.  Licences use the Italian licence vocabulary (CC BY 4.0 ->
``.../licences/A21_CCBY40``), formats the EU file-type authority, themes the EU
data-theme authority (chosen from name, title and keywords: :func:`themes_of`).

Every node of the RDF graph has an IRI minted under the site URL (no blank nodes), and
the three serialisations are written from the sorted triples, so the output does not
depend on hash seeds or on the order in which the descriptors are given.
"""
from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import quote
from xml.sax.saxutils import escape as _xml_escape

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, XSD

from .packages import SITE_NAME

# --------------------------------------------------------------------------- vocabularies
DCATAPIT = Namespace("http://dati.gov.it/onto/dcatapit#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS_LICENCE_TYPE = Namespace("http://purl.org/adms/licencetype/")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_FREQ = Namespace("http://publications.europa.eu/resource/authority/frequency/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANG = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA_MEDIA = "http://www.iana.org/assignments/media-types/"
THEME_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")

#: prefixes declared in every serialisation (all of them end with ``#`` or ``/``)
PREFIXES: dict[str, str] = {
    "dcat": str(DCAT),
    "dcatapit": str(DCATAPIT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "owl": str(OWL),
    "rdf": str(RDF),
    "spdx": str(SPDX),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}

LANGUAGE = EU_LANG["ITA"]
PUBLISHER_ID = "comuni-aperti"
CATALOGUE_DESCRIPTION = (
    "Catalogo dei dati aperti di Comuni aperti: pacchetti di dati (Frictionless Data "
    "Package) ricavati da documenti pubblici italiani, con una pagina per comune e per "
    "programma. Dati derivati pubblicati con licenza CC BY 4.0.")

#: Frictionless licence name -> (Italian licence vocabulary IRI, ADMS licence type)
LICENCES: dict[str, tuple[str, str]] = {
    "CC-BY-4.0": ("https://w3id.org/italia/controlled-vocabulary/licences/A21_CCBY40",
                  "Attribution"),
    "CC0-1.0": ("https://w3id.org/italia/controlled-vocabulary/licences/A11_CCO10",
                "PublicDomain"),
}

#: descriptor format / media type -> EU file-type authority code
FILE_TYPES = {
    "csv": "CSV", "text/csv": "CSV",
    "json": "JSON", "application/json": "JSON",
    "geojson": "GEOJSON", "application/geo+json": "GEOJSON",
    "xml": "XML", "application/xml": "XML", "text/xml": "XML",
    "zip": "ZIP", "application/zip": "ZIP",
    "pdf": "PDF", "application/pdf": "PDF",
    "parquet": "PARQUET",
    "xlsx": "XLSX", "ods": "ODS",
}

#: EU data themes chosen from the package's name, title and keywords (word prefixes)
THEME_RULES: list[tuple[str, str]] = [
    ("AGRI", r"agricol|pesca|piscator|ittic|fauna|caccia|zootecn|forest"),
    ("ENVI", r"ambient|clima|inquinam|rifiut|natura\b|parchi\b"),
    ("ECON", r"fiscal|sovrimpost|impost|tribut|tass[ae]|bilanc|finanz|riparto|fond[oi]\b"
             r"|spes[ae]\b|econom"),
    ("EDUC", r"istruzion|scuol|infanzia|0-6\b|educa"),
    ("JUST", r"polizia|sicurezza|giustizia|protezione civile"),
    ("REGI", r"comun[ei]\b|provinc|region[ei]\b|territor|aree interne|snai\b|coesione"),
    ("SOCI", r"social|famigli|popolazion|welfare|volontariat|associazion"),
    ("GOVE", r"elezion|elettoral|collegi|partit[oi]\b|atti\b|fonti\b|govern|amministra"
             r"|document"),
]
DEFAULT_THEME = "GOVE"

# Characters that XML 1.0 cannot carry (and so no RDF/XML file could): dropped everywhere
# so that the three serialisations always describe the same graph.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_IRI_SAFE = "/:#?&=%~+@!$,;'()*[]-._"


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
    found = [c for c in descriptor.get("contributors") or []
             if role in _roles(c) and _text(c.get("title"))]
    return found


def publisher_of(descriptor: dict) -> dict:
    """The package's publisher contributor (the site itself when none is named)."""
    found = _agents(descriptor, "publisher")
    return found[0] if found else {"title": SITE_NAME, "role": "publisher"}


def rights_holder_of(descriptor: dict) -> dict:
    found = _agents(descriptor, "rightsHolder") or _agents(descriptor, "rights-holder")
    return found[0] if found else publisher_of(descriptor)


def themes_of(descriptor: dict) -> list[str]:
    """EU data-theme codes fitting the package (its name, title and keywords)."""
    words = [descriptor.get("name", ""), descriptor.get("title", ""),
             *(descriptor.get("keywords") or [])]
    text = " ".join(_text(w).lower().replace("-", " ") for w in words)
    text += " " + " ".join(_text(w).lower() for w in words)   # keep "0-6" as written
    found = sorted({code for code, rx in THEME_RULES if re.search(r"\b(?:" + rx + ")", text)})
    return found or [DEFAULT_THEME]


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


# --------------------------------------------------------------------------- DCAT-AP_IT graph
def _add_agent(g: Graph, site_url: str, contributor: dict, publisher_id: str | None) -> URIRef:
    title = _text(contributor.get("title"))
    iri = URIRef(agent_iri(site_url, title))
    g.add((iri, RDF.type, DCATAPIT.Agent))
    g.add((iri, RDF.type, FOAF.Agent))
    g.add((iri, FOAF.name, _lit(title)))
    ident = publisher_id if (publisher_id and title == SITE_NAME) else _slug(title)
    g.add((iri, DCTERMS.identifier, Literal(ident)))
    if contributor.get("path"):
        g.add((iri, FOAF.homepage, URIRef(absolute_url(site_url, contributor["path"]))))
    return iri


def _add_contact(g: Graph, site_url: str, contributor: dict,
                 contact_email: str | None) -> URIRef:
    title = _text(contributor.get("title"))
    iri = URIRef(f"{site_url}/chi-siamo/#contatti-{_slug(title)}")
    g.add((iri, RDF.type, DCATAPIT.Organization))
    g.add((iri, RDF.type, VCARD.Organization))
    g.add((iri, RDF.type, VCARD.Kind))
    g.add((iri, VCARD.fn, _lit(title)))
    email = contributor.get("email") or (contact_email if title == SITE_NAME else None)
    if email:
        g.add((iri, VCARD.hasEmail, URIRef("mailto:" + quote(_text(email), safe="@.+-_"))))
    url = contributor.get("path") or "/chi-siamo/"
    g.add((iri, VCARD.hasURL, URIRef(absolute_url(site_url, url))))
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
    g.add((node, DCTERMS.type, ADMS_LICENCE_TYPE[kind]))
    g.add((node, FOAF.name, _lit(licence.get("title") or name)))
    if path and path != iri:
        g.add((node, FOAF.page, URIRef(path)))
    return node


def _add_dataset(g: Graph, d: dict, site_url: str, publisher_id: str,
                 contact_email: str | None) -> URIRef:
    name = d["name"]
    ds = URIRef(dataset_iri(site_url, name))
    g.add((ds, RDF.type, DCATAPIT.Dataset))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.identifier, Literal(f"{publisher_id}:{name}")))
    g.add((ds, DCTERMS.title, _lit(d.get("title") or name)))
    g.add((ds, DCTERMS.description, _lit(d.get("description") or d.get("title") or name)))
    created = d.get("created")
    if not created:
        raise ValueError(f"package {name!r} has no 'created' date")
    g.add((ds, DCTERMS.issued, _date(created)))
    g.add((ds, DCTERMS.modified, _date(created)))
    for code in themes_of(d):
        g.add((ds, DCAT.theme, EU_THEME[code]))
    g.add((ds, DCTERMS.accrualPeriodicity, EU_FREQ["IRREG"]))
    g.add((ds, DCTERMS.language, LANGUAGE))
    for kw in _keywords(d):
        g.add((ds, DCAT.keyword, _lit(kw)))
    publisher = publisher_of(d)
    g.add((ds, DCTERMS.publisher, _add_agent(g, site_url, publisher, publisher_id)))
    g.add((ds, DCTERMS.rightsHolder,
           _add_agent(g, site_url, rights_holder_of(d), publisher_id)))
    g.add((ds, DCAT.contactPoint, _add_contact(g, site_url, publisher, contact_email)))
    g.add((ds, DCAT.landingPage, URIRef(landing_page(d, site_url))))
    g.add((ds, FOAF.page, URIRef(download_url(site_url, name, "datapackage.json"))))
    if d.get("version"):
        g.add((ds, OWL.versionInfo, Literal(_text(d["version"]))))
    for src in d.get("sources") or []:
        if src.get("path"):
            g.add((ds, DCTERMS.source, URIRef(absolute_url(site_url, src["path"]))))

    licences = [_add_licence(g, site_url, lic) for lic in d.get("licenses") or []]
    if not licences:
        raise ValueError(f"package {name!r} has no licence")
    for res in d.get("resources") or []:
        dist = URIRef(distribution_iri(site_url, name, res["name"]))
        g.add((ds, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCATAPIT.Distribution))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, _lit(res.get("title") or res["name"])))
        g.add((dist, DCTERMS.description,
               _lit(res.get("description") or res.get("title") or res["name"])))
        g.add((dist, DCTERMS.format, EU_FILE_TYPE[file_type(res)]))
        url = URIRef(download_url(site_url, name, res["path"]))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.downloadURL, url))
        media = str(res.get("mediatype") or "").split(";")[0].strip().lower()
        if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", media):
            g.add((dist, DCAT.mediaType, URIRef(IANA_MEDIA + media)))
        for lic in licences:
            g.add((dist, DCTERMS.license, lic))
        if res.get("bytes") is not None:
            g.add((dist, DCAT.byteSize, Literal(str(int(res["bytes"])), datatype=XSD.decimal)))
        algo, _, digest = str(res.get("hash") or "").rpartition(":")
        if digest and (algo or "md5").lower() in ("md5", "sha1", "sha256", "sha512"):
            ck = URIRef(f"{dist}-checksum")
            g.add((dist, SPDX.checksum, ck))
            g.add((ck, RDF.type, SPDX.Checksum))
            g.add((ck, SPDX.algorithm, SPDX["checksumAlgorithm_" + (algo or "md5").lower()]))
            g.add((ck, SPDX.checksumValue, Literal(digest.lower(), datatype=XSD.hexBinary)))
    return ds


def catalogue_graph(descriptors: list[dict], site_url: str, issued: str, *,
                    title: str = SITE_NAME, description: str = CATALOGUE_DESCRIPTION,
                    publisher_id: str = PUBLISHER_ID,
                    contact_email: str | None = None) -> Graph:
    """The DCAT-AP_IT catalogue as an rdflib graph (see :func:`dcat_catalogue`)."""
    site_url = site_url.rstrip("/")
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
    site = {"title": SITE_NAME, "role": "publisher"}
    g.add((cat, DCTERMS.publisher, _add_agent(g, site_url, site, publisher_id)))
    g.add((cat, FOAF.homepage, URIRef(site_url + "/")))
    g.add((cat, DCTERMS.language, LANGUAGE))
    g.add((cat, DCAT.themeTaxonomy, THEME_SCHEME))
    days = [_day(issued)]
    g.add((cat, DCTERMS.issued, _date(issued)))
    for d in sorted(descriptors, key=lambda d: d["name"]):
        g.add((cat, DCAT.dataset, _add_dataset(g, d, site_url, publisher_id, contact_email)))
        days.append(_day(d["created"]))
    g.add((cat, DCTERMS.modified, Literal(max(days), datatype=XSD.date)))
    return g


# --------------------------------------------------------------------------- serialisations
_TYPE_RANK = [DCATAPIT.Catalog, DCATAPIT.Dataset, DCATAPIT.Distribution,
              SPDX.Checksum, DCATAPIT.LicenseDocument, DCATAPIT.Agent,
              DCATAPIT.Organization]


def _qname(iri: str) -> str | None:
    best = None
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns):
            local = iri[len(ns):]
            if re.fullmatch(r"[A-Za-z_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?", local) and (
                    best is None or len(ns) > len(PREFIXES[best.split(":")[0]])):
                best = f"{prefix}:{local}"
    return best


def _term_key(o) -> tuple:
    if isinstance(o, Literal):
        return (1, str(o), o.language or "", str(o.datatype or ""))
    return (0, str(o), "", "")


def _subjects(g: Graph) -> list[tuple[URIRef, list[URIRef], list[tuple]]]:
    """(subject, sorted types, sorted (predicate, object) pairs) in a stable order."""
    out = []
    for s in sorted(set(g.subjects()), key=str):
        types = sorted(g.objects(s, RDF.type), key=str)
        pairs = sorted(((p, o) for p, o in g.predicate_objects(s) if p != RDF.type),
                       key=lambda po: (str(po[0]), _term_key(po[1])))
        rank = min((_TYPE_RANK.index(t) for t in types if t in _TYPE_RANK),
                   default=len(_TYPE_RANK))
        out.append((rank, s, types, pairs))
    out.sort(key=lambda x: (x[0], str(x[1])))
    return [(s, types, pairs) for _, s, types, pairs in out]


def _primary_type(types: list[URIRef]) -> URIRef | None:
    for t in types:
        if t in _TYPE_RANK:
            return t
    return next((t for t in types if _qname(str(t))), None)


def _xml_attr(s: str) -> str:
    return _xml_escape(s, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def to_rdfxml(g: Graph) -> bytes:
    """RDF/XML written from the sorted triples: typed node elements, no blank nodes."""
    used = set()
    lines = []
    for s, types, pairs in _subjects(g):
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


def to_turtle(g: Graph) -> bytes:
    """Turtle written from the sorted triples (literals keep their lexical form)."""
    used = set()
    blocks = []
    for s, types, pairs in _subjects(g):
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


def to_jsonld(g: Graph) -> bytes:
    """JSON-LD (a compacted ``@graph`` with prefix terms) written from the sorted triples."""
    nodes = []
    used = set()
    for s, types, pairs in _subjects(g):
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


def dcat_catalogue(descriptors: list[dict], site_url: str, issued: str, **options
                   ) -> dict[str, bytes]:
    """DCAT-AP_IT catalogue of the packages: ``catalogo.ttl``, ``.rdf`` and ``.jsonld``.

    ``descriptors`` are the packages' ``datapackage.json`` contents; ``site_url`` is the
    absolute site root (IRIs and URLs are minted under it); ``issued`` is the
    catalogue's issue date (``YYYY-MM-DD`` or an ISO timestamp).  The catalogue's
    ``dct:modified`` is the latest of ``issued`` and the packages' ``created`` dates.
    Keyword ``options`` (``title``, ``description``, ``publisher_id``,
    ``contact_email``) are passed to :func:`catalogue_graph`.
    """
    g = catalogue_graph(descriptors, site_url, issued, **options)
    return {
        "catalogo.ttl": to_turtle(g),
        "catalogo.rdf": to_rdfxml(g),
        "catalogo.jsonld": to_jsonld(g),
    }


# --------------------------------------------------------------------------- schema.org
def dataset_jsonld(descriptor: dict, site_url: str, page_url: str) -> dict:
    """schema.org ``Dataset`` for the package's page (``page_url``, absolute or site-rooted).

    Its ``@id`` is the DCAT dataset IRI of :func:`dcat_catalogue`, so the page and the
    catalogue describe the same resource.
    """
    site_url = site_url.rstrip("/")
    d = descriptor
    name = d["name"]
    publisher = publisher_of(d)
    org = {"@type": "Organization", "@id": agent_iri(site_url, publisher["title"]),
           "name": _text(publisher["title"])}
    org["url"] = (absolute_url(site_url, publisher["path"]) if publisher.get("path")
                  else site_url + "/")
    licences = [lic.get("path") or LICENCES.get(lic.get("name"), ("",))[0]
                for lic in d.get("licenses") or []]
    licences = [lic for lic in licences if lic]

    variables, seen = [], set()
    for res in d.get("resources") or []:
        for f in (res.get("schema") or {}).get("fields") or []:
            label = _text(f.get("title") or f.get("name"))
            if label and label not in seen:
                seen.add(label)
                pv = {"@type": "PropertyValue", "name": label}
                if _text(f.get("description")):
                    pv["description"] = _text(f["description"])
                variables.append(pv)

    distribution = []
    for res in d.get("resources") or []:
        dl = {"@type": "DataDownload", "name": _text(res.get("title") or res["name"]),
              "encodingFormat": res.get("mediatype") or str(res.get("format") or ""),
              "contentUrl": download_url(site_url, name, res["path"])}
        if _text(res.get("description")):
            dl["description"] = _text(res["description"])
        algo, _, digest = str(res.get("hash") or "").rpartition(":")
        if algo.lower() == "sha256" and digest:
            dl["sha256"] = digest.lower()
        distribution.append(dl)

    out = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": dataset_iri(site_url, name),
        "name": _text(d.get("title") or name),
        "alternateName": name,
        "description": _text(d.get("description") or d.get("title") or name),
        "url": absolute_url(site_url, page_url),
        "identifier": f"{PUBLISHER_ID}:{name}",
        "inLanguage": "it",
        "isAccessibleForFree": True,
        "creator": org,
        "publisher": org,
        "keywords": [_text(k) for k in d.get("keywords") or [] if _text(k)],
        "isBasedOn": [{"@type": "CreativeWork", "name": _text(s.get("title")),
                       "url": absolute_url(site_url, s["path"])}
                      for s in d.get("sources") or [] if s.get("path")],
        "includedInDataCatalog": {"@type": "DataCatalog", "@id": catalogue_iri(site_url),
                                  "name": SITE_NAME, "url": site_url + "/dati/"},
        "distribution": distribution,
        "variableMeasured": variables,
    }
    if licences:
        out["license"] = licences[0] if len(licences) == 1 else licences
    if d.get("created"):
        out["dateModified"] = d["created"]
    if d.get("version"):
        out["version"] = d["version"]
    return out


# --------------------------------------------------------------------------- embedding
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                  "\u2028": "\\u2028", "\u2029": "\\u2029"}
_SCRIPT_UNSAFE_RE = re.compile("[<>&\u2028\u2029]")


def jsonld_script(obj) -> str:
    """JSON for ``<script type="application/ld+json">``: ``<``, ``>``, ``&``, U+2028 and
    U+2029 become ``\\uXXXX`` escapes (they can only occur inside JSON strings, so the
    result is the same JSON value), hence no string can close the element or open a
    comment."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return _SCRIPT_UNSAFE_RE.sub(lambda m: _SCRIPT_UNSAFE[m.group(0)], text)
