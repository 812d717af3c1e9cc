"""(placeholder until implemented)"""
from ..base import ParseResult


def parse(doc, ctx, acts) -> ParseResult:
    return ParseResult()
