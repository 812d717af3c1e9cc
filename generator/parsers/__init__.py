"""One parser per document family; ``sources.yaml`` names the family with ``parser:``."""

from __future__ import annotations

import importlib
import pkgutil

from .base import Parser

_FAMILIES: dict[str, type[Parser]] | None = None
BROKEN: dict[str, str] = {}  # module name -> import error (reported by the build)


def families() -> dict[str, type[Parser]]:
    """``{family: ParserClass}`` for every module in this package defining a Parser subclass.

    A module that fails to import is recorded in :data:`BROKEN` instead of breaking
    every other parser.
    """
    global _FAMILIES
    if _FAMILIES is None:
        _FAMILIES = {}
        for mod in pkgutil.iter_modules(__path__):
            if mod.name == "base":
                continue
            try:
                m = importlib.import_module(f"{__name__}.{mod.name}")
            except Exception as e:  # noqa: BLE001 - reported, not hidden
                BROKEN[mod.name] = f"{type(e).__name__}: {e}"
                continue
            for obj in vars(m).values():
                if (
                    isinstance(obj, type)
                    and issubclass(obj, Parser)
                    and obj is not Parser
                    and obj.family
                ):
                    _FAMILIES[obj.family] = obj
    return _FAMILIES


def get(family: str | None) -> Parser | None:
    cls = families().get(family or "")
    return cls() if cls else None
