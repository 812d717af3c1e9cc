"""Comune mentions in running text, for document and act pages.

``find_mentions(lines, registry)`` finds the comuni a vendored text names and says,
for each link, which rule made it count; ``link_line(text, mentions)`` renders one
line as HTML with those links. A name is linked only when the match is unambiguous:
many comuni are also common words (Sale, Nave, Opera, Calcio, Re, Ora), province
names (Bergamo in "Provincia di Bergamo"), street names (Via Roma), parts of longer
names (Rio in "Rio Marina") or homonyms (Paterno and Paternò), and a wrong link is
worse than a missing one.

Matching
--------
The text is read as one stream of word tokens (letters only; apostrophes, hyphens
and spaces separate tokens; accents are folded as in :func:`registry.normalise`, so
``FENEGRO'`` matches Fenegrò and ``Sant'Angelo`` matches Sant'Angelo). Every comune
name is indexed by its first token: the official name, each part of a bilingual
name, a variant with ``S.`` for San/Santo/Santa/Sant', the names of historical
comuni that no current comune carries (linked to the historical comune's page) and
the curated aliases (used only with a strong context, below). At each token the
longest name that matches wins (``Castione della Presolana`` over ``Castione``,
``Ponte di Legno`` over ``Ponte``). A name may run over a line break (``PONTE SAN``
/ ``PIETRO``, at most one blank line in between), and a word split by an
end-of-line hyphen is joined when the next line goes on in lower case
(``Spinade-`` / ``sco``) or when the joined word is a word of some comune name
(``BRE-`` / ``NO``); such a mention gives one :class:`Mention` per line it touches.

Case: in mixed-case text a proper name is capitalised, so every word that is
capitalised in the official name (particles such as di, la, bel aside) must be
capitalised in the text (``Calcio`` may be the comune, ``calcio`` never is). A name written in capitals carries no such
evidence (headings, tables): it is treated like a bare name (below), never more.

Rules, in the order they are applied (``Mention.rule`` names the rule that linked)
----------------------------------------------------------------------------------
Negative contexts, which win over everything else:

* province - the name follows ``provincia/province/prefettura/questura/città
  metropolitana/diocesi ... di|del|della`` (also further names of a plural list:
  "province di Bergamo, Brescia e Cremona"), or is followed by ``e (della)
  Brianza``: "Provincia di Bergamo" names the province, whatever else is said.
* street - the name follows ``via/viale/piazza/piazzale/corso/largo/vicolo/strada``.

Table lines: when the caller passes ``resolved`` (line -> the ISTAT codes of the
parser rows naming a comune that cover the line, see :func:`resolved_lines`), the
parser is the authority on those lines, because it had the table's structure
(columns, province headings, order numbers, declared counts):

* ``table-row`` - the matched name (or a curated alias of it) is one of the comuni
  the parser resolved on this line: linked to that comune.
* ``table-written`` - a comune the parser resolved on this line from a name that is
  not in the registry (an OCR error or a short form: "Ponte Nossia", "Brembate
  Sopra"), found in the line as the parser read it (``resolved`` built with the
  parse context's resolution records).
* any other name on a table line is not linked (a name inside an association's or
  a farm's name, a name the parser left unresolved).

Strong contexts, which link even common words, capoluoghi and (narrowed) homonyms,
unless the name is part of a longer name (see part-of-name below):

* ``sigla`` - the name is followed by a province sigla of that comune: "Predore
  (BG)", "Ceto - BS". A sigla that does not match is accepted only for a name that
  is unique and not a common word (comuni change province: Torre de' Busi).
* ``comune-di`` - the name follows "comune/comuni/città/municipio di" ("città
  metropolitana" excluded), or is a later item of a "comuni di ..." list ("i comuni
  di Berzo Demo, Berzo Inferiore, Bienno ... in provincia di Brescia"; unknown
  names in between do not break the list; the closing "in provincia di X" narrows
  homonyms).
* ``sede`` - the name follows "sede in/a/di" or "sede legale in": a seat is a town.
* ``cap`` - the name follows a 5-digit postal code ("20124 Milano").
* ``dateline`` - the name opens a line and a date follows: "Roma, addì 24 ottobre
  1983", "Roma - Lunedì, 24 ottobre 1983" (where the act was signed or printed).

Weak context (a bare capitalised name, or any name in capitals) links only when
none of these holds:

* part-of-name - the name touches another capitalised word ("Brembate Sopra", "Rio
  Marina", "Maria Rosa", "Colonna Mobile") or is joined to one by a particle ("Costa
  di Ome", "Sciano del Lago", "Alberto da Giussano", "Castelnuovo di Sotto"): it is
  (part of) another name;
* province-name - the comune has the name of a province (Bergamo, Como, Monza,
  Massa, Aosta ...): a bare "Como" may be the province, the lake or the city;
* common-word - the name is in ``data/registry/mention-stopwords.txt`` (comuni
  names that are Italian words, given names or surnames; a name written with its
  accent, Salò, is exempt) or occurs in lower case in the same text (evidence that
  it is a word of the text's language);
* accent - the text writes an accent the comune's name does not have ("Cagnò" is
  not Cagno);
* homonym - more than one comune has the name and neither the hint nor the accent
  as written ("Paternò" is not Paterno) narrows it to one;
* outside-hint - a ``province_hint`` is given and the comune is not in it (a
  Lombard bulletin's "Vita" or "Lago" is no Sicilian or Calabrian comune);
* ``name`` - otherwise a capitalised name in mixed-case text is linked;
* ``caps`` - and a name written in capitals on the same terms.

Enumerations: a name left out only as a common word, a capoluogo, a homonym or an
alias, that stands in a list ("Locate di Triulzi, Cerro al Lambro, Opera") next to a
linked comune, is linked as ``list``; the neighbour's province narrows homonyms.

Known limits: outside table lines, a name with an OCR error, an abbreviation other
than ``S.`` or a lower-case initial is not found; a bare capoluogo in running text ("a Bergamo") is
not linked (it cannot be told from the province); a territory named after a comune
with the comune's full name ("Collina di San Colombano al Lambro") would be linked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Collection, Iterable, Mapping

from markupsafe import Markup, escape

from . import paths
from .registry import Registry, normalise

STOPWORDS_FILE = paths.DATA / "registry" / "mention-stopwords.txt"

_WORD = re.compile(r"[^\W\d_]+")
_MAX_BREAKS = 2  # a name may span one blank line, not more
_SAN = {"san", "santo", "santa", "sant"}
_PROVINCE_CUES = {"provincia", "province", "prefettura", "questura", "diocesi"}
_PROVINCE_PLURAL = {"province"}
_STREET_CUES = {"via", "viale", "piazza", "piazzale", "corso", "largo", "vicolo", "strada"}
_COMUNE_CUES = {"comune", "comuni", "citta", "municipio"}
_COMUNE_PLURAL = {"comuni"}
_OF = {"di", "del", "della", "dello", "dei", "delle", "d"}
# Lower-case words that join the parts of a longer proper name ("Castelnuovo di Sotto").
_PARTICLES = _OF | {
    "da",
    "de",
    "degli",
    "ne",
    "nel",
    "nell",
    "nella",
    "sul",
    "sull",
    "sulla",
    "in",
    "al",
    "all",
    "allo",
    "alla",
    "con",
}
_CONJ = {"e", "ed"}
_FREE_CASE = _PARTICLES | _CONJ | {"la", "le", "lo", "il", "i", "bel", "en"}
# Former province names that are also comuni names (the registry knows today's provinces).
_FORMER_PROVINCES = {
    "aosta",
    "forli",
    "pesaro",
    "carbonia",
    "iglesias",
    "olbia",
    "tempio pausania",
    "lanusei",
    "tortoli",
    "sanluri",
    "villacidro",
}
_CLAUSE_BREAK = re.compile(r"[.;:()\[\]«»\"\t\d]")
# "Rio Marina", "Castelbello-Ciardes", "ne' Monti"
_ADJACENT = re.compile(r"^(?:[ \u00a0]+|['\u2019][ \u00a0]?|[\-\u2010])$")
# Capitalised words before "di" that do not make a longer name: "Comune di Sale", "Via di ...".
_CUE_WORDS = _STREET_CUES | _COMUNE_CUES | _PROVINCE_CUES | {"sede"}
_LIST_PARTICLES = {"di", "del", "della", "d", "de", "in", "al", "allo", "sul", "sulla", "con"}
_ENUM_GAP = re.compile(
    r"^[ \u00a0]*(?:[,;][ \u00a0]*(?:ed?[ \u00a0]+)?|\n[ \u00a0]*|[ \u00a0]+ed?[ \u00a0]+)$", re.I
)
_ENUMERABLE = {"common-word", "homonym", "alias-only", "province-name"}
_IN_PROVINCE = re.compile(
    r"^[\s,]*(?:in|della|nella)\s+provincia\s+di\s+"
    r"([A-ZÀ-Ý][\w'\u2019]*(?:[ -/][A-ZÀ-Ý][\w'\u2019]*)*)"
)
_SIGLA_AFTER = re.compile(r"^[\s\u00a0]*(?:\(\s*([A-Z]{2})\s*\)|[-\u2013\u2010]\s*([A-Z]{2})\b)")
_CAP_BEFORE = re.compile(r"\b\d{5}[\s\u00a0]*[-\u2013]?[\s\u00a0]*$")
_ACCENT_MARKS = ("'", "\u2019", "`")
_MONTHS = (
    "gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|novembre|dicembre"
)
_DATELINE = re.compile(  # "Roma, addì 24 ottobre 1983", "Roma - Lunedì, 24 ottobre 1983"
    r"^\s*[,\-\u2013]\s*(?:addì|lì|li|(?:lunedì|martedì|mercoledì|giovedì|venerdì|sabato|domenica),?)?"
    r"\s*\d{1,2}°?\s+(?:" + _MONTHS + r")\s+\d{4}",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Mention:
    """One linked comune name (or the part of it that lies on one line)."""

    line: int  # 1-based line of the text
    start: int  # character offsets in that line, end exclusive
    end: int
    text: str  # the line's characters [start:end]
    istat: str
    rule: str  # the rule that linked it (see the module docstring)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A registry name found in the text and the decision taken on it.

    ``istat``/``rule`` are set when it is linked, ``reason`` when it is not; its
    ``mentions`` (one per line touched) carry the istat and rule only when linked.
    """

    mentions: tuple[Mention, ...]
    key: str  # normalised name
    istat: str | None
    rule: str | None
    reason: str | None


