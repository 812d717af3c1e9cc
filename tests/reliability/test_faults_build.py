"""An operator's bad day, on a small project (``minibuild.py``), part 2: damaged caches
and outputs, odd output folders (symlinked, immutable, read-only, a mount point, a
small tmpfs), a copied project. (Part 1, ``test_faults_kill.py``: killed builds, full
disks, edits during a build, two builds at once.)

Each test asserts what a user cares about: the published site is the old complete one
or the new complete one, never a mix; a build never reports stale content as current;
nothing is published from a damaged cache; a failure says in one line what went wrong
and that the site was left as it was.
"""

from __future__ import annotations

import hashlib

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpus import tree_digest
from minibuild import Mini, mini_project


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    yield mini_project(tmp_path_factory)


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
    mini.edit(True)  # any edit: the build runs and reads the cache
    log = mini.build_ok("--strict")
    assert "is corrupt" in log and "parsed again" in log
    published = (mini.site / "data/sovrimposta-fabbricati-1983/aliquote.csv").read_text(
        encoding="utf-8"
    )
    assert "Agliano" in published and "Axliano" not in published
    assert b"Axliano" not in _one(mini.root / ".cache" / "parse").read_bytes()


DAMAGE = [
    b"",
    b'{"valid": tr',
    b"[1,2]",
    b"{}",
    "sealed:[1,2]",
    "sealed:{}",
    'sealed:{"valid": false, "stats": {}, "tasks": []}',
]


def test_damaged_validation_cache_entries_are_discarded_and_recomputed(mini):
    """Truncated (0 bytes: a full disk), garbage, or well sealed (right checksum) but
    not a report: each entry gets one kind of damage."""
    from generator import cache

    mini.reset()
    entries = sorted((mini.root / ".cache" / "validation").iterdir())
    assert len(entries) >= 3
    damaged = {}
    for f, content in zip(entries, DAMAGE * len(entries)):
        if isinstance(content, str):
            cache.put(f, content.split(":", 1)[1].encode())
        else:
            f.write_bytes(content)
        damaged[f] = f.read_bytes()
    mini.edit(True)
    log = mini.build_ok("--strict")
    assert log.count("package validated again") == len(entries) and "Traceback" not in log
    for p in (mini.site / "data").glob("*/validation.json"):
        assert json.loads(p.read_text(encoding="utf-8"))["valid"] is True, p
    assert all(f.read_bytes() != raw for f, raw in damaged.items() if f.exists())


_ZEROS = b"0" * 64
_LIST_SHA = hashlib.sha256(b"[]").hexdigest().encode()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"[]",
        b'{"sha256": "x", "body": {"version": 2}}',
        b'{"body":{"version":2},"sha256":"' + _ZEROS + b'"}',  # checksum of another body
        b'{"body":[],"sha256":"' + _LIST_SHA + b'"}',  # the right checksum, not a manifest
    ],
)
def test_a_damaged_output_manifest_means_a_checked_build_not_a_traceback(mini, content):
    mini.reset()
    (manifest,) = [  # the manifest of site/ (not the spare tree's)
        m
        for m in (mini.root / ".cache").glob("build-manifest-*.json")
        if m.with_suffix(".site").read_text(encoding="utf-8").endswith("site")
    ]
    manifest.write_bytes(content)
    log = mini.build_ok()
    assert "up to date" not in log and "Traceback" not in log
    assert mini.digest() == mini.old
    assert "up to date" in mini.build_ok()


