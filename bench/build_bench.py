"""Benchmark: a cold full build, a no-change rebuild, and a forced rebuild with warm
caches (every stage runs, unchanged files are not rewritten), each in a fresh process.

Prints per-stage seconds, pages written, files, and peak memory (max RSS).
Usage: python bench/build_bench.py [--runs N] [--no-search]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import Trash

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time, io
from pathlib import Path
from generator.build import build
from generator.quality import Log
t = time.perf_counter()
rep = build(Path(sys.argv[1]), strict=False, log=Log(stream=io.StringIO()), search=sys.argv[2] == "1",
            force=sys.argv[3] == "1")
total = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024   # render workers, pagefind
print(json.dumps({"total": round(total, 2), "stages": rep.stages, "pages": rep.pages,
                  "files": rep.files, "written": rep.written, "peak_mib": round(rss, 1),
                  "child_peak_mib": round(child, 1)}))
"""


def run(site: Path, search: bool, force: bool = False) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(site), "1" if search else "0", "1" if force else "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-search", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        site = tmp / "site"
        trash = Trash(tmp)
        for i in range(args.runs):
            trash(site, ROOT / ".cache")
            cold = run(site, not args.no_search)
            warm = run(site, not args.no_search)
            forced = run(site, not args.no_search, force=True)
            for label, r in (
                ("cold build", cold),
                ("no-change rebuild", warm),
                ("forced, warm caches", forced),
            ):
                stages = ", ".join(f"{k} {v:.2f}s" for k, v in r["stages"].items())
                print(
                    f"run {i + 1} {label:>20}: {r['total']:6.2f} s | pages {r['pages']} | "
                    f"files {r['files']} (rewritten {r['written']}) | peak {r['peak_mib']} MiB "
                    f"(largest child {r['child_peak_mib']} MiB) | "
                    f"{stages}"
                )
            print(
                f"run {i + 1} ratio no-change/cold: {warm['total'] / cold['total']:.3f}; "
                f"forced-warm/cold: {forced['total'] / cold['total']:.2f}"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
