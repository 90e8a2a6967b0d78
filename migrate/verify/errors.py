"""The one error type of ``migrate verify`` for bad input (exit 2): its message is the one line
the CLI prints, naming the culprit (the file, the module, the class, the mismatched name)."""


class VerifyError(Exception):
    """The inputs cannot be compared at all (as opposed to a mismatch, which is a report)."""
