"""The comune page at a glance: "In sintesi", the programmes that leave it out and why, the
comparisons with similar comuni, the neighbours to compare it with.

Everything here is declared with the data (``summary`` views, see :mod:`generator.views`)
or read from the quality records the build already keeps (checks, documented defects,
unresolved names); :class:`Glance` is computed once per build in the parent process, so
the render workers that build 8,000 comune contexts only look things up.
"""

from __future__ import annotations

import re
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field


from . import formatting, paths, views
from .registry import normalise


def anchor(*parts: str) -> str:
    """An HTML id from free text (check ids hold ':' and spaces)."""
    return re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")


def check_anchor(doc_id: str, check_id: str) -> str:
    return "v-" + anchor(doc_id, check_id)


def name_anchor(doc_id: str, line: int | None, query: str) -> str:
    return "n-" + anchor(doc_id, str(line or 0), query)


PAIRS_PER_COMUNE = 2


@dataclass
class Glance:
    summaries: dict[str, list[views.Summary]]  # programme slug -> its summaries
    # programme slug -> [(selector, explanation, check anchor)] from data/known-defects
    defects: dict[str, list[tuple[dict, str, str]]] = field(default_factory=dict)
    # programme slug -> province sigla -> unresolved names [{query, line, doc_id, anchor}]
    unresolved: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)  # programme slug -> oldest source date
    neighbours: dict[str, list[str]] = field(default_factory=dict)  # istat -> istat codes
    pairs: set[tuple[str, str]] = field(default_factory=set)  # neighbours with a built page
    # per process, built at first use (:func:`_index`): the programmes in page order, and
    # for each comune and each area the summaries and programmes that concern it, so a
    # comune page costs what concerns it, not the number of programmes of the site
    index: dict = field(default_factory=dict, repr=False, compare=False)

    def set_neighbours(self, neighbours: dict[str, list[str]]) -> None:
        """Bordering comuni (longest border first) and the pairs whose comparison page is
        built: each comune with its PAIRS_PER_COMUNE longest borders (about 10,000 pages;
        all 23,000 pairs would add a quarter to the build). Any other pair is drawn in the
        browser by static/js/compare.js."""
        self.neighbours = neighbours
        self.pairs = {
            tuple(sorted((a, b))) for a, ns in neighbours.items() for b in ns[:PAIRS_PER_COMUNE]
        }


def build(registry, datasets, programmes, documents, resolutions) -> Glance:
    sums: dict[str, list[views.Summary]] = defaultdict(list)
    for ds in datasets:
        if ds.programme is None:
            continue
        for s in views.summaries(ds, registry):
            sums[s.programme].append(s)
    g = Glance(dict(sums))
    known = _missing_comuni()
    # by document, in their order (hundreds of documents: no scan of all per programme)
    unresolved_of: dict[str, set[int]] = defaultdict(set)
    for i, r in enumerate(resolutions):
        if r.status != "resolved":
            unresolved_of[r.doc_id].add(i)
    known_of: dict[str, set[int]] = defaultdict(set)
    known_items = list(known.items())
    for i, ((doc, _), _) in enumerate(known_items):
        known_of[doc].add(i)
    for slug, prog in programmes.items():
        srcs = set(prog.sources)
        g.defects[slug] = [
            (sel, why, check_anchor(doc, cid))
            for (doc, cid), (sel, why) in (
                known_items[i] for i in sorted(set().union(*(known_of[d] for d in srcs)))
            )
        ]
        by_prov: dict[str, list[dict]] = defaultdict(list)
        for r in (resolutions[i] for i in sorted(set().union(*(unresolved_of[d] for d in srcs)))):
            provs = {
                registry.current[c].province_sigla for c in r.candidates if c in registry.current
            }
            if len(provs) == 1:
                by_prov[provs.pop()].append(
                    {
                        "query": r.query,
                        "line": r.line,
                        "doc_id": r.doc_id,
                        "anchor": name_anchor(r.doc_id, r.line, r.query),
                    }
                )
        g.unresolved[slug] = dict(by_prov)
        dates = sorted(str(documents[s].doc.meta.get("date")) for s in srcs if s in documents)
        if dates:
            g.dates[slug] = dates[0]
    return g


