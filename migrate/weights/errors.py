"""The one error type of ``migrate weights``: its message is the one line the CLI prints."""


class WeightsError(Exception):
    """A model, module or weight that cannot be converted; the message names the culprit."""
