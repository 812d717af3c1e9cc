"""The search index: Pagefind, fed page by page in a fixed order, built in bundles that
are reused while their pages do not change, merged into one index, checked.

Pagefind's command line indexes pages in the order the filesystem lists them, so two
builds of the same pages on two filesystems gave indexes that differ. Here the build
runs Pagefind as a service (``pagefind --service``, the protocol of its Python and Node
wrappers: base64 JSON messages separated by commas, answered in order), adds every page
in sorted order, and takes back the index files in memory; they are written through
the build's :class:`~generator.output.Writer` like every other file (a full disk fails
the build instead of leaving empty files behind).

**Bundles.** Indexing is most of the search stage's time (about 1.5 ms a page, whether
Pagefind reads the HTML or is given the text), and a new document changes its own pages, a
few hundred comune pages of its provinces and a few lists. So the pages are indexed in
bundles (:func:`assign`) whose size does not grow with the number of documents: the comune
pages ``/comuni/<istat>/`` and province pages ``/province/<sigla>/`` by ISTAT province
(``provincia-<region>-<province>``, :func:`page_provinces`; a historical comune with its
successor's province, from the registry); each document with its acts
(``documenti/<id>/``), each programme with its table pages (``programmi/<slug>/``) and
each page of ``dati/<name>/`` in a bundle of its own (``documenti-<id>``, ...:
:func:`bundle_of`); the lists and content pages in ``main``. ``workers`` Pagefind
processes index the bundles, each taking the next one (the largest first) in an index of
its own; a bundle without a searched page is not sent. Each bundle's index is kept in
``.cache/search/`` under the digest of its pages (path and sha256, :func:`digest`): a
bundle whose pages did not change is not indexed again, and a bulletin added to a site
indexes its own bundles and those of the provinces whose pages it changes (a dpcm naming
29 comuni of three provinces: 373 pages, not the 1,267 of the four regions its bundle had
before; a bundle costs Pagefind about 12 ms more than its pages: 1.3 s of Pagefind's time
over a cold build's 107 province bundles, lost in the noise of the search stage's wall
time).

**Merge groups.** Merging costs about a microsecond per word of each part, and every
document repeats most of the vocabulary: merging 500 small bundles costs several times
what merging the same pages in one bundle does. So the bundles of each folder are joined
in merge groups (:func:`units`: about the square root of their number, by a hash of the
bundle's name), each kept merged in the cache under the digests of its bundles; the
index is merged from the province bundles, the groups and main, and a new document makes
its group again.

**One published index.** The bundles are not published as separate Pagefind indexes
merged in the browser (``mergeIndex``): each would be searched with its own statistics,
and a bundle without any word starting with a query term answers with its longest word
that is a prefix of the term (Pagefind's fallback for typos), so "lecco" found 5,487
pages instead of 278 and "aree interne" 1,346 instead of 4. Instead :func:`merge` joins
the bundles' files into the index one Pagefind run over all the pages would have
written: same pages, words, locations, filters and metadata fields, chunked by
Pagefind's rule, every file named as Pagefind names it; the pages are numbered part
after part (province bundles, merge groups, ``main``) rather than in path order, which
only changes the order of results of equal score. The search page is unchanged (one
index at ``/pagefind/``).

A page is searched when it carries ``data-pagefind-body`` (templates mark every page
meant to be found); the others are not sent to Pagefind. Pagefind applies that rule per
index (pages without it are indexed whole when no page of the index has it), so it is
applied here, the same for every bundle, and the number of pages the index must hold is
exact.

Before anything is written the index is checked: no file is empty, the entry file
parses, every file it names (each language's metadata and wasm) and every file the
metadata names (each page's fragment, each index chunk, each filter) is there, and it
holds exactly the pages sent to Pagefind.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import os
import queue
import re
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import guard

OUT = "pagefind"
MAIN = "main"
CACHE = "search"  # .cache/search/<bundle or group>-<digest>: its fragments, prepared words
CACHE_KEEP = 2  # entries kept per bundle: the current one and the one before
# Bump when the files made from the same pages change (cached bundles are then rebuilt).
FORMAT = 3
# Comune and province pages in a bundle per ISTAT province (``provincia-<RR>-<PPP>``,
# region code and province code: in name order, the index holds them region by region), so
# that a document about a few comuni changes the bundles of their provinces only. (Groups
# of regions of about 1,300 pages each, the bundles before, made a dpcm about 29 comuni of
# Campania index 1,267 pages.)
PROVINCE = "provincia"
# a comune's page and the pages listing its other programmes (glance.rest_pages)
_COMUNE_PAGE = re.compile(r"comuni/(\d{6})/(?:programmi/(?:\d+/)?)?index\.html")
_PROVINCE_PAGE = re.compile(r"province/([A-Z]{2})/index\.html")
# Pages under these folders are bundled by their first subfolder (a document with its
# acts, a programme with its table pages, a dataset), in this order in the index.
FOLDERS = ("documenti", "programmi", "dati")
_FOLDER_PAGE = re.compile(rf"({'|'.join(FOLDERS)})/([^/]+)/.+")
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# The bundles of each folder are merged in groups (group_count), each kept merged in the
# cache: the index is merged from the province bundles, the groups and main, and a new
# document makes its group again, not the merge of every document.
GROUP = "gruppo"
_BODY_ATTR = b"data-pagefind-body"
_AFTER_BODY_ATTR = frozenset(bytes([c]) for c in b" \t\n\r\x0b\x0c=/>")
_TAG_NAME = re.compile(rb"<([a-zA-Z][a-zA-Z0-9-]*)\s")
_HTML_TAG = re.compile(rb"<html(?:\s[^<>]*)?>", re.I)
_TITLE = re.compile(rb"<title>[^<]*</title>")
# the elements Pagefind leaves out of the index that are sent empty: kinds that always
# have their end tag here
_EMPTIED = frozenset(b"details div section tbody table p ul ol dl aside figure span".split())
# what Pagefind takes from an element it leaves out of the index: filters and metadata
# (data-pagefind-*), the page's image (its first <img>), its title (its first <h1>)
_KEPT_INSIDE = (b"data-pagefind", b"<img", b"<h1")
_IGNORE_ATTR = b" data-pagefind-ignore"
_META_MAGIC = b"pagefind_dcd"
_CHUNK_SIZE = 20000  # Pagefind's: a chunk ends once its words' locations reach it
# gzip level of the merged word chunks: Pagefind uses 9; 6 is 7 times faster here for 1.7%
# more bytes (9.3 MB of chunks: 0.3 s instead of 2.1 s).
_CHUNK_LEVEL = 6
_INDEX_PARTS = ("fragment/", "index/", "filter/")


class SearchIndexError(Exception):
    """Pagefind failed or produced an index that does not hold together."""


def _executable() -> str:
    from pagefind.service import get_executable

    exe = get_executable()
    if exe is None:
        raise SearchIndexError("the pagefind binary is not installed (pip install 'pagefind[bin]')")
    return str(exe)


def _start() -> subprocess.Popen:
    """A Pagefind service process. Started by the thread that runs the bundles, never by a
    worker thread: the child's ``preexec_fn`` must not meet a lock another thread held
    at the fork."""
    exe = _executable()
    err = tempfile.TemporaryFile()
    try:
        proc = subprocess.Popen(
            [exe, "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            preexec_fn=guard.die_with_parent,
        )
    except BaseException:
        err.close()
        raise
    proc.errlog = err  # what Pagefind says when it fails
    return proc


def searched(html: bytes) -> bool:
    """Whether a page is searched: it marks its text with ``data-pagefind-body``, an
    attribute of a start tag: ``<[a-zA-Z][^<>]*?\\sdata-pagefind-body[\\s=/>]``, found from
    the attribute's name instead of trying that pattern at every ``<`` of the page (a tenth
    of the search stage's Python time; property test against the pattern)."""
    at = html.find(_BODY_ATTR)
    while at >= 0:
        end = at + len(_BODY_ATTR)
        if html[at - 1 : at].isspace() and html[end : end + 1] in _AFTER_BODY_ATTR:
            start = html.rfind(b"<", 0, at)
            if (
                start >= 0
                and html[start + 1 : start + 2].isalpha()
                and html.find(b">", start, at) < 0
            ):
                return True
        at = html.find(_BODY_ATTR, end)
    return False


