"""Comune mentions in running text, for document and act pages.

``find_mentions(lines, registry)`` finds the comuni a vendored text names and says,
for each link, which rule made it count; ``link_line(text, mentions)`` renders one
line as HTML with those links. A name is linked only when the match is unambiguous:
many comuni are also common words (Sale, Nave, Opera, Calcio, Re, Ora), province
names (Bergamo in "Provincia di Bergamo"), street names (Via Roma) or homonyms
(two comuni called Paterno), and a wrong link is worse than a missing one.

Matching
--------
The text is read as one stream of word tokens (letters only; apostrophes, hyphens
and spaces separate tokens; accents are folded as in :func:`registry.normalise`, so
``FENEGRO'`` matches Fenegrò and ``Sant'Angelo`` matches Sant'Angelo). Every comune
name of the registry (official name, each part of a bilingual name, a variant with
``S.`` for San/Santo/Santa/Sant', historical names that no current comune carries)
is indexed by its first token; at each token the longest name that matches wins
(``Castione della Presolana`` over ``Castione``, ``Ponte di Legno`` over
``Ponte``). A name may run over a line break (``PONTE SAN`` / ``PIETRO``, at most
one blank line in between) and a word split by an end-of-line hyphen is joined
when the next line goes on in lower case (``Spinade-`` / ``sco``) or when the joined
word is a word of some comune name (``BRE-`` / ``NO``); such a mention yields one
:class:`Mention` per line it touches.

Case: in mixed-case text a proper name is capitalised, so every word that is
capitalised in the official name must be capitalised in the text (``Calcio`` may
be the comune, ``calcio`` never is). A name written in capitals carries no such
evidence (headings, tables): it is treated like a bare name (rules below), never
more.

Rules, in the order they are applied (``Mention.rule`` is the rule that linked it)
---------------------------------------------------------------------------------
Negative contexts, which win over everything else:

* ``province`` - the name follows ``provincia/province/prefettura/questura/città
  metropolitana/diocesi ... di|del|della`` (also in a list: "province di Bergamo,
  Brescia e Cremona"), or is followed by ``e (della) Brianza``: it names a province,
  not a comune. "Provincia di Bergamo" is the province, whatever a parser says.
* ``street`` - the name follows ``via/viale/piazza/piazzale/corso/largo/vicolo/
  strada``: "Via Roma" is a street.

Linking rules (strong context first; each narrows homonyms by the province sigla,
the "in provincia di X" that closes a list, or the ``province_hint``, and links only
if exactly one comune is left):

* ``table-row`` - a parser already resolved a row covering this line to a comune
  whose name (or curated alias) is the matched text (``resolved`` argument). The
  parser had the table's structure; the text span only locates the link.
* ``sigla`` - the name is followed by a province sigla of that comune: "Predore
  (BG)", "Ceto - BS". A sigla that does not match is accepted only for a name that
  is unique in Italy and not a common word (comuni change province: Torre de' Busi).
* ``comune-di`` - the name follows "comune/comuni/città/municipio di" ("città
  metropolitana" excluded), or continues such a list ("i comuni di Berzo Demo,
  Bienno e Breno"): the text says it is a comune.
* ``cap`` - the name follows a 5-digit postal code ("20124 Milano"), as in an
  address.

Weak context (a bare capitalised name, or any name in capitals) links only when
none of these holds, otherwise it is left unlinked:

* province name - the comune has the name of a province (Bergamo, Como, Monza,
  Massa ...): a bare "Como" may be the province, the lake or the city;
* common word - the name is in ``data/registry/mention-stopwords.txt`` (comuni
  names that are Italian words, given names or surnames) or occurs in lower case
  in the same document (evidence that it is a word of the text's language);
* homonym - more than one comune has the name and no hint narrows it to one;
* outside hint - a ``province_hint`` is given and the comune is not in it (a
  Lombard bulletin naming "Vita" or "Lago" means no Sicilian or Calabrian comune);
* ``name`` - otherwise a capitalised name in mixed-case text is linked;
* ``caps`` - and a name in capitals is linked on the same terms.

Known limits: a name with an OCR error, an abbreviation other than ``S.`` or a
lower-case initial is not found; a bare capoluogo in running text ("a Bergamo") is
not linked (it cannot be told from the province); mentions of a territory named
after a comune ("Collina di San Colombano") are linked only if the words are a
comune's full name.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Collection, Iterable, Mapping

from markupsafe import Markup, escape

from . import paths
from .registry import Registry, normalise

STOPWORDS_FILE = paths.DATA / "registry" / "mention-stopwords.txt"

_WORD = re.compile(r"[^\W\d_]+")
_MAX_GAP_LINES = 2                      # a name may span one blank line, not more
_SAN = {"san", "santo", "santa", "sant"}

# Words that, followed by di/del/della..., introduce a province or a wider territory.
_PROVINCE_CUES = {"provincia", "province", "prefettura", "prefetture", "questura",
                  "metropolitana", "diocesi", "provinciale", "provinciali"}
_STREET_CUES = {"via", "viale", "piazza", "piazzale", "corso", "largo", "vicolo", "strada"}
_COMUNE_CUES = {"comune", "comuni", "citta", "municipio"}
_OF = {"di", "del", "della", "dello", "dei", "delle", "d"}
_LIST_JOIN = re.compile(r"^\s*(,|;|\s+e\s+|\s+ed\s+|,\s*e\s+|,\s*ed\s+)\s*$", re.I)
_SIGLA_AFTER = re.compile(r"^\s*(?:\(\s*([A-Z]{2})\s*\)|[-\u2013\u2010]\s*([A-Z]{2})\b)")
_CAP_BEFORE = re.compile(r"\b\d{5}\s*[-\u2013]?\s*$")
_ACCENT_MARK = ("'", "\u2019", "`")


@dataclass(frozen=True)
class Mention:
    """One linked comune name (or the part of it that lies on one line)."""
    line: int          # 1-based line of the text
    start: int         # character offsets in that line, end exclusive
    end: int
    text: str          # the line's characters [start:end]
    istat: str
    rule: str          # which rule linked it (see the module docstring)


@dataclass(frozen=True)
class Candidate:
    """A registry name found in the text, linked or not (``reason`` says why not)."""
    mentions: tuple[Mention, ...]   # one per line touched; istat/rule set only if linked
    key: str                        # normalised name
    istat: str | None
    rule: str | None
    reason: str | None              # why it was not linked


# -- the name index ----------------------------------------------------------------------
@dataclass
class _Name:
    key: str                         # normalised tokens joined by spaces
    tokens: tuple[str, ...]
    capital: tuple[bool, ...]        # is each token capitalised in the official name?
    current: set[str]                # ISTAT codes of current comuni with this name
    historical: set[str]             # ... of historical comuni (only if no current one)
    aliases: dict[str, set[str]]     # ISTAT code -> provinces ("" = any), curated aliases


def _tokens(text: str) -> list[tuple[str, int, int, str]]:
    """Word tokens of ``text``: (normalised, start, end, surface)."""
    out = []
    for m in _WORD.finditer(text):
        out.append((_fold(m.group()), m.start(), m.end(), m.group()))
    return out


def _fold(word: str) -> str:
    s = unicodedata.normalize("NFKD", word)
    return "".join(c for c in s if not unicodedata.combining(c)).lower()


class NameIndex:
    """Comune names by first token, longest first; built once per registry."""

    def __init__(self, registry: Registry, stopwords: Collection[str] = ()):
        self.registry = registry
        self.by_first: dict[str, list[_Name]] = {}
        self.words: set[str] = set()           # every token of every name (for de-hyphenation)
        names: dict[str, _Name] = {}

        def add(display: str, istat: str, kind: str, province: str = "") -> None:
            toks = _tokens(display)
            if not toks:
                return
            variants = [tuple(t[0] for t in toks)]
            capital = tuple(t[3][:1].isupper() for t in toks)
            if any(t in _SAN for t in variants[0]):
                variants.append(tuple("s" if t in _SAN else t for t in variants[0]))
            for v in variants:
                key = " ".join(v)
                n = names.get(key)
                if n is None:
                    n = names[key] = _Name(key, v, capital, set(), set(), {})
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
        for n in names.values():
            if n.current:
                n.historical.clear()     # a current comune's name is never a historical link
            self.by_first.setdefault(n.tokens[0], []).append(n)
        for lst in self.by_first.values():
            lst.sort(key=lambda n: -len(n.tokens))
        self.stopwords = {normalise(w) for w in stopwords}
        self.province_names = _province_name_keys(registry)
        self.sigle = set(registry.provinces)


def _province_name_keys(registry: Registry) -> set[str]:
    """Normalised province names and their parts ("Pesaro e Urbino" -> pesaro, urbino)."""
    keys = set()
    for p in registry.provinces.values():
        name = p["name"]
        keys.add(normalise(name))
        for part in re.split(r"/|-| e della | e ", name):
            if part.strip():
                keys.add(normalise(part))
    return keys


def load_stopwords(path: Path = STOPWORDS_FILE) -> list[str]:
    """Curated comuni names that are also common words (one a line, ``#`` comments)."""
    if not path.exists():
        return []
    out = []
    for ln in path.read_text(encoding="utf-8").splitlines():
        ln = ln.split("#", 1)[0].strip()
        if ln:
            out.append(ln)
    return out


@lru_cache(maxsize=4)
def _index_for(registry: Registry) -> NameIndex:
    return NameIndex(registry, load_stopwords())


# -- the token stream ---------------------------------------------------------------------
@dataclass
class _Tok:
    norm: str
    pieces: list[tuple[int, int, int]]   # (line index 0-based, start, end); 2 if joined over a hyphen
    surface: str
    upper: bool                          # written in capitals (2+ letters)
    capital: bool                        # first letter upper case


def _stream(lines: list[str], words: set[str]) -> list[_Tok]:
    toks: list[_Tok] = []
    pending: _Tok | None = None          # a token ending in "-" at the end of its line
    for li, line in enumerate(lines):
        found = _tokens(line)
        for k, (norm, s, e, surf) in enumerate(found):
            if pending is not None and k == 0:
                joined = pending.norm + norm
                if surf[:1].islower() or joined in words:
                    pending.norm = joined
                    pending.surface += surf
                    pending.pieces.append((li, s, e))
                    pending.upper = pending.upper and surf.isupper()
                    pending = None
                    if k == len(found) - 1 and _ends_with_hyphen(line, e):
                        pending = toks[-1]
                    continue
            pending = None
            t = _Tok(norm, [(li, s, e)], surf, len(surf) > 1 and surf.isupper(), surf[:1].isupper())
            toks.append(t)
            if k == len(found) - 1 and _ends_with_hyphen(line, e):
                pending = t
        if found == [] and line.strip():
            pending = None
    return toks


def _ends_with_hyphen(line: str, end: int) -> bool:
    rest = line[end:].rstrip()
    return rest in ("-", "\u2010", "\u00ad")


# -- finding ------------------------------------------------------------------------------
def find_mentions(lines: list[str], registry: Registry,
                  province_hint: set[str] | None = None,
                  resolved: Mapping[int, Collection[str]] | None = None) -> list[Mention]:
    """The comuni that ``lines`` name unambiguously, one :class:`Mention` per line part.

    ``province_hint``: sigle of the provinces the document is about (narrows homonyms;
    bare names of comuni elsewhere are not linked). ``resolved``: 1-based line ->
    ISTAT codes that a parser resolved for a table row covering that line (see
    :func:`resolved_lines`). Mentions are sorted by line and offset.
    """
    out = [m for c in find_candidates(lines, registry, province_hint, resolved) if c.istat
           for m in c.mentions]
    return sorted(out, key=lambda m: (m.line, m.start))


def find_candidates(lines: list[str], registry: Registry,
                    province_hint: set[str] | None = None,
                    resolved: Mapping[int, Collection[str]] | None = None) -> list[Candidate]:
    """Every capitalised registry name in ``lines`` with the decision taken on it."""
    idx = _index_for(registry)
    toks = _stream(lines, idx.words)
    hint = set(province_hint or ())
    resolved = resolved or {}
    matches = []          # (first token, last token, _Name)
    lower_seen: set[str] = set()
    i = 0
    n = len(toks)
    while i < n:
        m = _longest(toks, i, idx, lines)
        if m is None:
            i += 1
            continue
        j, name = m
        if _case_ok(toks, i, j, name, lines):
            matches.append((i, j, name))
        elif all(not t.capital for t in toks[i:j + 1]):
            lower_seen.add(name.key)
        i = j + 1

    list_ctx = _list_contexts(toks, matches, lines)
    cands = []
    for (i, j, name), ctx in zip(matches, list_ctx):
        istat, rule, reason = _decide(toks, i, j, name, ctx, idx, hint, resolved, lower_seen, lines)
        pieces = _pieces(toks, i, j, name, lines)
        cands.append(Candidate(
            tuple(Mention(li + 1, s, e, lines[li][s:e], istat or "", rule or "") for li, s, e in pieces),
            name.key, istat, rule, reason))
    return cands


def _longest(toks: list[_Tok], i: int, idx: NameIndex, lines: list[str]):
    """The longest registry name starting at token ``i``: (last token index, name)."""
    for name in idx.by_first.get(toks[i].norm, ()):
        k = len(name.tokens)
        if i + k > len(toks):
            continue
        if all(toks[i + q].norm == name.tokens[q] for q in range(1, k)) and \
                _contiguous(toks, i, i + k - 1, lines):
            return i + k - 1, name
    return None


def _gap(toks: list[_Tok], a: int, b: int, lines: list[str]) -> str:
    """The text between the end of token ``a`` and the start of token ``b`` (``\\n`` at breaks)."""
    la, _, ea = toks[a].pieces[-1]
    lb, sb, _ = toks[b].pieces[0]
    if la == lb:
        return lines[la][ea:sb]
    parts = [lines[la][ea:]] + lines[la + 1:lb] + [lines[lb][:sb]]
    return "\n".join(parts)


def _contiguous(toks: list[_Tok], i: int, j: int, lines: list[str]) -> bool:
    """Tokens ``i..j`` are separated only by spaces, apostrophes, hyphens, dots or slashes."""
    for q in range(i, j):
        g = _gap(toks, q, q + 1, lines)
        if g.count("\n") > _MAX_GAP_LINES:
            return False
        if re.search(r"[^\s'\u2019`.\-\u2010/]", g):
            return False
    return True


def _case_ok(toks: list[_Tok], i: int, j: int, name: _Name, lines: list[str]) -> bool:
    span = toks[i:j + 1]
    if all(t.upper or len(t.surface) == 1 and t.surface.isupper() for t in span):
        return True                                  # written in capitals: no case evidence
    if not span[0].capital:
        return False
    return all(t.capital or not cap for t, cap in zip(span, name.capital))


def _prev_words(toks: list[_Tok], i: int, lines: list[str], k: int = 4) -> list[str]:
    """Up to ``k`` normalised tokens before token ``i`` that are in the same clause."""
    out = []
    q = i - 1
    while q >= 0 and len(out) < k:
        g = _gap(toks, q, q + 1, lines)
        if re.search(r"[.;:()\[\]«»\"]", g.replace("'", "")) or g.count("\n") > _MAX_GAP_LINES:
            break
        out.append(toks[q].norm)
        q -= 1
    return out


def _after(toks: list[_Tok], j: int, lines: list[str]) -> str:
    li, _, e = toks[j].pieces[-1]
    return lines[li][e:]


def _before(toks: list[_Tok], i: int, lines: list[str]) -> str:
    li, s, _ = toks[i].pieces[0]
    return lines[li][:s]


def _cue_before(words: list[str], cues: set[str]) -> bool:
    """``words`` (nearest first) end with ``cue [di|del|della|d]``."""
    if not words:
        return False
    if words[0] in _OF and len(words) > 1:
        return words[1] in cues or (words[1] in _OF and len(words) > 2 and words[2] in cues)
    return False


@dataclass
class _ListCtx:
    kind: str | None          # "comune" | "province" | None
    province: set[str]        # sigla from "in provincia di X" closing the list


def _list_contexts(toks, matches, lines) -> list[_ListCtx]:
    """For each match: does it open or continue a "comuni di ..." / "province di ..." list?"""
    out: list[_ListCtx] = []
    prev_end = None
    prev_ctx: _ListCtx | None = None
    for i, j, name in matches:
        words = _prev_words(toks, i, lines)
        ctx = _ListCtx(None, set())
        if _cue_before(words, _COMUNE_CUES) and not (len(words) > 2 and words[1] == "metropolitana"):
            ctx.kind = "comune"
        if _cue_before(words, _PROVINCE_CUES) or (words[:2] == ["di", "metropolitana"]):
            ctx.kind = "province"
        if ctx.kind is None and prev_ctx is not None and prev_ctx.kind and prev_end is not None \
                and _LIST_JOIN.match(_gap(toks, prev_end, i, lines)):
            ctx = prev_ctx
        out.append(ctx)
        prev_end, prev_ctx = j, ctx
    _close_lists(toks, matches, out, lines)
    return out


_IN_PROVINCE = re.compile(r"^[\s,]*(?:in|della|nella)\s+provincia\s+di\s+([A-Z][\w'’]+(?:[ -][A-Z][\w'’]+)*)")


def _close_lists(toks, matches, ctxs, lines) -> None:
    """A "comuni di A, B e C in provincia di X" list takes X as province of its items."""
    seen: set[int] = set()
    for q, ctx in enumerate(ctxs):
        if ctx.kind != "comune" or id(ctx) in seen:
            continue
        seen.add(id(ctx))
        last = max(k for k, c in enumerate(ctxs) if c is ctx)
        m = _IN_PROVINCE.match(_after(toks, matches[last][1], lines))
        if m:
            ctx.province.add(m.group(1))


def _decide(toks, i, j, name: _Name, ctx: _ListCtx, idx: NameIndex, hint: set[str],
            resolved, lower_seen, lines):
    """(istat, rule, reason): the decision on one match; reason set when not linked."""
    reg = idx.registry
    words = _prev_words(toks, i, lines)
    after = _after(toks, j, lines)
    # negative contexts
    if ctx.kind == "province":
        return None, None, "province"
    if name.tokens[0] in idx.province_names and re.match(r"^\s+e\s+(della\s+)?Brianza\b", after, re.I):
        return None, None, "province"
    if words and words[0] in _STREET_CUES:
        return None, None, "street"

    codes = set(name.current or name.historical)
    lines_touched = {li + 1 for t in toks[i:j + 1] for li, _, _ in t.pieces}
    # table-row: a parser resolved a row on this line to one of these comuni
    row_codes = set().union(*(set(resolved.get(ln, ())) for ln in lines_touched))
    if row_codes:
        alias_codes = {c for c, provs in name.aliases.items()}
        hit = (codes | alias_codes) & row_codes
        if len(hit) == 1:
            return hit.pop(), "table-row", None
    if not codes:
        return None, None, "alias-only"

    common = name.key in idx.stopwords or name.key in lower_seen
    provs = _sigle_of(ctx.province, reg)
    # sigla
    sm = _SIGLA_AFTER.match(after)
    if sm:
        sigla = sm.group(1) or sm.group(2)
        if sigla in idx.sigle:
            narrowed = {c for c in codes if reg.get(c).province_sigla == sigla}
            if len(narrowed) == 1:
                return narrowed.pop(), "sigla", None
            if not narrowed and len(codes) == 1 and not common:
                return next(iter(codes)), "sigla", None
            return None, None, "sigla-mismatch" if not narrowed else "homonym"
    strong = None
    if ctx.kind == "comune":
        strong = "comune-di"
    elif _CAP_BEFORE.search(_before(toks, i, lines)):
        strong = "cap"
    if strong:
        pick = _narrow(codes, provs or hint, reg)
        if pick:
            return pick, strong, None
        return None, None, "homonym"

    if name.key in idx.province_names:
        return None, None, "province-name"
    if common:
        return None, None, "common-word"
    pick = _narrow(codes, hint, reg)
    if pick is None:
        return None, None, "homonym"
    if hint and reg.get(pick).province_sigla not in hint:
        return None, None, "outside-hint"
    upper = all(t.upper or len(t.surface) == 1 for t in toks[i:j + 1])
    return pick, "caps" if upper else "name", None


def _sigle_of(province_names: set[str], reg: Registry) -> set[str]:
    return {s for s in (reg.province_sigla(p) for p in province_names) if s}


def _narrow(codes: set[str], provs: set[str], reg: Registry) -> str | None:
    if len(codes) == 1:
        return next(iter(codes))
    if provs:
        narrowed = {c for c in codes if reg.get(c).province_sigla in provs}
        if len(narrowed) == 1:
            return narrowed.pop()
    return None


def _pieces(toks, i, j, name: _Name, lines) -> list[tuple[int, int, int]]:
    """The span of tokens ``i..j`` split per line: [(line index, start, end)]."""
    spans: dict[int, list[int]] = {}
    for t in toks[i:j + 1]:
        for li, s, e in t.pieces:
            sp = spans.setdefault(li, [s, e])
            sp[0], sp[1] = min(sp[0], s), max(sp[1], e)
    li, _, e = toks[j].pieces[-1]
    line = lines[li]
    if e < len(line) and line[e] in _ACCENT_MARK and (e + 1 == len(line) or not line[e + 1].isalpha()):
        spans[li][1] = e + 1                      # "FENEGRO'": the apostrophe is the accent
    return [(li, s, e) for li, (s, e) in sorted(spans.items())]


# -- helpers for callers ---------------------------------------------------------------------
def resolved_lines(datasets: Iterable) -> dict[int, set[str]]:
    """Line -> ISTAT codes of the table rows (with a resolved ``istat``) covering it."""
    out: dict[int, set[str]] = {}
    for ds in datasets:
        for t in ds.tables:
            for row in t.rows:
                code = row.get("istat")
                if not code or not row.get("line_start"):
                    continue
                for ln in range(row["line_start"], (row.get("line_end") or row["line_start"]) + 1):
                    out.setdefault(ln, set()).add(code)
    return out


def link_line(text: str, mentions_on_line: list[Mention]) -> Markup:
    """``text`` HTML-escaped, each mention wrapped in a link to its comune's page."""
    parts = []
    pos = 0
    for m in sorted(mentions_on_line, key=lambda m: m.start):
        if m.start < pos or m.end > len(text) or not re.fullmatch(r"\d{6}", m.istat):
            continue                               # overlapping or foreign: leave as text
        parts.append(escape(text[pos:m.start]))
        parts.append(Markup('<a href="/comuni/{}/" class="mention">{}</a>').format(
            m.istat, text[m.start:m.end]))
        pos = m.end
    parts.append(escape(text[pos:]))
    return Markup("").join(parts)
