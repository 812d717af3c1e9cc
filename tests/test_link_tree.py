"""The staging tree is a hard-linked copy of the site (output.link_tree): the same files
(same inodes, so no byte is copied), folders and symbolic links, and a failure is raised,
not half-done silently."""

from __future__ import annotations

import errno
import hashlib
import os
import time
from pathlib import Path

import pytest

from generator import output


def _tree(root):
    (root / "comuni" / "001001").mkdir(parents=True)
    (root / "comuni" / "001001" / "index.html").write_text("<p>Agliè</p>")
    (root / "pagefind" / "fragment").mkdir(parents=True)
    (root / "pagefind" / "fragment" / "it_1.pf_fragment").write_bytes(b"\x00\x01")
    (root / "index.html").write_text("home")
    (root / "vuota").mkdir()
    os.symlink("index.html", root / "alias.html")


def test_link_tree_links_every_file_and_keeps_folders_and_symlinks(tmp_path):
    src, dst = tmp_path / "site", tmp_path / "staging"
    src.mkdir()
    _tree(src)
    output.link_tree(src, dst)
    files = sorted(p.relative_to(src).as_posix() for p in src.rglob("*"))
    assert sorted(p.relative_to(dst).as_posix() for p in dst.rglob("*")) == files
    for rel in ("index.html", "comuni/001001/index.html", "pagefind/fragment/it_1.pf_fragment"):
        assert os.stat(src / rel).st_ino == os.stat(dst / rel).st_ino, rel
    assert (dst / "vuota").is_dir() and not any((dst / "vuota").iterdir())
    assert os.readlink(dst / "alias.html") == "index.html"
    assert (dst / "alias.html").read_text() == "home"


def test_link_tree_raises_when_it_cannot_link(tmp_path, monkeypatch):
    src = tmp_path / "site"
    src.mkdir()
    _tree(src)
    (tmp_path / "staging").mkdir()
    with pytest.raises(FileExistsError):
        output.link_tree(src, tmp_path / "staging")
    # stage() starts from an empty tree when hard links fail for another reason
    target = tmp_path / "pubblicato"
    target.mkdir()
    (target / "a.html").write_text("x")
    monkeypatch.setattr(os, "link", _failing(errno.EPERM))
    staged, filler = output.stage(target, previous_ok=True)
    assert filler is None and staged.is_dir() and not any(staged.iterdir())
    # ... but a full disk is the build's failure, not a reason to start empty
    monkeypatch.setattr(os, "link", _failing(errno.ENOSPC))
    with pytest.raises(OSError) as e:
        output.stage(target, previous_ok=True)
    assert e.value.errno == errno.ENOSPC


def _failing(code):
    def link(a, b, **k):
        raise OSError(code, os.strerror(code))

    return link


# -- the copy made in the background (output.Filler) beside the build's Writer ------------
def _site(root, n=3000):
    """A site of ``n`` pages in folders of 3, like /comuni/<istat>/."""
    for i in range(n):
        d = root / "comuni" / f"{i:06d}"
        d.mkdir(parents=True)
        (d / "index.html").write_text(f"pagina {i}")
    (root / "index.html").write_text("home")
    return {
        f"comuni/{i:06d}/index.html": hashlib.sha256(f"pagina {i}".encode()).hexdigest()
        for i in range(n)
    }


