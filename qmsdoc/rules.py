"""Every rule id qmsdoc reports, with what it means (``qmsdoc rules``).

Rule ids are stable English identifiers; the explanations are for document
controllers. A test keeps this list and the code in step.
"""

from __future__ import annotations

RULES: dict[str, str] = {
    # Files and metadata
    "file.not-utf8": "受控文件必须是 UTF-8 编码。",
    "file.too-large": "受控文件不能超过 1 MiB（超过的不读取、不发布）；人员名册和设置同样如此。",
    "frontmatter.missing": "受控文件开头必须有 --- 包围的元数据块。",
    "frontmatter.invalid-yaml": "元数据必须是正确的 YAML（冒号、缩进、引号）。",
    "frontmatter.too-deep": "元数据中列表和字段组的嵌套不能超过 32 层。",
    "frontmatter.too-many-aliases": "元数据中别名（*名称）重复的内容合计不能超过 10000 项。",
    "schema.no-metadata": "元数据必须写在顶层字段 qms: 之下。",
    "schema.unknown-field": "不认识的字段（常见于拼写错误，如 aproved_by）。",
    "schema.duplicate-field": "同一字段写了两次。",
    "schema.missing-field": "缺少必填字段（编号、名称、类型、版本、状态、归口部门、生效日期、"
                            "评审周期、修订说明，以及各类型特有的字段）。",
    "schema.not-allowed": "字段的值不在允许的选项中（如 type、state）。",
    "schema.bad-format": "字段的值格式不对（编号、版本 A/0、日期、条款号、保管期限）。",
    "schema.wrong-type": "字段的值类型不对（如应为列表却写成文字）。",
    "schema.invalid": "字段的值不符合其他约束（如不能为空、不能重复）。",
    "schema.field-not-for-type": "字段只适用于另一类文件（如 retention 只用于记录表格）。",
    "schema.number-type-mismatch": "文件编号与文件类型不符（程序文件为 QP-nn，记录表格为 QR-nn-nn 等）。",
    "schema.replaced-by-not-obsolete": "只有已作废的文件才能写替代文件 replaced_by。",
    "template.forbidden": "受控文件只允许 {{ doc(\"编号\") }} 和 {{ clause(\"条款\") }} 两种模板写法，"
                          "网站页面另可调用 documents()、recent_revisions()；其他模板语法会在"
                          "生成网站时被当作代码执行。",
    "template.bad-argument": "网站页面中的宏参数有误（如不存在的文件类型、归口部门或岗位）。",
    "content.script": "受控文件和网站页面不能含 <script> 脚本（代码块和行内代码中展示的除外）。",
    "content.event-handler": "HTML 标签和属性列表 {…} 不能带 onclick、onerror 等事件属性"
                             "（点击、加载时执行的代码）。",
    "content.unsafe-url": "链接、图片等地址不能以 javascript:、vbscript:、data: 开头；"
                          "只用站内相对路径和 http(s)、mailto、tel 地址。",
    "content.embedded": "不能嵌入其他网页、插件、表单或改变整个页面的元素"
                        "（iframe、object、embed、form、input、base、meta、link、style 等）。",
    "document.duplicate-number": "同一文件编号出现在两个文件中。",
    "config.missing-folder": "qmsdoc.yml 中列出的文件目录不存在。",
    "config.unknown-commit": "qmsdoc.yml 的 history_backfilled_until 必须是本仓库历史中的一个提交。",
    # Cross-references and coverage
    "reference.unknown-document": "引用、相关文件或记录中的编号必须对应一个存在的文件。",
    "reference.not-in-force": "现行有效文件不得引用草稿、审批中或已作废的文件。",
    "record.not-a-template": "records 中只能列记录表格。",
    "record.not-produced": "每份现行记录表格至少由一份现行程序文件或作业指导书产生。",
    "role.no-responsibility": "文件中提到的每个岗位都要有岗位职责文件。",
    "role.duplicate-responsibility": "一个岗位只能有一份岗位职责文件。",
    "clause.unknown": "条款号必须是所引用标准（默认 GB/T 19001-2016）中存在的条款。",
    "clause.ambiguous": "qmsdoc.yml 声明了多个标准时，条款引用要写明标准号，例如 \"24001:6.1.2\"。",
    "clause.standard-not-declared": "条款引用只能指向 qmsdoc.yml 的 standards 中声明的标准"
                                    "（例如 \"13485:8.5.2\" 在未声明 ISO 13485 时是错误）。",
    "coverage.no-quality-manual": "必须有一份现行有效的质量手册（体系建立期间为警告）。",
    "coverage.clause-not-addressed": "每个声明的标准第 4–10 章的每个要求条款都要由现行文件涉及，"
                                     "或在质量手册中写明删减理由（体系建立期间为警告）。",
    "coverage.excluded-but-addressed": "删减的条款不应同时被文件声称涉及。",
    # People and approvals
    "people.missing-register": "必须有人员名册（people.yml）。",
    "people.invalid": "人员名册的写法有误。",
    "people.duplicate-email": "一个 git 邮箱只能登记给一个人。",
    "people.unknown-role": "名册中的岗位必须有对应的岗位职责文件。",
    "governance.unapproved-change": "人员名册、qmsdoc 设置、网站设置 mkdocs.yml 和钩子 hooks/ 的修改"
                                    "须经批准才生效；未批准前名册和设置按已批准的版本检查，"
                                    "--strict 时报错；网站设置和钩子未经批准时不能生成员工网站。",
    "governance.invalid-approval": "受控设置（名册、设置、mkdocs.yml、hooks/）的修改须由修改前名册中"
                                   "有权批准岗位职责、且未参与修改的人批准（要求签名时须签名）。",
    "approval.missing": "标为现行有效的文件必须有有效的批准。",
    "approval.no-evidence": "元数据中的审批记录必须有对应的审批提交（由本人 qmsdoc approve 产生）。",
    "approval.unknown-person": "审批人必须登记在人员名册中。",
    "approval.role-not-held": "审批当天，审批人必须担任该岗位。",
    "approval.not-entitled": "审批人的岗位必须在岗位职责中有该类文件的审核/批准权限。",
    "approval.self-approval": "编制人不能审核或批准自己编制的修订。",
    "approval.authority-not-approved": "岗位职责（审批权限的来源）批准之前，其他文件不能生效。",
    "approval.not-reviewed": "批准前，同一内容必须经另一人有效审核（可在 qmsdoc.yml 中关闭）。",
    "approval.unsigned": "配置要求签名时，审批提交必须签名。",
    "approval.bad-signature": "审批提交的签名必须有效。",
    "approval.unregistered-key": "签名密钥必须登记在审批人名下。",
    "approval.unreadable-content": "审批时的文件内容必须能够读取。",
    "approval.unapproved-change": "批准后的内容又被修改：网站仍显示已批准的文本并注明审批中；"
                                  "--strict 时报错。",
    "approval.effective-before-approval": "生效日期不能早于批准日期（文件不能追溯生效）；"
                                          "补录的历史中按批准日期起生效，并提示。",
    "version.not-raised": "每次批准的内容变更都要提高版本号。",
    "version.decreased": "版本号只能升高。",
    "version.skipped": "版本号应逐次升高（A/1 之后是 A/2 或 B/0）。",
    "version.reissue-suggested": "修改次数达到 qmsdoc.yml 中 reissue_after 的次数，建议换版。",
    "review.overdue": "现行文件应在评审周期内完成定期评审。",
    "page.uncommitted": "员工网站只发布已提交的网站页面；未提交的页面或修改不发布（--strict 时报错）。",
    "file.symlink": "符号链接只能指向仓库中已提交的文件；受控文件不能是符号链接。",
    "asset.missing": "已批准的文本引用的图片或附件必须在批准它的提交中（与文本一同提交、一同批准）；"
                     "否则网站不生成。",
    "asset.outside": "文件引用的图片或附件必须在仓库和网站之内（放在文件旁边，用相对路径引用）。",
    "governance.hook-outside": "mkdocs.yml 列出的钩子必须放在受控的 hooks/ 目录中。",
    "history.shallow": "必须在完整的 git 克隆中检查（不能是浅克隆）。",
    "history.untracked": "受控文件、人员名册和设置必须纳入 git 管理。",
    "history.uncommitted": "--strict 时受控文件不能有未提交的修改。",
    "history.date-order": "提交日期不能早于它之前的提交（git 日期可随意填写）；审批、审核和受控设置的修改"
                          "如此则报错，并按不早于前序提交的日期判定。",
    "history.future-date": "提交日期不能晚于检查的时刻；审批在它写明的日期之前不算数。",
    # Controlled copies (受控本): the register copies.yml
    "copies.invalid": "受控文件发放回收登记（copies.yml）的写法有误（字段、日期、发放号）。",
    "copies.duplicate-number": "一个发放号只能登记一次。",
    "copies.unknown-document": "登记的受控本必须是存在的文件的已批准版本。",
    "copies.recall-overdue": "新版生效或文件作废后，旧版受控本应在 recall_within 天内收回并登记（警告）。",
    "copies.not-entitled": "每条发放、收回登记须由当天担任有该类文件发放权限的岗位的本人提交"
                           "（qmsdoc issue / qmsdoc recall）。",
    "copies.uncommitted": "发放、收回登记须已提交；未提交的登记不能证明登记人（--strict 时报错）。",
    # qmsdoc verify: a published site against git
    "verify.manifest": "网站目录中必须有构建时写入的构建清单 qmsdoc-manifest.json，且内容完整。",
    "verify.unknown-commit": "构建清单记录的提交必须在本仓库的历史中。",
    "verify.other-version": "核对网站时最好用生成它的同一 qmsdoc 版本，"
                            "否则页面可能因程序不同而不一致（警告）。",
    "verify.edited": "已发布的页面不能在构建之后被修改：其 SHA-256 必须与构建清单一致。",
    "verify.missing-page": "构建清单（或按 git 重新生成的网站）中的页面必须在网站目录中。",
    "verify.extra-page": "网站目录中不能有构建清单之外的 HTML 页面。",
    "verify.rebuild-failed": "必须能按构建清单的提交和日期从 git 重新生成网站，才能核对。",
    "verify.not-in-git": "按 git，构建清单中的每个页面在该日的网站中都应存在。",
    "verify.wrong-document": "页面显示的文件、版本、批准提交和内容指纹必须是 git 记录的该日现行有效的文本。",
    "verify.not-from-git": "页面内容必须与按 git 重新生成的页面逐字节相同（不是由未经批准的文本生成）。",
}
