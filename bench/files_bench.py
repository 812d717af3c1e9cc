"""What only creating the site's files costs on this machine (issue 13, target 2).

A cold build writes every file of the site into a new tree: 61,000 files in 18,500
folders for the real corpus, where Hugo + Pagefind write about 16,000. On the 2-core
machine the render stage spends most of its CPU in the kernel (``vmstat``: 70-80 % system
time while it runs), so this bench measures that floor apart from the build: it takes the
file list of a built site (the sizes of its files, the folders they are in) and writes
files of those sizes into a new tree on the same filesystem, in 2 processes as the render
does (each its half of the folders), without rendering anything (the trees are
removed after the last run, and the disk synced before each). Then the same for a
Hugo-like site of ``--hugo-pages`` pages (one folder and one page each, plus as many
Pagefind fragments in one folder). Prints, per run: wall seconds, user and system CPU
seconds, microseconds per file; and the medians.

Usage: python bench/files_bench.py [--site site] [--runs 3] [--hugo-pages 7900]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import settle

ROOT = Path(__file__).resolve().parent.parent


def layout(site: Path) -> tuple[list[str], list[tuple[str, int]]]:
    """The folders (relative, parents first) and the files (relative path, size) of
    ``site``."""
    folders, files = [], []
    stack = [""]
    while stack:
        d = stack.pop()
        with os.scandir(site / d if d else site) as it:
            for e in it:
                rel = f"{d}/{e.name}" if d else e.name
                if e.is_dir(follow_symlinks=False):
                    folders.append(rel)
                    stack.append(rel)
                elif e.is_file(follow_symlinks=False):
                    files.append((rel, e.stat(follow_symlinks=False).st_size))
    folders.sort(key=lambda f: f.count("/"))
    return folders, files


def hugo_layout(pages: int) -> tuple[list[str], list[tuple[str, int]]]:
    """Hugo's output for ``pages`` pages (a folder and an index.html each, 6 kB) and
    Pagefind's fragments (one per page, 1 kB, in one folder)."""
    folders = ["comuni", "pagefind", "pagefind/fragment"]
    files = []
    for i in range(pages):
        folders.append(f"comuni/{i:06d}")
        files.append((f"comuni/{i:06d}/index.html", 6000))
        files.append((f"pagefind/fragment/it_{i:07x}.pf_fragment", 1000))
    return folders, files


def _write(base: str, folders: list[str], files: list[tuple[str, int]], blob: bytes) -> None:
    for d in folders:
        os.mkdir(f"{base}/{d}")
    for rel, size in files:
        fd = os.open(f"{base}/{rel}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        view = memoryview(blob)[:size]
        while view:
            view = view[os.write(fd, view) :]
        os.close(fd)


def write_tree(dest: Path, folders: list[str], files: list[tuple[str, int]], workers: int = 2):
    """Write the layout under ``dest`` in ``workers`` forked processes (the top folders
    first, then each process its share of the rest with their files). Returns (wall, user,
    system) seconds."""
    blob = os.urandom(max((s for _, s in files), default=0) or 1)
    top = [f for f in folders if "/" not in f]
    rest = [f for f in folders if "/" in f]
    by_folder: dict[str, list] = {}
    for rel, size in files:
        by_folder.setdefault(rel.rpartition("/")[0], []).append((rel, size))
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    base = str(dest)
    os.mkdir(base)
    for d in top:
        os.mkdir(f"{base}/{d}")
    _write(base, [], by_folder.get("", []), blob)
    for d in top:
        _write(base, [], by_folder.get(d, []), blob)
    # each worker: every other second-level subtree (a folder and all below it)
    groups: dict[str, list[str]] = {}
    for f in rest:
        key = "/".join(f.split("/")[:2])
        groups.setdefault(key, []).append(f)
    keys = sorted(groups)
    pids = []
    for w in range(workers):
        pid = os.fork()
        if pid == 0:
            try:
                mine = [f for k in keys[w::workers] for f in groups[k]]
                _write(base, mine, [x for f in mine for x in by_folder.get(f, [])], blob)
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    wall = time.perf_counter() - t
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, ru1.ru_utime - ru0.ru_utime, ru1.ru_stime - ru0.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--site", default="site", help="a built site (its file list is copied)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hugo-pages", type=int, default=7900)
    args = ap.parse_args()
    site = Path(args.site)
    if not site.is_absolute():
        site = ROOT / site
    if not (site / "index.html").is_file():
        print(f"{site}: not a built site (make site first)", file=sys.stderr)
        return 2
    layouts = {"ours": layout(site), "hugo+pagefind": hugo_layout(args.hugo_pages)}
    for name, (folders, files) in layouts.items():
        size = sum(s for _, s in files)
        print(f"{name}: {len(files):,} files, {len(folders):,} folders, {size / 1e6:.0f} MB")
    results: dict[str, list] = {name: [] for name in layouts}
    with tempfile.TemporaryDirectory(dir=ROOT, prefix=".files-bench-") as tmp:
        for run in range(1, args.runs + 1):
            line = []
            for name, (folders, files) in layouts.items():
                dest = Path(tmp) / f"{name}-{run}"
                settle()
                wall, user, system = write_tree(dest, folders, files)
                results[name].append((wall, user, system))
                line.append(
                    f"{name} {wall:.2f} s (user {user:.2f}, system {system:.2f} s; "
                    f"{wall / len(files) * 1e6:.0f} us a file)"
                )
            print(f"run {run}: " + " | ".join(line), flush=True)
        # the trees are removed at the end: removing 80,000 files slows the writes that
        # follow (the filesystem discards the freed blocks)
        for d in Path(tmp).iterdir():
            shutil.rmtree(d)
    med = {
        name: [statistics.median(x[i] for x in r) for i in range(3)] for name, r in results.items()
    }
    o, h = med["ours"], med["hugo+pagefind"]
    print(
        f"median: ours {o[0]:.2f} s (system {o[2]:.2f} s), hugo+pagefind {h[0]:.2f} s "
        f"(system {h[2]:.2f} s): writing our files alone is {o[0] / h[0]:.1f}x theirs"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
