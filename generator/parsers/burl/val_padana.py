"""UTR Val Padana lists of wildlife-damage compensation, one per seat (Mantova, Cremona).

Layout: a title (``UTR Val Padana - Sede di Mantova``), a header naming the columns (in
one of two orders: CUAA then P.IVA, or the reverse), then rows in groups per ATC. A row
starts with ``... R-<SIAN-COR> <VERCOR> <date> <VERCOR> <date>`` and runs over several
lines until its tail (name, two codes, indennizzo, riduzione SI/NO, da liquidare, Regione,
ATC) is complete. Each group is closed by an unlabelled subtotal line of amounts; a group
may be titled ``A.T.C. ...``. The list ends with a grand-total block: ``IMPORTO
COMPLESSIVO ...`` labels (``REGIONE``, ``A.T.C.``) and their amounts.

Checks: every subtotal against its rows; every group's Region subtotal against the
decree's per-ATC table (which names the untitled groups); the grand totals against the
rows and the subtotals. The table's columns, and the checks a spec can state (quota
Regione + quota ATC = da liquidare and the de minimis rule per row, the amounts the
decree's operative part declares), are in ``data/specs/danni-fauna-brescia-2018.yaml``
(table ``indennizzi_{sede}``).
"""

from __future__ import annotations

import re

from ...extract import Recorder, provenance, total
from ...extract.cells import AMT, AMTE, amount, amounts_only
from ...extract.persons import PERSONA_FISICA, PERSONA_GIURIDICA, Pseudonyms, subject_kind
from ...extract.result import act_at
from ...extract.rows import collect_rows
from ...extract.text import clean, join_wrapped
from ...privacy import CF_PERSONAL
from .prospetti import atc_key

VP_TITLE = re.compile(r"^\s*UTR\b.*\bSede di\s+(?P<sede>[A-Za-z]+)", re.IGNORECASE)
VP_ROW_START = re.compile(
    r"^(?P<car>.*?)\s*(?P<cor>R-\d{5,7}) (?P<v1>\S+) (?P<d1>\d{2}/\d{2}/\d{2}(?:\d{2})?) "
    r"(?P<v2>\S+) (?P<d2>\d{2}/\d{2}/\d{2}(?:\d{2})?)(?: (?P<rest>.*))?$"
)
VP_TAIL = re.compile(
    rf"^(?P<name>.+?) (?P<c1>(?=[A-Z]*\d)[A-Z0-9]{{10,16}}) (?P<c2>(?=[A-Z]*\d)[A-Z0-9]{{10,16}}) "
    rf"(?P<indennizzo>{AMTE}) (?P<riduzione>[sS][iI]|[nN][oO]) (?P<liquidare>{AMTE}) "
    rf"(?P<regione>{AMTE}) (?P<atc>{AMTE})$"
)
VP_COLS = ["indennizzo", "importo_da_liquidare", "quota_regione", "quota_atc"]


def _new_group(label=None) -> dict:
    return {"label": label, "starts": 0, "subtotal": None, "line": None}


