"""The CI templates and the one script they call, ``ci/qmsdoc-ci``.

The script runs for real on a clone of a mini manual with a site, in each mode;
a local HTTP server stands in for GitLab's and Gitea's comment APIs. The three
template files are parsed and their shape checked.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import PROJECT, ManualRepo
from .test_published_input import site_repo  # noqa: F401 - the fixture

SCRIPT = PROJECT / "ci" / "qmsdoc-ci"
QMSDOC = str(Path(sys.executable).with_name("qmsdoc"))


@pytest.fixture
def clone(site_repo: ManualRepo, tmp_path: Path) -> Path:  # noqa: F811
    """A CI runner's full clone of the manual, on a branch revising QP-01."""
    site_repo.write("ci/qmsdoc-ci", SCRIPT.read_text(encoding="utf-8"))
    site_repo.commit("Add the CI script", date="2024-02-25")
    site_repo.git("checkout", "-q", "-b", "revise")
    site_repo.edit("procedures/qp-01.md", "version: A/0", "version: A/1")
    site_repo.edit("procedures/qp-01.md", "state: effective", "state: in_review")
    site_repo.edit("procedures/qp-01.md", "文件管理员维护受控文件。", "文件管理员维护纸质和电子受控文件。")
    site_repo.commit("Revise QP-01", date="2024-06-10")
    site_repo.git("checkout", "-q", "main")
    target = tmp_path / "runner"
    subprocess.run(["git", "clone", "-q", "-b", "revise", str(site_repo.root), str(target)],
                   check=True)
    return target


def run(root: Path, mode: str, **env: str) -> subprocess.CompletedProcess[str]:
    variables = {name: value for name, value in os.environ.items()
                 if not name.startswith(("CI_", "QMSDOC"))}
    variables.update({"QMSDOC": QMSDOC, "QMSDOC_DATE": "2024-07-01",
                      "NO_MKDOCS_2_WARNING": "1", **env})
    return subprocess.run(["sh", "ci/qmsdoc-ci", mode], cwd=root, env=variables,
                          capture_output=True, text=True)


def test_merge_request_keeps_the_report_and_the_site_as_artifacts(clone: Path) -> None:
    done = run(clone, "merge-request")
    assert done.returncode == 0, done.stderr
    report = (clone / "ci-out/review.md").read_text(encoding="utf-8")
    assert "比较：origin/main 与 HEAD 的合并基点" in report
    assert "| QP-01《文件控制程序》 | 修订 | A/0 → A/1 | 正确 | 待审核、批准 | 0 |" in report
    page = (clone / "ci-out/review.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "检查通过" in (clone / "ci-out/check.txt").read_text(encoding="utf-8")
    assert (clone / "site/index.html").is_file()
    assert "未设置 QMSDOC_REVIEW_TOKEN（或评论地址），审查报告只保存在 ci-out/review.md" \
        in done.stderr


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], dict[str, Any]]] = []

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, dict(self.headers), json.loads(body)))
        self.send_response(201)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def api() -> Iterator[tuple[str, list[tuple[str, dict[str, str], dict[str, Any]]]]]:
    received: list[tuple[str, dict[str, str], dict[str, Any]]] = []
    handler = type("Handler", (_Recorder,), {"received": received})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", received
    server.shutdown()
    server.server_close()


def test_merge_request_posts_the_report_as_a_note_with_a_token(
        clone: Path, api: tuple[str, list[tuple[str, dict[str, str], dict[str, Any]]]]) -> None:
    url, received = api
    base = subprocess.run(["git", "rev-parse", "origin/main"], cwd=clone, capture_output=True,
                          text=True, check=True).stdout.strip()
    gitlab = run(clone, "merge-request", QMSDOC_REVIEW_TOKEN="glpat-secret",
                 CI_API_V4_URL=f"{url}/api/v4", CI_PROJECT_ID="7", CI_MERGE_REQUEST_IID="3",
                 CI_MERGE_REQUEST_DIFF_BASE_SHA=base)
    assert gitlab.returncode == 0, gitlab.stderr
    assert "审查报告已发到合并请求的评论中" in gitlab.stderr
    path, headers, body = received[0]
    assert path == "/api/v4/projects/7/merge_requests/3/notes"
    assert headers["PRIVATE-TOKEN"] == "glpat-secret"
    assert body["body"] == (clone / "ci-out/review.md").read_text(encoding="utf-8")
    assert f"{base} 与 HEAD 的合并基点" in body["body"]
    gitea = run(clone, "merge-request", QMSDOC_REVIEW_TOKEN="gitea-secret",
                QMSDOC_REVIEW_NOTE_URL=f"{url}/api/v1/repos/qms/manual/issues/3/comments")
    assert gitea.returncode == 0, gitea.stderr
    path, headers, body = received[1]
    assert path == "/api/v1/repos/qms/manual/issues/3/comments"
    assert headers["Authorization"] == "token gitea-secret"
    assert "QP-01《文件控制程序》" in body["body"]


