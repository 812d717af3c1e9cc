"""Lighthouse scores of the four page kinds, served locally like Netlify (a benchmark).

Serves the built site on 127.0.0.1 (netlify.toml headers, production CSP; same server as the
browser tests), runs npm ``lighthouse`` with Debian Chromium (CHROME_PATH=/usr/bin/chromium,
--headless=new --no-sandbox) and prints the four category scores per page.

Lighthouse is installed on first use with npm into bench/out/npm/ (git-ignored; pinned
below, the last major that runs on Node 20); reports go to bench/out/lighthouse/*.json.

Usage: python bench/lighthouse.py [--site site/] [--desktop] [--pages home,comune,...]
Default form factor is Lighthouse's mobile preset (simulated slow 4G, 4x CPU slowdown).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import browser_support as bs  # noqa: E402

LIGHTHOUSE = "lighthouse@12.8.2"
OUT = ROOT / "bench" / "out"
NPM_DIR = OUT / "npm"
REPORTS = OUT / "lighthouse"
CATEGORIES = ["performance", "accessibility", "best-practices", "seo"]


def lighthouse_bin() -> Path:
    exe = NPM_DIR / "node_modules" / ".bin" / "lighthouse"
    if exe.exists():
        return exe
    if not shutil.which("npm"):
        sys.exit("npm not found: apt-get install npm (Node >= 18.16)")
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    print(f"installing {LIGHTHOUSE} into {NPM_DIR.relative_to(ROOT)} …", flush=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
            str(NPM_DIR),
            LIGHTHOUSE,
        ],
        check=True,
        env={**os.environ, "npm_config_cache": str(OUT / "npm-cache")},
    )
    return exe


def run_one(exe: Path, url: str, out: Path, chromium: str, desktop: bool) -> dict:
    profile = tempfile.mkdtemp(prefix="lh-chromium-")
    flags = " ".join(
        [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
        ]
    )
    cmd = [
        str(exe),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={flags}",
        "--max-wait-for-load=60000",
    ]
    if desktop:
        cmd.append("--preset=desktop")
    try:
        r = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "CHROME_PATH": chromium},
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if r.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse failed on {url}:\n{r.stderr[-2000:]}")
    return json.loads(out.read_text(encoding="utf-8"))


def failing_audits(report: dict, category: str, limit: int = 6) -> list[str]:
    cat = report["categories"][category]
    out = []
    for ref in cat["auditRefs"]:
        if not ref.get("weight"):
            continue
        a = report["audits"][ref["id"]]
        if a.get("score") is not None and a["score"] < 0.9:
            val = f" ({a['displayValue']})" if a.get("displayValue") else ""
            out.append(f"{a['id']}{val}")
    return out[:limit]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", default=str(ROOT / "site"))
    ap.add_argument("--desktop", action="store_true", help="Lighthouse desktop preset")
    ap.add_argument(
        "--pages",
        default=",".join(bs.PAGES),
        help=f"comma-separated subset of: {', '.join(bs.PAGES)}, search",
    )
    args = ap.parse_args()
    site = Path(args.site).resolve()
    if not (site / "index.html").is_file():
        print(f"{site}: not a built site (python -m generator build --site {args.site})")
        return 2
    chromium = bs.which(bs.CHROMIUM_CANDIDATES)
    if not chromium:
        print("chromium not found (apt-get install chromium)")
        return 2
    exe = lighthouse_bin()
    REPORTS.mkdir(parents=True, exist_ok=True)
    pages = {**bs.PAGES, "search": bs.SEARCH_PAGE}
    chosen = [p.strip() for p in args.pages.split(",") if p.strip()]
    preset = "desktop" if args.desktop else "mobile"
    results = {}
    with bs.StaticServer(site) as srv:
        for kind in chosen:
            url = srv.url(pages[kind])
            rep = run_one(exe, url, REPORTS / f"{kind}-{preset}.json", chromium, args.desktop)
            results[kind] = rep
            scores = {c: rep["categories"][c]["score"] for c in CATEGORIES}
            print(
                f"{kind:10} "
                + "  ".join(
                    f"{c} {'–' if s is None else round(s * 100):>3}" for c, s in scores.items()
                ),
                flush=True,
            )
    print(
        f"\nLighthouse {next(iter(results.values()))['lighthouseVersion']}, {preset} preset, "
        f"Chromium {next(iter(results.values()))['environment']['hostUserAgent'].split('Chrome/')[-1].split(' ')[0]}"
        f"; reports in {REPORTS.relative_to(ROOT)}/"
    )
    print("\nAudits below 0.9 (weighted):")
    for kind, rep in results.items():
        for c in CATEGORIES:
            bad = failing_audits(rep, c)
            if bad:
                print(f"  {kind:10} {c:15} " + ", ".join(bad))
    return 0


if __name__ == "__main__":
    sys.exit(main())
