"""Saving and restoring: ``model.save``/``save_weights``/``load_weights``,
``tf.saved_model.save/load``, ``keras.models.load_model``, ``tf.train.Checkpoint`` and
``tf.train.CheckpointManager``.

torch saves *state* (``state_dict()``: parameters, buffers, optimizer slots) and leaves the
architecture to the Python class, where Keras and TF save both. So every save becomes
``torch.save(obj.state_dict(), path)``, every restore ``obj.load_state_dict(torch.load(path))``
on an object the code already built, and a load that would rebuild the model from the file
alone stays a TODO that says so.
"""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import CannotMigrate, Rule, RuleContext, argument, bare_call
from migrate.rules.keras_callbacks import torch_path
from migrate.rules.tf_nn import call, method

_code = cst.Module([]).code_for_node


def _check_arguments(call_: cst.Call, known: dict[str, int | None], ignorable: dict[str, object]) -> None:
    """Every argument is one the rewrite carries (``known``: name → position) or one whose
    literal value makes no difference in torch (``ignorable``: name → the values allowed,
    ``...`` for any)."""
    positions = {p: n for n, p in known.items() if p is not None}
    for i, arg in enumerate(call_.args):
        if arg.star:
            raise CannotMigrate(f"`{arg.star}{_code(arg.value)}` hides which arguments are passed")
        name = arg.keyword.value if arg.keyword is not None else positions.get(i)
        if name is None:
            raise CannotMigrate("more positional arguments than this rewrite knows")
        if name in known:
            continue
        allowed = ignorable.get(name)
        if allowed is ...:
            continue
        if allowed is not None and _code(arg.value) in allowed:  # type: ignore[operator]
            continue
        raise CannotMigrate(f"`{name}={_code(arg.value)}` has no counterpart in a torch state dict")


def _save(ctx: RuleContext, obj: cst.BaseExpression, path: cst.BaseExpression) -> cst.Call:
    return call(ctx.name("torch.save"), method(obj, "state_dict"), path)


class ModelSave(Rule):
    id = "saving.model_save"
    names = ("keras.Model.save", "keras.Model.save_weights", "tf.saved_model.save")
    summary = "`model.save(path)` / `model.save_weights(path)` / `tf.saved_model.save(m, path)` → `torch.save(model.state_dict(), path)`."
    why = (
        "A `.keras` file, an `.h5` weights file and a SavedModel directory all hold the model's "
        "variables; torch's counterpart is the module's `state_dict()` (parameters and "
        "buffers, keyed by the attribute names the migration keeps), written with "
        "`torch.save`. The architecture is the Python class, so nothing else needs saving. "
        "A literal path ending in `.keras`, `.weights.h5` or `.h5` ends in `.pt` instead (the "
        "file is a torch file now; `load_weights` and `ModelCheckpoint` rename alike, so "
        "saves and loads still meet); any other path is kept, and a SavedModel path becomes "
        "one file instead of a directory. A "
        "`.keras` file also holds the optimizer state: save `optimizer.state_dict()` beside "
        "it where training resumes from the file. `signatures=` (serving functions) has no "
        "state-dict counterpart — `torch.export.export(model, example_args)` is the torch "
        "way to ship a traced program — and stays a TODO."
    )
    example = 'model.save("model.keras")\nmodel.save_weights("model.weights.h5")\ntf.saved_model.save(module, "export_dir")'

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        if qualified == "tensorflow.saved_model.save":
            signatures = argument(call_, "signatures", 2)
            if signatures is not None and _code(signatures.value) != "None":
                raise CannotMigrate(
                    "serving signatures are traced programs, not state: ship one with "
                    "`torch.export.save(torch.export.export(model, example_args), path)`"
                )
            _check_arguments(call_, {"obj": 0, "export_dir": 1, "signatures": 2}, {"options": ("None",)})
            obj, path = argument(call_, "obj", 0), argument(call_, "export_dir", 1)
            if obj is None or path is None:
                raise CannotMigrate("`tf.saved_model.save` needs the object and the directory")
            return _save(ctx, obj.value, path.value)
        model = call_.func.value  # type: ignore[attr-defined]
        _check_arguments(
            call_,
            {"filepath": 0},
            {"overwrite": ("True",), "save_format": ..., "include_optimizer": ("True", "False"), "zipped": ...},
        )
        path = argument(call_, "filepath", 0)
        if path is None:
            raise CannotMigrate("the save needs a path")
        return _save(ctx, model, torch_path(path.value))  # "model.keras" → "model.pt": a state_dict now


