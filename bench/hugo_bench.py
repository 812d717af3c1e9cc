"""Cold full build vs Hugo, and vs Hugo + Pagefind, on the same comuni (issue 13, target 2).

Generates a Hugo site (Debian ``hugo``) with one page per comune of the registry, each
with an identity card and a table of five facts, plain templates; then times, in
alternation, ``hugo`` on it, Pagefind (the binary of the ``pagefind[bin]`` wheel our build
uses) over Hugo's ``public/``, and our full cold build in a fresh process (parse all
documents, validate all packages, render every page, write data, build the Pagefind index;
a temporary project root, no ``site/``, no ``.cache/``). Each is timed as a process: wall
clock, and CPU seconds of the process and its children (the machine is shared, and wall
time moves with the other jobs' load far more than CPU time). Prints each run, the medians
and the ratios ours / (Hugo + Pagefind) (target <= 2.0) and ours / Hugo, on both. Beside
them, each run: our build's system CPU time (creating files: see ``_common``'s note), and
Pagefind's own command over our built pages, the floor of our search stage (Hugo's pages
hold five facts each; ours about 200 words of text each).

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

from _common import (
    CpuTime,
    Trash,
    copy_project,
    load,
    memory_line,
    outputs,
    run_build,
    settle,
    stages_line,
)

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


def time_cmd(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a command."""
    settle()
    t = time.perf_counter()
    with CpuTime() as cpu:
        subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t, cpu.seconds


def _t(t: tuple[float, float]) -> str:
    return f"{t[0]:.2f} s ({t[1]:.2f} s CPU)"


def pagefind_binary() -> str:
    """The Pagefind binary our build runs (the ``pagefind[bin]`` wheel)."""
    from pagefind.service import get_executable

    return str(get_executable())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-search", action="store_true")
    args = ap.parse_args()
    search = not args.no_search
    hugo = shutil.which("hugo")
    if not hugo:
        print("hugo not found: apt-get install hugo")
        return 1
    version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.strip()
    pagefind = pagefind_binary()
    pf_version = subprocess.run(
        [pagefind, "--version"], capture_output=True, text=True
    ).stdout.strip()
    tmp = Path(tempfile.mkdtemp(prefix="hugo-bench-"))
    try:
        pages = make_hugo_site(tmp / "hugo")
        root = copy_project(tmp / "root")  # our build: its own .cache/, not the checkout's
        ours_site = tmp / "site"
        print(
            f"{version}\n{pf_version}\nHugo site: {pages} pages; ours: full cold build in a "
            f"fresh process (no site, no .cache){'' if search else ' without search index'}"
        )
        hugo_t, pf_t, ours_t, pf_ours_t = [], [], [], []  # (wall, cpu) per run
        trash = Trash(tmp)
        for i in range(args.runs):
            trash(tmp / "hugo" / "public", tmp / "hugo" / "resources")
            before = load()
            hugo_t.append(time_cmd([hugo, "--quiet"], tmp / "hugo"))
            if search:  # the same search index over Hugo's pages
                pf_t.append(time_cmd([pagefind, "--site", "public", "--quiet"], tmp / "hugo"))
            trash(*outputs(ours_site), root / ".cache", tmp / "pagefind-ours")
            r = run_build(root, ours_site, search)
            ours_t.append((r["wall"], r["cpu"]))
            if search:  # Pagefind's own command over our pages: the floor of our search stage
                pf_ours_t.append(
                    time_cmd(
                        [pagefind, "--site", str(ours_site), "--quiet"]
                        + ["--output-path", str(tmp / "pagefind-ours")],
                        tmp,
                    )
                )
            line = f"run {i + 1}: hugo {_t(hugo_t[-1])}"
            if pf_t:
                both = (hugo_t[-1][0] + pf_t[-1][0], hugo_t[-1][1] + pf_t[-1][1])
                line += f" | pagefind {_t(pf_t[-1])} | hugo + pagefind {_t(both)}"
            print(
                f"{line} | ours {_t(ours_t[-1])} | {before}\n"
                f"  ours: build() {r['total']:.2f} s (system CPU {r['system']:.2f} s); "
                f"{stages_line(r['stages'])}\n"
                + (
                    f"  pagefind's command over our pages: {_t(pf_ours_t[-1])} "
                    f"(our search stage: {r['stages'].get('search index', 0):.2f} s)\n"
                    if pf_ours_t
                    else ""
                )
                + f"  ours: {memory_line(r)}",
                flush=True,
            )
        for k, what in ((0, "wall"), (1, "CPU")):
            h = statistics.median(x[k] for x in hugo_t)
            o = statistics.median(x[k] for x in ours_t)
            line = f"median of {args.runs} ({what}): ours {o:.2f} s, hugo {h:.2f} s"
            if pf_t:
                hp = statistics.median(a[k] + b[k] for a, b in zip(hugo_t, pf_t))
                line += (
                    f", hugo + pagefind {hp:.2f} s -> ours / (hugo + pagefind) = "
                    f"{o / hp:.2f}x (target <= 2.0x), ours / hugo = {o / h:.2f}x"
                )
            else:
                line += f" -> ours / hugo = {o / h:.2f}x (no search index on either side)"
            print(line)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
