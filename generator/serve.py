"""``serve``: build, serve ``site/`` on localhost, rebuild and reload the browser on changes.

Watches ``data/``, ``templates/``, ``content/``, ``static/`` and ``generator/`` (livereload).
A failed rebuild keeps the last good site and prints why.
"""
from __future__ import annotations

import sys

from . import paths
from .build import BuildError, build
from .quality import Log


def _rebuild():
    try:
        build(strict=False, log=Log(), search=False)
    except BuildError as e:
        print(f"rebuild failed, keeping the previous site: {e}", file=sys.stderr)


def serve(host: str = "127.0.0.1", port: int = 8000) -> int:
    from livereload import Server

    _rebuild()
    server = Server()
    for d in (paths.DATA, paths.TEMPLATES, paths.CONTENT, paths.STATIC):
        server.watch(str(d / "**" / "*"), _rebuild, delay=0.2)
    print(f"serving {paths.SITE} on http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    server.serve(root=str(paths.SITE), host=host, port=port, open_url_delay=None,
                 restart_delay=0, default_filename="index.html")
    return 0
