"""The source holds the Content-Security-Policy's promises (issue 7): no
inline script, style or event handler in any template, and no way for data
to become markup in Python (mark_safe, help texts crispy prints as HTML,
crispy layout strings compiled as templates)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("navigator", "cases", "followups", "referrals")


def templates() -> list[Path]:
    found = sorted((ROOT / "templates").rglob("*.html"))
    for app in APPS:
        found += sorted((ROOT / app).glob("templates/**/*.html"))
    assert len(found) > 40, found  # the walk found the templates
    return found


def python_files() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


# Each rule: what it finds, and why it is refused.
TEMPLATE_RULES = {
    # A JSON data block (type="application/json", json_script) never runs.
    re.compile(
        r"<script\b(?![^>]*\b(?:src=|type=[\"']application/json[\"']))[^>]*>", re.I
    ): "inline <script>: "
    "put it in navigator/static/navigator/navigator.js (data attributes)",
    re.compile(r"<style\b", re.I): "inline <style>: use navigator.css",
    re.compile(r"\sstyle\s*=", re.I): "style= attribute: use a class in navigator.css",
    re.compile(r"\son[a-z]+\s*=", re.I): "event-handler attribute: use navigator.js",
    re.compile(r"javascript:", re.I): "javascript: URL",
    re.compile(r"\|\s*safe\b"): "|safe prints data as HTML",
    re.compile(r"\{%\s*autoescape\s+off"): "autoescape off prints data as HTML",
    re.compile(r"hx-on|hx-vals\s*=\s*[\"']\s*js:|hx-vars"): "htmx code in an "
    "attribute needs eval, which the policy and htmx-config refuse",
    re.compile(r"hx-trigger\s*=\s*[\"'][^\"']*\["): "htmx trigger filter needs eval",
}


@pytest.mark.parametrize("path", templates(), ids=relative)
def test_templates_hold_no_inline_code_and_print_data_as_text(path):
    text = path.read_text()
    # Comments may say what is not done; only markup counts.
    text = re.sub(r"\{#.*?#\}", "", text)
    text = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", "", text, flags=re.S)
    found = [why for rule, why in TEMPLATE_RULES.items() if rule.search(text)]
    assert not found, f"{relative(path)}: {found}"


# Names that turn a string into markup without escaping it.
UNSAFE_NAMES = {"mark_safe", "SafeString", "SafeText", "mark_for_escaping"}


def _literal(node: ast.AST) -> bool:
    """A string fixed in the source: a constant or constants joined with +."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left) and _literal(node.right)
    return False


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def unsafe_markup(tree: ast.AST) -> list[str]:
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            name = node.id if isinstance(node, ast.Name) else node.attr
            if name in UNSAFE_NAMES:
                problems.append(f"line {node.lineno}: {name} prints data as HTML")
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in UNSAFE_NAMES:
                    problems.append(f"line {node.lineno}: imports {alias.name}")
        if isinstance(node, ast.keyword) and node.arg in (
            "is_safe",
            "needs_autoescape",
        ):
            problems.append(f"{node.arg}=: a template filter that emits markup")
        if not isinstance(node, ast.Call):
            continue
        called = _called(node)
        # crispy compiles these strings as templates: data in them would run
        # as template code, and comes out unescaped.
        if called in ("HTML", "Fieldset") and node.args and not _literal(node.args[0]):
            problems.append(f"line {node.lineno}: {called}() of a non-literal string")
        # format_html escapes its arguments, not its format string.
        if called == "format_html" and (
            not node.args or not _literal(node.args[0]) or len(node.args) < 2
        ):
            problems.append(
                f"line {node.lineno}: format_html needs a literal format and arguments"
            )
    return problems


@pytest.mark.parametrize("path", python_files(), ids=relative)
def test_python_builds_no_markup_from_data(path):
    problems = unsafe_markup(ast.parse(path.read_text(), filename=str(path)))
    assert not problems, f"{relative(path)}: {problems}"


def test_the_python_check_can_fail():
    bad = ast.parse(
        "from django.utils.safestring import mark_safe\n"
        "x = mark_safe(name)\n"
        "Fieldset(f'About {person}')\n"
        "HTML('<p>' + person.name + '</p>')\n"
        "format_html(f'<b>{name}</b>')\n"
        "@register.filter(is_safe=True)\ndef f(v): return v\n"
    )
    assert len(unsafe_markup(bad)) == 6, unsafe_markup(bad)
    good = ast.parse("Fieldset('When', 'due_at')\nHTML('<hr>' '<p>x</p>')\n")
    assert unsafe_markup(good) == []


def test_the_template_check_can_fail():
    bad = (
        '<div style="x"><script>1</script><a href="javascript:x" onclick="y">'
        "{{ v|safe }}</a><div hx-on:click='z'></div>"
    )
    assert sum(bool(rule.search(bad)) for rule in TEMPLATE_RULES) == 6


def test_crispy_help_texts_are_escaped():
    # Our override of crispy-bootstrap5's help_text.html (which says |safe).
    from django.template.loader import get_template

    template = get_template("bootstrap5/layout/help_text.html")
    # Django's template backend gives its templates an origin; the stubs'
    # protocol for any engine's template does not name it.
    assert "templates/bootstrap5" in str(template.origin.name)  # type: ignore[attr-defined]
    from django import forms

    class F(forms.Form):
        name = forms.CharField(help_text="<img src=x onerror=alert(1)>")

    from crispy_forms.utils import render_crispy_form

    html = render_crispy_form(F())
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
