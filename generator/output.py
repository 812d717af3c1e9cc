"""Writing and publishing the output tree: atomic, incremental, verified, byte-identical.

A build writes into a staging directory beside the output folder (``site/``, or the
folder a ``site`` symbolic link points to: the link is kept and its target updated).
When a previous site exists, the staging directory starts as a hard-linked copy of it,
and a file is rewritten only when its bytes changed; a changed file is unlinked before
it is written, so the previous site is never modified. Files the new build did not
produce are removed. Unchanged files keep their inode and mtime, so a deploy uploads
only what changed.

Before publishing, every file of the staging tree is checked against what the build
meant to write (no file missing, none of another size: a short write or a full disk
fails the build, the site stays as it was). Publishing is one ``renameat2`` exchange of
the two trees (one atomic step: the output path always names a complete site); the old
tree, now at the staging name, is removed afterwards, and any staging or old tree a
killed build left is removed at the start of the next one.

The output manifest (``.cache/build-manifest-<key>.json``, keyed by the output folder's
path relative to the project) records each file's sha256, size and mtime, with a
checksum of its own. It is never trusted over the disk: an entry counts only while the
file still has its size and mtime (or, if only the mtime differs, its hash), so a
truncated or edited file is rewritten and a stale manifest is harmless.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import pickle
import re
import shutil
import stat
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from . import guard, paths

MANIFEST = "build-manifest"  # kept in the cache dir, one per output directory
MANIFEST_VERSION = 2


class OutputError(Exception):
    """The output folder cannot be written or published; nothing was changed."""


def inert_json(text: str) -> str:
    """JSON with ``<``, ``>`` and ``&`` as \\u escapes: the same data for every JSON
    reader, and inert if a file is ever served or embedded as HTML."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


JSON_SUFFIXES = (".json", ".jsonld")


def compact_json(obj, default=None) -> bytes:
    """What ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=default)``
    writes, UTF-8 encoded, made by orjson: 0.13 s instead of 0.54 s for the real site's
    8,028 comune twins (46 MB), the same bytes. What orjson writes otherwise is made by
    json: a non-zero number below 1e-4 (:func:`_small_number`) and whatever orjson refuses
    (keys that are not strings, integers beyond 64 bits). One difference is left: NaN and
    infinity, which json writes as ``NaN`` and ``Infinity`` (not JSON), are ``null``."""
    try:
        raw = orjson.dumps(obj, default=default)
    except TypeError:  # orjson.JSONEncodeError
        raw = None
    if raw is None or _small_number(raw):
        raw = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=default).encode()
    return raw


def _small_number(raw: bytes) -> bool:
    """Whether orjson's ``raw`` may hold a number below 1e-4, which it writes ``0.00001`` or
    ``1e-7`` where json writes ``1e-05`` and ``1e-07``: an ``e-`` after a digit, or a
    ``0.0000`` where a value starts (in a text too: then json writes the whole)."""
    i = raw.find(b"e-")
    while i > 0:
        if 48 <= raw[i - 1] <= 57:
            return True
        i = raw.find(b"e-", i + 2)
    i = raw.find(b"0.0000")
    while i >= 0:
        if i == 0 or raw[i - 1] in b":,[-":
            return True
        i = raw.find(b"0.0000", i + 6)
    return False


def inert_bytes(raw: bytes) -> bytes:
    """:func:`inert_json` on encoded JSON: every JSON file the site publishes is written so
    (``<``, ``>``, ``&`` occur in JSON only inside strings, where the escape is the same
    character)."""
    if b"<" in raw or b">" in raw or b"&" in raw:
        raw = raw.replace(b"<", b"\\u003c").replace(b">", b"\\u003e").replace(b"&", b"\\u0026")
    return raw


