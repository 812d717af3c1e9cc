"""Shared fixtures: the registry and real documents parsed once per session."""

from __future__ import annotations

import io

import pytest

from generator.quality import Log
from support import _documents, _registry, parse_real, parse_text  # noqa: F401  (re-exported)


@pytest.fixture(scope="session")
def reg():
    return _registry()


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The real site, built once per test run (shared by xdist workers through a lock).

    Returns ``(site_dir, report_summary)``; the build is strict-free so the tests can
    inspect what it reports.
    """
    import fcntl
    import json

    from generator.build import build

    root = tmp_path_factory.getbasetemp()
    if root.name.startswith("popen-gw"):
        root = root.parent
    site = root / "shared-site"
    done = root / "shared-site.json"
    with open(root / "shared-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            log = Log(stream=io.StringIO(), quiet=True)
            rep = build(site, strict=False, log=log, search=True)
            done.write_text(
                json.dumps(
                    {
                        "pages": rep.pages,
                        "files": rep.files,
                        "blocking": rep.blocking,
                        "problems": [str(p) for p in log.problems],
                    }
                )
            )
        fcntl.flock(lock, fcntl.LOCK_UN)
    return site, json.loads(done.read_text())
