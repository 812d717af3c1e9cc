"""Acts of an official bulletin: type, date, number, title, issuing office and line range.

A document whose manifest ``kind`` is ``bollettino`` is split into its acts by the parse
stage (``generator/parse.py``), whatever reads its tables: a table spec then bounds its
tables by their act (``region.within: act``) and gives every row the act it comes from
(``act_id``); a parser's ``complete`` step can use them too. The grammar is the one of the
Lombardy bulletin (BURL), the first bulletin vendored; other regional bulletins print their
acts the same way (type, date, number on a line of their own).

A BURL act starts with a header line such as ``D.g.r. 19 novembre 2018 - n. XI/827``
(type, date, number, nothing else on the line), followed by the title (up to the first
blank line), the issuing organ (``LA GIUNTA REGIONALE``, ``IL DIRIGENTE DELLA STRUTTURA
…``, possibly over several lines) and the text; it ends with a signature (``Il
dirigente``, ``Il segretario: …``) and its allegati, up to the next act. Section headings
(``D) ATTI DIRIGENZIALI``, ``Giunta regionale``, ``Presidenza``, ``D.G. …``) and page
headers (``Bollettino Ufficiale`` / ``Serie Ordinaria n. 47 - …`` / ``– 49 –``) may sit
between two acts; they belong to neither.

Citations in running text (``Decreto Ministeriale 18 dicembre 1975 “Norme …``,
``Regolamento regionale 27 ottobre 2015, n. 9 «disciplina …``) are not headers: a header
line holds nothing but type, date and number.

If the issue has its own table of contents (a ``SOMMARIO`` with entries ending in dot
leaders and a page number), every entry is looked up among the acts of the body.
"""

from __future__ import annotations

import re

from .cells import MONTHS
from .result import Act
from .text import clean, is_page_header, join_wrapped
from ..quality import Check

# Printed act types -> (normalised type, id prefix). The long forms are those of the
# BURL summary ("Delibera Giunta regionale …", "Decreto dirigente struttura …").
ACT_TYPES = [
    (r"D\.g\.r\.|Delibera Giunta regionale", "D.g.r.", "dgr"),
    (r"D\.c\.r\.|Deliberazione Consiglio regionale", "D.c.r.", "dcr"),
    (r"D\.p\.g\.r\.|Decreto [Pp]residente [Gg]iunta regionale", "D.p.g.r.", "dpgr"),
    (r"D\.d\.g\.|Decreto direttore generale", "D.d.g.", "ddg"),
    (r"D\.d\.s\.|Decreto dirigente struttura", "D.d.s.", "dds"),
    (r"D\.d\.u\.o\.|Decreto dirigente unità organizzativa", "D.d.u.o.", "dduo"),
    (r"D\.s\.g\.|Decreto segretario generale", "D.s.g.", "dsg"),
    (r"Comunicato regionale", "Comunicato", "comunicato"),
    (r"Circolare regionale", "Circolare", "circolare"),
]
_TYPE_ALT = "|".join(f"(?:{p})" for p, _, _ in ACT_TYPES)
_DATE = r"(?P<day>\d{1,2})[°º]?\s+(?P<month>[a-z]+)\s+(?P<year>\d{4})"
_NUMBER = r"(?P<number>(?:[IVXLC]+/)?\d+(?:/\d+)?)"
HEADER_RE = re.compile(rf"^\s*(?P<type>{_TYPE_ALT})\s+{_DATE}(?:\s*[-–,]\s*n\.\s*{_NUMBER})?\s*$")

ORGAN_RE = re.compile(
    r"^\s*(LA GIUNTA REGIONALE|IL CONSIGLIO REGIONALE|IL PRESIDENTE"
    r"|IL DIRIGENTE|IL DIRETTORE|IL SEGRETARIO)\b"
)
# Organs whose name continues on the next lines ("IL DIRIGENTE DELLA STRUTTURA …").
ORGAN_CONTINUES_RE = re.compile(r"^\s*(IL DIRIGENTE|IL DIRETTORE)\b")
PREAMBLE_WORDS = {
    "VISTI",
    "VISTO",
    "VISTA",
    "VISTE",
    "RICHIAMATI",
    "RICHIAMATA",
    "PREMESSO",
    "DECRETA",
    "DELIBERA",
    "CONSIDERATO",
    "RILEVATO",
    "DATO ATTO",
}
SIGNATURE_RE = re.compile(r"^\s*Il (segretario|dirigente|direttore|presidente)(\s*:.*)?\s*$")