class ValPadana:
    """One seat's list: groups, rows, subtotals and grand totals, and their checks."""

    def __init__(self, doc, acts, rec: Recorder, title_line: int, atc_by_act: dict):
        """``atc_by_act``: per act (by its first line), ``{ambito: (importo a carico Regione,
        line)}`` of the decree's per-ATC table."""
        self.doc, self.acts, self.rec, self.title_line = doc, acts, rec, title_line
        self.sede = VP_TITLE.match(doc.line(title_line)).group("sede")
        self.act = act_at(acts, title_line)
        self.atc_amounts = atc_by_act.get(self.act.line_start if self.act else 0, {})
        self.name = f"indennizzi_{self.sede.lower()}"
        self.groups = [_new_group()]
        self.row_group: dict[int, int] = {}
        self.grand: dict[str, tuple] = {}
        self.in_grand, self.labels = False, ""

    def rows(self) -> list[dict] | None:
        """The published rows (None when the list has none), after the checks of the
        groups and the totals; ``self.last`` is the list's last line."""
        doc, rec = self.doc, self.rec
        end = self.act.line_end if self.act else len(doc.lines)
        first = next(
            (n for n in range(self.title_line, end + 1) if VP_ROW_START.match(clean(doc.line(n)))),
            None,
        )
        if first is None:
            return None
        rec.candidate(self.name, [])
        self.last = next(
            (
                n
                for n in range(first, end + 1)
                if re.match(rf"^COMPLESSIV\w*\s*{AMTE}$", clean(doc.line(n)))
            ),
            end,
        )
        head = join_wrapped([doc.line(k) for k in range(self.title_line, first)])
        cuaa_at, iva_at = re.search(r"\bCUAA\b", head), re.search(r"\bIVA\b", head)
        self.cuaa_first = not (cuaa_at and iva_at and iva_at.start() < cuaa_at.start())
        for k in range(self.title_line, first):
            if m := re.search(r"A\.T\.C\.\s*(.+?)\s*$", clean(doc.line(k))):
                self._label_group(m.group(1))
        parsed = collect_rows(
            doc,
            rec,
            self.name,
            first,
            self.last,
            lambda t: bool(VP_ROW_START.match(t)),
            self._complete,
            self._other,
            self._on_start,
        )
        rows = self._rows(parsed)
        self.groups = [g for g in self.groups if g["rows"] or g["subtotal"] is not None]
        self._check_groups()
        self._check_totals(rows)
        return rows

    # -- reading -----------------------------------------------------------------------------
    def _label_group(self, label: str) -> None:
        g = self.groups[-1]
        if g["starts"] or g["subtotal"] is not None:
            self.groups.append(_new_group(label))
        else:
            g["label"] = label

    def _on_start(self, n: int) -> None:
        self.row_group[n] = len(self.groups) - 1
        self.groups[-1]["starts"] += 1

    @staticmethod
    def _complete(text: str):
        m = VP_ROW_START.match(text)
        return VP_TAIL.match(m.group("rest") or "") if m else None

    def _other(self, n: int, t: str) -> bool:
        """A line between rows: grand-total block, subtotal, group title, repeated header."""
        if self.in_grand:
            return self._grand_line(n, t)
        tot = amounts_only(t)
        if tot is not None:
            g = self.groups[-1]
            if g["subtotal"] is not None or not g["starts"]:
                return False
            g["subtotal"], g["line"] = tot, n
            self.groups.append(_new_group())
            return True
        if m := re.search(r"A\.T\.C\.\s*(.+?)\s*$", t):
            self._label_group(m.group(1))
            return True
        if re.match(r"^IMPORTO\b", t) and re.match(r"^COMPLESSIV", self._next_text(n)):
            self.in_grand, self.labels = True, t
            return True
        # repeated header blocks and page titles: no lowercase, no amounts, no SIAN-COR codes
        return (
            bool(re.fullmatch(r"[^a-z€]+", t))
            and not re.search(AMT, t)
            and not re.search(r"R-\d{5}", t)
        )

    def _grand_line(self, n: int, t: str) -> bool:
        tot = amounts_only(re.sub(r"^COMPLESSIV\w*", "", t))
        if tot is None:
            self.labels += " " + t
            return bool(re.fullmatch(r"[A-Z'.\s]+", t))
        mentions = re.findall(r"REGIONE|A\.T\.C\.", self.labels)
        if len(mentions) == len(tot):
            keys = ["quota_regione" if x == "REGIONE" else "quota_atc" for x in mentions]
        else:
            keys = ["importo_da_liquidare"] if len(tot) == 1 else []
        for key, v in zip(keys, tot):
            self.grand[key] = (v, n)
        self.labels = ""
        return bool(keys)

    def _next_text(self, n: int) -> str:
        for k in range(n + 1, self.last + 1):
            t = clean(self.doc.line(k))
            if t:
                return t
        return ""

    def _rows(self, parsed) -> list[dict]:
        for g in self.groups:
            key = atc_key("A.T.C. " + g["label"]) if g["label"] else None
            g["method"] = "intestazione" if key else None
            reg_sub = g["subtotal"][-2] if g["subtotal"] and len(g["subtotal"]) >= 2 else None
            matches = [a for a, (v, _) in self.atc_amounts.items() if v == reg_sub]
            if key is None and len(matches) == 1:
                key, g["method"] = matches[0], "subtotale"
            g["key"], g["rows"] = key, []
        names, rows = Pseudonyms(), []
        for r in parsed:
            g = self.groups[self.row_group[r.start]]
            row = self._row(r, g, names, len(rows) + 1)
            rows.append(row)
            g["rows"].append(row)
        return rows

    def _row(self, r, g: dict, names: Pseudonyms, n: int) -> dict:
        s = VP_ROW_START.match(r.text)
        m = VP_TAIL.match(s.group("rest"))
        c1, c2 = m.group("c1"), m.group("c2")
        cuaa, piva = (c1, c2) if self.cuaa_first else (c2, c1)
        personal = next((c for c in (cuaa, piva) if CF_PERSONAL.fullmatch(c)), cuaa)
        person = subject_kind(m.group("name"), personal) == PERSONA_FISICA
        a = act_at(self.acts, r.start)
        return {
            "n": n,
            "ambito": g["key"],
            "ambito_metodo": g["method"],
            "beneficiario": names.label(personal) if person else m.group("name"),
            "soggetto": PERSONA_FISICA if person else PERSONA_GIURIDICA,
            "cuaa": None if person else cuaa,
            "partita_iva": None if person else piva,
            "codice_sian_cor": None if person else s.group("cor"),
            "indennizzo": amount(m.group("indennizzo")),
            "riduzione_de_minimis": m.group("riduzione").upper() == "SI",
            "importo_da_liquidare": amount(m.group("liquidare")),
            "quota_regione": amount(m.group("regione")),
            "quota_atc": amount(m.group("atc")),
            **provenance(self.doc.id, r.start, r.end, a.id if a else ""),
        }

    # -- checks ------------------------------------------------------------------------------
    def _check_groups(self) -> None:
        rec, cid = self.rec, self.name
        for gi, g in enumerate(self.groups, start=1):
            grow = g["rows"]
            if g["subtotal"] is None:
                rec.check(
                    f"{cid}:gruppo:{gi}:subtotale",
                    f"Subtotale stampato del gruppo {gi}",
                    1,
                    0,
                    False,
                    (grow[0]["line_start"] if grow else None,),
                    "il gruppo non è chiuso da una riga di subtotale",
                )
                continue
            cols = VP_COLS[-len(g["subtotal"]) :]
            for c, v in zip(cols, g["subtotal"]):
                rec.equal(
                    f"{cid}:gruppo:{gi}:{c}",
                    f"Subtotale stampato del gruppo {gi} ({g['key'] or '?'}), colonna {c}",
                    v,
                    total(grow, c),
                    (g["line"],),
                )
            reg_sub = g["subtotal"][-2] if len(g["subtotal"]) >= 2 else None
            ref = self.atc_amounts.get(g["key"]) if g["key"] else None
            rec.check(
                f"{cid}:gruppo:{gi}:ambito",
                f"Il gruppo {gi} è attribuito a un ambito ({g['method'] or 'nessun metodo'}) "
                "il cui importo a carico Regione nel prospetto per ambito del decreto è il "
                "subtotale a carico Regione del gruppo",
                ref[0] if ref else None,
                reg_sub,
                bool(ref) and ref[0] == reg_sub,
                (g["line"],),
                "importo diverso dal prospetto per ambito",
                missing="nessun ambito del prospetto con questo importo",
            )

    def _check_totals(self, rows: list[dict]) -> None:
        rec, cid = self.rec, self.name
        for c in ("importo_da_liquidare", "quota_regione", "quota_atc"):
            if c not in self.grand:
                rec.check(
                    f"{cid}:totale:{c}",
                    f"Totale complessivo stampato, colonna {c}",
                    1,
                    0,
                    False,
                    (self.last,),
                    "totale non trovato",
                )
                continue
            v, line = self.grand[c]
            rec.equal(
                f"{cid}:totale:{c}",
                f"Totale complessivo stampato, colonna {c}",
                v,
                total(rows, c),
                (line,),
            )
            subs = [
                g["subtotal"][VP_COLS[-len(g["subtotal"]) :].index(c)]
                for g in self.groups
                if g["subtotal"] and c in VP_COLS[-len(g["subtotal"]) :]
            ]
            rec.equal(
                f"{cid}:totale-subtotali:{c}",
                f"Totale complessivo stampato = somma dei subtotali stampati, colonna {c}",
                v,
                sum(subs),
                (line,),
            )
