"""How the build grows with documents: a synthetic corpus of N bulletins.

Makes a temporary project root (``COMUNI_APERTI_ROOT``) with the real sources plus N-1
synthetic bulletins made from the BURL one, runs a cold full build of it in a fresh
process, and prints per size: seconds (per stage), files, peak memory of the build process
and of its largest child, the comune pages' HTML size (largest, median, the comune with
the most facts) and where that page's bytes are (per section, per programme). At the
largest size it then adds one more bulletin and rebuilds with warm caches (add-one).

A synthetic bulletin publishes its *own* programmes, as a real one would: each reads its
tables with copies of the BURL specs whose dataset and programme are renamed
(``<name>-s0002``…; ``data/specs/<spec>-s0002.yaml``), has its programme pages
(``content/programmi/<slug>-s0002.md``) and its known defects (the BURL ones, for its id).
Its text is the bulletin's with the issue number changed and, in the Fondo 0-6 annex, the
figures of every single-line row rotated by a few rows (row i of copy k prints the counts
and amounts of row i+7(k-1)): every check still holds (the printed totals are those of a
permutation of the rows), but each copy gives the comuni other figures. A synthetic copy
has no Python parser: what the ``burl`` parser reads beyond the specs (the wildlife-damage
transfers and Val Padana lists, the protezione civile cross-checks) is the real bulletin's
only, so a copy costs a little less to parse than the original (reported as ``parse``).

Usage: python bench/scale_bench.py [--sizes 1,10,100] [--no-search] [--profile N]
       [--add-one | --no-add-one] [--keep DIR]
"""

from __future__ import annotations

import argparse
import copy
import gzip
import hashlib
import json
import re
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

from _common import Trash, copy_project, load, memory_line, run_build, stages_line

BURL = "burl-2018-so47"
# one Fondo 0-6 row on one line: ISTAT code, name, 1-4 counts, 5 amounts ("-" for zero)
_N = r"\d{1,3}(?:\.\d{3})*"
_A = rf"(?:{_N},\d{{2}}|-)"
FONDO_ROW = re.compile(rf"^(\d{{6}} \D+?)( (?:{_N} ){{1,4}}{_A}(?:\s+{_A}){{4}}\s*)$")
ROTATE = 7  # rows the figures move per copy
# libyaml's emitter where PyYAML has it (the manifest of 1,000 bulletins is 0.8 MB)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def synthetic_id(i: int) -> str:
    return f"burl-sintetico-{i:04d}"


def _suffix(i: int) -> str:
    return f"-s{i:04d}"


def synthetic_text(text: str, i: int) -> str:
    """The bulletin as copy ``i`` prints it: another issue number, and the Fondo 0-6
    figures rotated among the single-line rows (module docstring)."""
    # the first mention only: the running page headers must stay as the specs know them
    text = text.replace("Serie Ordinaria n. 47", f"Serie Ordinaria n. 47 (copia sintetica {i})", 1)
    lines = text.split("\n")
    rows = [(k, FONDO_ROW.match(ln)) for k, ln in enumerate(lines)]
    rows = [(k, m) for k, m in rows if m]
    shift = (ROTATE * (i - 1)) % len(rows) if rows else 0
    for j, (k, m) in enumerate(rows):
        lines[k] = m.group(1) + rows[(j + shift) % len(rows)][1].group(2)
    return "\n".join(lines)


def _rename_spec(text: str, i: int) -> str:
    """The spec with its dataset and programme renamed for copy ``i`` (a text edit: the
    spec's comments and line numbers stay as they are)."""
    out, done = [], set()
    in_dataset = False
    for ln in text.split("\n"):
        if re.match(r"^\S", ln):
            in_dataset = ln.startswith("dataset:")
        m = re.match(r"^(  (name|programme|title): )(.*)$", ln) if in_dataset else None
        if m and m.group(2) not in done:
            done.add(m.group(2))
            key, value = m.group(2), m.group(3)
            if key == "title":
                value = json.dumps(f"{yaml.safe_load(value)} (bollettino sintetico {i})")
            else:
                value = value + _suffix(i)
            ln = m.group(1) + value
        out.append(ln)
    if not {"name", "programme"} <= done:
        raise ValueError("spec without dataset name and programme")
    return "\n".join(out)


