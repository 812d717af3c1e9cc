"""The search index: Pagefind, fed page by page in a fixed order, its files checked.

Pagefind's command line indexes pages in the order the filesystem lists them, so two
builds of the same pages on two filesystems gave indexes that differ. Here the build
runs Pagefind as a service (``pagefind --service``, the protocol of its Python and Node
wrappers: base64 JSON messages separated by commas, answered in order), adds every page
in sorted order, and takes back the index files in memory; they are written through
the build's :class:`~generator.output.Writer` like every other file (a full disk fails
the build instead of leaving empty files behind).

Before anything is written the index is checked: no file is empty, the entry file
parses, and every file it names (each language's metadata and wasm) and every file the
metadata names (each page's fragment, each index chunk, each filter) is there.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import subprocess
import tempfile
import threading
from pathlib import Path

from . import guard

OUT = "pagefind"
_META_MAGIC = b"pagefind_dcd"


class SearchIndexError(Exception):
    """Pagefind failed or produced an index that does not hold together."""


def _executable() -> str:
    from pagefind.service import get_executable

    exe = get_executable()
    if exe is None:
        raise SearchIndexError("the pagefind binary is not installed (pip install 'pagefind[bin]')")
    return str(exe)


def pagefind_files(root: Path, pages: list[str]) -> dict[str, bytes]:
    """``{path under pagefind/: bytes}`` of the index of the HTML ``pages`` (relative
    paths under ``root``), indexed in sorted order; checked with :func:`check_index`."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [_executable(), "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            cwd=root,
            preexec_fn=guard.die_with_parent,
        )
        ordered = sorted(pages)
        failure: list[BaseException] = []

        def send() -> None:
            def msg(i: int, payload: dict) -> None:
                proc.stdin.write(
                    base64.b64encode(json.dumps({"message_id": i, "payload": payload}).encode())
                    + b","
                )

            try:
                msg(0, {"type": "NewIndex", "config": None})
                for i, rel in enumerate(ordered, start=1):
                    msg(
                        i,
                        {
                            "type": "AddFile",
                            "index_id": 0,
                            "file_path": rel,
                            "url": None,
                            "file_contents": (root / rel).read_text(encoding="utf-8"),
                        },
                    )
                msg(len(ordered) + 1, {"type": "GetFiles", "index_id": 0})
                proc.stdin.flush()
            except (OSError, ValueError) as e:  # Pagefind died: the reader says why
                failure.append(e)

        writer = threading.Thread(target=send, name="pagefind-feed", daemon=True)
        writer.start()
        files = None
        try:
            for answer in _answers(proc.stdout):
                payload = answer.get("payload") or {}
                if payload.get("type") == "Error":
                    raise SearchIndexError(f"pagefind: {payload.get('message')}")
                if payload.get("type") == "GetFiles":
                    files = payload["files"]
                    break
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass
            proc.kill()
            proc.wait()
            writer.join()
        if files is None:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip()[-300:]
            raise SearchIndexError(
                f"pagefind ended without an index (exit {proc.returncode})"
                + (f": {tail}" if tail else "")
                + (f"; {failure[0]}" if failure else "")
            )
    out = _stable_filters({f["path"]: base64.b64decode(f["content"]) for f in files})
    check_index(out, len(ordered))
    return out


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
    pending = b""
    while True:
        chunk = stream.read1(1 << 20)
        if not chunk:
            return
        pending += chunk
        while b"," in pending:
            one, _, pending = pending.partition(b",")
            yield json.loads(base64.b64decode(one))


def check_index(files: dict[str, bytes], pages: int | None = None) -> None:
    """Raise :class:`SearchIndexError` unless the index files hold together."""
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
    if pages and not indexed:
        raise SearchIndexError("the search index holds no page")


def write_index(root: Path, pages: list[str], w) -> int:
    """Index ``pages`` and write the index under ``pagefind/`` through ``w``."""
    files = pagefind_files(root, pages)
    for rel in sorted(files):
        w.write(f"/{OUT}/{rel}", files[rel])
    return len(files)


def check_written(root: Path) -> None:
    """:func:`check_index` over a written ``pagefind/`` folder (for ``check``)."""
    d = Path(root) / OUT
    files = {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*") if p.is_file()}
    if not files:
        raise SearchIndexError("no search index (pagefind/ is missing or empty)")
    check_index(files)
