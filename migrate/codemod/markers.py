"""`# migrate: TODO(<rule-id>) <why>` comments above statements the engine left alone."""

from __future__ import annotations

import re

import libcst as cst

PREFIX = "# migrate: TODO("
PATTERN = re.compile(r"#\s*migrate:\s*TODO\((?P<rule>[^)]+)\)\s*(?P<why>.*)")


def text(rule: str, why: str) -> str:
    # One line, always: a newline in a reason would break the comment out into code.
    why = " ".join(why.split())
    return f"{PREFIX}{rule}) {why}"


def attach(statement: cst.CSTNode, markers: list[tuple[str, str]], above: frozenset[str] = frozenset()) -> cst.CSTNode:
    """Add marker comments to a statement's leading lines, once each (idempotent).

    ``above``: comments already written just above the statement elsewhere (libcst keeps
    the comments that open a file in the module header, not in the first statement).
    """
    leading = list(getattr(statement, "leading_lines"))
    present = {line.comment.value for line in leading if line.comment is not None} | above
    # A marker an earlier run wrote stands for its rule's TODO here even when the reason now
    # reads differently (that run rewrote part of the statement, and the rule now trips on
    # another argument first): writing a second one would make every run change the file.
    earlier: dict[str, int] = {}
    for comment in present:
        found = PATTERN.match(comment)
        if found:
            earlier[found.group("rule")] = earlier.get(found.group("rule"), 0) + 1
    wanted = [(rule, text(rule, why)) for rule, why in markers]
    for rule, comment in wanted:
        if comment in present and earlier.get(rule, 0):
            earlier[rule] -= 1
    added = False
    for rule, comment in wanted:
        if comment in present:
            continue
        if earlier.get(rule, 0):
            earlier[rule] -= 1
            continue
        present.add(comment)
        leading.append(cst.EmptyLine(comment=cst.Comment(comment)))
        added = True
    return statement.with_changes(leading_lines=leading) if added else statement