def _without_parser_tables(spec_text: str) -> str:
    """The spec without its ``parser: true`` tables and the views that show them."""
    raw = yaml.safe_load(spec_text)
    gone = {t["name"] for t in raw["tables"] if t.get("parser")}
    raw["tables"] = [t for t in raw["tables"] if not t.get("parser")]
    views = raw["dataset"].get("views") or {}
    for key in list(views):
        v = views[key]
        if isinstance(v, list):
            v[:] = [x for x in v if not (isinstance(x, dict) and x.get("table") in gone)]
            if not v:
                del views[key]
        elif isinstance(v, dict) and v.get("table") in gone:
            del views[key]
        elif isinstance(v, dict) and key == "technical":
            for t in gone & set(v):
                del v[t]
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


def _manifest_file(root: Path) -> Path:
    return root / "data" / "sources" / "sources.yaml"


def add_bulletin(root: Path, i: int, manifest: dict | None = None) -> dict:
    """Add synthetic bulletin ``i`` to the project at ``root``: its text, manifest entry,
    specs, programme pages and known defects. Returns its manifest entry. With
    ``manifest`` (the loaded manifest), the entry is appended to it and the caller writes
    it (:func:`make_root`: once, not once per bulletin, which made a 1,000-bulletin corpus
    take quadratic time); without, the manifest file is read and written again."""
    src = root / "data" / "sources"
    if manifest is None:
        manifest = yaml.safe_load(_manifest_file(root).read_text(encoding="utf-8"))
        entry = add_bulletin(root, i, manifest)
        _write_manifest(root, manifest)
        return entry
    burl = next(e for e in manifest["documents"] if e["id"] == BURL)
    doc_id, sfx = synthetic_id(i), _suffix(i)
    body = synthetic_text((src / burl["file"]).read_text(encoding="utf-8"), i)
    (src / f"{doc_id}.txt").write_text(body, encoding="utf-8")
    specs = []
    for name in burl["specs"]:
        spec_text = (root / "data" / "specs" / f"{name}.yaml").read_text(encoding="utf-8")
        renamed = _rename_spec(spec_text, i)
        if re.search(r"^\s+parser: true\s*$", renamed, re.M):  # tables a parser fills: the
            # copy has no parser (a spec that declares them for a document without one is
            # reported by the build)
            renamed = _without_parser_tables(renamed)
        (root / "data" / "specs" / f"{name}{sfx}.yaml").write_text(renamed, encoding="utf-8")
        specs.append(f"{name}{sfx}")
        prog = yaml.safe_load(spec_text)["dataset"]["programme"]
        page = root / "content" / "programmi" / f"{prog}.md"
        if page.is_file():
            _, front, body_md = page.read_text(encoding="utf-8").split("---\n", 2)
            meta = yaml.safe_load(front)
            meta["title"] = f"{meta['title']} (bollettino sintetico {i})"
            meta["sources"] = [doc_id]
            (page.parent / f"{prog}{sfx}.md").write_text(
                "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + body_md,
                encoding="utf-8",
            )
    for kd in sorted((root / "data" / "known-defects").glob(f"{BURL}*.yaml")):
        text = kd.read_text(encoding="utf-8").replace(f"doc_id: {BURL}", f"doc_id: {doc_id}")
        (kd.parent / kd.name.replace(BURL, doc_id)).write_text(text, encoding="utf-8")
    entry = {  # a deep copy: shared lists would be written as YAML aliases, which the
        # manifest refuses
        **copy.deepcopy(burl),
        "id": doc_id,
        "file": f"{doc_id}.txt",
        "title": f"{burl['title']} (copia sintetica {i})",
        "official_reference": f"{burl['official_reference']} (copia sintetica {i})",
        "specs": specs,
        "sha256": hashlib.sha256(body.encode()).hexdigest(),
    }
    entry.pop("parser", None)  # specs only (module docstring)
    manifest["documents"].append(entry)
    return entry