class LoadWeights(Rule):
    id = "saving.load_weights"
    names = ("keras.Model.load_weights",)
    summary = "`model.load_weights(path)` → `model.load_state_dict(torch.load(path))`."
    why = (
        "Keras matches saved variables to the model's layers and refuses a file that does "
        "not fit; `load_state_dict` matches by key and is strict by default, the same "
        "contract. A TF-format checkpoint's `.expect_partial()` (and `by_name=True`) accept a "
        "file that covers part of the model: that is `strict=False`. `skip_mismatch=True` "
        "skips layers whose *shapes* differ, which `load_state_dict` has no switch for, so it "
        "stays a TODO. Keras 3 matches a `.weights.h5` file to layers by position, torch by "
        "key — the Keras layer names the migration keeps — so loading into a model whose "
        "layers were named differently fails loudly instead of loading by position. "
        "The file must have been written by the migrated code "
        "(`torch.save(model.state_dict(), path)`); weights trained in Keras come over with "
        "`migrate weights`."
    )
    example = 'model.load_weights("model.weights.h5")\nmodel.load_weights(checkpoint_path).expect_partial()'

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        _check_arguments(call_, {"filepath": 0}, {"skip_mismatch": ("False",), "by_name": ("False", "True"), "options": ("None",)})
        path = argument(call_, "filepath", 0)
        if path is None:
            raise CannotMigrate("the load needs a path")
        model = call_.func.value  # type: ignore[attr-defined]
        by_name = argument(call_, "by_name", None)
        strict = not (by_name is not None and _code(by_name.value) == "True")
        statement = ctx.statement()  # type: ignore[attr-defined]
        outer = bare_call(statement)
        partial = (
            outer is not None
            and isinstance(outer.func, cst.Attribute)
            and outer.func.attr.value == "expect_partial"
            and not outer.args
            and isinstance(outer.func.value, cst.Call)
            and isinstance(outer.func.value.func, cst.Attribute)
            and outer.func.value.func.attr.value == "load_weights"
        )
        loaded = call(ctx.name("torch.load"), torch_path(path.value))  # the name the save was given
        if partial:
            new = call(cst.Attribute(model, cst.Name("load_state_dict")), loaded, strict=False)
            ctx.replace_statement([cst.SimpleStatementLine([cst.Expr(new)])])  # type: ignore[attr-defined]
            return call_
        if outer is None or not (isinstance(outer.func, cst.Attribute) and outer.func.attr.value == "load_weights"):
            raise CannotMigrate("the load's return value is used; torch's `load_state_dict` returns the missing and unexpected keys instead")
        if strict:
            return call(cst.Attribute(model, cst.Name("load_state_dict")), loaded)
        return call(cst.Attribute(model, cst.Name("load_state_dict")), loaded, strict=False)


class LoadModel(Rule):
    id = "saving.load_model"
    names = ("keras.models.load_model", "keras.saving.load_model", "tf.saved_model.load")
    summary = "`keras.models.load_model(path)` / `tf.saved_model.load(path)` stay TODOs: torch rebuilds the model from its class, then loads the state."
    why = (
        "A Keras file or SavedModel rebuilds the model without its Python code; a torch "
        "state dict only fills a module that the code constructs. The faithful torch form "
        "is `model = MyModel(...); model.load_state_dict(torch.load(path))`, which needs the "
        "class and its arguments — knowledge the call does not have — so the call is left "
        "for the user with that form spelled out. (`torch.export.load` reloads a program "
        "saved with `torch.export.save`, for serving without the class.)"
    )
    example = 'model = keras.models.load_model("model.keras")'

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate(
            "torch rebuilds a model from its class: construct it and call "
            "`model.load_state_dict(torch.load(path))` (or `torch.export.load` for a program saved with `torch.export.save`)"
        )


