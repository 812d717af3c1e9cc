"""``serve``: build, serve ``site/`` on localhost, rebuild and reload the browser on changes.

Watches ``data/``, ``templates/``, ``content/``, ``static/`` (livereload). A change to a
template used only by comune pages (``comune.html``, or a partial only it includes)
re-renders just the comune HTML pages from the model kept in memory, writing only the
files whose bytes changed: first the comune pages the browser asked for most recently
(so the reload shows the edit at once), then, in a background thread, all the others.
Any other change runs the cached build (parse results and package validation are
reused). A failed rebuild keeps the last good site and prints why. The search index is
not rebuilt while serving.
"""
from __future__ import annotations

import sys
import threading
import time
from collections import deque
from pathlib import Path

from jinja2 import TemplateSyntaxError, meta

from . import output, paths, render
from .build import BuildError, build
from .quality import Log

FAST_KINDS = {"comune.html": "html"}   # template used only by comune pages -> the file it makes
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
        except TemplateSyntaxError:     # being edited: the render will report it
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
            rep = build(strict=False, log=Log(), search=False, force=True)
            if rep.model is not None:
                self.model = rep.model
        except BuildError as e:
            print(f"rebuild failed, keeping the previous site: {e}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 - e.g. a template error while editing: keep serving
            print(f"rebuild failed ({type(e).__name__}: {e}), keeping the previous site",
                  file=sys.stderr)
        print(f"rebuilt in {time.perf_counter() - t:.2f} s", file=sys.stderr)

    def __call__(self) -> None:
        new = _snapshot()
        changed = {f for f in set(new) | set(self.state) if new.get(f) != self.state.get(f)}
        self.state = new
        if not changed:
            return
        tpl = {f.relative_to(paths.TEMPLATES).as_posix() for f in changed
               if paths.TEMPLATES in f.parents}
        pages = {n for n in affected_templates(tpl) if not n.startswith("partials/")}
        if self.model is not None and len(tpl) == len(changed) and pages <= set(FAST_KINDS):
            self.comuni_only(tpl, tuple(FAST_KINDS[n] for n in sorted(pages)))
        else:
            self.full()

    def comuni_only(self, tpl: set[str], files: tuple[str, ...], background: bool = True) -> None:
        """Re-render the comune files made by the changed templates (the HTML pages for
        comune.html: the JSON, CSV and feeds do not depend on it): the pages being
        viewed now, then the rest (in a background thread unless ``background`` is off)."""
        self.wait()
        names = ", ".join(sorted(tpl))
        t = time.perf_counter()
        previous = output.load_manifest(paths.CACHE, paths.SITE)
        first = [c for c in viewed_codes() if c in self.model.comuni][:8]
        if not first:      # nothing viewed yet: still render one page now, to catch errors
            first = [sorted(self.model.comuni)[0]]
        w = output.Writer(paths.SITE, previous)
        try:
            render.render_comuni(self.model, w, Log(quiet=True), files=files, codes=first)
        except Exception as e:  # noqa: BLE001 - a template error while editing: say it, keep serving
            print(f"template error ({names}): {e}", file=sys.stderr)
            return
        self.last = {"first": len(first), "first_s": time.perf_counter() - t}
        print(f"{names} changed: {len(first)} page(s) being viewed rewritten in "
              f"{self.last['first_s']:.2f} s", file=sys.stderr)
        done = set(first)
        rest = [c for c in sorted(self.model.comuni) if c not in done]

        def finish() -> None:
            w2 = output.Writer(paths.SITE, previous)
            try:
                render.render_comuni(self.model, w2, Log(quiet=True), files=files, codes=rest)
            except Exception as e:  # noqa: BLE001
                print(f"template error ({names}): {e}", file=sys.stderr)
                return
            output.save_manifest(paths.CACHE, paths.SITE, {**previous, **w.hashes, **w2.hashes},
                                 "serve")
            self.last.update(all_s=time.perf_counter() - t, written=w.written + w2.written)
            print(f"{names} changed: all {len(rest) + len(first)} comune pages done in "
                  f"{self.last['all_s']:.2f} s ({self.last['written']} rewritten)", file=sys.stderr)

        if background:
            self.pending = threading.Thread(target=finish, name="comuni-rebuild", daemon=True)
            self.pending.start()
        else:
            finish()


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
    server.serve(root=str(paths.SITE), host=host, port=port, open_url_delay=None,
                 restart_delay=0, default_filename="index.html")
    return 0
