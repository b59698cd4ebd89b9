"""Generate a benchmark repository: 1,000 documents, 10,000 commits, renames, approvals.

Documents are in the project's format and every approval is recorded exactly as
``qmsdoc approve`` records it (same record text, same trailers), so the gate
passes on the result. Commits are written with ``git fast-import`` for speed.
All documents live under ``docs/`` so that the same Markdown can also be built
by a plain Material site and by the peer git plugins.
"""

from __future__ import annotations

import datetime
import os
import random
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from qmsdoc.approve import record_approval
from qmsdoc.loader import parse_document

PROJECT = Path(__file__).resolve().parent.parent
DOMAIN = "bench.example"
TYPES = ["quality_manual", "procedure", "work_instruction", "job_responsibility",
         "record_template", "external_document"]
FOLDERS = {"quality_manual": "docs/manual", "procedure": "docs/procedures",
           "work_instruction": "docs/instructions", "job_responsibility": "docs/responsibilities",
           "record_template": "docs/records", "external_document": "docs/external"}
STEP = datetime.timedelta(hours=3)  # between two commits: the clock only moves forward
SPAN = 10_000 * STEP  # a longer history has shorter steps: no commit dated in the future
BATCH = 50  # documents added, reviewed and approved per commit in the first edition
EFFECTIVE = re.compile(r"^(\s*effective_date: ).*$", re.MULTILINE)
HOOK = "hooks/qmsdoc_mkdocs.py"
MACROS_GUARD = "hooks/qmsdoc_macros.py"
MACROS = """  - macros:
      module_name: hooks/qmsdoc_macros
      render_by_default: false
      on_error_fail: true
      on_undefined: strict
"""
FORMAT = "2: effective on the approval day, mkdocs.yml committed"
"""Changes when the generated history changes: a repository of another format is made again."""
SITE = """site_name: 基准测试
docs_dir: docs
site_dir: {site_dir}
theme:
  name: material
  language: zh
  font: false
  features: [{features}]
extra_css: [stylesheets/qmsdoc.css]
plugins:
  - search:
      jieba_dict_user: jieba_userdict.txt
{plugins}
markdown_extensions:
  - toc:
      permalink: true
      slugify: !!python/object/apply:pymdownx.slugs.slugify
        kwds: {{case: lower}}
  - tables
  - admonition
  - attr_list
{hooks}"""
FORMER_FEATURES = "navigation.tabs, navigation.sections, navigation.top, search.highlight"
"""The theme features the project's site had before issue 11: the plain builds keep them."""
FEATURES = "navigation.prune, navigation.tabs, navigation.top, search.highlight"
"""Ours, as the project's mkdocs.yml: each page carries its own tab and series expanded."""
SITE_CONFIGS = {  # file name: (site folder, theme features, plugins, hooks)
    "mkdocs.yml": ("site-ours", FEATURES, MACROS, "hooks:\n  - hooks/qmsdoc_mkdocs.py\n"),
    "mkdocs-plain.yml": ("site-plain", FORMER_FEATURES, "", ""),
    "mkdocs-peers.yml": ("site-peers", FORMER_FEATURES, "  - git-revision-date-localized:\n"
                         "      enable_creation_date: true\n  - git-authors\n", ""),
}
"""Our build reads mkdocs.yml, which is governed like the hook, so it is committed;
the plain Material and peer builds read files of their own, written when measured."""
PARAGRAPH = ("窗口受理人员在政务服务平台录入申请材料，材料不齐全的当场一次性告知需要补正的全部内容；"
             "许可审查人员在受理后两个工作日内完成书面审查，需要现场核查的提前一个工作日预约。"
             "科室负责人每月五日前导出办理台账，统计按时办结率并报办公室。")


@dataclass
class Doc:
    number: str
    doc_type: str
    path: str
    meta: dict[str, object]
    body: str
    edits: int = 0

    def text(self) -> str:
        front = yaml.safe_dump({"qms": self.meta}, allow_unicode=True, sort_keys=False,
                               default_flow_style=None, width=200)
        return f"---\n{front}---\n\n{self.body}"


ZONE = datetime.timezone(datetime.timedelta(hours=8))


