"""``tf.io.gfile`` (and TF1's ``tf.gfile``) → the standard library: ``open``, ``os``,
``os.path``, ``shutil`` and ``glob``.

Scripts use gfile for checkpoint and log directories. On local paths each function does what
its standard-library counterpart does; where TF is stricter or looser (``copy`` and ``rename``
refuse to overwrite unless asked, ``makedirs`` accepts an existing directory) the rewrite
carries TF's behaviour or stays a TODO. Two differences hold for every row and are said once
here: paths with a scheme (``gs://``, ``s3://``, ``hdfs://``) need ``fsspec`` (``fsspec.open``
and its filesystem's methods) after the migration, and errors are the standard ``OSError``
subclasses (``FileNotFoundError``, ``FileExistsError``) instead of ``tf.errors.NotFoundError``
and ``AlreadyExistsError``, so an ``except tf.errors...`` around the call needs changing too.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from migrate.rules.base import CannotMigrate, Rule, RuleContext, code_of, literal_or

_SCHEMES = (
    " Paths with a scheme (`gs://`, `s3://`) need `fsspec` instead, and errors are `OSError`s "
    "(`FileNotFoundError`…) where TF raised `tf.errors.NotFoundError`."
)


@dataclass(frozen=True)
class _Row:
    name: str  # the gfile function
    template: str  # the rewrite, with {0}, {1} … for the positional parameters in order
    params: tuple[str, ...]  # gfile's parameters, in order
    why: str
    #: A parameter whose literal value must be True for the rewrite to be faithful, with the
    #: reason otherwise.
    requires_true: tuple[str, str] | None = None
    defaults: tuple[tuple[str, str], ...] = ()


_ROWS = (
    _Row("GFile", "open({0}, {1})", ("name", "mode"), "`GFile(name, mode)` reads and writes as `open` does: text for \"r\"/\"w\", bytes for \"rb\"/\"wb\", and it is a context manager.", defaults=(("mode", '"r"'),)),
    _Row("exists", "os.path.exists({0})", ("path",), "The same test."),
    _Row("isdir", "os.path.isdir({0})", ("path",), "The same test."),
    _Row("listdir", "os.listdir({0})", ("path",), "Both list the names in the directory, without `.` and `..`, in no promised order."),
    _Row("glob", "glob.glob({0})", ("pattern",), "Both return the matching paths as a list, in no promised order."),
    _Row("walk", "os.walk({0}, topdown={1})", ("top", "topdown"), "Both yield `(directory, subdirectories, files)`, top-down by default.", defaults=(("topdown", "True"),)),
    _Row("makedirs", "os.makedirs({0}, exist_ok=True)", ("path",), "Both create the missing parents; TF accepts a directory that already exists, hence `exist_ok=True`."),
    _Row("mkdir", "os.makedirs({0}, exist_ok=True)", ("path",), "TF accepts a directory that already exists, as `exist_ok=True` does; where TF fails on a missing parent, `os.makedirs` creates it."),
    _Row("remove", "os.remove({0})", ("path",), "Both delete one file and raise when it is missing."),
    _Row("rmtree", "shutil.rmtree({0})", ("path",), "Both delete the directory and everything in it."),
    _Row("join", "os.path.join({0}, *{1})", ("path", "*paths"), "The same join on local paths (TF also joins URLs)."),
    _Row(
        "copy",
        "shutil.copyfile({0}, {1})",
        ("src", "dst", "overwrite"),
        "`shutil.copyfile` overwrites the destination, which TF does only with `overwrite=True`.",
        requires_true=("overwrite", "TF refuses to overwrite an existing destination unless `overwrite=True`; `shutil.copyfile` always overwrites — check `os.path.exists(dst)` first"),
    ),
    _Row(
        "rename",
        "os.replace({0}, {1})",
        ("src", "dst", "overwrite"),
        "`os.replace` overwrites the destination, which TF does only with `overwrite=True`.",
        requires_true=("overwrite", "TF refuses to overwrite an existing destination unless `overwrite=True`; `os.rename` overwrites a file on POSIX — check `os.path.exists(dst)` first"),
    ),
)

_PREFIXES = ("tf.io.gfile.", "tf.gfile.")
_ALIASES = {"GFile": ("Open", "FastGFile"), "exists": ("Exists",), "isdir": ("IsDirectory",), "listdir": ("ListDirectory",), "glob": ("Glob",), "makedirs": ("MakeDirs",), "mkdir": ("MkDir",), "remove": ("Remove",), "rmtree": ("DeleteRecursively",), "walk": ("Walk",), "copy": ("Copy",), "rename": ("Rename",)}


def _names(row: _Row) -> tuple[str, ...]:
    spellings = (row.name, *_ALIASES.get(row.name, ()))
    return tuple(f"{prefix}{spelling}" for prefix in _PREFIXES for spelling in spellings if not (prefix == "tf.io.gfile." and spelling[0].isupper() and spelling != "GFile"))


def _bind(call: cst.Call, params: tuple[str, ...]) -> dict[str, cst.BaseExpression | list[cst.Arg]]:
    bound: dict[str, cst.BaseExpression | list[cst.Arg]] = {}
    positional = [p for p in params if not p.startswith("*")]
    rest: list[cst.Arg] = []
    for index, arg in enumerate(call.args):
        if arg.star:
            raise CannotMigrate("arguments passed with * or ** cannot be matched to gfile's parameters here")
        if arg.keyword is not None:
            if arg.keyword.value not in params:
                raise CannotMigrate(f"`{arg.keyword.value}=` is not a parameter of this gfile function")
            bound[arg.keyword.value] = arg.value
        elif index < len(positional):
            bound[positional[index]] = arg.value
        elif any(p.startswith("*") for p in params):
            rest.append(arg)
        else:
            raise CannotMigrate("more arguments than the gfile function takes")
    if any(p.startswith("*") for p in params):
        bound["*"] = rest
    return bound


class GfileCall(Rule):
    def __init__(self, row: _Row):
        self.row = row
        self.id = f"gfile.{row.name.lower()}"
        self.names = _names(row)
        self.summary = f"`tf.io.gfile.{row.name}(…)` → `{row.template.format(*row.params).replace('*paths', 'paths')}`."
        self.why = row.why + _SCHEMES
        self.example = f"tf.io.gfile.{row.name}({', '.join(p for p in row.params if not p.startswith('*'))})"

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        row = self.row
        bound = _bind(call, row.params)
        if row.requires_true is not None:
            flag, reason = row.requires_true
            if literal_or(bound.get(flag), False) is not True:  # type: ignore[arg-type]
                raise CannotMigrate(reason)
        defaults = dict(row.defaults)
        values: list[str] = []
        for param in row.params:
            if param.startswith("*"):
                values.append("")
                continue
            if param == (row.requires_true or ("",))[0]:
                continue
            node = bound.get(param)
            if node is None:
                if param not in defaults:
                    raise CannotMigrate(f"`{param}` is missing")
                values.append(defaults[param])
            else:
                values.append(code_of(node))  # type: ignore[arg-type]
        text = row.template.format(*values)
        if "*paths" in row.params:
            rest = ", ".join(code_of(a.value) for a in bound["*"])  # type: ignore[union-attr]
            text = text.replace(", *)", f", {rest})" if rest else ")")
        head, _, tail = text.partition("(")
        spelled = head if head == "open" else code_of(ctx.name(head))
        return cst.parse_expression(f"{spelled}({tail}")


RULES = [GfileCall(row) for row in _ROWS]
