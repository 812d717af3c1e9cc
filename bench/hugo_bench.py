"""Cold full build vs Hugo rendering the same number of pages, alternating runs.

Generates a Hugo site (Debian ``hugo``) with one page per comune of the registry, each
with an identity card and a table of five facts, plain templates; then times, in
alternation, ``hugo`` on it and our full cold build (parse all documents, validate all
packages, render every page, write data, build the Pagefind index; caches cleared).
Prints each run and the ratio of medians.

Usage: python bench/hugo_bench.py [--runs 3] [--no-search]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Trash

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAYOUT = """<!DOCTYPE html>
<html lang="it"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1>
<dl><dt>ISTAT</dt><dd>{{ .Params.istat }}</dd><dt>Provincia</dt><dd>{{ .Params.provincia }}</dd>
<dt>Regione</dt><dd>{{ .Params.regione }}</dd><dt>Popolazione</dt><dd>{{ .Params.popolazione }}</dd></dl>
<table><caption>Fatti</caption><tbody>
{{ range .Params.fatti }}<tr><th scope="row">{{ .nome }}</th><td>{{ .valore }}</td></tr>{{ end }}
</tbody></table></body></html>
"""


def make_hugo_site(dest: Path) -> int:
    from generator import registry

    reg = registry.load()
    (dest / "layouts" / "_default").mkdir(parents=True)
    (dest / "layouts" / "_default" / "single.html").write_text(LAYOUT)
    (dest / "layouts" / "_default" / "list.html").write_text(
        "<html><body>{{ .Title }}</body></html>"
    )
    (dest / "hugo.toml").write_text(
        'baseURL = "https://example.org/"\nlanguageCode = "it"\n'
        'title = "bench"\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap"]\n'
    )
    content = dest / "content" / "comuni"
    content.mkdir(parents=True)
    n = 0
    for c in reg.current.values():
        facts = "\n".join(
            f'  - nome: "Fatto {i}"\n    valore: "{i * 1000 + len(c.name)}"' for i in range(1, 6)
        )
        (content / f"{c.istat}.md").write_text(
            f'---\ntitle: "{c.name.replace(chr(34), "")}"\nistat: "{c.istat}"\n'
            f'provincia: "{c.province}"\nregione: "{c.region}"\npopolazione: {c.population or 0}\n'
            f"fatti:\n{facts}\n---\n"
        )
        n += 1
    return n


def time_cmd(cmd: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-search", action="store_true")
    args = ap.parse_args()
    hugo = shutil.which("hugo")
    if not hugo:
        print("hugo not found: apt-get install hugo")
        return 1
    version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="hugo-bench-"))
    try:
        pages = make_hugo_site(tmp / "hugo")
        ours_site = tmp / "site"
        build_cmd = [sys.executable, "-m", "generator", "build", "--site", str(ours_site)]
        if args.no_search:
            build_cmd.append("--no-search")
        print(
            f"{version}\nHugo site: {pages} pages; ours: full cold build"
            f"{' (no search index)' if args.no_search else ''}"
        )
        hugo_t, hpf_t, ours_t = [], [], []
        trash = Trash(tmp)
        pagefind_cmd = [sys.executable, "-m", "pagefind", "--site", "public", "--quiet"]
        for i in range(args.runs):
            trash(tmp / "hugo" / "public")
            hugo_t.append(time_cmd([hugo, "--quiet"], tmp / "hugo"))
            if not args.no_search:  # the same search index over Hugo's pages
                hpf_t.append(hugo_t[-1] + time_cmd(pagefind_cmd, tmp / "hugo"))
            trash(ours_site, ROOT / ".cache")
            ours_t.append(time_cmd(build_cmd, ROOT))
            print(
                f"run {i + 1}: hugo {hugo_t[-1]:.2f} s"
                + (f" | hugo + pagefind {hpf_t[-1]:.2f} s" if hpf_t else "")
                + f" | ours {ours_t[-1]:.2f} s"
            )
        h, o = statistics.median(hugo_t), statistics.median(ours_t)
        print(
            f"median: hugo {h:.2f} s, ours {o:.2f} s, ratio ours/hugo = {o / h:.2f}x "
            f"(target <= 1.0x)"
        )
        if hpf_t:
            hp = statistics.median(hpf_t)
            print(
                f"median: hugo + pagefind on its pages {hp:.2f} s, "
                f"ratio ours/(hugo + pagefind) = {o / hp:.2f}x"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