# Headings of the bulletin's sections: "D) ATTI DIRIGENZIALI", "Giunta regionale",
# "Presidenza", "D.G. Territorio e protezione civile", "Direzione generale …".
SECTION_RE = re.compile(r"^\s*[A-F]\)\s+[A-Z][A-Z ’'.,]+\s*$")
BODY_RE = re.compile(r"^\s*(Giunta regionale|Consiglio regionale)\s*$")
OFFICE_HEADING_RE = re.compile(
    r"^\s*(Presidenza|Segretariato generale|D\.G\.\s+\S.*"
    r"|Direzione [Gg]enerale\s+\S.*)\s*$"
)

SUMMARY_TITLE_RE = re.compile(r"^\s*S\s*O\s*M\s*M\s*A\s*R\s*I\s*O\s*$", re.I)
DOT_LEADER_RE = re.compile(r"(?:\.\s?){4,}\s*\d+\s*$")


def is_heading(line: str) -> bool:
    """True for a section heading line (``D) ATTI DIRIGENZIALI``, ``Presidenza``, ``D.G. …``)."""
    return bool(SECTION_RE.match(line) or BODY_RE.match(line) or OFFICE_HEADING_RE.match(line))


def normalise_type(printed: str) -> tuple[str, str]:
    """Printed act type -> (normalised type, id prefix)."""
    for pattern, norm, prefix in ACT_TYPES:
        if re.fullmatch(pattern, printed):
            return norm, prefix
    raise ValueError(printed)  # pragma: no cover - HEADER_RE only matches known types


