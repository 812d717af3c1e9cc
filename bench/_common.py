"""Helpers shared by the benchmarks.

``Trash`` sets previous outputs aside by renaming them, and deletes them only when
the benchmark ends, because on this machine deleting files makes the next file creations
slower for minutes. Its root filesystem is ext4 *without a journal*; ext4 then declines
to reuse an inode freed in the last 60 seconds (360 while its inode table block is not
yet written back: ``recently_deleted()`` in ``fs/ext4/ialloc.c``), and each new file
steps past every such inode to find a free one. ``perf record -a`` during a cold build
made right after a site was removed: 57 % of the machine's samples in
``recently_deleted`` and the buffer lookups under it, from ``ext4_create`` and
``ext4_mkdir``; the build's system time 28-43 s against 25-34 s of user time, and the
render stage 24-33 s instead of 8.4 s. Creating 61,000 small files: 382 us a file right
after removing 61,000 and syncing, 40 us 65 s later. :func:`settle` waits for that to
pass before a timed step; deleting between timed runs would measure it, not the build.
(CI runners and Netlify build on journalled filesystems, where ext4 skips that check.)
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_DIRS = ("data", "templates", "content", "static")  # what a project root holds


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


def outputs(site: Path) -> list[Path]:
    """The output folder and the build's spare tree beside it (``.site-spare``, the site
    before last, which the next build brings up to date): what a cold build must not find."""
    sys.path.insert(0, str(ROOT))
    from generator.output import spare_path

    return [Path(site), spare_path(Path(site))]


def copy_project(dest: Path) -> Path:
    """A project root for ``COMUNI_APERTI_ROOT``: a copy of the inputs a build reads from
    the project (the generator's code is imported from this checkout). Its ``.cache/`` is
    its own, so a bench never touches the checkout's caches or ``site/``."""
    dest = Path(dest)
    for d in PROJECT_DIRS:
        shutil.copytree(ROOT / d, dest / d)
    return dest


# A build in a fresh process: argv = site, search (1/0), profile (1/0), force (1/0).
# Prints one JSON line: seconds, stages, files, pages written, and peak RSS of this process
# and of its largest child (render workers, background jobs, Pagefind).
CHILD = r"""
import cProfile, io, json, pstats, resource, sys, time
from pathlib import Path
from generator.build import build
from generator.quality import Log
prof = cProfile.Profile() if sys.argv[3] == "1" else None
log = Log(stream=io.StringIO(), quiet=True)
reuse = []  # the build's lines on what it took over (render units, packages, bundles)
_info = log.info
log.info = lambda m: reuse.append(m.strip()) if "taken over" in m else None
t = time.perf_counter()
if prof: prof.enable()
rep = build(Path(sys.argv[1]), log=log, search=sys.argv[2] == "1", force=sys.argv[4] == "1")
if prof: prof.disable()
out = {"total": round(time.perf_counter() - t, 2), "stages": rep.stages, "files": rep.files,
       "pages": rep.pages, "written": rep.written, "problems": rep.problems,
       "blocking": len(rep.blocking), "blocking_list": rep.blocking[:5], "reuse": reuse,
       "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
       "child_peak_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}
if prof:
    s = io.StringIO(); pstats.Stats(prof, stream=s).sort_stats("tottime").print_stats(15)
    out["profile"] = s.getvalue()
print(json.dumps(out))
"""


# settle(): file creation is "slow" above this many microseconds a file (measured here:
# 24-40 once settled, 200-380 with recently freed inodes to step past)
SLOW_US = 100
SETTLE_MAX_S = 420  # the longest ext4 keeps an inode from reuse (360 s), and a margin
_PROBE_FILES = 4000


def settle(quiet: bool = False) -> float:
    """Before a timed step: write back what earlier steps wrote, then (see the module's
    note) wait while creating files is slow because inodes were freed in the last minutes,
    measured by creating :data:`_PROBE_FILES` empty files (kept until the benchmark ends:
    deleting them would make the next creations slower again). Returns the seconds
    waited; says so when it waited, or when it gave up after :data:`SETTLE_MAX_S`."""
    import time

    waited = 0.0
    while True:
        os.sync()
        us = _creation_us()
        if us <= SLOW_US or waited >= SETTLE_MAX_S:
            break
        time.sleep(5)
        waited += 5
    if waited and not quiet:
        state = "settled" if us <= SLOW_US else "still slow, timed anyway"
        print(
            f"  (settle: creating files took {us:.0f} us a file; waited {waited:.0f} s: {state})",
            flush=True,
        )
    return waited


_probes = itertools.count()


def _creation_us() -> float:
    """Microseconds to create (and close) an empty file, over :data:`_PROBE_FILES` files
    in new folders under the temporary directory (where the benchmarks build)."""
    import atexit
    import tempfile
    import time

    global _PROBE_ROOT
    if _PROBE_ROOT is None:
        _PROBE_ROOT = Path(tempfile.mkdtemp(prefix="bench-settle-"))
        atexit.register(shutil.rmtree, _PROBE_ROOT, True)
    d = _PROBE_ROOT / str(next(_probes))
    d.mkdir()
    t = time.perf_counter()
    for i in range(_PROBE_FILES):  # in folders of 8, as a site's (ext4 spreads new folders)
        if i % 8 == 0:
            os.mkdir(f"{d}/{i}")
        os.close(os.open(f"{d}/{i - i % 8}/{i}.html", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    return (time.perf_counter() - t) / _PROBE_FILES * 1e6


_PROBE_ROOT: Path | None = None


def run_build(
    root: Path, site: Path, search: bool = True, profile: bool = False, force: bool = False
) -> dict:
    """One build of the project at ``root`` into ``site``, in a fresh process (the
    ``CHILD`` script's JSON; ``wall`` adds the process's start-up and exit; ``tree_pss_mib``
    and ``rss_by_name_mib``: :class:`TreeMemory`)."""
    import time

    env = {**os.environ, "COMUNI_APERTI_ROOT": str(root), "PYTHONPATH": str(ROOT)}
    args = [str(site), "1" if search else "0", "1" if profile else "0", "1" if force else "0"]
    settle()
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with TreeMemory(proc.pid) as mem, CpuTime() as cpu:
        stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"build failed ({proc.returncode}):\n{stderr[-3000:]}")
    r = json.loads(stdout.strip().splitlines()[-1])
    r["wall"] = round(wall, 2)
    r["cpu"] = round(cpu.seconds, 2)
    r["system"] = round(cpu.system, 2)
    r["tree_pss_mib"] = round(mem.peak_pss / 1024, 1)
    r["rss_by_name_mib"] = {k: round(v / 1024, 1) for k, v in sorted(mem.peak_rss.items())}
    return r


class CpuTime:
    """CPU seconds (user + system) of the child processes that end inside the block, with
    their own children (render workers, Pagefind, Hugo's threads). On a machine shared with
    other jobs, wall time varies with their load; CPU time much less, so the ratios are
    given on both."""

    def __enter__(self):
        import resource

        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._start = ru.ru_utime + ru.ru_stime
        self._system = ru.ru_stime
        return self

    def __exit__(self, *exc):
        import resource

        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.seconds = ru.ru_utime + ru.ru_stime - self._start
        self.system = ru.ru_stime - self._system  # of which in the kernel (files, pipes)


class TreeMemory:
    """Samples, every ``interval`` seconds, the memory of a process and its descendants
    (from /proc; Linux): the peak of their summed PSS (proportional set size: the pages
    forked workers share with the build process count once, so this is what the build
    really holds) and the peak RSS per program name (``python``, ``pagefind``)."""

    def __init__(self, pid: int, interval: float = 0.25):
        import threading

        self.pid, self.interval = pid, interval
        self.peak_pss = 0  # KiB
        self.peak_rss: dict[str, int] = {}  # KiB, by program name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        if Path("/proc/self/smaps_rollup").exists():
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _tree(self) -> list[tuple[int, str]]:
        children: dict[int, list[tuple[int, str]]] = {}
        for d in os.scandir("/proc"):
            if not d.name.isdigit():
                continue
            try:
                raw = Path(d.path, "stat").read_text()
            except OSError:
                continue
            name = raw[raw.index("(") + 1 : raw.rindex(")")]
            ppid = int(raw[raw.rindex(")") + 2 :].split()[1])
            children.setdefault(ppid, []).append((int(d.name), name))
        out, todo = [], [(self.pid, "")]
        while todo:
            pid, name = todo.pop()
            out.append((pid, name))
            todo += children.get(pid, [])
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            total = 0
            for pid, name in self._tree():
                try:
                    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                except OSError:
                    continue
                fields = dict(
                    (ln.split(":")[0], int(ln.split()[1])) for ln in rollup.splitlines()[1:]
                )
                total += fields.get("Pss", 0)
                key = "pagefind" if "pagefind" in name else name or "build"
                self.peak_rss[key] = max(self.peak_rss.get(key, 0), fields.get("Rss", 0))
            self.peak_pss = max(self.peak_pss, total)


def load() -> str:
    """The load averages (1, 5, 15 min): the machine's 2 cores are shared."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def memory_line(r: dict) -> str:
    """Peak memory of a :func:`run_build` result."""
    rss = ", ".join(f"{k} {v:,.0f}" for k, v in r.get("rss_by_name_mib", {}).items())
    return (
        f"peak RSS {r['peak_mib']:,.0f} MiB (largest child {r['child_peak_mib']:,.0f}); "
        f"whole tree PSS {r.get('tree_pss_mib', 0):,.0f} MiB (RSS by process: {rss})"
    )


def stages_line(stages: dict) -> str:
    return ", ".join(f"{k} {v:.2f}" for k, v in stages.items())


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    root = Path(root)
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            out[p.relative_to(root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def compare_trees(a: Path, b: Path) -> tuple[list[str], list[str], list[str]]:
    """(files that differ, only in ``a``, only in ``b``)."""
    ha, hb = tree_hashes(a), tree_hashes(b)
    differ = sorted(k for k in ha.keys() & hb.keys() if ha[k] != hb[k])
    return differ, sorted(ha.keys() - hb.keys()), sorted(hb.keys() - ha.keys())