def _missing_comuni() -> dict[tuple[str, str], tuple[dict, str]]:
    """Documented defects of a source that leave comuni without a row: the ``checks:``
    entries of data/known-defects/*.yaml with a ``missing_comuni:`` selector
    (``{province: CR, before: Madignano}``: the comuni of the province, today's sigla, whose
    name sorts before ``before``; ``after`` likewise)."""
    out = {}
    if not paths.KNOWN_DEFECTS.is_dir():
        return out
    for path in sorted(paths.KNOWN_DEFECTS.glob("*.yaml")):
        data = paths.load_yaml(path.read_text(encoding="utf-8")) or {}
        for d in data.get("checks", []) or []:
            if d.get("missing_comuni"):
                out[(d["doc_id"], d["id"])] = (
                    dict(d["missing_comuni"]),
                    " ".join(str(d.get("explanation", "")).split()),
                )
    return out


def _selects(sel: dict, c) -> bool:
    if sel.get("province") and sel["province"] != c.province_sigla:
        return False
    name = normalise(c.name)
    if sel.get("before") and not name < normalise(str(sel["before"])):
        return False
    if sel.get("after") and not name > normalise(str(sel["after"])):
        return False
    return True


# -- the page ----------------------------------------------------------------------------
def context(model, istat: str) -> dict:
    """What the comune page adds to the twin: ``summary`` (one item per sentence),
    ``gaps`` (programmes of its area that leave it out, with the reason), ``compare``
    (per summary: the comune against its province, population class and region),
    ``neighbours`` (bordering comuni, with the comparison page of each pair)."""
    g: Glance = model.glance
    reg = model.registry
    c = model.comuni[istat]
    own = [istat] + model.predecessors.get(istat, [])
    summary, compare = [], []
    ix = _index(model)
    at = sorted({i for code in own for i in ix["by_comune"].get(code, ())})
    for slug, s in (ix["summaries"][i] for i in at):
        for code in own:
            segs = views.sentence(s, code, reg)
            if not segs:
                continue
            item = {
                "programme": slug,
                "key": s.key,
                "title": s.decl.get("title") or model.programmes[slug].title,
                "url": f"/programmi/{slug}/",
                "sentence": segs,
                "text": "".join(x["text"] for x in segs),
                "figures": figures(s, code),
            }
            if code != istat:
                pc = model.comuni[code]
                item["via"] = {"istat": code, "name": pc.name, "url": f"/comuni/{code}/"}
            summary.append(item)
        cmp = views.comparison(s, istat, reg)
        if cmp and s.decl.get("median") is not False:
            compare.append(_figure(cmp, slug, c, s))
    return {
        "summary": summary,
        "gaps": gaps(model, istat),
        "compare": compare,
        "neighbours": [
            {
                "istat": n,
                "name": model.comuni[n].name,
                "province": model.comuni[n].province_sigla,
                "url": f"/comuni/{n}/",
                "compare": compare_url(istat, n),
                "page": tuple(sorted((istat, n))) in g.pairs,
            }
            for n in g.neighbours.get(istat, [])
            if n in model.comuni
        ],
    }


def _index(model) -> dict:
    """``order``: programme slugs as the page lists them (by title); ``summaries``: the
    ``(slug, summary)`` pairs in that order; ``by_comune``: istat -> positions in
    ``summaries`` of those with a row or a compared value for it; ``by_area``:
    ``("province", sigla)`` or ``("region", name)`` -> positions in ``order`` of the
    programmes whose list covers that area (glance.gaps)."""
    g: Glance = model.glance
    if g.index:
        return g.index
    order = sorted(g.summaries, key=lambda s: model.programmes[s].title)
    pairs = [(slug, s) for slug in order for s in g.summaries[slug]]
    by_comune: dict[str, list[int]] = defaultdict(list)
    for i, (_, s) in enumerate(pairs):
        codes = set(s.rows)
        for st in s.stats.values():
            codes.update(st.values)
        for code in codes:
            by_comune[code].append(i)
    by_area: dict[tuple[str, str], set[int]] = defaultdict(set)
    for i, slug in enumerate(order):
        for s in g.summaries[slug]:
            kind = s.decl.get("coverage")
            if kind:
                for area in s.covered:
                    by_area[("province" if kind == "province" else "region", area)].add(i)
    g.index = {"order": order, "summaries": pairs, "by_comune": by_comune, "by_area": by_area}
    return g.index