# -- the name index ------------------------------------------------------------------------
@dataclass
class _Name:
    key: str  # normalised tokens joined by spaces
    tokens: tuple[str, ...]
    capital: tuple[bool, ...]  # is each token capitalised in the official name?
    accented: bool  # does the official name carry an accent?
    current: set[str] = field(default_factory=set)  # ISTAT codes of current comuni
    historical: set[str] = field(default_factory=set)  # of historical comuni (if no current)
    aliases: dict[str, set[str]] = field(default_factory=dict)  # ISTAT -> provinces ("" = any)


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    """Lower case without accents (the per-word part of :func:`registry.normalise`)."""
    if word.isascii():
        return word.lower()
    s = unicodedata.normalize("NFKD", word)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


def _tokens(text: str) -> list[tuple[str, int, int, str]]:
    """Word tokens of ``text``: (folded, start, end, surface)."""
    out = []
    for m in _WORD.finditer(text):
        w = m.group()
        out.append((_fold(w), m.start(), m.end(), w))
    return out


class NameIndex:
    """Every comune name, by first token and longest first; built once per registry."""

    def __init__(self, registry: Registry, stopwords: Iterable[str] = ()):
        self.registry = registry
        names: dict[str, _Name] = {}
        self.words: set[str] = set()  # every token of every name (for de-hyphenation)

        def add(display: str, istat: str, kind: str, province: str = "") -> None:
            toks = _tokens(display)
            if not toks:
                return
            base = tuple(t[0] for t in toks)
            # particles may be written either way ("Alice bel Colle", "Torre le Nocelle")
            capital = tuple(t[3][:1].isupper() and t[0] not in _FREE_CASE for t in toks)
            accented = any(not c.isascii() for c in display if c.isalpha())
            variants = [base]
            if any(t in _SAN for t in base):
                variants.append(tuple("s" if t in _SAN else t for t in base))
            for v in variants:
                key = " ".join(v)
                n = names.setdefault(key, _Name(key, v, capital, accented))
                n.accented = n.accented or accented
                if kind == "current":
                    n.current.add(istat)
                elif kind == "historical":
                    n.historical.add(istat)
                else:
                    n.aliases.setdefault(istat, set()).add(province)
                self.words.update(v)

        for c in registry.current.values():
            for n in c.names:
                add(n, c.istat, "current")
        for c in registry.historical.values():
            add(c.name, c.istat, "historical")
        for entries in registry.aliases.values():
            for a in entries:
                add(a["alias"], a["istat"], "alias", a.get("province") or "")
        self.single: dict[str, _Name] = {}  # one-word names
        self.by_two: dict[tuple[str, str], list[_Name]] = {}  # longer names by first two words
        for n in names.values():
            if n.current:
                n.historical.clear()  # a current comune's name never links a historical one
            if len(n.tokens) == 1:
                self.single[n.key] = n
            else:
                self.by_two.setdefault(n.tokens[:2], []).append(n)
        for lst in self.by_two.values():
            lst.sort(key=lambda n: -len(n.tokens))
        self.first = set(self.single) | {k[0] for k in self.by_two}
        self.stopwords = {normalise(w) for w in stopwords}
        self.province_names = _province_name_keys(registry) | _FORMER_PROVINCES
        self.sigle = set(registry.provinces)


