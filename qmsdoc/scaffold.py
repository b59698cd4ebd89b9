"""Starting a manual (``qmsdoc init``) and a document (``qmsdoc new``).

``init`` writes a new repository from the templates shipped in ``qmsdoc/data/init``
(settings, people register, site settings and hook, home page, Makefile, README),
a quality manual skeleton and the job responsibilities of the top manager and the
document controller, all in review, and commits it: that first commit is the
starting point of the governed files. ``new`` writes one document in review with
complete metadata and the section skeleton of its type.
"""

from __future__ import annotations

import datetime
import shutil
import string
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .clauses import DEFAULT_STANDARDS, SHIPPED
from .config import Settings
from .errors import QmsdocError
from .loader import load_manual
from .model import DocType, Manual

TOP_MANAGER, CONTROLLER = "局长", "文件管理员"
ALL_TYPES = [t.key for t in DocType]

# Where ``new`` puts a type when the manual holds none of that type yet.
DEFAULT_FOLDERS = {
    DocType.QUALITY_MANUAL: "docs/manual",
    DocType.PROCEDURE: "procedures",
    DocType.WORK_INSTRUCTION: "procedures",
    DocType.JOB_RESPONSIBILITY: "responsibilities",
    DocType.RECORD_TEMPLATE: "records_templates",
    DocType.EXTERNAL_DOCUMENT: "docs/external",
}

SECTIONS = {
    DocType.QUALITY_MANUAL: ["颁布令", "1 范围", "2 组织环境", "3 领导作用", "4 策划", "5 支持",
                             "6 运行", "7 绩效评价", "8 改进"],
    DocType.PROCEDURE: ["1 目的", "2 适用范围", "3 职责", "4 工作程序", "5 相关文件", "6 记录"],
    DocType.WORK_INSTRUCTION: ["1 目的", "2 适用范围", "3 职责", "4 操作步骤", "5 注意事项",
                               "6 记录"],
    DocType.JOB_RESPONSIBILITY: ["1 岗位概述", "2 任职条件", "3 主要职责", "4 权限", "5 工作关系"],
    DocType.RECORD_TEMPLATE: ["填写说明", "表格"],
    DocType.EXTERNAL_DOCUMENT: ["1 文件概况", "2 适用范围", "3 本局执行要求"],
}
# Metadata the type requires, filled with a value the writer replaces.
TYPE_FIELDS: dict[DocType, dict[str, Any]] = {
    DocType.JOB_RESPONSIBILITY: {"role": "（岗位名称）", "authority": {}},
    DocType.RECORD_TEMPLATE: {"retention": "10年", "keeper": "（保管部门）"},
    DocType.EXTERNAL_DOCUMENT: {"issuer": "（发布机关）"},
}
# Lists a type usually fills in, written empty so that the writer sees them.
LISTS: dict[DocType, dict[str, list[str]]] = {
    DocType.QUALITY_MANUAL: {"roles": []},
    DocType.PROCEDURE: {"records": [], "roles": []},
    DocType.WORK_INSTRUCTION: {"records": [], "roles": []},
}
TODO = "（待编写）"


@dataclass(frozen=True)
class NewDocument:
    """What ``new`` and ``init`` need to write one document."""

    doc_type: DocType
    number: str
    title: str
    department: str
    today: datetime.date
    extra: dict[str, Any] | None = None  # type-specific metadata (role, authority, ...)
    body: str | None = None  # the text of an imported document instead of the skeleton


def document_text(new: NewDocument) -> str:
    """The text of a new document: complete metadata, in review, and its sections."""
    meta: dict[str, Any] = {
        "number": new.number, "title": new.title, "type": new.doc_type.key, "version": "A/0",
        "state": "in_review", "department": new.department,
        # The day it was written; the writer sets the real date of effect before approval.
        "effective_date": new.today, "review_interval": 12, "clauses": [], "related": [],
        **LISTS.get(new.doc_type, {}), "change_summary": "首次发布",
        **TYPE_FIELDS.get(new.doc_type, {}), **(new.extra or {})}
    dumped = yaml.safe_dump({"qms": meta}, allow_unicode=True, sort_keys=False, width=200)
    body = new.body or "\n\n".join(f"## {heading}\n\n{TODO}" for heading in SECTIONS[new.doc_type])
    return f"---\n{dumped}---\n\n{body.strip()}\n"


def parse_type(name: str) -> DocType:
    """A document type from its Chinese name (程序文件) or key (procedure)."""
    for doc_type in DocType:
        if name.strip().lower() in (doc_type.key, doc_type.label):
            return doc_type
    known = "、".join(f"{t.label}（{t.key}）" for t in DocType)
    raise QmsdocError(f"没有“{name}”这种文件类型：可用的类型有 {known}")


def new_document(settings: Settings, type_name: str, number: str, title: str,
                 department: str | None, today: datetime.date) -> Path:
    """Write a new document in review into the folder of its type; return its path."""
    doc_type = parse_type(type_name)
    number = number.strip().upper()
    if not title.strip():
        raise QmsdocError("--title 不能为空：写文件名称，例如 文件控制程序")
    path = document_path(settings, doc_type, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document_text(NewDocument(doc_type, number, title.strip(),
                                              (department or "办公室").strip(), today)),
                    encoding="utf-8")
    return path


