"""Add one document to a site built before: what it costs, and whether the result is the
cold build's, byte for byte (issue 13, target 1).

In a temporary project root (``COMUNI_APERTI_ROOT``, a copy of data/ templates/ content/
static/), each run, in fresh processes:

1. **cold without** the document: its manifest entry, its text, the specs only it names, the
   programme pages only it sources and its known defects are set aside; no ``.cache/``,
   no site;
2. **no-change** rebuild of the same inputs;
3. **add one**: the document's files put back, rebuilt with warm caches (``.cache/`` and the
   previous site present);
4. **cold** build of the same inputs as 3 (fresh ``.cache/``, another output folder).

Runs alternate these steps (``--runs N``). Prints seconds (per stage), files written, peak
RSS of the build process and of its largest child, the load average before each build;
CPU seconds of each build's process tree (less sensitive than wall time to other jobs);
which outputs the added document changed (comune pages and others); the ratio add-one /
cold (target <= 0.15); and whether the incremental site is byte-identical to the cold one
(files that differ, listed).

The document (``--doc``, default ``smart-polizia-locale-2025``: the Lombardy SMART list,
458 rows naming 337 comuni of one region, read by a Python parser) keeps its registry
aliases in both states by default: adding an alias changes the registry, which every
cached parse result depends on; ``--with-aliases`` sets them aside too (a document that
brings new aliases).

Usage: python bench/incremental_bench.py [--runs N] [--no-search] [--doc ID] [--with-aliases]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

from _common import (
    Trash,
    compare_trees,
    copy_project,
    load,
    memory_line,
    outputs,
    run_build,
    stages_line,
    tree_hashes,
)

DEFAULT_DOC = "smart-polizia-locale-2025"


def document_files(root: Path, doc_id: str, aliases: bool) -> tuple[dict, list[Path]]:
    """The manifest entry of ``doc_id`` and the files that come with it: its text, the
    specs no other document names, the programme pages only it sources, its known
    defects (and, with ``aliases``, its registry aliases)."""
    manifest = yaml.safe_load((root / "data/sources/sources.yaml").read_text(encoding="utf-8"))
    docs = manifest["documents"]
    entry = next((e for e in docs if e["id"] == doc_id), None)
    if entry is None:
        raise SystemExit(f"no document {doc_id!r} in data/sources/sources.yaml")
    files = [root / "data/sources" / entry["file"]]
    others = {s for e in docs if e["id"] != doc_id for s in e.get("specs") or []}
    files += [
        root / "data/specs" / f"{s}.yaml" for s in entry.get("specs") or [] if s not in others
    ]
    for page in sorted((root / "content/programmi").glob("*.md")):
        front = page.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front[1]) if len(front) == 3 else {}
        if (meta or {}).get("sources") == [doc_id]:
            files.append(page)
    files += sorted((root / "data/known-defects").glob(f"{doc_id}*.yaml"))
    if aliases:
        files += sorted((root / "data/registry/aliases").glob(f"{doc_id}*.csv"))
    return entry, [f for f in files if f.is_file()]


class Document:
    """Takes one document out of the project at ``root`` and puts it back."""

    def __init__(self, root: Path, doc_id: str, aliases: bool):
        self.root, self.doc_id = root, doc_id
        self.manifest = root / "data/sources/sources.yaml"
        self.full = self.manifest.read_text(encoding="utf-8")
        self.entry, self.files = document_files(root, doc_id, aliases)
        self.saved = {f: f.read_bytes() for f in self.files}

    def remove(self) -> None:
        m = yaml.safe_load(self.full)
        m["documents"] = [e for e in m["documents"] if e["id"] != self.doc_id]
        # the other entries as they were, keys in their order (a document is removed, not
        # every entry rewritten: a page shows its entry's keys in the manifest's order)
        self.manifest.write_text(
            yaml.safe_dump(m, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        for f in self.files:
            f.unlink()

    def restore(self) -> None:
        for f, data in self.saved.items():
            f.write_bytes(data)
        self.manifest.write_text(self.full, encoding="utf-8")


def build(label: str, root: Path, site: Path, search: bool) -> dict:
    before = load()
    r = run_build(root, site, search)
    r["load"] = before
    print(
        f"  {label:>16}: {r['total']:7.2f} s (process {r['wall']:.2f} s, CPU {r['cpu']:.2f} s, of which system {r['system']:.2f} s) | written "
        f"{r['written']} of {r['files']} files | {before}\n"
        f"  {'':>16}  {memory_line(r)}\n"
        f"  {'':>16}  {stages_line(r['stages'])}"
        + "".join(f"\n  {'':>16}  {line}" for line in r.get("reuse", ())),
        flush=True,
    )
    return r


def kind(rel: str) -> str:
    """The output kind of a site path, for the changed-files summary."""
    parts = rel.split("/")
    if parts[0] == "comuni" and len(parts) == 3 and parts[2] == "index.html":
        return "comune pages"
    if parts[0] == "comuni" and len(parts) == 3:
        return "comuni/ (twins, feeds)"
    return parts[0] + "/" if len(parts) > 1 else "top-level files"


def changed_outputs(before: dict[str, str], after: dict[str, str]) -> Counter:
    changed = [k for k in before.keys() & after.keys() if before[k] != after[k]]
    out = Counter(kind(k) for k in changed)
    out["(added)"] = len(after.keys() - before.keys())
    out["(removed)"] = len(before.keys() - after.keys())
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-search", action="store_true")
    ap.add_argument("--doc", default=DEFAULT_DOC, help="the document added (manifest id)")
    ap.add_argument("--with-aliases", action="store_true", help="the document brings aliases")
    args = ap.parse_args()
    search = not args.no_search
    tmp = Path(tempfile.mkdtemp(prefix="incremental-bench-"))
    trash = Trash(tmp)
    rows = []
    try:
        root = copy_project(tmp / "root")
        doc = Document(root, args.doc, args.with_aliases)
        print(
            f"document added: {args.doc} ({len(doc.files)} files: "
            + ", ".join(str(f.relative_to(root)) for f in doc.files)
            + f"); search index {'on' if search else 'off'}"
        )
        site, cold_site = tmp / "site", tmp / "site-cold"
        for i in range(args.runs):
            print(f"run {i + 1}:")
            trash(*outputs(site), *outputs(cold_site), root / ".cache")
            doc.remove()
            without = build("cold without", root, site, search)
            same = build("no-change", root, site, search)
            hashes_without = tree_hashes(site)
            doc.restore()
            add = build("add one", root, site, search)
            touched = changed_outputs(hashes_without, tree_hashes(site))
            trash(root / ".cache")  # cold_site has no spare tree: it was never built over
            cold = build("cold", root, cold_site, search)
            differ, only_inc, only_cold = compare_trees(site, cold_site)
            print(
                "  the document changed: "
                + ", ".join(f"{k} {v}" for k, v in sorted(touched.items()) if v)
            )
            print(
                f"  add one / cold = {add['total'] / cold['total']:.3f} (target <= 0.15; "
                f"CPU: {add['cpu'] / cold['cpu']:.3f}); "
                f"no-change / cold = {same['total'] / cold['total']:.3f}"
            )
            print(
                f"  incremental vs cold site: {len(differ)} files differ, {len(only_inc)} only "
                f"in the incremental, {len(only_cold)} only in the cold"
                + ("" if differ or only_inc or only_cold else " (byte-identical)")
            )
            for rel in (differ + only_inc + only_cold)[:10]:
                print(f"    {rel}")
            rows.append((without, same, add, cold, touched, len(differ + only_inc + only_cold)))
        if args.runs > 1:
            for key, what in (("total", "build()"), ("cpu", "CPU")):
                med = {
                    k: statistics.median(r[j][key] for r in rows)
                    for j, k in enumerate(("cold without", "no-change", "add one", "cold"))
                }
                print(
                    f"median of {args.runs} runs ({what}): "
                    + ", ".join(f"{k} {v:.2f} s" for k, v in med.items())
                    + f"; add one / cold = {med['add one'] / med['cold']:.3f}"
                )
    finally:
        trash.empty()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
