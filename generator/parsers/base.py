"""The one small interface every Python parser has.

    class MyParser(Parser):
        family = "my_family"        # the `parser:` value in sources.yaml
        version = "1"               # bump when output changes (parse cache key)
        def parse(self, doc, ctx) -> ParseResult: ...

A parser reads one :class:`~generator.sources.Document` and returns a
:class:`~generator.extract.result.ParseResult`, built with the extraction toolkit
(``generator/extract``). Write a parser only for a layout a table spec
(``data/specs/``) cannot describe; ``docs/writing-a-spec.md`` says when.

A document may have both: the parser runs first (it may find the document's acts), then
the document's specs (``specs:`` in sources.yaml) add their tables, and finally the
parser's :meth:`Parser.complete` may cross-check what the specs produced.
"""

from __future__ import annotations

from ..extract.result import ParseContext, ParseResult


class Parser:
    family: str = ""
    version: str = "1"

    def parse(self, doc, ctx: ParseContext) -> ParseResult:  # pragma: no cover - interface
        raise NotImplementedError

    def complete(self, doc, ctx: ParseContext, result: ParseResult) -> None:
        """After the document's specs ran: tables and checks that need their rows."""