def test_merge_request_fails_when_the_gate_fails_but_still_reports(clone: Path) -> None:
    (clone / "procedures/qp-01.md").write_text(
        (clone / "procedures/qp-01.md").read_text(encoding="utf-8").replace(
            "clauses: ['7.5']", "clauses: ['99.9']"), encoding="utf-8")
    subprocess.run(["git", "commit", "-qam", "Cite a clause that does not exist"], cwd=clone,
                   check=True, env={**os.environ, "GIT_AUTHOR_NAME": "李文管",
                                    "GIT_AUTHOR_EMAIL": "li@example.gov.cn",
                                    "GIT_COMMITTER_NAME": "李文管",
                                    "GIT_COMMITTER_EMAIL": "li@example.gov.cn",
                                    "GIT_AUTHOR_DATE": "2024-06-11T10:00:00+08:00",
                                    "GIT_COMMITTER_DATE": "2024-06-11T10:00:00+08:00"})
    done = run(clone, "merge-request")
    assert done.returncode == 1
    assert "[clause.unknown]" in done.stdout
    report = (clone / "ci-out/review.md").read_text(encoding="utf-8")
    assert r"\[clause.unknown\]" in report and not (clone / "site").exists()


def test_main_builds_strictly_and_publishes_into_the_served_folder(
        clone: Path, tmp_path: Path) -> None:
    served = tmp_path / "www" / "qms"
    subprocess.run(["git", "checkout", "-q", "-b", "main", "origin/main"], cwd=clone, check=True)
    done = run(clone, "main", QMSDOC_PUBLISH_DIR=str(served))
    assert done.returncode == 0, done.stderr
    assert f"网站已发布到 {served}" in done.stderr
    home = (served / "index.html").read_text(encoding="utf-8")
    assert "体系总体说明见" in home
    # The branch's revision is not approved: the strict build stops, the published site stays.
    subprocess.run(["git", "checkout", "-q", "revise"], cwd=clone, check=True)
    refused = run(clone, "schedule", QMSDOC_PUBLISH_DIR=str(served))
    assert refused.returncode == 1
    assert "[approval.unapproved-change]" in refused.stderr
    assert (served / "index.html").read_text(encoding="utf-8") == home
    assert not Path(f"{served}.new").exists()


def test_schedule_publishes_without_a_publish_folder_and_a_wrong_mode_is_refused(
        clone: Path) -> None:
    subprocess.run(["git", "checkout", "-q", "-b", "main", "origin/main"], cwd=clone, check=True)
    done = run(clone, "schedule")
    assert done.returncode == 0, done.stderr
    assert "未设置 QMSDOC_PUBLISH_DIR：网站已生成在 site/，没有发布" in done.stderr
    assert (clone / "site/index.html").is_file()
    wrong = run(clone, "deploy")
    assert wrong.returncode == 2
    assert "用法：ci/qmsdoc-ci merge-request | main | schedule" in wrong.stderr


# --- the templates ------------------------------------------------------------------------------

def _load(path: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((PROJECT / path).read_text(encoding="utf-8"))
    return data


def test_the_gitlab_template_runs_the_script_in_each_pipeline() -> None:
    ci = _load(".gitlab-ci.yml")
    assert ci["variables"]["GIT_DEPTH"] == "0"
    jobs = {name: job for name, job in ci.items() if isinstance(job, dict) and "script" in job}
    assert {name: job["script"] for name, job in jobs.items()} == {
        "merge-request": ["ci/qmsdoc-ci merge-request"], "main": ["ci/qmsdoc-ci main"],
        "schedule": ["ci/qmsdoc-ci schedule"]}
    conditions = {name: " ".join(rule["if"] for rule in job["rules"]) for name, job in jobs.items()}
    assert '$CI_PIPELINE_SOURCE == "merge_request_event"' in conditions["merge-request"]
    assert "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" in conditions["main"]
    assert '$CI_PIPELINE_SOURCE == "schedule"' in conditions["schedule"]
    assert jobs["merge-request"]["artifacts"]["paths"] == ["ci-out/", "site/"]
    assert jobs["merge-request"]["artifacts"]["when"] == "always"
    assert "PIP_INDEX_URL" in (PROJECT / ".gitlab-ci.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [".github/workflows/qmsdoc.yml", ".gitea/workflows/qmsdoc.yml"])
def test_the_actions_templates_run_the_script_on_a_full_clone(path: str) -> None:
    workflow = _load(path)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key on as true
    assert set(triggers) == {"pull_request", "push", "schedule"}
    assert triggers["push"]["branches"] == ["main"]
    assert triggers["schedule"][0]["cron"] == "10 16 * * *"
    jobs = workflow["jobs"]
    assert set(jobs) == {"merge-request", "main", "schedule"}
    for name, job in jobs.items():
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
        assert checkout["with"]["fetch-depth"] == 0
        assert [s["run"] for s in job["steps"] if "run" in s] == [f"ci/qmsdoc-ci {name}"]
    assert jobs["merge-request"]["if"] == "github.event_name == 'pull_request'"
    assert jobs["schedule"]["if"] == "github.event_name == 'schedule'"
    review_step = next(s for s in jobs["merge-request"]["steps"] if "run" in s)
    assert set(review_step["env"]) == {"QMSDOC_REVIEW_BASE", "QMSDOC_REVIEW_TOKEN",
                                       "QMSDOC_REVIEW_NOTE_URL"}
    assert workflow["env"]["PIP_INDEX_URL"] == "${{ vars.PIP_INDEX_URL }}"


def test_the_script_is_executable() -> None:
    assert os.access(SCRIPT, os.X_OK)
