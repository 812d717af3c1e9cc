"""A small project and its build, with one fault injected where a real one would land.

``make_project(root)`` lays out a project (``COMUNI_APERTI_ROOT``): a GU fragment as its
only document, its own copy of the templates (the tests edit them), the real content,
static assets and the rest of ``data/`` (registry, known defects, catalogue, specs). Run as a script, this module builds that project
through the command line (``python minibuild.py FAULT [build options]``) with the
registry cut to two provinces (Asti and Lecce: about 220 comune pages instead of 8,000,
so a build takes seconds) and the fault ``FAULT`` injected:

* ``kill-*``: the build process gets SIGKILL at that point (as ``kill -9`` or the OOM
  killer would), e.g. inside the publish exchange, while the old tree becomes the spare
  tree, or half-way through the removal of a spare that is not trusted; ``kill-render`` and ``kill-search`` land while child processes (render
  workers, Pagefind) are running;
* ``enospc-*``: a write at that stage fails with ENOSPC (a full disk);
* ``edit-during-build``: a template is edited and the edit undone while the site renders.

Every process of the run carries ``MINIBUILD_MARK`` in its environment, so a test can
look for orphans after the kill.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent.parent
PROVINCES = ("AT", "LE")


def make_project(root: Path) -> Path:
    """Lay out the small project in ``root`` (created); returns ``root``."""
    sys.path.insert(0, str(HERE))
    from corpus import GU_FRAGMENT, GU_ID, Source, encode, write_corpus

    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir()
    for d in sorted((PROJECT / "data").iterdir()):  # all but the documents: the real ones
        if d.name != "sources":
            os.symlink(d, root / "data" / d.name)
    write_corpus(
        root / "data" / "sources",
        [
            Source(
                GU_ID,
                encode(GU_FRAGMENT),
                "gu_sovrimposta",
                meta={"date": "1983-10-24", "title": "Aliquote della sovrimposta (prova)"},
            )
        ],
    )
    for d in ("content", "static"):
        os.symlink(PROJECT / d, root / d)
    shutil.copytree(PROJECT / "templates", root / "templates")
    return root


_FULL = []


# -- what the tests use ---------------------------------------------------------------
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
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=600,
            env={
                **os.environ,
                "COMUNI_APERTI_ROOT": str(self.root),
                "MINIBUILD_MARK": mark,
                **(env or {}),
            },
        )
        proc.mark = mark
        return proc

    def edit(self, new: bool) -> None:
        text = self.original.replace(*EDIT, 1) if new else self.original
        if self.tpl.read_text(encoding="utf-8") != text:
            self.tpl.write_text(text, encoding="utf-8")

    def digest(self) -> dict[str, str]:
        from corpus import tree_digest

        return tree_digest(self.site)

    def leftovers(self) -> list[str]:
        """Trees a build left beside ``site/`` (not the spare tree, which it keeps)."""
        return sorted(
            p.name
            for p in self.root.iterdir()
            if p.name.startswith(".site-") and p.name != ".site-spare"
        )

    def build_ok(self, *args: str) -> str:
        r = self.run("none", *args)
        assert r.returncode == 0, r.stderr[-3000:]
        return r.stderr

    def reset(self) -> None:
        """Back to OLD published (and checked)."""
        self.edit(False)
        if self.digest() != self.old or self.leftovers():
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
            if (
                needle in (d / "environ").read_bytes()
                and (d / "stat").read_text().split(") ", 1)[1][0] != "Z"
            ):
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


def mini_project(tmp_path_factory) -> Mini:
    """The small project, built in both states (``old`` and ``new`` recorded), ``OLD``
    published."""
    m = Mini(make_project(tmp_path_factory.mktemp("mini") / "project"))
    m.edit(True)
    m.build_ok()
    m.new = m.digest()
    m.edit(False)
    m.build_ok()
    m.old = m.digest()
    assert m.old != m.new and any(f.startswith("pagefind/") for f in m.old)
    return m


# -- the build, run as a script -------------------------------------------------------
def _small_registry():
    from generator import registry

    full = _FULL[0]()
    keep = [c for c in full.current.values() if c.province_sigla in PROVINCES]
    codes = {c.istat for c in keep}
    hist = [c for c in full.historical.values() if c.successor in codes]
    aliases = [a for group in full.aliases.values() for a in group]
    return registry.Registry(keep, aliases, hist)


def _kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _enospc(what: str) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), what)


_ORIGINAL: dict = {}


def _run_task_killing_the_build(task):
    """A render task (in a worker process) that first kills the build (module level: the
    worker pool sends tasks by name)."""
    os.kill(os.getppid(), signal.SIGKILL)
    return _ORIGINAL["run_task"](task)


def inject(fault: str) -> None:
    from generator import cache, output, render, search

    if fault == "database-error":  # the analysts' export fails (a query, SQLite)
        from generator import export

        def build_(*a, **k):
            raise export.ExportError("injected: the export fails")

        export.build = build_
    elif fault == "kill-render":  # a worker's first task: the build dies under it
        _ORIGINAL["run_task"] = render._run_task
        render._run_task = _run_task_killing_the_build
    elif fault == "kill-search":  # while Pagefind indexes (no bundle from the cache)
        from generator import paths

        shutil.rmtree(paths.CACHE / search.CACHE, ignore_errors=True)
        answers = search._answers

        def answers_then_die(stream):
            for i, a in enumerate(answers(stream)):
                if i == 5:
                    _kill_self()
                yield a

        search._answers = answers_then_die
    elif fault == "kill-keeping-spare":  # the old tree renamed to the spare, no manifest yet
        save = output.save_manifest

        def save_(cache_dir, site_dir, *a, **k):
            if str(site_dir).endswith("-spare"):
                _kill_self()
            return save(cache_dir, site_dir, *a, **k)

        output.save_manifest = save_
    elif fault == "kill-in-spare-removal":  # a spare without its manifest, killed removing it
        from generator import paths

        spare = output.spare_path(output.target_of(paths.SITE))
        output.forget_manifest(paths.CACHE, spare)
        remove = output.remove_tree

        def remove_(path):
            if Path(path) == spare:
                files = sorted(p for p in Path(path).rglob("*") if p.is_file())
                for p in files[: len(files) // 2]:
                    p.unlink()
                _kill_self()
            return remove(path)

        output.remove_tree = remove_
    elif fault in ("kill-before-exchange", "kill-after-exchange"):
        exchange = output._exchange

        def exchange_(a, b):
            if fault == "kill-before-exchange":
                _kill_self()
            done = exchange(a, b)
            if fault == "kill-after-exchange":
                _kill_self()
            return done

        output._exchange = exchange_
    elif fault == "kill-between-renames":  # no renameat2 here: the two-rename fallback
        output._exchange = lambda a, b: False
        rename = os.rename

        def rename_(src, dst, *a, **k):
            if "-staging-" in str(src) and not os.path.lexists(dst):
                _kill_self()
            return rename(src, dst, *a, **k)

        os.rename = rename_
    elif fault == "kill-before-manifest":
        output.save_manifest = lambda *a, **k: _kill_self()
    elif fault.startswith("enospc-"):
        stage = fault[len("enospc-") :]
        if stage in ("packages", "render", "search"):
            write = output.Writer.write
            prefix = {"packages": "/data/", "render": "/comuni/", "search": "/pagefind/"}[stage]

            def write_(self, url, data):
                if url.startswith(prefix):
                    raise _enospc(f"{self.root}{url}")
                return write(self, url, data)

            output.Writer.write = write_
        elif stage in ("parse-cache", "validation-cache"):
            put = cache.put
            folder = stage.split("-")[0]

            def put_(path, payload):
                if Path(path).parent.name == folder:
                    raise _enospc(str(path))
                return put(path, payload)

            cache.put = put_
        elif stage == "manifest":

            def save(*a, **k):
                raise _enospc("build-manifest")

            output.save_manifest = save
        elif stage == "staging":  # the hard-linked copy of the site (moving the spare
            # tree into place is a rename, which needs no space: no spare for this build)

            def stage_(*a, **k):
                raise _enospc("staging")

            output.stage = stage_
            output.take_spare = lambda *a, **k: None
    elif fault == "copy-fails":  # the background copy of the site fails (the child
        # inherits this): the build links what it took over itself
        def link_tree_(src, dst, merge=False, part=None):
            raise OSError(errno.EPERM, "no links here")

        output.link_tree = link_tree_
    elif fault == "edit-during-build":
        render_site = render.render_site

        def render_site_(*a, **k):
            from generator import paths

            tpl = paths.TEMPLATES / "comune.html"
            text = tpl.read_text(encoding="utf-8")
            tpl.write_text(text + "\n", encoding="utf-8")  # an edit ...
            out = render_site(*a, **k)
            tpl.write_text(text, encoding="utf-8")  # ... undone before the end
            return out

        render.render_site = render_site_
    elif fault != "none":
        raise SystemExit(f"unknown fault {fault}")


def use_small_registry() -> None:
    from generator import registry

    _FULL.append(registry.load.__wrapped__)
    registry.load = lru_cache(maxsize=1)(_small_registry)


def main(argv: list[str]) -> int:
    from generator import cli

    use_small_registry()
    inject(argv[0])
    return cli.main(["build", *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
