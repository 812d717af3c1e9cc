"""How build time grows with documents: a synthetic corpus of N bulletins.

Makes a temporary project root with the real sources plus N-1 copies of the BURL
bulletin (each with its own id and one changed line, so nothing is deduplicated by
hash), runs a cold full build in a fresh process for each N, and prints seconds per
stage, pages, files and peak memory, then the seconds per added bulletin.

Usage: python bench/scale_bench.py [--sizes 1,5,10,25,50] [--no-search] [--profile N]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from _common import Trash

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import cProfile, io, json, pstats, resource, sys, time
from pathlib import Path
from generator.build import build
from generator.quality import Log
prof = cProfile.Profile() if sys.argv[3] == "1" else None
t = time.perf_counter()
if prof: prof.enable()
rep = build(Path(sys.argv[1]), log=Log(stream=io.StringIO(), quiet=True), search=sys.argv[2] == "1")
if prof: prof.disable()
out = {"total": round(time.perf_counter() - t, 2), "stages": rep.stages, "files": rep.files,
       "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
       "child_peak_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}
if prof:
    s = io.StringIO(); pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(12)
    out["profile"] = s.getvalue()
print(json.dumps(out))
"""


def make_root(n: int, dest: Path) -> None:
    for d in ("data", "templates", "content", "static"):
        shutil.copytree(ROOT / d, dest / d)
    src = dest / "data" / "sources"
    manifest = yaml.safe_load((src / "sources.yaml").read_text(encoding="utf-8"))
    burl = next(e for e in manifest["documents"] if e["id"] == "burl-2018-so47")
    text = (src / burl["file"]).read_text(encoding="utf-8")
    for i in range(2, n + 1):
        body = text.replace(
            "Serie Ordinaria n. 47", f"Serie Ordinaria n. 47 (copia sintetica {i})", 1
        )
        name = f"burl-sintetico-{i:03d}.txt"
        (src / name).write_text(body, encoding="utf-8")
        manifest["documents"].append(
            {  # a deep copy: shared lists would be written as YAML aliases, which the
                # manifest refuses
                **copy.deepcopy(burl),
                "id": f"burl-sintetico-{i:03d}",
                "file": name,
                "title": f"{burl['title']} (copia sintetica {i})",
                "sha256": hashlib.sha256(body.encode()).hexdigest(),
            }
        )
    (src / "sources.yaml").write_text(
        yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,5,10,25,50")
    ap.add_argument("--no-search", action="store_true")
    ap.add_argument("--profile", type=int, default=0, help="print a profile for this size")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    results = []
    trash = Trash(Path(tempfile.gettempdir()) / "scale-bench-trash")
    for n in sizes:
        tmp = Path(tempfile.mkdtemp(prefix=f"scale-{n}-"))
        try:
            make_root(n, tmp / "root")
            env = {**os.environ, "COMUNI_APERTI_ROOT": str(tmp / "root"), "PYTHONPATH": str(ROOT)}
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    str(tmp / "site"),
                    "0" if args.no_search else "1",
                    "1" if n == args.profile else "0",
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
        finally:
            trash(tmp)  # deleted at the end, not between timed builds
        results.append((n, r))
        stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
        print(
            f"{n:3d} bulletins: {r['total']:6.1f} s | files {r['files']} | "
            f"peak {r['peak_mib']} MiB (largest child {r['child_peak_mib']} MiB) | {stages}",
            flush=True,
        )
        if "profile" in r:
            print(r["profile"])
    if len(results) > 1:
        (n0, a), (n1, b) = results[0], results[-1]
        print(f"marginal cost: {(b['total'] - a['total']) / (n1 - n0):.2f} s per added bulletin")
    trash.empty()
    return 0


if __name__ == "__main__":
    sys.exit(main())