def figures(s: views.Summary, istat: str) -> dict:
    """The comune's numbers in a summary, as data: key figure, figure per inhabitant or
    child, ranks (``{value, text}``; the JSON twin and the comparison pages use them)."""
    from .compare import ordinal
    from .packages import json_value

    out: dict = {}
    for which, vals, label in (
        ("value", s.values, (s.decl.get("label") or "valore")),
        ("per", s.per, f"{s.decl.get('label') or 'valore'} {s.per_label}"),
    ):
        if istat in vals:
            out[which] = {
                "value": json_value(vals[istat]),
                "text": s.fmt(which)(vals[istat]),
                "label": label,
            }
    m = s.measure
    if m and s.decl.get("rank") is not False and istat in s.stats[m].rank_province:
        st = s.stats[m]
        out["rank_province"] = {
            "value": st.rank_province[istat][0],
            "text": ordinal(st.rank_province[istat], ""),
            "label": f"posizione in provincia per {s.label}",
        }
        out["rank_region"] = {
            "value": st.rank_region[istat][0],
            "text": ordinal(st.rank_region[istat], ""),
            "label": f"posizione in regione per {s.label}",
        }
    return out


def _figure(cmp: dict, slug: str, c, s) -> dict:
    """A comparison as a figure of the page: the chart file's address and size, its text
    alternative and the snippet that embeds it elsewhere."""
    from .compare import chart_height

    svg = f"/comuni/{c.istat}/confronto-{s.key}.svg"
    title = f"{c.name}: {cmp['label']} a confronto"
    fmt = s.fmt(s.measure)
    values = {v for _, _, v in cmp["items"]}
    if len(values) == 1:
        # nothing to draw (three quarters of the 1983 rates equal every median): a sentence
        # says so, the table gives the numbers, no chart of bars of one length
        return {
            **{k: v for k, v in cmp.items() if k != "items"},
            "programme": slug,
            "svg": None,
            "title": title,
            "same": f"{c.name}: {fmt(values.pop())}, come la mediana {cmp['medians']}.",
            "alt": None,
            "width": None,
            "height": None,
            "embed": None,
            "_file": None,
        }
    alt = "Grafico a barre. " + "; ".join(f"{k}: {fmt(v)}" for k, _, v in cmp["items"]) + "."
    h = chart_height(len(cmp["items"]))
    from markupsafe import escape

    from .compare import chart
    from .render import SITE_URL

    embed = f'<img src="{SITE_URL}{svg}" width="560" height="{h}" alt="{escape(title)}">'
    return {
        **{k: v for k, v in cmp.items() if k != "items"},
        "programme": slug,
        "svg": svg,
        "title": title,
        "alt": alt,
        "width": 560,
        "height": h,
        "embed": embed,
        # the file itself: written beside the page, not part of the twin
        # made when written: (key, make), the key a digest of what the SVG is drawn from,
        # so a comune page that changes does not redraw its unchanged charts
        "_file": (
            hashlib.sha256(
                repr(
                    (
                        [(short, v) for _, short, v in cmp["items"]],
                        title,
                        alt,
                        s.measure,
                        s.decl.get("format"),
                        s.decl.get("per_format"),
                    )
                ).encode()
            ).hexdigest(),
            lambda: chart([(short, v) for _, short, v in cmp["items"]], title, fmt, alt),
        ),
    }


def programme_label(model, slug: str) -> str:
    """A programme's short name (its first summary's ``title``, else its title): the
    search filter's value and the name before each sentence."""
    sums = model.glance.summaries.get(slug) if model.glance else None
    if sums and sums[0].decl.get("title"):
        return str(sums[0].decl["title"])
    return model.programmes[slug].title


def compare_url(a: str, b: str) -> str:
    x, y = sorted((a, b))
    return f"/confronta/{x}-{y}/"


