"""The command line. Exit codes, like ruff and black: 0 ok, 1 findings (TODOs left, or
``--check`` would change files), 2 usage or input error.

Only the commands that load models import TensorFlow or torch, and only when they run:
``migrate convert --help`` starts in a fraction of a second.
"""

from __future__ import annotations

import difflib
import shutil
import sys
from pathlib import Path

import click

from migrate import __version__, config
from migrate.codemod import Selection, migrate_source
from migrate.codemod.files import InputError, SourceFile, discover, write_atomic
from migrate.codemod.report import Report
from migrate.codemod.runner import default_jobs, migrate_files

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="migrate")
def main() -> None:
    """Migrate TensorFlow/Keras code to PyTorch."""


def _ids(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--select a,b --select c`` → ("a", "b", "c")."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the migrated tree (or file) here.")
@click.option("--in-place", is_flag=True, help="Rewrite the files where they are (atomically).")
@click.option("--diff", is_flag=True, help="Print a unified diff instead of writing.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if any file would change.")
@click.option("--select", multiple=True, metavar="IDS", help="Rule ids or prefixes to run (comma-separated).")
@click.option("--ignore", multiple=True, metavar="IDS", help="Rule ids or prefixes to skip (comma-separated).")
@click.option("--exclude", multiple=True, metavar="PATTERN", help="gitignore-style pattern of paths to skip.")
@click.option("--no-respect-gitignore", is_flag=True, help="Also convert files .gitignore ignores.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: the CPUs available).")
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="Write the report to FILE.json or FILE.md.")
@click.option("-q", "--quiet", is_flag=True, help="Print the summary line only.")
def convert(
    paths: tuple[Path, ...],
    output: Path | None,
    in_place: bool,
    diff: bool,
    check: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    no_respect_gitignore: bool,
    jobs: int | None,
    report_path: Path | None,
    quiet: bool,
) -> None:
    """Rewrite tf.keras / TF2 code under PATHS as PyTorch.

    Without -o or --in-place nothing is written: the report says what would change.
    PATH `-` reads standard input and writes the result to standard output.
    """
    writes = [name for name, on in (("-o", output is not None), ("--in-place", in_place)) if on]
    dry = [name for name, on in (("--diff", diff), ("--check", check)) if on]
    if len(writes) > 1:
        raise click.UsageError("-o and --in-place cannot be combined: choose where the result goes")
    if writes and dry:
        raise click.UsageError(f"{dry[0]} writes nothing, so it cannot be combined with {writes[0]}")
    if report_path is not None and report_path.suffix not in (".json", ".md"):
        raise click.UsageError(f"--report must name a .json or .md file, not {report_path}")
    stdin = Path("-") in paths
    if stdin and len(paths) > 1:
        raise click.UsageError("`-` (standard input) cannot be combined with other paths")

    try:
        settings = config.load(paths[0] if not stdin else Path.cwd())
    except config.ConfigError as error:
        _fail(str(error))
    selection = Selection(_ids(select) or settings.select, settings.ignore + _ids(ignore))
    from migrate.rules import default_registry

    unknown = selection.unknown(default_registry().ids())
    if unknown:
        raise click.UsageError(f"unknown rule id or prefix: {', '.join(unknown)} (see `migrate rules`)")

    if stdin:
        sys.exit(_convert_stdin(selection, report_path))

    if output is not None:
        _check_output(paths, output)
    try:
        files = discover(
            paths,
            settings.exclude + exclude,
            respect_gitignore=settings.respect_gitignore and not no_respect_gitignore,
            skip=output,
            base=settings.base,
        )
    except InputError as error:
        _fail(str(error))
    if not files:
        click.echo("migrate: no Python files or notebooks found", err=True)
        sys.exit(EXIT_OK)

    report = Report()
    would_change: list[str] = []
    out = click.get_text_stream("stdout")
    to_stderr = diff  # keep stdout a clean diff
    with _progress(len(files), quiet) as advance:
        for source_file, result in migrate_files(files, selection, jobs or settings.jobs or default_jobs()):
            report.add(result)
            advance()
            if result.changed:
                would_change.append(result.path)
            if diff and result.changed:
                out.write(_unified_diff(result.path, result.source, result.output))
            elif in_place and result.changed:
                write_atomic(source_file.path, result.output)
            elif output is not None:
                _write_output(source_file, output, result, single_file=len(paths) == 1 and paths[0].is_file())

    if report_path is not None:
        write_atomic(report_path, report.json_text() if report_path.suffix == ".json" else report.markdown())
    if check:
        for path in would_change:
            click.echo(f"would migrate {path}", err=to_stderr)
    text = report.summary_line() + "\n" if quiet else report.text()
    click.echo(text, nl=False, err=to_stderr)
    if not writes and not dry and would_change:
        click.echo("nothing written: use -o OUT or --in-place to write the migrated code", err=True)
    sys.exit(_exit_code(report, check and bool(would_change)))