_CHECKPOINT = '''
class Checkpoint:
    """`tf.train.Checkpoint` for torch: the state of the objects it was given (modules,
    optimizers, tensors), written to and read from one file together."""

    def __init__(self, **objects):
        self.objects = objects
        self.save_counter = 0

    def write(self, path):
        {makedirs}({dirname}(path) or ".", exist_ok=True)  # TF creates the directory too
        state = {{name: obj.state_dict() if hasattr(obj, "state_dict") else obj.detach() for name, obj in self.objects.items()}}
        {save}({{"objects": state, "save_counter": self.save_counter}}, path)
        return path

    def save(self, file_prefix):
        self.save_counter += 1
        return self.write(f"{{file_prefix}}-{{self.save_counter}}")

    def read(self, path):
        state = {load}(path)
        for name, obj in self.objects.items():
            if hasattr(obj, "load_state_dict"):
                obj.load_state_dict(state["objects"][name])
            else:
                with {no_grad}():
                    obj.copy_(state["objects"][name])
        self.save_counter = state["save_counter"]
        return self

    def restore(self, save_path):
        # As in TF, restoring from None (no checkpoint yet) keeps the fresh state.
        return self if save_path is None else self.read(save_path)

    # TF's restore returns a status to check; torch's load_state_dict is strict already.
    def expect_partial(self):
        return self

    def assert_consumed(self):
        return self

    def assert_existing_objects_matched(self):
        return self
'''

_MANAGER = '''
class CheckpointManager:
    """`tf.train.CheckpointManager` for torch: numbered checkpoints in a directory, the
    oldest deleted beyond `max_to_keep`, the ones already there found again on a restart."""

    def __init__(self, checkpoint, directory, max_to_keep, checkpoint_name="ckpt"):
        self.checkpoint = checkpoint
        self.directory = directory
        self.max_to_keep = max_to_keep
        self.prefix = {join}(directory, checkpoint_name)
        {makedirs}(directory, exist_ok=True)
        numbers = sorted(
            int(name[len(checkpoint_name) + 1 :])
            for name in {listdir}(directory)
            if name.startswith(checkpoint_name + "-") and name[len(checkpoint_name) + 1 :].isdigit()
        )
        self.checkpoints = [f"{{self.prefix}}-{{n}}" for n in numbers]

    @property
    def latest_checkpoint(self):
        return self.checkpoints[-1] if self.checkpoints else None

    def save(self, checkpoint_number=None):
        self.checkpoint.save_counter += 1
        number = self.checkpoint.save_counter if checkpoint_number is None else checkpoint_number
        path = self.checkpoint.write(f"{{self.prefix}}-{{number}}")
        self.checkpoints = [p for p in self.checkpoints if p != path] + [path]
        while self.max_to_keep is not None and len(self.checkpoints) > self.max_to_keep:
            {remove}(self.checkpoints.pop(0))
        return path
'''


class Checkpoints(Rule):
    id = "saving.checkpoint"
    names = ("tf.train.Checkpoint", "tf.train.CheckpointManager")
    summary = "`tf.train.Checkpoint(model=m, optimizer=o)` / `CheckpointManager` → small helper classes over `torch.save` of state dicts."
    why = (
        "A TF checkpoint saves the state of named objects together and a manager keeps the "
        "last `max_to_keep` of them. torch has the pieces (`state_dict`, `torch.save`) but no "
        "class that ties them, so the rewrite adds two short classes to the file with the "
        "same methods — `save(prefix)` (numbered `prefix-N`), `write`, `restore(path)` (None "
        "keeps the fresh state, as in TF), `read`, `expect_partial()`; the manager's "
        "`save()`, `latest_checkpoint` and `checkpoints`, deleting the oldest file beyond "
        "`max_to_keep` and finding the files already in the directory after a restart — so "
        "the code that uses them stays as it was. A `tf.Variable` in the checkpoint "
        "(`step=tf.Variable(0)`) is saved as a tensor and restored in place. Checkpoints "
        "written by TF cannot be read: carry trained weights over with `migrate weights`."
    )
    example = (
        "ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer)\n"
        "manager = tf.train.CheckpointManager(ckpt, \"./checkpoints\", max_to_keep=3)\n"
        "ckpt.restore(manager.latest_checkpoint)\n"
        "manager.save()"
    )

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        name = qualified.rsplit(".", 1)[1]
        taken = _defined_names(ctx.module())  # type: ignore[attr-defined]
        if name in taken:
            raise CannotMigrate(f"the file defines its own `{name}`, the name the torch helper class needs")
        spell = lambda qualified_name: _code(ctx.name(qualified_name))  # noqa: E731
        if name == "Checkpoint":
            if any(arg.keyword is None or arg.star for arg in call_.args):
                raise CannotMigrate("a checkpoint's objects are passed by keyword (`model=model`)")
            if any(arg.keyword.value == "root" for arg in call_.args if arg.keyword):
                raise CannotMigrate("`root=` restores a graph of objects; name the objects instead")
            code = _CHECKPOINT.format(
                save=spell("torch.save"), load=spell("torch.load"), no_grad=spell("torch.no_grad"),
                makedirs=spell("os.makedirs"), dirname=spell("os.path.dirname"),
            )
        else:
            _check_arguments(
                call_,
                {"checkpoint": 0, "directory": 1, "max_to_keep": 2, "checkpoint_name": None},
                {"keep_checkpoint_every_n_hours": ("None",), "step_counter": ("None",), "checkpoint_interval": ("None",), "init_fn": ("None",)},
            )
            if argument(call_, "max_to_keep", 2) is None:
                raise CannotMigrate("`max_to_keep` is required (None keeps every checkpoint)")
            code = _MANAGER.format(
                join=spell("os.path.join"), makedirs=spell("os.makedirs"), listdir=spell("os.listdir"), remove=spell("os.remove")
            )
        ctx.add_definition(list(cst.parse_module(code).body))  # type: ignore[attr-defined]
        return call_.with_changes(func=cst.Name(name))