def gaps(model, istat: str) -> list[dict]:
    """Programmes whose list covers the comune's province or region but has no row for it
    (nor for a comune merged into it), each with the most likely reason: a page missing
    from the source (a documented defect), a comune born after the document, names of its
    province the build could not resolve, or simply not listed."""
    g: Glance = model.glance
    c = model.registry.current.get(istat)
    if c is None:
        return []
    own = [istat] + model.predecessors.get(istat, [])
    out = []
    ix = _index(model)
    near = ix["by_area"].get(("province", c.province_sigla), set()) | ix["by_area"].get(
        ("region", c.region), set()
    )
    for slug in (ix["order"][i] for i in sorted(near)):
        sums = g.summaries[slug]
        if any(code in s.rows for s in sums for code in own):
            continue
        s = next(
            (
                s
                for s in sums
                if s.decl.get("coverage")
                and (c.province_sigla if s.decl["coverage"] == "province" else c.region)
                in s.covered
            ),
            None,
        )
        if s is None:
            continue
        listed = s.covered[c.province_sigla if s.decl["coverage"] == "province" else c.region]
        text = str(s.decl.get("absent") or "{name} non compare nell'elenco.")
        text = (
            text.replace("{name}", c.name)
            .replace("{province}", c.province)
            .replace("{region}", c.region)
            .replace("{listed}", formatting.num(listed))
        )
        out.append(
            {
                "programme": slug,
                "title": s.decl.get("title") or model.programmes[slug].title,
                "url": f"/programmi/{slug}/",
                "text": text,
                **_reason(model, slug, c),
            }
        )
    return out


def _reason(model, slug: str, c) -> dict:
    g: Glance = model.glance
    for sel, why, anchor_id in g.defects.get(slug, []):
        if _selects(sel, c):
            return {
                "reason": "fonte incompleta",
                "explanation": why,
                "link": f"/dati/qualita/#{anchor_id}",
            }
    date = g.dates.get(slug)
    preds = [model.comuni[h] for h in model.predecessors.get(c.istat, [])]
    if date and preds and all((h.suppressed or "") > date for h in preds):
        names = ", ".join(h.name for h in preds)
        return {
            "reason": "comune istituito dopo",
            "explanation": f"{c.name} è nato dalla fusione di {names}, dopo il documento "
            f"({formatting.date_it(date)}), che nomina i comuni di allora.",
            "link": None,
        }
    names = g.unresolved.get(slug, {}).get(c.province_sigla)
    if names:
        shown = ", ".join(f"«{n['query']}»" for n in names[:5])
        more = f" e altri {len(names) - 5}" if len(names) > 5 else ""
        return {
            "reason": "nomi non risolti",
            "explanation": f"Nella provincia di {c.province} il documento stampa "
            f"{'un nome' if len(names) == 1 else formatting.num(len(names)) + ' nomi'} "
            f"che non è stato possibile ricondurre a un comune ({shown}{more}): "
            f"{c.name} potrebbe essere {'quello' if len(names) == 1 else 'uno di questi'}.",
            "link": f"/dati/qualita/#{names[0]['anchor']}",
        }
    return {"reason": "non elencato", "explanation": "", "link": None}


# -- the province page ---------------------------------------------------------------------
def province_rankings(model, sigla: str) -> list[dict]:
    """One ranking per summary that ranks comuni (``rank`` not false): the comuni of the
    province by the compared measure, highest first, with the key figure beside it."""
    out = []
    g: Glance = model.glance
    for slug in sorted(g.summaries, key=lambda s: model.programmes[s].title):
        for s in g.summaries[slug]:
            m = s.measure
            if m is None or s.decl.get("rank") is False:
                continue
            codes = s.stats[m].ranking_province.get(sigla)
            if not codes:
                continue
            cols = [m] + (["value"] if m == "per" else [])
            heads = {
                "per": f"{(s.decl.get('label') or 'valore').capitalize()} {s.per_label}",
                "value": (s.decl.get("label") or "valore").capitalize(),
            }
            rows = []
            for code in codes:
                rank = s.stats[m].rank_province[code]
                rows.append(
                    {
                        "rank": rank[0],
                        "istat": code,
                        "name": model.comuni[code].name,
                        "url": f"/comuni/{code}/",
                        "values": [
                            {
                                "text": s.fmt(k)(s.stats[k].values.get(code)),
                                "sort": str(s.stats[k].values.get(code, "")),
                            }
                            for k in cols
                        ],
                    }
                )
            out.append(
                {
                    "key": s.key,
                    "programme": slug,
                    "url": f"/programmi/{slug}/",
                    "title": s.decl.get("title") or model.programmes[slug].title,
                    "label": s.label,
                    "head": [heads[k] for k in cols],
                    "rows": rows,
                }
            )
    return out


