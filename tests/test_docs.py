"""The documentation site: generated pages are current, every page is reachable, and the site
builds with `mkdocs build --strict` (what CI runs)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from migrate import clidocs, ruledocs
from migrate.cli import main
from migrate.rules import default_registry

from .conftest import ROOT

DOCS = ROOT / "docs"


def _nav_pages() -> list[str]:
    """Every page named in mkdocs.yml's nav (read as text: the file needs no YAML library)."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") :]
    return re.findall(r"^\s+- (?:[^:\n]+: )?(\S+\.md)$", nav, flags=re.M)


def test_cli_reference_is_generated_and_current() -> None:
    on_disk = (DOCS / "cli.md").read_text(encoding="utf-8")
    assert on_disk == clidocs.render(), "regenerate with `python -m migrate.clidocs docs/cli.md`"


def test_cli_reference_has_every_command_and_option() -> None:
    page = clidocs.render()
    ctx = click.Context(main, info_name="migrate")
    commands = main.list_commands(ctx)
    assert {"convert", "rules", "audit", "model", "weights", "check", "lsp", "export"} <= set(commands)
    for name in commands:
        command = main.get_command(ctx, name)
        assert command is not None
        assert f"## `migrate {name}`" in page
        for param in command.params:
            for opt in getattr(param, "opts", []) if isinstance(param, click.Option) else []:
                assert opt in page, f"`migrate {name}` option {opt} is missing from the CLI reference"


def test_getting_started_shows_the_readme_commands_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    commands = [block.strip() for block in re.findall(r"```sh\n(.*?)```", readme, flags=re.S)][:2]
    assert len(commands) == 2
    for command in commands:
        assert f"```sh\n{command}\n```" in page


def test_every_page_is_in_the_nav_and_linked_from_the_home_page() -> None:
    nav = _nav_pages()
    pages = sorted(p.name for p in DOCS.glob("*.md"))
    assert sorted(p for p in nav if "/" not in p) == pages, "add the page to mkdocs.yml's nav"
    assert "rules/index.md" in nav
    home = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in nav:
        if page != "index.md":
            assert f"]({page})" in home, f"docs/index.md does not link {page}"
    # Every JSON schema is linked from some page (the report's from the home page too).
    assert "](schemas/report.schema.json)" in home
    text = "".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    for schema in (DOCS / "schemas").glob("*.json"):
        assert f"schemas/{schema.name})" in text, f"no page links schemas/{schema.name}"


def test_semantics_page_links_only_rules_that_exist() -> None:
    text = (DOCS / "semantics.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(rules/([^)]+)\.md\)", text))
    assert linked, "the semantics page links the rules that apply each difference"
    assert not linked - set(default_registry().ids())


def test_site_builds_with_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")
    pytest.importorskip("material", reason="mkdocs-material is not installed (pip install -e '.[docs]')")
    # Build what the generators produce from the code now: the rule pages and the CLI
    # reference are regenerated into a copy (their staleness on disk is its own test:
    # test_project.py and test_cli_reference_is_generated_and_current).
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    shutil.rmtree(docs / "rules")
    (docs / "rules").mkdir()
    for name, text in ruledocs.pages().items():
        (docs / "rules" / name).write_text(text, encoding="utf-8")
    (docs / "cli.md").write_text(clidocs.render(), encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    shutil.copy(ROOT / "mkdocs.yml", config)
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    for page in ("index.html", "getting-started/index.html", "tutorial/index.html", "export/index.html",
                 "semantics/index.html", "cli/index.html", "rules/index.html", "schemas/report.schema.json"):
        assert (site / page).is_file(), page
    missing = [rule for rule in default_registry().ids() if not (site / "rules" / rule / "index.html").is_file()]
    assert not missing, f"rules without a page in the site: {missing[:10]}"


@pytest.mark.parametrize("page", ["getting-started.md", "tutorial.md", "export.md"])
def test_commands_in_the_guides_exist_with_those_options(page: str) -> None:
    """Every `migrate COMMAND --option` a guide shows is a real command and option."""
    text = (DOCS / page).read_text(encoding="utf-8")
    ctx = click.Context(main, info_name="migrate")
    lines = re.findall(r"(?:^|\$ |&& |\.venv/bin/)(?:[A-Z_]+=\S* )?migrate ([a-z]+)\b([^\n`|]*)", text, flags=re.M)
    assert lines, page
    if page == "tutorial.md":  # the whole route: audit → convert → model → weights → verify → export
        route = [name for name, _ in lines]
        first_uses = [name for i, name in enumerate(route) if name not in route[:i]]
        assert first_uses == ["audit", "convert", "model", "weights", "verify", "export"]
    for name, rest in lines:
        command = main.get_command(ctx, name)
        assert command is not None, f"{page}: `migrate {name}` is no command"
        options = {opt for param in command.params for opt in getattr(param, "opts", []) + getattr(param, "secondary_opts", [])}
        for option in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", rest):
            assert option in options, f"{page}: `migrate {name}` has no option {option}"


def test_cli_reference_does_not_depend_on_which_command_ran_first() -> None:
    from migrate.cli import lsp

    lsp.make_context("lsp", [])  # click caches the help option of the first context that asks
    assert clidocs.render() == (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
