"""``tf.nest`` → ``optree``, the maintained pytree library (Keras 3's own tree backend).

``tf.nest`` and optree agree on the things nested code relies on: lists, tuples, namedtuples
and dicts are nodes, dict leaves come in sorted key order, strings and arrays are leaves.
``tf.nest`` treats ``None`` as a leaf, so every call passes ``none_is_leaf=True`` (optree's
default makes ``None`` an empty node)."""

from __future__ import annotations

import libcst as cst

from migrate.rules.base import ApiCall, CannotMigrate, Check, NewArg, NotLiteral, Rule, RuleContext, build_call, literal
from migrate.rules.tf_tensor import kwarg

_DIFFERENCES = (
    " Differences found by test: an `OrderedDict` is flattened in sorted key order by "
    "tf.nest and in insertion order by optree (a flatten/pack round trip agrees with itself "
    "in both); a custom `collections.abc.Mapping` that is not a dict is a node for tf.nest "
    "and a leaf for optree; mismatched list/tuple types raise `TypeError` in TF and "
    "`ValueError` in optree; `expand_composites=True` (sparse/ragged tensors as nodes) stays "
    "a TODO."
)


def _none_is_leaf() -> NewArg:
    return NewArg(cst.Name("True"), "none_is_leaf")


class _Nest(Rule):
    """Binds the TF signature, checks the flags that must keep their default, and builds."""

    signature = ""
    fixed: dict[str, object] = {}

    def _bound(self, call: cst.Call, ctx: RuleContext) -> dict[str, cst.Arg]:
        binder = ApiCall(id=self.id, tf=(), torch="", signature=self.signature, args={}, summary="", example="")
        bound = binder.bind(call, ctx)
        for name, value in self.fixed.items():
            if name in bound:
                try:
                    ok = literal(bound[name].value) == value
                except NotLiteral:
                    ok = False
                if not ok:
                    raise CannotMigrate(
                        f"`{name}={ctx.source(bound[name].value)}` has no optree equivalent (only `{value!r}`)"
                    )
        return bound


