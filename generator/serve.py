"""``serve``: build, serve ``site/`` on localhost, rebuild and reload the browser on changes.

Watches ``data/``, ``templates/``, ``content/``, ``static/`` (livereload). A change to a
template used only by comune pages (``comune.html``, or a partial only it includes)
re-renders just the comune HTML pages from the model kept in memory, writing only the
files whose bytes changed: first the comune pages the browser asked for most recently
(so the reload shows the edit at once), then, in a background thread, all the others.
Any other change runs the cached build (parse results and package validation are
reused). Every rebuild takes the build lock (a ``build`` running in the same project
makes it wait for the next change, and the other way round). A failed rebuild keeps
the last good site and prints why: the comune pages are rendered into a staging folder
and moved into ``site/`` one by one only when all rendered, and the pages being viewed,
moved first, are put back if the rest fails. The search index is kept as it is while
serving (the manifest records that it is stale: the next ``build`` makes it again).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from pathlib import Path

from jinja2 import TemplateSyntaxError, meta

from . import guard, output, paths, render
from .build import BuildError, build
from .quality import Log

# a template used only by comune pages -> the files it makes: the page, and the twin, which
# says which comparison charts the page draws (render._drawn_only: a page past its size
# budget shows fewer programmes in full)
FAST_KINDS = {"comune.html": ("html", "json")}
VIEWED: deque[str] = deque(maxlen=16)  # comune pages the browser asked for, newest first


def viewed_codes() -> list[str]:
    """ISTAT codes of the comune pages requested most recently (newest first)."""
    out = []
    for url in list(VIEWED):
        parts = url.strip("/").split("/")
        if len(parts) >= 2 and parts[0] == "comuni" and parts[1] not in out:
            out.append(parts[1])
    return out


def record_request(path: str) -> None:
    if path.startswith("/comuni/") and (path.endswith("/") or path.endswith(".html")):
        if path in VIEWED:
            VIEWED.remove(path)
        VIEWED.appendleft(path)


def _snapshot() -> dict[Path, float]:
    out = {}
    for d in (paths.DATA, paths.TEMPLATES, paths.CONTENT, paths.STATIC):
        for f in d.rglob("*"):
            if f.is_file():
                out[f] = f.stat().st_mtime_ns
    return out


def affected_templates(changed: set[str]) -> set[str]:
    """Templates whose output depends on any of ``changed`` (names under templates/)."""
    env = render.environment()
    deps: dict[str, set[str]] = {}
    for name in env.list_templates():
        src = env.loader.get_source(env, name)[0]
        try:
            deps[name] = set(meta.find_referenced_templates(env.parse(src))) - {None}
        except TemplateSyntaxError:  # being edited: the render will report it
            deps[name] = set()
    out = set(changed)
    grew = True
    while grew:
        grew = False
        for name, refs in deps.items():
            if name not in out and refs & out:
                out.add(name)
                grew = True
    return out


class Rebuilder:
    def __init__(self):
        self.model = None
        self.state = _snapshot()
        self.pending: threading.Thread | None = None
        self.last: dict = {}

    def wait(self) -> None:
        """Until the background part of the last comune-template rebuild is done."""
        if self.pending is not None:
            self.pending.join()
            self.pending = None

    def full(self) -> None:
        self.wait()
        t = time.perf_counter()
        try:
            rep = build(strict=False, log=Log(), search="keep", force=True)
            if rep.model is not None:
                self.model = rep.model
        except BuildError as e:
            print(f"rebuild failed, keeping the previous site: {e}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - e.g. a template error while editing: keep serving
            print(
                f"rebuild failed ({type(e).__name__}: {e}), keeping the previous site",
                file=sys.stderr,
            )
        print(f"rebuilt in {time.perf_counter() - t:.2f} s", file=sys.stderr)

    def __call__(self) -> None:
        new = _snapshot()
        changed = {f for f in set(new) | set(self.state) if new.get(f) != self.state.get(f)}
        self.state = new
        if not changed:
            return
        tpl = {
            f.relative_to(paths.TEMPLATES).as_posix()
            for f in changed
            if paths.TEMPLATES in f.parents
        }
        pages = {n for n in affected_templates(tpl) if not n.startswith("partials/")}
        if self.model is not None and len(tpl) == len(changed) and pages <= set(FAST_KINDS):
            self.comuni_only(tpl, tuple(k for n in sorted(pages) for k in FAST_KINDS[n]))
        else:
            self.full()

    def comuni_only(self, tpl: set[str], files: tuple[str, ...], background: bool = True) -> None:
        """Re-render the comune files made by the changed templates (the HTML pages and
        twins for comune.html: the CSV and feeds do not depend on it): the pages being
        viewed now, then the rest (in a background thread unless ``background`` is off).
        Pages are rendered into a staging folder and moved into place only when the
        whole part rendered; if the rest fails, the viewed pages are put back."""
        self.wait()
        names = ", ".join(sorted(tpl))
        t = time.perf_counter()
        lock = guard.BuildLock(paths.CACHE, "serve")
        try:
            lock.acquire()
        except guard.Busy as e:
            print(f"{names} changed, not rebuilt: {e}", file=sys.stderr)
            return
        try:
            before = output.load_manifest(paths.CACHE, paths.SITE)
            job = _Swap(paths.SITE, before.hashes)
            first = [c for c in viewed_codes() if c in self.model.comuni][:8]
            if not first:  # nothing viewed yet: still render one page now, to catch errors
                first = [sorted(self.model.comuni)[0]]
            w = job.writer()
            render.render_comuni(self.model, w, Log(quiet=True), files=files, codes=first)
            job.move(w)
        except Exception as e:  # noqa: BLE001 - a template error while editing: say it, keep serving
            if "job" in locals():
                job.undo()
            lock.release()
            print(f"template error ({names}): {e}; site/ left as it was", file=sys.stderr)
            return
        self.last = {"first": len(first), "first_s": time.perf_counter() - t}
        print(
            f"{names} changed: {len(first)} page(s) being viewed rewritten in "
            f"{self.last['first_s']:.2f} s",
            file=sys.stderr,
        )
        done = set(first)
        rest = [c for c in sorted(self.model.comuni) if c not in done]

        def finish() -> None:
            try:
                w2 = job.writer()
                render.render_comuni(self.model, w2, Log(quiet=True), files=files, codes=rest)
                job.move(w2)
                job.record(before)
            except Exception as e:  # noqa: BLE001
                job.undo()
                print(f"template error ({names}): {e}; site/ left as it was", file=sys.stderr)
                return
            finally:
                job.close()
                lock.release()
            self.last.update(all_s=time.perf_counter() - t, written=job.moved)
            print(
                f"{names} changed: all {len(rest) + len(first)} comune pages done in "
                f"{self.last['all_s']:.2f} s ({self.last['written']} rewritten)",
                file=sys.stderr,
            )

        if background:
            self.pending = threading.Thread(target=finish, name="comuni-rebuild", daemon=True)
            self.pending.start()
        else:
            finish()


class _StagedWriter(output.Writer):
    """A Writer for ``serve``: a file whose bytes equal the published one (``previous``:
    the verified manifest of ``site/``) is not written at all; the others go flat into
    the staging folder (``/`` as ``%``: no folders to make and remove)."""

    def write(self, url_path: str, data: str | bytes) -> None:
        rel = self.rel(url_path)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if rel.endswith(output.JSON_SUFFIXES):
            raw = output.inert_bytes(raw)
        h = output.hashlib.sha256(raw).hexdigest()
        self.hashes[rel] = h
        self.sizes[rel] = len(raw)
        self.count += 1
        if self.previous.get(rel) == h:
            return
        with open(self.root / rel.replace("/", "%"), "wb") as f:
            f.write(raw)
        self.written += 1


class _Swap:
    """Files rendered into a staging folder beside ``site/``, then moved into it one by one
    (each move atomic); the replaced files are kept (hard links) until :meth:`close`, so
    :meth:`undo` puts the site back as it was."""

    def __init__(self, site: Path, known: dict[str, str]):
        self.known = known  # rel -> sha256 of the files in site/ (verified manifest)
        self.site = output.target_of(site)
        self.root = self.site.with_name(f".{self.site.name}-serve-{os.getpid()}")
        output.remove_tree(self.root)
        self.staging = self.root / "new"
        self.backup = self.root / "old"
        self.staging.mkdir(parents=True)
        self.backup.mkdir()
        self.done: list[tuple[str, bool]] = []  # (rel, had an old version)
        self.entries: dict[str, str] = {}
        self.moved = 0

    def writer(self) -> _StagedWriter:
        return _StagedWriter(self.staging, self.known)

    def move(self, w: output.Writer) -> None:
        for rel in sorted(w.hashes):
            src, dst = self.staging / rel.replace("/", "%"), self.site / rel
            if not os.path.lexists(src):  # the same bytes as published
                continue
            old = os.path.lexists(dst)
            if old:
                os.link(dst, self.backup / rel.replace("/", "%"))
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            self.done.append((rel, old))
            self.entries[rel] = w.hashes[rel]
            self.moved += 1

    def undo(self) -> None:
        for rel, old in reversed(self.done):
            if old:
                os.replace(self.backup / rel.replace("/", "%"), self.site / rel)
            else:
                os.unlink(self.site / rel)
        self.done = []
        self.close()

    def record(self, before: output.Manifest) -> None:
        """The manifest with the moved files' new entries: true to the disk; its inputs
        unknown (the next ``build`` runs, and makes the search index again)."""
        files = dict(before.files)
        for rel in self.entries:
            st = os.stat(self.site / rel)
            files[rel] = [self.entries[rel], st.st_size, st.st_mtime_ns]
        output.save_manifest(
            paths.CACHE, paths.SITE, files, None, blocking=before.blocking, search=before.search
        )

    def close(self) -> None:
        """Remove the staging folder and the replaced files, in the background (freeing
        8,000 files' blocks takes seconds on some disks; a leftover is removed by the
        next build)."""
        if not self.root.exists():
            return
        trash = self.root.with_name(f"{self.root.name}-{time.monotonic_ns()}")
        os.rename(self.root, trash)
        threading.Thread(
            target=output.remove_tree, args=(trash,), name="serve-cleanup", daemon=True
        ).start()


def serve(host: str = "127.0.0.1", port: int = 8000) -> int:
    from livereload import Server

    from livereload.handlers import StaticFileHandler

    class Recording(StaticFileHandler):
        """Notes which comune pages the browser shows, to re-render those first."""

        def prepare(self):
            record_request(self.request.path)
            return super().prepare()

    rebuild = Rebuilder()
    rebuild.full()
    server = Server()
    server.SFH = Recording
    for d in (paths.DATA, paths.TEMPLATES, paths.CONTENT, paths.STATIC):
        server.watch(str(d / "**" / "*"), rebuild, delay=0.1)
    print(f"serving {paths.SITE} on http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    server.serve(
        root=str(paths.SITE),
        host=host,
        port=port,
        open_url_delay=None,
        restart_delay=0,
        default_filename="index.html",
    )
    return 0
