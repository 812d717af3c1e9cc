"""What keeps a build safe on an operator's bad day: one build at a time, children that
die with the build, and one clear line for any failure.

* :class:`BuildLock`: an exclusive ``flock`` on ``.cache/build.lock``, taken by ``build``
  and by every ``serve`` rebuild. A second build fails at once with "another build is
  running (pid N, since …)". The kernel drops the lock when the holder dies, even by
  ``kill -9``, so a lock is never stale.
* :func:`die_with_parent`: called first thing in every child process (render and
  background workers, Pagefind): the kernel sends it SIGKILL when the build dies, so no
  orphan keeps writing into a staging tree (Linux ``PR_SET_PDEATHSIG``; elsewhere a no-op).
* :func:`describe`: an unexpected exception as one line (a full disk as "disk full").
* :func:`collector_paused`: the cyclic garbage collector off while a step builds millions
  of small objects without cycles (reading the output manifest, the search index's merge),
  which every collection would walk again for nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import gc
import json
import os
import signal
import sys
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1


class Busy(Exception):
    """Another build holds the lock."""


class BuildLock:
    """Exclusive, non-blocking lock of one project (its cache folder)."""

    def __init__(self, cache_dir: Path, what: str = "build"):
        self.path = Path(cache_dir) / "build.lock"
        self.what = what
        self.fd: int | None = None

    def __enter__(self) -> BuildLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise Busy(self.holder()) from None
        info = json.dumps(
            {"pid": os.getpid(), "since": time.strftime("%Y-%m-%d %H:%M:%S"), "what": self.what}
        ).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, info, 0)
        self.fd = fd

    def holder(self) -> str:
        """The message a second build prints: who holds the lock, since when."""
        try:
            info = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            info = {}
        who = f"pid {info['pid']}" if info.get("pid") else "pid unknown"
        since = f", since {info['since']}" if info.get("since") else ""
        what = f" ({info['what']})" if info.get("what") else ""
        return f"another build is running{what}, {who}{since}: wait for it to end"

    def release(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def die_with_parent(parent: int | None = None) -> None:
    """Ask the kernel to SIGKILL this (child) process when its parent dies; if the parent
    is already gone (it died between fork and here), exit now. ``parent``: the pid the
    parent had before the fork (safer than asking now, when it may be gone already)."""
    parent = os.getppid() if parent is None else parent
    # a child ends when the build tells it (its pool's SIGTERM) or dies with it; Ctrl-C is
    # the build's to handle (it removes the staging tree and stops the pools)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            return
    if parent == 1 or os.getppid() != parent:
        os._exit(1)


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def describe(e: BaseException) -> str:
    """One line for an unexpected failure: what went wrong, in words a user can act on."""
    if isinstance(e, OSError) and e.errno in DISK_FULL:
        where = f" writing {e.filename}" if e.filename else ""
        return f"disk full{where} ({e.strerror})"
    if isinstance(e, OSError) and e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"permission denied: {e.filename or ''} ({e.strerror})"
    if isinstance(e, MemoryError):
        return "out of memory"
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector off for the block (or the decorated function), back as
    it was after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
