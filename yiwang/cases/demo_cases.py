"""Demo cases (办件) of 示范市, made through the real services (called by ``demo.seed_cases``).

One case per state a visitor should see in the worklists and on the applicant's pages:

- 王芳 applied online for 个体工商户登记: submitted, awaiting acceptance at 市市场监管局;
- 湖滨餐饮 (its legal representative 刘洋) applied for 食品经营许可: in review, yellow warning;
- 陈静's 个体工商户登记 was accepted days ago: in review, red (overdue);
- 赵磊's 个体工商户登记 waits for his 补正 (one notice listing the missing material);
- the walk-in applicant 孙丽 applied at the 市政务服务中心 window (一窗受理): completed;
- 李娜, agent of 新桥建材, applied for the enterprise (特种设备使用登记): in review.

Staff: the demo clerk (窗口), reviewer and approver of 市市场监管局 (and the 卫健委 reviewer
for the joint review of food licences). No case is made for 张伟's 新生儿出生一件事: the demo
journey starts from his empty application. A case whose item, process or people are missing is
skipped. Clocks are aged by moving the process start back (``workflow.refresh_clock``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from yiwang.accounts import selectors as account_selectors
from yiwang.accounts.models import Enterprise, Person, User
from yiwang.cases import services
from yiwang.cases.models import Case, CaseEvent, CaseStatus
from yiwang.core.errors import NotFound

# Base codes of the demo catalogue (yiwang.catalog.demo), all implemented by 市市场监管局.
INDIVIDUAL_BUSINESS = "000110008000"  # 个体工商户登记
FOOD_BUSINESS = "000110001000"  # 食品经营许可
SPECIAL_EQUIPMENT = "000110007000"  # 特种设备使用登记

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{name}.pdf", PDF, content_type="application/pdf")


def _item(base: str, dept: str = "scjg") -> Any:
    """The published demo item, or None (the catalogue or its process is not there)."""
    try:
        from yiwang.catalog import selectors as catalog_selectors
        from yiwang.catalog.demo import implementation_code
        from yiwang.workflow import selectors as wf_selectors

        item = catalog_selectors.get_published_item(implementation_code(dept, base))
        wf_selectors.active_definition(item.effective_process_key)
    except (ImportError, NotFound, StopIteration):
        return None
    return item


def _user(username: str) -> User | None:
    return User.objects.filter(username=username, is_active=True).first()


def _walk_in(name: str) -> Person | None:
    from yiwang.accounts.demo import CITIZENS, citizen_id_number

    for index, spec in enumerate(CITIZENS):
        if spec.name == name:
            return account_selectors.find_person_by_id_number(citizen_id_number(spec, index))
    return None


def _enterprise(name: str) -> Enterprise | None:
    return Enterprise.objects.filter(name=name).first()


def _uploads(item: Any, *, skip: tuple[str, ...] = (), commitment: bool = True) -> dict:
    """Every required material: signed commitments where allowed, uploads for the rest."""
    out: dict[str, dict[str, Any]] = {}
    for material in item.materials.filter(required=True):
        if material.key in skip:
            continue
        if commitment and material.commitment_allowed:
            out[material.key] = {"source": "commitment"}
        else:
            out[material.key] = {"source": "upload", "file": _pdf(material.key)}
    return out


def _mark(case: Case) -> None:
    """Flag the case's first event, so that seeding again knows the demo cases exist."""
    first = CaseEvent.objects.filter(case=case).order_by("at", "id").first()
    if first is not None:
        first.data = {**(first.data or {}), "demo": True}
        first.save(update_fields=["data"])


def _approve_open_tasks(case: Case, staff: list[User]) -> Case:
    """Let each of ``staff`` give his opinion while he has an open task, until the end."""
    from yiwang.workflow import selectors as wf_selectors

    for _round in range(6):
        case.refresh_from_db()
        if case.status != CaseStatus.IN_REVIEW:
            break
        acted = False
        for user in staff:
            if wf_selectors.open_task_for(user, case.process) is not None:
                case = services.review(user, case, "approve", "材料齐全，符合条件，同意。")
                acted = True
                break
        if not acted:
            break
    case.refresh_from_db()
    return case


class _Retry(Exception):
    pass


def _back_date(case: Case, start: dt.datetime) -> None:
    """Move the case's submission, acceptance and process clock start back to ``start``."""
    from yiwang.workflow import services as wf
    from yiwang.workflow.models import ProcessEvent, ProcessInstance, Task

    submitted = start - dt.timedelta(hours=2)
    Case.objects.filter(pk=case.pk).update(submitted_at=submitted, accepted_at=start)
    CaseEvent.objects.filter(case=case, kind="submitted").update(at=submitted)
    CaseEvent.objects.filter(case=case, kind__startswith="accept").update(at=start)
    if case.process_id is None:
        return
    ProcessInstance.objects.filter(pk=case.process_id).update(clock_started_at=start)
    Task.objects.filter(instance_id=case.process_id).update(created_at=start)
    ProcessEvent.objects.filter(instance_id=case.process_id).update(at=start)
    instance = ProcessInstance.objects.get(pk=case.process_id)
    wf.refresh_clock(instance)


