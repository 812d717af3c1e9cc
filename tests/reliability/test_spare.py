"""The spare tree (output.py): the site before last, kept beside ``site/`` so that the
next build stages by bringing it up to date instead of linking every file again. It is
trusted only as far as the disk agrees with its manifest: whatever was done to it
between two builds, the published site is exactly what a build from scratch gives."""

from __future__ import annotations

import os
import shutil

import pytest
from minibuild import mini_project


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    yield mini_project(tmp_path_factory)


def test_builds_keep_a_spare_and_stage_from_it(mini):
    mini.reset()
    spare = mini.root / ".site-spare"
    assert spare.is_dir() and not spare.is_symlink()
    spare_tree, site_tree = spare.stat().st_ino, mini.site.stat().st_ino
    mini.edit(True)
    mini.build_ok()
    assert mini.digest() == mini.new and mini.leftovers() == []
    # the spare, brought up to date, is the site now; the old site is the spare
    assert mini.site.stat().st_ino == spare_tree
    assert spare.stat().st_ino == site_tree


def test_a_spare_changed_behind_the_builds_back_is_not_trusted_where_the_disk_disagrees(mini):
    mini.reset()
    spare = mini.root / ".site-spare"
    keys = sorted(mini.old)
    page = next(f for f in keys if f.startswith("comuni/") and f.endswith("index.html"))
    other = next(f for f in keys if f.startswith("comuni/") and f.endswith("index.json"))
    (spare / page).write_text("<p>altro</p>", encoding="utf-8")  # other bytes, other size
    (spare / other).unlink()
    (spare / "estraneo.html").write_text("x", encoding="utf-8")
    mini.edit(True)
    mini.build_ok()
    assert mini.digest() == mini.new and mini.leftovers() == []
    # the same size and another mtime: its hash is not assumed
    spare_page = mini.root / ".site-spare" / page
    data = spare_page.read_bytes()
    spare_page.write_bytes(data.replace(b"<", b"{", 1))
    mini.edit(False)
    mini.build_ok()
    assert mini.digest() == mini.old


def test_another_folder_at_the_spare_name_is_not_used(mini):
    mini.reset()
    spare = mini.root / ".site-spare"
    fake = mini.root / "fake"
    shutil.copytree(mini.site, fake)
    for p in fake.rglob("*.html"):
        p.write_text("falso", encoding="utf-8")
    shutil.rmtree(spare)
    os.rename(fake, spare)  # same name, another folder (another inode)
    mini.edit(True)
    mini.build_ok()
    assert mini.digest() == mini.new and mini.leftovers() == []
    assert "falso" not in (mini.site / "index.html").read_text(encoding="utf-8")
