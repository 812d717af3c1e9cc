"""The manifest and the vendored documents: hashes, encodings, files without entries."""

import hashlib
import io
import shutil

import pytest
import yaml

from generator import paths, sources
from generator.quality import Log


def quiet_log():
    return Log(stream=io.StringIO(), quiet=True)


def test_real_manifest_is_complete_and_hashes_match():
    """Every entry of the manifest, whatever it holds: its file is there, unchanged."""
    log = quiet_log()
    docs = sources.discover(log)
    assert [p for p in log.problems if p.level == "error"] == []
    listed = yaml.safe_load(paths.MANIFEST.read_text(encoding="utf-8"))["documents"]
    assert {d.id for d in docs} == {e["id"] for e in listed}
    assert {d.path.name for d in docs} | {"sources.yaml"} == {
        f.name for f in paths.SOURCES.iterdir() if not f.name.startswith(".")
    }
    for d in docs:
        assert d.sha256 == hashlib.sha256(d.path.read_bytes()).hexdigest()
        for key in sources.REQUIRED:
            assert d.meta.get(key), (d.id, key)


@pytest.fixture
def srcdir(tmp_path):
    """A copy of the SMART document with its own manifest."""
    d = tmp_path / "sources"
    d.mkdir()
    src = paths.SOURCES / "smart-polizia-locale-2025.txt"
    shutil.copy(src, d / "doc.txt")
    entry = dict(
        id="doc",
        file="doc.txt",
        title="t",
        issuer="i",
        date="2025-01-01",
        kind="k",
        official_reference="r",
        licence="l",
        status="official",
        parser="smart",
        sha256=hashlib.sha256(src.read_bytes()).hexdigest(),
    )
    (d / "sources.yaml").write_text(yaml.safe_dump({"documents": [entry]}), encoding="utf-8")
    return d


def _problems(srcdir):
    log = quiet_log()
    docs = sources.discover(log, srcdir)
    return docs, {(p.level, p.code): p for p in log.problems}


def test_clean_copy_loads(srcdir):
    docs, probs = _problems(srcdir)
    assert len(docs) == 1 and probs == {}


def test_changed_file_is_an_error(srcdir):
    with (srcdir / "doc.txt").open("a", encoding="utf-8") as f:
        f.write("una riga in più\n")
    docs, probs = _problems(srcdir)
    assert ("error", "hash-mismatch") in probs


def test_file_without_entry_and_entry_without_file(srcdir):
    (srcdir / "new.txt").write_text("x\n", encoding="utf-8")
    data = yaml.safe_load((srcdir / "sources.yaml").read_text())
    data["documents"].append({**data["documents"][0], "id": "ghost", "file": "ghost.txt"})
    (srcdir / "sources.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    docs, probs = _problems(srcdir)
    assert probs[("error", "unlisted-file")].file.endswith("new.txt")
    p = probs[("error", "file-missing")]
    assert p.file.endswith("sources.yaml") and p.line is not None


def test_latin1_names_the_line(srcdir):
    text = "riga uno\nriga due\nFenegr\xf2\n".encode("latin-1")
    (srcdir / "doc.txt").write_bytes(text)
    docs, probs = _problems(srcdir)
    p = probs[("error", "encoding")]
    assert p.line == 3 and docs == []


def test_bom_and_crlf_are_normalised_with_warnings(srcdir):
    raw = (srcdir / "doc.txt").read_bytes()
    (srcdir / "doc.txt").write_bytes(b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"))
    docs, probs = _problems(srcdir)
    assert ("warning", "bom") in probs and ("warning", "line-endings") in probs
    assert docs[0].lines == raw.decode().rstrip("\n").split("\n")


def test_binary_and_empty_are_rejected(srcdir):
    (srcdir / "doc.txt").write_bytes(b"abc\n\x00\x01\x02")
    assert _problems(srcdir)[1][("error", "binary")].line == 2
    (srcdir / "doc.txt").write_bytes(b"  \n")
    assert ("error", "empty") in _problems(srcdir)[1]


def test_path_traversal_id_and_file_are_refused(srcdir):
    data = yaml.safe_load((srcdir / "sources.yaml").read_text())
    data["documents"][0]["id"] = "../../etc"
    (srcdir / "sources.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert ("error", "manifest-id") in _problems(srcdir)[1]
    data["documents"][0]["id"] = "ok-id"
    data["documents"][0]["file"] = "../../etc/passwd"
    (srcdir / "sources.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert ("error", "manifest-path") in _problems(srcdir)[1]


def test_control_characters_are_reported_with_the_first_line(srcdir):
    """Tab and form feed are text; any other control character is reported (its first
    line, and how many lines hold one)."""
    doc = srcdir / "doc.txt"
    lines = doc.read_text(encoding="utf-8").split("\n")
    lines[1] += "\tcolonna\f"  # allowed
    lines[4] += "\x07"  # line 5
    lines[9] = "\x1b[0m" + lines[9]  # line 10
    doc.write_bytes("\r\n".join(lines).encode())  # CRLF: not a control character either
    data = yaml.safe_load((srcdir / "sources.yaml").read_text())
    data["documents"][0]["sha256"] = hashlib.sha256(doc.read_bytes()).hexdigest()
    (srcdir / "sources.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    docs, probs = _problems(srcdir)
    p = probs[("warning", "control-chars")]
    assert (p.line, p.message) == (5, "2 lines contain control characters")
    assert set(probs) == {("warning", "control-chars"), ("warning", "line-endings")}