def _province_name_keys(registry: Registry) -> set[str]:
    """Normalised province names and their parts ("Pesaro e Urbino" -> pesaro, urbino)."""
    keys = set()
    for p in registry.provinces.values():
        keys.add(normalise(p["name"]))
        keys.update(
            normalise(part) for part in re.split(r"/|-| e della | e ", p["name"]) if part.strip()
        )
    return keys


def load_stopwords(path: Path = STOPWORDS_FILE) -> list[str]:
    """Comuni names that are also common words: one a line, ``#`` starts a comment."""
    if not path.exists():
        return []
    lines = (ln.split("#", 1)[0].strip() for ln in path.read_text(encoding="utf-8").splitlines())
    return [ln for ln in lines if ln]


@lru_cache(maxsize=4)
def name_index(registry: Registry) -> NameIndex:
    """The :class:`NameIndex` of ``registry`` with the curated stopwords (cached)."""
    return NameIndex(registry, load_stopwords())


# -- the token stream ----------------------------------------------------------------------
@dataclass(slots=True)
class _Tok:
    norm: str
    pieces: list[tuple[int, int, int]]  # (0-based line, start, end); two if joined over a hyphen
    surface: str
    upper: bool  # written in capitals (a one-letter word counts too)
    capital: bool  # first letter upper case