# -- the comparison of two comuni (/confronta/<a>-<b>/) ----------------------------------------
def card(model, istat: str) -> dict:
    """What a comparison shows of one comune: identity and its summaries (sentence and
    figures), by summary key."""
    c = model.comuni[istat]
    g: Glance = model.glance
    ix = _index(model)
    mine = {id(ix["summaries"][i][1]) for i in ix["by_comune"].get(istat, ())}
    items = {}
    for slug in g.summaries:
        for s in g.summaries[slug]:
            if id(s) not in mine:  # no row for it: no sentence (views.sentence)
                continue
            # the declared sentence only: its ranks and medians are in the table
            segs = views.sentence(s, istat, model.registry, context=False)
            if segs:
                items[s.key] = {
                    "text": "".join(x["text"] for x in segs),
                    "figures": figures(s, istat),
                }
    return {
        "istat": istat,
        "name": c.name,
        "url": f"/comuni/{istat}/",
        "province": c.province,
        "sigla": c.province_sigla,
        "region": c.region,
        "population": c.population,
        "population_0_6": c.population_0_6,
        "items": items,
    }


def summary_order(model) -> list[tuple[str, str, str]]:
    """``(programme slug, summary key, title)`` of every summary, in the order a comparison
    page shows them: what :func:`pair_context` reads besides the two cards."""
    g: Glance = model.glance
    return [
        (slug, s.key, s.decl.get("title") or model.programmes[slug].title)
        for slug in sorted(g.summaries, key=lambda s: model.programmes[s].title)
        for s in g.summaries[slug]
    ]


def pair_context(model, a: dict, b: dict, order: list | None = None) -> dict:
    """Two comuni side by side: identity, then every summary either of them has (its figures
    in a table, its sentences below), in programme order (``order``: :func:`summary_order`,
    computed here if not given)."""
    rows = [
        ["Provincia", f"{a['province']} ({a['sigla']})", f"{b['province']} ({b['sigla']})"],
        ["Regione", a["region"], b["region"]],
        [
            "Popolazione (ISTAT 2023)",
            formatting.num(a["population"]),
            formatting.num(b["population"]),
        ],
        [
            "Bambini 0-6 anni",
            formatting.num(a["population_0_6"]),
            formatting.num(b["population_0_6"]),
        ],
    ]
    programmes = []
    for slug, key, title in summary_order(model) if order is None else order:
        ia, ib = a["items"].get(key), b["items"].get(key)
        if not ia and not ib:
            continue
        for which in ("value", "per", "rank_province", "rank_region"):
            fa = (ia or {}).get("figures", {}).get(which)
            fb = (ib or {}).get("figures", {}).get(which)
            if fa or fb:
                label = (fa or fb)["label"]
                rows.append(
                    [f"{title}: {label}", fa["text"] if fa else "–", fb["text"] if fb else "–"]
                )
        programmes.append(
            {
                "key": key,
                "title": title,
                "url": f"/programmi/{slug}/",
                "a": ia["text"] if ia else f"{a['name']} non compare.",
                "b": ib["text"] if ib else f"{b['name']} non compare.",
            }
        )
    return {
        "a": {
            **{k: a[k] for k in ("istat", "name", "url")},
            "label": f"{a['name']} ({a['sigla']})",
        },
        "b": {
            **{k: b[k] for k in ("istat", "name", "url")},
            "label": f"{b['name']} ({b['sigla']})",
        },
        "rows": rows,
        "programmes": programmes,
        "url": compare_url(a["istat"], b["istat"]),
    }


# -- the programme sections of the comune page ---------------------------------------------------
def fact_groups(programme: dict) -> list[dict]:
    """A programme's facts as the page lays them out: the rows of one table (and of one
    comune, itself or a predecessor) together; one row reads as label/value pairs, several
    as one table with a column per field (Milan in five collegi: one table of five rows)."""
    groups: list[dict] = []
    for f in programme["facts"]:
        key = (f["table"], (f.get("via") or {}).get("istat"))
        if not groups or groups[-1]["key"] != key:
            groups.append({"key": key, "title": f["table_title"], "via": f.get("via"), "facts": []})
        groups[-1]["facts"].append(f)
    for g in groups:
        if len(g["facts"]) > 1:
            g["columns"] = _union(f["display"] for f in g["facts"])
            g["rows"] = [[dict(f["display"]).get(c, "–") for c in g["columns"]] for f in g["facts"]]
            g["extra_columns"] = _union([(x["label"], 0) for x in f["extra"]] for f in g["facts"])
            g["tech_columns"] = _union(f["technical"] for f in g["facts"])
    return groups


