"""What a build changes, in a few lines of Markdown: for the CI job summary and the pull request.

Each build records a small digest of what it published (documents and their hashes, rows
per table, comuni with facts, failed checks, warnings, documents no parser or spec reads
yet) in ``.cache/summary-<key>/digest.json``, one folder per output folder, and compares it
with the digest of the previous build of the same folder (kept by the CI cache from the
last build of ``main``). The summary says: documents added, changed or removed;
datasets and rows added or removed; comune pages whose facts changed; checks that fail and
warnings that are new; and what ``--strict`` thinks of it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .formatting import num


def digest(docs, datasets, model, checks, log) -> dict:
    """The state a summary compares (small: no rows, only counts and ids)."""
    facts = {istat: model.facts.count(istat) for istat in model.facts} if model else {}
    return {
        "documents": {d.id: d.sha256 for d in docs},
        "tables": {f"{ds.name}/{t.name}": len(t.rows) for ds in datasets for t in ds.tables},
        "facts": facts,
        "failed_checks": sorted(f"{c.doc_id}:{c.id}" for c in checks if not c.passed),
        "warnings": sorted({str(p) for p in log.problems if p.level == "warning" and not p.known}),
        # published with their page only: nothing reads their tables yet
        "unread": sorted(d.id for d in docs if not d.parser and not d.meta.get("specs")),
    }


def markdown(prev: dict | None, cur: dict, blocking: list[str]) -> str:
    """The change summary (Italian, for maintainers reading CI)."""
    first = prev is None
    prev = prev or {"documents": {}, "tables": {}, "facts": {}, "failed_checks": [], "warnings": []}
    out = ["## Comuni aperti: che cosa cambia", ""]
    if first:
        out += [
            "Prima build di questa cartella: tutto è nuovo (nessuna build precedente con cui "
            "confrontare).",
            "",
        ]
    pd, cd = prev["documents"], cur["documents"]
    added = sorted(set(cd) - set(pd))
    changed = sorted(k for k in set(cd) & set(pd) if cd[k] != pd[k])
    removed = sorted(set(pd) - set(cd))
    out.append(
        f"- **Documenti**: {len(cd)} ({_list('aggiunti', added)}{_list('modificati', changed)}"
        f"{_list('rimossi', removed)})".replace("(, ", "(").replace(" ()", "")
    )
    unread = cur.get("unread") or []
    if unread:
        out.append(
            f"- **Documenti senza parser né spec**: {len(unread)} "
            f"({', '.join(f'`{d}`' for d in unread[:10])}): pubblicati con la loro pagina "
            "(testo, comuni citati, tabelle candidate); `comuni-aperti inspect` propone una spec"
        )
    rows = _table_changes(prev["tables"], cur["tables"])
    out.append(
        f"- **Dataset e righe**: {num(sum(cur['tables'].values()))} righe in "
        f"{len(cur['tables'])} tabelle"
        + (": " + "; ".join(rows[:40]) if rows else ", nessuna differenza")
    )
    pf, cf = prev["facts"], cur["facts"]
    touched = sorted(k for k in set(pf) | set(cf) if pf.get(k) != cf.get(k))
    out.append(
        f"- **Pagine dei comuni con dati cambiati**: {len(touched)}"
        + (f" (es. {', '.join(f'`{k}`' for k in touched[:8])})" if touched else "")
    )
    new_failed = sorted(set(cur["failed_checks"]) - set(prev["failed_checks"]))
    if first:
        new_failed = []
    fixed = sorted(set(prev["failed_checks"]) - set(cur["failed_checks"]))
    out.append(
        f"- **Verifiche non superate**: {len(cur['failed_checks'])}"
        + (f", nuove: {', '.join(f'`{c}`' for c in new_failed[:10])}" if new_failed else "")
        + (f", risolte: {len(fixed)}" if fixed else "")
    )
    new_warn = sorted(set(cur["warnings"]) - set(prev["warnings"]))
    out.append(f"- **Avvisi nuovi**: {len(new_warn)}")
    out += [f"  - `{w}`" for w in new_warn[:15]]
    if blocking:
        out += ["", f"**`build --strict` fallisce: {len(blocking)} problemi bloccanti**", ""]
        out += [
            f"- `{b.splitlines()[0]}`"
            + (f"  \n  {b.splitlines()[1].strip()}" if len(b.splitlines()) > 1 else "")
            for b in blocking[:30]
        ]
    else:
        out += ["", "`build --strict`: nessun problema bloccante."]
    return "\n".join(out) + "\n"


def _list(label: str, items: list[str]) -> str:
    return f", {label}: {', '.join(f'`{i}`' for i in items)}" if items else ""


def _table_changes(prev: dict, cur: dict) -> list[str]:
    out = []
    for k in sorted(set(prev) | set(cur)):
        a, b = prev.get(k), cur.get(k)
        if a is None:
            out.append(f"`{k}` nuova ({b} righe)")
        elif b is None:
            out.append(f"`{k}` rimossa ({a} righe)")
        elif a != b:
            out.append(f"`{k}` {a} → {b} righe ({b - a:+d})")
    return out


def folder(cache_dir: Path, site_dir: Path) -> Path:
    """Where the digest and summary of the output folder ``site_dir`` live: one folder per
    output folder, keyed like its output manifest (and pruned with it), so a build into
    another folder (the tests' site, a preview) never becomes the previous build of
    ``site/``."""
    from .output import manifest_key

    return Path(cache_dir) / f"summary-{manifest_key(site_dir)}"


def write(cache_dir: Path, cur: dict, blocking: list[str], site_dir: Path) -> Path:
    """Write ``summary.md`` beside the digests of ``site_dir``; the current digest becomes
    the previous one only when the build published (a failed build is compared again next
    time). Both files are replaced atomically."""
    from .output import site_key

    root, box = Path(cache_dir), folder(cache_dir, site_dir)
    box.mkdir(parents=True, exist_ok=True)
    prev_path = box / "digest.json"
    # the one digest of earlier versions (.cache/digest.json) was site/'s: read it once, so
    # the first summary after an upgrade still compares with the last build of main
    legacy = root / "digest.json"
    source = prev_path if prev_path.is_file() or site_key(site_dir) != "site" else legacy
    prev = None
    if source.is_file():
        try:
            prev = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            prev = None
    out = box / "summary.md"
    _replace(out, markdown(prev, cur, blocking))
    if not blocking:
        _replace(prev_path, json.dumps(cur, sort_keys=True))
        if source == legacy:
            for old in (legacy, root / "summary.md"):
                old.unlink(missing_ok=True)
    return out


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
