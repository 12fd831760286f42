"""djLint's lint rules hold for every template (make lint runs the same in
CI), and the configuration in pyproject.toml still refuses an inline style
or script handler, which the Content-Security-Policy would block."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DJLINT = Path(sys.executable).with_name("djlint")

pytestmark = pytest.mark.skipif(
    not DJLINT.exists() and not shutil.which("djlint"),
    reason="djlint is not installed (pip install -e '.[dev]')",
)


def djlint(*paths: str | Path) -> subprocess.CompletedProcess[str]:
    command = str(DJLINT if DJLINT.exists() else "djlint")
    config = ["--configuration", str(ROOT / "pyproject.toml")]
    return subprocess.run(
        [command, *map(str, paths), "--lint", *config],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_templates_pass():
    result = djlint("templates")
    assert result.returncode == 0, result.stdout[-3000:]


def test_an_inline_style_is_refused(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<p style="color: red">{{ x }}</p>\n<img src="/a.png" alt="">\n')
    result = djlint(bad)
    assert result.returncode == 1
    assert "H021" in result.stdout  # inline style
    assert "H006" in result.stdout  # img without width / height