def _stream(lines: list[str], words: set[str]) -> list[_Tok]:
    """The word tokens of ``lines``, end-of-line hyphenations joined where they split a word."""
    toks: list[_Tok] = []
    pending: _Tok | None = None  # the last token of the previous line, if it ends in "-"
    for li, line in enumerate(lines):
        found = _tokens(line)
        if not found and line.strip():
            pending = None
        for k, (norm, s, e, surf) in enumerate(found):
            last = k == len(found) - 1
            if (
                k == 0
                and pending is not None
                and (surf[:1].islower() or pending.norm + norm in words)
            ):
                pending.norm += norm
                pending.surface += surf
                pending.pieces.append((li, s, e))
                pending.upper = pending.upper and surf.isupper()
                pending = pending if last and _ends_with_hyphen(line, e) else None
                continue
            t = _Tok(norm, [(li, s, e)], surf, surf.isupper(), surf[:1].isupper())
            toks.append(t)
            pending = t if last and _ends_with_hyphen(line, e) else None
    return toks


def _ends_with_hyphen(line: str, end: int) -> bool:
    return line[end:].rstrip() in ("-", "\u2010", "\u00ad")


# -- finding -------------------------------------------------------------------------------
def find_mentions(
    lines: list[str],
    registry: Registry,
    province_hint: set[str] | None = None,
    resolved: Mapping[int, Collection[str]] | None = None,
) -> list[Mention]:
    """The comuni that ``lines`` name unambiguously: one :class:`Mention` per line part.

    ``province_hint``: sigle of the provinces the document is about (narrows homonyms;
    bare names of comuni elsewhere are not linked). ``resolved``: 1-based line ->
    ISTAT codes of the parser rows naming a comune that cover the line (empty when the
    parser left the name unresolved); :func:`resolved_lines` builds it, as a mapping
    code -> names as written, from the parse result. On those lines only the
    parser's comuni are linked. Sorted by line and offset.
    """
    out = [
        m
        for c in find_candidates(lines, registry, province_hint, resolved)
        if c.istat
        for m in c.mentions
    ]
    return sorted(out, key=lambda m: (m.line, m.start))


def find_candidates(
    lines: list[str],
    registry: Registry,
    province_hint: set[str] | None = None,
    resolved: Mapping[int, Collection[str]] | None = None,
) -> list[Candidate]:
    """Every capitalised (or all-caps) comune name in ``lines``, linked or with the reason why not."""
    idx = name_index(registry)
    toks = _stream(lines, idx.words)
    matches: list[tuple[int, int, _Name]] = []
    lower_seen: set[str] = set()  # names this text also uses as lower-case words
    i = 0
    while i < len(toks):
        found = _longest(toks, i, idx, lines) if toks[i].norm in idx.first else None
        if found is None:
            i += 1
            continue
        j, name = found
        if _case_ok(toks[i : j + 1], name):
            matches.append((i, j, name))
        elif not any(t.capital for t in toks[i : j + 1]):
            lower_seen.add(name.key)
        i = j + 1

    scan = _Scan(toks, lines, idx, set(province_hint or ()), resolved or {}, lower_seen)
    contexts = scan.list_contexts(matches)
    decisions = [scan.decide(i, j, name, ctx) for (i, j, name), ctx in zip(matches, contexts)]
    scan.enumerations(matches, decisions)
    out = []
    for (i, j, name), (istat, rule, reason) in zip(matches, decisions):
        pieces = _pieces(toks, i, j, lines)
        out.append(
            Candidate(
                tuple(
                    Mention(li + 1, s, e, lines[li][s:e], istat or "", rule or "")
                    for li, s, e in pieces
                ),
                name.key,
                istat,
                rule,
                reason,
            )
        )
    out += _written_forms(lines, resolved or {}, out)
    return sorted(out, key=lambda c: (c.mentions[0].line, c.mentions[0].start))