def _exit_code(report: Report, check_failed: bool) -> int:
    if report.errors:
        return EXIT_ERROR
    if check_failed or report.todo_by_rule():
        return EXIT_FINDINGS
    return EXIT_OK


def _convert_stdin(selection: Selection, report_path: Path | None) -> int:
    try:
        source = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError:
        _fail("<stdin>: is not UTF-8")
    result = migrate_source(source, "<stdin>", selection)
    report = Report()
    report.add(result)
    sys.stdout.write(result.output if not result.error else source)
    if report_path is not None:
        write_atomic(report_path, report.json_text() if report_path.suffix == ".json" else report.markdown())
    click.echo(report.text(), nl=False, err=True)
    return _exit_code(report, False)


def _check_output(paths: tuple[Path, ...], output: Path) -> None:
    for path in paths:
        if path.exists() and output.exists() and path.resolve() == output.resolve():
            raise click.UsageError(f"-o {output} is the input itself: use --in-place to rewrite files where they are")
    if output.is_file() and not (len(paths) == 1 and paths[0].is_file()):
        raise click.UsageError(f"-o {output} is a file, but the input is a directory or several paths")


def _write_output(source_file: SourceFile, output: Path, result, single_file: bool) -> None:  # noqa: ANN001
    if single_file and not output.is_dir():
        destination = output
    else:
        destination = output / source_file.relative
    if result.error:
        # Keep the mirrored tree complete: the file is copied as it was (and reported).
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source_file.path.resolve() != destination.resolve():
            shutil.copyfile(source_file.path, destination)
        return
    write_atomic(destination, result.output)


def _unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class _progress:
    """A progress bar on a terminal for trees; silent when piped (CI logs stay clean)."""

    def __init__(self, total: int, quiet: bool):
        self._bar = None
        if not quiet and total > 1 and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._bar = Progress("converting", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
            self._task = self._bar.add_task("convert", total=total)

    def __enter__(self):  # noqa: ANN204
        if self._bar is not None:
            self._bar.start()
        return self._advance

    def _advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        if self._bar is not None:
            self._bar.stop()


def _fail(message: str) -> None:
    click.echo(f"migrate: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


# ---------------------------------------------------------------------------------------


@main.command()
@click.argument("rule_id", required=False)
def rules(rule_id: str | None) -> None:
    """List the rules, or print the documentation of one (RULE_ID)."""
    from migrate.ruledocs import render_text
    from migrate.rules import default_registry

    registry = default_registry()
    if rule_id is None:
        width = max(len(r.id) for r in registry)
        for rule in registry:
            click.echo(f"{rule.id:<{width}}  {rule.summary}")
        click.echo(f"\n{len(registry)} rules. `migrate rules ID` shows one.")
        return
    rule = registry.get(rule_id)
    if rule is None:
        close = difflib.get_close_matches(rule_id, registry.ids(), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        _fail(f"no rule {rule_id!r}{hint}")
    click.echo(render_text(rule))
