"""``serve``'s rebuild loop, on a copy of the project (its own templates, site and cache).

Runs in a fresh process with ``COMUNI_APERTI_ROOT`` set to the copy: a first build, then
the edits a developer makes while ``serve`` runs, checked on the files written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from generator import paths

SCRIPT = r"""
import contextlib, io, json, sys
from generator import paths, serve
out = {}
r = serve.Rebuilder()
with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
    r.full()
tpl = paths.TEMPLATES / "comune.html"
page = lambda code: (paths.SITE / "comuni" / code / "index.html").read_text(encoding="utf-8")
twin = (paths.SITE / "comuni/016066/index.json").read_bytes()
home = (paths.SITE / "index.html").read_bytes()
serve.record_request("/comuni/016066/")            # the browser shows Cavernago
tpl.write_text(tpl.read_text(encoding="utf-8").replace("<h1>", '<h1 data-edit="1">', 1),
               encoding="utf-8")
err = io.StringIO()
with contextlib.redirect_stderr(err):
    r()
    out["viewed_now"] = 'data-edit="1"' in page("016066")
    r.wait()
out["other_after"] = 'data-edit="1"' in page("015146")
out["added_after"] = 'data-edit="1"' in page("012144")   # from data/registry/new/
out["twin_same"] = (paths.SITE / "comuni/016066/index.json").read_bytes() == twin
out["home_same"] = (paths.SITE / "index.html").read_bytes() == home
out["log"] = err.getvalue()
tpl.write_text(tpl.read_text(encoding="utf-8").replace('data-edit="1"', "{% if %}", 1),
               encoding="utf-8")
err = io.StringIO()
with contextlib.redirect_stderr(err):
    r()
    r.wait()
out["error_log"] = err.getvalue()
out["kept_after_error"] = 'data-edit="1"' in page("016066")
print(json.dumps(out))
"""


def test_comune_template_edit_rewrites_viewed_page_first_then_all(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    for d in ("data", "content", "static"):
        os.symlink(paths.ROOT / d, root / d)
    shutil.copytree(paths.ROOT / "templates", root / "templates")
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=paths.ROOT,
        env={**os.environ, "COMUNI_APERTI_ROOT": str(root)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["viewed_now"], out["log"]  # rewritten before the browser reloads
    assert out["other_after"] and out["added_after"]
    assert out["twin_same"] and out["home_same"]  # only what comune.html makes
    assert "1 page(s) being viewed rewritten" in out["log"]
    assert "comune pages done in" in out["log"]
    assert "template error (comune.html)" in out["error_log"]
    assert out["kept_after_error"]  # a broken template leaves the site as it was