def _create(path: str) -> int:
    """A new file at ``path`` open for writing; what is there is unlinked first (a file is
    never opened in place: it may be a hard link into the published site)."""
    for _ in range(3):
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:  # a link the Filler made, a file written twice
            os.unlink(path)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Writer:
    """Writes files under ``root``; records each file's sha256 and size, and the HTML pages."""

    def __init__(
        self,
        root: Path,
        previous: dict[str, str] | None = None,
        source: Path | None = None,
        mirror: bool = False,
    ):
        """``previous``: ``{rel: sha256}`` of the files already in ``root`` (a staging tree
        made from the previous site or from the spare tree); ``source``: the published
        site, when ``root`` holds an older tree (the spare): a file taken over from the
        last build (:meth:`reuse`, :meth:`keep`) that ``root`` holds in another version
        is linked from there. ``mirror``: ``root`` is being filled with links to
        ``source``'s files (:class:`Filler`), which ``previous`` describes: a file of
        the same hash not linked yet is linked from ``source`` rather than written."""
        self.root = Path(root)
        self.previous = previous or {}
        self.source = str(source) if source is not None else None
        self.mirror = mirror and self.source is not None
        self.hashes: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.pages: list[str] = []
        self.count = 0
        self.written = 0
        self._root = str(self.root)
        self._dirs: set[str] = set()
        self.recording: list[str] | None = None  # the files of the render unit being made
        self.task_recording: list[str] | None = None  # and of the render task (render.py)
        self.units: dict[str, list] = {}  # render units: id -> [key of inputs, files]
        # every file ``previous`` names is in ``root`` (the spare tree as scanned, a copy
        # completed), unless this build wrote it: taking one over needs no ``stat`` (about
        # 66,000 of them when a document is added); verify_tree checks the tree in the end
        self.present = False
        # the render's take-overs while the Filler runs: recorded, not linked (the Filler
        # links every file of the site; nothing reads a page before it is done, and
        # :meth:`link_missing` makes what it did not if it failed)
        self.defer = False

    @staticmethod
    def rel(url_path: str) -> str:
        rel = url_path.lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        return rel

    def write(self, url_path: str, data: str | bytes) -> None:
        rel = self.rel(url_path)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        if rel.endswith(JSON_SUFFIXES):
            raw = inert_bytes(raw)
        h = hashlib.sha256(raw).hexdigest()
        self._record(rel, h, len(raw))
        path = f"{self._root}/{rel}"
        if self.previous.get(rel) == h:
            if self.present or os.path.exists(path):
                return
            if self.mirror:  # not linked yet by the Filler
                try:
                    self._link(rel, path)
                    return
                except FileNotFoundError:  # gone from the site meanwhile: written
                    pass
        self._makedirs(rel)
        # created exclusively: a file already there (a link into the previous site, a page
        # written twice) is unlinked first, never written through
        fd = _create(path)
        try:
            view = memoryview(raw)
            while view:
                view = view[os.write(fd, view) :]
        except OSError as e:
            e.filename = e.filename or path
            raise
        finally:
            os.close(fd)
        self.written += 1

    def _record(self, rel: str, sha: str, size: int) -> None:
        self.hashes[rel] = sha
        self.sizes[rel] = size
        self.count += 1
        if rel.endswith(".html") and rel != "404.html":
            self.pages.append(
                "/" + rel[: -len("index.html")] if rel.endswith("index.html") else "/" + rel
            )
        if self.recording is not None:
            self.recording.append(rel)
        if self.task_recording is not None:
            self.task_recording.append(rel)

    def can_take(self, rel: str, sha: str) -> bool:
        """Whether the last build's file ``rel`` (of hash ``sha``) can be taken over: the
        staging tree holds it, or the published site does (``source``)."""
        if self.previous.get(rel) == sha and (
            self.present or os.path.exists(f"{self._root}/{rel}")
        ):
            return True
        return self.source is not None and os.path.exists(f"{self.source}/{rel}")

    def _take(self, rel: str, sha: str) -> None:
        if self.previous.get(rel) == sha and (
            self.present or os.path.exists(f"{self._root}/{rel}")
        ):
            return
        if self.source is None:
            raise OSError(f"{rel}: the previous version is not in the staging tree")
        path = f"{self._root}/{rel}"
        if os.path.lexists(path):
            os.unlink(path)
        self._link(rel, path)
        self.written += 1

    def _link(self, rel: str, path: str) -> bool:
        """``path`` as a link to ``source``'s file ``rel`` (a copy where links fail); False
        if the Filler had linked it (``mirror``). The folder is made only if the link
        finds it missing (the copy or the spare tree has it: no system call more)."""
        try:
            return self._link_in(rel, path)
        except FileNotFoundError:
            if not os.path.exists(f"{self.source}/{rel}"):
                raise
        self._makedirs(rel)
        return self._link_in(rel, path)

    def _link_in(self, rel: str, path: str) -> bool:
        for _ in range(3):
            try:
                os.link(f"{self.source}/{rel}", path)
                return True
            except FileExistsError:  # the Filler linked it meanwhile: the same file
                if self.mirror:
                    return False
                os.unlink(path)
            except FileNotFoundError:
                raise
            except OSError as e:  # no hard link here (too many links, another
                # filesystem): a copy
                if e.errno in guard.DISK_FULL:
                    raise
                shutil.copyfile(f"{self.source}/{rel}", path)
                return True
        raise FileExistsError(errno.EEXIST, "created again and again meanwhile", path)

    def reuse(self, rel: str, sha: str, size: int) -> None:
        """Take over a file of the last build as if written by this one: what a render
        unit whose inputs did not change would have written (see :meth:`can_take`)."""
        self._take(rel, sha)
        self._record(rel, sha, size)

    def take_over(self, files: list[tuple[str, str, int]]) -> bool:
        """:meth:`reuse` each of ``files`` (``(rel, sha256, size)``) if all of them can be
        taken over; False (none recorded) if one cannot. While the :class:`Filler` fills
        ``root`` (``mirror``), a file of the last build is linked from the site at once (one
        system call: the Filler's link, there already, is the same file) instead of
        looked for first in ``root`` and then in the site (2 to 5 calls a file, 61,000
        files in an add-one); the site's files are as the manifest says (checked when the
        build began), and one gone meanwhile makes this False, as it did before. With
        ``defer`` (the render's Writers) such a file is only recorded: the Filler's link is
        the one, and a file gone meanwhile is found missing when the tree is verified."""
        if not self.mirror or self.present:
            if not all(self.can_take(rel, sha) for rel, sha, _size in files):
                return False
            for rel, sha, size in files:
                self.reuse(rel, sha, size)
            return True
        prev = self.previous
        for rel, sha, _size in files:
            if prev.get(rel) == sha:
                if self.defer:
                    continue
                try:
                    self.written += self._link(rel, f"{self._root}/{rel}")
                except FileNotFoundError:  # gone from the site: made again
                    return False
            elif not self.can_take(rel, sha):
                return False
            else:
                self._take(rel, sha)
        for rel, sha, size in files:
            self._record(rel, sha, size)
        return True

    def link_missing(self) -> int:
        """After a :class:`Filler` that failed: link from the site each file recorded as
        taken over (its hash the last build's) that the staging tree lacks; how many."""
        n = 0
        for rel, sha in self.hashes.items():
            path = f"{self._root}/{rel}"
            if self.previous.get(rel) == sha and not os.path.lexists(path):
                try:
                    n += self._link(rel, path)
                except FileNotFoundError:
                    raise OutputError(
                        f"{rel}: gone from the site while the build ran (build again)"
                    ) from None
        return n

    def _makedirs(self, rel: str) -> None:
        d = rel.rpartition("/")[0]
        if d and d not in self._dirs:
            os.makedirs(f"{self._root}/{d}", exist_ok=True)
            self._dirs.add(d)

    def json(self, url_path: str, obj, default=None) -> None:
        self.write(url_path, self.json_text(obj, default))

    @staticmethod
    def json_text(obj, default=None) -> str:
        """The text :meth:`json` writes."""
        return inert_json(compact_json(obj, default).decode()) + "\n"

    def keep(self, rel: str, sha: str, size: int) -> None:
        """Take over a file of the previous site unchanged (e.g. a search index still current)."""
        self._take(rel, sha)
        self.hashes[rel] = sha
        self.sizes[rel] = size

    def merge(self, other: Writer) -> None:
        """Take over what a worker process wrote."""
        self.hashes.update(other.hashes)
        self.sizes.update(other.sizes)
        self.pages += other.pages
        self.count += other.count
        self.written += other.written


