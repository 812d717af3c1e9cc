"""``serve``: build, serve ``site/`` on localhost, rebuild and reload the browser on changes.

Watches ``data/``, ``templates/``, ``content/``, ``static/`` (livereload). A change to a
template used only by comune pages (``comune.html``, or a partial only it includes)
re-renders just the comune pages from the model kept in memory, writing only the files
whose bytes changed; any other change runs the cached build (parse results and package
validation are reused). A failed rebuild keeps the last good site and prints why. The
search index is not rebuilt while serving.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from jinja2 import meta

from . import output, paths, render
from .build import BuildError, build
from .quality import Log

FAST_KINDS = {"comune.html": "html", "feed.xml": "feed"}   # template -> comune file it makes


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
        deps[name] = set(meta.find_referenced_templates(env.parse(src))) - {None}
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

    def full(self) -> None:
        t = time.perf_counter()
        try:
            rep = build(strict=False, log=Log(), search=False, force=True)
            if rep.model is not None:
                self.model = rep.model
        except BuildError as e:
            print(f"rebuild failed, keeping the previous site: {e}", file=sys.stderr)
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

    def comuni_only(self, tpl: set[str], files: tuple[str, ...]) -> None:
        """Re-render only the comune files made by the changed templates (the HTML pages
        for comune.html: the JSON, CSV and feeds do not depend on it)."""
        t = time.perf_counter()
        previous = output.load_manifest(paths.CACHE, paths.SITE)
        w = output.Writer(paths.SITE, previous)
        try:
            render.render_comuni(self.model, w, Log(quiet=True), files=files)
        except Exception as e:  # noqa: BLE001 - a template error while editing: say it, keep serving
            print(f"template error ({', '.join(sorted(tpl))}): {e}", file=sys.stderr)
            return
        output.save_manifest(paths.CACHE, paths.SITE, {**previous, **w.hashes}, "serve")
        print(f"{', '.join(sorted(tpl))} changed: {w.written} comune files rewritten in "
              f"{time.perf_counter() - t:.2f} s", file=sys.stderr)


def serve(host: str = "127.0.0.1", port: int = 8000) -> int:
    from livereload import Server

    rebuild = Rebuilder()
    rebuild.full()
    server = Server()
    for d in (paths.DATA, paths.TEMPLATES, paths.CONTENT, paths.STATIC):
        server.watch(str(d / "**" / "*"), rebuild, delay=0.1)
    print(f"serving {paths.SITE} on http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    server.serve(root=str(paths.SITE), host=host, port=port, open_url_delay=None,
                 restart_delay=0, default_filename="index.html")
    return 0
