"""The Nu Html Checker (vnu-jar from npm, run with Debian's Java) on a sample of every page
kind of the built site: no error. ``make install`` puts the checker in .venv/vnu/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from generator import paths, registry

VNU = os.environ.get("VNU_JAR") or str(
    paths.ROOT / ".venv" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)
BROKEN = (
    '<!DOCTYPE html><html lang="it"><head><meta charset="utf-8"><title>x</title></head>'
    "<body><p>Nabre\u009eina</p><table><p>fuori posto</p></table></body></html>"
)


def _sample(site) -> list[str]:
    """Pages of every kind (relative paths): the index pages, comuni of every sort,
    every programme, table, document and catalogue page, a few acts, the content pages."""
    reg = registry.load()
    hist = sorted(c.istat for c in reg.historical.values() if c.successor)[:2]
    out = [
        "index.html",
        "404.html",
        "comuni/index.html",
        "province/BG/index.html",
        "province/BZ/index.html",
        "programmi/index.html",
        "documenti/index.html",
        "dati/index.html",
        "dati/api/index.html",
        "dati/qualita/index.html",
    ]
    out += [f"comuni/{c}/index.html" for c in ("016024", "031019", "021008", "019035", *hist)]
    out += sorted(str(p.relative_to(site)) for p in site.glob("programmi/*/index.html"))
    out += sorted(str(p.relative_to(site)) for p in site.glob("programmi/*/tabelle/*/index.html"))
    out += sorted(str(p.relative_to(site)) for p in site.glob("documenti/*/index.html"))
    out += sorted(str(p.relative_to(site)) for p in site.glob("documenti/*/atti/*/index.html"))[:4]
    out += sorted(str(p.relative_to(site)) for p in site.glob("dati/*/index.html"))
    out += [f"{p.stem}/index.html" for p in sorted(paths.CONTENT.glob("*.md")) if p.stem != "home"]
    return out


def _vnu(files: list[str]) -> list[dict]:
    java = shutil.which("java")
    if java is None or not os.path.isfile(VNU):
        pytest.fail(
            f"the Nu Html Checker needs Java and {VNU}: run `make install` "
            "(npm install vnu-jar; Debian: default-jre-headless)"
        )
    run = subprocess.run(
        [java, "-Xss4m", "-jar", VNU, "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return json.loads(run.stderr or run.stdout)["messages"]


def test_every_page_kind_is_valid_html(built_site, tmp_path):
    site, _ = built_site
    files = _sample(site)
    assert len(files) >= 40 and all((site / f).is_file() for f in files), [
        f for f in files if not (site / f).is_file()
    ]
    broken = tmp_path / "broken.html"  # the checker runs and reports: the C1
    broken.write_text(BROKEN, encoding="utf-8")  # character of the old quality page, a p in a table
    messages = _vnu([str(site / f) for f in files] + [str(broken)])
    found = [m for m in messages if m.get("url", "").endswith("/broken.html")]
    assert any("U+009e" in m["message"] for m in found) and len(found) >= 2, found
    errors = [
        f"{m.get('url', '').split(str(site))[-1]}:{m.get('lastLine')}: {m['message']}"
        for m in messages
        if m not in found
    ]
    assert errors == [], "\n".join(errors[:20])
