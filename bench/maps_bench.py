"""Benchmark of generator/maps.py: geometry store cold and warm, all province SVGs, all
locator overlays, a Lombardy and an Italy choropleth; prints times and sizes.

Usage: python bench/maps_bench.py [--cache-dir DIR]   (default: a temporary directory,
so the cold build really is cold and the project's .cache/ is not touched)
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator import maps, registry  # noqa: E402


def kb(n: float) -> str:
    return f"{n / 1024:.1f} KiB"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache-dir")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="maps-bench-"))
    cache = Path(args.cache_dir) if args.cache_dir else tmp / "maps"
    try:
        t = time.perf_counter()
        reg = registry.load()
        print(f"registry load                 {time.perf_counter() - t:7.2f} s")

        t = time.perf_counter()
        geo = maps.Geometry.load(cache, rebuild=True)
        cold = time.perf_counter() - t
        print(
            f"geometry store, cold build    {cold:7.2f} s  (topology {geo.meta['topology_s']} s, "
            f"layers {geo.meta['layers_s']} s, {geo.meta['arcs']} arcs, "
            f"{geo.meta['comuni']} comuni)"
        )
        if geo.meta.get("from_previous_boundaries"):
            print(
                f"  drawn from predecessors' {maps.REGISTRY_YEAR - 1} boundaries: "
                f"{geo.meta['from_previous_boundaries']}"
            )
        if geo.meta.get("without_boundaries"):
            print(f"  without boundaries: {geo.meta['without_boundaries']}")
        files = sorted(cache.glob("geometry-*.pickle"))
        print(f"  cache file                  {kb(files[-1].stat().st_size)}")

        t = time.perf_counter()
        geo = maps.Geometry.load(cache)
        print(
            f"geometry store, warm load     {time.perf_counter() - t:7.2f} s  "
            f"(sha256 of inputs + unpickle)"
        )
        maps.use_geometry(geo)

        t = time.perf_counter()
        svgs = {s: maps.province_svg(s) for s in maps.provinces()}
        dt = time.perf_counter() - t
        sizes = sorted((len(v.encode()), s) for s, v in svgs.items())
        total = sum(n for n, _ in sizes)
        print(
            f"{len(svgs)} province SVGs             {dt:7.2f} s  total {kb(total)}, "
            f"median {kb(statistics.median(n for n, _ in sizes))}, "
            f"max {kb(sizes[-1][0])} ({sizes[-1][1]}), min {kb(sizes[0][0])} ({sizes[0][1]})"
        )

        codes = sorted(reg.current)
        t = time.perf_counter()
        overlays = {c: maps.locator_overlay(c) for c in codes}
        dt = time.perf_counter() - t
        osz = sorted((len(v.encode()), c) for c, v in overlays.items() if v)
        n = [x for x, _ in osz]
        big = osz[-1][1]
        print(
            f"{len(osz)} locator overlays       {dt:7.2f} s  median {n[len(n) // 2]} B, "
            f"p95 {n[int(len(n) * 0.95)]} B, max {n[-1]} B ({reg.current[big].name}), "
            f"> 3 KiB: {sum(1 for x in n if x > 3072)}"
        )
        t = time.perf_counter()
        html = [maps.locator_html(c, reg.current[c].name, reg.current[c].province) for c in codes]
        dt = time.perf_counter() - t
        hs = sorted(len(h.encode()) for h in html)
        print(
            f"{len(html)} locator_html figures  {dt:7.2f} s  median {hs[len(hs) // 2]} B, "
            f"max {hs[-1]} B"
        )

        pop = {c.istat: c.population for c in reg.current.values()}
        for label, kwargs in (
            ("Lombardy choropleth", dict(scope="region:Lombardia")),
            ("Italy choropleth (auto)", dict(scope="italy")),
            ("Italy choropleth (comuni)", dict(scope="italy", level="comuni")),
        ):
            t = time.perf_counter()
            svg = maps.choropleth(
                pop, title="Popolazione residente", legend_title="Abitanti", **kwargs
            )
            dt = time.perf_counter() - t
            b = svg.encode()
            what = "provinces" if "somma dei comuni" in svg else "comuni"
            gz = len(gzip.compress(b, 9))
            print(f"{label:29} {dt:7.2f} s  {kb(len(b))} ({what}), gzip {kb(gz)}")
        t = time.perf_counter()
        maps.choropleth(pop, "region:Lombardia", "Popolazione", "Abitanti", method="natural")
        print(f"Lombardy, natural breaks      {time.perf_counter() - t:7.2f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
