"""Nothing is lost: on the real documents, every candidate line of every table is either
in a published row or rejected with a reason, and ``Table.lines_in`` says how many.

The invariant is ``corpus.accounting_errors``: ``lines_in`` = the non-blank lines inside the
rows' ``line_start..line_end`` + the table's rejected lines, no line both published and
rejected, every reject filed for a table the parser publishes. A summary table whose rows
span other tables' lines counts only its own candidates (``corpus.SUMMARY_CANDIDATES``:
the GU province table counts the province headings).
"""
from __future__ import annotations

import copy

import pytest

from corpus import accounting_errors, real_entries
from generator.parsers import families
from generator.quality import Reject
from support import _documents, parse_real

DOC_IDS = sorted(real_entries())


def test_every_parser_has_a_real_document_to_prove_it():
    assert set(families()) <= {e.get("parser") for e in real_entries().values()}


@pytest.mark.parametrize("doc_id", DOC_IDS)
def test_every_table_accounts_for_every_candidate_line(doc_id):
    doc = _documents()[doc_id]
    result, _, _ = parse_real(doc_id)
    assert [t for ds in result.datasets for t in ds.tables], f"{doc_id}: no table"
    assert accounting_errors(doc, result) == []


def test_the_invariant_catches_a_lost_line_a_double_count_and_a_missing_lines_in():
    doc = _documents()["smart-polizia-locale-2025"]
    result, _, _ = parse_real(doc.id)
    broken = copy.deepcopy(result)
    gruppi = broken.datasets[0].tables[0]
    lost = gruppi.rows.pop()                                      # a row silently dropped
    errors = accounting_errors(doc, broken)
    assert any("gruppi: lines_in=99, lines in rows 98" in e for e in errors), errors

    broken = copy.deepcopy(result)
    broken.rejects.append(Reject(doc.id, lost["line_start"], "", "prova", "gruppi"))
    assert any("both published and rejected" in e for e in accounting_errors(doc, broken))

    broken.datasets[0].tables[1].declared_lines_in = None
    assert any("partecipanti: lines_in is not set" in e for e in accounting_errors(doc, broken))
