"""``tf.function`` → ``torch.compile``: a structural rule (decorator and call forms)."""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import CannotMigrate, NewArg, NotLiteral, Rule, RuleContext, build_call, literal

# Options that only steer TF's tracing: torch.compile traces Python itself.
_DROPPED = {"autograph", "jit_compile", "reduce_retracing", "experimental_autograph_options"}
# Options whose meaning would be lost silently.
_KEPT_AS_TODO = {
    "experimental_relax_shapes": "use `dynamic=True` in torch.compile if shapes vary",
    "experimental_compile": "use torch.compile options instead",
}


def _spec(node: cst.BaseExpression) -> tuple[list[int | None], str] | None:
    """``([None, 3], "float32")`` for ``tf.TensorSpec([None, 3], tf.float32)``; None when the
    spec is not that literal form."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, (cst.Attribute, cst.Name))):
        return None
    func = node.func.attr.value if isinstance(node.func, cst.Attribute) else node.func.value
    if func != "TensorSpec":
        return None
    shape = dtype = None
    for i, arg in enumerate(node.args):
        keyword = arg.keyword.value if arg.keyword else ("shape", "dtype", "name")[i] if i < 3 else ""
        if keyword == "shape":
            shape = arg.value
        elif keyword == "dtype":
            dtype = arg.value
        elif keyword != "name":
            return None
    try:
        dims = literal(shape) if shape is not None else None
    except NotLiteral:
        return None
    if not isinstance(dims, (list, tuple)) or not all(d is None or isinstance(d, int) for d in dims):
        return None
    kind = "float32"
    if isinstance(dtype, cst.Attribute):
        kind = dtype.attr.value
    elif dtype is not None:
        return None
    return list(dims), kind


class TfFunction(Rule):
    id = "function.tf_function"
    names = ("tf.function",)
    summary = "`@tf.function` → `@torch.compile`; `tf.function(f)` → `torch.compile(f)`."
    why = (
        "Both turn Python into a compiled graph on first call and retrace when shapes change. "
        "`jit_compile=True` (XLA) maps to plain `torch.compile`, which always compiles with "
        "Inductor (a comment says so); `autograph` and `reduce_retracing` steer TF's tracer "
        "only and are dropped. An `input_signature` of `tf.TensorSpec`s fixes the traced "
        "signature: a `None` size means any size, which is `torch.compile(dynamic=True)`; "
        "the decorated function gets a comment with the signature and the "
        "`torch.export.export(..., dynamic_shapes={...: torch.export.Dim(...)})` call that "
        "fixes the same signature for deployment. A signature that is not literal "
        "`TensorSpec`s stays a TODO."
    )
    example = (
        "@tf.function(jit_compile=True)\n"
        "def step(x):\n"
        "    return x * 2\n\n"
        "@tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])\n"
        "def serve(x):\n"
        "    return x\n\n"
        "fast = tf.function(slow)"
    )

    def _check(self, call: cst.Call, ctx: RuleContext) -> tuple[list[NewArg], bool, list[tuple[list[int | None], str]] | None]:
        kept = []
        jit = False
        specs = None
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword else None
            if arg.star:
                raise CannotMigrate("`tf.function(**options)` hides which options are set")
            if keyword in _KEPT_AS_TODO:
                raise CannotMigrate(f"`{keyword}=` {_KEPT_AS_TODO[keyword]}")
            if keyword == "input_signature":
                specs = self._signature(arg.value)
                ctx.consume(arg.value)  # the TensorSpecs are read here, not rewritten
                continue
            if keyword == "jit_compile" and not (isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None")):
                jit = True
            if keyword in _DROPPED:
                continue
            if keyword is not None and keyword != "func":
                raise CannotMigrate(f"`{keyword}=` has no torch.compile equivalent")
            kept.append(NewArg(arg.value, None, arg))
        if specs is not None and any(None in dims for dims, _ in specs):
            kept.append(NewArg(cst.Name("True"), "dynamic"))
        return kept, jit, specs

    def _signature(self, value: cst.BaseExpression) -> list[tuple[list[int | None], str]]:
        if not isinstance(value, (cst.List, cst.Tuple)):
            raise CannotMigrate("`input_signature=` is not a literal list of `tf.TensorSpec`s; use torch.export with dynamic shapes if it matters")
        specs = []
        for element in value.elements:
            spec = _spec(element.value)
            if spec is None:
                raise CannotMigrate(
                    "`input_signature=` holds something other than `tf.TensorSpec(shape, dtype)` with a literal shape; "
                    "use torch.export with dynamic shapes if it matters"
                )
            specs.append(spec)
        return specs

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        kept, _, _ = self._check(call, ctx)
        return build_call(call, ctx.name("torch.compile"), kept)

    def rewrite_decorator(self, decorator: cst.Decorator, qualified: str, ctx: RuleContext) -> cst.Decorator:
        call = decorator.decorator
        if not isinstance(call, cst.Call):
            return decorator.with_changes(decorator=ctx.name("torch.compile"))  # `@torch.compile`
        kept, jit, specs = self._check(call, ctx)
        notes: list[str] = []
        if jit:
            notes.append("jit_compile=True asked TF for XLA; torch.compile always compiles (Inductor).")
        if specs is not None:
            notes.extend(self._signature_note(specs, ctx))
        if kept:
            new = decorator.with_changes(decorator=build_call(call, ctx.name("torch.compile"), kept))
        else:
            new = decorator.with_changes(decorator=ctx.name("torch.compile"))
        if notes:
            comments = [cst.EmptyLine(comment=cst.Comment("# " + line)) for line in notes]
            new = new.with_changes(leading_lines=[*new.leading_lines, *comments])
        return new

    def _signature_note(self, specs: list[tuple[list[int | None], str]], ctx: RuleContext) -> list[str]:
        function = ctx.statement()  # type: ignore[attr-defined]
        params = [p.name.value for p in function.params.params] if isinstance(function, cst.FunctionDef) else []
        if params and params[0] == "self":
            params = params[1:]
        names = [params[i] if i < len(params) else f"arg{i}" for i in range(len(specs))]
        shown = ", ".join(f"{n}: {kind}{[('None' if d is None else d) for d in dims]}".replace("'", "") for n, (dims, kind) in zip(names, specs))
        dynamic = {
            n: {i: f"{n}_{i}" for i, d in enumerate(dims) if d is None} for n, (dims, _) in zip(names, specs)
        }
        dynamic = {n: d for n, d in dynamic.items() if d}
        args = "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
        lines = [f"input_signature was ({shown}); None sizes vary (dynamic=True)."]
        if dynamic:
            shapes = ", ".join(
                f'"{n}": {{' + ", ".join(f'{i}: torch.export.Dim("{dim}")' for i, dim in d.items()) + "}" for n, d in dynamic.items()
            )
            lines.append(f"Exported as a module's forward: torch.export.export(module, {args}, dynamic_shapes={{{shapes}}})")
        else:
            lines.append(f"Exported as a module's forward: torch.export.export(module, {args})")
        return lines


RULES = [TfFunction()]
