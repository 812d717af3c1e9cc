"""The registry as it was at a document's date.

The registry holds today's comuni and, in the curated historical crosswalk
(``data/registry/historical``), the comuni suppressed since 1991 with their successor.
A document that says "all the comuni of the province of X" means the comuni of its own
date: :class:`AsOf` answers with the registry taken back to that date. A comune created
by a merger after the date is replaced by the comuni it was made of.

The kind of each change is read from the start of the crosswalk's ``event`` text:
``fusione`` (the successor is a new comune with a new ISTAT code), ``incorporazione``
(the successor already existed, with the same code) or ``cambio-provincia`` (same
comune, new code in another province). An event that starts otherwise is treated as a
``fusione`` and reported (``historical-event``) when it concerns the document.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from ..registry import Comune, Registry

EVENT_KINDS = ("fusione", "incorporazione", "cambio-provincia")
_EVENT_KIND = re.compile(r"\s*(fusione|incorpora\w*|cambio[- ]provincia)\b", re.I)


class AsOf:
    """``registry`` at ``date`` (ISO; None: today's registry). ``warn(code, message)`` is
    told of crosswalk events of ``provinces`` (siglas) whose kind cannot be read."""

    def __init__(
        self,
        registry: Registry,
        date: str | None,
        warn: Callable[[str, str], None] | None = None,
        provinces: Iterable[str] = (),
    ):
        self.reg, self.date = registry, date
        self.kinds = self._event_kinds(warn, set(provinces))
        # current comuni that did not exist (with their code) at the date
        self.new_since = {
            h.successor
            for h in registry.historical.values()
            if h.successor
            and date
            and (h.suppressed or "") > date
            and self.kinds[h.istat] != "incorporazione"
        }

    def _event_kinds(self, warn, provinces: set[str]) -> dict[str, str]:
        out = {}
        for h in self.reg.historical.values():
            m = _EVENT_KIND.match(h.event or "")
            word = m.group(1).lower() if m else ""
            if (
                not m
                and warn
                and h.province_sigla in provinces
                and self.date
                and (h.suppressed or "") > self.date
            ):
                warn(
                    "historical-event",
                    f"{h.name} ({h.istat}): event {h.event!r} does not "
                    f"start with one of {', '.join(EVENT_KINDS)}; treated as 'fusione'",
                )
            out[h.istat] = (
                "incorporazione"
                if word.startswith("incorpora")
                else "cambio-provincia"
                if word.startswith("cambio")
                else "fusione"
            )
        return out

    def existed(self, c: Comune) -> bool:
        """Did this registry comune exist (with this code) at the date?"""
        if not self.date:
            return not c.historical
        if c.historical:
            return bool(c.suppressed) and c.suppressed > self.date
        return c.istat not in self.new_since

    def comuni_of_province(self, sigla: str) -> list[Comune]:
        """The comuni of a province at the date (current ones that existed, and the ones
        suppressed since), by ISTAT code."""
        out = [c for c in self.reg.comuni_of_province(sigla) if self.existed(c)]
        out += [
            h for h in self.reg.historical.values() if h.province_sigla == sigla and self.existed(h)
        ]
        return sorted(out, key=lambda c: c.istat)

    def today(self, istat: str | None) -> Comune | None:
        """The comune of today's registry that a (possibly historical) code became."""
        seen = set()
        c = self.reg.get(istat) if istat else None
        while c is not None and c.historical and c.istat not in seen:
            seen.add(c.istat)
            c = self.reg.get(c.successor) if c.successor else None
        return c if c is not None and not c.historical else None

    def change_note(self, c: Comune) -> str:
        """What happened to a comune between the date and today's registry ('' if nothing)."""
        if c.historical:
            return c.event[:1].upper() + c.event[1:] if c.event else f"Soppresso dal {c.suppressed}"
        merged = sorted(
            h.name
            for h in self.reg.historical.values()
            if h.successor == c.istat
            and self.existed(h)
            and self.kinds[h.istat] == "incorporazione"
        )
        if merged:
            return f"Dopo la data del documento vi è stato incorporato: {', '.join(merged)}"
        return ""
