"""`[tool.migrate]` in the nearest pyproject.toml, and how the CLI's flags override it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import migrate.cli
from migrate import config
from migrate.cli import main

SOURCE = (
    "import tensorflow as tf\n"
    "a, b = tf.split(x, 2, axis=1)\n"
    "y = tf.reduce_sum(x, axis=1)\n"
    "z = tf.nn.relu(y)\n"
)


def project(root: Path, table: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"{table}\n[project]\nname = 'demo'\n")
    for name, text in (files or {"src/a.py": SOURCE}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def convert(*args: str | Path):
    return CliRunner().invoke(main, ["convert", *map(str, args)], catch_exceptions=False)


def rewritten_lines(diff: str) -> set[str]:
    return {line[1:].strip() for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")}


# ---------------------------------------------------------------------------------------
# config.load


def test_no_pyproject_gives_defaults(tmp_path: Path) -> None:
    settings = config.load(tmp_path)
    assert settings.select == ("ALL",) and settings.ignore == () and settings.exclude == ()
    assert settings.respect_gitignore is True and settings.jobs is None and settings.source is None


def test_pyproject_without_the_table_gives_defaults_based_there(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "pkg").mkdir()
    settings = config.load(tmp_path / "pkg")
    assert settings.select == ("ALL",) and settings.base == tmp_path.resolve()


def test_every_key(tmp_path: Path) -> None:
    project(
        tmp_path,
        "[tool.migrate]\nselect = ['ops']\nignore = ['ops.split']\nexclude = ['legacy/']\n"
        "respect-gitignore = false\njobs = 3\n",
    )
    settings = config.load(tmp_path / "src" / "a.py")
    assert settings.select == ("ops",)
    assert settings.ignore == ("ops.split",)
    assert settings.exclude == ("legacy/",)
    assert settings.respect_gitignore is False
    assert settings.jobs == 3
    assert settings.source == (tmp_path / "pyproject.toml").resolve()
    assert settings.base == tmp_path.resolve()


def test_the_nearest_pyproject_wins(tmp_path: Path) -> None:
    project(tmp_path, "[tool.migrate]\njobs = 1\n")
    project(tmp_path / "inner", "[tool.migrate]\njobs = 2\n", {"pkg/m.py": SOURCE})
    assert config.load(tmp_path / "inner" / "pkg" / "m.py").jobs == 2
    assert config.load(tmp_path / "inner").jobs == 2
    assert config.load(tmp_path / "src").jobs == 1


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[tool.migrate]\nselct = ['ops']\n", "unknown key [tool.migrate] selct (known: exclude, ignore, jobs"),
        ("[tool.migrate]\nselect = 'ops'\n", "select must be a list of strings"),
        ("[tool.migrate]\nexclude = [1]\n", "exclude must be a list of strings"),
        ("[tool.migrate]\nrespect-gitignore = 'no'\n", "respect-gitignore must be true or false"),
        ("[tool.migrate]\njobs = 0\n", "jobs must be a positive integer"),
        ("[tool.migrate]\njobs = true\n", "jobs must be a positive integer"),
        ("[tool]\nmigrate = 3\n", "[tool.migrate] must be a table"),
        ("tool = 1\n", "[tool] must be a table"),
        ("[tool.migrate\n", "not valid TOML"),
    ],
)
def test_bad_settings(tmp_path: Path, table: str, message: str) -> None:
    project(tmp_path, table)
    with pytest.raises(config.ConfigError) as raised:
        config.load(tmp_path / "src")
    assert message in str(raised.value)
    assert str(tmp_path / "pyproject.toml") in str(raised.value)
    assert "\n" not in str(raised.value)


def test_pyproject_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"# caf\xe9\n[tool.migrate]\n")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(tmp_path)


# ---------------------------------------------------------------------------------------
# Through the CLI


def test_select_and_ignore_from_pyproject(tmp_path: Path) -> None:
    project(tmp_path, "[tool.migrate]\nselect = ['ops']\nignore = ['ops.split']\n")
    result = convert(tmp_path / "src", "--diff")
    assert result.exit_code == 0
    assert rewritten_lines(result.stdout) == {"y = tf.reduce_sum(x, axis=1)"}
    assert "2 ignored" in result.stderr


def test_cli_select_overrides_pyproject_select(tmp_path: Path) -> None:
    project(tmp_path, "[tool.migrate]\nselect = ['ops']\n")
    result = convert(tmp_path / "src", "--diff", "--select", "nn")
    assert rewritten_lines(result.stdout) == {"z = tf.nn.relu(y)"}


def test_cli_ignore_adds_to_pyproject_ignore(tmp_path: Path) -> None:
    project(tmp_path, "[tool.migrate]\nignore = ['nn']\n")
    result = convert(tmp_path / "src", "--diff", "--ignore", "ops.split")
    assert rewritten_lines(result.stdout) == {"y = tf.reduce_sum(x, axis=1)"}


def test_select_accepts_commas_and_repeats(tmp_path: Path) -> None:
    project(tmp_path, "")
    result = convert(tmp_path / "src", "--diff", "--select", "ops.split, nn", "--select", "ops.reduce_sum")
    assert "3 rewritten" in result.stderr


@pytest.mark.parametrize(("cli_jobs", "expected"), [((), 3), (("-j", "1"), 1)])
def test_jobs_from_pyproject_and_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_jobs: tuple, expected: int) -> None:
    project(tmp_path, "[tool.migrate]\njobs = 3\n")
    seen: list[int] = []
    real = migrate.cli.migrate_files

    def spy(files, selection, jobs):  # noqa: ANN001, ANN202
        seen.append(jobs)
        return real(files, selection, 1)

    monkeypatch.setattr(migrate.cli, "migrate_files", spy)
    result = convert(tmp_path / "src", "--check", *cli_jobs)
    assert result.exit_code == 1
    assert seen == [expected]


def test_exclude_from_pyproject_is_relative_to_it(tmp_path: Path) -> None:
    project(tmp_path, "[tool.migrate]\nexclude = ['/src/legacy/']\n", {"src/a.py": SOURCE, "src/legacy/b.py": SOURCE, "src/pkg/legacy/c.py": SOURCE})
    result = convert(tmp_path / "src", "--check")
    assert "2 files" in result.stdout
    assert "legacy/b.py" not in result.stdout and "pkg/legacy/c.py" in result.stdout


def test_cli_exclude_adds_to_pyproject_exclude(tmp_path: Path) -> None:
    project(tmp_path, "[tool.migrate]\nexclude = ['legacy/']\n", {"src/a.py": SOURCE, "src/legacy/b.py": SOURCE, "src/gen/c.py": SOURCE})
    result = convert(tmp_path / "src", "--check", "--exclude", "gen/")
    assert "1 file " in result.stdout


@pytest.mark.parametrize(
    ("setting", "flag", "files"),
    [
        ("", (), 1),
        ("respect-gitignore = false\n", (), 2),
        ("", ("--no-respect-gitignore",), 2),
        ("respect-gitignore = false\n", ("--respect-gitignore",), 1),
    ],
)
def test_respect_gitignore_from_pyproject_and_cli(tmp_path: Path, setting: str, flag: tuple, files: int) -> None:
    project(tmp_path, f"[tool.migrate]\n{setting}", {"src/a.py": SOURCE, "src/gen/b.py": SOURCE, "src/.gitignore": "gen/\n"})
    result = convert(tmp_path / "src", "--check", *flag)
    assert f"{files} file{'s' if files > 1 else ' '}" in result.stdout


def test_settings_come_from_the_first_paths_project(tmp_path: Path) -> None:
    project(tmp_path / "one", "[tool.migrate]\nselect = ['nn']\n")
    result = convert(tmp_path / "one" / "src" / "a.py", "--diff")
    assert "1 rewritten" in result.stderr and "+z = torch.relu(y)" in result.stdout