@dataclass
class Stream:
    """A git fast-import stream, one commit at a time."""

    out: bytearray = field(default_factory=bytearray)
    commits: int = 0
    clock: datetime.datetime = datetime.datetime(2022, 1, 3, 9, 0, tzinfo=ZONE)
    step: datetime.timedelta = STEP

    def day_of(self, ahead: int) -> str:
        """The day of the commit ``ahead`` commits from now."""
        return (self.clock + ahead * self.step).date().isoformat()

    def _data(self, payload: str) -> None:
        raw = payload.encode("utf-8")
        self.out += f"data {len(raw)}\n".encode() + raw + b"\n"

    def commit(self, person: tuple[str, str], message: str, files: dict[str, str],
               renames: tuple[tuple[str, str], ...] = ()) -> datetime.datetime:
        self.clock += self.step
        stamp = f"{int(self.clock.timestamp())} +0800"
        self.commits += 1
        self.out += f"commit refs/heads/main\nmark :{self.commits}\n".encode()
        self.out += f"author {person[0]} <{person[1]}> {stamp}\n".encode()
        self.out += f"committer {person[0]} <{person[1]}> {stamp}\n".encode()
        self._data(message)
        if self.commits > 1:
            self.out += f"from :{self.commits - 1}\n".encode()
        for old, new in renames:
            self.out += f'R "{old}" "{new}"\n'.encode()
        for path, content in files.items():
            self.out += f"M 100644 inline {path}\n".encode()
            self._data(content)
        return self.clock


def person(name: str) -> tuple[str, str]:
    return name, f"{name.lower()}@{DOMAIN}"


DIRECTOR, REVIEWERS = "Director", ["ReviewerA", "ReviewerB"]
WRITERS = [f"Writer{i:02d}" for i in range(17)]


def people_register() -> str:
    entries = [{"name": DIRECTOR, "roles": ["局长"]}]
    entries += [{"name": r, "roles": ["管理者代表"]} for r in REVIEWERS]
    entries += [{"name": w, "roles": ["文件管理员", f"岗位{i % 47 + 4:02d}"]}
                for i, w in enumerate(WRITERS)]
    people = [{"name": e["name"], "emails": [person(e["name"])[1]], "department": "办公室",
               "roles": [{"role": r, "from": "2018-01-01"} for r in e["roles"]]}
              for e in entries]
    return yaml.safe_dump({"people": people}, allow_unicode=True, sort_keys=False)


