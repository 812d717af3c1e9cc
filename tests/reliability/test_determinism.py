"""Two builds of the same inputs give byte-identical trees (search index included).

Both builds run the command line in a fresh process with its own ``PYTHONHASHSEED`` (so
set and dict orderings that depend on string hashing show up as differences) and its
own empty build cache (so the second build computes everything again instead of reusing
the first one's parse results and files). They run back to back, on the same inputs.
"""
from __future__ import annotations

import os
import subprocess
import sys

from corpus import tree_digest
from generator import paths

BUILD = ("import sys; from pathlib import Path; from generator import paths, cli; "
         "paths.CACHE = Path(sys.argv[2]); sys.exit(cli.main(['build', '--site', sys.argv[1]]))")


def _build(tmp_path, name: str, seed: str) -> dict[str, str]:
    site, cache = tmp_path / name, tmp_path / f"{name}-cache"
    run = subprocess.run([sys.executable, "-c", BUILD, str(site), str(cache)],
                         cwd=paths.ROOT, env={**os.environ, "PYTHONHASHSEED": seed},
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    return tree_digest(site)


def test_two_full_builds_are_byte_identical(tmp_path):
    a = _build(tmp_path, "first", "1")
    b = _build(tmp_path, "second", "20181122")
    assert sorted(set(a) ^ set(b)) == []                          # the same files ...
    assert [f for f in a if a[f] != b[f]] == []                    # ... with the same bytes
    assert any(f.startswith("pagefind/") for f in a) and len(a) > 7899
