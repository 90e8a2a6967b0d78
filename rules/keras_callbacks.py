"""Keras callbacks → plain Python classes, written into the user's file, that the migrated
training loop (``rules/keras_training.py``) calls at the points where Keras calls them.

PyTorch has no callback system: the loop is the user's own code. So each built-in callback the
file uses becomes a short class with Keras's parameters and defaults and Keras's logic, written
out where the user can read it (``EarlyStopping`` keeps a ``state_dict`` copy for
``restore_best_weights``, ``ModelCheckpoint`` is ``torch.save`` of the ``state_dict``,
``TensorBoard`` a ``SummaryWriter``…), all derived from a small ``Callback`` base that holds the
hooks. A ``keras.callbacks.Callback`` subclass keeps its code and derives from that base, so its
hooks are called as before and ``self.model.stop_training = True`` still ends training.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Mapping, Sequence

import libcst as cst

from migrate.rules.base import CannotMigrate, NotLiteral, Rule, RuleContext, literal, parse_signature

# ---------------------------------------------------------------------------------------
# The generated classes. `$name` placeholders are torch/stdlib names spelled for the file.

_CALLBACK = '''
class Callback:
    """The hooks the training loop calls, at the points where Keras calls them
    (`keras.callbacks.Callback`). `fit` sets `model` and `optimizer` before training; setting
    `self.model.stop_training = True` ends training after the current batch."""

    def __init__(self):
        self.model = None
        self.optimizer = None

    def set_model(self, model):
        self.model = model

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass
'''

_MONITOR = '''
class MonitorCallback(Callback):
    """What EarlyStopping, ModelCheckpoint and ReduceLROnPlateau share in Keras: whether a
    monitored value improved on a reference by more than `min_delta`."""

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)

    def maximise(self):
        if self.mode in ("min", "max"):
            return self.mode == "max"
        # Keras's "auto": the loss goes down; accuracy-like metrics go up.
        name = self.monitor.removeprefix("val_")
        return name != "loss" and any(word in name for word in ("acc", "auc", "precision", "recall", "iou", "f1"))

    def improved(self, current, reference):
        if reference is None:
            return True
        if self.maximise():
            return current - self.min_delta > reference
        return current + self.min_delta < reference
'''

_EARLY_STOPPING = '''
class EarlyStopping(MonitorCallback):
    """`keras.callbacks.EarlyStopping`: stop when `monitor` has not improved for `patience`
    epochs; `restore_best_weights` keeps a copy of the best epoch's state_dict."""

    def __init__(
        self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
        baseline=None, restore_best_weights=False, start_from_epoch=0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            $warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available.")
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = $deepcopy(self.model.state_dict())
            self.best_epoch = epoch
        self.wait += 1
        if self.improved(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = $deepcopy(self.model.state_dict())
            if self.baseline is None or self.improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)
'''

_MODEL_CHECKPOINT = '''
class ModelCheckpoint(MonitorCallback):
    """`keras.callbacks.ModelCheckpoint`: `torch.save` of the model's state_dict after each
    epoch (only when `monitor` improved, with `save_best_only`); `filepath` may hold
    `{epoch}` and log names, as in Keras."""

    def __init__(
        self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
        save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        self.filepath = str(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        # A state_dict is saved either way: it is PyTorch's portable form of a model.
        self.save_weights_only = save_weights_only

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                $warn(f"Can save best model only with {self.monitor} available.")
            elif self.improved(current, self.best):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to {current}, saving model to {path}")
                self.best = current
            else:
                return
        directory = $dirname(path)
        if directory:
            $makedirs(directory, exist_ok=True)
        $save(self.model.state_dict(), path)
'''

_REDUCE_LR = '''
class ReduceLROnPlateau(MonitorCallback):
    """`keras.callbacks.ReduceLROnPlateau`: multiply the learning rate by `factor` when
    `monitor` has not improved by `min_delta` (an absolute amount) for `patience` epochs.
    Written out rather than `torch.optim.lr_scheduler.ReduceLROnPlateau`, whose `patience`
    counts one epoch more and whose cooldown lasts one epoch longer."""

    def __init__(
        self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
        min_delta=1e-4, cooldown=0, min_lr=0.0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.min_lr = min_lr

    def on_train_begin(self, logs=None):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = self.optimizer.param_groups[0]["lr"]
        current = logs.get(self.monitor)
        if current is None:
            $warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not available.")
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.improved(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience and self.optimizer.param_groups[0]["lr"] > self.min_lr:
                for group in self.optimizer.param_groups:
                    group["lr"] = max(group["lr"] * self.factor, self.min_lr)
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {self.optimizer.param_groups[0]['lr']}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0
'''

_LR_SCHEDULER = '''
class LearningRateScheduler(Callback):
    """`keras.callbacks.LearningRateScheduler`: at each epoch's start, the learning rate is
    `schedule(epoch, lr)` (or `schedule(epoch)`)."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        try:
            learning_rate = self.schedule(epoch, self.optimizer.param_groups[0]["lr"])
        except TypeError:  # the one-argument form Keras also accepts
            learning_rate = self.schedule(epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = float(learning_rate)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(learning_rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = self.optimizer.param_groups[0]["lr"]
'''

_CSV_LOGGER = '''
class CSVLogger(Callback):
    """`keras.callbacks.CSVLogger`: one row per epoch, `epoch` then the logs in sorted order."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = str(filename)
        self.separator = separator
        self.append = append

    def on_train_begin(self, logs=None):
        self.write_header = not (self.append and $exists(self.filename) and $getsize(self.filename) > 0)
        self.file = open(self.filename, "a" if self.append else "w")
        self.keys = None
        self.writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self.writer = $DictWriter(self.file, fieldnames=["epoch", *self.keys], delimiter=self.separator)
            if self.write_header:
                self.writer.writeheader()
        self.writer.writerow({"epoch": epoch, **{key: logs.get(key, "NA") for key in self.keys}})
        self.file.flush()

    def on_train_end(self, logs=None):
        self.file.close()
        self.writer = None
'''

_TERMINATE_ON_NAN = '''
class TerminateOnNaN(Callback):
    """`keras.callbacks.TerminateOnNaN`: stop (or raise, with `raise_error`) when a batch's
    loss is NaN or infinite."""

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not $isfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating training immediately.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
'''

_TENSORBOARD = '''
class TensorBoard(Callback):
    """`keras.callbacks.TensorBoard`: the epoch logs as scalars (`epoch_loss`…) under
    `log_dir/train` and `log_dir/validation`, as Keras lays them out, and with `histogram_freq`
    the parameters' histograms. Needs the `tensorboard` package."""

    def __init__(
        self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
        write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
        embeddings_metadata=None,
    ):
        super().__init__()
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        # write_graph: tracing the model needs an example input; see torch.utils.tensorboard's add_graph.

    def on_train_begin(self, logs=None):
        self.train_writer = $SummaryWriter($join(self.log_dir, "train"))
        self.validation_writer = $SummaryWriter($join(self.log_dir, "validation"))

    def on_epoch_end(self, epoch, logs=None):
        for name, value in (logs or {}).items():
            if name.startswith("val_"):
                self.validation_writer.add_scalar("epoch_" + name[4:], value, epoch)
            else:
                self.train_writer.add_scalar("epoch_" + name, value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for name, parameter in self.model.named_parameters():
                self.train_writer.add_histogram(name, parameter, epoch)
        self.train_writer.flush()
        self.validation_writer.flush()

    def on_train_end(self, logs=None):
        self.train_writer.close()
        self.validation_writer.close()
'''

_LAMBDA = '''
class LambdaCallback(Callback):
    """`keras.callbacks.LambdaCallback`: each function given is called as the hook of its name."""

    def __init__(
        self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
        on_train_batch_begin=None, on_train_batch_end=None, on_batch_begin=None,
        on_batch_end=None,
    ):
        super().__init__()
        hooks = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            "on_batch_begin": on_batch_begin,
            "on_batch_end": on_batch_end,
        }
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
'''

#: What the templates' placeholders name.
_NAMES = {
    "deepcopy": "copy.deepcopy",
    "warn": "warnings.warn",
    "save": "torch.save",
    "dirname": "os.path.dirname",
    "makedirs": "os.makedirs",
    "exists": "os.path.exists",
    "getsize": "os.path.getsize",
    "join": "os.path.join",
    "DictWriter": "csv.DictWriter",
    "isfinite": "math.isfinite",
    "SummaryWriter": "torch.utils.tensorboard.SummaryWriter",
}


def _definition(template: str, ctx: RuleContext) -> list[cst.BaseStatement]:
    needed = {key for key in _NAMES if "$" + key in template}
    spelled = {key: cst.Module([]).code_for_node(ctx.name(_NAMES[key])) for key in needed}
    return list(cst.parse_module(string.Template(template).substitute(spelled).lstrip("\n")).body)


def add_callback_base(ctx: RuleContext) -> str:
    """Write the ``Callback`` base class into the file (once); its name."""
    ctx.add_definition(_definition(_CALLBACK, ctx))
    return "Callback"


# ---------------------------------------------------------------------------------------
# The constructor rules.


@dataclass(frozen=True)
class _Builtin:
    keras: str
    signature: str
    template: str
    monitor: bool = False
    #: parameter → the literal values the generated class implements (others: a TODO saying why).
    supported: Mapping[str, tuple[object, ...]] = None  # type: ignore[assignment]
    why_unsupported: Mapping[str, str] = None  # type: ignore[assignment]


_BUILTINS = (
    _Builtin(
        "EarlyStopping",
        'monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None, restore_best_weights=False, start_from_epoch=0',
        _EARLY_STOPPING,
        monitor=True,
    ),
    _Builtin(
        "ModelCheckpoint",
        'filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False, mode="auto", save_freq="epoch", initial_value_threshold=None',
        _MODEL_CHECKPOINT,
        monitor=True,
        supported={"save_freq": ("epoch",)},
        why_unsupported={"save_freq": "saving every N batches is not written out yet; save in `on_train_batch_end` of a Callback"},
    ),
    _Builtin(
        "ReduceLROnPlateau",
        'monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4, cooldown=0, min_lr=0.0',
        _REDUCE_LR,
        monitor=True,
    ),
    _Builtin("LearningRateScheduler", "schedule, verbose=0", _LR_SCHEDULER),
    _Builtin("CSVLogger", 'filename, separator=",", append=False', _CSV_LOGGER),
    _Builtin(
        "LambdaCallback",
        "on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, on_batch_begin=None, on_batch_end=None",
        _LAMBDA,
    ),
    _Builtin("TerminateOnNaN", "raise_error=False", _TERMINATE_ON_NAN),
    _Builtin(
        "TensorBoard",
        'log_dir="logs", histogram_freq=0, write_graph=True, write_images=False, write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0, embeddings_metadata=None',
        _TENSORBOARD,
        supported={
            "write_images": (False,),
            "write_steps_per_second": (False,),
            "update_freq": ("epoch",),
            "profile_batch": (0,),
            "embeddings_freq": (0,),
        },
        why_unsupported={
            "write_images": "weights as images are not written out",
            "write_steps_per_second": "steps per second are not logged",
            "update_freq": "only per-epoch logging is written out",
            "profile_batch": "profiling is torch.profiler's job; add it by hand",
            "embeddings_freq": "the embedding projector is not written out",
        },
    ),
)

#: Keras 3 weights/model suffixes a checkpoint path ends in → the PyTorch convention.
_SUFFIXES = (".weights.h5", ".keras", ".h5")


def torch_path(node: cst.BaseExpression) -> cst.BaseExpression:
    """``"best.weights.h5"`` → ``"best.pt"``: the file holds a torch state_dict now."""
    if not isinstance(node, cst.SimpleString):
        return node
    try:
        value = literal(node)
    except NotLiteral:
        return node
    for suffix in _SUFFIXES:
        if isinstance(value, str) and value.endswith(suffix):
            quote = node.prefix + node.quote
            body = node.value[len(node.prefix) + len(node.quote) : -len(node.quote)]
            return node.with_changes(value=quote + body[: -len(suffix)] + ".pt" + node.quote)
    return node


class BuiltinCallback(Rule):
    """One Keras callback class → the class of the same name written into the file."""

    def __init__(self, spec: _Builtin):
        self.spec = spec
        self.id = f"callbacks.{spec.keras}"
        self.names = (f"keras.callbacks.{spec.keras}",)
        self.signature = parse_signature(spec.signature)
        self.summary = f"`keras.callbacks.{spec.keras}(...)` → a `{spec.keras}` class written into the file, called by the migrated loop."
        self.why = (
            "PyTorch has no callbacks: the training loop is the user's own code. The callback "
            f"becomes a short `{spec.keras}` class with Keras's parameters, defaults and logic, "
            "derived from a `Callback` base whose hooks the migrated `fit` calls where Keras "
            "does (`on_epoch_end(epoch, logs)`, …), so it behaves as it did. "
            + _WHY.get(spec.keras, "")
        )
        self.example = _EXAMPLES[spec.keras]

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = self._bind(call, ctx)
        for name, allowed in (self.spec.supported or {}).items():
            if name in bound:
                try:
                    value = literal(bound[name].value)
                except NotLiteral:
                    raise CannotMigrate(f"`{name}=` must be a literal to know what the callback does") from None
                if not any(type(value) is type(a) and value == a for a in allowed):
                    raise CannotMigrate(f"`{name}={value!r}`: {self.spec.why_unsupported[name]}")
        add_callback_base(ctx)
        if self.spec.monitor:
            ctx.add_definition(_definition(_MONITOR, ctx))
        ctx.add_definition(_definition(self.spec.template, ctx))
        args = list(call.args)
        if self.spec.keras == "ModelCheckpoint":
            for i, arg in enumerate(args):
                if (arg.keyword is None and i == 0) or (arg.keyword and arg.keyword.value == "filepath"):
                    args[i] = arg.with_changes(value=torch_path(arg.value))
        return call.with_changes(func=cst.Name(self.spec.keras), args=args)

    def _bind(self, call: cst.Call, ctx: RuleContext) -> dict[str, cst.Arg]:
        positional = [p.name for p in self.signature]
        known = set(positional)
        bound: dict[str, cst.Arg] = {}
        for i, arg in enumerate(call.args):
            if arg.star:
                raise CannotMigrate(f"`{arg.star}{ctx.source(arg.value)}` hides which arguments are passed")
            if arg.keyword is None:
                if i >= len(positional):
                    raise CannotMigrate(f"more positional arguments than `{self.spec.keras}` takes")
                bound[positional[i]] = arg
            elif arg.keyword.value in known:
                bound[arg.keyword.value] = arg
            elif arg.keyword.value.startswith(("on_test_", "on_predict_")):
                raise CannotMigrate(f"`{arg.keyword.value}=`: the migrated `evaluate`/`predict` call no callback hooks")
            else:
                raise CannotMigrate(f"unknown argument `{arg.keyword.value}=` of `{self.spec.keras}`")
        return bound


_WHY = {
    "EarlyStopping": "`restore_best_weights` keeps a deep copy of the best epoch's `state_dict` and loads it at the end of training.",
    "ModelCheckpoint": (
        "Each save is `torch.save(model.state_dict(), path)` (also for `save_weights_only=False`: "
        "a state_dict is PyTorch's portable form); a literal path ending in `.keras`, "
        "`.weights.h5` or `.h5` ends in `.pt` instead. `save_freq` other than \"epoch\" is a TODO."
    ),
    "ReduceLROnPlateau": (
        "Keras's own logic is written out (an absolute `min_delta`, `patience` counted as Keras "
        "counts it, cooldown first) rather than `torch.optim.lr_scheduler.ReduceLROnPlateau`, "
        "which reduces one epoch later for the same `patience` and ends its cooldown one epoch "
        "later (on a plateau after the first epoch, Keras with `patience=1, cooldown=2` reduces "
        "after epochs 2 and 4; torch's scheduler with `patience=0, cooldown=2` after 2 and 5); "
        "it sets every param group's `lr`."
    ),
    "LearningRateScheduler": "The schedule sets every param group's `lr` at each epoch's start; the epoch logs gain `learning_rate`, as in Keras.",
    "CSVLogger": "The file has Keras's layout: `epoch` then the log names in sorted order.",
    "TerminateOnNaN": "It checks each batch's running loss, as Keras does.",
    "LambdaCallback": "The functions given replace the hooks of their names, as in Keras (`on_epoch_end(epoch, logs)`, `on_train_begin(logs)`…); `on_test_*`/`on_predict_*` functions are not accepted: the migrated loop does not call those hooks.",
    "TensorBoard": (
        "`torch.utils.tensorboard.SummaryWriter` writes the epoch logs as `epoch_<name>` scalars "
        "under `log_dir/train` and `log_dir/validation` (Keras's layout), and histograms of the "
        "parameters every `histogram_freq` epochs; `write_graph` is ignored (tracing needs an "
        "example input). The migrated code needs the `tensorboard` package."
    ),
}

_EXAMPLES = {
    "EarlyStopping": "from tensorflow import keras\n\nstop = keras.callbacks.EarlyStopping(monitor=\"val_loss\", patience=3, restore_best_weights=True)\n",
    "ModelCheckpoint": "from tensorflow import keras\n\ncheckpoint = keras.callbacks.ModelCheckpoint(\"best.weights.h5\", save_best_only=True, save_weights_only=True)\n",
    "ReduceLROnPlateau": "from tensorflow import keras\n\nreduce_lr = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=2)\n",
    "LearningRateScheduler": "from tensorflow import keras\n\n\ndef schedule(epoch, lr):\n    return lr if epoch < 10 else lr * 0.9\n\n\nscheduler = keras.callbacks.LearningRateScheduler(schedule)\n",
    "CSVLogger": "from tensorflow import keras\n\nlogger = keras.callbacks.CSVLogger(\"training.csv\")\n",
    "TerminateOnNaN": "from tensorflow import keras\n\nguard = keras.callbacks.TerminateOnNaN()\n",
    "LambdaCallback": "from tensorflow import keras\n\nprinter = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs[\"loss\"]))\n",
    "TensorBoard": "from tensorflow import keras\n\nboard = keras.callbacks.TensorBoard(log_dir=\"logs\")\n",
}


class CustomCallback(Rule):
    id = "callbacks.subclass"
    names = ("keras.callbacks.Callback",)
    summary = "`class C(keras.callbacks.Callback)` → `class C(Callback)`, a base written into the file whose hooks the migrated loop calls."
    why = (
        "The class keeps its code. Its base becomes a small `Callback` class written into the "
        "file, with Keras's hooks (`on_train_begin`, `on_epoch_end(epoch, logs)`, "
        "`on_train_batch_end(batch, logs)`, …; `on_train_batch_*` call `on_batch_*` as in "
        "Keras) as no-ops; the migrated `fit` sets `self.model` and `self.optimizer` (a torch "
        "optimizer: `self.model.optimizer` becomes `self.optimizer`) and calls the hooks at "
        "Keras's points, and `self.model.stop_training = True` still ends training. Reading "
        "or setting the learning rate through Keras's optimizer API is a TODO (it is "
        "`self.optimizer.param_groups[i][\"lr\"]` in PyTorch). `on_test_*` and `on_predict_*` "
        "hooks are not called by the migrated `evaluate`/`predict`."
    )
    example = (
        "from tensorflow import keras\n\n\n"
        "class StopAtLoss(keras.callbacks.Callback):\n"
        "    def __init__(self, threshold):\n"
        "        super().__init__()\n"
        "        self.threshold = threshold\n\n"
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        if logs[\"loss\"] < self.threshold:\n"
        "            self.model.stop_training = True\n"
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        raise CannotMigrate("a bare `keras.callbacks.Callback()` does nothing; subclass the migrated `Callback` instead")

    def rewrite_class(self, node: cst.ClassDef, qualified: str, ctx: RuleContext) -> cst.ClassDef:
        base = add_callback_base(ctx)
        bases = list(node.bases)
        for i, arg in enumerate(bases):
            if not arg.keyword and _tail(arg.value) == "Callback":
                bases[i] = arg.with_changes(value=cst.Name(base))
                break
        else:
            raise CannotMigrate("the `Callback` base of the class could not be found")
        body = node.body.visit(_ModelOptimizer())
        if _reads_learning_rate(body):
            raise CannotMigrate(
                "the callback reads or sets the learning rate through Keras's optimizer API; in "
                "PyTorch it is `self.optimizer.param_groups[i][\"lr\"]`"
            )
        return node.with_changes(bases=bases, body=body)


def _tail(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


class _ModelOptimizer(cst.CSTTransformer):
    """``self.model.optimizer`` → ``self.optimizer`` (fit hands the callback the torch optimizer)."""

    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.BaseExpression:
        value = updated_node.value
        if (
            updated_node.attr.value == "optimizer"
            and isinstance(value, cst.Attribute)
            and value.attr.value == "model"
            and isinstance(value.value, cst.Name)
            and value.value.value == "self"
        ):
            return cst.Attribute(cst.Name("self"), cst.Name("optimizer"))
        return updated_node


def _reads_learning_rate(node: cst.CSTNode) -> bool:
    found = False

    class Finder(cst.CSTVisitor):
        def visit_Attribute(self, attribute: cst.Attribute) -> None:
            nonlocal found
            value = attribute.value
            if (
                attribute.attr.value in ("learning_rate", "lr")
                and isinstance(value, cst.Attribute)
                and value.attr.value == "optimizer"
                and isinstance(value.value, cst.Name)
                and value.value.value == "self"
            ):
                found = True

    node.visit(Finder())
    return found


RULES: Sequence[Rule] = [*(BuiltinCallback(spec) for spec in _BUILTINS), CustomCallback()]
