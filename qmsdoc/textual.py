"""Front matter read as text: the fingerprint, and the plain fields history needs.

The fingerprint of a document's controlled content is its exact text. An
approval is bound to this fingerprint. It hashes the document's text as
written — front matter and body — with two parts left out, because recording
an approval changes them without changing what was approved: the ``approvals``
block, and whether the ``state`` is draft, in review or effective (withdrawal,
``obsolete``, stays in: it needs its own approval). The hash input starts with
a format version, so a future change of these rules cannot collide.

The parts are found by YAML's indentation rule: the lines of a key's value are
the lines indented deeper than the key (a block list may also start at the
key's own indentation). This keeps fingerprinting a text operation, cheap
enough to run over every approved revision in the history on every build.

For the same reason, :func:`plain_fields` reads a few one-line fields of a
past revision (its version, state, dates) straight from the text. It accepts
only values that are plain YAML text — no quotes with escapes, no lists, no
comments, no colons — and answers ``None`` otherwise, so that the caller falls
back to the YAML parser: the shortcut can be incomplete, never different.
"""

from __future__ import annotations

import functools
import hashlib
import re

FORMAT = "qmsdoc-fingerprint/2"
_CLOSING_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.M)
_INDENT_RE = re.compile(r"^qms:[ \t]*\n(?:[ \t]*\n)*( +)\S", re.M)
_PLAIN_RE = re.compile(r"""(?:'([^'\n]*)'|"([^"\\\n]*)"|([^\s'"\[\]{}&*!|>%@`#,?:-][^#\n]*?))\Z""")


def _front(text: str) -> tuple[str, int] | None:
    """The front matter (each line ending in a newline) and where the body starts."""
    if not text.startswith("---"):
        return None
    first = text.find("\n")
    if first < 0 or text[:first].rstrip() != "---":
        return None
    closing = _CLOSING_RE.search(text, first + 1)
    if closing is None:
        return None
    return text[first + 1:closing.start()], closing.end() + 1


@functools.cache
def _patterns(indent: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The approvals block and the state line, for keys written at ``indent``."""
    key = re.escape(indent)
    approvals = re.compile(rf"^{key}approvals:.*\n(?:{key}(?: |- ).*\n|[ \t]*\n)*", re.M)
    state = re.compile(rf"^({key})state:[ \t]*['\"]?(\w*)['\"]?.*$", re.M)
    return approvals, state


@functools.cache
def _fields(indent: str, keys: tuple[str, ...]) -> re.Pattern[str]:
    names = "|".join(map(re.escape, keys))
    return re.compile(rf"^{re.escape(indent)}({names}):[ \t]*(.*?)[ \t]*$", re.M)


def _state(match: re.Match[str]) -> str:
    return f"{match.group(1)}state: {'withdrawn' if match.group(2) == 'obsolete' else 'current'}"


def _indent(metadata: str) -> str | None:
    found = _INDENT_RE.search(metadata)
    return found.group(1) if found else None


def plain_fields(text: str, keys: tuple[str, ...]) -> dict[str, str] | None:
    """The values of one-line ``qms`` fields, or ``None`` if any is missing or not plain."""
    front = _front(text)
    indent = _indent(front[0]) if front else None
    if front is None or indent is None:
        return None
    values: dict[str, str] = {}
    for match in _fields(indent, keys).finditer(front[0]):
        key, raw = match.group(1), match.group(2)
        plain = _PLAIN_RE.match(raw)
        if plain is None or ": " in raw or key in values:
            return None
        values[key] = next(group for group in plain.groups() if group is not None)
    return values if len(values) == len(keys) else None


def drop_approvals(text: str) -> str:
    """The text without its approval records (the rest is left as written)."""
    front = _front(text)
    indent = _indent(front[0]) if front else None
    if front is None or indent is None:
        return text
    approvals, _ = _patterns(indent)
    return "---\n" + approvals.sub("", front[0]) + text[len(front[0]) + 4:]


def fingerprint(text: str) -> str:
    """Fingerprint of normalised document text (see :func:`frontmatter.normalise`)."""
    front = _front(text)
    if front is None:
        controlled = text.strip("\n")
    else:
        metadata, body = front
        indent = _indent(metadata)
        if indent is not None:
            approvals, state = _patterns(indent)
            metadata = state.sub(_state, approvals.sub("", metadata), count=1)
        controlled = f"---\n{metadata}---\n{text[body:].strip(chr(10))}"
    digest = hashlib.sha256(f"{FORMAT}\n{controlled}".encode()).hexdigest()
    return f"sha256:{digest}"
