"""The training check: the same weights, the same batch, N optimiser steps on each side;
per-step losses and the final parameters (Keras's mapped to torch names and layouts the way
the weights were) compared.

The loss is a mean squared error against seeded random targets, the same on both sides, so
the check exercises gradients and the optimiser, not a loss mapping. The optimiser is the
model's compiled one (a fresh copy of its configuration), else SGD(learning_rate=0.01).
Dropout draws different masks in each framework: its rates are set to 0 on both sides for the
check (and restored). Neither the Keras model nor the module passed in is changed: Keras
variables are restored afterwards and torch trains a copy.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .batches import Batch
from .report import TrainingCheck
from .training import Unmapped, torch_optimizer

LOSS = "mean squared error against seeded random targets (the same on both sides)"
_KERAS_NOISE = {"Dropout": "rate", "SpatialDropout1D": "rate", "SpatialDropout2D": "rate", "SpatialDropout3D": "rate",
                "AlphaDropout": "rate", "GaussianDropout": "rate", "GaussianNoise": "stddev"}


def training_check(model: Any, module: Any, inputs: Batch, steps: int, tolerance: float, device: str, seed: int) -> TrainingCheck:
    import keras

    compiled = getattr(model, "optimizer", None)
    notes: list[str] = []
    if compiled is None:
        keras_opt = keras.optimizers.SGD(learning_rate=0.01)
        notes.append("the model is not compiled: SGD(learning_rate=0.01) on both sides")
    else:
        keras_opt = type(compiled).from_config(compiled.get_config())
    described = f"keras.optimizers.{type(keras_opt).__name__}(learning_rate={float(keras_opt.get_config()['learning_rate']):g})" \
        if not isinstance(keras_opt.get_config()["learning_rate"], dict) else f"keras.optimizers.{type(keras_opt).__name__}"
    check = TrainingCheck(steps, described, "", LOSS, tolerance=tolerance, notes=notes)
    try:
        plan = torch_optimizer(keras_opt)
    except Unmapped as reason:
        check.skipped = f"no faithful torch optimiser for {reason}"
        return check
    check.torch_optimizer = plan.describe()
    check.notes.extend(plan.notes)

    from migrate.weights import WeightsError, convert
    from migrate.weights.keras_model import leaf_layers

    saved = [np.array(v.numpy()) for v in model.variables]
    silenced: list[tuple[Any, str, Any]] = []
    for leaf in leaf_layers(model):
        attr = _KERAS_NOISE.get(type(leaf.layer).__name__)
        if attr is not None and getattr(leaf.layer, attr, 0):
            silenced.append((leaf.layer, attr, getattr(leaf.layer, attr)))
            setattr(leaf.layer, attr, 0.0)
    try:
        targets = _targets(model, inputs, seed)
        check.keras_losses = _train_keras(model, keras_opt, inputs, targets, steps)
        trained = copy.deepcopy(module)
        dropped = _silence_torch(trained)
        if silenced or dropped:
            check.notes.append(f"dropout set aside for the check: {len(silenced)} Keras layer(s), {dropped} torch module(s)")
        try:
            check.torch_losses = _train_torch(trained, plan, inputs, targets, steps, device)
        except Exception as error:  # noqa: BLE001 - the user's module in training mode can raise anything
            check.error = f"the module cannot train: {type(error).__name__}: {' '.join(str(error).split())[:200]}"
            return check
        try:
            reference = convert(model, copy.deepcopy(module).cpu())  # Keras's trained weights, torch names and layouts
        except WeightsError as error:
            check.error = f"the trained Keras weights cannot be mapped onto the module to compare them: {error}"
            return check
        _compare_state(check, trained, reference)
    finally:
        for variable, value in zip(model.variables, saved, strict=True):
            variable.assign(value)
        for layer, attr, value in silenced:
            setattr(layer, attr, value)
    return check


def _targets(model: Any, inputs: Batch, seed: int) -> list[np.ndarray]:
    out = model(inputs.keras if len(inputs.keras) > 1 else inputs.keras[0], training=False)
    outs = out if isinstance(out, (list, tuple)) else [out]
    rng = np.random.default_rng(seed + 1)
    return [rng.normal(size=tuple(o.shape)).astype("float32") for o in outs]


def _train_keras(model: Any, optimizer: Any, inputs: Batch, targets: list[np.ndarray], steps: int) -> list[float]:
    import tensorflow as tf

    losses = []
    x = inputs.keras if len(inputs.keras) > 1 else inputs.keras[0]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            out = model(x, training=True)
            outs = out if isinstance(out, (list, tuple)) else [out]
            loss = tf.add_n([tf.reduce_mean(tf.square(tf.cast(o, tf.float32) - t)) for o, t in zip(outs, targets, strict=True)])
        variables = model.trainable_variables
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables, strict=True))
        losses.append(float(loss))  # a TF scalar
    return losses


def _silence_torch(module: Any) -> int:
    from torch import nn

    count = 0
    for sub in module.modules():
        if isinstance(sub, nn.modules.dropout._DropoutNd) and sub.p:
            sub.p = 0.0
            count += 1
    return count


def _keras_layout(tensor: Any, shape: tuple[int, ...]) -> Any:
    if tuple(tensor.shape) == shape:
        return tensor
    if tensor.ndim >= 3 and tuple(tensor.movedim(1, -1).shape) == shape:
        return tensor.movedim(1, -1)
    raise ValueError(f"a module output of shape {tuple(tensor.shape)} does not line up with the Keras shape {shape}")


def _train_torch(module: Any, plan: Any, inputs: Batch, targets: list[np.ndarray], steps: int, device: str) -> list[float]:
    import torch

    module.to(device).train()
    optimizer = plan.build(module.parameters())
    x = inputs.torch(device)
    wanted = [torch.from_numpy(t).to(device) for t in targets]
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        out = module(*x)
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        loss = sum(torch.mean((_keras_layout(o, tuple(t.shape)) - t) ** 2) for o, t in zip(outs, wanted, strict=True))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def _single_bias_rnns(module: Any) -> set[str]:
    """Paths of nn.LSTM / nn.RNN modules: Keras's LSTM and SimpleRNN have one bias where these
    have two. (nn.GRU's two match Keras's GRU(reset_after=True) input and recurrent biases.)"""
    from torch import nn

    return {name for name, sub in module.named_modules() if isinstance(sub, (nn.LSTM, nn.RNN))}


def _compare_state(check: TrainingCheck, trained: Any, reference: dict[str, Any]) -> None:
    """Parameters decide the check; buffers (BatchNorm running statistics) are reported."""
    state = {k: v.detach().cpu().double() for k, v in trained.state_dict().items()}
    wanted = {k: v.detach().cpu().double() for k, v in reference.items()}
    parameters = {name for name, _ in trained.named_parameters()}
    one_bias = _single_bias_rnns(trained)
    for name in list(state):
        if "bias_hh" in name and name.rsplit(".", 1)[0] in one_bias and name.replace("bias_hh", "bias_ih") in state:
            # Keras's recurrent layers have one bias, torch's two; only their sum acts.
            partner = name.replace("bias_hh", "bias_ih")
            state[partner] = state[partner] + state.pop(name)
            wanted[partner] = wanted[partner] + wanted.pop(name)
            if name in parameters and dict(trained.named_parameters())[name].requires_grad:
                check.notes.append(
                    f"{name} trains beside {partner.rsplit('.', 1)[-1]}: torch has two biases where Keras has one, so "
                    f"the bias moves twice as fast; freeze it (requires_grad_(False)) to train like Keras"
                )
    for name, tensor in wanted.items():
        if name.endswith("num_batches_tracked") or name not in state:
            continue
        error = float((state[name] - tensor).abs().max())
        if name in parameters:
            check.parameters[name] = error
        else:
            check.buffers[name] = error
    if any(name.endswith("running_var") for name in check.buffers):
        check.notes.append("running_var: torch updates it with the unbiased batch variance, Keras with the biased "
                           "one (a factor n/(n-1)); buffers are reported, not judged")