def _written_forms(
    lines: list[str], resolved: Mapping[int, Collection[str]], found: list[Candidate]
) -> list[Candidate]:
    """Rule ``table-written``: a comune a parser resolved on a table line from a name
    that is not a registry name (an OCR error, a shortened form: "Ponte Nossia",
    "Brembate Sopra"), found in the line as the parser read it."""
    linked: dict[int, list[tuple[int, int]]] = {}
    codes_on: dict[int, set[str]] = {}
    for c in found:
        for m in c.mentions:
            if c.istat:
                linked.setdefault(m.line, []).append((m.start, m.end))
                codes_on.setdefault(m.line, set()).add(c.istat)
    todo: dict[tuple[str, str], list[int]] = {}
    for ln in sorted(resolved):
        forms = resolved[ln]
        if isinstance(forms, Mapping):
            for istat, written in forms.items():
                for w in written:
                    todo.setdefault((istat, w), []).append(ln)
    out = []
    for (istat, written), lns in todo.items():
        if any(istat in codes_on.get(ln, ()) for ln in lns):
            continue
        pattern = re.compile(
            r"(?<!\w)" + r"[\s\u00a0]+".join(map(re.escape, written.split())) + r"(?!\w)",
            re.IGNORECASE,
        )
        for ln in lns:
            if not 1 <= ln <= len(lines):
                continue
            spans = linked.setdefault(ln, [])
            m = next(
                (
                    m
                    for m in pattern.finditer(lines[ln - 1])
                    if all(m.end() <= a or m.start() >= b for a, b in spans)
                ),
                None,
            )
            if m:
                spans.append((m.start(), m.end()))
                codes_on.setdefault(ln, set()).add(istat)
                out.append(
                    Candidate(
                        (Mention(ln, m.start(), m.end(), m.group(), istat, "table-written"),),
                        normalise(written),
                        istat,
                        "table-written",
                        None,
                    )
                )
                break
    return out


def _longest(toks: list[_Tok], i: int, idx: NameIndex, lines: list[str]):
    """The longest comune name starting at token ``i``: (index of its last token, name)."""
    if i + 1 < len(toks):
        for name in idx.by_two.get((toks[i].norm, toks[i + 1].norm), ()):
            k = len(name.tokens)
            if (
                i + k <= len(toks)
                and all(toks[i + q].norm == name.tokens[q] for q in range(2, k))
                and all(_joins_name(_gap(toks, q, q + 1, lines)) for q in range(i, i + k - 1))
            ):
                return i + k - 1, name
    name = idx.single.get(toks[i].norm)
    return (i, name) if name else None


def _gap(toks: list[_Tok], a: int, b: int, lines: list[str]) -> str:
    """The text between tokens ``a`` and ``b`` (``\\n`` at each line break)."""
    la, _, ea = toks[a].pieces[-1]
    lb, sb, _ = toks[b].pieces[0]
    if la == lb:
        return lines[la][ea:sb]
    return "\n".join([lines[la][ea:]] + lines[la + 1 : lb] + [lines[lb][:sb]])


def _joins_name(gap: str) -> bool:
    """Can ``gap`` separate two words of one name (spaces, apostrophe, hyphen, dot, slash)?"""
    return gap.count("\n") <= _MAX_BREAKS and not re.search(r"[^\s'\u2019`.\-\u2010/]", gap)


def _case_ok(span: list[_Tok], name: _Name) -> bool:
    if all(t.upper for t in span):
        return True  # capitals: no case evidence either way
    return span[0].capital and all(t.capital or not cap for t, cap in zip(span, name.capital))


@dataclass
class _ListCtx:
    kind: str | None = None  # "comune" | "province" | None
    plural: bool = False  # "comuni di" / "province di": later items continue it
    provinces: set[str] = field(default_factory=set)  # from "in provincia di X" after the list