@pytest.mark.parametrize("mirror", [True, False], ids=["build", "render-worker"])
def test_the_background_copy_and_the_writer_make_the_same_tree_whoever_comes_first(
    tmp_path, mirror
):
    """The build writes and takes over files while the child links the site: pages
    written anew (from the last one back, so the two meet), pages taken over, a page
    written with the bytes it had. The site is never written through a link, every
    file ends as the build meant, whichever of the two got there first. The same for a
    render worker's Writer (not ``mirror``: the render goes on beside the copy)."""
    site = tmp_path / "site"
    hashes = _site(site)
    before = {p: p.read_bytes() for p in site.rglob("*.html")}
    tmp, filler = output.stage(site, previous_ok=True, background=True)
    assert filler is not None and tmp.is_dir()
    w = output.Writer(tmp, hashes, source=site, mirror=mirror)
    changed = [f"comuni/{i:06d}/index.html" for i in range(2999, -1, -3)]
    for rel in changed:
        w.write("/" + rel, f"nuova {rel}")
    taken = [f"comuni/{i:06d}/index.html" for i in range(2998, -1, -3)]
    for rel in taken:
        w.reuse(rel, hashes[rel], len(f"pagina {rel}"))
    w.write("/comuni/000001/index.html", "pagina 1")  # the same bytes: linked, not written
    assert filler.join() is None
    assert {p: p.read_bytes() for p in site.rglob("*.html")} == before  # the site as it was
    for rel in changed:
        assert (tmp / rel).read_text() == f"nuova {rel}"
        assert os.stat(tmp / rel).st_ino != os.stat(site / rel).st_ino
    # a worker writes the page of unchanged bytes itself if the copy has not linked it yet
    same = ["comuni/000001/index.html"] if mirror else []
    for rel in taken + same + ["index.html"]:
        assert os.stat(tmp / rel).st_ino == os.stat(site / rel).st_ino, rel
    assert (tmp / "comuni/000001/index.html").read_text() == "pagina 1"
    assert len(list(tmp.rglob("*.html"))) == len(before)


def test_the_writer_never_writes_through_a_link_into_the_site(tmp_path):
    site, tmp = tmp_path / "site", tmp_path / "staging"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text("vecchia")
    (tmp / "a").mkdir(parents=True)
    os.link(site / "a" / "index.html", tmp / "a" / "index.html")  # the child was first
    w = output.Writer(tmp, {}, source=site, mirror=True)
    w.write("/a/", "nuova")
    w.write("/a/", "nuovissima")  # a page written twice
    assert (site / "a" / "index.html").read_text() == "vecchia"
    assert (tmp / "a" / "index.html").read_text() == "nuovissima"


def test_a_copy_that_fails_is_reported_and_a_full_disk_fails_the_build(tmp_path, monkeypatch):
    site = tmp_path / "site"
    hashes = _site(site, 20)
    monkeypatch.setattr(os, "link", _failing(errno.EPERM))  # the child inherits it
    tmp, filler = output.stage(site, previous_ok=True, background=True)
    problem = filler.join()
    assert problem and "Operation not permitted" in problem
    monkeypatch.undo()
    # the build goes on: what it takes over it links from the site itself
    w = output.Writer(tmp, hashes, source=site, mirror=True)
    w.reuse("comuni/000007/index.html", hashes["comuni/000007/index.html"], 8)
    assert (tmp / "comuni/000007/index.html").read_text() == "pagina 7"
    output.remove_tree(tmp)
    monkeypatch.setattr(os, "link", _failing(errno.ENOSPC))
    tmp, filler = output.stage(site, previous_ok=True, background=True)
    with pytest.raises(OSError) as e:
        filler.join()
    assert e.value.errno == errno.ENOSPC


def test_a_failed_build_stops_the_copy(tmp_path):
    site = tmp_path / "site"
    _site(site, 4000)
    tmp, filler = output.stage(site, previous_ok=True, background=True)
    pids = filler.pids
    assert len(pids) == output.Filler.PARTS
    filler.kill()
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # gone, and reaped
    assert filler.pids == []
    output.remove_tree(tmp)
    assert not tmp.exists()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_a_killed_build_leaves_no_copy_going_on(tmp_path):
    site = tmp_path / "site"
    _site(site, 3000)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the build: starts the copy, then is killed (kill -9, the OOM killer)
        try:
            link = os.link

            def slow_link(*a, **k):  # a copy of a few seconds (the child inherits it)
                time.sleep(0.002)
                return link(*a, **k)

            os.link = slow_link
            tmp, filler = output.stage(site, previous_ok=True, background=True)
            os.write(w, f"{','.join(map(str, filler.pids))} {tmp}".encode())
            time.sleep(0.2)
        finally:
            os.kill(os.getpid(), 9)
    os.close(w)
    children, _, tmp = os.read(r, 1000).decode().partition(" ")
    os.close(r)
    os.waitpid(pid, 0)
    deadline = time.monotonic() + 20
    for child in map(int, children.split(",")):
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    linked = sum(1 for _ in Path(tmp).rglob("index.html"))
    assert 0 < linked < 3000  # stopped with the build, not run to its end