def _union(pairs_lists) -> list[str]:
    seen: dict[str, None] = {}
    for pairs in pairs_lists:
        for label, _ in pairs:
            seen.setdefault(label, None)
    return list(seen)


# -- a comune page with many programmes ---------------------------------------------------
# A comune named by hundreds of documents (a corpus of 1,000 bulletins) would get a page of
# megabytes. Past these limits the page shows the most recent programmes in full and the
# others as one line each (title, rows, source); the JSON twin and the CSV keep every row.
# Past ``rest`` one-line entries, the page shows the ``rest`` newest and links the list of
# all of them: ``/comuni/<istat>/programmi/``, ``rest_page`` lines per page (rest_pages).
PAGE_LIMITS = {
    "programmes": 10,
    "gaps": 10,
    "mentions": 10,
    "mention_acts": 10,
    "rest": 20,
    "rest_page": 200,
}
# ... and a page's size: past PAGE_BUDGET bytes of HTML (programmes with many rows, a comune
# with merged predecessors), fewer programmes are shown in full, the oldest first becoming
# one-line entries (render.comune_html), down to none. Everything else on the page is cut
# by PAGE_LIMITS, so the page stays within the budget however many documents name it.
PAGE_BUDGET = 60_000


def rest_pages(istat: str, rest: list[dict]) -> list[dict]:
    """The pages listing every programme a comune page gives one line (``rest``, in the
    page's order): none when the page shows them all, else ``{"url", "number", "rows"}``
    of ``PAGE_LIMITS["rest_page"]`` lines each (``/comuni/<istat>/programmi/``, then
    ``…/programmi/2/``, …)."""
    if len(rest) <= PAGE_LIMITS["rest"]:
        return []
    size = PAGE_LIMITS["rest_page"]
    base = f"/comuni/{istat}/programmi/"
    return [
        {
            "url": base if i == 0 else f"{base}{i // size + 1}/",
            "number": i // size + 1,
            "rows": rest[i : i + size],
        }
        for i in range(0, len(rest), size)
    ]


def page_selection(model, ctx: dict, limit: int | None = None) -> dict:
    """Which programmes a comune page shows in full (``full``: slugs) and the one-line
    entries of the others (``rest``, in the page's order): all in full up to ``limit``
    (``PAGE_LIMITS["programmes"]``), else those whose newest source document is the most
    recent (then by title)."""
    progs = ctx["programmes"]
    if limit is None:
        limit = PAGE_LIMITS["programmes"]
    if len(progs) <= limit:
        return {"full": [p["slug"] for p in progs], "rest": []}

    def newest(p: dict) -> str:
        dates = [
            str(model.documents[f["source"]["document"]].doc.meta.get("date") or "")
            for f in p["facts"]
            if f["source"]["document"] in model.documents
        ]
        return max(dates, default="")

    ranked = sorted(progs, key=lambda p: (newest(p), p["title"]), reverse=True)
    full = {p["slug"] for p in ranked[:limit]}
    # past PAGE_LIMITS["rest"] one-line entries, the page lists the newest ones (in the
    # page's order) and links the pages of them all (rest_pages)
    shown = {p["slug"] for p in ranked[limit : limit + PAGE_LIMITS["rest"]]}
    rest = [
        {
            "slug": p["slug"],
            "title": p["title"],
            "url": p["url"],
            "rows": len(p["facts"]),
            "date": newest(p) or None,
            "documents": sorted({f["source"]["document"] for f in p["facts"]}),
        }
        for p in progs
        if p["slug"] not in full
    ]
    out = {"full": [p["slug"] for p in progs if p["slug"] in full], "rest": rest}
    # "Fonte" (come citare): the documents of the programmes in full; the others' are on
    # their lines
    out["sources"] = sorted(
        {f["source"]["document"] for p in progs if p["slug"] in full for f in p["facts"]}
    )
    if len(rest) > PAGE_LIMITS["rest"]:
        out["shown"] = [r for r in rest if r["slug"] in shown]
        out["pages"] = [
            {"url": x["url"], "number": x["number"], "count": len(x["rows"])}
            for x in rest_pages(ctx["istat"], rest)
        ]
    return out
