"""What the real site publishes is safe: no personal fiscal codes, document text only as
text, no inline script, and headers and templates that keep it so.

The site is the session's ``built_site`` (the real documents, built once per test run).
"""

from __future__ import annotations

import gzip
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from support import _documents
from generator import paths, render

# -- privacy ------------------------------------------------------------------------------
# A personal codice fiscale: surname (3) + name (3) letters, year (2), month letter, day
# (2, +40 for women), cadastral code (letter + 3), check letter. Omocodia replaces digits
# with L M N P Q R S T U V. Not preceded or followed by a letter or digit.
_D = "[0-9LMNPQRSTUV]"
CF_RE = re.compile(
    rf"(?<![A-Za-z0-9])[A-Z]{{6}}{_D}{{2}}[A-EHLMPR-T]{_D}{{2}}[A-Z]{_D}{{3}}[A-Z]"
    rf"(?![A-Za-z0-9])"
)


def _published_text(site: Path):
    """``(relative path, text)`` of every output file; gzip files (search index) unpacked."""
    for p in sorted(site.rglob("*")):
        if not p.is_file():
            continue
        raw = p.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except OSError:
                pass
        yield str(p.relative_to(site)), raw.decode("utf-8", errors="replace")


def test_the_fiscal_code_detector_finds_what_it_must():
    for code in ("RSSMRA80A01H501U", "RSSMRA80A41H50MU", "BNCLRA5MT62F2Q5V"):  # incl. omocodia
        assert CF_RE.search(f"cf {code};"), code
    for text in (
        "PROVINCIADIBERGA",
        "RSSMRA80A01H501UX",
        "12345678901",
        "RSSMRA80Z01H501U",
        "rssmra80a01h501u",
        "IT02886650346",
    ):
        assert not CF_RE.search(text), text
    burl = (paths.SOURCES / "burl-2018-so47.txt").read_text(encoding="utf-8")
    assert len(set(CF_RE.findall(burl))) > 100  # the bulletin prints many: privacy trap


def test_no_personal_fiscal_code_is_published_anywhere(built_site):
    site, _ = built_site
    found = {}
    for rel, text in _published_text(site):
        for m in CF_RE.findall(text):
            found.setdefault(rel, set()).add(m)
    assert {k: sorted(v)[:3] for k, v in found.items()} == {}


# -- document text is shown as text ----------------------------------------------------------
WITHHELD = ("[riga omessa", "[codice fiscale omesso]", "[persona fisica]")
LINK = re.compile(r"^(/comuni/\d{6}/|#L\d+|/documenti/[a-z0-9-]+/#L\d+)$")


