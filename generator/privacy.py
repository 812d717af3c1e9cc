"""Privacy: no natural person's identifiers are published, in tables or in document text.

Parsers publish legal entities and mask natural persons in their tables (see
``parsers/burl/other_tables.py``); they also return ``ParseResult.private``: the line
ranges of rows that describe a natural person. The document and act pages show the
vendored text, so the same lines are withheld there, the person's name is withheld
wherever else the text repeats it (prose, a name broken across two lines), and any
personal codice fiscale left anywhere is masked. The vendored file itself is kept in
the repository as published by the issuer; only the site applies this.
"""

from __future__ import annotations

import re

# Personal codice fiscale: 6 letters, 2 digits (or omocodia letters), month letter, ...
CF_PERSONAL = re.compile(
    r"\b[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]\b"
)
WITHHELD_ROW = "[riga omessa: dati di una persona fisica]"
WITHHELD_CF = "[codice fiscale omesso]"
WITHHELD_NAME = "[persona fisica]"
_WORD = re.compile(r"[A-Za-zÀ-ÿ'’]+")
_CODE = re.compile(r"\b\d{6,}\b|\b[A-Z0-9]{16}\b")
_TOKEN = re.compile(r"\w+")


def name_key(text: str) -> list[str] | None:
    """The last two name words before the first code of a person's row ("Donina Diego")."""
    m = _CODE.search(text)
    head = text[: m.start()] if m else text
    words = [w for w in _WORD.findall(head) if len(w) > 1 and w[0].isupper()]
    return words[-2:] if len(words) >= 2 else None


def changes(lines: list[str], private: list[tuple[int, int]]) -> tuple[dict[int, str], int]:
    """What :func:`redact` changes: ``{line number: published text}`` of the lines that
    differ, and its count. Computed with the parse and cached with its result (a bulletin
    takes 40 ms; every build read every document again), and small: a few lines of each."""
    out, n = redact(lines, private)
    return {i + 1: new for i, (old, new) in enumerate(zip(lines, out)) if new != old}, n


def published(lines: list[str], changed: dict[int, str]) -> list[str]:
    """The lines as published, from :func:`changes` (the unchanged ones are the same
    strings as the document's)."""
    out = list(lines)
    for n, text in changed.items():
        out[n - 1] = text
    return out


def redact(lines: list[str], private: list[tuple[int, int]]) -> tuple[list[str], int]:
    """Lines safe to publish, and how many were changed."""
    out = list(lines)
    changed = set()
    alts = set()
    firsts = set()  # the first word piece of every name, lower case
    for start, end in private:
        k = name_key(" ".join(lines[start - 1 : end]))
        if k:
            alts.add(r"\W+".join(map(re.escape, k)))
            firsts.add(_TOKEN.findall(k[0].lower())[0])
        for n in range(start, min(end, len(out)) + 1):
            out[n - 1] = WITHHELD_ROW
            changed.add(n)
    # all names in one alternation: one search per line, not one per person
    names = re.compile(r"\b(?:" + "|".join(sorted(alts)) + r")\b", re.I) if alts else None
    for i, line in enumerate(out):
        if i + 1 in changed:
            continue
        new = CF_PERSONAL.sub(WITHHELD_CF, line)
        # a name starts on this line only if its first word piece is one of the line's:
        # the alternation of every name runs on those lines only (a bulletin has thousands)
        if names and not firsts.isdisjoint(_TOKEN.findall(new.lower())):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            pos = 0
            # a name may start on this line and end on the next ("Donina / Diego")
            while (m := names.search(new + " " + nxt, pos)) and m.start() < len(new):
                new = new[: m.start()] + WITHHELD_NAME + new[min(m.end(), len(new)) :]
                pos = m.start() + len(WITHHELD_NAME)
        if new != line:
            out[i] = new
            changed.add(i + 1)
    return out, len(changed)