def document_path(settings: Settings, doc_type: DocType, number: str) -> Path:
    """Where a new document numbered ``number`` goes; refuses a wrong or used number."""
    if not doc_type.number_re.match(number):
        raise QmsdocError(f"编号 {number} 不符合{doc_type.label}的编号规则：应写作 {doc_type.example}"
                          " 这样的形式")
    loaded = load_manual(settings)
    taken = loaded.manual.get(number)
    if taken is not None or number in loaded.unreadable_numbers:
        where = f"（{taken.path}）" if taken is not None else ""
        raise QmsdocError(f"编号 {number} 已被使用{where}：换一个未用的编号")
    folder = _folder(settings, doc_type, loaded.manual)
    path = settings.root / folder / f"{number.lower()}.md"
    if path.exists():
        raise QmsdocError(f"{path.relative_to(settings.root).as_posix()} 已存在：换一个编号，"
                          "或先处理这个文件")
    return path


def _folder(settings: Settings, doc_type: DocType, manual: Manual) -> str:
    """The folder that holds documents of this type, else the default one if it is listed."""
    used = sorted({d.path.rsplit("/", 1)[0] for d in manual if d.type is doc_type and "/" in d.path})
    if used:
        return used[0]
    default = DEFAULT_FOLDERS[doc_type]
    if default in settings.document_folders:
        return default
    folders = "、".join(settings.document_folders)
    raise QmsdocError(f"不知道把{doc_type.label}放在哪个目录：qmsdoc.yml 的 document_folders"
                      f"（{folders}）中没有 {default}，也没有已有的{doc_type.label}；"
                      f"把 {default} 加入 document_folders 后再运行")


def init_manual(target: Path, organisation: str, name: str | None, email: str | None,
                today: datetime.date, standards: Sequence[str] = DEFAULT_STANDARDS) -> str:
    """Write a new manual into the empty folder ``target`` and commit it; return the commit.

    ``standards``: the national numbers of the standards the manual covers.
    """
    organisation = organisation.strip()
    if not organisation:
        raise QmsdocError("--org 不能为空：写单位名称，例如 示范市市场监督管理局")
    standards = list(dict.fromkeys(s.strip() for s in standards)) or list(DEFAULT_STANDARDS)
    unknown = [s for s in standards if s not in SHIPPED]
    if unknown:
        raise QmsdocError(f"--standard {unknown[0]} 有误：qmsdoc 没有这个标准的条款目录。"
                          f"可选的标准：{'、'.join(SHIPPED)}（照此写国家标准号，含年代号）")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise QmsdocError(f"{target} 不是空目录：qmsdoc init 只在新建的空目录中建立文件库，"
                          "换一个目录名，或先清空该目录")
    # The commit is the writer's (whoever runs init): the first person only when git has no one.
    writer = ["-c", f"user.name={name}", "-c", f"user.email={email}"] if not (
        _git_config("user.name") and _git_config("user.email")) else []
    name = name or _git_config("user.name")
    email = email or _git_config("user.email")
    if not name or not email:
        raise QmsdocError("不知道第一位人员（局长）是谁：用 --name 姓名 --email 邮箱 写明，"
                          "或先设置 git config user.name 和 user.email")
    values = {"organisation": organisation, "name": name, "email": email,
              "today": today.isoformat(), "standards": ", ".join(standards)}
    target.mkdir(parents=True, exist_ok=True)
    templates = resources.files("qmsdoc") / "data" / "init"
    with resources.as_file(templates) as source:
        for file in sorted(p for p in source.rglob("*")  # not what compileall leaves beside
                           if p.is_file() and "__pycache__" not in p.parts):
            relative = file.relative_to(source).as_posix()
            out = target / (".gitignore" if relative == "gitignore" else relative)
            out.parent.mkdir(parents=True, exist_ok=True)
            if file.suffix in {".py", ".css"}:  # copied as they are
                shutil.copyfile(file, out)
            else:
                out.write_text(string.Template(file.read_text(encoding="utf-8"))
                               .safe_substitute(values), encoding="utf-8")
    for folder, document in _first_documents(today).items():
        (target / folder).parent.mkdir(parents=True, exist_ok=True)
        (target / folder).write_text(document_text(document), encoding="utf-8")
    for empty in ("procedures", "records_templates"):  # git keeps no empty folder
        (target / empty).mkdir(exist_ok=True)
        (target / empty / ".gitkeep").touch()
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, *writer, "commit", "-q",
         "-m", f"建立 {organisation} 质量管理体系文件库（qmsdoc init）")
    return _git(target, "rev-parse", "HEAD").strip()


def _first_documents(today: datetime.date) -> dict[str, NewDocument]:
    return {
        "docs/manual/qm-01.md": NewDocument(DocType.QUALITY_MANUAL, "QM-01", "质量手册", "办公室",
                                            today),
        "responsibilities/jr-01.md": NewDocument(
            DocType.JOB_RESPONSIBILITY, "JR-01", "局长岗位职责", "局领导", today,
            {"role": TOP_MANAGER, "authority": {"approve": ALL_TYPES}}),
        "responsibilities/jr-02.md": NewDocument(
            DocType.JOB_RESPONSIBILITY, "JR-02", "文件管理员岗位职责", "办公室", today,
            {"role": CONTROLLER, "authority": {"write": ALL_TYPES, "issue": ALL_TYPES}}),
    }


def _git_config(key: str) -> str | None:
    result = subprocess.run(["git", "config", key], capture_output=True, text=True)
    return result.stdout.strip() or None


def _git(root: Path, *args: str) -> str:
    try:
        result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    except OSError as error:
        raise QmsdocError(f"无法运行 git：{error.strerror}。先安装 git") from None
    if result.returncode != 0:
        raise QmsdocError(f"git {args[0]} 失败：{result.stderr.strip()}")
    return result.stdout
