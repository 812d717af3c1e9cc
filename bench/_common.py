"""Helpers shared by the benchmarks.

``Trash`` sets previous outputs aside by renaming them, and deletes them only when
the benchmark ends. On this machine's disk (ext4 mounted with ``discard``) deleting
tens of thousands of files makes the *next* file creations 5-15x slower for several
seconds (the journal waits for the discards): measured 1.1 s vs 11-18 s for the same
40,000 creations. Deleting between timed runs would measure that, not the build.
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


def settle() -> None:
    """Flush what earlier steps wrote and removed before a timed step: on this machine's
    filesystem (ext4 mounted with ``discard``) the blocks freed by removing a site are
    discarded when the journal commits, and file creation right after it ran 5-7x slower
    (bench/files_bench.py: 234 against 35-46 us a file), moving cold builds by 10 s."""
    os.sync()


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
        return self

    def __exit__(self, *exc):
        import resource

        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.seconds = ru.ru_utime + ru.ru_stime - self._start


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