def documents(rng: random.Random, count: int = 1_000) -> list[Doc]:
    """The first edition of every document (its effective date is set by the schedule).

    ``count`` documents in the proportions of the 1,000-document manual: one quality
    manual, about 10 % procedures, 30 % work instructions, 5 % job descriptions (at
    least the 50 whose posts people and procedures hold), 5 % external documents,
    and record templates for the rest. Numbers have two digits (QP-99, WI-99-99), so
    beyond 99 procedures, job descriptions and external documents the rest are records.
    """
    def share(part: int, least: int, most: int = 99) -> int:
        return min(most, max(least, round((count - 1) * part / 999)))

    def two_part(prefix: str, total: int) -> list[str]:
        group = max(10, -(-total // 99))  # ten to a group, as at 1,000 documents
        return [f"{prefix}-{i // group + 1:02d}-{i % group + 1:02d}" for i in range(total)]

    others = {"QP": share(99, 4), "WI": share(300, 1, 99 * 99), "JR": share(50, 50),
              "EX": share(50, 1)}
    records = count - 1 - sum(others.values())
    if not 1 <= records <= 99 * 99:
        raise ValueError(f"{count} documents do not fit the bench manual's numbering")
    numbers = (["QM-01"] + [f"QP-{i:02d}" for i in range(1, others["QP"] + 1)]
               + two_part("WI", others["WI"])
               + [f"JR-{i:02d}" for i in range(1, others["JR"] + 1)]
               + two_part("QR", records)
               + [f"EX-{i:02d}" for i in range(1, others["EX"] + 1)])
    prefix = {"QM": "quality_manual", "QP": "procedure", "WI": "work_instruction",
              "JR": "job_responsibility", "QR": "record_template", "EX": "external_document"}
    procedures = [n for n in numbers if n.startswith("QP")]
    docs = []
    for number in numbers:
        doc_type = prefix[number[:2]]
        meta: dict[str, object] = {
            "number": number, "title": f"{number} 示例文件", "type": doc_type, "version": "A/0",
            "state": "in_review", "department": "办公室", "effective_date": None,
            "review_interval": 60, "change_summary": "首次发布"}
        related = sorted(set(rng.sample(procedures, 3)) - {number})
        cited = "，".join(f'见 {{{{ doc("{n}") }}}}' for n in related)
        if doc_type == "quality_manual":
            meta["clauses"] = ["4", "5", "6", "7", "8.1", "8.2", "8.4", "8.5", "8.6", "8.7", "9", "10"]
            meta["exclusions"] = [{"clause": "8.3",
                                   "justification": "服务事项由法律法规规定，本局不设计服务。"}]
        if doc_type == "job_responsibility":
            index = int(number[3:])
            role = {1: "局长", 2: "管理者代表", 3: "文件管理员"}.get(index, f"岗位{index:02d}")
            meta["role"] = role
            meta["authority"] = {1: {"approve": TYPES}, 2: {"review": TYPES},
                                 3: {"write": TYPES}}.get(index, {})
            if not meta["authority"]:
                del meta["authority"]
        if doc_type == "record_template":
            meta["retention"], meta["keeper"] = "10年", "办公室"
        if doc_type == "external_document":
            meta["issuer"] = "国务院"
        if doc_type in ("procedure", "work_instruction"):
            meta["roles"] = [f"岗位{rng.randrange(4, 51):02d}", "文件管理员"]
            meta["clauses"] = [rng.choice(["7.5", "8.5.1", "9.2", "10.2", "8.2.1"])]
        meta["related"] = related
        body = "\n".join(
            f"## {i} 第{i}部分\n\n{PARAGRAPH}{cited if i == 1 else ''}\n\n"
            f"依据 {{{{ clause(\"8.5.1\") }}}}，{PARAGRAPH}\n" for i in range(1, 5))
        docs.append(Doc(number, doc_type, f"{FOLDERS[doc_type]}/{number.lower()}.md", meta, body))
    # Every record template is produced by a procedure or work instruction.
    producers = [d for d in docs if d.doc_type in ("procedure", "work_instruction")]
    for i, record in enumerate(d for d in docs if d.doc_type == "record_template"):
        producer = producers[i % len(producers)]
        producer.meta.setdefault("records", [])
        producer.meta["records"].append(record.number)  # type: ignore[union-attr]
    return docs


def approve(stream: Stream, docs: list[Doc], texts: dict[str, str], meaning: str,
            who: str) -> None:
    """One commit recording ``who``'s review or approval of ``docs``, as qmsdoc approve does."""
    name, email = person(who)
    day = stream.day_of(1)  # the day of the commit below
    role = "局长" if who == DIRECTOR else "管理者代表"
    files = {}
    for doc in docs:
        current = parse_document(doc.path, texts[doc.path]).document
        assert current is not None
        record = {"meaning": meaning, "name": name, "email": email, "role": role, "date": day,
                  "fingerprint": current.fingerprint}
        files[doc.path] = record_approval(texts[doc.path], record, current.fingerprint,
                                          meaning == "approve")
    texts.update(files)
    trailer = "Approved-by" if meaning == "approve" else "Reviewed-by"
    verb = "Approve" if meaning == "approve" else "Review"
    stream.commit((name, email), f"{verb} {len(docs)} documents\n\n{trailer}: {name} <{email}>\n",
                  files)


def site_config(name: str) -> str:
    """The text of one of the three builds' MkDocs settings (see ``SITE_CONFIGS``)."""
    site_dir, features, plugins, hooks = SITE_CONFIGS[name]
    return SITE.format(site_dir=site_dir, features=features, plugins=plugins, hooks=hooks)


def site_files() -> dict[str, str]:
    """How our site is made: governed, so a change to them needs an approval."""
    return {"mkdocs.yml": site_config("mkdocs.yml"),
            HOOK: (PROJECT / HOOK).read_text(encoding="utf-8"),
            MACROS_GUARD: (PROJECT / MACROS_GUARD).read_text(encoding="utf-8")}


def project_files() -> dict[str, str]:
    """Settings, site configuration and hook, shared by the three builds."""
    files = {
        "qmsdoc.yml": ("organisation: 基准测试局\ndocument_folders: [" + ", ".join(
            sorted(set(FOLDERS.values()))) + "]\npages_folder: docs\npeople: people.yml\n"
            "require_signatures: false\nrequire_review: true\nreissue_after: 5\n"),
        "people.yml": people_register(),
        "docs/index.md": "# 基准测试\n\n这是基准测试站点。\n",
        "docs/stylesheets/qmsdoc.css": (PROJECT / "docs/stylesheets/qmsdoc.css").read_text(
            encoding="utf-8"),
        "jieba_userdict.txt": (PROJECT / "jieba_userdict.txt").read_text(encoding="utf-8"),
        **site_files(),
    }
    return files


def generate(target: Path, commits: int = 10_000, seed: int = 9001,
             count: int = 1_000) -> None:
    """A repository of ``count`` documents and ``commits`` commits in ``target``."""
    rng = random.Random(seed)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    docs = documents(rng, count)
    batches = [docs[start:start + BATCH] for start in range(0, len(docs), BATCH)]
    stream = Stream(step=min(STEP, SPAN / commits))
    # Set up, then per batch one commit adding it, one reviewing, one approving: the
    # first edition takes effect on the day its last batch is approved.
    first_edition = stream.day_of(1 + 3 * len(batches))
    for doc in docs:
        doc.meta["effective_date"] = first_edition
    texts = {d.path: d.text() for d in docs}
    stream.commit(person(WRITERS[0]), "Set up the manual", project_files())
    for batch in batches:
        stream.commit(person(rng.choice(WRITERS)), "Add documents",
                      {d.path: texts[d.path] for d in batch})
    for batch in batches:
        approve(stream, batch, texts, "review", rng.choice(REVIEWERS))
    for batch in batches:
        approve(stream, batch, texts, "approve", DIRECTOR)
    revisable = [d for d in docs if d.doc_type != "job_responsibility"]
    while stream.commits < commits - 6:
        doc = rng.choice(revisable)
        if rng.random() < 0.06:  # a file moves: the history must follow it
            old = doc.path
            doc.path = f"{Path(old).parent}/{doc.number.lower()}-{rng.randrange(10_000)}.md"
            texts[doc.path] = texts.pop(old)
            stream.commit(person(rng.choice(WRITERS)), f"Rename {doc.number}", {},
                          renames=((old, doc.path),))
            continue
        writer = rng.choice(WRITERS)
        doc.edits += 1
        steps = rng.randint(1, 3)
        # Reviewed and approved right after the last step, in force from the approval day.
        effective = stream.day_of(steps + 2)
        for step in range(steps):
            text = texts[doc.path].replace("state: effective", "state: in_review")
            if step == 0:
                version = parse_document(doc.path, text).document.version  # type: ignore[union-attr]
                following = version.successors()[-1 if version.amendment >= 4 else 0]
                text = text.replace(f"version: {version}", f"version: {following}")
                text = EFFECTIVE.sub(rf"\g<1>'{effective}'", text, count=1)
            text = text.replace("## 4 第4部分", f"## 4 第4部分\n\n第{doc.edits}次修订补充：{PARAGRAPH}", 1)
            texts[doc.path] = text
            stream.commit(person(writer), f"Revise {doc.number}", {doc.path: text})
        if stream.commits > commits - 20:
            continue  # the last revisions stay in review
        approve(stream, [doc], texts, "review", rng.choice(REVIEWERS))
        approve(stream, [doc], texts, "approve", DIRECTOR)
    while stream.commits < commits:
        stream.commit(person(WRITERS[1]), "Update the home page",
                      {"docs/index.md": f"# 基准测试\n\n更新 {stream.commits}。\n"})
    subprocess.run(["git", "fast-import", "--quiet"], cwd=target, input=bytes(stream.out),
                   check=True)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=target, check=True)
    _marker(target).write_text(FORMAT, encoding="utf-8")


def is_current(target: Path) -> bool:
    """Whether ``target`` holds a repository this generator made."""
    marker = _marker(target)
    return marker.is_file() and marker.read_text(encoding="utf-8") == FORMAT


def _marker(target: Path) -> Path:
    return target / ".git" / "qmsdoc-bench-format"


def approve_site_change(repo: Path, files: dict[str, str], branch: str = "main") -> list[str]:
    """Bring the governed ``files`` up to date in ``repo`` as an approved change.

    As a merge request would: a writer commits the change on a branch, and the
    director merges it with an ``Approved-by:`` trailer. Both commits are dated
    after the last one (the history's dates only move forward). Returns the paths
    that changed (none: nothing to do).
    """
    changed = [path for path, text in files.items() if _committed(repo, path) != text]
    if not changed:
        return []
    last = datetime.datetime.fromtimestamp(int(_git(repo, "log", "-1", "--format=%ct")), ZONE)
    writer, director = person(WRITERS[0]), person(DIRECTOR)
    _git(repo, "checkout", "-q", "-B", "site-change", branch)
    for path in changed:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(files[path], encoding="utf-8")
    _git(repo, "add", "--", *changed)
    _git(repo, "commit", "-q", "-m", f"Update {', '.join(changed)}", who=writer, at=last + STEP)
    _git(repo, "checkout", "-q", branch)
    _git(repo, "merge", "-q", "--no-ff", "site-change", "-m",
         f"Merge the site change\n\nApproved-by: {director[0]} <{director[1]}>",
         who=director, at=last + 2 * STEP)
    _git(repo, "branch", "-q", "-D", "site-change")
    return changed


def _committed(repo: Path, path: str) -> str | None:
    done = subprocess.run(["git", "show", f"HEAD:{path}"], cwd=repo, capture_output=True,
                          check=False)
    return done.stdout.decode("utf-8") if done.returncode == 0 else None


def _git(repo: Path, *args: str, who: tuple[str, str] | None = None,
         at: datetime.datetime | None = None) -> str:
    env = dict(os.environ)
    if who is not None and at is not None:
        stamp = f"@{int(at.timestamp())} +0800"
        env.update(GIT_AUTHOR_NAME=who[0], GIT_AUTHOR_EMAIL=who[1], GIT_AUTHOR_DATE=stamp,
                   GIT_COMMITTER_NAME=who[0], GIT_COMMITTER_EMAIL=who[1],
                   GIT_COMMITTER_DATE=stamp)
    return subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, env=env,
                          check=True, capture_output=True, text=True).stdout.strip()
