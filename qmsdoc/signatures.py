"""Commit signatures, checked against the keys in the people register.

Git verifies SSH signatures against an allowed-signers file; qmsdoc writes
one from the register for the duration of a single ``git log`` call over
exactly the commits that record approvals. A GPG key is registered by its
fingerprint (``gpg:<FINGERPRINT>``) and must be in the local keyring.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .history import GitRepository
from .people import Person, Register

GOOD = {"G", "U"}  # U: good signature, key trusted by the register rather than by gpg
BAD = {"B", "X", "Y", "R"}
_DESCRIPTIONS = {
    "N": "没有签名",
    "B": "签名无效（内容与签名不符）",
    "X": "签名已过期",
    "Y": "签名所用密钥已过期",
    "R": "签名所用密钥已吊销",
    "E": "签名所用密钥未登记，无法核验",
}


@dataclass(frozen=True)
class Signature:
    status: str  # git's %G?
    principal: str  # %GS: the allowed-signers principal (SSH) or the user id (GPG)
    fingerprint: str  # %GF

    @property
    def is_signed(self) -> bool:
        return self.status != "N"

    def describe(self) -> str:
        return _DESCRIPTIONS.get(self.status, f"签名状态 {self.status}")

    def belongs_to(self, person: Person) -> bool:
        """A good signature made with a key the register lists for this person."""
        if self.status not in GOOD:
            return False
        if self.principal.lower() in (e.lower() for e in person.emails):
            return True
        gpg_keys = {k[4:].upper() for k in person.signing_keys if k.startswith("gpg:")}
        return self.fingerprint.upper() in gpg_keys


def allowed_signers(register: Register) -> str:
    """git's allowed-signers format: ``principals key`` per line."""
    return "".join(
        f"{','.join(person.emails)} {key}\n"
        for person in register.people
        for key in person.signing_keys
        if not key.startswith("gpg:")
    )


def verify(repository: GitRepository, shas: Iterable[str],
           register: Register) -> dict[str, Signature]:
    """The signature of each commit, in one ``git log --no-walk`` call."""
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    with tempfile.TemporaryDirectory() as folder:
        signers = Path(folder) / "allowed_signers"
        signers.write_text(allowed_signers(register), encoding="utf-8")
        output = repository.run(
            "-c", f"gpg.ssh.allowedSignersFile={signers}", "log", "--no-walk=unsorted",
            "--format=%H%x1f%G?%x1f%GS%x1f%GF%x1e", *wanted)
    signatures = {}
    for record in str(output).split("\x1e"):
        if record.strip("\n"):
            # Not strip(): Python counts \x1f as white space and empty fields would vanish.
            sha, status, principal, fingerprint = record.strip("\n").split("\x1f")
            signatures[sha] = Signature(status, principal, fingerprint)
    return signatures
