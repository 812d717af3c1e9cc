"""Page weight budgets of the built site (a benchmark, not a test).

1. HTML size of every comune page (/comuni/<istat>/index.html): max, median, p95, raw and
   gzip; budget 30 kB (30 000 bytes) raw per page.
2. CSS + JS per page kind, from the HTML (<link rel=stylesheet>, <script src>), raw and gzip,
   and, in headless Chromium, what a cold view of each kind really downloads by type
   (includes what scripts load at run time, e.g. Pagefind on /cerca/).
3. Caching: every kind uses the same CSS/JS URLs (no per-page variants) served with a
   Cache-Control max-age by netlify.toml, and a second page view downloads 0 new bytes of
   CSS/JS (Chrome CDP Network events: anything not served from cache counts).

Usage: python bench/page_budget.py [--site site/] [--no-browser]
Exit status 1 if a budget or the cache check fails. Build first: python -m generator build
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import tempfile
import shutil
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import browser_support as bs  # noqa: E402  (standard library only at import time)

BUDGET_COMUNE_HTML = 30_000  # bytes, raw

KINDS = {  # kind -> (first page, second page of the same kind)
    "home": ("/", None),
    "comune": ("/comuni/019035/", "/comuni/013100/"),
    "province": ("/province/CR/", "/province/CO/"),
    "programme": ("/programmi/fondo-0-6-riparto-2018/", "/programmi/smart-polizia-locale-2025/"),
    "document": ("/documenti/smart-polizia-locale-2025/", "/documenti/aree-interne-2021-2027/"),
    "act": (None, None),  # filled in from the site: first two act pages
    "search": ("/cerca/?q=crema", "/cerca/?q=fenegro"),
}


def kb(n: float) -> str:
    return f"{n / 1000:,.1f} kB"


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def pct(values: list[int], p: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


class Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.css: list[str] = []
        self.js: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.css.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.js.append(a["src"])


def page_file(site: Path, url: str) -> Path:
    path = urlsplit(url).path
    return site / path.lstrip("/") / "index.html" if path.endswith("/") else site / path.lstrip("/")


def asset_file(site: Path, url: str) -> Path:
    return site / urlsplit(url).path.lstrip("/")


# ---------------------------------------------------------------- 1. comune HTML


def comune_html(site: Path) -> bool:
    pages = sorted((site / "comuni").glob("*/index.html"))
    if not pages:
        print(f"no comune pages under {site}/comuni/: build the site first")
        return False
    raw, zipped = {}, {}
    for p in pages:
        data = p.read_bytes()
        raw[p.parent.name] = len(data)
        zipped[p.parent.name] = gz(data)
    r = list(raw.values())
    z = list(zipped.values())
    biggest = sorted(raw, key=raw.get, reverse=True)
    over = [k for k in biggest if raw[k] > BUDGET_COMUNE_HTML]
    print(f"1. Comune pages: {len(pages):,} HTML files, budget {kb(BUDGET_COMUNE_HTML)} raw each")
    print(f"   {'':8} {'raw':>10} {'gzip':>10}")
    print(f"   {'max':8} {kb(max(r)):>10} {kb(max(z)):>10}   ({biggest[0]})")
    print(f"   {'p95':8} {kb(pct(r, 0.95)):>10} {kb(pct(z, 0.95)):>10}")
    print(f"   {'median':8} {kb(statistics.median(r)):>10} {kb(statistics.median(z)):>10}")
    print(f"   {'min':8} {kb(min(r)):>10} {kb(min(z)):>10}")
    print("   largest: " + ", ".join(f"{k} {kb(raw[k])}" for k in biggest[:5]))
    if over:
        print(f"   OVER BUDGET: {len(over)} pages, e.g. " + ", ".join(over[:10]))
    else:
        print("   budget: ok")
    return not over


# ---------------------------------------------------------------- 2. CSS/JS per kind (static)


def static_assets(site: Path) -> tuple[bool, dict]:
    acts = sorted(site.glob("documenti/*/atti/*/index.html"))
    if len(acts) >= 2:
        KINDS["act"] = tuple("/" + a.parent.relative_to(site).as_posix() + "/" for a in acts[:2])
    else:
        KINDS.pop("act")
    rules = bs.netlify_header_rules()
    ok = True
    seen: dict[str, set] = {}
    print("\n2. CSS + JS referenced by the HTML of each page kind (raw / gzip)")
    print(f"   {'kind':10} {'CSS':>19} {'JS':>19}   files")
    for kind, (first, _) in KINDS.items():
        f = page_file(site, first)
        if not f.is_file():
            print(f"   {kind:10} missing page {first}")
            ok = False
            continue
        parser = Assets()
        parser.feed(f.read_text(encoding="utf-8"))
        row = {}
        for typ, urls in (("css", parser.css), ("js", parser.js)):
            raw = zipped = 0
            for u in urls:
                data = asset_file(site, u).read_bytes()
                raw += len(data)
                zipped += gz(data)
            row[typ] = (raw, zipped)
        seen[kind] = set(parser.css + parser.js)
        print(
            f"   {kind:10} {kb(row['css'][0]):>9}/{kb(row['css'][1]):>9} "
            f"{kb(row['js'][0]):>9}/{kb(row['js'][1]):>9}   "
            + " ".join(u.rsplit("/", 1)[-1] for u in parser.css + parser.js)
        )
    runtime = [
        p
        for p in (
            "pagefind/pagefind.js",
            "pagefind/pagefind-worker.js",
            "pagefind/pagefind-entry.json",
        )
        if (site / p).is_file()
    ]
    entry = site / "pagefind" / "pagefind-entry.json"
    if entry.is_file():  # only the WASM of the site's language(s) is loaded
        langs = json.loads(entry.read_text(encoding="utf-8")).get("languages", {})
        runtime += [
            f"pagefind/wasm.{v.get('wasm')}.pagefind"
            for v in langs.values()
            if (site / "pagefind" / f"wasm.{v.get('wasm')}.pagefind").is_file()
        ]
    if runtime:
        raw = sum((site / p).stat().st_size for p in runtime)
        print(
            f"   search runtime loaded by search.js on the first query: {kb(raw)} raw ("
            + ", ".join(p.rsplit("/", 1)[-1] for p in runtime)
            + ") + index chunks and fragments"
        )

    print("\n3a. Same asset URLs on every kind, cacheable (netlify.toml)")
    shared = set.intersection(*seen.values()) if seen else set()
    for kind, urls in seen.items():
        extra = sorted(urls - shared)
        if extra:
            print(f"   {kind:10} + page-specific: {', '.join(extra)}")
    for u in sorted(set().union(*seen.values())):
        cache = ""
        for pat, values in rules:
            if pat.match(urlsplit(u).path):
                cache = next((v for k, v in values.items() if k.lower() == "cache-control"), cache)
        qs = "?" in u
        m = re.search(r"max-age=(\d+)", cache)
        good = bool(m and int(m.group(1)) > 0) and not qs
        ok &= good
        print(f"   {'ok ' if good else 'NO '} {u:55} {cache or 'no Cache-Control'}")
    print(f"   shared by all kinds: {len(shared)} files")
    return ok, seen


# ---------------------------------------------------------------- 2b/3b. in the browser


def browser_checks(site: Path) -> bool:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError:
        print("\n(selenium missing: browser measurements skipped)")
        return True
    chromedriver = bs.which(bs.CHROMEDRIVER_CANDIDATES)
    if not bs.which(bs.CHROMIUM_CANDIDATES) or not chromedriver:
        print("\n(chromium/chromedriver missing: browser measurements skipped)")
        return True
    profile = tempfile.mkdtemp(prefix="budget-chromium-")
    drv = webdriver.Chrome(service=Service(chromedriver), options=bs.chrome_options(profile))
    ok = True
    try:
        with bs.StaticServer(site) as srv:

            def view(path: str) -> dict:
                bs.drain_logs(drv)
                drv.get(srv.url(path))
                WebDriverWait(drv, 30).until(
                    lambda d: d.execute_script("return document.readyState") == "complete"
                )
                if path.startswith("/cerca/"):
                    WebDriverWait(drv, 30).until(
                        lambda d: d.execute_script(
                            "var s = document.getElementById('search-status');"
                            "return !!(s && s.textContent.trim()) && !document.querySelector('[aria-busy]');"
                        )
                    )
                drv.execute_async_script("var done = arguments[0]; setTimeout(done, 300);")
                return transfers(drv.get_log("performance"))

            print(
                "\n2b. Cold view of each kind in Chromium (cache empty): bytes over the wire by "
                "type\n    (the local server gzips text like Netlify; Netlify's brotli is smaller)"
            )
            print(
                f"   {'kind':10} {'CSS':>10} {'JS':>10} {'WASM/data':>10} {'fonts':>10} "
                f"{'images':>10} {'HTML':>10} {'total':>10}"
            )
            for kind, (first, _) in KINDS.items():
                drv.execute_cdp_cmd("Network.clearBrowserCache", {})
                t = view(first)
                print(
                    f"   {kind:10} {kb(t['css']):>10} {kb(t['js']):>10} {kb(t['data']):>10} "
                    f"{kb(t['font']):>10} {kb(t['img']):>10} {kb(t['html']):>10} "
                    f"{kb(sum(t[k] for k in ('css', 'js', 'data', 'font', 'img', 'html', 'other'))):>10}"
                )

            print(
                "\n2c. First search (/cerca/?q=crema, cold cache), bytes served by the local "
                "server (Pagefind's worker\n    fetches WASM, index and fragments outside the "
                "page's network log)"
            )
            drv.execute_cdp_cmd("Network.clearBrowserCache", {})
            srv.served.clear()
            view("/cerca/?q=crema")
            groups: dict = defaultdict(lambda: [0, 0])
            for path, n in srv.served:
                name = path.rsplit("/", 1)[-1]
                g = (
                    "pagefind index chunks"
                    if name.endswith(".pf_index")
                    else "pagefind fragments (results shown)"
                    if name.endswith(".pf_fragment")
                    else "pagefind meta"
                    if name.endswith(".pf_meta") or name.endswith(".json")
                    else "pagefind WASM"
                    if name.startswith("wasm.")
                    else "pagefind JS"
                    if path.startswith("/pagefind/")
                    else "page CSS/JS"
                    if path.startswith("/static/") and path.endswith((".css", ".js"))
                    else "fonts"
                    if path.endswith(".woff2")
                    else "other"
                )
                groups[g][0] += 1
                groups[g][1] += n
            for g, (count, n) in sorted(groups.items(), key=lambda kv: -kv[1][1]):
                print(f"   {g:36} {count:4} files {kb(n):>10}")
            print(
                f"   {'total':36} {len(srv.served):4} files {kb(sum(n for _, n in srv.served)):>10}"
            )

            print("\n3b. Second page view: new CSS/JS bytes (must be 0)")
            drv.execute_cdp_cmd("Network.clearBrowserCache", {})
            view("/")  # warm the shared assets
            for kind, (first, second) in KINDS.items():
                a = view(first)
                b = view(second) if second else None
                new_a = a["css"] + a["js"]
                line = f"   {kind:10} after home: {new_a:>7} B new CSS/JS"
                if b is not None:
                    new_b = b["css"] + b["js"]
                    line += f";  2nd {kind} page: {new_b:>3} B new CSS/JS"
                    ok &= new_b == 0
                    if new_b:
                        line += "  FAIL " + ", ".join(b["fetched"])
                # after home, only page-specific assets (search.css/js, pagefind) may be new
                if new_a and kind != "search":
                    ok = False
                    line += "  FAIL " + ", ".join(a["fetched"])
                print(line)
    finally:
        drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return ok


def transfers(perf) -> dict:
    """Bytes that came over the network (not from cache), by resource type."""
    out: dict = defaultdict(int)
    out["fetched"] = []
    types, urls, cached = {}, {}, set()
    for method, p in bs.cdp_events(perf):
        rid = p.get("requestId")
        if method == "Network.requestWillBeSent":
            types[rid] = p.get("type", "")
            urls[rid] = p["request"]["url"]
        elif method == "Network.requestServedFromCache":
            cached.add(rid)
        elif method == "Network.responseReceived":
            types[rid] = p.get("type", types.get(rid, ""))
            r = p["response"]
            if (
                r.get("fromDiskCache")
                or r.get("fromPrefetchCache")
                or r.get("fromServiceWorker")
                or r.get("status") == 304
            ):
                cached.add(rid)
        elif method == "Network.loadingFinished":
            if rid in cached:
                continue
            n = int(p.get("encodedDataLength", 0))
            t = types.get(rid, "")
            url = urls.get(rid, "")
            if n <= 0 or url.startswith("data:"):
                continue
            key = {
                "Stylesheet": "css",
                "Script": "js",
                "Font": "font",
                "Image": "img",
                "Document": "html",
                "Fetch": "data",
                "XHR": "data",
            }.get(t, "other")
            if key == "data" and url.endswith(".js"):
                key = "js"
            out[key] += n
            if key in ("css", "js"):
                out["fetched"].append(urlsplit(url).path)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", default=str(ROOT / "site"))
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium measurements")
    args = ap.parse_args()
    site = Path(args.site).resolve()
    if not (site / "index.html").is_file():
        print(f"{site}: not a built site (python -m generator build --site {args.site})")
        return 2
    ok = comune_html(site)
    static_ok, _ = static_assets(site)
    ok &= static_ok
    if not args.no_browser:
        ok &= browser_checks(site)
    print("\nresult: " + ("all budgets met" if ok else "BUDGET OR CACHE CHECK FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
