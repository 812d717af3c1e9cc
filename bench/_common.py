"""Helpers shared by the benchmarks.

``Trash`` sets previous outputs aside by renaming them, and deletes them only when
the benchmark ends. On this machine's disk (ext4 mounted with ``discard``) deleting
tens of thousands of files makes the *next* file creations 5-15x slower for several
seconds (the journal waits for the discards): measured 1.1 s vs 11-18 s for the same
40,000 creations. Deleting between timed runs would measure that, not the build.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path


class Trash:
    def __init__(self, where: Path):
        self.dir = Path(where) / ".trash"
        self._n = itertools.count()

    def __call__(self, *paths: Path) -> None:
        """Move each existing path out of the way (a rename: no file is deleted now)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for p in paths:
            p = Path(p)
            if p.exists():
                try:
                    p.rename(self.dir / f"{next(self._n)}-{p.name}")
                except OSError:  # another filesystem: no choice but to delete
                    shutil.rmtree(p, ignore_errors=True)

    def empty(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