def _write_manifest(root: Path, manifest: dict) -> None:
    _manifest_file(root).write_text(
        yaml.dump(manifest, Dumper=_DUMPER, allow_unicode=True), encoding="utf-8"
    )


def make_root(n: int, dest: Path) -> Path:
    """A project root with the real sources and synthetic bulletins 2..n."""
    copy_project(dest)
    manifest = yaml.safe_load(_manifest_file(dest).read_text(encoding="utf-8"))
    for i in range(2, n + 1):
        add_bulletin(dest, i, manifest)
    _write_manifest(dest, manifest)
    return dest


# -- comune pages -------------------------------------------------------------------------
_SECTION = re.compile(r"<section\b[^>]*?aria-labelledby=\"([^\"]+)\"[^>]*>|</section>")
_SYNTH = re.compile(r"-s\d{4}$")
_JSONLD = re.compile(r'<script type="application/ld\+json">.*?</script>', re.S)
_FACETS = re.compile(r"<div hidden data-pagefind-ignore><span data-pagefind-filter.*?</div>", re.S)


def page_sections(html: str) -> dict[str, int]:
    """Bytes of a comune page by section: the top-level sections (``in-sintesi``: the
    glance, ``identita``, ``citato``: the documents naming it, …), each programme's section
    (``p-<slug>``, copies summed under the programme they copy), the search filters, the
    schema.org JSON-LD (``json-ld``), the rest (``other``: head, navigation, footer)."""
    out: dict[str, int] = {}
    stack: list[tuple[str, int]] = []
    inner = 0  # bytes of programme sections inside the current top-level one
    raw = html.encode()
    pos_b = {}  # character offset -> byte offset, only where needed

    def b(i: int) -> int:
        if i not in pos_b:
            pos_b[i] = len(html[:i].encode())
        return pos_b[i]

    for m in _SECTION.finditer(html):
        if m.group(1):
            stack.append((m.group(1), m.start()))
        elif stack:
            name, start = stack.pop()
            size = b(m.end()) - b(start)
            if name.startswith("p-"):
                key = "p-" + _SYNTH.sub("", name[2:])
                out[key] = out.get(key, 0) + size
                if stack:  # inside a top-level section: not counted twice
                    inner += size
            elif not stack:
                out[name] = out.get(name, 0) + size - inner
                inner = 0
    facets = _FACETS.search(html)  # the search filters (partials/search-facets.html)
    if facets:
        out["search-facets"] = len(facets.group(0).encode())
    out["json-ld"] = sum(len(m.group(0).encode()) for m in _JSONLD.finditer(html))  # schema.org
    out["other"] = len(raw) - sum(out.values())
    return out


def comune_pages(site: Path) -> dict:
    """Sizes of the comune pages: largest, median, the comune with the most facts (from its
    JSON twin) and that page's sections."""
    sizes = {}
    for p in (site / "comuni").glob("*/index.html"):
        sizes[p.parent.name] = p.stat().st_size
    if not sizes:
        return {}
    largest = max(sizes, key=sizes.get)
    facts = {}
    for istat in sorted(sizes, key=sizes.get, reverse=True)[:50]:  # the most facts are
        # on the largest pages; their twins say how many
        twin = json.loads((site / "comuni" / istat / "index.json").read_text(encoding="utf-8"))
        facts[istat] = _count_facts(twin)
    most = max(facts, key=lambda k: (facts[k], sizes[k]))
    html = (site / "comuni" / most / "index.html").read_text(encoding="utf-8")
    return {
        "largest": (largest, sizes[largest]),
        "median": statistics.median(sizes.values()),
        "most_facts": (most, facts[most], sizes[most]),
        "most_facts_gzip": len(gzip.compress(html.encode(), mtime=0)),
        "sections": page_sections(html),
        "programmes_on_page": html.count('aria-labelledby="p-'),
    }