def _defined_names(module: cst.Module) -> set[str]:
    """Top-level classes and functions of the file, except the helper classes this rule
    writes (a second run finds them, and must not take them for the user's own)."""
    names = set()
    for statement in module.body:
        if isinstance(statement, (cst.ClassDef, cst.FunctionDef)) and not _is_our_helper(statement):
            names.add(statement.name.value)
    return names


def _is_our_helper(statement: cst.ClassDef | cst.FunctionDef) -> bool:
    docstring = statement.get_docstring() if isinstance(statement, cst.ClassDef) else None
    return bool(docstring) and docstring.startswith((f"`tf.train.{statement.name.value}` for torch",))


_LATEST = '''
def latest_checkpoint(checkpoint_dir):
    """`tf.train.latest_checkpoint` for torch: the path of the checkpoint saved last in the
    directory (the numbered `prefix-N` files `Checkpoint.save` writes), or None."""
    if not {isdir}(checkpoint_dir):
        return None
    numbered = [{join}(checkpoint_dir, name) for name in {listdir}(checkpoint_dir) if name.rpartition("-")[2].isdigit()]
    # The last written; between two saves in the same clock tick, the higher number.
    return max(numbered, key=lambda path: ({getmtime}(path), int(path.rpartition("-")[2])), default=None)
'''


class LatestCheckpoint(Rule):
    id = "saving.latest_checkpoint"
    names = ("tf.train.latest_checkpoint",)
    summary = "`tf.train.latest_checkpoint(dir)` → a small `latest_checkpoint(dir)` helper over the numbered files `Checkpoint.save` writes."
    why = (
        "TF reads the directory's `checkpoint` state file for the prefix saved last. The "
        "migrated `Checkpoint.save(prefix)` writes one file, `prefix-N`, and no state file, so "
        "the helper returns the numbered file written last (`prefix-N`, the path TF returns "
        "too), and None for an empty or missing directory, as TF does; "
        "`checkpoint.restore(None)` then keeps the fresh state. `latest_filename` (another "
        "state-file name) has no counterpart and stays a TODO."
    )
    example = "checkpoint.restore(tf.train.latest_checkpoint(checkpoint_dir))"

    def rewrite_call(self, call_: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        _check_arguments(call_, {"checkpoint_dir": 0}, {"latest_filename": ("None",)})
        directory = argument(call_, "checkpoint_dir", 0)
        if directory is None:
            raise CannotMigrate("no checkpoint directory is given")
        if _defines_function(ctx.module(), "latest_checkpoint"):
            raise CannotMigrate("the file defines its own `latest_checkpoint`, the name the torch helper needs")
        spell = lambda qualified_name: _code(ctx.name(qualified_name))  # noqa: E731
        code = _LATEST.format(isdir=spell("os.path.isdir"), join=spell("os.path.join"), listdir=spell("os.listdir"), getmtime=spell("os.path.getmtime"))
        ctx.add_definition(list(cst.parse_module(code).body))  # type: ignore[attr-defined]
        return cst.Call(func=cst.Name("latest_checkpoint"), args=[cst.Arg(directory.value)])


def _defines_function(module: cst.Module, name: str) -> bool:
    """A top-level function of that name that is not the helper this module writes."""
    return any(
        isinstance(s, cst.FunctionDef) and s.name.value == name and not (s.get_docstring() or "").startswith(f"`tf.train.{name}` for torch")
        for s in module.body
    )


RULES = [ModelSave(), LoadWeights(), LoadModel(), Checkpoints(), LatestCheckpoint()]
