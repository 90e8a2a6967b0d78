"""``tf.function`` → ``torch.compile``: a structural rule (decorator and call forms)."""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import CannotMigrate, NewArg, Rule, RuleContext, build_call

# Options that only steer TF's tracing: torch.compile traces Python itself.
_DROPPED = {"autograph", "jit_compile", "reduce_retracing", "experimental_autograph_options"}
# Options whose meaning would be lost silently.
_KEPT_AS_TODO = {
    "input_signature": "fixes the traced signature; use torch.export with dynamic shapes if it matters",
    "experimental_relax_shapes": "use `dynamic=True` in torch.compile if shapes vary",
    "experimental_compile": "use torch.compile options instead",
}


class TfFunction(Rule):
    id = "function.tf_function"
    names = ("tf.function",)
    summary = "`@tf.function` → `@torch.compile`; `tf.function(f)` → `torch.compile(f)`."
    why = (
        "Both turn Python into a compiled graph on first call and retrace when shapes change. "
        "`jit_compile=True` (XLA) maps to plain `torch.compile`, which always compiles with "
        "Inductor; `autograph` and `reduce_retracing` steer TF's tracer only and are dropped. "
        "An `input_signature` has no drop-in equivalent and stays a TODO."
    )
    example = "@tf.function(jit_compile=True)\ndef step(x):\n    return x * 2\n\nfast = tf.function(slow)"

    def _check(self, call: cst.Call) -> list[NewArg]:
        kept = []
        for arg in call.args:
            keyword = arg.keyword.value if arg.keyword else None
            if arg.star:
                raise CannotMigrate("`tf.function(**options)` hides which options are set")
            if keyword in _KEPT_AS_TODO:
                raise CannotMigrate(f"`{keyword}=` {_KEPT_AS_TODO[keyword]}")
            if keyword in _DROPPED:
                continue
            if keyword is not None and keyword != "func":
                raise CannotMigrate(f"`{keyword}=` has no torch.compile equivalent")
            kept.append(NewArg(arg.value, None, arg))
        return kept

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        return build_call(call, ctx.name("torch.compile"), self._check(call))

    def rewrite_decorator(self, decorator: cst.Decorator, qualified: str, ctx: RuleContext) -> cst.Decorator:
        call = decorator.decorator
        if isinstance(call, cst.Call) and self._check(call):
            return decorator.with_changes(decorator=self.rewrite_call(call, qualified, ctx))
        return decorator.with_changes(decorator=ctx.name("torch.compile"))  # `@torch.compile`


RULES = [TfFunction()]