class _Scan:
    """Context checks over one text's token stream."""

    def __init__(
        self,
        toks,
        lines,
        idx: NameIndex,
        hint: set[str],
        resolved: Mapping[int, Collection[str]],
        lower_seen: set[str],
    ):
        self.toks, self.lines, self.idx, self.hint = toks, lines, idx, hint
        self.resolved, self.lower_seen = resolved, lower_seen
        self.reg = idx.registry

    # -- neighbourhood ---------------------------------------------------------------------
    def prev_words(self, i: int, k: int = 4) -> list[str]:
        """Up to ``k`` tokens before token ``i`` in the same clause, nearest first."""
        out, q = [], i - 1
        while q >= 0 and len(out) < k:
            g = _gap(self.toks, q, q + 1, self.lines)
            if _CLAUSE_BREAK.search(g) or g.count("\n") > _MAX_BREAKS:
                break
            out.append(self.toks[q].norm)
            q -= 1
        return out

    def after(self, j: int) -> str:
        li, _, e = self.toks[j].pieces[-1]
        return self.lines[li][e:]

    def line_head(self, i: int) -> str:
        """The text before token ``i`` on its line."""
        li, s, _ = self.toks[i].pieces[0]
        return self.lines[li][:s]

    def before(self, i: int) -> str:
        """The text before token ``i`` on its line, after the previous line's text if
        the token starts its line ("... 20124" / "Milano")."""
        li = self.toks[i].pieces[0][0]
        head = self.line_head(i)
        if not head.strip() and li > 0:
            return self.lines[li - 1] + " " + head
        return head

    def adjacent(self, a: int, b: int) -> bool:
        """Tokens ``a`` and ``b`` are on one line, separated only by spaces, apostrophe, hyphen."""
        if a < 0 or b >= len(self.toks):
            return False
        return self.toks[a].pieces[-1][0] == self.toks[b].pieces[0][0] and bool(
            _ADJACENT.match(_gap(self.toks, a, b, self.lines))
        )

    def part_of_name(self, i: int, j: int) -> bool:
        """Is the name at ``i..j`` glued to another proper name (before or after)?"""
        toks = self.toks
        caps = all(t.upper for t in toks[i : j + 1])

        def proper(q: int) -> bool:
            t = toks[q]
            if t.norm in _CONJ or t.norm in _PARTICLES:
                return False
            return t.upper if caps else t.capital

        for near, far, step in ((i - 1, i - 2, -1), (j + 1, j + 2, 1)):
            a, b = (near, i) if step < 0 else (j, near)
            if not self.adjacent(a, b):
                continue
            if proper(near):
                return True
            if toks[near].norm in _PARTICLES:
                a2, b2 = (far, near) if step < 0 else (near, far)
                if (
                    self.adjacent(a2, b2)
                    and proper(far)
                    and toks[far].norm not in _CUE_WORDS
                    and not (step < 0 and self.sentence_start(far))
                ):
                    return True
        return False

    def sentence_start(self, q: int) -> bool:
        """Does token ``q`` open a sentence (capitalised for that reason: "Arrivano da ...")?

        After a word of four letters or more and a full stop, yes; after a number
        ("67." in a numbered table row) or an abbreviation ("St. Pankraz"), no."""
        if q == 0:
            return True
        prev = self.toks[q - 1]
        return (
            bool(re.search(r"[.!?;:]\s*$", _gap(self.toks, q - 1, q, self.lines)))
            and len(prev.surface) > 3
            and prev.surface.islower()
        )

    # -- lists -----------------------------------------------------------------------------
    def opener(self, i: int) -> _ListCtx:
        words = self.prev_words(i)
        if len(words) < 2 or words[0] not in _OF:
            return _ListCtx()
        if words[1] == "metropolitana":
            return _ListCtx("province")
        for cue in words[1:3]:  # "provincia di", "province autonome di"
            if cue in _PROVINCE_CUES:
                return _ListCtx("province", cue in _PROVINCE_PLURAL)
            if cue in _COMUNE_CUES:
                return _ListCtx("comune", cue in _COMUNE_PLURAL)
        return _ListCtx()

    def list_contexts(self, matches) -> list[_ListCtx]:
        """For each match: does it open or continue a "comuni di" / "province di" list?"""
        out: list[_ListCtx] = []
        for q, (i, j, name) in enumerate(matches):
            ctx = self.opener(i)
            if ctx.kind is None and q and out[-1].plural:
                gap = _gap(self.toks, matches[q - 1][1], i, self.lines)
                if gap.count("\n") <= _MAX_BREAKS and _list_gap(gap):
                    prev = out[-1]
                    if prev.kind == "comune" or name.key in self.idx.province_names:
                        ctx = prev
            out.append(ctx)
        closed: set[int] = set()
        for q in range(len(out) - 1, -1, -1):  # the last item of each comuni list
            ctx = out[q]
            if ctx.kind == "comune" and id(ctx) not in closed:
                closed.add(id(ctx))
                m = _IN_PROVINCE.match(self.after(matches[q][1]))
                if m:
                    sigla = self.reg.province_sigla(m.group(1))
                    if sigla:
                        ctx.provinces.add(sigla)
        return out

    # -- the decision ----------------------------------------------------------------------
    def decide(self, i: int, j: int, name: _Name, ctx: _ListCtx):
        """(istat, rule, reason) for the match ``i..j``; reason is set when it is not linked."""
        toks, reg = self.toks, self.reg
        words = self.prev_words(i)
        after = self.after(j)
        if ctx.kind == "province" or (
            name.key in self.idx.province_names
            and re.match(r"^\s+e\s+(della\s+)?Brianza\b", after, re.I)
        ):
            return None, None, "province"
        if words and words[0] in _STREET_CUES:
            return None, None, "street"

        codes = set(name.current or name.historical)
        lines_touched = {li + 1 for t in toks[i : j + 1] for li, _, _ in t.pieces}
        table = [self.resolved[ln] for ln in lines_touched if ln in self.resolved]
        if table:
            hit = (codes | set(name.aliases)) & set().union(*map(set, table))
            if len(hit) == 1:
                return hit.pop(), "table-row", None
            return None, None, "table-line"

        written_accent = name.accented and self.written_accent(i, j)
        if written_accent and len(codes) > 1:  # "Paternò" is not Paterno
            accented = {c for c in codes if any(not ch.isascii() for ch in reg.get(c).name)}
            codes = accented if len(accented) == 1 else codes
        common = not written_accent and (
            name.key in self.idx.stopwords or name.key in self.lower_seen
        )
        glued = self.part_of_name(i, j)

        sm = _SIGLA_AFTER.match(after)
        if sm and (sm.group(1) or sm.group(2)) in self.idx.sigle:
            sigla = sm.group(1) or sm.group(2)
            if glued:
                return None, None, "part-of-name"
            pool = codes | {c for c, provs in name.aliases.items() if "" in provs or sigla in provs}
            narrowed = {c for c in pool if reg.get(c) and reg.get(c).province_sigla == sigla}
            if len(narrowed) == 1:
                return narrowed.pop(), "sigla", None
            if not narrowed and len(codes) == 1 and not common:
                return next(iter(codes)), "sigla", None
            return None, None, "homonym" if narrowed else "sigla-mismatch"

        strong = None
        if ctx.kind == "comune":
            strong = "comune-di"
        elif (
            len(words) >= 2
            and words[0] in ("in", "a", "di")
            and (words[1] == "sede" or words[1] == "legale" and words[2:3] == ["sede"])
        ):
            strong = "sede"
        elif _CAP_BEFORE.search(self.before(i)):
            strong = "cap"
        elif not self.line_head(i).strip(" \t*#_") and _DATELINE.match(after):
            strong = "dateline"
        if strong:
            if glued:
                return None, None, "part-of-name"
            provs = ctx.provinces or self.hint
            pool = codes or {
                c for c, p in name.aliases.items() if "" in p or not provs or p & provs
            }
            pick = _narrow(pool, provs, reg)
            return (pick, strong, None) if pick else (None, None, "homonym")

        if not codes:
            return None, None, "alias-only"
        if glued:
            return None, None, "part-of-name"
        if not name.accented and self.written_accent(i, j):
            return None, None, "accent"  # "Cagnò" is not Cagno
        if name.key in self.idx.province_names:
            return None, None, "province-name"
        if common:
            return None, None, "common-word"
        pick = _narrow(codes, self.hint, reg)
        if pick is None:
            return None, None, "homonym"
        if self.hint and reg.get(pick).province_sigla not in self.hint:
            return None, None, "outside-hint"
        return pick, "caps" if all(t.upper for t in toks[i : j + 1]) else "name", None

    def enumerations(self, matches, decisions) -> None:
        """Rule ``list``: a name left out only as a common word, a homonym or an alias, that
        stands in an enumeration ("Locate di Triulzi, Cerro al Lambro, Opera") next to a
        linked comune, is a comune too; its neighbour's province narrows homonyms."""
        reg = self.reg
        changed = True
        while changed:
            changed = False
            for q, ((i, j, name), (istat, _, reason)) in enumerate(zip(matches, decisions)):
                if istat or reason not in _ENUMERABLE:
                    continue
                for r in (q - 1, q + 1):
                    if not 0 <= r < len(matches) or not decisions[r][0]:
                        continue
                    a, b = (matches[r][1], i) if r < q else (j, matches[r][0])
                    if not _ENUM_GAP.match(_gap(self.toks, a, b, self.lines)):
                        continue
                    sigla = reg.get(decisions[r][0]).province_sigla
                    pool = set(name.current or name.historical) or {
                        c for c, p in name.aliases.items() if "" in p or sigla in p
                    }
                    pick = _narrow(pool, {sigla}, reg)
                    if pick and (len(pool) == 1 or reg.get(pick).province_sigla == sigla):
                        decisions[q] = (pick, "list", None)
                        changed = True
                        break

    def written_accent(self, i: int, j: int) -> bool:
        """Is the name written with an accent ("Salò", or "SALO'" in capitals)?"""
        if any(not c.isascii() for t in self.toks[i : j + 1] for c in t.surface):
            return True
        after = self.after(j)
        return after[:1] in _ACCENT_MARKS and not after[1:2].isalpha()