# -- the output folder ------------------------------------------------------------------
def target_of(site_dir: Path) -> Path:
    """The folder really written: ``site_dir``, or the folder its symbolic link names."""
    site_dir = Path(site_dir)
    return Path(os.path.realpath(site_dir)) if site_dir.is_symlink() else site_dir


def _sibling(target: Path, kind: str) -> Path:
    return target.with_name(f".{target.name}-{kind}-{os.getpid()}")


def _siblings(target: Path, kinds=("staging", "old", "serve")) -> list[Path]:
    if not target.parent.is_dir():
        return []
    return sorted(p for k in kinds for p in target.parent.glob(f".{target.name}-{k}-*"))


def prepare_target(site_dir: Path) -> Path:
    """Check, before any work, that the output folder can be replaced; its real path.

    Refused with :class:`OutputError`: a path that is not a folder, a mount point (a
    folder that cannot be renamed), a read-only or immutable folder, a parent folder
    where the staging tree cannot be made."""
    site_dir = Path(site_dir)
    target = target_of(site_dir)
    name = str(site_dir) if target == site_dir else f"{site_dir} (-> {target})"
    if target.exists() and not target.is_dir():
        raise OutputError(f"{name} exists and is not a folder")
    if target.is_dir():
        if is_mount_point(target):
            raise OutputError(
                f"{name} is a mount point: it cannot be replaced in one step; "
                "build into a folder inside it, or make it a symbolic link "
                "to a folder"
            )
        try:  # touch it: fails on an immutable folder or a read-only filesystem
            os.utime(target)
        except OSError as e:
            raise OutputError(
                f"{name} is read-only ({e.strerror}): nothing can be published there"
            ) from None
        if not os.access(target, os.W_OK):
            raise OutputError(f"{name} is read-only (no write permission)")
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create {parent} ({e.strerror})") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{parent} is read-only: the staging tree beside {name} cannot be made")
    return target


# the kernel writes a space, tab, newline or backslash in a mount point as \ooo (octal)
_MOUNT_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(m: re.Match) -> str:
    return chr(int(m.group(1), 8))


def is_mount_point(path: Path) -> bool:
    """Whether ``path`` is a mount point (bind mounts of the same filesystem included,
    which ``os.path.ismount`` misses: Linux's mount table is read where it exists)."""
    if os.path.ismount(path):
        return True
    real = os.path.realpath(path)
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            points = {
                _MOUNT_ESCAPE.sub(_unescape, line.split()[4]) for line in f if len(line.split()) > 4
            }
    except OSError:
        return False
    return real in points