def for_pagefind(raw: bytes) -> bytes:
    """What Pagefind is sent of a searched page: its ``<html>`` tag (the language), its
    title and its ``data-pagefind-body`` element, without the rest of its head and body
    (the JSON-LD, the navigation, the footer: 40 % of the bytes of the site's searched
    pages, and Pagefind parses every byte it is sent: a third of its time). Only when
    nothing outside that element can change the index: the element's tag opens once in
    the page, and no ``data-pagefind`` attribute is outside it; else the page as it is.
    Inside it, the elements marked ``data-pagefind-ignore`` are sent empty
    (:func:`_without_ignored`). The index is the same bytes either way (test, on every
    kind of searched page)."""
    at = raw.find(b" data-pagefind-body")
    start = raw.rfind(b"<", 0, at)
    m = _TAG_NAME.match(raw, start) if at > 0 and start >= 0 else None
    if m is None or raw.find(b">", start, at) >= 0:  # not an attribute of that tag
        return raw
    tag = m.group(1)
    close = b"</" + tag + b">"
    end = raw.rfind(close)
    html = _HTML_TAG.search(raw, 0, start)
    if (
        end < start
        or html is None
        or raw.count(b"<" + tag) != 1  # (counts <tagx too: then the page as it is)
        or raw.find(b"data-pagefind", 0, start) >= 0
        or raw.find(b"data-pagefind", end) >= 0
    ):
        return raw
    title = _TITLE.search(raw, 0, start)
    return b"".join(
        (
            b"<!DOCTYPE html>\n",
            html.group(0),
            b'<head><meta charset="utf-8">',
            title.group(0) if title else b"",
            b"</head><body>",
            _without_ignored(raw, start, end + len(close)),
            b"</body></html>\n",
        )
    )


def _without_ignored(raw: bytes, start: int, end: int) -> bytes:
    """``raw[start:end]`` with each element marked ``data-pagefind-ignore`` emptied (its
    start and end tags kept), unless it holds something Pagefind takes from such an
    element (:data:`_KEPT_INSIDE`): 44 of the 72 MB the cut pages still had (the lists of
    documents and downloads, the citation, the technical details). Only elements of
    :data:`_EMPTIED`; one whose end is not found is left as it is."""
    out, pos, at = [], start, start
    while True:
        at = raw.find(_IGNORE_ATTR, at, end)
        if at < 0:
            break
        tag_at = raw.rfind(b"<", pos, at)
        opened = raw.find(b">", at, end)
        name = raw[tag_at + 1 : at].split(None, 1)[0] if tag_at >= 0 else b""
        at += len(_IGNORE_ATTR)
        if opened < 0 or name not in _EMPTIED or raw.find(b">", tag_at, at) >= 0:
            continue  # not an attribute of an element of those kinds
        # its end tag: the first "</name>" with as many "<name" before it as ends
        close, inner_from, depth, i = b"</" + name + b">", opened + 1, 1, opened + 1
        while depth:
            j = raw.find(close, i, end)
            if j < 0:
                break
            depth += _opens(raw, name, i, j) - 1
            i = j + len(close)
        if depth:
            continue
        inner = raw[inner_from : i - len(close)]
        if any(k in inner for k in _KEPT_INSIDE):
            continue
        out += (raw[pos:inner_from], close)
        pos = at = i
    out.append(raw[pos:end])
    return b"".join(out)


def _opens(raw: bytes, name: bytes, i: int, j: int) -> int:
    """How many ``<name`` start tags ``raw[i:j]`` holds."""
    return raw.count(b"<" + name + b" ", i, j) + raw.count(b"<" + name + b">", i, j)