def _list_gap(gap: str) -> bool:
    """Is ``gap`` the inside of a list: separators, names not in the registry, particles?"""
    items = re.findall(r"[^\W\d_][\w'\u2019\-]*|\S", gap)
    words = [x.lower() for x in items]
    if not any(x in (",", ";") or x in _CONJ for x in words):
        return False
    return all(
        x in (",", ";", "'", "\u2019", "-")
        or x.lower() in _CONJ | _LIST_PARTICLES
        or x[:1].isupper()
        for x in items
    )


def _narrow(codes: set[str], provs: set[str], reg: Registry) -> str | None:
    """The one comune of ``codes`` (narrowed to ``provs`` if several), or None."""
    if len(codes) == 1:
        return next(iter(codes))
    narrowed = {c for c in codes if provs and reg.get(c) and reg.get(c).province_sigla in provs}
    return narrowed.pop() if len(narrowed) == 1 else None


def _pieces(toks: list[_Tok], i: int, j: int, lines: list[str]) -> list[tuple[int, int, int]]:
    """The span of tokens ``i..j`` cut at line ends: [(0-based line, start, end)]."""
    spans: dict[int, list[int]] = {}
    for t in toks[i : j + 1]:
        for li, s, e in t.pieces:
            sp = spans.setdefault(li, [s, e])
            sp[0], sp[1] = min(sp[0], s), max(sp[1], e)
    li, _, e = toks[j].pieces[-1]
    line = lines[li]
    if line[e : e + 1] in _ACCENT_MARKS and not line[e + 1 : e + 2].isalpha():
        spans[li][1] = e + 1  # "FENEGRO'": the apostrophe is the accent
    return [(li, s, e) for li, (s, e) in sorted(spans.items())]