def recover(target: Path) -> list[str]:
    """Undo what a killed build left beside ``target`` (call it holding the build lock).

    A missing output folder with an old tree beside it (a build killed between the two
    renames of the fallback publish) gets the old tree back; every other staging, old
    or serve tree is removed. Returns what was done, for the log."""
    done = []
    olds = _siblings(target, ("old",))
    if not os.path.lexists(target) and olds:
        newest = max(olds, key=lambda p: p.stat().st_mtime_ns)
        os.rename(newest, target)
        done.append(
            f"restored {target.name}/ from {newest.name} (a build was killed while publishing)"
        )
    for p in _siblings(target):
        remove_tree(p)
        done.append(f"removed {p.name}, left by a build that did not finish")
    return done


def stage(target: Path, previous_ok: bool, background: bool = False) -> tuple[Path, Filler | None]:
    """A staging directory beside ``target``: a hard-linked copy of it when reusable. With
    ``background`` the copy is made by a child process (a :class:`Filler`, returned) while
    the build goes on; otherwise it is done on return (and the Filler is None)."""
    tmp = _sibling(target, "staging")
    if os.path.lexists(tmp):
        remove_tree(tmp)
    if previous_ok and target.is_dir():
        if background and hasattr(os, "fork"):
            os.mkdir(tmp)
            return tmp, Filler(target, tmp)
        try:
            link_tree(target, tmp)
            return tmp, None
        except OSError as e:  # hard links not possible here: start empty
            remove_tree(tmp)
            if e.errno in (errno.ENOSPC, errno.EDQUOT):
                raise
    tmp.mkdir(parents=True)
    return tmp, None


def link_tree(
    src: Path, dst: Path, merge: bool = False, part: tuple[int, int] | None = None
) -> None:
    """``dst``: a copy of the tree ``src`` whose files are hard links to its files (symbolic
    links copied as links). Unlike ``shutil.copytree(copy_function=os.link)`` it copies no
    folder's times, mode or extended attributes (18,000 folders: three calls each) and
    stops at the first error, which it raises. With ``merge``, ``dst`` exists and what is
    already there (made meanwhile by the build: see :class:`Filler`) is left as it is.
    With ``part`` ``(k, n)``, ``dst`` holds ``src``'s top-level folders already, and only
    the entries of those folders whose name hashes to ``k`` among ``n`` are copied (with
    everything under them; part 0 copies the top level's own files too): ``n`` processes
    with a part each make the whole copy."""
    base, out = str(src), str(dst)
    if not merge:
        os.mkdir(out)
    stack = [""]
    while stack:
        d = stack.pop()
        with os.scandir(f"{base}/{d}" if d else base) as it:
            for e in it:
                rel = f"{d}/{e.name}" if d else e.name
                if part is not None and "/" not in d:
                    if not d:  # the top level: its folders are there
                        if e.is_dir(follow_symlinks=False):
                            stack.append(rel)
                            continue
                        if part[0]:
                            continue
                    elif zlib.crc32(e.name.encode()) % part[1] != part[0]:
                        continue
                try:
                    if e.is_dir(follow_symlinks=False):
                        stack.append(rel)
                        os.mkdir(f"{out}/{rel}")
                    elif e.is_symlink():
                        os.symlink(os.readlink(e.path), f"{out}/{rel}")
                    else:
                        os.link(e.path, f"{out}/{rel}")
                except FileExistsError:
                    if not merge:
                        raise


class _Child:
    """A forked child process that runs ``work()`` and sends what it returns (bytes) down a
    pipe, then leaves without Python's cleanup; killed with the build (it dies with its
    parent). :meth:`_collect` is ``(its bytes, exit status)``."""

    pid: int | None = None

    def _fork(self, work) -> bool:
        """Start the child; False if it could not be made."""
        try:
            r, w = os.pipe()
        except OSError:
            return False
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:
            os.close(r)
            os.close(w)
            return False
        if pid == 0:  # the child
            code = 0
            try:
                os.close(r)
                guard.die_with_parent(parent)  # a killed build leaves no child going on
                data = work()
            except BaseException as e:  # noqa: BLE001 - reported to the parent
                code, data = 1, f"{getattr(e, 'errno', '') or ''}\0{e}".encode()[:2000]
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(w, view) :]
            except BaseException:  # noqa: BLE001
                code = code or 1
            finally:
                os._exit(code)
        os.close(w)
        self.pid, self._fd = pid, r
        return True

    def _collect(self) -> tuple[bytes, int]:
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self._fd)
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # waited for elsewhere: its outcome is unknown
            status = -1
        self.pid = None
        return b"".join(chunks), status

    def kill(self) -> None:
        """Stop the child (not wanted any more, or the build failed)."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self._fd)
        self.pid = None


class _FillerPart(_Child):
    """One of the :class:`Filler`'s children: its part of the copy (:func:`link_tree`)."""

    def __init__(self, src: Path, dst: Path, part: tuple[int, int]):
        def work() -> bytes:  # system calls only
            link_tree(src, dst, merge=True, part=part)
            return b""

        if not self._fork(work):
            raise OSError(errno.EAGAIN, "the process copying the site could not be started")

    def join(self) -> str | None:
        """Wait for the child: None when it made its part, else what went wrong. A full
        disk is raised (the build cannot go on without space)."""
        if self.pid is None:
            return None
        data, status = self._collect()
        if status == 0:
            return None
        code, _, msg = data.decode(errors="replace").partition("\0")
        if code.isdigit() and int(code) in guard.DISK_FULL:
            raise OSError(int(code), msg or os.strerror(int(code)))
        return msg or f"the process copying the site ended with {status}"


