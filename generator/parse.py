"""Stage 2: every document read by its parser and its table specs, and proved.

For each document of the manifest:

1. a bulletin (``kind: bollettino``) is split into its acts (``extract/acts.py``); its Python
   parser (``parser:`` in sources.yaml), if it has one, reads what only code can;
2. its table specs (``specs:``), if any, add their tables (``generator/specs``), seeing the
   acts the parser found;
3. the parser's ``complete()`` step cross-checks what the specs produced;
4. the line accounting is enforced: every candidate line of every table is published or
   rejected (an error otherwise, which fails ``--strict``).

A document with neither parser nor spec is a normal state (it still gets its page, its
comune mentions and its candidate tables); a parser or spec that fails is reported with
the document and the spec line, and the other documents go on. Results are cached by
document hash, parser code and the document's spec files (``cache.py``).
"""

from __future__ import annotations

import traceback
from pathlib import Path

from . import cache as cache_mod
from . import privacy, specs
from .extract import acts
from .extract.fields import check_name
from .extract.recorder import accounting_errors
from .extract.result import ParseContext, ParseResult
from .parsers import BROKEN as BROKEN_PARSERS
from .parsers import get as get_parser
from .quality import Log
from .registry import Registry
from .screen import screen_text


def doc_file(doc) -> str:
    """How parse-stage problems name a document: ``data/sources/<file>``, the key used by
    ``data/known-defects/`` (the same wherever the sources folder is)."""
    return f"data/sources/{doc.path.name}"


def parse_all(
    docs,
    reg: Registry,
    log: Log,
    cache_dir: Path | None = None,
    code: str = "",
    workers: int = 1,
):
    """``({doc_id: ParseResult}, [ResolutionRecord])`` for the documents that have a parser
    or a spec (the others are left out: they have no dataset). ``code``: what the cached
    results depend on besides each document (``cache.parse_code``). The documents not in
    the cache are parsed by ``workers`` forked processes (a corpus of hundreds of
    bulletins, cold); what they report is replayed here in the documents' order, so the
    log, the results and the cache are those of a parse in this process."""
    results: dict[str, ParseResult] = {}
    resolutions = []
    hits = {}
    for doc in docs:
        try:
            hit = cache_mod.load_parse(cache_dir, doc, code) if cache_dir else None
        except cache_mod.CorruptEntry as e:
            log.info(f"warning: {e}: discarded, document parsed again")
            hit = None
        if hit is not None:
            hits[doc.id] = hit
    misses = [d for d in docs if d.id not in hits]
    pool, jobs = _pool(workers, misses, reg), {}
    try:
        if pool is not None:
            for d in sorted(misses, key=lambda d: -len(d.lines)):  # the longest first
                jobs[d.id] = pool.submit(_parse_job, d.id)
        for doc in docs:
            if doc.id in hits:
                res, recs, problems = hits[doc.id]
                for p in problems:
                    log.replay(p)
                collect(doc, res, recs, results, resolutions, log)
                continue
            if doc.id in jobs:
                out, problems, infos = jobs[doc.id].result()
                for message in infos:
                    log.info(message)
                for p in problems:
                    log.replay(p)
            else:
                before = len(log.problems)
                out = _parse_and_screen(doc, reg, log)
                problems = log.problems[before:]
            if out is None:
                continue
            res, recs = out
            if cache_dir:
                cache_mod.save_parse(cache_dir, doc, code, res, recs, problems)
            collect(doc, res, recs, results, resolutions, log)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
            _JOB.clear()
    return results, resolutions


def _parse_and_screen(doc, reg: Registry, log: Log):
    out = parse_document(doc, reg, log)
    if out is not None:
        screen_text(out[0], log, doc_file(doc))
        out[0].redacted = privacy.changes(doc.lines, out[0].private)
    return out


# -- parsing in forked processes ------------------------------------------------------------
_JOB: dict = {}  # set before the fork: the documents to parse, the registry


