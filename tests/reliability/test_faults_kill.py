"""An operator's bad day, on a small project (``minibuild.py``), part 1: builds killed
at every step of publishing, full disks at every stage, edits during a build, two
builds at once. (Part 2, ``test_faults_build.py``: damaged caches and outputs, odd
output folders.)

The project has two states of its one template edit: ``OLD`` (as copied) and ``NEW``
(an attribute added to the comune page's ``<h1>``), and the fixture records the whole
published tree of each. Each test asserts what a user cares about: the published site
is the old complete one or the new complete one, never a mix; a build never reports
stale content as current; no process of a killed build lives on; a failure says in one
line what went wrong and that the site was left as it was.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from minibuild import HERE, mini_project, wait_no_survivors


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    yield mini_project(tmp_path_factory)


# -- kill -9 at every step ---------------------------------------------------------------------
KILLS = [
    "kill-render",
    "kill-search",
    "kill-before-exchange",
    "kill-after-exchange",
    "kill-keeping-spare",
    "kill-in-spare-removal",
    "kill-before-manifest",
    "kill-between-renames",
]


@pytest.mark.parametrize("fault", KILLS)
def test_killed_build_leaves_a_complete_site_and_never_reports_stale_content(mini, fault):
    mini.reset()
    mini.edit(True)
    r = mini.run(fault)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    assert wait_no_survivors(r.mark) == []  # workers and Pagefind died with it
    published = mini.digest()
    if fault == "kill-between-renames":
        # without renameat2 (not Linux, or a filesystem without it) publishing takes two
        # renames: killed between them, site/ is missing, the old tree beside it ...
        assert published == {} and mini.leftovers()
    else:
        assert published in (mini.old, mini.new)  # one complete site, never a mix
    # the next build (same inputs) publishes the new site and clears what the kill left
    log = mini.build_ok()
    if fault == "kill-between-renames":  # ... and the next build puts it back first
        assert "restored site/ from .site-old-" in log
    assert mini.digest() == mini.new and mini.leftovers() == []
    # undoing the edit is never answered "up to date" with the edit still published
    mini.edit(False)
    mini.build_ok()
    assert mini.digest() == mini.old


def test_killed_before_publishing_the_next_unchanged_build_still_publishes(mini):
    """The kill left the old site and a staging tree; the inputs the killed build saw
    are the current ones: the next build must not trust anything and publish them."""
    mini.reset()
    mini.edit(True)
    r = mini.run("kill-before-exchange")
    assert r.returncode == -signal.SIGKILL
    assert mini.digest() == mini.old and mini.leftovers()  # staging left by the kill
    log = mini.build_ok()
    assert "left by a build that did not finish" in log
    assert "up to date" not in log and mini.digest() == mini.new and mini.leftovers() == []


# -- a full disk at every stage ------------------------------------------------------------------
@pytest.mark.parametrize(
    "stage", ["staging", "parse-cache", "packages", "validation-cache", "render", "search"]
)
def test_disk_full_fails_in_one_line_and_leaves_the_site_as_it_was(mini, stage):
    mini.reset()
    mini.edit(True)
    # caches cold for the cache stages, so the build has entries to write
    for sub in ("parse", "validation"):
        for f in (mini.root / ".cache" / sub).glob("*"):
            f.unlink()
    r = mini.run(f"enospc-{stage}")
    assert r.returncode == 1, r.stderr[-2000:]
    last = r.stderr.strip().splitlines()[-2:]
    assert last[0].startswith("BUILD FAILED: ") and "disk full" in last[0], last
    assert last[1] == "site/ left as it was."
    assert "Traceback" not in r.stderr
    assert mini.digest() == mini.old and mini.leftovers() == []
    assert not [
        f for f in (mini.root / ".cache").rglob("*") if f.is_file() and f.stat().st_size == 0
    ]
    if stage == "validation-cache":  # space back: the build goes through
        mini.build_ok()
        assert mini.digest() == mini.new


def test_disk_full_when_saving_the_manifest_after_publishing(mini):
    mini.reset()
    mini.edit(True)
    r = mini.run("enospc-manifest")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "the build manifest could not be saved" in r.stderr
    assert mini.digest() == mini.new
    mini.edit(False)
    log = mini.build_ok()
    assert "up to date" not in log and mini.digest() == mini.old


def test_debug_prints_the_traceback(mini):
    mini.reset()
    mini.edit(True)
    r = mini.run("enospc-render", "--debug")
    assert r.returncode == 1 and "Traceback" in r.stderr and "disk full" in r.stderr


# -- edits during a build ------------------------------------------------------------------------
def test_edit_undone_during_a_build_is_not_taken_for_up_to_date(mini):
    mini.reset()
    mini.edit(True)
    r = mini.run("edit-during-build")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "[inputs-changed]" in r.stderr
    log = mini.build_ok()  # same inputs, but the last build saw others
    assert "up to date" not in log
    log = mini.build_ok("--strict")
    assert "[inputs-changed]" not in log and mini.digest() == mini.new
    mini.edit(False)
    mini.build_ok()
    assert mini.digest() == mini.old


def test_edit_during_a_strict_build_fails_it(mini):
    mini.reset()
    mini.edit(True)
    r = mini.run("edit-during-build", "--strict")
    assert r.returncode == 1 and "[inputs-changed]" in r.stderr
    assert mini.digest() == mini.old


# -- two builds at once -------------------------------------------------------------------------
def test_second_build_is_refused_with_who_holds_the_lock(mini):
    from generator.guard import BuildLock

    mini.reset()
    mini.edit(True)
    with BuildLock(mini.root / ".cache", "build"):
        r = mini.run("none")
    assert r.returncode == 1
    assert f"another build is running (build), pid {os.getpid()}, since " in r.stderr
    assert mini.digest() == mini.old


def test_two_builds_started_together_one_publishes_the_other_is_refused(mini):
    mini.reset()
    mini.edit(True)
    env = {**os.environ, "COMUNI_APERTI_ROOT": str(mini.root)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE / "minibuild.py"), "none"],
            cwd=mini.root,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600)[1] for p in procs]
    codes = sorted(p.returncode for p in procs)
    refused = [o for o in outs if "another build is running" in o]
    # either they overlapped (one refused) or one finished before the other began
    assert codes in ([0, 1], [0, 0]) and len(refused) == codes.count(1)
    assert mini.digest() == mini.new and mini.leftovers() == []
