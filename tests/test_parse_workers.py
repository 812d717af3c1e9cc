"""The parse stage in forked processes (a cold corpus of hundreds of bulletins) gives what
a parse in the build's own process gives: the same results, resolutions, problems and
messages, in the documents' order, and the same cache entries to reuse."""

from __future__ import annotations

import io

from generator import cache, parse, registry, sources
from generator.quality import Log


def _run(docs, reg, workers, cache_dir=None):
    log = Log(stream=io.StringIO())
    results, recs = parse.parse_all(docs, reg, log, cache_dir, "code", workers=workers)
    problems = [(p.level, p.code, p.message, p.file, p.line) for p in log.problems]
    return results, recs, problems, log.stream.getvalue()


def test_two_workers_parse_as_one(tmp_path):
    docs = sources.discover(Log(stream=io.StringIO(), quiet=True))
    reg = registry.load()
    one = _run(docs, reg, 1)
    two = _run(docs, reg, 2, tmp_path)
    assert list(two[0]) == list(one[0])  # the documents' order
    assert two[0] == one[0] and two[1] == one[1]
    assert two[2] == one[2] and two[3] == one[3]
    assert one[2]  # the real corpus has warnings to replay (unresolved names, ...)
    # the entries the workers' results were cached under give the same results again
    for d in docs:
        if d.id in one[0]:
            res, recs, problems = cache.load_parse(tmp_path, d, "code")
            assert res == one[0][d.id]
    again = _run(docs, reg, 2, tmp_path)
    assert again[0] == one[0] and again[2] == one[2]
