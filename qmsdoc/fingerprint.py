"""The fingerprint of a document's controlled content.

An approval is bound to this fingerprint. It hashes a canonical, versioned
serialisation of the controlled metadata and the body, so that two different
documents cannot share one input. Two things are left out, because recording
an approval changes them without changing what was approved: the approval
records themselves, and whether the text is a draft, in review or effective.
Withdrawal (obsolete) is part of the content: it needs its own approval.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

FORMAT = "qmsdoc-fingerprint/1"


def fingerprint(metadata: Mapping[str, Any], body: str) -> str:
    controlled = {key: value for key, value in metadata.items() if key != "approvals"}
    controlled["state"] = "withdrawn" if metadata.get("state") == "obsolete" else "current"
    canonical = json.dumps(
        {"format": FORMAT, "metadata": controlled, "body": body.strip("\n")},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
