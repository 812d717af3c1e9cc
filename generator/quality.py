"""Problems, checks and rejects: what the build found, for the log and the data-quality page.

Everything a stage wants to report goes through a :class:`Log`. ``build --strict``
fails when the log holds an error, or a warning/failed check that is not listed in
``data/known-defects/*.yaml`` (reviewed, documented defects of the documents).
"""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from . import paths


@dataclass
class Problem:
    level: str  # error | warning
    code: str  # short machine name, e.g. "encoding", "hash-mismatch"
    message: str
    file: str | None = None
    line: int | None = None
    known: bool = False  # listed in known-defects.yaml
    explanation: str = ""

    def __str__(self) -> str:
        where = self.file or "-"
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.level}: [{self.code}] {self.message}"


@dataclass
class Check:
    """A parser proving itself against what the document declares."""

    id: str  # unique within the document, e.g. "group-count:BG:3"
    description: str
    declared: Any
    parsed: Any
    passed: bool
    doc_id: str = ""
    line_start: int | None = None
    line_end: int | None = None
    explanation: str = ""  # the most likely cause of a mismatch
    known: bool = False


@dataclass
class Reject:
    """An input line the parser could not publish, and why."""

    doc_id: str
    line: int
    text: str
    reason: str
    table: str = ""
    part: str = ""  # the rejected part of the line, when the rest of it is published


@dataclass(slots=True)
class ResolutionRecord:
    doc_id: str
    line: int | None
    query: str
    status: str
    istat: str | None
    name: str | None
    method: str | None
    score: float | None
    note: str = ""
    candidates: list[str] = field(default_factory=list)


class Log:
    def __init__(self, stream=sys.stderr, quiet: bool = False):
        self.problems: list[Problem] = []
        self.stream = stream
        self.quiet = quiet
        self.known = load_known_defects()

    def error(self, code, message, file=None, line=None):
        self._add(Problem("error", code, message, file, line))

    def warning(self, code, message, file=None, line=None):
        self._add(Problem("warning", code, message, file, line))

    def _known_problems(self, file: str, code: str) -> list[dict]:
        """The known-defect entries for ``file`` and ``code``, in their files' order (an
        index: a corpus of hundreds of bulletins has thousands of entries)."""
        index = getattr(self, "_index", None)
        if index is None:
            index = self._index = {}
            for k in self.known.get("problems", []):
                index.setdefault((k["file"], k["code"]), []).append(k)
        return index.get((file, code), [])

    def _add(self, p: Problem):
        if p.level == "warning":
            for k in self._known_problems(p.file or "", p.code):
                if (
                    k.get("line") in (None, p.line)
                    and (not k.get("match") or k["match"] in p.message)
                    and (not k.get("names") or any(repr(str(n)) in p.message for n in k["names"]))
                ):
                    p.known, p.explanation = True, k.get("explanation", "")
                    break
        self.problems.append(p)
        if not self.quiet and not p.known:  # documented ones: one summary line at the end
            print(str(p), file=self.stream)

    def replay(self, p: Problem):
        """Report again a problem found by an earlier, cached run of a stage."""
        self._add(Problem(p.level, p.code, p.message, p.file, p.line))

    def info(self, message: str):
        if not self.quiet:
            print(message, file=self.stream)

    def blocking(self, checks: list[Check], rejects: list[Reject] = ()) -> list[str]:
        """What makes ``--strict`` fail: errors, unknown warnings, unexplained failed
        checks, and rejected lines not listed in the known defects; each line says what
        was found, where, and which file to edit to fix or document it."""
        out = [
            f"{p}\n      -> {_problem_fix(p)}"
            for p in self.problems
            if p.level == "error" or not p.known
        ]
        out += [
            f"{c.doc_id}:{c.line_start or ''}: check failed [{c.id}] {c.description}: "
            f"declared {c.declared!r}, parsed {c.parsed!r}"
            + (f" ({c.explanation})" if c.explanation else "")
            + f"\n      -> a parse error: fix the spec or parser; a defect of the "
            f"document: add it to data/known-defects/{c.doc_id}.yaml under checks: "
            f'(doc_id, id: "{c.id}", explanation)'
            for c in checks
            if not c.passed and not c.known
        ]
        out += [
            f"{r.doc_id}:{r.line}: rejected line ({r.reason})"
            f"\n      -> fix the spec or parser to read it, or add it to "
            f"data/known-defects/{r.doc_id}.yaml under rejects: (doc_id, line: {r.line}, "
            "explanation)"
            for r in rejects
            if ("reject", r.doc_id, r.line) not in self.known
        ]
        return out

    def known_summary(self, checks: list[Check], rejects: list[Reject] = ()) -> str:
        """One line for the documented defects (they do not fail ``--strict``)."""
        problems = sum(1 for p in self.problems if p.known)
        failed = sum(1 for c in checks if not c.passed and c.known)
        rej = sum(1 for r in rejects if ("reject", r.doc_id, r.line) in self.known)
        return (
            f"documented defects of the sources (data/known-defects/): {problems} "
            f"warnings, {failed} failed checks, {rej} rejected lines -- listed on "
            "/dati/qualita/"
        )


