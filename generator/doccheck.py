"""``comuni-aperti check data/sources/FILE``: one document through sources, parse and checks,
in seconds, and what CI will do with it.

It runs exactly the build's stages for that document (the manifest entry and its hash,
the parser and the specs, the line accounting, the known defects) and prints, for a
maintainer: the tables with their rows, every rejected line with its reason, the checks
(failed first, with declared and parsed values and the explanation), the names that did
not resolve, and the verdict of ``build --strict``: the blocking problems one by one, each
with the file to edit to fix or document it. Exit status 1 when CI would fail.
"""

from __future__ import annotations

import io
from pathlib import Path

from . import parse, quality, registry, sources
from .quality import Log


def main_doccheck(file: str) -> int:
    path = Path(file).resolve()
    log = Log(stream=io.StringIO(), quiet=True)
    docs = [d for d in sources.discover(log) if d.path.resolve() == path]
    own = [p for p in log.problems if p.file and Path(p.file).name in (path.name, "sources.yaml")]
    if not docs:
        print(f"{file}: not a document of data/sources/sources.yaml (or its entry has errors):")
        for p in own or log.problems[:10]:
            print(f"  {p}")
        print("Add its entry to data/sources/sources.yaml (README, 'Adding a document').")
        return 1
    doc = docs[0]
    before = len(log.problems)
    out = parse.parse_document(doc, registry.load(), log)
    result, resolutions = out if out else (None, [])
    if result is not None:
        parse.collect(doc, result, resolutions, {}, [], log)
    print(
        f"{doc.path.name} ({doc.id}): {len(doc.lines)} righe; parser: {doc.parser or '-'}; "
        f"spec: {', '.join(doc.meta.get('specs') or []) or '-'}"
    )
    checks = result.checks if result else []
    quality.mark_known_checks(checks, log.known)
    if result is None:
        print(
            "  nessun parser né spec: il documento avrà la sua pagina, senza dataset "
            "('comuni-aperti inspect' stampa una spec di partenza)"
        )
    else:
        _print_result(result)
    problems = [p for p in log.problems[before:]] + own
    blocking = _blocking(log, problems, checks, result.rejects if result else [])
    _print_problems(problems, resolutions)
    if blocking:
        print(f"\nCI (build --strict) FALLISCE: {len(blocking)} problemi bloccanti")
        for b in blocking:
            print(f"  {b}")
        return 1
    print("\nCI (build --strict): passa per questo documento")
    return 0


def _print_result(result) -> None:
    for ds in result.datasets:
        for t in ds.tables:
            rej = [x for x in result.rejects if x.table == t.name]
            print(
                f"  {ds.name}/{t.name}: {len(t.rows)} righe pubblicate, "
                f"{t.lines_in or 0} righe candidate, {len(rej)} scartate"
            )
    for x in result.rejects:
        print(f"    riga {x.line} scartata ({x.table}): {x.reason}")
    failed = [c for c in result.checks if not c.passed]
    print(f"  verifiche: {len(result.checks) - len(failed)} superate, {len(failed)} fallite")
    for c in failed:
        print(
            f"    {'nota' if c.known else 'FALLITA'} [{c.id}] riga {c.line_start}: "
            f"{c.description}: dichiarato {c.declared!r}, letto {c.parsed!r}"
            + (f" -- {c.explanation}" if c.explanation else "")
        )


def _print_problems(problems, resolutions) -> None:
    unresolved = [r for r in resolutions if r.status != "resolved"]
    if unresolved:
        print(f"  nomi non risolti: {len(unresolved)}")
        for r in unresolved[:30]:
            print(f"    riga {r.line}: {r.query!r} ({r.status}{'; ' + r.note if r.note else ''})")
    others = [p for p in problems if p.code != "unresolved-name"]
    for p in others:
        print(f"  {'(documentato) ' if p.known else ''}{p}")


def _blocking(log: Log, problems, checks, rejects) -> list[str]:
    """``Log.blocking`` for this document (each line says which file fixes or documents it)."""
    scratch = Log(stream=io.StringIO(), quiet=True)
    scratch.problems = list(problems)
    return scratch.blocking(checks, rejects)
