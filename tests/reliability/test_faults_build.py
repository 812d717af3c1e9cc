"""An operator's bad day, on a small project (``minibuild.py``): builds killed at every
step of publishing, full disks at every stage, edits during a build, damaged caches and
outputs, two builds at once, odd output folders.

Each test asserts what a user cares about: the published site is the old complete one
or the new complete one, never a mix; a build never reports stale content as current;
nothing is published from a damaged cache; no process of a killed build lives on; a
failure says in one line what went wrong and that the site was left as it was.

The project has two states of its one template edit: ``OLD`` (as copied) and ``NEW``
(an attribute added to the comune page's ``<h1>``), and the fixture records the whole
published tree of each. A test starts from ``OLD`` published and must leave it so.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from corpus import tree_digest
from minibuild import make_project

HERE = Path(__file__).resolve().parent
EDIT = ("<h1>", '<h1 data-edit="nuovo">')


class Mini:
    def __init__(self, root: Path):
        self.root = root
        self.site = root / "site"
        self.tpl = root / "templates" / "comune.html"
        self.original = self.tpl.read_text(encoding="utf-8")
        self.old: dict[str, str] = {}
        self.new: dict[str, str] = {}

    def run(self, fault: str = "none", *args: str, env: dict | None = None):
        mark = uuid.uuid4().hex
        proc = subprocess.run(
            [sys.executable, str(HERE / "minibuild.py"), fault, *args],
            cwd=self.root, capture_output=True, text=True, timeout=600,
            env={**os.environ, "COMUNI_APERTI_ROOT": str(self.root), "MINIBUILD_MARK": mark,
                 **(env or {})})
        proc.mark = mark
        return proc

    def edit(self, new: bool) -> None:
        text = self.original.replace(*EDIT, 1) if new else self.original
        if self.tpl.read_text(encoding="utf-8") != text:
            self.tpl.write_text(text, encoding="utf-8")

    def digest(self) -> dict[str, str]:
        return tree_digest(self.site)

    def leftovers(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.name.startswith(".site-"))

    def build_ok(self, *args: str) -> str:
        r = self.run("none", *args)
        assert r.returncode == 0, r.stderr[-3000:]
        return r.stderr

    def reset(self) -> None:
        """Back to OLD published (and checked)."""
        self.edit(False)
        self.build_ok()
        assert self.digest() == self.old


def survivors(mark: str) -> list[int]:
    """Pids of live processes started by the run marked ``mark`` (zombies excluded)."""
    found = []
    needle = f"MINIBUILD_MARK={mark}".encode()
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if needle in (d / "environ").read_bytes() and \
                    (d / "stat").read_text().split(") ", 1)[1][0] != "Z":
                found.append(int(d.name))
        except OSError:
            continue
    return found


def wait_no_survivors(mark: str) -> list[int]:
    """The run's processes still alive after they had every chance to die (a child
    killed with its parent is gone in milliseconds; a forgotten one works on for
    seconds: 20 s is far beyond either)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        alive = survivors(mark)
        if not alive:
            return []
        time.sleep(0.2)
    alive = survivors(mark)
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    return alive


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    m = Mini(make_project(tmp_path_factory.mktemp("mini") / "project"))
    m.edit(True)
    m.build_ok()
    m.new = m.digest()
    m.edit(False)
    m.build_ok()
    m.old = m.digest()
    assert m.old != m.new and any(f.startswith("pagefind/") for f in m.old)
    yield m


# -- kill -9 at every step ---------------------------------------------------------------------
KILLS = ["kill-render", "kill-search", "kill-before-exchange", "kill-after-exchange",
         "kill-in-old-removal", "kill-before-manifest", "kill-between-renames"]


@pytest.mark.parametrize("fault", KILLS)
def test_killed_build_leaves_a_complete_site_and_never_reports_stale_content(mini, fault):
    mini.reset()
    mini.edit(True)
    r = mini.run(fault)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    assert wait_no_survivors(r.mark) == []            # workers and Pagefind died with it
    published = mini.digest()
    if fault == "kill-between-renames":
        # without renameat2 (not Linux, or a filesystem without it) publishing takes two
        # renames: killed between them, site/ is missing, the old tree beside it ...
        assert published == {} and mini.leftovers()
    else:
        assert published in (mini.old, mini.new)      # one complete site, never a mix
    # the next build (same inputs) publishes the new site and clears what the kill left
    log = mini.build_ok()
    if fault == "kill-between-renames":                # ... and the next build puts it back first
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
    assert mini.digest() == mini.old and mini.leftovers()        # staging left by the kill
    log = mini.build_ok()
    assert "left by a build that did not finish" in log
    assert "up to date" not in log and mini.digest() == mini.new and mini.leftovers() == []
    mini.reset()


