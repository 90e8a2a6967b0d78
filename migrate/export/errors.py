"""What can go wrong, by exit code: a bad input is the user's to fix (2); an artefact that does
not load back or does not match the eager module is a finding about the model or the exporter (1)."""

from __future__ import annotations


class ExportError(Exception):
    """A bad input or a missing tool: nothing was written (exit 2)."""


class ArtefactError(Exception):
    """The artefact was made but failed its check (loading back, running, or matching the eager
    module): nothing was written (exit 1)."""