class _Service:
    """A Pagefind service process that indexes bundles one after the other, each in an
    index of its own (``NewIndex``, ``AddFile`` per page, ``GetFiles``), deleted once its
    files are read (``DeleteIndex``): the process holds the pages of one bundle at a time,
    and a bundle's files do not depend on the bundles indexed before it in the same
    process (test). Started by the thread that runs the bundles (:func:`_start`)."""

    def __init__(self) -> None:
        self.proc = _start()
        self.answers = _answers(self.proc.stdout)
        self.message = 0
        self.indexes = 0  # Pagefind numbers the indexes of a process 0, 1, 2, ...

    def index(self, pages: list[tuple[str, bytes]]) -> tuple[dict[str, bytes], int]:
        """Index ``pages`` (``(path, HTML)``, sorted by path; each :func:`searched`): the
        index files, reproducible (:func:`_stable_filters`), checked, and the number of
        pages sent."""
        proc, index_id, first = self.proc, self.indexes, self.message
        self.indexes += 1
        sent = [0]
        failure: list[BaseException] = []
        ids = iter(range(first, first + len(pages) + 3))
        last = [first]

        def send() -> None:
            def msg(payload: dict) -> None:
                last[0] = next(ids)
                proc.stdin.write(
                    base64.b64encode(
                        json.dumps({"message_id": last[0], "payload": payload}).encode()
                    )
                    + b","
                )

            try:
                msg({"type": "NewIndex", "config": None})
                for rel, raw in pages:
                    sent[0] += 1
                    msg(
                        {
                            "type": "AddFile",
                            "index_id": index_id,
                            "file_path": rel,
                            "url": None,
                            "file_contents": for_pagefind(raw).decode("utf-8"),
                        }
                    )
                msg({"type": "GetFiles", "index_id": index_id})
                msg({"type": "DeleteIndex", "index_id": index_id})
                proc.stdin.flush()
            except (OSError, ValueError) as e:  # Pagefind died: the reader says why
                failure.append(e)

        writer = threading.Thread(target=send, name="pagefind-feed", daemon=True)
        writer.start()
        files = None
        try:
            for answer in self.answers:
                payload = answer.get("payload") or {}
                kind = payload.get("type")
                if kind == "Error":
                    raise SearchIndexError(f"pagefind: {payload.get('message')}")
                if kind == "NewIndex" and payload.get("index_id") != index_id:
                    raise SearchIndexError(
                        f"pagefind numbered a new index {payload.get('index_id')}, not {index_id}"
                    )
                if kind == "GetFiles":
                    files = payload["files"]
                elif kind == "DeleteIndex":
                    break
            else:
                self._died(failure)
        finally:
            writer.join()
        self.message = last[0] + 1
        if files is None:
            raise SearchIndexError("pagefind deleted an index without giving its files")
        out = _stable_filters({f["path"]: base64.b64decode(f["content"]) for f in files})
        check_index(out, sent[0])
        return out, sent[0]

    def _died(self, failure: list[BaseException]) -> None:
        """Pagefind's output ended before the bundle's answers: say why."""
        self.proc.kill()
        self.proc.wait()
        err = self.proc.errlog
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip()[-300:]
        raise SearchIndexError(
            f"pagefind ended without an index (exit {self.proc.returncode})"
            + (f": {tail}" if tail else "")
            + (f"; {failure[0]}" if failure else "")
        )

    def close(self) -> None:
        """End the process (at once: what it still holds is not wanted)."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.kill()
        self.proc.wait()
        self.proc.errlog.close()


def pagefind_files(root: Path, pages: list[str]) -> dict[str, bytes]:
    """``{path under pagefind/: bytes}`` of one index of the HTML ``pages`` (relative
    paths under ``root``) that are :func:`searched`, indexed in sorted order by a
    Pagefind process of its own; checked with :func:`check_index`."""
    service = _Service()
    try:
        return service.index(_searched_pages(Path(root), sorted(pages)))[0]
    finally:
        service.close()


def _searched_pages(root: Path, pages: list[str]) -> list[tuple[str, bytes]]:
    """``(path, HTML)`` of each of ``pages`` that is :func:`searched`, in their order."""
    read = ((rel, (root / rel).read_bytes()) for rel in pages)
    return [(rel, raw) for rel, raw in read if searched(raw)]


# -- bundles ----------------------------------------------------------------------------
def page_provinces(registry) -> dict[str, str]:
    """``<region code>-<province code>`` (ISTAT) of every comune with a page, by ISTAT code
    (a current comune's own, a historical comune's successor's, followed through later
    suppressions), and of every province, by sigla."""
    out = {
        c.istat: f"{c.region_code}-{c.province_code}"
        for c in registry.current.values()
        if c.region_code and c.province_code
    }
    for c in registry.historical.values():
        seen, code = set(), c.successor
        while code and code not in out and code in registry.historical and code not in seen:
            seen.add(code)
            code = registry.historical[code].successor
        if code in out:
            out[c.istat] = out[code]
    for sigla, p in registry.provinces.items():
        if p.get("region_code") and p.get("code"):
            out[sigla] = f"{p['region_code']}-{p['code']}"
    return out


def _folder_bundle(folder: str, key: str) -> str:
    """The bundle of the pages under ``folder/key/``: ``folder-key`` when ``key`` is a
    plain slug, else ``folder--`` and 16 hex digits of its sha256 (no slug gives a
    double dash): a name safe in a file name, the same in every build."""
    if len(key) <= 100 and _SLUG.fullmatch(key):
        return f"{folder}-{key}"
    return f"{folder}--{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def bundle_of(rel: str, provinces: dict[str, str]) -> str:
    """The bundle of the page ``rel`` (module docstring): its province's for a comune or
    province page (``main`` for one whose province is unknown), its document's,
    programme's or dataset's for a page under ``documenti/``, ``programmi/`` or ``dati/``,
    else ``main``."""
    m = _COMUNE_PAGE.fullmatch(rel) or _PROVINCE_PAGE.fullmatch(rel)
    if m:
        key = provinces.get(m.group(1))
        return f"{PROVINCE}-{key}" if key else MAIN
    m = _FOLDER_PAGE.fullmatch(rel)
    if m:
        return _folder_bundle(m.group(1), m.group(2))
    return MAIN


def assign(pages, provinces: dict[str, str]) -> dict[str, list[str]]:
    """The bundle of each page: ``{bundle: sorted pages}``, in the order their pages take
    in the index: the province bundles that have pages, by name (region, then province), then
    the bundles of :data:`FOLDERS` in the order of their pages' paths, then ``main``
    (always there, possibly empty)."""
    out: dict[str, list[str]] = {}
    for rel in sorted(pages):
        out.setdefault(bundle_of(rel, provinces), []).append(rel)
    out.setdefault(MAIN, [])
    folder = {f: i for i, f in enumerate(FOLDERS)}

    def order(name: str) -> tuple:
        if name.startswith(PROVINCE + "-"):
            return (0, 0, name)
        if name == MAIN:
            return (2, 0, "")
        return (1, folder[name.split("-", 1)[0]], out[name][0])

    return {name: out[name] for name in sorted(out, key=order)}


def group_count(bundles: int) -> int:
    """How many merge groups the bundles of one folder make: the power of two nearest
    above the square root of their number (1,000 documents: 32 groups of about 31), so
    that neither a group made again nor the merge of all the groups grows like the
    number of documents."""
    root = math.isqrt(bundles - 1) + 1 if bundles > 1 else 1  # the square root, rounded up
    return 1 << (root - 1).bit_length()


def group_of(name: str, groups: int) -> str | None:
    """The merge group of a bundle of :data:`FOLDERS` among ``groups``
    (``gruppo-<folder>-<nnn>``, by a hash of the bundle's name), None for a province
    bundle and main."""
    folder = name.split("-", 1)[0]
    if folder not in FOLDERS:
        return None
    return f"{GROUP}-{folder}-{int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % groups:03d}"


def units(bundles: dict[str, list[str]], digests: dict[str, str]) -> dict:
    """The parts the published index is merged from, in their order: each province bundle,
    the merge groups (:func:`group_of`, :func:`group_count` per folder) by folder and
    number, then main; each as ``(its bundles in index order, digest)``, a group's digest
    made from its bundles' names and digests."""
    per_folder: dict[str, int] = {}
    for name in bundles:
        folder = name.split("-", 1)[0]
        per_folder[folder] = per_folder.get(folder, 0) + 1
    groups: dict[str, list[str]] = {}
    out = {}
    for name in bundles:
        group = group_of(name, group_count(per_folder[name.split("-", 1)[0]]))
        if group:
            groups.setdefault(group, []).append(name)
        elif name != MAIN:
            out[name] = ([name], digests[name])
    folder = {f: i for i, f in enumerate(FOLDERS)}
    for group in sorted(groups, key=lambda g: (folder[g.split("-")[1]], g)):
        h = hashlib.sha256(f"{FORMAT}\0{GROUP}\0".encode())
        for name in groups[group]:
            h.update(f"{name}\0{digests[name]}\0".encode())
        out[group] = (groups[group], h.hexdigest())
    out[MAIN] = ([MAIN], digests[MAIN])
    return out


@lru_cache(maxsize=1)  # read from the installed package's metadata: 0.3 ms a time, a
# time per bundle (146 of them) before
def _pagefind_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("pagefind_bin")
    except metadata.PackageNotFoundError:
        return "?"


def digest(pages: list[str], hashes: dict[str, str]) -> str:
    """What a bundle is made from: its pages and their sha256, Pagefind's version and
    :data:`FORMAT`. Equal digests, equal bundles."""
    h = hashlib.sha256(f"{FORMAT}\0{_pagefind_version()}\0".encode())
    for rel in sorted(pages):
        h.update(f"{rel}\0{hashes[rel]}\0".encode())
    return h.hexdigest()


def build_bundles(
    root: Path,
    bundles: dict[str, list[str]],
    workers: int = 1,
    rank: dict[str, int] | None = None,
    done=None,
) -> dict:
    """Index each bundle (``{name: pages}``) in an index of its own: ``workers`` Pagefind
    processes, each taking the next bundle when it is done with one (by ``rank``, then
    the largest first): ``{name: (files, pages indexed, prepared)}``, each checked;
    ``({}, 0, None)`` for a bundle without a page :func:`searched` (Pagefind is not
    asked). One more thread decodes each bundle's index (:func:`prepare`) while the
    processes index the next bundles: a process is not left waiting for the Python work
    on the bundle it just made (a few bundles wait for it at most: ``workers``). With
    ``done``, each result is handed to ``done(name, result)`` (in that thread) instead of
    being returned. A bundle depends on its own pages only: the same bytes whatever
    ``workers`` is and whichever process indexes it."""
    import cbor2  # noqa: F401 - imported before the threads start (see _start)

    root = Path(root)
    rank = rank or {}
    size = {n: sum(os.path.getsize(root / rel) for rel in ps) for n, ps in bundles.items()}
    todo = sorted(bundles, key=lambda n: (rank.get(n, 0), -size[n], n))
    results: dict = {}
    lock = threading.Lock()
    stop = threading.Event()  # a thread failed: the others end
    made: queue.Queue = queue.Queue(maxsize=max(1, workers))

    def put(item: tuple) -> bool:
        while not stop.is_set():
            try:
                made.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def run(service: _Service) -> None:
        while not stop.is_set():
            with lock:
                name = todo.pop(0) if todo else None
            if name is None:  # no bundle left: this process is done
                put(None)
                return
            pages = _searched_pages(root, bundles[name])
            if not pages:  # nothing to send: no Pagefind index
                item = (name, {}, 0, False)
            else:
                try:
                    files, n = service.index(pages)
                except SearchIndexError as e:
                    raise SearchIndexError(f"bundle {name}: {e}") from None
                item = (name, files, n, True)
            if not put(item):
                return

    def finish() -> None:
        ended = 0  # processes that put their end (None): after the last one, nothing comes
        while ended < len(services) and not stop.is_set():
            try:
                item = made.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is None:
                ended += 1
                continue
            name, files, n, indexed = item
            result = (files, n, prepare(files) if indexed else None)
            if done is not None:
                done(name, result)
            else:
                results[name] = result

    services: list[_Service] = []
    try:
        for _ in range(min(max(1, workers), len(todo))):
            services.append(_Service())
        with ThreadPoolExecutor(len(services) + 1, thread_name_prefix="pagefind") as pool:
            futures = [pool.submit(run, s) for s in services] + [pool.submit(finish)]
            try:
                for fut in as_completed(futures):
                    fut.result()  # the first failure is the one reported
            finally:  # a failure (or Ctrl-C): the other threads and processes stop too
                stop.set()
                for s in services:
                    s.proc.kill()
    finally:
        for s in services:
            s.close()
    return results


# -- one index from the bundles ---------------------------------------------------------
# A chunk of Pagefind's word index (CBOR): [[word, postings, variants], ...] in word order;
# postings: [[page delta, locations, meta locations], ...], the first delta from page 0;
# variants: [[form, postings], ...] (the word with its diacritics), by first page. The
# merge rewrites only the first delta of each bundle's postings of a word (its pages move
# by the bundle's offset) and, where the bundles number the metadata fields differently,
# the field markers of the meta locations; the rest of each bundle's postings is copied
# as the CBOR Pagefind wrote (:func:`prepare`), so merging costs little more than
# concatenating bytes.
def _index_part(rel: str) -> bool:
    """A file of an index itself (not one of Pagefind's scripts, styles or WASM)."""
    return rel == "pagefind-entry.json" or rel.endswith(".pf_meta") or rel.startswith(_INDEX_PARTS)


def _pagefind_hash(data: bytes) -> str:
    """Pagefind's ``full_hash``: sha1, each byte in hex without zero padding."""
    return "".join(format(b, "x") for b in hashlib.sha1(data).digest())


def _head(major: int, n: int) -> bytes:
    """A CBOR head in its shortest form, as Pagefind (minicbor) and cbor2 write it."""
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise ValueError(n)


def _text(s: str) -> bytes:
    raw = s.encode("utf-8")
    return _head(3, len(raw)) + raw


def _items(value: list) -> bytes:
    """The CBOR of the items of ``value``, without the array's head."""
    import cbor2

    return cbor2.dumps(value)[len(_head(4, len(value))) :]


def _postings(postings: list) -> tuple:
    """A bundle's postings of a word, ready to merge: ``(count, first delta, last page,
    size in Pagefind's chunk measure, CBOR of the postings after the first delta, the
    postings themselves if any has meta locations)``. One CBOR encoding of the list: the
    bytes after the first posting's delta are what the merge copies."""
    import cbor2

    count, first = len(postings), postings[0][0]
    skip = len(_head(4, count)) + 1 + len(_head(0, first))  # array, posting, delta heads
    deltas, locs, metas = zip(*postings)
    size = sum(map(len, locs)) + sum(map(len, metas)) + count
    meta = any(metas)
    return (
        count,
        first,
        sum(deltas),
        size,
        cbor2.dumps(postings)[skip:],
        postings if meta else None,
    )


@guard.collector_paused()  # millions of small lists, no cycles: collections would rescan them
def prepare(files: dict[str, bytes]) -> dict:
    """A bundle's index (its files as :meth:`_Service.index` returns them), decoded for
    :func:`merge`: per language its pages, metadata fields, filters and words."""
    entry = json.loads(files["pagefind-entry.json"])
    out = {"version": entry["version"], "include": entry.get("include_characters", [])}
    for lang, info in entry["languages"].items():
        meta = _unpack(files[f"pagefind.{info['hash']}.pf_meta"])
        if len(meta) != 6 or meta[4]:
            raise SearchIndexError("a bundle's metadata has sorts or an unknown shape")
        _version, pages, chunks, filters, _sorts, fields = meta
        words = []
        for _from, _to, ref in chunks:
            for word, postings, variants in _unpack(files[f"index/{ref}.pf_index"])[0]:
                words.append(
                    (
                        word,
                        _postings(postings) if postings else None,
                        [(form, _postings(vp)) for form, vp in variants if vp],
                    )
                )
        out[lang] = {
            "wasm": info["wasm"],
            "pages": pages,
            "fields": fields,
            "filters": [_unpack(files[f"filter/{ref}.pf_filter"]) for _name, ref in filters],
            "words": words,
        }
    return out


def _segment(p: tuple, offset: int, last: int, fields: list[int] | None) -> bytes:
    """A bundle's postings of a word in the merged index: pages moved by ``offset``, after
    the page ``last`` of the bundles before; metadata fields renumbered by ``fields``."""
    if fields is None or p[5] is None:
        return b"\x83" + _head(0, offset + p[1] - last) + p[4]
    postings = [
        [d, locs, [-fields[-x - 1] - 1 if x < 0 else x for x in ml]] for d, locs, ml in p[5]
    ]
    postings[0][0] += offset - last
    return _items(postings)


def _encode_postings(contributions: list) -> tuple[bytes, int]:
    """The merged postings of one word or variant: ``contributions`` are ``(offset,
    field renumbering or None, prepared postings)`` in page order. Returns the CBOR array
    and the chunk size of the postings."""
    segments, last, count, size = [], 0, 0, 0
    for offset, fields, p in contributions:
        delta = offset + p[1] - last
        if (fields is None or p[5] is None) and delta < 24:  # the common case, inline
            segments.append(_SMALL_POSTING[delta] + p[4])
        else:
            segments.append(_segment(p, offset, last, fields))
        last = offset + p[2]
        count += p[0]
        size += p[3]
    return _head(4, count) + b"".join(segments), size


# a posting's array head and a delta below 24, in one byte each
_SMALL_POSTING = tuple(bytes([0x83, n]) for n in range(24))


def _chunk_bounds(words: list[list[str]]) -> list[list[str]]:
    """``[from, to]`` of each chunk (its first and last word), as Pagefind shortens them:
    neighbouring bounds cut one character after their common prefix."""
    bounds = [[c[0], c[-1]] for c in words]
    for a, b in zip(bounds, bounds[1:]):
        common = 0
        for x, y in zip(b[0], a[1]):
            if x != y:
                break
            common += 1
        a[1], b[0] = a[1][: common + 1], b[0][: common + 1]
    return bounds


def _unique(name: str, data: bytes, taken: dict, full: str) -> str:
    """``name`` (``lang_`` + a prefix of the hash ``full``), or, when another file of the
    index has it, the first longer prefix none has, as Pagefind resolves collisions."""
    lang = _lang_of(name)
    n = len(name) - len(lang) - 1
    while name in taken and taken[name] != data:
        n += 1
        if n > len(full):
            raise SearchIndexError(f"two search index files both named {name}")
        name = f"{lang}_{full[:n]}"
    return name


@dataclass
class _Joined:
    """The pages of several bundles in one language, numbered bundle after bundle."""

    wasm: str
    fields: list[str]  # metadata fields, sorted: the bundles' numbering mapped to these
    pages: list = field(default_factory=list)  # [fragment name, word count]
    fragments: dict[str, bytes] = field(default_factory=dict)  # fragment name -> bytes
    # word -> [[(offset, field renumbering or None, prepared postings)], {form: [...]}]
    words: dict[str, list] = field(default_factory=dict)
    filters: dict[str, dict[str, list[int]]] = field(default_factory=dict)


def _join(parts: list) -> tuple[dict[str, bytes], dict, dict[str, _Joined]]:
    """What :func:`merge` and :func:`merge_group` share: Pagefind's scripts and WASM
    (the same in every part), the entry's version and characters, and per language the
    pages, fragments (a name two bundles give to different pages lengthened, as Pagefind
    does), words and filters of ``parts`` (with a searched page), numbered part after
    part."""
    parts = [(files, prep) for files, prep in parts if prep is not None]
    if not parts:
        raise SearchIndexError("no bundle with a searched page to merge")
    scripts: dict[str, bytes] = {}
    for files, _prep in parts:
        for rel, data in files.items():
            if not _index_part(rel) and scripts.setdefault(rel, data) != data:
                raise SearchIndexError(f"the bundles disagree on {rel} (two Pagefind versions?)")
    versions = {prep["version"] for _files, prep in parts}
    if len(versions) != 1:
        raise SearchIndexError(f"bundles of several Pagefind versions: {sorted(versions)}")
    head = {"version": versions.pop(), "include": parts[0][1]["include"]}
    langs = sorted({k for _f, prep in parts for k in prep if k not in ("version", "include")})
    joined = {}
    for lang in langs:
        here = [(files, prep[lang]) for files, prep in parts if lang in prep]
        j = joined[lang] = _Joined(
            wasm=sorted({p["wasm"] for _f, p in here})[0],
            fields=sorted({name for _f, p in here for name in p["fields"]}),
        )
        pages, fragments, words, filters = j.pages, j.fragments, j.words, j.filters
        for files, p in here:
            offset = len(pages)
            for h, count in p["pages"]:
                data = files[f"fragment/{h}.pf_fragment"]
                if h in fragments and fragments[h] != data:  # another bundle's page
                    full = _pagefind_hash(gzip.decompress(data)[len(_META_MAGIC) :])
                    h = _unique(h, data, fragments, full)
                fragments[h] = data
                pages.append([h, count])
            renumber = [j.fields.index(f) for f in p["fields"]]
            renumber = None if renumber == list(range(len(renumber))) else renumber
            for word, postings, variants in p["words"]:
                e = words.get(word)
                if e is None:
                    e = words[word] = [[], {}]
                if postings:
                    e[0].append((offset, renumber, postings))
                for form, vp in variants:
                    e[1].setdefault(form, []).append((offset, renumber, vp))
            for fname, values in p["filters"]:
                into = filters.setdefault(fname, {})
                for value, vpages in values:
                    into.setdefault(value, []).extend(x + offset for x in vpages)
    return scripts, head, joined


def _forms(variants: dict) -> list:
    """A word's variants, by their first page (Pagefind's order)."""
    return sorted(variants.items(), key=lambda kv: kv[1][0][0] + kv[1][0][2][1])


def _filter_values(values: dict[str, list[int]]) -> list:
    return sorted([v, sorted(ps)] for v, ps in values.items())


@guard.collector_paused()
def merge(parts: list[tuple[dict[str, bytes], dict]]) -> dict[str, bytes]:
    """The index of all the pages of ``parts`` (each a bundle's files as
    :meth:`_Service.index` returns them, and what :func:`prepare` makes of them, or a
    merge group's from :func:`merge_group`; a part without a searched page, ``prepared``
    None, is left out), numbered part after part: what one Pagefind run over those pages
    in that order writes. Fragments are the bundles'; word chunks are made again by
    Pagefind's rules and named as Pagefind names them; filters and metadata are written as
    :func:`_stable_filters` writes them. The scripts and WASM must be the same in every
    part (one Pagefind version)."""
    out, head, joined = _join(parts)
    entry = {"version": head["version"], "languages": {}}
    entry["include_characters"] = head["include"]
    for lang, j in joined.items():
        for h, data in j.fragments.items():
            out[f"fragment/{h}.pf_fragment"] = data
        chunks: list[list[bytes]] = []
        chunk_words: list[list[str]] = []
        current, current_words, size = [], [], 0
        for word in sorted(j.words):
            contributions, variants = j.words[word]
            main, n = _encode_postings(contributions)
            encoded = [
                b"\x82" + _text(form) + _encode_postings(vc)[0] for form, vc in _forms(variants)
            ]
            current.append(
                b"\x83" + _text(word) + main + _head(4, len(encoded)) + b"".join(encoded)
            )
            current_words.append(word)
            size += n
            if size >= _CHUNK_SIZE:
                chunks.append(current)
                chunk_words.append(current_words)
                current, current_words, size = [], [], 0
        if current:
            chunks.append(current)
            chunk_words.append(current_words)
        chunk_meta, taken, raws = [], {}, {}
        for chunk, (lo, hi) in zip(chunks, _chunk_bounds(chunk_words)):
            raw = b"\x81" + _head(4, len(chunk)) + b"".join(chunk)
            full = _pagefind_hash(raw)
            ref = _unique(f"{lang}_{full[:7]}", raw, taken, full)
            taken[ref] = raw
            raws[f"index/{ref}.pf_index"] = raw
            chunk_meta.append([lo, hi, ref])
        # compressed two at a time: zlib lets go of the interpreter while it works
        with ThreadPoolExecutor(2) as pool:
            out.update(zip(raws, pool.map(_compress_chunk, raws.values())))
        filter_meta = []
        for fname in sorted(j.filters):
            body = _pack([fname, _filter_values(j.filters[fname])])
            ref = f"{lang}_{_content_hash(body, 7)}"
            out[f"filter/{ref}.pf_filter"] = body
            filter_meta.append([fname, ref])
        body = _pack([entry["version"], j.pages, chunk_meta, filter_meta, [], j.fields])
        ref = f"{lang}_{_content_hash(body, 10)}"
        out[f"pagefind.{ref}.pf_meta"] = body
        entry["languages"][lang] = {"hash": ref, "wasm": j.wasm, "page_count": len(j.pages)}
    out["pagefind-entry.json"] = json.dumps(
        entry, ensure_ascii=False, separators=(",", ":")
    ).encode()
    return out


def _compress_chunk(raw: bytes) -> bytes:
    return gzip.compress(_META_MAGIC + raw, compresslevel=_CHUNK_LEVEL, mtime=0)


def _joined_postings(contributions: list) -> tuple:
    """A word's postings in a merge group, in the shape :func:`_postings` gives a
    bundle's: the merged CBOR array cut after its first delta."""
    encoded, size = _encode_postings(contributions)
    count = sum(p[0] for _offset, _fields, p in contributions)
    first = contributions[0][0] + contributions[0][2][1]
    last = contributions[-1][0] + contributions[-1][2][2]
    skip = len(_head(4, count)) + 1 + len(_head(0, first))
    meta = None
    if any(p[5] is not None for _offset, _fields, p in contributions):
        import cbor2

        meta = cbor2.loads(encoded)  # renumbered to the group's fields
    return (count, first, last, size, encoded[skip:], meta)


# -- the build's search step ------------------------------------------------------------
@dataclass
class Update:
    """What :func:`update` did: the digest of each bundle, and which were indexed."""

    digests: dict[str, str] = field(default_factory=dict)
    built: dict[str, int] = field(default_factory=dict)  # bundle -> pages indexed
    cached: dict[str, int] = field(default_factory=dict)  # bundle -> pages it holds
    kept: bool = False  # the published index was kept as it is
    groups: dict[str, str] = field(default_factory=dict)  # merge group -> digest
    merged: list[str] = field(default_factory=list)  # the merge groups made again
    pages: int = 0
    pruned: int = 0  # cache entries removed
    seconds: dict[str, float] = field(default_factory=dict)  # cache, index, merge

    def summary(self, shown: int = 8) -> str:
        """One line for the build's log; the indexed bundles named, ``shown`` at most."""
        if self.kept:
            return f"  search index kept ({len(self.digests)} bundles unchanged)"
        built = {n: p for n, p in self.built.items() if p}
        names = ", ".join(f"{n} {p:,}" for n, p in list(built.items())[:shown])
        if len(built) > shown:
            rest = list(built.values())[shown:]
            names += f" and {len(rest)} more, {sum(rest):,} pages"
        empty = len(self.built) - len(built)
        return (
            f"  search bundles: {len(built)} indexed ({names or 'none'}) in "
            f"{self.seconds.get('index', 0):.2f} s"
            + (f", {empty} without searched pages" if empty else "")
            + f", {len(self.cached)} from the cache ({self.seconds.get('cache', 0):.2f} s); "
            f"{len(self.merged)} of {len(self.groups)} merge groups made again; "
            f"merged, {self.pages:,} pages, in {self.seconds.get('merge', 0):.2f} s"
            + (f"; {self.pruned} cache entries removed" if self.pruned else "")
        )


def _cache_file(cache_dir: Path, name: str, dig: str) -> Path:
    return Path(cache_dir) / CACHE / f"{name}-{dig[:32]}.pickle"


def _cached(cache_dir: Path | None, name: str, dig: str):
    """A bundle or merge group from ``.cache/search/``: ``(files, pages, prepared, pages
    of each bundle of a group)``, or None (not there, or damaged: then discarded)."""
    if cache_dir is None:
        return None
    import pickle

    from . import cache

    path = _cache_file(cache_dir, name, dig)
    try:
        payload = cache.get(path)
        if payload is None:
            return None
        body = pickle.loads(payload)
        found = (body["files"], body["pages"], body["prepared"], body.get("members"))
    except (cache.CorruptEntry, pickle.UnpicklingError, ValueError, KeyError, TypeError, EOFError):
        cache.discard(path)
        return None
    os.utime(path)  # the newest entries are the ones kept
    return found


def _store(
    cache_dir: Path | None, name: str, dig: str, files, pages: int, prepared, members=None
) -> None:
    """Keep a bundle or a merge group (``members``: the pages of each of its bundles) in
    ``.cache/search/``: its page fragments and what :func:`prepare` made of its word
    chunks, filters and metadata (Pagefind's scripts and WASM, the same for every bundle,
    are not kept: :func:`update` takes them from a bundle it indexes, or from Pagefind)."""
    if cache_dir is None:
        return
    import pickle

    from . import cache

    path = _cache_file(cache_dir, name, dig)
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = {rel: data for rel, data in files.items() if rel.startswith("fragment/")}
    body = {"files": kept, "pages": pages, "prepared": prepared, "members": members}
    cache.put(path, pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL))