# -- a full disk at every stage ------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["staging", "parse-cache", "packages", "validation-cache",
                                   "render", "search"])
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
    assert not [f for f in (mini.root / ".cache").rglob("*") if f.is_file() and f.stat().st_size == 0]
    mini.build_ok()                                   # space back: the build goes through
    assert mini.digest() == mini.new
    mini.reset()


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
    mini.reset()


# -- edits during a build ------------------------------------------------------------------------
def test_edit_undone_during_a_build_is_not_taken_for_up_to_date(mini):
    mini.reset()
    mini.edit(True)
    r = mini.run("edit-during-build")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "[inputs-changed]" in r.stderr
    log = mini.build_ok()                             # same inputs, but the last build saw others
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
    mini.reset()


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
    mini.reset()


def test_two_builds_started_together_one_publishes_the_other_is_refused(mini):
    mini.reset()
    mini.edit(True)
    env = {**os.environ, "COMUNI_APERTI_ROOT": str(mini.root)}
    procs = [subprocess.Popen([sys.executable, str(HERE / "minibuild.py"), "none"], cwd=mini.root,
                              env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=600)[1] for p in procs]
    codes = sorted(p.returncode for p in procs)
    refused = [o for o in outs if "another build is running" in o]
    # either they overlapped (one refused) or one finished before the other began
    assert codes in ([0, 1], [0, 0]) and len(refused) == codes.count(1)
    assert mini.digest() == mini.new and mini.leftovers() == []
    mini.reset()


# -- damaged caches and outputs -----------------------------------------------------------------
def _one(folder: Path) -> Path:
    (f,) = [p for p in folder.iterdir() if p.is_file()]
    return f


def test_a_changed_byte_in_the_parse_cache_is_never_published(mini):
    mini.reset()
    entry = _one(mini.root / ".cache" / "parse")
    raw = entry.read_bytes()
    assert raw.count(b"Agliano") >= 1
    entry.write_bytes(raw.replace(b"Agliano", b"Axliano"))
    mini.edit(True)                                   # any edit: the build runs and reads the cache
    log = mini.build_ok("--strict")
    assert "is corrupt" in log and "parsed again" in log
    published = (mini.site / "data/sovrimposta-fabbricati-1983/aliquote.csv").read_text(encoding="utf-8")
    assert "Agliano" in published and "Axliano" not in published
    assert b"Axliano" not in _one(mini.root / ".cache" / "parse").read_bytes()
    mini.reset()


@pytest.mark.parametrize("content", [b"", b'{"valid": tr', b"[1,2]", b"{}", "sealed:[1,2]",
                                     "sealed:{}", 'sealed:{"valid": false, "stats": {}, "tasks": []}'])
def test_a_damaged_validation_cache_entry_is_discarded_and_recomputed(mini, content):
    """Truncated, garbage, or well sealed (right checksum) but not a report."""
    from generator import cache
    mini.reset()
    entries = sorted((mini.root / ".cache" / "validation").iterdir())
    for f in entries:
        if isinstance(content, str):
            cache.put(f, content.split(":", 1)[1].encode())
        else:
            f.write_bytes(content)
    content = f.read_bytes()
    mini.edit(True)
    log = mini.build_ok("--strict")
    assert "package validated again" in log and "Traceback" not in log
    for p in (mini.site / "data").glob("*/validation.json"):
        assert json.loads(p.read_text(encoding="utf-8"))["valid"] is True, p
    assert all(f.read_bytes() != content for f in entries if f.exists())
    mini.reset()


@pytest.mark.parametrize("content", [b"", b"[]", b'{"sha256": "x", "body": {}}', b"\x00" * 10])
def test_a_damaged_output_manifest_means_a_checked_build_not_a_traceback(mini, content):
    mini.reset()
    (manifest,) = (mini.root / ".cache").glob("build-manifest-*.json")
    manifest.write_bytes(content)
    log = mini.build_ok()
    assert "up to date" not in log and "Traceback" not in log
    assert mini.digest() == mini.old
    assert "up to date" in mini.build_ok()


@pytest.mark.parametrize("rel", ["data/comuni/comuni.csv", "comuni/005001/index.csv",
                                 "pagefind/pagefind-entry.json", "comuni/075098/index.html"])
def test_a_truncated_published_file_is_rewritten_by_the_next_build(mini, rel):
    mini.reset()
    path = mini.site / rel
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 3])
    log = mini.build_ok()
    assert "up to date" not in log
    assert path.read_bytes() == good and mini.digest() == mini.old


