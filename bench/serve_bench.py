"""Time the `serve` rebuild loop: a comune-page template edit, and a content edit.

Builds site/ once (cached), then appends a harmless comment to templates/comune.html
and runs the same rebuild `serve` runs on a file event, then restores the template.
Prints seconds from the edit to the rewritten pages (livereload then reloads the
browser after its 0.1 s delay).
Usage: python bench/serve_bench.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from generator import paths
    from generator.serve import Rebuilder

    r = Rebuilder()
    t = time.perf_counter()
    r.full()
    print(f"initial build (cached parse/validation): {time.perf_counter() - t:.2f} s")
    tpl = paths.TEMPLATES / "comune.html"
    original = tpl.read_bytes()
    try:
        for i in range(3):
            tpl.write_bytes(original + f"\n{{# bench edit {i} #}}\n".encode())
            time.sleep(0.01)
            t = time.perf_counter()
            r()
            print(f"comune.html edit {i + 1}: {time.perf_counter() - t:.2f} s")
            tpl.write_bytes(original.replace(b"<h1>", f'<h1 data-bench="{i}">'.encode(), 1))
            t = time.perf_counter()
            r()
            print(f"comune.html edit {i + 1} changing every page: {time.perf_counter() - t:.2f} s")
    finally:
        tpl.write_bytes(original)
        r()
    return 0


if __name__ == "__main__":
    sys.exit(main())
