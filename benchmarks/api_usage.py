"""Which TF/Keras APIs real code calls, and what share of those sites the rules cover.

Runs the engine (read-only: nothing is written) over a corpus of public code and counts every
TF/Keras site by canonical API and by what became of it: rewritten by a rule, left as a TODO
by a rule that recognised it (a claimed API used in a way no faithful rewrite exists for), or
unmapped (no rule claims the API).

Prints the covered share of sites — sites whose API has a rule (goal: 95 %) — split into
the sites rewritten and those the rule leaves as a TODO (with its reason), the share of the
top-N APIs (by sites) the table claims, and the top APIs whose sites are not rewritten. `--family` restricts the count to a set of
namespaces, e.g. ``--family ops`` for the op table of issue 5 (tf.* ops, tf.math/nn/linalg/
image/random/nest/sparse, keras.ops, keras.backend, keras.activations, dtypes).

    python benchmarks/api_usage.py /tmp/corpus/src/*             # public packages, see README
    python benchmarks/api_usage.py --family ops --top 400 /tmp/corpus/src/*
    python benchmarks/api_usage.py --json usage.json             # default corpus: keras + tensorflow
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from _corpus import argument_parser, load_corpus

from migrate.codemod.findings import Outcome
from migrate.codemod.runner import migrate_files
from migrate.rules import UNMAPPED, default_registry

#: Namespaces of the op table (issue 5), by canonical-name prefix.
OPS_PREFIXES = (
    "tensorflow.math.",
    "tensorflow.nn.",
    "tensorflow.linalg.",
    "tensorflow.image.",
    "tensorflow.random.",
    "tensorflow.nest.",
    "tensorflow.sparse.",
    "tensorflow.ragged.",
    "tensorflow.dtypes.",
    "tensorflow.bitwise.",
    "tensorflow.signal.",
    "tensorflow.strings.",
    "keras.ops.",
    "keras.backend.",
    "keras.activations.",
    "keras.random.",
    "tensorflow.experimental.numpy.",
)
#: ``tensorflow.X`` with X a top-level op (not a namespace such as tensorflow.keras).
_NOT_OPS = ("tensorflow.keras.", "tensorflow.data.", "tensorflow.distribute.", "tensorflow.compat.",
            "tensorflow.saved_model.", "tensorflow.summary.", "tensorflow.train.", "tensorflow.io.",
            "tensorflow.estimator.", "tensorflow.lite.", "tensorflow.config.", "tensorflow.test.",
            "tensorflow.errors.", "tensorflow.feature_column.", "tensorflow.tpu.", "tensorflow.autograph.",
            "tensorflow.python.", "tensorflow.experimental.", "tensorflow.types.", "tensorflow.sysconfig.",
            "tensorflow.version.", "tensorflow.debugging.", "tensorflow.queue.", "tensorflow.audio.")


def in_family(api: str, family: str) -> bool:
    if family == "all":
        return True
    if family == "ops":
        if api.startswith(OPS_PREFIXES):
            return True
        return api.startswith("tensorflow.") and not api.startswith(_NOT_OPS) and api.count(".") == 1
    raise ValueError(family)


def main() -> int:
    parser = argument_parser(__doc__)
    parser.add_argument("--family", choices=("all", "ops"), default="all", help="which APIs to count")
    parser.add_argument("--top", type=int, default=400, help="how many of the most used APIs to rank")
    parser.add_argument("--show", type=int, default=20, help="how many uncovered APIs to list")
    parser.add_argument("--json", type=Path, help="also write every API's counts here")
    options = parser.parse_args()
    corpus = load_corpus(options.corpus, options.limit)
    registry = default_registry()

    by_api: dict[str, Counter[str]] = {}
    files = errors = 0
    for _, result in migrate_files(corpus.files, corpus.selection, jobs=2):
        files += 1
        if result.error is not None:
            errors += 1
            continue
        for finding in result.findings:
            if finding.rule == "imports.star" or not in_family(finding.api, options.family):
                continue
            if finding.outcome is Outcome.REWRITTEN:
                what = "rewritten"
            elif finding.rule == UNMAPPED:
                what = "unmapped"
            else:
                what = "todo"
            by_api.setdefault(finding.api, Counter())[what] += 1

    total = Counter[str]()
    for counts in by_api.values():
        total.update(counts)
    sites = sum(total.values())
    ranked = sorted(by_api.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    top = ranked[: options.top]
    top_sites = sum(sum(c.values()) for _, c in top)
    claimed_top = [api for api, _ in top if registry.lookup(api) is not None]
    claimed_sites = sum(sum(c.values()) for api, c in by_api.items() if registry.lookup(api) is not None)

    def pct(part: int, whole: int) -> str:
        return f"{100.0 * part / whole:5.1f} %" if whole else "  n/a"

    print(f"corpus: {', '.join(map(str, corpus.roots))}")
    print(f"files: {files} ({errors} not parsed)   family: {options.family}   APIs seen: {len(by_api)}")
    print(f"sites: {sites}")
    print(f"  covered: the API has a rule     {claimed_sites:7d}  {pct(claimed_sites, sites)}   <- goal >= 95 %")
    print(f"    rewritten                     {total['rewritten']:7d}  {pct(total['rewritten'], sites)}")
    print(f"    left as a TODO by its rule    {total['todo']:7d}  {pct(total['todo'], sites)}   (a value decides and is not literal, or no faithful form)")
    print(f"  unmapped: no rule for the API   {total['unmapped']:7d}  {pct(total['unmapped'], sites)}")
    print(
        f"top {len(top)} APIs hold {pct(top_sites, sites).strip()} of sites; the rules claim "
        f"{len(claimed_top)} of them"
    )
    uncovered = sorted(
        ((api, c["unmapped"] + c["todo"], c) for api, c in by_api.items() if c["unmapped"] + c["todo"]),
        key=lambda item: (-item[1], item[0]),
    )
    print(f"\ntop {options.show} uncovered APIs (sites not rewritten):")
    for api, missed, counts in uncovered[: options.show]:
        why = "unmapped" if counts["unmapped"] else "TODO"
        print(f"  {missed:6d}  {api}  ({why})")
    if options.json:
        options.json.write_text(
            json.dumps({api: dict(c) for api, c in ranked}, indent=1) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
