"""Dependencies run one way (DESIGN.md, "Architecture").

The layers are the import-linter contract in pyproject.toml
(docs/decisions/0010-layers.md); ``make lint`` runs ``lint-imports`` and these
tests run it too, so the suite fails on an upward import as CI's lint does.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("navigator", "cases", "followups", "referrals")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _config() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]


def _layer_modules() -> set[str]:
    modules: set[str] = set()
    for contract in _config()["contracts"]:
        for layer in contract.get("layers", []):
            for part in layer.replace("|", ":").split(":"):
                modules.add(part.strip().strip("()"))
    return modules


def _project_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imports_project_code(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else ["."]
        else:
            continue
        if any(n == "." or n.split(".")[0] in PACKAGES for n in names):
            return True
    return False


def test_the_layers_contract_is_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_module_sits_in_a_layer():
    """A new module (cases/screenings/, a new command) must be given a layer,
    or nothing would check what it imports."""
    layers = _layer_modules()
    unplaced = [
        name
        for name, path in _project_modules().items()
        if not any(name == m or name.startswith(f"{m}.") for m in layers)
        # A package that only holds layers (cases, cases.management) may
        # stay out, as long as its __init__ imports nothing of ours.
        and not (
            any(m.startswith(f"{name}.") for m in layers)
            and not _imports_project_code(path)
        )
    ]
    assert unplaced == [], (
        "Give these modules a layer in pyproject.toml [tool.importlinter] "
        f"(docs/decisions/0010-layers.md): {unplaced}"
    )


def test_an_upward_import_breaks_the_contract(tmp_path):
    """The contract bites: the core importing follow-ups inside a function
    (how the cycle used to be dodged) fails lint-imports."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "cases" / "selectors.py").open("a") as f:
        f.write(
            "\n\ndef _planted():\n"
            "    from followups.selectors import followup_is_overdue\n\n"
            "    return followup_is_overdue\n"
        )

    result = _lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "cases.selectors is not allowed to import followups" in result.stdout