class _Captured(Log):
    """A worker's log: problems and messages kept, to be replayed (and matched with the
    known defects) by the build's log."""

    def __init__(self):  # noqa: D107 - no known defects to load: the build's log has them
        self.problems, self.infos = [], []
        self.stream, self.quiet, self.known = None, True, {}

    def _add(self, p):
        self.problems.append(p)

    def info(self, message: str):
        self.infos.append(message)


def _parse_job(doc_id: str):
    log = _Captured()
    out = _parse_and_screen(_JOB["docs"][doc_id], _JOB["reg"], log)
    return out, log.problems, log.infos


def _pool(workers: int, misses: list, reg: Registry):
    """Forked processes for ``misses`` (None for one worker, fewer than two documents or
    no fork)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from . import guard

    n = min(workers, len(misses))
    if n < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    _JOB.update(docs={d.id: d for d in misses}, reg=reg)
    return ProcessPoolExecutor(
        n, mp_context=multiprocessing.get_context("fork"), initializer=guard.die_with_parent
    )


def parse_document(doc, reg: Registry, log: Log):
    """``(ParseResult, resolutions)`` of one document, or None when it has nothing to parse
    it with or its parser cannot run."""
    file = doc_file(doc)
    spec_names = list(doc.meta.get("specs") or [])
    parser = get_parser(doc.parser) if doc.parser else None
    if doc.parser and parser is None:
        if doc.parser in BROKEN_PARSERS:
            log.error(
                "parser-broken",
                f"parser module {doc.parser} does not import: {BROKEN_PARSERS[doc.parser]}",
                file,
            )
        return None  # an unknown family is reported by the sources stage
    if parser is None and not spec_names:
        log.info(
            f"  {file}: no parser or spec yet: the document gets its page, mentions and "
            "candidate tables ('comuni-aperti inspect' prints starter specs)"
        )
        return None
    ctx = ParseContext(reg, log, doc.id, file)
    try:
        res = parser.parse(doc, ctx) if parser else ParseResult()
        if doc.meta.get("kind") == "bollettino" and not res.acts:
            res.acts = acts.parse_acts(doc, ctx)
            res.checks += acts.act_checks(doc, res.acts)
    except Exception as e:  # a parser bug or a layout it does not know: report, go on
        tb = traceback.extract_tb(e.__traceback__)[-1]
        log.error(
            "parser-failed",
            f"parser {doc.parser} failed: {type(e).__name__}: {e} "
            f"(at {Path(tb.filename).name}:{tb.lineno})",
            file,
        )
        return None
    for name in spec_names:
        try:
            specs.apply(specs.load(name), doc, ctx, res)
        except specs.SpecError as e:
            log.error("spec-invalid", f"{e.where}: {e.message}", file)
        except Exception as e:  # noqa: BLE001 - an engine bug must not stop the build
            tb = traceback.extract_tb(e.__traceback__)[-1]
            log.error(
                "spec-failed",
                f"spec {name} failed: {type(e).__name__}: {e} "
                f"(at {Path(tb.filename).name}:{tb.lineno})",
                file,
            )
    if parser:
        try:
            parser.complete(doc, ctx, res)
        except Exception as e:  # noqa: BLE001 - as for parse: report, go on
            tb = traceback.extract_tb(e.__traceback__)[-1]
            log.error(
                "parser-failed",
                f"parser {doc.parser} (complete step) failed: "
                f"{type(e).__name__}: {e} (at {Path(tb.filename).name}:{tb.lineno})",
                file,
            )
    for err in accounting_errors(doc, res):
        log.error("unaccounted-lines", err, file)
    for ds in res.datasets:
        for t in ds.tables:
            for f in t.fields:
                why = check_name(f["name"], common_ok=True)
                if why:
                    log.error("column-name", f"{ds.name}/{t.name}: {why} (docs/columns.md)", file)
    return res, ctx.resolutions


def collect(doc, res: ParseResult, recs, results, resolutions, log: Log) -> None:
    results[doc.id] = res
    resolutions += recs
    for r in recs:
        if r.status != "resolved":
            log.warning(
                "unresolved-name",
                f"{r.status} comune name {r.query!r}" + (f" ({r.note})" if r.note else ""),
                doc_file(doc),
                r.line,
            )
    for c in res.checks:
        c.doc_id = c.doc_id or doc.id