# -- for callers ---------------------------------------------------------------------------
def resolved_lines(
    datasets: Iterable, resolutions: Iterable = ()
) -> dict[int, dict[str, set[str]]]:
    """Line -> {ISTAT code: names as written} for the table rows naming a comune.

    Only tables with an ``istat`` field count, and every line of each row's range. A
    row whose name the parser left unresolved still marks its lines (with no code),
    so nothing is guessed there. ``resolutions`` (the parse context's
    :class:`~generator.quality.ResolutionRecord` list) add the name as the parser read
    it to the lines of the rows that carry the resolved code, from the record's line on.
    """
    out: dict[int, dict[str, set[str]]] = {}
    for ds in datasets:
        for t in ds.tables:
            if not any(f["name"] == "istat" for f in t.fields):
                continue
            for row in t.rows:
                start = row.get("line_start")
                if not start:
                    continue
                for ln in range(start, (row.get("line_end") or start) + 1):
                    codes = out.setdefault(ln, {})
                    if row.get("istat"):
                        codes.setdefault(row["istat"], set())
    for rec in resolutions:
        ln = rec.line
        if not rec.istat or not ln or not rec.query.strip():
            continue
        while rec.istat in out.get(ln, {}):
            out[ln][rec.istat].add(rec.query.strip())
            ln += 1
    return out


def link_line(text: str, mentions_on_line: list[Mention]) -> Markup:
    """``text`` HTML-escaped, each mention wrapped in ``<a href="/comuni/<istat>/" class="mention">``.

    Everything is escaped, the linked text too; a mention that overlaps an earlier
    one, falls outside the line or does not carry a 6-digit ISTAT code is left as text.
    """
    parts = []
    pos = 0
    for m in sorted(mentions_on_line, key=lambda m: (m.start, m.end)):
        if (
            m.start < pos
            or m.end > len(text)
            or m.start >= m.end
            or not re.fullmatch(r"\d{6}", m.istat)
        ):
            continue
        parts.append(escape(text[pos : m.start]))
        parts.append(
            Markup('<a href="/comuni/{}/" class="mention">{}</a>').format(
                m.istat, text[m.start : m.end]
            )
        )
        pos = m.end
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)
