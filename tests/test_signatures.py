"""With ``require_signatures``, an approval counts only from a commit signed by the approver."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import ManualRepo, mini_manual, new_repo, register_text


def keypair(folder: Path, name: str) -> tuple[Path, str]:
    key = folder / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)],
                   check=True)
    return key, key.with_suffix(".pub").read_text().strip()


def gpg_key(home: Path, user_id: str) -> str:
    """A new GPG signing key in the keyring at ``home``; returns its fingerprint."""
    home.mkdir(mode=0o700, exist_ok=True)
    gpg = ["gpg", "--batch", "--homedir", str(home)]
    subprocess.run([*gpg, "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                    user_id, "ed25519", "sign", "never"], check=True, capture_output=True)
    listing = subprocess.run([*gpg, "--with-colons", "--list-secret-keys", user_id], check=True,
                             capture_output=True, text=True).stdout
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr"))


class SigningRepo(ManualRepo):
    """People sign their commits with their own SSH keys (or GPG keys, by fingerprint)."""

    def __init__(self, root: Path, keys: dict[str, Path],
                 gpg_keys: dict[str, str] | None = None) -> None:
        super().__init__(root)
        self.keys = keys
        self.gpg_keys = gpg_keys or {}

    def env(self, person: str, date: str) -> dict[str, str]:
        env = super().env(person, date)
        signing = (("openpgp", self.gpg_keys[person]) if person in self.gpg_keys
                   else ("ssh", str(self.keys[person])) if person in self.keys else None)
        if signing:
            env.update(GIT_CONFIG_COUNT="2", GIT_CONFIG_KEY_0="gpg.format",
                       GIT_CONFIG_VALUE_0=signing[0], GIT_CONFIG_KEY_1="user.signingkey",
                       GIT_CONFIG_VALUE_1=signing[1])
        return env


@pytest.fixture
def signing_repo(tmp_path: Path) -> SigningRepo:
    keys = tmp_path / "keys"
    keys.mkdir()
    private, public = {}, {}
    for person, file in (("王局长", "wang"), ("陈代表", "chen"), ("外人", "stranger")):
        private[person], public[person] = keypair(keys, file)
    register = register_text(keys={p: public[p] for p in ("王局长", "陈代表")})
    base = new_repo(tmp_path / "repo", mini_manual(), signatures=True, register=register)
    repo = SigningRepo(base.root, private)
    repo.commit("Add the first edition", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    return repo


def test_signed_approvals_by_registered_keys_pass(signing_repo: SigningRepo) -> None:
    assert "gpgsig -----BEGIN SSH SIGNATURE-----" in signing_repo.git("cat-file", "commit", "HEAD")
    assert signing_repo.gate().findings == []


def revise(repo: SigningRepo) -> None:
    """李文管 writes revision A/1 of QP-01."""
    repo.edit("procedures/qp-01.md", "维护受控文件。", "维护受控文件，按月备份。")
    repo.edit("procedures/qp-01.md", "version: A/0", "version: A/1")
    repo.edit("procedures/qp-01.md", "effective_date: '2024-03-01'", "effective_date: '2024-06-20'")
    repo.commit("Revise", date="2024-05-01")


def test_an_unsigned_approval_does_not_count(signing_repo: SigningRepo) -> None:
    signing_repo.keys = {}  # nobody signs any more
    revise(signing_repo)
    signing_repo.trailer_commit("Reviewed-by: 陈代表 <chen@example.gov.cn>", person="陈代表",
                                date="2024-05-02")
    signing_repo.trailer_commit("Approved-by: 王局长 <wang@example.gov.cn>", person="王局长",
                                date="2024-05-03")
    gate = signing_repo.gate()
    finding = next(f for f in gate.findings if f.rule == "approval.unsigned")
    assert finding.is_error and "没有签名" in finding.message
    assert "按月备份" not in gate.repository.blob_text(
        gate.statuses["QP-01"].published.blob)  # type: ignore[union-attr]


def test_a_key_not_registered_for_the_approver(signing_repo: SigningRepo) -> None:
    signing_repo.keys["王局长"] = signing_repo.keys["外人"]
    revise(signing_repo)
    signing_repo.approve_all(["QP-01"], date="2024-05-03")
    finding = next(f for f in signing_repo.gate().findings if f.rule == "approval.unregistered-key")
    assert "没有登记在 王局长 名下" in finding.message and "SHA256:" in finding.message


def test_another_persons_key_does_not_sign_for_the_approver(signing_repo: SigningRepo) -> None:
    signing_repo.keys["王局长"] = signing_repo.keys["陈代表"]
    revise(signing_repo)
    signing_repo.approve_all(["QP-01"], date="2024-05-03")
    assert "approval.unregistered-key" in signing_repo.rules()


def test_a_tampered_signed_commit_has_a_bad_signature(signing_repo: SigningRepo) -> None:
    revise(signing_repo)
    signing_repo.approve_all(["QP-01"], date="2024-05-03")
    raw = signing_repo.git("cat-file", "commit", "HEAD")
    forged = raw.replace("批准 QP-01 A/1", "批准 QP-01 A/1（改过）")
    result = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--stdin"],
                            cwd=signing_repo.root, input=forged, capture_output=True, text=True,
                            check=True)
    signing_repo.git("update-ref", "refs/heads/main", result.stdout.strip())
    finding = next(f for f in signing_repo.gate().findings if f.rule == "approval.bad-signature")
    assert "签名无效" in finding.message


def test_a_register_change_needs_a_signed_approval(signing_repo: SigningRepo) -> None:
    signing_repo.git("checkout", "-q", "-b", "register")
    signing_repo.edit("people.yml", "department: 办公室", "department: 局办公室")
    signing_repo.commit("Rename the department", paths=("people.yml",), date="2024-04-20")
    signing_repo.git("checkout", "-q", "main")
    message = "Merge branch 'register'\n\nApproved-by: 王局长 <wang@example.gov.cn>"
    signing_repo.git("merge", "-q", "--no-ff", "register", "-m", message,
                     person="张合并", date="2024-04-25")
    rejected = [f for f in signing_repo.gate().findings if f.rule == "governance.invalid-approval"]
    assert len(rejected) == 1 and "没有签名" in rejected[0].message
    signing_repo.git("reset", "-q", "--hard", "HEAD~1")
    signing_repo.git("merge", "-q", "-S", "--no-ff", "register", "-m", message,
                     person="王局长", date="2024-04-25")
    assert signing_repo.gate(strict=True).findings == []


def test_turning_signatures_off_needs_a_signed_approval(signing_repo: SigningRepo) -> None:
    signing_repo.edit("qmsdoc.yml", "require_signatures: true", "require_signatures: false")
    signing_repo.commit("No signatures", paths=("qmsdoc.yml",), date="2024-04-20",
                        trailers=("Approved-by: 王局长 <wang@example.gov.cn>",))
    gate = signing_repo.gate()
    assert gate.settings.require_signatures is True
    assert {f.rule for f in gate.findings} == {"governance.invalid-approval",
                                                "governance.unapproved-change"}


def test_gpg_signed_approvals_by_registered_keys(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "gnupg"
    monkeypatch.setenv("GNUPGHOME", str(home))  # git signs and verifies with this keyring
    director = gpg_key(home, "王局长 <wang@example.gov.cn>")
    stranger = gpg_key(home, "外人 <stranger@example.org>")
    private, public = keypair(tmp_path, "chen")
    register = register_text(keys={"王局长": f"gpg:{director}", "陈代表": public})
    repo = SigningRepo(new_repo(tmp_path / "repo", mini_manual(), signatures=True,
                                register=register).root, {"陈代表": private}, {"王局长": director})
    repo.commit("Add the first edition", date="2024-02-01")
    repo.approve_all(["JR-01", "JR-02", "JR-03"], date="2024-02-10")
    repo.approve_all(["QM-01", "QP-01", "QR-01-01"], date="2024-02-20")
    assert "BEGIN PGP SIGNATURE" in repo.git("cat-file", "commit", "HEAD")
    assert repo.gate().findings == []
    # A key in the keyring but not registered for the approver does not count.
    repo.gpg_keys["王局长"] = stranger
    revise(repo)
    repo.approve_all(["QP-01"], date="2024-05-03")
    finding = next(f for f in repo.gate().findings if f.rule == "approval.unregistered-key")
    assert stranger in finding.message and "没有登记在 王局长 名下" in finding.message
