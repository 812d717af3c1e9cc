"""Table specs: a new document layout becomes validated data with a YAML file, not Python.

``data/specs/<name>.yaml`` declares where a table is, its row grammar, its columns (with
Table Schema metadata), the block headings, the totals line and the figures the document
declares, and what the rows must prove; ``sources.yaml`` names the specs of a document
(``specs: [name, ...]``). The engine (:mod:`.engine`) turns document + spec into tables
with provenance and checks, exactly as a hand-written parser does, on the same toolkit
(``generator/extract``). A Python parser's tables are declared in a spec too (``parser:
true``: metadata, columns, keys and the checks on their rows; :func:`parser_table`). The
guide is ``docs/writing-a-spec.md``.
"""

from .engine import apply, declared_dataset, parser_table
from .load import Spec, SpecError, load

__all__ = ["apply", "declared_dataset", "parser_table", "load", "Spec", "SpecError"]