class _Lines(HTMLParser):
    """The text of every line of the ``pre.doc-text`` blocks, and any tag inside a line
    other than the line anchor and links to comuni."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: dict[int, str] = {}
        self.bad_tags: list[str] = []
        self._pre = False
        self._n, self._in_number, self._buf = None, False, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "pre" and "doc-text" in (a.get("class") or ""):
            self._pre = True
        elif not self._pre:
            return
        elif tag == "span" and self._n is None:
            line_id = a.get("id") or ""
            # document page: <span id="L12">; act page: <span>, number from its anchor
            self._n, self._buf = (int(line_id[1:]) if line_id.startswith("L") else -1), []
        elif (
            self._n is not None
            and tag == "a"
            and a.get("class") in ("ln", "mention")
            and LINK.match(a.get("href", ""))
        ):
            self._in_number = a.get("class") == "ln"
        else:
            self.bad_tags.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if tag == "pre":
            self._pre = False
        elif tag == "a":
            self._in_number = False
        elif tag == "span" and self._n is not None:
            self.lines[self._n] = "".join(self._buf).rstrip("\n")
            self._n = None

    def handle_data(self, data):
        if self._n is None:
            return
        if self._in_number:
            if self._n == -1:
                self._n = int(data)
        else:
            self._buf.append(data)


def _shown_lines(html: str) -> _Lines:
    p = _Lines()
    p.feed(html)
    return p


@pytest.mark.parametrize("doc_id", sorted(_documents()))
def test_document_text_is_shown_as_text_line_by_line(built_site, doc_id):
    """Every line of the vendored text is on the document page, as text (markup in the
    document, like the GU's ``<b>PROVINCIA DI ...</b>``, is displayed, not interpreted);
    the only tags inside a line are the line anchor and links to comuni; the only lines
    that differ are those withheld for privacy."""
    site, _ = built_site
    doc = _documents()[doc_id]
    shown = _shown_lines((site / "documenti" / doc_id / "index.html").read_text(encoding="utf-8"))
    assert shown.bad_tags == []
    assert sorted(shown.lines) == list(range(1, len(doc.lines) + 1))
    differ = [n for n, line in doc.numbered() if shown.lines[n] != line]
    assert [n for n in differ if not any(w in shown.lines[n] for w in WITHHELD)] == []
    marked_up = [n for n, line in doc.numbered() if re.search(r"<[a-zA-Z/]", line)]
    assert all("<" in shown.lines[n] for n in marked_up if n not in differ)


def test_act_pages_show_their_lines_as_text(built_site):
    site, _ = built_site
    doc = _documents()["burl-2018-so47"]
    pages = sorted((site / "documenti" / doc.id / "atti").glob("*/index.html"))
    assert len(pages) >= 15
    for page in pages:
        shown = _shown_lines(page.read_text(encoding="utf-8"))
        assert shown.bad_tags == [] and shown.lines, page
        assert [
            n
            for n, text in shown.lines.items()
            if text != doc.line(n) and not any(w in text for w in WITHHELD)
        ] == [], page


# -- no inline script, no inline style, no javascript: links ------------------------------------
INLINE_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.I)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
JS_URL = re.compile(r"""\b(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
STYLE_ATTR = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.I)


def _html_pages(site: Path):
    for p in sorted(site.rglob("*.html")):
        yield str(p.relative_to(site)), p.read_text(encoding="utf-8")


def test_pages_run_only_same_origin_scripts(built_site):
    site, _ = built_site
    bad = []
    for rel, html in _html_pages(site):
        if INLINE_HANDLER.search(html) or JS_URL.search(html):
            bad.append(f"{rel}: inline handler or javascript: URL")
        for attrs, body in SCRIPT_TAG.findall(html):
            if 'type="application/ld+json"' in attrs:
                continue  # data, not code
            src = re.search(r'\ssrc="([^"]*)"', attrs)
            if (
                body.strip()
                or not src
                or not src.group(1).startswith("/")
                or src.group(1).startswith("//")
            ):
                bad.append(f"{rel}: <script{attrs}>")
    assert bad == []


def test_pages_have_no_inline_style(built_site):
    site, _ = built_site
    assert [
        rel
        for rel, html in _html_pages(site)
        if STYLE_ATTR.search(html) or re.search(r"<style\b", html, re.I)
    ] == []


# -- headers (netlify.toml) ---------------------------------------------------------------------
def _headers() -> dict[str, dict[str, str]]:
    conf = tomllib.loads((paths.ROOT / "netlify.toml").read_text(encoding="utf-8"))
    return {h["for"]: h["values"] for h in conf["headers"]}


def _csp() -> dict[str, list[str]]:
    policy = _headers()["/*"]["Content-Security-Policy"]
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def test_content_security_policy_allows_no_inline_or_foreign_code():
    csp = _csp()
    assert csp["default-src"] == ["'self'"]
    script = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert set(script) <= {"'self'", "'wasm-unsafe-eval'"}  # Pagefind needs wasm only
    assert "'unsafe-inline'" not in csp.get("style-src", [])
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'self'"]
    assert csp["frame-ancestors"] in (["'none'"], ["'self'"])
    assert csp["form-action"] == ["'self'"]
    for directive, sources in csp.items():  # no third-party requests
        assert not [
            s for s in sources if s not in ("'self'", "'none'", "'wasm-unsafe-eval'", "data:")
        ], directive


def test_security_headers_on_every_page():
    h = _headers()["/*"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] in (
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    )
    perms = {
        p.split("=")[0].strip(): p.split("=")[1].strip() for p in h["Permissions-Policy"].split(",")
    }
    assert (
        perms.get("geolocation") == "()"
        and perms.get("camera") == "()"
        and perms.get("microphone") == "()"
    )


# -- templates ----------------------------------------------------------------------------------
SAFE_ALLOWED = {
    "page.html|safe",
    "intro.html|safe",
    "description.html|safe",  # Markdown of content/
    "jsonld|safe",  # metadata.jsonld_script: JSON with <, >, & escaped as \\uXXXX
    "f.svg|safe",  # charts drawn by the generator (maps/charts modules, escaped text)
}


def _templates():
    for p in sorted(paths.TEMPLATES.rglob("*")):
        if p.suffix in (".html", ".xml"):
            yield p.relative_to(paths.TEMPLATES), p.read_text(encoding="utf-8")


def test_templates_have_no_inline_script_or_event_handler():
    bad = []
    for rel, text in _templates():
        if INLINE_HANDLER.search(text) or JS_URL.search(text):
            bad.append(f"{rel}: inline handler or javascript: URL")
        for attrs, body in SCRIPT_TAG.findall(text):
            if body.strip() and 'type="application/ld+json"' not in attrs:
                bad.append(f"{rel}: inline <script> with content")
        if STYLE_ATTR.search(text) or re.search(r"<style\b", text):
            bad.append(f"{rel}: inline style")
    assert bad == []


def test_safe_filter_only_on_trusted_values():
    """``|safe`` only on Markdown of content/ pages and on markup the generator builds and
    escapes itself; never on a value from a document."""
    uses = sorted(
        f"{rel}: {m.group(1).strip().replace(' ', '')}|safe"
        for rel, text in _templates()
        for m in re.finditer(r"\{\{([^}]*?)\|\s*safe\b", text)
    )
    assert uses and [u for u in uses if u.split(": ")[1] not in SAFE_ALLOWED] == []
    assert [rel for rel, text in _templates() if re.search(r"autoescape\s+false", text)] == []


def test_autoescape_covers_every_template():
    env = render.environment()
    for rel, _ in _templates():
        assert env.autoescape(str(rel)), rel  # select_autoescape: a callable