def _count_facts(twin: dict) -> int:
    return sum(len(p["facts"]) for p in twin["programmes"])


def measure(root: Path, site: Path, search: bool, profile: bool = False) -> dict:
    before = load()
    r = run_build(root, site, search, profile)
    r["load"] = before
    r["pages_html"] = comune_pages(site)
    return r


def report(n: int, r: dict) -> None:
    ph = r["pages_html"]
    print(
        f"{n:5d} bulletins: {r['total']:7.1f} s (CPU {r['cpu']:.1f} s) | files {r['files']} | "
        f"problems {r['problems']} "
        f"(blocking {r['blocking']}) | {r['load']}\n      {memory_line(r)}",
        flush=True,
    )
    print(f"      stages: {stages_line(r['stages'])}")
    _blocking(r)
    if ph:
        most, nfacts, size = ph["most_facts"]
        print(
            f"      comune HTML: largest {ph['largest'][1]:,} B ({ph['largest'][0]}), median "
            f"{ph['median']:,.0f} B; most facts {most} ({nfacts} facts, "
            f"{ph['programmes_on_page']} programme sections): {size:,} B ({ph['most_facts_gzip']:,} B gzip)"
        )
        secs = sorted(ph["sections"].items(), key=lambda kv: -kv[1])
        print("      its sections: " + ", ".join(f"{k} {v:,}" for k, v in secs))
    if "profile" in r:
        print(r["profile"])


def _blocking(r: dict) -> None:
    """A build of the synthetic corpus must have no blocking problem (the strict build
    passes on it): say so loudly, with the first ones (the 300-bulletin database failure was
    only a count in the line above)."""
    for line in r.get("blocking_list", []):
        print(f"      BLOCKING: {line}", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1,10,100")
    ap.add_argument("--no-search", action="store_true")
    ap.add_argument("--profile", type=int, default=0, help="print a profile for this size")
    ap.add_argument(
        "--add-one",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="at the largest size, add one bulletin and rebuild with warm caches",
    )
    ap.add_argument("--json", type=Path, help="write the measurements to this file")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    search = not args.no_search
    results = []
    trash = Trash(Path(tempfile.gettempdir()) / "scale-bench-trash")
    try:
        for n in sizes:
            tmp = Path(tempfile.mkdtemp(prefix=f"scale-{n}-"))
            try:
                root = make_root(n, tmp / "root")
                r = measure(root, tmp / "site", search, n == args.profile)
                results.append((n, r))
                report(n, r)
                if args.add_one and n == max(sizes):
                    add_bulletin(root, n + 1)
                    a = measure(root, tmp / "site", search)
                    r["add_one"] = a
                    print(
                        f"      add one bulletin (warm): {a['total']:.1f} s (CPU {a['cpu']:.1f} s) = "
                        f"{a['total'] / r['total']:.3f} x cold | written {a['written']} of "
                        f"{a['files']} files | {a['load']}\n      {memory_line(a)}\n"
                        f"      stages: {stages_line(a['stages'])}",
                        flush=True,
                    )
                    _blocking(a)
            finally:
                trash(tmp)  # deleted at the end, not between timed builds
        if len(results) > 1:
            (n0, a), (n1, b) = results[0], results[-1]
            print(
                f"marginal cost: {(b['total'] - a['total']) / (n1 - n0):.2f} s per added "
                f"bulletin ({n0} -> {n1})"
            )
            pa, pb = a["pages_html"]["most_facts"][2], b["pages_html"]["most_facts"][2]
            print(
                f"comune page with the most facts: {(pb - pa) / (n1 - n0):,.0f} B per added "
                f"bulletin ({n0} -> {n1})"
            )
        if args.json:
            args.json.write_text(json.dumps(dict(results), indent=1), encoding="utf-8")
    finally:
        trash.empty()
    builds = [r for _, r in results] + [r["add_one"] for _, r in results if "add_one" in r]
    failed = sum(1 for r in builds if r.get("blocking"))
    if failed:
        print(f"{failed} of {len(builds)} builds had blocking problems (see BLOCKING above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
