"""Rules the engine itself reports: names no rule claims, and imports it cannot see through."""

from __future__ import annotations

from migrate.rules.base import Rule


class Unmapped(Rule):
    id = "unmapped"
    summary = "A TF/Keras API that no rule migrates yet is left as it was, under a TODO."
    why = (
        "A guess would compile and then train or predict differently, which is worse than an "
        "honest gap. The site stays untouched with `# migrate: TODO(unmapped)` above its "
        "statement and is counted in the report, so the remaining work is visible and "
        "`--ignore unmapped` can silence it while a team works through other rules."
    )
    example = "y = tf.raw_ops.Foo(x=x)"


class StarImport(Rule):
    id = "imports.star"
    summary = "`from tensorflow... import *` is kept and flagged: its names cannot be resolved."
    why = (
        "The engine resolves every name through the file's imports and never runs the code. A "
        "star import hides which TF/Keras names the file uses, so none of them can be matched "
        "to a rule. Replace it with explicit imports and run `migrate convert` again."
    )
    example = "from tensorflow.keras.layers import *"


RULES = [Unmapped(), StarImport()]