def prune(cache_dir: Path | None, current: dict[str, str]) -> int:
    """Bound ``.cache/search/``: of each bundle or merge group of ``current`` (``{name:
    digest}``) its entry for that digest and the :data:`CACHE_KEEP` - 1 newest others are
    kept; the entries of the names the site no longer has (a document removed or
    renamed, a merge group of another number of groups) are removed. Returns the number
    of entries removed."""
    if cache_dir is None:
        return 0
    from . import cache

    folder = Path(cache_dir) / CACHE
    by_bundle: dict[str, list[Path]] = {}
    try:
        entries = list(folder.glob("*.pickle"))
    except OSError:
        return 0
    for q in entries:
        by_bundle.setdefault(q.stem.rsplit("-", 1)[0], []).append(q)
    removed = 0
    for name, paths in by_bundle.items():
        dig = current.get(name)
        if dig is None:
            stale = paths
        else:
            own = _cache_file(cache_dir, name, dig)

            def age(q: Path) -> tuple:
                try:
                    return (q == own, q.stat().st_mtime_ns)
                except OSError:
                    return (q == own, 0)

            stale = sorted(paths, key=age, reverse=True)[CACHE_KEEP:]
        for q in stale:
            cache.discard(q)
            removed += 1
    return removed


def update(
    root: Path,
    pages: list[str],
    w,
    previous,
    provinces: dict[str, str],
    workers: int = 1,
    cache_dir: Path | None = None,
) -> Update:
    """The search index of ``pages`` (under ``root``, the staging tree), written under
    ``pagefind/`` through ``w``. Kept as it is when the previous build (``previous``: its
    :class:`~generator.output.Manifest`, ``search`` the digest of each bundle) made it
    from the same bundles and its files are as that build left them; else each bundle is
    taken from the cache or indexed (``workers`` Pagefind processes, stored in the cache),
    the bundles are merged into one index (:func:`merge`), checked, and the cache is
    pruned (:func:`prune`)."""
    root = Path(root)
    bundles = assign(pages, provinces)
    up = Update(digests={n: digest(ps, w.hashes) for n, ps in bundles.items()})
    old = {rel: e for rel, e in previous.files.items() if rel.startswith(f"{OUT}/")}
    if (
        old
        and previous.search == up.digests
        and not any(rel.startswith(f"{OUT}/") for rel in previous.dropped)
    ):
        for rel, e in old.items():
            w.keep(rel, e[0], e[1])
        up.kept = True
        return up
    with guard.collector_paused():  # millions of small objects, no cycles
        return _update(root, bundles, w, up, workers, cache_dir)