def _age(case: Case, warning: str) -> Case:
    """Back-date the case (whole days) until its process shows ``warning`` (yellow or red)."""
    from yiwang.workflow.models import ProcessInstance

    now = timezone.now()
    for days in range(1, 45):
        try:
            with transaction.atomic():
                _back_date(case, now - dt.timedelta(days=days))
                if ProcessInstance.objects.get(pk=case.process_id).warning != warning:
                    raise _Retry
        except _Retry:
            continue
        break
    case.refresh_from_db()
    return case


def _awaiting_acceptance(reviewer: User, approver: User, clerk: User) -> Case | None:
    item, applicant = _item(INDIVIDUAL_BUSINESS), _user("wangfang")
    if item is None or applicant is None:
        return None
    form = {"business_address": "东湖区新桥街9号沿街商铺", "business_scope": "日用百货零售"}
    return services.submit_online(applicant, item, form, _uploads(item))


def _yellow(reviewer: User, approver: User, clerk: User) -> Case | None:
    item, applicant = _item(FOOD_BUSINESS), _user("liuyang")
    enterprise = _enterprise("示范市湖滨餐饮管理有限公司")
    if item is None or applicant is None or enterprise is None:
        return None
    form = {"business_address": "东湖区湖滨路26号一层", "business_kind": "热食类食品制售"}
    case = services.submit_online(
        applicant,
        item,
        form,
        _uploads(item),
        enterprise=enterprise,
        delivery="post",
        delivery_address="东湖区湖滨路26号",
    )
    case = services.accept(reviewer, case, "commitment", note="材料齐全，告知承诺受理。")
    return _age(case, "yellow")


def _red(reviewer: User, approver: User, clerk: User) -> Case | None:
    item, applicant = _item(INDIVIDUAL_BUSINESS), _user("chenjing")
    if item is None or applicant is None:
        return None
    form = {
        "business_address": "西岭区岭下街33号",
        "business_scope": "服装零售",
        "trade_name": "静衣",
    }
    case = services.submit_online(applicant, item, form, _uploads(item, commitment=False))
    case = services.accept(reviewer, case)
    return _age(case, "red")


def _correction(reviewer: User, approver: User, clerk: User) -> Case | None:
    item, applicant = _item(INDIVIDUAL_BUSINESS), _user("zhaolei")
    if item is None or applicant is None:
        return None
    form = {"business_address": "西岭区石门村石门组12号", "business_scope": "农产品零售"}
    case = services.submit_online(applicant, item, form, _uploads(item, commitment=False))
    services.request_correction(
        reviewer,
        case,
        [{"material": "premises", "note": "租赁合同未签字，请补充签字页或改签经营场所承诺书"}],
        "请一次性补齐以下材料后重新提交。",
    )
    case.refresh_from_db()
    return case


def _completed(reviewer: User, approver: User, clerk: User) -> Case | None:
    item, applicant = _item(INDIVIDUAL_BUSINESS), _walk_in("孙丽")
    if item is None or applicant is None:
        return None
    form = {
        "business_address": "东湖区柳岸路7号",
        "business_scope": "花卉零售",
        "trade_name": "柳岸花坊",
    }
    required = list(item.materials.filter(required=True).values_list("key", flat=True))
    case = services.counter_intake(clerk, applicant, item, form, {}, paper=required)
    if case.status != CaseStatus.SUBMITTED:
        return case
    case = services.accept(clerk, case, note="窗口核验原件，材料齐全。")
    case = _approve_open_tasks(case, [reviewer, approver])
    if case.status == CaseStatus.APPROVED:
        case = services.deliver(approver, case, "pickup")
    return case


def _by_agent(reviewer: User, approver: User, clerk: User) -> Case | None:
    item, applicant = _item(SPECIAL_EQUIPMENT), _user("lina")
    enterprise = _enterprise("示范市新桥建材有限公司")
    if item is None or applicant is None or enterprise is None:
        return None
    form = {"equipment_kind": "起重机械"}
    case = services.submit_online(applicant, item, form, _uploads(item), enterprise=enterprise)
    return services.accept(reviewer, case, note="材料齐全，予以受理。")


MAKERS: tuple[Callable[[User, User, User], Case | None], ...] = (
    _awaiting_acceptance,
    _yellow,
    _red,
    _correction,
    _completed,
    _by_agent,
)


def make_demo_cases() -> int:
    """Make the demo cases (the caller checks that none exist yet); returns how many."""
    reviewer, approver, clerk = _user("reviewer"), _user("approver"), _user("clerk")
    if reviewer is None or approver is None or clerk is None:
        return 0
    made = 0
    for maker in MAKERS:
        case = maker(reviewer, approver, clerk)
        if case is not None:
            _mark(case)
            made += 1
    return made
