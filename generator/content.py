"""Site texts: Markdown files with YAML front matter in ``content/``.

``content/*.md`` are pages (``chi-siamo.md`` -> ``/chi-siamo/``); ``content/programmi/<slug>.md``
describe programmes. Content is written by the maintainers, so its Markdown becomes
HTML; text from documents never goes through here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import markdown
from markdown.extensions.tables import TableExtension

from . import paths


@dataclass
class Page:
    slug: str
    meta: dict
    html: str
    path: Path

    @property
    def title(self) -> str:
        return str(self.meta.get("title", self.slug))


def read(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    meta: dict = {}
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            meta = paths.load_yaml(text[4:end]) or {}
            text = text[end + 4 :].lstrip("\n")
    html = markdown.markdown(
        text,
        extensions=[TableExtension(use_align_attribute=True), "attr_list", "sane_lists", "toc"],
        output_format="html",
    )
    return Page(path.stem, meta, html, path)


def pages(root: Path | None = None) -> dict[str, Page]:
    root = root or paths.CONTENT
    return {p.stem: read(p) for p in sorted(root.glob("*.md"))}


def programmes(root: Path | None = None) -> dict[str, Page]:
    root = (root or paths.CONTENT) / "programmi"
    return {p.stem: read(p) for p in sorted(root.glob("*.md"))} if root.is_dir() else {}
