"""qmsdoc: a controlled quality manual kept as code.

The public API is small: load the settings, run the gate, read its findings.
Everything the MkDocs hooks and the CLI do goes through these.
"""

from .config import Settings, load_settings
from .errors import QmsdocError
from .findings import Finding, Severity
from .gate import GateResult, run_gate

__all__ = ["Finding", "GateResult", "QmsdocError", "Settings", "Severity", "load_settings",
           "run_gate"]
