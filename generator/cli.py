"""Command line: ``python -m generator build|serve|check|inspect`` (console script
``comuni-aperti``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="comuni-aperti", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build site/ from data/sources/ (atomic)")
    b.add_argument(
        "--strict",
        action="store_true",
        help="fail on any error, unknown warning or unexplained failed check",
    )
    b.add_argument("--site", help="output directory (default: site/)")
    b.add_argument("--no-search", action="store_true", help="skip the Pagefind index")
    b.add_argument(
        "--verify",
        action="store_true",
        help="check every file of the previous site by its hash, not only by size "
        "and mtime, and every written file before publishing (CI does)",
    )
    b.add_argument("--debug", action="store_true", help="print the traceback of a failure")
    s = sub.add_parser("serve", help="build, serve on localhost and rebuild + reload on changes")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--host", default="127.0.0.1")
    c = sub.add_parser(
        "check",
        help="validate the packages, links and quality of site/; "
        "with a FILE: run one document through sources, parse and checks and "
        "say what CI will do with it",
    )
    c.add_argument("file", nargs="?", help="a document of data/sources/ (e.g. data/sources/x.txt)")
    c.add_argument("--site", help="site directory (default: site/)")
    i = sub.add_parser(
        "inspect", help="list the candidate tables of a document and print a starter spec for each"
    )
    i.add_argument("file", help="a text file, e.g. data/sources/new-document.txt")
    m = sub.add_parser("summary", help="print what the last build changed (Markdown, for CI)")
    m.add_argument("--site", help="the output folder of that build (default: site/)")
    args = ap.parse_args(argv)

    if args.cmd == "build":
        from .build import main_build

        return main_build(
            args.strict, args.site, search=not args.no_search, verify=args.verify, debug=args.debug
        )
    if args.cmd == "serve":
        from .serve import serve

        return serve(args.host, args.port)
    if args.cmd == "summary":
        from . import paths, summary

        f = summary.folder(paths.CACHE, Path(args.site or paths.SITE)) / "summary.md"
        if not f.is_file():
            print("no build summary yet: run a build first", file=sys.stderr)
            return 1
        print(f.read_text(encoding="utf-8"), end="")
        return 0
    if args.cmd == "inspect":
        return _inspect(args.file)
    if args.cmd == "check" and args.file:
        from .doccheck import main_doccheck

        return main_doccheck(args.file)
    if args.cmd == "check":
        from .check import main_check

        return main_check(args.site)
    return 2


def _inspect(file: str) -> int:
    import hashlib
    from pathlib import Path

    from . import registry, sources
    from .specs.inspect import report

    path = Path(file)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        print(f"{file}: cannot read: {e.strerror}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as e:
        print(
            f"{file}: not UTF-8 text (byte {e.start}); convert it to UTF-8 first", file=sys.stderr
        )
        return 2
    doc = sources.Document(
        path.stem, path, {}, text, hashlib.sha256(text.encode()).hexdigest(), text.splitlines()
    )
    print(report(doc, registry.load()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