class Flatten(_Nest):
    id = "nest.flatten"
    names = ("tf.nest.flatten",)
    signature = "structure, expand_composites=False"
    fixed = {"expand_composites": False}
    summary = "`tf.nest.flatten(s)` → `optree.tree_leaves(s, none_is_leaf=True)`."
    why = "The leaves in the same order: dict values sorted by key, `None` a leaf." + _DIFFERENCES
    example = "flat = tf.nest.flatten(outputs)"
    checks = (
        Check("tf.nest.flatten({'b': [x, None, (y, x)], 'a': y})", {"x": "f32[2]", "y": "i32[]"}),
        Check("tf.nest.flatten(x)", {"x": "f32[2,3]"}),
        Check("tf.nest.flatten([[], {}, (), 'text', 3])"),
        Check("tf.nest.flatten(None)"),
        Check(
            "import collections\nP = collections.namedtuple('P', 'b a')\nresult = tf.nest.flatten([P(x, 2), {3: 'c', 1: 'd'}])",
            {"x": "f32[0]"},
        ),
        Check("tf.nest.flatten(structure=[x], expand_composites=True)", {"x": "f32[2]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        s = self._bound(call, ctx)["structure"]
        return build_call(call, ctx.name("optree.tree_leaves"), [NewArg(s.value, None, s), _none_is_leaf()])


class MapStructure(_Nest):
    id = "nest.map_structure"
    names = ("tf.nest.map_structure",)
    summary = "`tf.nest.map_structure(f, *s)` → `optree.tree_map(f, *s, none_is_leaf=True)`."
    why = (
        "Both call `f` on the leaves of one or more structures of the same shape and rebuild "
        "the first one's containers (namedtuples and `OrderedDict`s included). Both raise "
        "when the structures differ; `check_types=False` (a list may match a tuple) has no "
        "optree form and stays a TODO." + _DIFFERENCES
    )
    example = "out = tf.nest.map_structure(lambda t: t * 2, inputs)\nsums = tf.nest.map_structure(tf.add, a, b)"
    checks = (
        Check("tf.nest.map_structure(lambda t: t * 2, {'b': [x, y], 'a': (x,)})", {"x": "f32[2]", "y": "i64[3]"}),
        Check("tf.nest.map_structure(lambda a, b: a + b, [x, (x, x)], [y, (y, y)])", {"x": "f32[2,0]", "y": "f32[2,0]"}),
        Check("tf.nest.map_structure(lambda t: t is None, [None, x])", {"x": "f32[]"}),
        Check(
            "import collections\nod = collections.OrderedDict([('b', x), ('a', x * 2)])\n"
            "result = list(tf.nest.map_structure(lambda t: t + 1, od, check_types=True).items())",
            {"x": "i32[2]"},
        ),
        Check("tf.nest.map_structure(lambda a, b: a, [x], (x,), check_types=False)", {"x": "f32[2]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        args: list[NewArg] = []
        for arg in call.args:
            if arg.star == "**":
                raise CannotMigrate("`**options` hides which options are set")
            if arg.keyword is None:
                args.append(NewArg(arg.value, None, arg))
                continue
            key = arg.keyword.value
            if key == "func":
                if args:
                    raise CannotMigrate("`func=` after positional structures")
                args.append(NewArg(arg.value, None, arg))
            elif key in ("check_types", "expand_composites"):
                wanted = key == "check_types"
                if not (isinstance(arg.value, cst.Name) and arg.value.value == str(wanted)):
                    raise CannotMigrate(f"`{key}={ctx.source(arg.value)}` has no optree equivalent (only `{wanted}`)")
            else:
                raise CannotMigrate(f"unknown argument `{key}=`")
        if len(args) < 2:
            raise CannotMigrate("`tf.nest.map_structure` needs a function and at least one structure")
        return build_call(call, ctx.name("optree.tree_map"), [*args, _none_is_leaf()])


class PackSequenceAs(_Nest):
    id = "nest.pack_sequence_as"
    names = ("tf.nest.pack_sequence_as",)
    signature = "structure, flat_sequence, expand_composites=False, sequence_fn=None"
    fixed = {"expand_composites": False, "sequence_fn": None}
    summary = (
        "`tf.nest.pack_sequence_as(s, flat)` → "
        "`optree.tree_unflatten(optree.tree_structure(s, none_is_leaf=True), flat)`."
    )
    why = (
        "optree separates the two steps: `tree_structure` takes the shape of `s`, "
        "`tree_unflatten` fills it with `flat` in leaf order. A leaf structure takes the one "
        "element, as in TF; a wrong number of elements raises in both." + _DIFFERENCES
    )
    example = "outputs = tf.nest.pack_sequence_as(self.output_spec, flat_outputs)"
    checks = (
        Check("tf.nest.pack_sequence_as({'b': [0, None], 'a': 0}, [x, y, x])", {"x": "f32[2]", "y": "i32[3]"}),
        Check("tf.nest.pack_sequence_as(0, [x])", {"x": "f32[2,0]"}),
        Check("tf.nest.pack_sequence_as(structure=(1, [2, 3]), flat_sequence=[x, x * 2, x * 3])", {"x": "f32[]"}),
        Check(
            "s = {'k': [x, (x, None)]}\nresult = tf.nest.pack_sequence_as(s, tf.nest.flatten(s))",
            {"x": "f32[3]"},
        ),
        Check("tf.nest.pack_sequence_as([0], [x], expand_composites=True)", {"x": "f32[2]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = self._bound(call, ctx)
        s, flat = bound["structure"], bound["flat_sequence"]
        spec = cst.Call(ctx.name("optree.tree_structure"), [cst.Arg(s.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))), kwarg("none_is_leaf", cst.Name("True"))])
        return build_call(call, ctx.name("optree.tree_unflatten"), [NewArg(spec, None, s), NewArg(flat.value, None, flat)])


class IsNested(_Nest):
    id = "nest.is_nested"
    names = ("tf.nest.is_nested",)
    signature = "seq"
    summary = "`tf.nest.is_nested(x)` → `(not optree.tree_is_leaf(x, none_is_leaf=True))`."
    why = (
        "A value is nested when it is a node: a list, tuple, namedtuple or dict (empty ones "
        "too); strings, arrays, sets and `None` are not." + _DIFFERENCES
    )
    example = "if tf.nest.is_nested(inputs):\n    inputs = inputs[0]"
    checks = (
        Check("[tf.nest.is_nested(v) for v in ([], {}, (), [x], 'ab', None, 3, {1})]", {"x": "f32[2]"}),
        Check("tf.nest.is_nested(x)", {"x": "f32[2,3]"}),
        Check("tf.nest.is_nested(np.zeros(2)) == False"),
        Check("import collections\nresult = tf.nest.is_nested(collections.namedtuple('P', 'a')(x))", {"x": "i32[]"}),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        seq = self._bound(call, ctx)["seq"]
        leaf = build_call(call, ctx.name("optree.tree_is_leaf"), [NewArg(seq.value, None, seq), _none_is_leaf()])
        leaf = leaf.with_changes(lpar=[], rpar=[])
        return cst.UnaryOperation(cst.Not(), leaf, lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class AssertSameStructure(_Nest):
    id = "nest.assert_same_structure"
    names = ("tf.nest.assert_same_structure",)
    signature = "nest1, nest2, check_types=True, expand_composites=False"
    fixed = {"check_types": True, "expand_composites": False}
    summary = "`tf.nest.assert_same_structure(a, b)` → `optree.tree_map(lambda *_: None, a, b, none_is_leaf=True)`."
    why = (
        "optree has no assertion of its own; mapping over both structures raises exactly when "
        "they differ (node types included, as TF's default `check_types=True` compares them; "
        "`check_types=False` stays a TODO). TF returns None and this a tree of Nones: the call "
        "is used as a statement." + _DIFFERENCES
    )
    example = "tf.nest.assert_same_structure(outputs, self.output_spec)"
    checks = (
        Check("tf.nest.assert_same_structure({'a': [x, None]}, {'a': [y, None]})\nresult = 'same'", {"x": "f32[2]", "y": "i32[]"}),
        Check(
            "try:\n    tf.nest.assert_same_structure([x, (x, x)], [x, [x, x]])\n    result = 'same'\n"
            "except (TypeError, ValueError):\n    result = 'different'",
            {"x": "f32[]"},
        ),
        Check(
            "try:\n    tf.nest.assert_same_structure([x], [x, x], check_types=True)\n    result = 'same'\n"
            "except (TypeError, ValueError):\n    result = 'different'",
            {"x": "f32[2,0]"},
        ),
        Check("tf.nest.assert_same_structure([x], (x,), check_types=False)", {"x": "f32[]"}, todo=True),
    )

    def rewrite_call(self, call: cst.Call, qualified: str, ctx: RuleContext) -> cst.BaseExpression:
        bound = self._bound(call, ctx)
        a, b = bound["nest1"], bound["nest2"]
        ignore = cst.Lambda(
            cst.Parameters(star_arg=cst.Param(cst.Name("_"), star="*")),
            cst.Name("None"),
        )
        return build_call(
            call, ctx.name("optree.tree_map"), [NewArg(ignore), NewArg(a.value, None, a), NewArg(b.value, None, b), _none_is_leaf()]
        )


RULES = [Flatten(), MapStructure(), PackSequenceAs(), IsNested(), AssertSameStructure()]
