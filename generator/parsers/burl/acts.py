"""Acts of a BURL issue. (placeholder until implemented)"""
from ..base import Act


def parse_acts(doc, ctx) -> list[Act]:
    return []