def _update(root: Path, bundles: dict, w, up: Update, workers: int, cache_dir) -> Update:
    t0 = time.perf_counter()
    parts = units(bundles, up.digests)
    up.groups = {u: dig for u, (_names, dig) in parts.items() if _is_group(u)}
    have: dict[str, tuple] = {}  # each part of the index: (files, pages, prepared)
    for unit, (names, dig) in parts.items():
        hit = _cached(cache_dir, unit, dig)
        if hit is not None:
            have[unit] = hit[:3]
            up.cached.update(hit[3] or {unit: hit[1]})
    # the bundles of the parts not in the cache: from the cache, or indexed
    members: dict[str, tuple] = {}
    wanted = [n for unit, (names, _dig) in parts.items() if unit not in have for n in names]
    for name in wanted:
        hit = _cached(cache_dir, name, up.digests[name]) if name not in parts else None
        if hit is not None:
            members[name] = hit[:3]
            up.cached[name] = hit[1]
    up.seconds["cache"] = time.perf_counter() - t0
    # Index what is missing. A merge group is made as soon as its last bundle is there,
    # and its bundles let go: the bundles are indexed group after group (the province
    # bundles and main first), so the build holds the bundles of a few groups at a time.
    part_of = {n: unit for unit, (names, _dig) in parts.items() for n in names}
    waiting = {
        unit: {n for n in names if n not in members}
        for unit, (names, _dig) in parts.items()
        if _is_group(unit) and unit not in have
    }
    rank = {unit: i for i, unit in enumerate(parts)}
    lock = threading.Lock()

    def make_group(unit: str) -> None:
        names, dig = parts[unit]
        files, prepared = merge_group([(members[n][0], members[n][2]) for n in names])
        pages = {n: members[n][1] for n in names}
        _store(cache_dir, unit, dig, files, sum(pages.values()), prepared, pages)
        with lock:
            have[unit] = (files, sum(pages.values()), prepared)
            up.merged.append(unit)
            for n in names:
                del members[n]

    def indexed(name: str, result: tuple) -> None:
        _store(cache_dir, name, up.digests[name], *result)
        unit = part_of[name]
        with lock:
            members[name] = result
            up.built[name] = result[1]
            if unit not in waiting:
                return
            waiting[unit].discard(name)
            if waiting[unit]:
                return
            del waiting[unit]
        make_group(unit)  # outside the lock: the other worker goes on

    stale = {n: bundles[n] for unit in parts if unit not in have for n in parts[unit][0]}
    stale = {n: ps for n, ps in stale.items() if n not in members}
    build_bundles(
        root,
        stale,
        workers,
        rank={n: rank[part_of[n]] if _is_group(part_of[n]) else -1 for n in stale},
        done=indexed,
    )
    t1 = time.perf_counter()
    for unit in [u for u in waiting if not waiting[u]]:  # every bundle from the cache
        del waiting[unit]
        make_group(unit)
    for unit in parts:
        if unit not in have:  # a province bundle or main
            have[unit] = members.pop(unit)
    up.built = {n: up.built[n] for n in bundles if n in up.built}
    up.cached = {n: up.cached[n] for n in bundles if n in up.cached}
    up.merged.sort(key=rank.get)
    index = [(have[u][0], have[u][2]) for u in parts if have[u][1]]
    files = merge(index) if index else pagefind_files(root, [])  # no page: an empty index
    _add_scripts(files)
    up.pages = sum(have[u][1] for u in parts)
    check_index(files, up.pages)
    for rel in sorted(files):
        w.write(f"/{OUT}/{rel}", files[rel])
    up.pruned = prune(cache_dir, {**up.digests, **up.groups})
    up.seconds.update(index=t1 - t0 - up.seconds["cache"], merge=time.perf_counter() - t1)
    return up