# -- the scans made by a child beside the build (output.Scan) -------------------------------
def test_a_scan_made_by_a_child_is_the_scan_made_here(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    _tree(root)
    folders: list[str] = []
    assert output.Scan(root).result() == (output.scan(root, folders), folders)
    files, dirs = output.Scan(root, skip=("pagefind",)).result()
    assert "index.html" in files and not any(f.startswith("pagefind") for f in [*files, *dirs])
    sub: list[str] = []
    rest = output.scan(root, sub, top="pagefind")
    assert {**files, **rest} == output.scan(root)
    assert sorted(dirs + sub) == sorted(folders)


def test_verify_with_the_scan_made_beside_the_build_sees_the_skipped_folder_as_it_is_now(
    tmp_path,
):
    """The verify stage's scan of the staging tree is made while the search index is
    written (build.py): the index's folder is scanned at the end, so a file the index
    writes meanwhile is checked like any other, and a leftover there is pruned."""
    root = tmp_path / "staging"
    root.mkdir()
    w = output.Writer(root)
    w.write("/index.html", "home")
    w.write("/comuni/001001/index.html", "<p>Agliè</p>")
    (root / "pagefind").mkdir()
    (root / "pagefind" / "old.pf_index").write_bytes(b"old")  # the last build's
    scanned = output.Scan(root, skip=("pagefind",))
    w.write("/pagefind/pagefind-entry.json", "{}")  # written after the scan began
    entries = output.verify_tree(root, w, prune=True, scanned=scanned)
    assert sorted(entries) == [
        "comuni/001001/index.html",
        "index.html",
        "pagefind/pagefind-entry.json",
    ]
    assert not (root / "pagefind" / "old.pf_index").exists()
    assert entries == output.verify_tree(root, w)  # the same as a scan made now


class _FailingScan(output.Scan):
    def _scan(self):
        if os.getpid() != self.parent:
            raise OSError("the child cannot read the tree")
        return super()._scan()


def test_a_scan_whose_child_fails_is_made_here_and_a_killed_one_leaves_no_child(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    _tree(root)
    _FailingScan.parent = os.getpid()
    assert _FailingScan(root).result()[0] == output.scan(root)
    s = output.Scan(root)
    pid = s.pid
    assert pid is not None
    s.kill()
    assert s.pid is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped
    s.kill()  # twice: nothing


def test_taking_over_beside_the_background_copy_links_each_file_once(tmp_path, monkeypatch):
    """Writer.take_over while the child links the site (``mirror``): each file of the
    last build ends as the site's file (the same inode), whoever linked it; where the
    folder is there, with one system call a file (the link, or its "exists": the child's
    link); a unit with a file gone from the site is not taken over, and nothing of it is
    recorded (it is made again)."""
    site = tmp_path / "site"
    hashes = _site(site)
    units = [
        [(f"comuni/{i:06d}/index.html", hashes[f"comuni/{i:06d}/index.html"], 0)]
        for i in range(2999, -1, -1)
    ]
    tmp, filler = output.stage(site, previous_ok=True, background=True)
    w = output.Writer(tmp, hashes, source=site, mirror=True)
    assert all(w.take_over(u) for u in units)  # racing the child, from the other end
    assert filler.join() is None
    for ((rel, sha, _size),) in units:
        assert os.stat(tmp / rel).st_ino == os.stat(site / rel).st_ino
        assert w.hashes[rel] == sha
    assert w.count == 3000
    # every folder there: no file or folder looked for, nothing linked twice
    calls = []
    exists = os.path.exists
    monkeypatch.setattr(os.path, "exists", lambda p: calls.append(p) or exists(p))
    again = output.Writer(tmp, hashes, source=site, mirror=True)
    assert all(again.take_over(u) for u in units)
    assert calls == [] and again.written == 0 and again.count == 3000
    monkeypatch.undo()
    # a file of the last build gone from the site: the unit is made again
    os.unlink(site / "comuni/000005/index.html")
    w2 = output.Writer(tmp_path / "other", hashes, source=site, mirror=True)
    unit = [(f"comuni/{i:06d}/index.html", hashes[f"comuni/{i:06d}/index.html"], 0) for i in (4, 5)]
    assert not w2.take_over(unit)
    assert w2.hashes == {} and w2.count == 0
    w2.write("/comuni/000005/", "pagina 5")  # made again: written, not linked
    assert (tmp_path / "other/comuni/000005/index.html").read_text() == "pagina 5"


def test_a_deferring_writer_leaves_the_links_to_the_background_copy(tmp_path, monkeypatch):
    """The render's Writers (``defer``) record the files they take over beside the child
    without a system call: the child's links are the tree. A file gone from the site
    meanwhile is found missing by verify_tree (the build fails, the site is untouched);
    after a copy that failed, link_missing makes the files taken over, and names one the
    site no longer has."""
    site = tmp_path / "site"
    hashes = _site(site, 600)
    units = [[(rel, sha, len(f"pagina {int(rel[7:13])}"))] for rel, sha in hashes.items()]
    os.unlink(site / "comuni/000005/index.html")  # gone before the copy reaches it
    tmp, filler = output.stage(site, previous_ok=True, background=True)
    calls = []
    for name in ("link", "stat", "lstat", "mkdir"):  # the child was forked before this
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda *a, _r=real, **k: calls.append(a) or _r(*a, **k))
    w = output.Writer(tmp, hashes, source=site, mirror=True)
    w.defer = True
    assert all(w.take_over(u) for u in units)
    assert calls == [] and w.written == 0 and w.count == 600
    monkeypatch.undo()
    assert filler.join() is None
    for rel in hashes:
        if rel != "comuni/000005/index.html":
            assert os.stat(tmp / rel).st_ino == os.stat(site / rel).st_ino
    w.write("/index.html", "home")
    with pytest.raises(output.OutputError, match="1 files missing.*000005"):
        output.verify_tree(tmp, w)
    # the copy failed: the files taken over are linked by the build itself
    output.remove_tree(tmp)
    monkeypatch.setattr(os, "link", _failing(errno.EPERM))  # the child inherits it
    tmp, filler = output.stage(site, previous_ok=True, background=True)
    assert filler.join()
    monkeypatch.undo()
    w = output.Writer(tmp, hashes, source=site, mirror=True)
    w.defer = True
    assert all(w.take_over(u) for u in units[:10])
    with pytest.raises(output.OutputError, match="000005/index.html: gone from the site"):
        w.link_missing()
    del w.hashes["comuni/000005/index.html"], w.sizes["comuni/000005/index.html"]
    assert w.link_missing() == 4  # 000006-000009: 000000-000004 were linked before it
    for rel in w.hashes:
        assert os.stat(tmp / rel).st_ino == os.stat(site / rel).st_ino


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_the_parts_of_the_copy_make_the_whole_tree_once(tmp_path, parts):
    """link_tree's parts (one per Filler child) together link every file and make every
    folder of the site, each exactly once, whatever the number of parts."""
    site = tmp_path / "site"
    _tree(site)
    _site(site, 300)
    (site / "comuni" / "000007" / "sotto").mkdir()
    (site / "comuni" / "000007" / "sotto" / "a.json").write_text("{}")
    dst = tmp_path / "copy"
    dst.mkdir()
    for e in os.scandir(site):
        if e.is_dir(follow_symlinks=False):
            (dst / e.name).mkdir()
    made: list = []
    link, mkdir = os.link, os.mkdir
    try:
        os.link = lambda a, b, **k: made.append(("link", str(b))) or link(a, b, **k)
        os.mkdir = lambda p, *a, **k: made.append(("mkdir", str(p))) or mkdir(p, *a, **k)
        for k in range(parts):
            output.link_tree(site, dst, merge=True, part=(k, parts))
    finally:
        os.link, os.mkdir = link, mkdir
    assert len(made) == len(set(made))  # nothing made twice
    assert sorted(str(p.relative_to(dst)) for p in dst.rglob("*")) == sorted(
        str(p.relative_to(site)) for p in site.rglob("*")
    )
    for p in site.rglob("*"):
        if p.is_file() and not p.is_symlink():
            assert os.stat(dst / p.relative_to(site)).st_ino == os.stat(p).st_ino