def parse_header(line: str) -> dict | None:
    """``' D.g.r. 19 novembre 2018 - n. XI/827'`` -> type, date, number; None if not a header."""
    m = HEADER_RE.match(line.replace("\u00a0", " "))
    if not m or m.group("month") not in MONTHS:
        return None
    norm, prefix = normalise_type(m.group("type"))
    if m.group("number") is None and norm not in ("Comunicato", "Circolare"):
        return None
    day, month, year = int(m.group("day")), MONTHS[m.group("month")], int(m.group("year"))
    return {
        "type": norm,
        "prefix": prefix,
        "date": f"{year:04d}-{month:02d}-{day:02d}",
        "number": m.group("number"),
    }


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines of a title: ``pro-`` + ``gramma`` -> ``programma``; ``2016-`` +
    ``2018`` -> ``2016-2018``; otherwise one space."""
    return join_wrapped(parts, capitals=False, digits=True, spaced_letters=False)


def act_id(h: dict) -> str:
    """Stable id: ``dgr-2018-11-19-xi-827`` (type, ISO date, number)."""
    number = re.sub(r"[^a-z0-9]+", "-", (h["number"] or "").lower()).strip("-")
    return "-".join(x for x in (h["prefix"], h["date"], number) if x)


def _is_upper_text(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return bool(letters) and all(c == c.upper() for c in letters)


def _title_and_office(lines: list[str], start: int, end: int) -> tuple[str, str | None]:
    """Title and issuing organ (as printed, or None) of the act whose header is line
    ``start`` (1-based) and whose text ends at line ``end``."""
    title, i = [], start + 1
    while i <= end and lines[i - 1].strip() and not ORGAN_RE.match(lines[i - 1]):
        title.append(lines[i - 1])
        i += 1
    while i <= end and not lines[i - 1].strip():
        i += 1
    if i > end or not ORGAN_RE.match(lines[i - 1]):
        return join_lines(title), None
    organ = [lines[i - 1]]
    if ORGAN_CONTINUES_RE.match(lines[i - 1]):
        j, blanks = i + 1, 0
        while j <= end and blanks <= 1:
            s = clean(lines[j - 1])
            if not s:
                blanks += 1
            elif _is_upper_text(s) and not s.endswith(":") and s.rstrip(" :") not in PREAMBLE_WORDS:
                organ.append(s)
                blanks = 0
            else:
                break
            j += 1
    return join_lines(title), join_lines(organ)


def find_headers(lines: list[str]) -> list[tuple[int, dict]]:
    """Every act-header line: ``[(line_no, header), …]``."""
    return [(n, h) for n, h in ((n, parse_header(t)) for n, t in enumerate(lines, start=1)) if h]


def _summary_lines(lines: list[str], headers: list[tuple[int, dict]]) -> set[int]:
    """Header lines that are entries of the issue's own summary (SOMMARIO), if it has one.

    An entry is a header after the SOMMARIO title whose text, before the next header or
    blank line, ends with dot leaders and a page number.
    """
    start = next((n for n, t in enumerate(lines, start=1) if SUMMARY_TITLE_RE.match(t)), None)
    if start is None:
        return set()
    found = set()
    for k, (n, _) in enumerate(headers):
        if n < start:
            continue
        stop = headers[k + 1][0] if k + 1 < len(headers) else len(lines) + 1
        for j in range(n + 1, min(stop, n + 12)):
            if DOT_LEADER_RE.search(clean(lines[j - 1])):
                found.add(n)
                break
    return found


def parse_acts(doc, ctx=None) -> list[Act]:
    """Every act of the bulletin, in order (see module docstring)."""
    lines = doc.lines
    headers = find_headers(lines)
    summary = _summary_lines(lines, headers)
    body = [(n, h) for n, h in headers if n not in summary]
    acts: list[Act] = []
    heading_office: str | None = None  # office heading in force and the organ it came with
    heading_organ: str | None = None
    prev_end = 0
    seen_ids: dict[str, int] = {}
    for k, (n, h) in enumerate(body):
        nxt = body[k + 1][0] if k + 1 < len(body) else len(lines) + 1
        end = nxt - 1
        while end > n and (
            not lines[end - 1].strip()
            or is_page_header(lines[end - 1])
            or is_heading(lines[end - 1])
        ):
            end -= 1
        title, organ = _title_and_office(lines, n, end)
        # A D.G./Presidenza heading names the office of the act right below it, and of the
        # following acts as long as they are issued by the same organ (the heading is
        # printed once per group; in an excerpt, later groups may have lost theirs).
        heading = None
        for j in range(prev_end + 1, n):
            if OFFICE_HEADING_RE.match(lines[j - 1]):
                heading = clean(lines[j - 1])
        if heading:
            heading_office, heading_organ = heading, organ
        elif heading_office and not (organ and organ == heading_organ):
            heading_office = heading_organ = None
        office = " – ".join(x for x in (heading_office, organ) if x) or None
        aid = act_id(h)
        seen_ids[aid] = seen_ids.get(aid, 0) + 1
        if seen_ids[aid] > 1:
            aid = f"{aid}-{seen_ids[aid]}"
        acts.append(
            Act(
                id=aid,
                type=h["type"],
                date=h["date"],
                number=h["number"],
                title=title,
                office=office,
                line_start=n,
                line_end=end,
            )
        )
        prev_end = end
    return acts


def act_checks(doc, acts: list[Act]) -> list[Check]:
    """Checks proving the act split: one signature and an issuing organ per act, dates not
    after the issue, every line outside the acts accounted for, and the summary (if the
    issue prints one) against the body."""
    headers = find_headers(doc.lines)
    summary = _summary_lines(doc.lines, headers)
    checks = _structure_checks(doc, acts)
    checks += _coverage_check(doc, acts, summary)
    if summary:
        checks += _summary_checks(doc, headers, summary, acts)
    return checks


def _structure_checks(doc, acts: list[Act]) -> list[Check]:
    lines = doc.lines
    out = []
    issue_date = str(doc.meta.get("date") or "")
    for a in acts:
        organ = _title_and_office(lines, a.line_start, a.line_end)[1]
        sigs = [n for n in range(a.line_start, a.line_end + 1) if SIGNATURE_RE.match(lines[n - 1])]
        needs_organ = a.type not in ("Comunicato", "Circolare")
        out.append(
            Check(
                f"act-signature:{a.id}",
                f"{a.type} {a.number or ''}: una sola firma "
                "(«Il dirigente», «Il segretario: …») nel testo dell'atto e dei suoi allegati",
                1,
                len(sigs),
                len(sigs) == 1 or not needs_organ,
                doc.id,
                a.line_start,
                a.line_end,
                ""
                if len(sigs) == 1
                else f"firme alle righe {sigs}: un atto non riconosciuto o un allegato firmato"
                if sigs
                else "nessuna firma: atto troncato?",
            )
        )
        if needs_organ:
            out.append(
                Check(
                    f"act-organ:{a.id}",
                    f"{a.type} {a.number or ''}: organo emanante stampato sotto il titolo",
                    "presente",
                    organ or "assente",
                    organ is not None,
                    doc.id,
                    a.line_start,
                    a.line_end,
                    ""
                    if organ
                    else "nessuna riga «LA GIUNTA REGIONALE» / «IL DIRIGENTE …» dopo il titolo",
                )
            )
        if issue_date and a.date:
            out.append(
                Check(
                    f"act-date:{a.id}",
                    f"{a.type} {a.number or ''}: data dell'atto non "
                    "successiva a quella del bollettino",
                    f"<= {issue_date}",
                    a.date,
                    a.date <= issue_date,
                    doc.id,
                    a.line_start,
                    a.line_start,
                    "" if a.date <= issue_date else "data dell'atto successiva al bollettino",
                )
            )
    return out


def _coverage_check(doc, acts: list[Act], summary: set[int]) -> list[Check]:
    """Lines outside every act must be blank, page headers, section headings or summary."""
    lines = doc.lines
    inside = set()
    for a in acts:
        inside.update(range(a.line_start, a.line_end + 1))
    first = acts[0].line_start if acts else len(lines) + 1
    summary_block = set(range(1, first)) if summary else set()
    stray = [
        n
        for n, t in enumerate(lines, start=1)
        if n not in inside
        and n not in summary_block
        and t.strip()
        and not is_page_header(t)
        and not is_heading(t)
    ]
    return [
        Check(
            "acts-coverage",
            "Righe fuori da ogni atto: solo righe vuote, intestazioni di pagina "
            "e titoli di sezione",
            0,
            len(stray),
            not stray,
            doc.id,
            1,
            len(lines),
            ""
            if not stray
            else f"righe non attribuite: {stray[:20]}" + (" …" if len(stray) > 20 else ""),
        )
    ]


def _summary_checks(doc, headers, summary: set[int], acts: list[Act]) -> list[Check]:
    entries = [(n, h) for n, h in headers if n in summary]
    body_keys = {(a.type, a.date, a.number) for a in acts}
    missing = [n for n, h in entries if (h["type"], h["date"], h["number"]) not in body_keys]
    listed = {(h["type"], h["date"], h["number"]) for _, h in entries}
    unlisted = [a.line_start for a in acts if (a.type, a.date, a.number) not in listed]
    first, last = min(summary), max(summary)
    return [
        Check(
            "summary-count",
            "Numero di atti nel sommario = numero di atti nel testo",
            len(entries),
            len(acts),
            len(entries) == len(acts),
            doc.id,
            first,
            last,
            ""
            if len(entries) == len(acts)
            else f"atti del testo assenti dal sommario alle righe {unlisted}",
        ),
        Check(
            "summary-acts",
            "Ogni atto del sommario è presente nel testo",
            len(entries),
            len(entries) - len(missing),
            not missing,
            doc.id,
            first,
            last,
            "" if not missing else f"voci del sommario senza atto nel testo: righe {missing}",
        ),
    ]