def _is_group(unit: str) -> bool:
    return unit.startswith(f"{GROUP}-")


@guard.collector_paused()
def merge_group(parts: list[tuple[dict[str, bytes], dict | None]]) -> tuple[dict, dict | None]:
    """The bundles of a merge group (``parts`` as for :func:`merge`) as one part of the
    index: its fragments (and Pagefind's scripts, if a bundle brought them) and the
    prepared form :func:`prepare` gives a bundle, made directly (no chunk is written and
    read back); ``({}, None)`` when none of them has a searched page. Merging the groups
    gives the index merging all their bundles gives (test)."""
    if all(prep is None for _files, prep in parts):
        return {}, None
    files, head, joined = _join(parts)
    prepared: dict = {"version": head["version"], "include": head["include"]}
    for lang, j in joined.items():
        for h, data in j.fragments.items():
            files[f"fragment/{h}.pf_fragment"] = data
        prepared[lang] = {
            "wasm": j.wasm,
            "pages": j.pages,
            "fields": j.fields,
            "filters": [[f, _filter_values(j.filters[f])] for f in sorted(j.filters)],
            "words": [
                (
                    word,
                    _joined_postings(j.words[word][0]) if j.words[word][0] else None,
                    [(form, _joined_postings(vc)) for form, vc in _forms(j.words[word][1])],
                )
                for word in sorted(j.words)
            ],
        }
    return files, prepared