def _problem_fix(p: Problem) -> str:
    doc = (p.file or "").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if p.code == "unresolved-name":
        return (
            f"a misprint or an old name: add an alias with its evidence to "
            f"data/registry/aliases/{doc}.csv; a name the registry cannot hold: document "
            f"it in data/known-defects/{doc}.yaml under problems: (code: unresolved-name, "
            "match: the name)"
        )
    if p.code in ("spec-invalid", "spec-failed"):
        return "fix the spec at the file and line the message names (docs/writing-a-spec.md)"
    if p.code in ("hash-mismatch",):
        return (
            "the file changed after review: check it and update sha256 in data/sources/sources.yaml"
        )
    if p.level == "error":
        return "fix the input or the code the message names"
    return (
        f"fix the input, or document it in data/known-defects/{doc}.yaml under problems: "
        f"(file: {p.file}, code: {p.code}, explanation)"
    )


def load_known_defects() -> dict:
    """``{"problems": [entry...], ("check", doc_id, id): why}`` from data/known-defects/*.yaml.

    A problem entry has ``file``, ``code`` and optionally ``line``, ``match`` (a
    substring of the message) or ``names`` (comune names as written, for
    ``unresolved-name``) to pin it; ``explanation`` says why it is acceptable.
    """
    out: dict = {"problems": []}
    for path in sorted(paths.KNOWN_DEFECTS.glob("*.yaml")) if paths.KNOWN_DEFECTS.is_dir() else []:
        data = paths.load_yaml(path.read_text(encoding="utf-8")) or {}
        out["problems"] += list(data.get("problems", []) or [])
        for d in data.get("rejects", []) or []:
            out[("reject", d["doc_id"], int(d["line"]))] = d.get("explanation", "")
        for d in data.get("checks", []) or []:
            out[("check", d["doc_id"], d["id"])] = d.get("explanation", "")
    return out


def mark_known_checks(checks: list[Check], known: dict) -> None:
    for c in checks:
        why = known.get(("check", c.doc_id, c.id))
        if why is not None:
            c.known = True
            if not c.explanation:
                c.explanation = why


_FIELDS: dict[type, tuple[str, ...]] = {}
_SCALARS = frozenset({str, int, float, bool, type(None)})


def as_dict(obj) -> dict:
    """``dataclasses.asdict(obj)``, without its deep copy when every field is a scalar or a
    list of scalars (the checks, rejected lines and name resolutions: at 100 bulletins
    the quality page lists 200,000 of them, 5.8 s through ``asdict``); the same dict."""
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    out = {}
    for n in names:
        v = getattr(obj, n)
        t = type(v)
        if t in _SCALARS:
            out[n] = v
        elif t is list and all(type(x) in _SCALARS for x in v):
            out[n] = list(v)
        else:  # anything else (a nested record, a dict, a Decimal) as asdict copies it
            return asdict(obj)
    return out