def test_a_file_edited_in_place_without_changing_its_size_is_found_by_verify(mini):
    mini.reset()
    path = mini.site / "comuni/005001/index.csv"
    good = path.read_bytes()
    st = os.stat(path)
    path.write_bytes(good.replace(b"Acqui", b"Xcqui") if b"Acqui" in good else good[:-1] + b"#")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))     # same size, same mtime
    assert path.read_bytes() != good
    log = mini.build_ok("--verify")
    assert "up to date" not in log and path.read_bytes() == good


def test_check_reports_a_broken_search_index_and_changed_files(mini):
    mini.reset()
    frag = next((mini.site / "pagefind" / "fragment").iterdir())
    good = frag.read_bytes()
    frag.write_bytes(b"")
    env = {**os.environ, "COMUNI_APERTI_ROOT": str(mini.root)}
    r = subprocess.run([sys.executable, "-m", "generator", "check"], cwd=mini.root, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1
    assert "search index: BROKEN" in r.stdout and "1 files differ from the build manifest" in r.stdout
    frag.write_bytes(good)


def test_a_copied_project_keeps_its_manifest(mini, tmp_path):
    """The manifest is keyed by the output folder's path in the project: a copy of the
    whole project (times kept, as ``cp -a`` does) is up to date at once."""
    mini.reset()
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(mini.root), str(copy)], check=True)
    m2 = Mini(copy)
    log = m2.build_ok()
    assert "up to date" in log


# -- output folders ----------------------------------------------------------------------------
def test_a_symlinked_site_keeps_its_link_and_its_target_is_updated(mini, tmp_path):
    mini.reset()
    target = tmp_path / "www" / "comuni"
    target.parent.mkdir()
    os.rename(mini.site, target)
    os.symlink(target, mini.site)
    try:
        mini.edit(True)
        mini.build_ok()
        assert mini.site.is_symlink() and Path(os.readlink(mini.site)) == target
        assert tree_digest(target) == mini.new
        assert sorted(p.name for p in target.parent.iterdir()) == ["comuni"]
        assert mini.leftovers() == []
    finally:
        mini.site.unlink()
        os.rename(target, mini.site)
    mini.reset()


def _chattr(path: Path, flag: str) -> bool:
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


def test_an_immutable_site_is_refused_before_any_work(mini):
    mini.reset()
    if not _chattr(mini.site, "+i"):
        pytest.skip("chattr +i not possible here (not root, or the filesystem has no flags)")
    try:
        mini.edit(True)
        r = mini.run("none")
    finally:
        _chattr(mini.site, "-i")
    assert r.returncode == 1
    assert "is read-only" in r.stderr and "» render" not in r.stderr and "» sources" not in r.stderr
    assert mini.digest() == mini.old and mini.leftovers() == []
    mini.reset()


def _as_unprivileged(fn, *args) -> str:
    """``fn(*args)`` in a forked child that is not root (root ignores permission bits);
    what it returns or raises, as text."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                          # the child
        os.close(r)
        try:
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            out = f"ok: {fn(*args)}"
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            out = f"{type(e).__name__}: {e}"
        os.write(w, out.encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        out = f.read()
    os.waitpid(pid, 0)
    return out


def test_a_read_only_site_is_refused_before_any_work(tmp_path):
    import tempfile

    from generator.output import prepare_target
    top = Path(tempfile.mkdtemp(dir="/tmp", prefix="ro-site-"))   # reachable by any user
    try:
        os.chmod(top, 0o777)
        site = top / "site"
        site.mkdir()
        (site / "index.html").write_text("vecchio", encoding="utf-8")
        os.chmod(site, 0o555)
        out = _as_unprivileged(prepare_target, site)
        assert out.startswith("OutputError: ") and "is read-only" in out, out
        os.chmod(site, 0o777)
        assert _as_unprivileged(prepare_target, site).startswith("ok: ")
    finally:
        os.chmod(top / "site", 0o755)
        import shutil
        shutil.rmtree(top)


def test_a_mount_point_site_is_refused_before_any_work(mini):
    mini.reset()
    if subprocess.run(["mount", "--bind", str(mini.site), str(mini.site)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        mini.edit(True)
        r = mini.run("none")
    finally:
        subprocess.run(["umount", str(mini.site)], check=True)
    assert r.returncode == 1 and "mount point" in r.stderr and "» sources" not in r.stderr
    assert mini.digest() == mini.old and mini.leftovers() == []
    mini.reset()


def test_a_small_tmpfs_fills_up_and_the_site_stays_as_it_was(mini, tmp_path):
    """A real full disk: the site on a tmpfs with room for it but not for a second copy
    of the changed files (skipped where mounting is not allowed)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        mini.reset()
        site = mnt / "site"
        r = mini.run("none", "--site", str(site), "--no-search")
        assert r.returncode == 1 and "disk full" in r.stderr and "Traceback" not in r.stderr, \
            r.stderr[-2000:]
        assert not site.exists() and list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