def test_truncated_published_files_are_rewritten_by_the_next_build(mini):
    mini.reset()
    good = {}
    for rel in (
        "data/comuni/comuni.csv",
        "comuni/005001/index.csv",
        "pagefind/pagefind-entry.json",
        "comuni/075098/index.html",
    ):
        path = mini.site / rel
        good[rel] = path.read_bytes()
        path.write_bytes(good[rel][: len(good[rel]) // 3])
    log = mini.build_ok()
    assert "up to date" not in log and "4 files of site/ are not as the last build left them" in log
    assert mini.digest() == mini.old


def test_a_copy_of_the_site_that_fails_still_publishes_the_whole_site(mini):
    """No spare tree: the staging tree is the site's copy made by a child beside the
    render, whose Writers only record the pages they take over (``Writer.defer``). The
    child fails: the build links those pages itself, and the site is whole."""
    mini.reset()
    spare = mini.root / ".site-spare"
    if spare.exists():
        os.rename(spare, mini.root / "old-spare")  # kept out of the way, then removed
        subprocess.run(["rm", "-rf", str(mini.root / "old-spare")], check=True)
    page = mini.site / "comuni/075098/index.html"
    page.write_bytes(page.read_bytes()[:100])  # a build, taking over every other page
    r = mini.run("copy-fails")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "was not completed ([Errno 1] no links here)" in r.stderr
    assert mini.digest() == mini.old and mini.leftovers() == []


def test_a_file_edited_in_place_without_changing_its_size_is_found_by_verify(mini):
    mini.reset()
    path = mini.site / "comuni/005001/index.csv"
    good = path.read_bytes()
    st = os.stat(path)
    path.write_bytes(good.replace(b"Acqui", b"Xcqui") if b"Acqui" in good else good[:-1] + b"#")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    assert path.read_bytes() != good
    log = mini.build_ok("--verify")
    assert "up to date" not in log and path.read_bytes() == good


def test_a_failed_database_is_a_problem_on_the_quality_page_and_dati_says_so(mini):
    """The export is made by a render worker while the other pages are made; what it
    reports reaches the quality page and /dati/, which wait for it (render.LATE_TASKS)."""
    mini.reset()
    mini.edit(True)  # an input changed: the build runs (and the export fails)
    r = mini.run("database-error")
    assert r.returncode == 0, r.stderr[-3000:]
    quality = json.loads((mini.site / "dati/qualita/quality.json").read_text(encoding="utf-8"))
    (problem,) = [p for p in quality["problems"] if p["code"] == "database"]
    assert "injected: the export fails" in problem["message"]
    assert "injected: the export fails" in (mini.site / "dati/qualita/index.html").read_text(
        encoding="utf-8"
    )
    assert not (mini.site / "data/comuni-aperti.sqlite").exists()
    dati = (mini.site / "dati/index.html").read_text(encoding="utf-8")
    assert "comuni-aperti.sqlite" not in dati
    assert mini.run("database-error", "--strict").returncode != 0  # an error blocks CI
    mini.reset()  # the next build without the fault publishes the database again


def test_check_reports_a_broken_search_index_and_changed_files(mini):
    mini.reset()
    frag = next((mini.site / "pagefind" / "fragment").iterdir())
    good = frag.read_bytes()
    frag.write_bytes(b"")
    env = {**os.environ, "COMUNI_APERTI_ROOT": str(mini.root)}
    r = subprocess.run(
        [sys.executable, "-m", "generator", "check"],
        cwd=mini.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 1
    assert (
        "search index: BROKEN" in r.stdout and "1 files differ from the build manifest" in r.stdout
    )
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
        # beside the target, only the spare tree of the next build
        assert sorted(p.name for p in target.parent.iterdir()) == [".comuni-spare", "comuni"]
        assert mini.leftovers() == []
    finally:
        mini.site.unlink()
        os.rename(target, mini.site)


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


def _as_unprivileged(fn, *args) -> str:
    """``fn(*args)`` in a forked child that is not root (root ignores permission bits);
    what it returns or raises, as text."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
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

    top = Path(tempfile.mkdtemp(dir="/tmp", prefix="ro-site-"))  # reachable by any user
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
    if (
        subprocess.run(
            ["mount", "--bind", str(mini.site), str(mini.site)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot bind-mount here")
    try:
        mini.edit(True)
        r = mini.run("none")
    finally:
        subprocess.run(["umount", str(mini.site)], check=True)
    assert r.returncode == 1 and "mount point" in r.stderr and "» sources" not in r.stderr
    assert mini.digest() == mini.old and mini.leftovers() == []


def test_a_bind_mount_with_a_space_and_an_accent_in_its_path_is_a_mount_point(tmp_path):
    """The kernel's mount table writes a space as ``\\040``, and a non-ASCII name in UTF-8:
    the mount point is found under its real name (it was decoded as Latin-1 before)."""
    from generator.output import is_mount_point

    site = tmp_path / "sito di perché" / "site"
    site.mkdir(parents=True)
    assert not is_mount_point(site)
    if subprocess.run(["mount", "--bind", str(site), str(site)], capture_output=True).returncode:
        pytest.skip("cannot bind-mount here")
    try:
        assert is_mount_point(site)
        assert not is_mount_point(site.parent)
    finally:
        subprocess.run(["umount", str(site)], check=True)


def test_a_small_tmpfs_fills_up_and_the_site_stays_as_it_was(mini, tmp_path):
    """A real full disk: the site on a tmpfs with room for it but not for a second copy
    of the changed files (skipped where mounting is not allowed)."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("cannot mount a tmpfs here")
    try:
        mini.reset()
        site = mnt / "site"
        r = mini.run("none", "--site", str(site), "--no-search")
        assert r.returncode == 1 and "disk full" in r.stderr and "Traceback" not in r.stderr, (
            r.stderr[-2000:]
        )
        assert not site.exists() and list(mnt.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


# -- serve ---------------------------------------------------------------------------------------
SERVE = r"""
import contextlib, io, json, sys
sys.path.insert(0, sys.argv[1])
import minibuild
minibuild.use_small_registry()
from generator import output, paths, serve
out = {}
r = serve.Rebuilder()
err = io.StringIO()
with contextlib.redirect_stderr(err):
    r.full()                                   # serve's first build: the search index stays
out["search_kept"] = (paths.SITE / "pagefind" / "pagefind-entry.json").is_file()
tpl = paths.TEMPLATES / "comune.html"
good = tpl.read_text(encoding="utf-8")
# an edit that fails at run time on one comune only (the last one rendered)
codes = sorted(r.model.comuni)
tpl.write_text(good.replace("<h1>", '<h1 data-edit="x">{% if data.istat == "' + codes[-1]
                            + '" %}{{ 1 // 0 }}{% endif %}', 1), encoding="utf-8")
serve.record_request(f"/comuni/{codes[0]}/")
with contextlib.redirect_stderr(err):
    r()
    r.wait()
out["log"] = err.getvalue()
out["edited"] = sum('data-edit="x"' in (paths.SITE / "comuni" / c / "index.html").read_text(
    encoding="utf-8") for c in codes)
m = output.load_manifest(paths.CACHE, paths.SITE, verify=True)
out["manifest_true"] = m.complete
tpl.write_text(good, encoding="utf-8")
print(json.dumps(out))
"""


def test_serve_template_error_on_one_comune_leaves_the_site_and_manifest_as_they_were(mini):
    mini.reset()
    env = {**os.environ, "COMUNI_APERTI_ROOT": str(mini.root)}
    run = subprocess.run(
        [sys.executable, "-c", SERVE, str(Path(__file__).parent)],
        cwd=mini.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["search_kept"]
    assert "template error (comune.html)" in out["log"] and "left as it was" in out["log"]
    assert out["edited"] == 0  # not one page keeps the broken edit
    assert out["manifest_true"]
    log = mini.build_ok("--strict")  # the template as before: the site is current
    assert mini.digest() == mini.old, log[-2000:]


COLLECTOR = """
import gc, io, json, sys
sys.path.insert(0, sys.argv[1])
import minibuild
minibuild.use_small_registry()
from generator import build as b, render
from generator.quality import Log

seen = []
real = render.render_site

def render_site(*args, **kwargs):
    seen.append(gc.get_freeze_count())  # what the build froze before its render
    if sys.argv[2] == "fail":
        raise RuntimeError("render fails")
    return real(*args, **kwargs)

render.render_site = render_site
try:
    b.build(force=True, log=Log(stream=io.StringIO(), quiet=True), search=True)
except b.BuildError as e:
    seen.append(str(e))
print(json.dumps([seen, gc.get_freeze_count(), gc.isenabled()]))
"""


@pytest.mark.parametrize("outcome", ["ok", "fail"])
def test_the_build_gives_back_to_the_collector_what_it_froze(mini, outcome):
    """The build moves its long-lived objects out of the collector's reach (gc.freeze)
    while it runs; when it ends, built or failed, they are given back and the collector is
    on, so a long-running process (``serve``, the tests) collects them later."""
    mini.reset()
    run = subprocess.run(
        [sys.executable, "-c", COLLECTOR, str(Path(__file__).parent), outcome],
        cwd=mini.root,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COMUNI_APERTI_ROOT": str(mini.root)},
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen, after, enabled = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen[0] > 10_000  # the registry, documents, model: frozen before the render
    if outcome == "fail":
        assert seen[1] == "render: RuntimeError: render fails"
    assert after == 0 and enabled
    assert mini.digest() == mini.old and mini.leftovers() == []