class Filler:
    """The staging tree filled with hard links to the site's files by forked children
    (:func:`link_tree`, a part each) while the build makes its packages, model and pages:
    the 18,500 folders and 61,000 links of the real site are 1.5-3 s of system calls, done
    beside the build. Two children: once the render is done (with no spare tree the build
    waits for the copy there) both cores make what is left of it (the site's tree linked
    by one process in 1.3-3.8 s, by two in 0.8-1.9 s).

    The build's :class:`Writer` (``mirror``) is safe beside it: a file it writes is
    created exclusively (a link the child made first is unlinked, never written
    through), a file it takes over that the child has not linked yet it links from the
    site itself, and the child leaves alone whatever is already there. So the tree is
    right whichever comes first, and even if the child fails (the build then links on
    demand, more slowly). The render goes on beside it (its workers' Writers record what
    they take over and leave its link to the copy: ``Writer.defer``; if the copy fails the
    build links those files, ``Writer.link_missing``); :meth:`join` before anything reads
    the tree as a whole (the search index, verify)."""

    PARTS = 2

    def __init__(self, src: Path, dst: Path, parts: int = PARTS):
        self.parts: list[_FillerPart] = []
        with os.scandir(src) as it:  # the top-level folders, which every part fills
            for e in it:
                if e.is_dir(follow_symlinks=False):
                    try:
                        os.mkdir(Path(dst) / e.name)
                    except FileExistsError:
                        pass
        try:
            for k in range(parts):
                self.parts.append(_FillerPart(src, dst, (k, parts)))
        except OSError:
            self.kill()
            raise

    @property
    def pids(self) -> list[int]:
        """The children still running (or not waited for)."""
        return [p.pid for p in self.parts if p.pid is not None]

    def join(self) -> str | None:
        """Wait for the children: None when they made the whole copy, else what went
        wrong (the first part's). A full disk is raised, the other children stopped."""
        problems = []
        try:
            for p in self.parts:
                problems.append(p.join())
        except OSError:
            self.kill()
            raise
        return next((x for x in problems if x), None)

    def kill(self) -> None:
        """Stop the children (not wanted any more, or the build failed)."""
        for p in self.parts:
            p.kill()


def scan(
    root: Path, dirs: list[str] | None = None, top: str = "", skip: tuple[str, ...] = ()
) -> dict[str, tuple[int, int]]:
    """``{relative path: (size, mtime_ns)}`` of every file under ``root`` (and, in
    ``dirs``, the relative path of every folder); with ``top``, of the folder ``top`` of
    ``root`` only (``top`` itself in ``dirs``); the folders ``skip`` of ``root`` left out."""
    out: dict[str, tuple[int, int]] = {}
    base = str(root)
    if top and dirs is not None and os.path.isdir(f"{base}/{top}"):
        dirs.append(top)
    stack = [top]
    while stack:
        d = stack.pop()
        try:
            it = os.scandir(f"{base}/{d}" if d else base)
        except FileNotFoundError:
            continue
        with it:
            for e in it:
                if not d and e.name in skip:
                    continue
                rel = f"{d}/{e.name}" if d else e.name
                if e.is_dir(follow_symlinks=False):
                    stack.append(rel)
                    if dirs is not None:
                        dirs.append(rel)
                else:
                    st = e.stat(follow_symlinks=False)
                    out[rel] = (st.st_size, st.st_mtime_ns)
    return out


