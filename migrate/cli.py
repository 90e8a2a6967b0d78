"""The command line. Exit codes, like ruff and black: 0 ok, 1 findings (TODOs left, or
``--check`` would change files), 2 usage or input error.

Only the commands that load models import TensorFlow or torch, and only when they run:
``migrate convert --help`` starts in a fraction of a second.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

import click

from migrate import __version__, config
from migrate.codemod import FileResult, Selection
from migrate.codemod.files import InputError, SourceFile, discover, write_atomic
from migrate.codemod.report import Report
from migrate.codemod.runner import default_jobs, migrate_files, migrate_text

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _UsageError(click.UsageError):
    """A usage error as one line, like every other error of the CLI (docs/convert.md)."""

    def show(self, file=None) -> None:  # noqa: ANN001
        hint = f" (see `{self.ctx.command_path} --help`)" if self.ctx is not None else ""
        click.echo(f"migrate: error: {self.format_message()}{hint}", err=True)


class _OneLineErrors:
    """Click prints a usage error as four lines (usage, hint, blank, `Error:`); ours are one."""

    def make_context(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        try:
            return super().make_context(*args, **kwargs)  # type: ignore[misc]
        except click.exceptions.NoArgsIsHelpError:
            raise  # `migrate` alone prints the help, as it should
        except click.UsageError as error:
            raise _UsageError(error.format_message(), error.ctx) from None

    def resolve_command(self, ctx, args):  # noqa: ANN001, ANN201
        try:
            return super().resolve_command(ctx, args)  # type: ignore[misc]
        except click.UsageError as error:
            raise _UsageError(error.format_message(), error.ctx) from None


class _Command(_OneLineErrors, click.Command):
    pass


class _Group(_OneLineErrors, click.Group):
    command_class = _Command


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option(
    "--respect-gitignore/--no-respect-gitignore",
    default=None,
    help="Skip what .gitignore files ignore (default: yes, or [tool.migrate] respect-gitignore).",
)
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
    respect_gitignore: bool | None,
    jobs: int | None,
    report_path: Path | None,
    quiet: bool,
) -> None:
    """Rewrite tf.keras / TF2 code under PATHS as PyTorch.

    Without -o or --in-place nothing is written: the report says what would change.
    PATH `-` reads standard input and writes the result to standard output.
    """
    # Usage errors are one line on stderr and exit 2 before anything is read or written.
    writes = [name for name, on in (("-o", output is not None), ("--in-place", in_place)) if on]
    dry = [name for name, on in (("--diff", diff), ("--check", check)) if on]
    if len(writes) > 1:
        _fail("-o and --in-place cannot be combined: choose where the result goes")
    if writes and dry:
        _fail(f"{dry[0]} writes nothing, so it cannot be combined with {writes[0]}")
    if report_path is not None and report_path.suffix not in (".json", ".md"):
        _fail(f"--report must name a .json or .md file, not {report_path}")
    stdin = Path("-") in paths
    if stdin and len(paths) > 1:
        _fail("`-` (standard input) cannot be combined with other paths")
    if stdin and writes:
        _fail(f"`-` (standard input) writes its result to standard output: {writes[0]} does not apply")

    try:
        settings = config.load(paths[0] if not stdin else Path.cwd())
    except config.ConfigError as error:
        _fail(str(error))
    selection = Selection(_ids(select) or settings.select, settings.ignore + _ids(ignore))
    from migrate.rules import default_registry

    unknown = selection.unknown(default_registry().ids())
    if unknown:
        _fail(f"unknown rule id or prefix: {', '.join(unknown)} (see `migrate rules`)")

    if stdin:
        sys.exit(_convert_stdin(selection, report_path, diff=diff, check=check, quiet=quiet))

    if output is not None:
        _check_output(paths, output)
    try:
        files = discover(
            paths,
            settings.exclude + exclude,
            respect_gitignore=settings.respect_gitignore if respect_gitignore is None else respect_gitignore,
            skip=output,
            base=settings.base,
        )
    except InputError as error:
        _fail(str(error))
    if not files:
        click.echo("migrate: no Python files or notebooks found", err=True)
        sys.exit(EXIT_OK)
    destinations = _destinations(paths, files, output) if output is not None else {}

    report = Report()
    would_change: list[str] = []
    out = sys.stdout
    to_stderr = diff  # keep stdout a clean diff
    with _progress(len(files), quiet) as advance:
        for source_file, result in migrate_files(files, selection, jobs or settings.jobs or default_jobs()):
            advance()
            try:
                if diff and result.changed:
                    out.write(_unified_diff(result.path, result.source, result.output))
                elif in_place and result.changed:
                    write_atomic(source_file.path, result.output)
                elif output is not None:
                    _write_output(source_file, destinations[source_file], result)
            except OSError as error:
                # A read-only directory or a full disk fails this file, not the run.
                result = replace(result, error=f"cannot be written: {error.strerror or error}")
            report.add(result)
            if result.changed:
                would_change.append(result.path)

    _write_report(report, report_path)
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


def _write_report(report: Report, report_path: Path | None) -> None:
    if report_path is None:
        return
    try:
        write_atomic(report_path, report.json_text() if report_path.suffix == ".json" else report.markdown())
    except OSError as error:
        _fail(f"{report_path}: cannot be written: {error.strerror or error}")


def _convert_stdin(selection: Selection, report_path: Path | None, diff: bool, check: bool, quiet: bool) -> int:
    try:
        source = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError:
        _fail("<stdin>: is not UTF-8")
    result = migrate_text(source, "<stdin>", selection)
    report = Report()
    report.add(result)
    if diff:
        if result.changed:
            sys.stdout.write(_unified_diff("<stdin>", result.source, result.output))
    elif not check:
        sys.stdout.write(result.output if not result.error else source)
    sys.stdout.flush()
    _write_report(report, report_path)
    if check and result.changed:
        click.echo("would migrate <stdin>", err=True)
    click.echo(report.summary_line() + "\n" if quiet else report.text(), nl=False, err=True)
    return _exit_code(report, check and result.changed)


def _check_output(paths: tuple[Path, ...], output: Path) -> None:
    for path in paths:
        if path.exists() and output.exists() and path.resolve() == output.resolve():
            _fail(f"-o {output} is the input itself: use --in-place to rewrite files where they are")
    if output.is_file() and not (len(paths) == 1 and paths[0].is_file()):
        _fail(f"-o {output} is a file, but the input is a directory or several paths")


def _destinations(paths: tuple[Path, ...], files: list[SourceFile], output: Path) -> dict[SourceFile, Path]:
    """Where each file goes under ``-o``; refuses collisions and overwriting an input."""
    # One file in: `-o new.py` names the file; an existing directory, or a name without a
    # suffix (`-o converted`), is a directory to put it in.
    single = len(paths) == 1 and paths[0].is_file()
    as_file = single and (output.is_file() or (not output.is_dir() and output.suffix != ""))
    destinations = {f: output if as_file else output / f.relative for f in files}
    seen: dict[Path, SourceFile] = {}
    for source_file, destination in destinations.items():
        key = destination.resolve()
        if key in seen:
            _fail(f"-o {output}: {seen[key].path} and {source_file.path} would both be written to {destination}")
        seen[key] = source_file
        if key == source_file.path.resolve():
            _fail(f"-o {output} would overwrite the input {source_file.path}: use --in-place to rewrite files where they are")
    return destinations


def _write_output(source_file: SourceFile, destination: Path, result: FileResult) -> None:
    mode = source_file.path.stat().st_mode & 0o7777  # a mirrored script stays executable
    if result.error:
        # Keep the mirrored tree complete: the file is copied as it was (and reported).
        try:
            data = source_file.path.read_bytes()
        except OSError:
            return  # unreadable: already reported as this file's error
        write_atomic(destination, data, mode)
        return
    write_atomic(destination, result.output, mode)


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
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            # On stderr, the stream whose tty-ness was tested: rich's default console is
            # stdout, which put the bar into `--diff > patch.diff`. stdout is not captured
            # either, for the same reason.
            self._bar = Progress(
                "converting",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
                redirect_stdout=False,
            )
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


def _fail(message: str) -> NoReturn:
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


# ---------------------------------------------------------------------------------------
# `migrate audit`: should a code base move, and what will it cost (migrate/audit/).


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--report", "report_path", type=click.Path(path_type=Path), help="Write the audit to FILE.md or FILE.json.")
@click.option("--exclude", multiple=True, metavar="PATTERN", help="gitignore-style pattern of paths to skip.")
def audit(paths: tuple[Path, ...], report_path: Path | None, exclude: tuple[str, ...]) -> None:
    """Assess PATHS before migrating: what the rules can do, what blocks, a recommendation.

    Reads the code, never runs it. Prints the Markdown audit, or writes it (or JSON) to
    --report and prints a summary line. Exit 0, or 2 on a usage or input error.
    """
    if report_path is not None and report_path.suffix not in (".json", ".md"):
        _fail(f"--report must name a .json or .md file, not {report_path}")
    from migrate.audit import audit as run_audit

    try:
        settings = config.load(paths[0])
    except config.ConfigError as error:
        _fail(str(error))
    try:
        result = run_audit(list(paths), settings.exclude + exclude, settings.respect_gitignore, settings.base)
    except InputError as error:
        _fail(str(error))
    if report_path is None:
        click.echo(result.markdown())
        return
    text = result.json_text() if report_path.suffix == ".json" else result.markdown()
    try:
        write_atomic(report_path, text)
    except OSError as error:
        _fail(f"{report_path}: cannot be written: {error.strerror or error}")
    click.echo(result.summary_line())


# ---------------------------------------------------------------------------------------
# `migrate model`: nn.Module source from a built Keras model (migrate/codegen/).


@main.command()
@click.argument("target")
@click.option("--args", "args_json", metavar="JSON", help="Keyword arguments for the factory, as a JSON object.")
@click.option("--class-name", metavar="NAME", help="Name of the generated nn.Module class (default: from the model name).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the module here (default: standard output).")
@click.option("--allow-todo", is_flag=True, help="Write a stub that raises NotImplementedError for unmapped layers (exit 1).")
@click.option("--unsafe", is_flag=True, help="Load a saved model with safe_mode=False (Lambda layers run pickled code).")
def model(target: str, args_json: str | None, class_name: str | None, output: Path | None, allow_todo: bool, unsafe: bool) -> None:
    """Write PyTorch source for the Keras model TARGET.

    TARGET is a factory, `pkg.module:function` or `pkg.module.Function` (imported and called
    with --args; e.g. keras.applications.ResNet50), or a saved .keras/.h5 file.
    """
    if class_name is not None and not class_name.isidentifier():
        _fail(f"--class-name {class_name!r} is not a Python identifier")
    from migrate.codegen import CodegenError, generate
    from migrate.codegen.load import LoadError, load_target, parse_args

    try:
        keras_model = load_target(target, parse_args(args_json), unsafe=unsafe)
        generated = generate(keras_model, class_name, allow_todo=allow_todo)
    except (LoadError, CodegenError) as error:
        _fail(str(error))
    if output is None:
        sys.stdout.write(generated.source)
    else:
        try:
            write_atomic(output, generated.source)
        except OSError as error:
            _fail(f"{output}: cannot be written: {error.strerror or error}")
    where = f"wrote {output}" if output is not None else "written to standard output"
    todo = f", {len(generated.todos)} TODO: {', '.join(generated.todos)}" if generated.todos else ""
    click.echo(f"migrate: {where}: class {generated.class_name}, {len(generated.slots)} weights mapped{todo}", err=True)
    sys.exit(EXIT_FINDINGS if generated.todos else EXIT_OK)



# ---------------------------------------------------------------------------------------
# `migrate weights`: Keras weights through ONNX into a state_dict (migrate/weights/).


@main.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@click.option("--module", "module_spec", required=True, metavar="PKG.MODULE:CLASS", help="The migrated nn.Module class (imported with the current directory on sys.path).")
@click.option("--module-args", metavar="JSON", help="Arguments for the class: a JSON object (keywords) or list (positional).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="Write the state_dict here (torch.save; loads with weights_only=True).")
@click.option("--onnx", "onnx_path", type=click.Path(path_type=Path), help="Also write the ONNX export the weights came through.")
@click.option("--safetensors", "safetensors_path", type=click.Path(path_type=Path), help="Also write the state_dict as safetensors.")
@click.option("--unsafe", is_flag=True, help="Load Lambda layers (they run code from the file): only for files you trust.")
def weights(
    model_path: Path,
    module_spec: str,
    module_args: str | None,
    output: Path,
    onnx_path: Path | None,
    safetensors_path: Path | None,
    unsafe: bool,
) -> None:
    """Convert the weights of MODEL (.keras, .h5) into a state_dict for the migrated module.

    The route is Keras → tf2onnx → ONNX → the module's names and layouts (NCHW); every tensor
    is checked against the Keras variable and the module loads it with strict=True.
    """
    named = [("-o", output), ("--onnx", onnx_path), ("--safetensors", safetensors_path)]
    paths = [(option, path.resolve()) for option, path in named if path is not None]
    for i, (option, path) in enumerate(paths):
        for other, other_path in paths[:i]:
            if path == other_path:
                _fail(f"{other} and {option} name the same file {path}")
    from migrate.weights import WeightsError, run
    from migrate.weights.module import build
    from migrate.weights.outputs import safetensors_bytes, state_dict_bytes, write_all

    try:
        module = build(module_spec, module_args)
        result = run(model_path, module, unsafe=unsafe)
        outputs = {output: state_dict_bytes(result.state_dict)}
        if onnx_path is not None:
            outputs[onnx_path] = result.onnx.SerializeToString()
        if safetensors_path is not None:
            outputs[safetensors_path] = safetensors_bytes(result.state_dict)
    except WeightsError as error:
        _fail(str(error))
    except ImportError as error:
        _fail(f"`migrate weights` needs the ml extra: pip install 'migrate[ml]' ({error})")
    try:
        write_all(outputs)
    except OSError as error:
        _fail(f"{getattr(error, 'filename', None) or output}: cannot be written: {error.strerror or error}")
    written = ", ".join(str(path) for path in outputs)
    click.echo(f"{len(result.state_dict)} tensors from {result.layers} Keras layers → {written}")


# ---------------------------------------------------------------------------------------
# `migrate verify`: the Keras model and the migrated module, compared (migrate/verify/).


@main.command("verify")
@click.option("--keras", "keras_target", required=True, metavar="MODEL_OR_FACTORY", help="A .keras/.h5 file, or a factory pkg.module:function / keras.applications.ResNet50 (called with --args).")
@click.option("--args", "args_json", metavar="JSON", help="Keyword arguments for the Keras factory, as a JSON object.")
@click.option("--torch", "module_spec", required=True, metavar="PKG.MODULE:CLASS", help="The migrated nn.Module class (imported with the current directory on sys.path).")
@click.option("--module-args", metavar="JSON", help="Arguments for the class: a JSON object (keywords) or list (positional).")
@click.option("--weights", "weights_path", type=click.Path(path_type=Path), help="The module's state_dict (.pt via torch.load weights_only=True, or .safetensors). Default: convert the Keras weights through ONNX.")
@click.option("--batch", type=click.IntRange(min=1), default=2, show_default=True, help="Rows of seeded random input.")
@click.option("--data", "data_path", type=click.Path(path_type=Path), help="Your own batch: an .npz with one array per model input (by input name, or in order), Keras layout.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random inputs and training targets.")
@click.option("--atol", type=click.FloatRange(min=0), default=1e-5, show_default=True, help="Absolute tolerance.")
@click.option("--rtol", type=click.FloatRange(min=0), default=1e-4, show_default=True, help="Relative tolerance (of |keras|).")
@click.option("--train-steps", type=click.IntRange(min=0), default=0, show_default=True, help="Also run N optimiser steps on each side and compare losses and parameters.")
@click.option("--train-atol", type=click.FloatRange(min=0), default=1e-4, show_default=True, help="Tolerance of the training check.")
@click.option("--speed", is_flag=True, help="Also time both frameworks (eager, compiled, XLA, ONNX Runtime).")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True, help="Where the torch module runs.")
@click.option("--no-reference", is_flag=True, help="Skip the ONNX Runtime and onnx2torch columns (with --weights: no ONNX export at all).")
@click.option("--json", "json_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the report as JSON.")
@click.option("--junit", "junit_path", type=click.Path(path_type=Path, dir_okay=False), help="Write the report as JUnit XML.")
@click.option("--unsafe", is_flag=True, help="Load a saved model with safe_mode=False (Lambda layers run code from the file).")
@click.option("-q", "--quiet", is_flag=True, help="Print the result lines only.")
def verify_command(
    keras_target: str, args_json: str | None, module_spec: str, module_args: str | None, weights_path: Path | None,
    batch: int, data_path: Path | None, seed: int, atol: float, rtol: float, train_steps: int, train_atol: float,
    speed: bool, device: str, no_reference: bool, json_path: Path | None, junit_path: Path | None, unsafe: bool, quiet: bool,
) -> None:
    """Check that the migrated module PKG.MODULE:CLASS computes what the Keras model computes.

    Both run on the same batch, each in its own layout; every output is compared (and against
    ONNX Runtime and onnx2torch on the export), and when they differ the first divergent layer
    is named. The Keras factory and the module class are imported and run: only name code you
    trust. Exit 0 equivalent, 1 mismatch, 2 usage or input error.
    """
    if json_path is not None and junit_path is not None and json_path.resolve() == junit_path.resolve():
        _fail("--json and --junit name the same file")
    try:
        from migrate.verify.cli_support import load_inputs, spinner
        from migrate.verify import VerifyError, verify as run_verify
    except ImportError as error:
        _fail(f"`migrate verify` needs the ml extra: pip install 'migrate[ml]' ({error})")
    with spinner(enabled=not quiet) as progress:
        try:
            keras_model, module = load_inputs(keras_target, args_json, module_spec, module_args, weights_path, unsafe, progress)
            report = run_verify(
                keras_model, module, batch=batch, data=data_path, atol=atol, rtol=rtol, train_steps=train_steps,
                train_atol=train_atol, speed=speed, device=device, convert_weights=weights_path is None,
                four_way=not no_reference, seed=seed, progress=progress,
            )
        except VerifyError as error:
            _fail(str(error))
    outputs = []
    if json_path is not None:
        import json

        outputs.append((json_path, json.dumps(report.to_dict(), indent=2, allow_nan=False, default=str) + "\n"))
    if junit_path is not None:
        outputs.append((junit_path, report.to_junit()))
    for path, text in outputs:
        try:
            write_atomic(path, text)
        except OSError as error:
            _fail(f"{path}: cannot be written: {error.strerror or error}")
    if quiet:
        click.echo("migrate verify: " + ("equivalent" if report.ok else "MISMATCH"))
        for line in report.failures():
            click.echo(f"  {line}")
    else:
        click.echo(report.render(), nl=False)
    sys.exit(EXIT_OK if report.ok else EXIT_FINDINGS)


# ---------------------------------------------------------------------------------------
# `migrate check`: the CI gate (migrate/gate/), and `migrate lsp`: the editor (migrate/lsp/).


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--baseline", "baseline_path", type=click.Path(path_type=Path, dir_okay=False), help="Known findings (JSON): only new ones fail.")
@click.option("--write-baseline", is_flag=True, help="Record the current findings in --baseline FILE and exit 0.")
@click.option("--against", type=click.Path(path_type=Path), metavar="OUT", help="Check that OUT is what `convert PATHS -o OUT` makes (drift).")
@click.option("--format", "fmt", type=click.Choice(["text", "sarif", "junit", "github"]), help="Output format (default: github under GitHub Actions, else text).")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the --format output to FILE; the terminal gets the text.")
@click.option("--select", multiple=True, metavar="IDS", help="Rule ids or prefixes to check (comma-separated).")
@click.option("--ignore", multiple=True, metavar="IDS", help="Rule ids or prefixes to skip (comma-separated).")
@click.option("--exclude", multiple=True, metavar="PATTERN", help="gitignore-style pattern of paths to skip.")
@click.option("--respect-gitignore/--no-respect-gitignore", default=None, help="Skip what .gitignore files ignore (default: yes).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: the CPUs available).")
def check(
    paths: tuple[Path, ...],
    baseline_path: Path | None,
    write_baseline: bool,
    against: Path | None,
    fmt: str | None,
    output: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    respect_gitignore: bool | None,
    jobs: int | None,
) -> None:
    """CI gate: exit 1 if PATHS hold TF/Keras code that is not in the baseline.

    Read-only: files are migrated in memory, nothing is written (except --output and
    --write-baseline) and no user code runs. With --against OUT, check instead that the
    migrated tree OUT is exactly what `migrate convert PATHS -o OUT` produces.
    """
    import os

    from migrate import gate
    from migrate.gate.formats import render

    if write_baseline and baseline_path is None:
        _fail("--write-baseline needs --baseline FILE: where to record the findings")
    if write_baseline and against is not None:
        _fail("--against checks drift, which is never baselined: drop --write-baseline")
    if Path("-") in paths:
        _fail("`migrate check` reads files, not standard input: name the files or directories")
    console = "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"
    fmt = fmt or console
    try:
        settings = config.load(paths[0])
    except config.ConfigError as error:
        _fail(str(error))
    selection = Selection(_ids(select) or settings.select, settings.ignore + _ids(ignore))
    from migrate.rules import default_registry

    unknown = selection.unknown(default_registry().ids())
    if unknown:
        _fail(f"unknown rule id or prefix: {', '.join(unknown)} (see `migrate rules`)")
    baseline = None
    if baseline_path is not None and not (write_baseline and not baseline_path.exists()):
        try:
            baseline = gate.Baseline.read(baseline_path)
        except gate.BaselineError as error:
            _fail(str(error))
    try:
        files = discover(
            paths,
            settings.exclude + exclude,
            respect_gitignore=settings.respect_gitignore if respect_gitignore is None else respect_gitignore,
            skip=against,
            base=settings.base,
        )
    except InputError as error:
        _fail(str(error))
    mirror = None
    if against is not None:
        single = len(paths) == 1 and paths[0].is_file()
        as_file = single and (against.is_file() or (not against.is_dir() and against.suffix != ""))
        mirror = {f: against if as_file else against / f.relative for f in files}

    result = gate.run(files, selection, settings.base, jobs or settings.jobs or default_jobs(), against=mirror)
    if write_baseline:
        assert baseline_path is not None
        recorded = (baseline or gate.Baseline()).updated(result)
        try:
            recorded.write(baseline_path)
        except OSError as error:
            _fail(f"{baseline_path}: cannot be written: {error.strerror or error}")
        click.echo(f"migrate check: recorded {sum(recorded.counts.values())} findings in {baseline_path}")
        for path, why in result.errors:
            click.echo(f"{path}: error: {why}", err=True)
        sys.exit(EXIT_ERROR if result.errors else EXIT_OK)
    if baseline is not None:
        result = baseline.apply(result)
    if output is not None:
        try:
            write_atomic(output, render(result, fmt))
        except OSError as error:
            _fail(f"{output}: cannot be written: {error.strerror or error}")
        click.echo(render(result, console), nl=False)
    else:
        click.echo(render(result, fmt), nl=False)
    sys.exit(result.exit_code())


@main.command()
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default, and the only way).")
def lsp(stdio: bool) -> None:  # noqa: ARG001
    """Language server for editors: diagnostics and "Migrate … to PyTorch" code actions."""
    try:
        from migrate.lsp.server import serve
    except ImportError as error:
        _fail(f"`migrate lsp` needs pygls: pip install 'migrate[lsp]' ({error})")
    serve()


# ---------------------------------------------------------------------------------------
# `migrate export`: deployable artefacts of the migrated module, each checked (migrate/export/).

_EXPORT_TARGETS = ("onnx", "torch-export", "aoti", "executorch", "triton")


@main.command("export")
@click.argument("module_spec", metavar="PKG.MODULE:CLASS")
@click.option("--weights", "weights_path", required=True, type=click.Path(path_type=Path), help="The state_dict to load (torch.load with weights_only=True, strict).")
@click.option("--module-args", metavar="JSON", help="Arguments for the class: a JSON object (keywords) or list (positional).")
@click.option("--example-shape", "shapes", multiple=True, required=True, metavar="N,C,H,W", help="Shape of the example input; repeat for each input of forward.")
@click.option("--dtype", type=click.Choice(["float32", "float64", "float16", "bfloat16"]), default="float32", show_default=True, help="Dtype of the module and the example inputs.")
@click.option("--to", "target", required=True, type=click.Choice(_EXPORT_TARGETS), help="What to write.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="The artefact (.onnx, .pt2, .pte), or for triton the model repository directory.")
@click.option("--name", metavar="NAME", help="Triton model name (default: the class name in snake_case).")
@click.option("--atol", type=click.FloatRange(min=0), help="Largest max |Δ| allowed against the eager module (default: 1e-5; 1e-2 float16, 5e-2 bfloat16).")
def export_command(
    module_spec: str,
    weights_path: Path,
    module_args: str | None,
    shapes: tuple[str, ...],
    dtype: str,
    target: str,
    output: Path,
    name: str | None,
    atol: float | None,
) -> None:
    """Export the migrated module PKG.MODULE:CLASS with --weights for deployment.

    The class is imported and run (only name code you trust). The artefact is loaded back with
    its own runtime and its outputs compared with the eager module's on seeded inputs of
    --example-shape; it is written only if they match. Exit 0 written; 1 the artefact does not
    load back or does not match (nothing written); 2 usage or input error.
    """
    from migrate.export import ArtefactError, ExportError, export

    try:
        result = export(
            module_spec, weights_path, list(shapes), target, output,
            module_args=module_args, dtype=dtype, atol=atol, name=name,
        )
    except ExportError as error:
        _fail(str(error))
    except ArtefactError as error:
        click.echo(f"migrate: export failed: {error}", err=True)
        sys.exit(EXIT_FINDINGS)
    except OSError as error:
        _fail(f"{output}: cannot be written: {error.strerror or error}")
    click.echo(result.summary_line())
