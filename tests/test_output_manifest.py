"""The output manifest is saved with its body serialised once and read back checked on
its bytes: the same file the earlier format (``json.dumps({"sha256", "body"},
sort_keys=True)``) wrote, so a site built before is still taken over; any changed byte
makes it unreadable (the build then checks every file)."""

from __future__ import annotations

import hashlib
import json

from generator import output


def _save(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    files = {"index.html": ["ab" * 32, 10, 123], "comuni/001001/index.html": ["cd" * 32, 5, 9]}
    output.save_manifest(tmp_path / "cache", site, files, "inputs-digest", 0, {"main": "x"})
    return site, output.manifest_path(tmp_path / "cache", site)


def test_saved_manifest_reads_back_and_is_the_earlier_format(tmp_path):
    site, path = _save(tmp_path)
    body, why = output.read_manifest(tmp_path / "cache", site)
    assert why == "" and body["inputs"] == "inputs-digest"
    assert body["files"]["index.html"] == ["ab" * 32, 10, 123]
    checksum = hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    earlier = json.dumps({"sha256": checksum, "body": body}, sort_keys=True, separators=(",", ":"))
    assert path.read_bytes() == earlier.encode()


def test_a_changed_byte_makes_the_manifest_unreadable(tmp_path):
    site, path = _save(tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b'"inputs-digest"', b'"inputs-digesT"'))
    body, why = output.read_manifest(tmp_path / "cache", site)
    assert body is None and "corrupt" in why
    path.write_bytes(raw[:-1])  # truncated
    assert output.read_manifest(tmp_path / "cache", site)[0] is None