def _add_scripts(files: dict[str, bytes]) -> None:
    """Pagefind's scripts, styles and WASM come with the bundles just indexed; the cache
    does not keep them, so when every bundle came from it (or a language's WASM is
    missing) they are taken from Pagefind: an index of one small page per language
    (static files: the same whatever the pages)."""
    entry = json.loads(files["pagefind-entry.json"])
    need = ["pagefind.js", *(f"wasm.{x['wasm']}.pagefind" for x in entry["languages"].values())]
    if all(rel in files for rel in need):
        return
    with tempfile.TemporaryDirectory(prefix="pagefind-scripts-") as tmp:
        pages = []
        for i, lang in enumerate(sorted(entry["languages"])):
            page = Path(tmp) / f"{i}.html"
            page.write_text(
                f'<!doctype html><html lang="{lang}"><body><main data-pagefind-body>'
                f"<p>{lang}</p></main></body></html>",
                encoding="utf-8",
            )
            pages.append(page.name)
        got = pagefind_files(Path(tmp), pages)
    for rel, data in got.items():
        if not _index_part(rel):
            files.setdefault(rel, data)


def _stable_filters(files: dict[str, bytes]) -> dict[str, bytes]:
    """The index with its filter files made reproducible.

    Pagefind (1.5) writes the values of each filter (``tipo``, ``regione``, ...) in hash-map
    order, different on every run, and names each filter file, its language's metadata and
    the entry file's reference after those bytes: two builds of the same pages differ in
    those files. Here each filter file is rewritten with its values sorted (each value's
    pages in ascending order, as Pagefind lists them), gzipped without a timestamp and named
    after its content; the metadata that names the filters, and the entry file that names
    the metadata, follow. The content is what Pagefind wrote, in a fixed order.
    """
    if "pagefind-entry.json" not in files:
        return files  # check_index reports it
    out = dict(files)
    entry = json.loads(out["pagefind-entry.json"])
    for lang in entry["languages"].values():
        meta_name = f"pagefind.{lang['hash']}.pf_meta"
        if meta_name not in out:
            continue
        meta = _unpack(out.pop(meta_name))
        filters = []
        for name, ref in meta[3]:
            fname, values = _unpack(out.pop(f"filter/{ref}.pf_filter"))
            body = _pack([fname, sorted([value, sorted(pages)] for value, pages in values)])
            new_ref = f"{_lang_of(ref)}_{_content_hash(body, 7)}"
            out[f"filter/{new_ref}.pf_filter"] = body
            filters.append([name, new_ref])
        meta[3] = sorted(filters)
        body = _pack(meta)
        lang["hash"] = f"{_lang_of(lang['hash'])}_{_content_hash(body, 10)}"
        out[f"pagefind.{lang['hash']}.pf_meta"] = body
    out["pagefind-entry.json"] = json.dumps(
        entry, ensure_ascii=False, separators=(",", ":")
    ).encode()
    return out


