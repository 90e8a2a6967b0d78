"""The CLI reference, generated from the click commands themselves.

``python -m migrate.clidocs docs/cli.md`` writes it; a test fails when the page is stale, so
every command and option is documented exactly as ``--help`` describes it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

_HEADER = """# CLI reference

Generated from the click commands by `python -m migrate.clidocs docs/cli.md`: every command
and option, as `migrate COMMAND --help` prints them. Exit codes, for every command: 0 ok,
1 findings (TODOs left, a check that fails, an artefact that does not match), 2 a usage or
input error, printed as one line `migrate: error: …` on standard error.
"""


def render(group: click.Group | None = None) -> str:
    if group is None:
        from migrate.cli import main as group
    root = click.Context(group, info_name="migrate")
    parts = [_HEADER, "| command | what it does |\n|---|---|"]
    commands = [(name, group.get_command(root, name)) for name in group.list_commands(root)]
    for name, command in commands:
        assert command is not None
        parts.append(f"| [`migrate {name}`](#migrate-{name}) | {_cell(command.get_short_help_str(limit=200))} |")
    parts.append("")
    parts.append(_section(group, root, "migrate", title="`migrate`"))
    for name, command in commands:
        assert command is not None
        ctx = click.Context(command, info_name=name, parent=root)
        parts.append(_section(command, ctx, f"migrate {name}", title=f"`migrate {name}`"))
    return "\n".join(parts).rstrip("\n") + "\n"


def _section(command: click.Command, ctx: click.Context, path: str, title: str) -> str:
    """A heading (its anchor is the slug of the text: `migrate export` → #migrate-export), the
    usage line, the help, and a table of the options. Arguments are in the usage line."""
    usage = " ".join(command.collect_usage_pieces(ctx))
    lines = [f"## {title}", "", "```", f"{path} {usage}".rstrip(), "```", ""]
    if command.help:
        lines += [_help_text(command.help), ""]
    rows = []
    help_option = command.get_help_option(ctx)
    for param in command.get_params(ctx):
        if param is help_option:
            # click caches a command's help option with the names of the first context that
            # asked (a test invoking the command alone gets only `--help`): write it from ours.
            rows.append(f"| `{', '.join(ctx.help_option_names)}` | Show this message and exit. |")
            continue
        record = None if isinstance(param, click.Argument) else param.get_help_record(ctx)
        if record is None:
            continue
        opts, help_text = record
        # Inside a code span a pipe does not split the table cell (and `\|` would show).
        rows.append(f"| `{' '.join(opts.split())}` | {_cell(help_text)} |")
    if rows:
        lines += ["| option | effect |", "|---|---|", *rows, ""]
    return "\n".join(lines)


def _help_text(text: str) -> str:
    """click's docstring help: paragraphs kept, lines within a paragraph joined."""
    paragraphs = [" ".join(line.strip() for line in block.strip().splitlines()) for block in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main(path: str) -> None:
    Path(path).write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/cli.md")
