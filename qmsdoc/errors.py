"""The one exception type for runs that cannot continue.

Bad content never raises: it becomes a :class:`~qmsdoc.findings.Finding`. A
``QmsdocError`` means the run itself cannot go on (not a git repository, an
unreadable configuration file); the CLI prints its message and exits 2.
"""

from __future__ import annotations


class QmsdocError(Exception):
    """A run that cannot continue; the message says why and how to fix it."""