def _unpack(data: bytes):
    import cbor2

    raw = gzip.decompress(data)
    if not raw.startswith(_META_MAGIC):
        raise SearchIndexError("a search index file without Pagefind's signature")
    return cbor2.loads(raw[len(_META_MAGIC) :])


def _pack(value) -> bytes:
    import cbor2

    return gzip.compress(_META_MAGIC + cbor2.dumps(value), compresslevel=9, mtime=0)


def _lang_of(ref: str) -> str:
    return ref.rsplit("_", 1)[0]


def _content_hash(data: bytes, size: int) -> str:
    return hashlib.sha256(data).hexdigest()[:size]


def _answers(stream):
    """Pagefind's answers, one by one, from its output (base64 JSON, each followed by a
    comma). An answer read in many pieces (a bundle's files: megabytes) is joined once, not
    copied again with each piece."""
    pieces: list[bytes] = []
    while True:
        chunk = stream.read1(1 << 20)
        if not chunk:
            return
        start, end = 0, chunk.find(b",")
        while end >= 0:
            pieces.append(chunk[start:end])
            yield json.loads(base64.b64decode(b"".join(pieces)))
            pieces.clear()
            start, end = end + 1, chunk.find(b",", end + 1)
        if start < len(chunk):
            pieces.append(chunk[start:])


def check_index(files: dict[str, bytes], pages: int | None = None) -> None:
    """Raise :class:`SearchIndexError` unless the index files hold together and (``pages``
    given) hold exactly that many pages."""
    import cbor2

    empty = sorted(p for p, b in files.items() if not b)
    if empty:
        raise SearchIndexError(
            f"{len(empty)} empty search index files, e.g. {', '.join(empty[:3])}"
        )
    try:
        entry = json.loads(files["pagefind-entry.json"])
        languages = entry["languages"]
    except (KeyError, ValueError, TypeError) as e:
        raise SearchIndexError(f"pagefind-entry.json missing or unreadable ({e})") from None
    need = ["pagefind.js"]
    indexed = 0
    for lang in languages.values():
        meta_name = f"pagefind.{lang['hash']}.pf_meta"
        need += [meta_name, f"wasm.{lang['wasm']}.pagefind"]
        try:
            raw = gzip.decompress(files[meta_name])
            if not raw.startswith(_META_MAGIC):
                raise ValueError("no pagefind signature")
            _version, metapages, chunks, filters = cbor2.loads(raw[len(_META_MAGIC) :])[:4]
        except KeyError:
            continue  # reported below as missing
        except Exception as e:  # noqa: BLE001 - gzip, CBOR or shape errors alike
            raise SearchIndexError(f"{meta_name} unreadable ({type(e).__name__}: {e})") from None
        need += [f"fragment/{p[0]}.pf_fragment" for p in metapages]
        need += [f"index/{c[2]}.pf_index" for c in chunks]
        need += [f"filter/{f[1]}.pf_filter" for f in filters]
        if len(metapages) != lang.get("page_count"):
            raise SearchIndexError(
                f"{meta_name} lists {len(metapages)} pages, the entry file {lang.get('page_count')}"
            )
        indexed += len(metapages)
    missing = sorted(set(need) - set(files))
    if missing:
        raise SearchIndexError(
            f"{len(missing)} search index files missing, e.g. {', '.join(missing[:3])}"
        )
    if pages is not None and indexed != pages:
        raise SearchIndexError(f"the index holds {indexed} pages, {pages} were sent to it")


def _page_url(rel: str) -> str:
    return "/" + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)


def check_written(root: Path) -> str:
    """Check the published index of the site in ``root`` (for ``check``): complete
    (:func:`check_index`), and holding each page of the site that is :func:`searched`
    once, and no other. Returns a summary line."""
    root = Path(root)
    d = root / OUT
    files = {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}
    if not files:
        raise SearchIndexError("no search index (pagefind/ is missing or empty)")
    check_index(files)
    seen: dict[str, int] = {}
    for lang in json.loads(files["pagefind-entry.json"])["languages"].values():
        for h, _count in _unpack(files[f"pagefind.{lang['hash']}.pf_meta"])[1]:
            url = json.loads(
                gzip.decompress(files[f"fragment/{h}.pf_fragment"])[len(_META_MAGIC) :]
            )["url"]
            seen[url] = seen.get(url, 0) + 1
    twice = sorted(u for u, n in seen.items() if n > 1)
    pages = {
        _page_url(rel)
        for p in root.rglob("*.html")
        if not (rel := p.relative_to(root).as_posix()).startswith(f"{OUT}/")
        and searched(p.read_bytes())
    }
    lost, foreign = sorted(pages - set(seen)), sorted(set(seen) - pages)
    if twice or lost or foreign:
        raise SearchIndexError(
            f"{len(lost)} searchable pages not in the index (e.g. {', '.join(lost[:3])}), "
            f"{len(foreign)} indexed pages not on the site (e.g. {', '.join(foreign[:3])}), "
            f"{len(twice)} pages indexed twice (e.g. {', '.join(twice[:3])})"
        )
    return f"{len(seen):,} pages"
