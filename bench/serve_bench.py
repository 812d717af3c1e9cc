"""Time the `serve` rebuild loop for a comune-page template edit.

Builds site/ once (cached), records two comune pages as being viewed (as the dev
server does for each request), then edits templates/comune.html three times (a
comment: no page changes; a visible change: every page changes) and runs the rebuild
`serve` runs on a file event. Prints, for each edit, the seconds until the viewed
pages are rewritten (livereload then reloads the browser, after its 0.1 s delay) and
until all 8,028 comune pages are (the rest is done in a background thread), then
restores the template.
Usage: python bench/serve_bench.py
"""

from __future__ import annotations

import contextlib
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from generator import paths, serve

    r = serve.Rebuilder()
    t = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        r.full()
    print(f"initial build (cached parse/validation): {time.perf_counter() - t:.2f} s")
    serve.record_request("/comuni/016024/")  # Bergamo, then Cavernago on top
    serve.record_request("/comuni/016066/")
    tpl = paths.TEMPLATES / "comune.html"
    original = tpl.read_bytes()
    firsts, alls = [], []

    def edit(data: bytes, label: str) -> None:
        tpl.write_bytes(data)
        time.sleep(0.01)
        t = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            r()
            viewed = time.perf_counter() - t
            r.wait()
        every = time.perf_counter() - t
        firsts.append(viewed)
        alls.append(every)
        print(
            f"{label}: viewed pages ({r.last.get('first')}) {viewed:.2f} s, all comune pages "
            f"{every:.2f} s ({r.last.get('written')} files rewritten)"
        )

    try:
        for i in range(3):
            edit(original + f"\n{{# bench edit {i} #}}\n".encode(), f"comment edit {i + 1}")
            edit(
                original.replace(b"<h1>", f'<h1 data-bench="{i}">'.encode(), 1),
                f"visible edit {i + 1}",
            )
    finally:
        tpl.write_bytes(original)
        with contextlib.redirect_stderr(io.StringIO()):
            r()
            r.wait()
    print(
        f"median: viewed pages reloaded after {statistics.median(firsts):.2f} s (goal 1 s), "
        f"all 8,028 comune pages after {statistics.median(alls):.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
