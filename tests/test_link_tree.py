"""The staging tree is a hard-linked copy of the site (output.link_tree): the same files
(same inodes, so no byte is copied), folders and symbolic links, and a failure is raised,
not half-done silently."""

from __future__ import annotations

import errno
import os

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
    staged = output.stage(target, previous_ok=True)
    assert staged.is_dir() and not any(staged.iterdir())
    # ... but a full disk is the build's failure, not a reason to start empty
    monkeypatch.setattr(os, "link", _failing(errno.ENOSPC))
    with pytest.raises(OSError) as e:
        output.stage(target, previous_ok=True)
    assert e.value.errno == errno.ENOSPC


def _failing(code):
    def link(a, b, **k):
        raise OSError(code, os.strerror(code))

    return link
