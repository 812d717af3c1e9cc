"""Two builds of the same inputs give byte-identical trees (search index included).

The first build is the session's ``built_site`` (built in a test process, with its hash
seed); the second runs the command line in a fresh process with another
``PYTHONHASHSEED`` (so set and dict orderings that depend on string hashing show up as
differences) and an empty build cache of its own (so it computes everything again
instead of reusing the first build's parse results and files). If an input file changed
while the session ran (someone editing the tree), the two builds did not see the same
inputs and the test is skipped, naming the files.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from corpus import tree_digest
from generator import paths

COLLECTED = time.time()  # before any build of this session (collection comes first)
INPUTS = ("generator", "templates", "content", "static", "data")
BUILD = (
    "import sys; from pathlib import Path; from generator import paths, cli; "
    "paths.CACHE = Path(sys.argv[2]); sys.exit(cli.main(['build', '--site', sys.argv[1]]))"
)


def _changed_since(t: float) -> list[str]:
    return sorted(
        str(p.relative_to(paths.ROOT))
        for d in INPUTS
        for p in (paths.ROOT / d).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.stat().st_mtime > t
    )


def test_two_full_builds_are_byte_identical(built_site, tmp_path):
    first, _ = built_site
    seed = "20181122" if os.environ.get("PYTHONHASHSEED") != "20181122" else "1983"
    second = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-c", BUILD, str(second), str(tmp_path / "cache")],
        cwd=paths.ROOT,
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    changed = _changed_since(COLLECTED)
    if changed:
        pytest.skip(f"inputs changed during the session, the builds differ in input: {changed[:5]}")
    a, b = tree_digest(first), tree_digest(second)
    assert sorted(set(a) ^ set(b)) == []  # the same files ...
    assert [f for f in a if a[f] != b[f]] == []  # ... with the same bytes
    assert any(f.startswith("pagefind/") for f in a) and len(a) > 7899


ONE_PROCESS = (
    "import io, sys; from pathlib import Path; from generator import paths; "
    "paths.CACHE = Path(sys.argv[2]); from generator.build import build; "
    "from generator.quality import Log; "
    "build(Path(sys.argv[1]), log=Log(stream=io.StringIO(), quiet=True), search=False, "
    "workers=1)"
)


def test_one_process_build_equals_the_parallel_one(built_site, tmp_path):
    """Parallelism changes nothing: with ``workers=1`` every job (mentions, validation,
    map geometry, every render task) runs in the build's own process, in order; the tree
    is the same, byte for byte, as the session's 2-process build (search index aside)."""
    first, _ = built_site
    second = tmp_path / "site"
    run = subprocess.run(
        [sys.executable, "-c", ONE_PROCESS, str(second), str(tmp_path / "cache")],
        cwd=paths.ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    changed = _changed_since(COLLECTED)
    if changed:
        pytest.skip(f"inputs changed during the session, the builds differ in input: {changed[:5]}")
    a = {f: h for f, h in tree_digest(first).items() if not f.startswith("pagefind/")}
    b = tree_digest(second)
    assert sorted(set(a) ^ set(b)) == []
    assert [f for f in a if a[f] != b[f]] == []
    assert len(a) > 4 * 7899