class Scan(_Child):
    """:func:`scan` of ``root`` (its folders too; ``skip`` left out) made by a forked child
    while this process goes on. What a scan costs is system calls (a ``stat`` a file: 0.3
    s of system time for the site's 61,000 files on the 2-core machine), which a thread
    of this process would make no faster (measured), but another process makes on the
    other core. :meth:`result` is ``(files, folders)`` as :func:`scan` gives them; if the
    child could not be made or failed, the scan is made then, here."""

    def __init__(self, root: Path, skip: tuple[str, ...] = ()):
        self.root, self.skip = str(root), skip
        self._fork(lambda: pickle.dumps(self._scan(), protocol=pickle.HIGHEST_PROTOCOL))

    def _scan(self) -> tuple[dict, list]:
        folders: list[str] = []
        return scan(Path(self.root), folders, skip=self.skip), folders

    def result(self) -> tuple[dict[str, tuple[int, int]], list[str]]:
        if self.pid is None:
            return self._scan()
        data, status = self._collect()
        if status == 0:
            try:
                return pickle.loads(data)
            except Exception:  # noqa: BLE001 - scanned again
                pass
        return self._scan()

    def __del__(self) -> None:  # a scan never asked for: the child does not linger
        self.kill()


def verify_tree(
    root: Path, w: Writer, deep: bool = False, prune: bool = False, scanned: Scan | None = None
) -> dict[str, list]:
    """Check the staging tree against what the build wrote: every file there, of the size
    written (and, with ``deep``, of the hash), nothing else (with ``prune``, the files the
    build did not write are removed first, with the folders they leave empty: one walk of
    the tree for both). ``scanned``: the tree scanned beside the build once the build was
    done with it but for the folders the scan skipped, which are scanned now. Returns the
    manifest entries ``{rel: [sha256, size, mtime_ns]}``; raises :class:`OutputError`
    naming what is wrong."""
    if scanned is None:
        folders: list[str] = []
        disk = scan(root, folders)
    else:
        disk, folders = scanned.result()
        for top in scanned.skip:
            disk.update(scan(root, folders, top=top))
    if prune:  # what the build did not write goes, and the folders left empty
        for rel in set(disk) - set(w.hashes):
            os.unlink(f"{root}/{rel}")
            del disk[rel]
        needed = {rel.rpartition("/")[0] for rel in disk}
        for d in list(needed):
            while "/" in d:
                d = d.rpartition("/")[0]
                needed.add(d)
        for d in sorted(set(folders) - needed, key=lambda x: -x.count("/")):
            try:
                os.rmdir(f"{root}/{d}")
            except OSError:
                pass  # not empty: a file appeared since the scan
    missing = sorted(set(w.hashes) - set(disk))
    extra = sorted(set(disk) - set(w.hashes))
    short = sorted(rel for rel, size in w.sizes.items() if rel in disk and disk[rel][0] != size)
    bad = []
    if deep:
        bad = sorted(
            rel
            for rel in w.hashes
            if rel in disk and rel not in short and sha256_file(root / rel) != w.hashes[rel]
        )
    for what, items in (
        ("missing", missing),
        ("of the wrong size (short write?)", short),
        ("with other bytes than written", bad),
        ("not written by the build", extra),
    ):
        if items:
            raise OutputError(
                f"{len(items)} files {what} in the staging tree, e.g. {', '.join(items[:3])}"
            )
    return {rel: [w.hashes[rel], disk[rel][0], disk[rel][1]] for rel in sorted(w.hashes)}


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False
    where the system or the filesystem cannot."""
    if not sys.platform.startswith("linux"):
        return False
    fn = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if fn is None:
        return False
    if fn(_AT_FDCWD, os.fsencode(str(a)), _AT_FDCWD, os.fsencode(str(b)), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def publish(tmp: Path, target: Path, spare: Spare | None = None) -> None:
    """Put the staging tree ``tmp`` at ``target`` in one atomic step. The old tree is
    removed, or, with ``spare`` (what the old tree holds, as the last build's manifest
    verified it), kept beside ``target`` as the spare tree of the next build."""
    if not os.path.lexists(target):
        os.rename(tmp, target)
        return
    if _exchange(tmp, target):
        old = tmp  # the old site is now at the staging name
    else:  # two renames; recover() repairs a kill between them
        old = _sibling(target, "old")
        os.rename(target, old)
        os.rename(tmp, target)
    if spare is None or not keep_spare(old, target, spare):
        remove_tree(old)


# -- the spare tree ---------------------------------------------------------------------
# Staging a build by hard-linking every file of the site, and removing the old tree after
# publishing, both cost a system call per file and folder (~50,000 files, ~18,000
# folders: 4-5 s), however little changed. Instead the old tree is kept beside the site
# (``.site-spare``), with a manifest of what it holds; the next build moves it to the
# staging name and brings it up to date (only the files that differ are written, linked
# or removed), then exchanges it with the site. A spare that is not exactly what its
# manifest says (another folder at that name, a file changed since) is not trusted: its
# files that the disk contradicts are written again, or, the folder not being the one
# recorded, the build stages from the site as before.


@dataclass
class Spare:
    """The files of the tree about to become the spare (``{rel: [sha256, size, mtime]}``),
    and the cache folder its manifest goes to."""

    files: dict[str, list]
    cache_dir: Path


def spare_path(target: Path) -> Path:
    return target.with_name(f".{target.name}-spare")


def keep_spare(old: Path, target: Path, spare: Spare) -> bool:
    """Keep the tree ``old`` (the site just replaced) as the spare; False if it cannot be."""
    dest = spare_path(target)
    try:
        forget_manifest(spare.cache_dir, dest)
        if os.path.lexists(dest):
            remove_tree(dest)
        os.rename(old, dest)
        # the manifest names the folder (device and inode): a kill before it is written
        # leaves a spare without a manifest, which the next build does not trust
        st = os.stat(dest)
        save_manifest(spare.cache_dir, dest, spare.files, None, tree=[st.st_dev, st.st_ino])
        return True
    except OSError:
        forget_manifest(spare.cache_dir, dest)
        return False


def take_spare(
    cache_dir: Path, target: Path, scanned: Scan | None = None
) -> tuple[Path, dict[str, str]] | None:
    """The spare tree moved to the staging name, and ``{rel: sha256}`` of the files in it
    that are as its manifest says (size and mtime); None (the spare removed) if there is
    none, or it is not the tree its manifest describes. ``scanned``: the spare tree's
    :class:`Scan` begun earlier (waited for before the tree is moved)."""
    dest = spare_path(target)
    body, _ = read_manifest(cache_dir, dest)
    forget_manifest(cache_dir, dest)
    if not os.path.lexists(dest):
        if scanned is not None:
            scanned.kill()
        return None
    try:
        st = os.lstat(dest)
        ok = (
            body is not None
            and stat.S_ISDIR(st.st_mode)
            and body.get("tree") == [st.st_dev, st.st_ino]
        )
        if not ok:
            if scanned is not None:
                scanned.kill()
            remove_tree(dest)
            return None
        # the scan ends before the tree moves (it walks the tree by its path)
        disk = scanned.result()[0] if scanned is not None else None
        tmp = _sibling(target, "staging")
        if os.path.lexists(tmp):
            remove_tree(tmp)
        os.rename(dest, tmp)
    except OSError:
        if scanned is not None:
            scanned.kill()
        return None
    if disk is None:
        disk = scan(tmp)
    held = {}
    for rel, entry in body["files"].items():
        try:
            sha, size, mtime = entry
        except (TypeError, ValueError):
            continue
        if disk.get(rel) == (size, mtime):
            held[rel] = sha
    return tmp, held


def remove_tree(path: Path) -> None:
    """Remove a tree, making read-only folders writable on the way; what cannot be
    removed stays, for :func:`recover` to try again."""

    def onerror(func, p, exc):
        parent = os.path.dirname(p)
        try:
            os.chmod(parent, stat.S_IMODE(os.stat(parent).st_mode) | stat.S_IWUSR | stat.S_IXUSR)
            func(p)
        except OSError:
            pass

    if os.path.islink(path):
        os.unlink(path)
    elif os.path.lexists(path):
        shutil.rmtree(path, onerror=onerror)


# -- the output manifest ----------------------------------------------------------------
def site_key(site_dir: Path) -> str:
    """The output folder as the manifest knows it: its path relative to the project (so a
    copied or moved project keeps its manifest), else its absolute path."""
    p = os.path.abspath(site_dir)
    root = os.path.abspath(paths.ROOT)
    return os.path.relpath(p, root) if p == root or p.startswith(root + os.sep) else p


def manifest_key(site_dir: Path) -> str:
    """The short key of an output folder in ``.cache/`` file names."""
    return hashlib.sha256(site_key(site_dir).encode()).hexdigest()[:16]


def manifest_path(cache_dir: Path, site_dir: Path) -> Path:
    return Path(cache_dir) / f"{MANIFEST}-{manifest_key(site_dir)}.json"


@dataclass
class Manifest:
    """What the last build recorded of an output folder, kept only where the disk agrees."""

    files: dict[str, list] = field(default_factory=dict)  # rel -> [sha256, size, mtime_ns]
    inputs: str | None = None
    blocking: int = 0
    search: dict | None = None  # search bundle -> digest of the pages it was built from
    # render units (render.py): unit id -> [key of its inputs, [the files it wrote]]
    units: dict[str, list] = field(default_factory=dict)
    complete: bool = False  # every entry matches the disk and there is no other file
    dropped: list[str] = field(default_factory=list)  # entries the disk contradicts
    extra: list[str] = field(default_factory=list)  # files on disk not in the manifest
    problem: str = ""  # why the manifest itself was discarded

    @property
    def hashes(self) -> dict[str, str]:
        return {rel: e[0] for rel, e in self.files.items()}


# The manifest file is ``{"body":<body>,"sha256":"<sha256 of <body>>"}``, the body as
# compact JSON with sorted keys: serialised once when saved, and checked on its bytes when
# read (no second serialisation of 60,000 entries). orjson writes and reads it: the same
# bytes as ``json.dumps(sort_keys=True, separators=(",", ":"))`` for its ASCII paths, in
# 0.02 s instead of 0.15-0.30 s.
_MANIFEST_FILE = re.compile(rb'\{"body":(.*),"sha256":"([0-9a-f]{64})"\}', re.S)


def read_manifest(cache_dir: Path, site_dir: Path) -> tuple[dict | None, str]:
    """The manifest's body as saved, or ``(None, why)`` if absent or corrupt."""
    p = manifest_path(cache_dir, site_dir)
    if not p.exists():
        return None, ""
    try:
        m = _MANIFEST_FILE.fullmatch(p.read_bytes())
        ok = m is not None and hashlib.sha256(m.group(1)).hexdigest() == m.group(2).decode()
        body = orjson.loads(m.group(1)) if ok else None
        ok = (
            ok
            and isinstance(body, dict)
            and body.get("version") == MANIFEST_VERSION
            and isinstance(body.get("files"), dict)
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        return None, f"output manifest {p.name} is corrupt or of another version: ignored"
    if body.get("site") != site_key(site_dir):
        return None, ""
    return body, ""


def load_manifest(cache_dir: Path, site_dir: Path, verify: bool = False) -> Manifest:
    """The manifest of ``site_dir``, its entries checked against the files: size and mtime
    must match, or (mtime only differs, or ``verify``) the sha256 of the file."""
    target = target_of(site_dir)
    # the files' sizes and dates read by a child while this process reads the manifest
    scanned = (
        Scan(target) if target.is_dir() and manifest_path(cache_dir, site_dir).exists() else None
    )
    body, problem = read_manifest(cache_dir, site_dir)
    if body is None or not target.is_dir():
        if scanned is not None:
            scanned.kill()
        return Manifest(problem=problem)
    disk = scanned.result()[0] if scanned is not None else scan(target)
    m = Manifest(
        inputs=body.get("inputs"),
        blocking=int(body.get("blocking") or 0),
        search=body.get("search"),
        units=body.get("units") if isinstance(body.get("units"), dict) else {},
    )
    for rel, entry in body["files"].items():
        try:
            sha, size, mtime = entry
        except (TypeError, ValueError):
            m.dropped.append(rel)
            continue
        st = disk.get(rel)
        if st is None or st[0] != size:
            m.dropped.append(rel)
            continue
        if verify or st[1] != mtime:
            if sha256_file(target / rel) != sha:
                m.dropped.append(rel)
                continue
            mtime = st[1]
        m.files[rel] = [sha, size, mtime]
    m.extra = sorted(set(disk) - set(body["files"]))
    m.complete = not m.dropped and not m.extra
    return m


def save_manifest(
    cache_dir: Path,
    site_dir: Path,
    files: dict[str, list],
    inputs: str | None,
    blocking: int = 0,
    search: dict | None = None,
    units: dict[str, list] | None = None,
    tree: list | None = None,
) -> None:
    """Write the manifest atomically (a temporary file of its own, then one rename)."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    body = {
        "version": MANIFEST_VERSION,
        "site": site_key(site_dir),
        "inputs": inputs,
        "blocking": blocking,
        "search": search,
        "files": files,
        "units": units or {},
        "tree": tree,
    }
    final = manifest_path(cache_dir, site_dir)
    text = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(text).hexdigest()
    atomic_write(final, b'{"body":' + text + b',"sha256":"' + digest.encode() + b'"}')
    atomic_write(final.with_suffix(".site"), body["site"].encode())
    prune_manifests(cache_dir)


def prune_manifests(cache_dir: Path) -> list[str]:
    """Delete the manifests (and change summaries) of output folders that no longer exist
    (a test's temporary site, a removed checkout): each manifest has a small ``.site`` file
    naming its folder. Returns the folders forgotten."""
    gone = []
    for side in Path(cache_dir).glob(f"{MANIFEST}-*.site"):
        try:
            site = side.read_text(encoding="utf-8")
        except OSError:
            continue
        folder = Path(site) if os.path.isabs(site) else Path(paths.ROOT) / site
        if not os.path.lexists(folder):
            for p in (side.with_suffix(".json"), side):
                try:
                    p.unlink()
                except FileNotFoundError:
                    pass
            # the folder's change summary (generator/summary.py) goes with it
            key = side.stem[len(MANIFEST) + 1 :]
            shutil.rmtree(Path(cache_dir) / f"summary-{key}", ignore_errors=True)
            gone.append(site)
    return gone


def forget_manifest(cache_dir: Path, site_dir: Path) -> None:
    for p in (
        manifest_path(cache_dir, site_dir),
        manifest_path(cache_dir, site_dir).with_suffix(".site"),
    ):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def atomic_write(final: Path, data: bytes) -> None:
    """``final`` holds ``data`` whole or is left as it was: a temporary file with a name of
    its own (so concurrent writers never share one), checked, then renamed."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if os.path.getsize(tmp) != len(data):
            raise OSError(errno.ENOSPC, "short write", tmp)
        os.replace(tmp, final)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
