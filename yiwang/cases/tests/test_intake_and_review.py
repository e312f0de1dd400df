"""Stories from acceptance to result: 受理 (normal, 容缺, 告知承诺), 不予受理, 补正 restarting the
clock, counter intake (一窗受理), 异地代收代办, review and decision, 挂起/延期, bundles, withdrawal,
and every illegal transition refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from yiwang.cases import selectors, services, states
from yiwang.cases.models import Case, CaseStatus, CorrectionNotice, Notification
from yiwang.cases.tests.factories import (
    Cast,
    all_materials,
    full_form,
    make_bundle,
    make_item,
    png_upload,
    staff_with_role,
)
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.workflow import services as wf

REVIEW_SPEC = {
    "stages": [{"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}],
}


def publish(item) -> None:
    wf.publish_definition(item.implementation_code, item.name, REVIEW_SPEC)


@pytest.fixture
def ready(cast: Cast) -> Cast:
    publish(cast.item)
    return cast


def submitted(cast: Cast, **materials) -> Case:
    chosen = {**all_materials(), **materials}
    return services.submit_online(
        cast.citizen, cast.item, full_form(), {k: v for k, v in chosen.items() if v}
    )


def test_a_reviewer_accepts_and_the_promised_clock_starts(ready: Cast) -> None:
    case = services.accept(ready.reviewer_a, submitted(ready))
    assert case.status == CaseStatus.IN_REVIEW and case.acceptance_mode == "normal"
    assert case.process is not None and case.due_at is not None
    assert case.legal_due_at >= case.due_at
    assert Notification.objects.filter(
        case=case, person=case.applicant, title__startswith="您的申请已受理"
    ).exists()


def test_an_immediate_item_is_due_today(ready: Cast) -> None:
    item = make_item(ready.dept_a, immediate=True)
    publish(item)
    case = services.submit_online(ready.citizen, item, full_form(), all_materials())
    case = services.accept(ready.reviewer_a, case)
    assert timezone.localtime(case.due_at).date() >= timezone.localdate()
    assert case.process.limit_amount == 0


def test_normal_acceptance_needs_every_required_material(ready: Cast) -> None:
    case = submitted(ready, floor_plan={"source": "upload"})  # file not sent yet
    with pytest.raises(Conflict) as caught:
        services.accept(ready.reviewer_a, case)
    assert caught.value.code == "materials_missing"
    assert caught.value.details["missing"] == ["floor_plan"]


def test_a_clerk_accepts_with_a_deficiency_list(ready: Cast) -> None:
    case = submitted(ready, floor_plan={"source": "upload"})
    due = timezone.localdate() + dt.timedelta(days=10)
    case = services.accept(ready.reviewer_a, case, "deficiency", deficiency_due=due)
    assert case.status == CaseStatus.IN_REVIEW and case.acceptance_mode == "deficiency"
    assert case.deficiencies == [
        {"material": "floor_plan", "name": "经营场所平面图", "due": due.isoformat()}
    ]
    assert case.materials.get(material__key="floor_plan", replaced_at__isnull=True).source == (
        "deficient"
    )


def test_deficiency_is_refused_for_a_material_that_does_not_allow_it(ready: Cast) -> None:
    case = submitted(ready, id_card={"source": "upload"})
    with pytest.raises(Conflict) as caught:
        services.accept(ready.reviewer_a, case, "deficiency")
    assert caught.value.code == "deficiency_not_allowed"


def test_commitment_acceptance_records_the_signed_promise(ready: Cast) -> None:
    case = submitted(ready, safety_rules={"source": "upload"})
    case = services.accept(ready.reviewer_a, case, "commitment")
    assert case.acceptance_mode == "commitment" and case.commitment_signed_at is not None


def test_not_accepted_needs_a_reason_which_the_applicant_is_told(ready: Cast) -> None:
    case = submitted(ready)
    with pytest.raises(ValidationFailed):
        services.reject(ready.reviewer_a, case, "  ")
    case = services.reject(ready.reviewer_a, case, "不属于本机关职权范围")
    assert case.status == CaseStatus.NOT_ACCEPTED
    assert case.decision_reason == "不属于本机关职权范围"
    assert Notification.objects.filter(case=case, body="不属于本机关职权范围").exists()


def test_one_correction_notice_lists_everything_and_resubmission_goes_back(ready: Cast) -> None:
    case = submitted(ready)
    notice = services.request_correction(
        ready.reviewer_a,
        case,
        [{"material": "floor_plan", "note": "比例不清"}, {"material": "id_card", "note": "过期"}],
        "请一并补正",
    )
    assert [i["material"] for i in notice.items] == ["floor_plan", "id_card"]
    with pytest.raises(Conflict):
        services.request_correction(ready.reviewer_a, case, [{"material": "id_card"}])
    case.refresh_from_db()
    assert case.status == CaseStatus.CORRECTION
    case = services.resubmit(
        ready.citizen, case, {"floor_plan": {"source": "upload", "file": png_upload("v2.png")}}
    )
    assert case.status == CaseStatus.SUBMITTED
    assert CorrectionNotice.objects.get(pk=notice.pk).resolved_at is not None


def test_correction_after_acceptance_stops_the_clock_and_restarts_it(ready: Cast) -> None:
    case = services.accept(ready.reviewer_a, submitted(ready))
    services.request_correction(ready.reviewer_a, case, [{"material": "floor_plan"}])
    case.refresh_from_db()
    assert case.status == CaseStatus.CORRECTION
    assert case.process.state == "awaiting_correction"
    assert case.due_at is None  # the clock is stopped
    case = services.resubmit(
        ready.citizen, case, {"floor_plan": {"source": "upload", "file": png_upload()}}
    )
    assert case.status == CaseStatus.IN_REVIEW
    case.process.refresh_from_db()
    assert case.process.state == "running"
    assert case.process.clock_started_at > case.accepted_at  # counting begins anew
    assert case.due_at is not None


def test_counter_intake_registers_a_walk_in_applicant_and_takes_paper(ready: Cast) -> None:
    from yiwang.accounts.tests.factories import random_id_number

    person = services.find_or_register_applicant(
        ready.clerk, random_id_number(address_code="330102"), name="王大爷"
    )
    case = services.counter_intake(
        ready.clerk,
        person,
        ready.item,
        full_form(phone="13912345678"),
        {"safety_rules": {"source": "commitment"}},
        paper=["id_card", "floor_plan"],
    )
    assert case.channel == "counter" and case.receiving_department == ready.counter
    assert {cm.material.key: cm.source for cm in case.materials.all()}["id_card"] == "paper"
    case = services.accept(ready.clerk, case)
    assert case.status == CaseStatus.IN_REVIEW


def test_a_reviewer_approves_and_an_electronic_result_completes_the_case(ready: Cast) -> None:
    case = services.accept(ready.reviewer_a, submitted(ready))
    case = services.review(ready.reviewer_a, case, "approve", "符合条件")
    assert case.status == CaseStatus.COMPLETED
    assert case.result["name"] == "食品经营许可决定书" and case.result["licence_ids"] == []
    kinds = [e.kind for e in case.events.all()]
    assert kinds[-3:] == ["review", "approve", "deliver"]


def test_a_rejection_denies_with_the_reason(ready: Cast) -> None:
    case = services.accept(ready.reviewer_a, submitted(ready))
    case = services.review(ready.reviewer_a, case, "reject", "场所不符合食品安全要求")
    assert case.status == CaseStatus.DENIED and case.decision_reason


def test_a_reviewer_of_another_department_has_no_task(ready: Cast) -> None:
    case = services.accept(ready.reviewer_a, submitted(ready))
    with pytest.raises(PermissionDenied):
        services.review(ready.reviewer_b, case, "approve")


def test_suspend_resume_and_extend(ready: Cast) -> None:
    case = services.accept(ready.reviewer_a, submitted(ready))
    case = services.suspend(ready.reviewer_a, case, "expert_review", "专家评审")
    assert case.process.state == "suspended"
    case = services.resume(ready.reviewer_a, case)
    before = case.due_at
    case = services.extend(ready.approver_a, case, 5, "情况复杂，经负责人批准延期")
    assert case.due_at > before


def test_post_delivery_waits_for_the_clerk(ready: Cast) -> None:
    case = services.submit_online(
        ready.citizen,
        ready.item,
        full_form(),
        all_materials(),
        delivery="post",
        delivery_address="示范市湖滨路1号",
    )
    case = services.accept(ready.reviewer_a, case)
    case = services.review(ready.reviewer_a, case, "approve")
    assert case.status == CaseStatus.APPROVED
    case = services.deliver(ready.reviewer_a, case, "post")
    assert case.status == CaseStatus.COMPLETED


def test_a_bundle_fans_out_and_sends_one_completion_notice(ready: Cast) -> None:
    second = make_item(ready.dept_b, name="新生儿医保参保登记", materials=[])
    publish(second)
    bundle = make_bundle(ready.counter, [ready.item, second])
    materials = {f"{ready.item.implementation_code}:{k}": v for k, v in all_materials().items()}
    parent = services.submit_online(ready.citizen, bundle, full_form(), materials)
    members = list(parent.members.order_by("id"))
    assert [m.item for m in members] == [ready.item, second]
    assert [m.department for m in members] == [ready.dept_a, ready.dept_b]
    assert len({m.number for m in members} | {parent.number}) == 3
    assert parent.number.startswith(bundle.code)

    for member, reviewer in zip(members, (ready.reviewer_a, ready.reviewer_b), strict=True):
        member = services.accept(reviewer, member)
        services.review(reviewer, member, "approve")
    parent.refresh_from_db()
    assert parent.status == CaseStatus.COMPLETED
    done = Notification.objects.filter(
        person=parent.applicant, channel="in_app", title__contains="已全部办结"
    )
    assert done.count() == 1
    # no separate completion notices for the members
    assert not Notification.objects.filter(case__in=members, title__contains="已办结").exists()


def test_proxy_intake_forwards_to_the_items_department_which_accepts(ready: Cast) -> None:
    from yiwang.accounts.tests.factories import make_department, random_id_number

    far_window = make_department("外省政务服务中心", region="440300000000")
    far_clerk = staff_with_role(
        far_window, "counter_clerk", ("cases.intake", "accounts.register_person")
    )
    person = services.find_or_register_applicant(
        far_clerk, random_id_number(address_code="330102"), name="异地申请人"
    )
    case = services.counter_intake(
        far_clerk, person, ready.item, full_form(phone="13912345678"), all_materials()
    )
    assert case.status == CaseStatus.FORWARDED and case.channel == "proxy"
    assert case.receiving_department == far_window
    with pytest.raises(PermissionDenied):
        services.accept(far_clerk, case)  # the window forwards; it does not decide
    case = services.accept(ready.reviewer_a, case)
    assert case.status == CaseStatus.IN_REVIEW
    assert [e.kind for e in case.events.all()][:4] == ["submitted", "forward", "receive", "accept"]


def test_the_applicant_withdraws_before_a_decision(ready: Cast) -> None:
    case = submitted(ready)
    with pytest.raises(PermissionDenied):
        services.withdraw(ready.other_citizen, case)
    case = services.withdraw(ready.citizen, case, "不再需要")
    assert case.status == CaseStatus.WITHDRAWN


@pytest.mark.parametrize(
    "status",
    [s for s in CaseStatus.values],
)
def test_every_illegal_transition_is_refused(status: str) -> None:
    for action in states.TRANSITIONS:
        if status in states.TRANSITIONS[action].sources:
            assert states.check_transition(status, action) == states.TRANSITIONS[action].target
        else:
            with pytest.raises(Conflict) as caught:
                states.check_transition(status, action)
            assert caught.value.code == "illegal_transition"


def test_services_refuse_actions_in_the_wrong_state(ready: Cast) -> None:
    case = services.reject(ready.reviewer_a, submitted(ready), "不符合受理条件")
    for attempt in (
        lambda: services.accept(ready.reviewer_a, case),
        lambda: services.reject(ready.reviewer_a, case, "再次"),
        lambda: services.withdraw(ready.citizen, case),
        lambda: services.resubmit(ready.citizen, case, {}),
        lambda: services.deliver(ready.reviewer_a, case),
    ):
        with pytest.raises(Conflict):
            attempt()


def test_an_outsider_cannot_see_or_act_on_anothers_case(ready: Cast) -> None:
    case = submitted(ready)
    for user in (ready.other_citizen, ready.outsider, ready.reviewer_b):
        with pytest.raises(NotFound):
            selectors.get_case_for_user(user, case.number)
    with pytest.raises(PermissionDenied):
        services.accept(ready.reviewer_b, case)
    assert selectors.get_case_for_user(ready.reviewer_a, case.number) == case
    assert selectors.get_case_for_user(ready.citizen, case.number) == case


def test_the_worklist_is_ordered_by_due_date_with_colours(ready: Cast) -> None:
    first = services.accept(ready.reviewer_a, submitted(ready))
    second = services.accept(ready.reviewer_a, submitted(ready))
    Case.objects.filter(pk=first.pk).update(
        due_at=timezone.now() - dt.timedelta(hours=1),
        yellow_at=timezone.now() - dt.timedelta(days=2),
    )
    Case.objects.filter(pk=second.pk).update(
        due_at=timezone.now() + dt.timedelta(days=1),
        yellow_at=timezone.now() - dt.timedelta(hours=1),
    )
    rows = list(selectors.worklist(ready.reviewer_a))
    assert [(r.number, r.warning) for r in rows[:2]] == [
        (first.number, "red"),
        (second.number, "yellow"),
    ]
    assert [r.number for r in selectors.worklist(ready.reviewer_a, warning="red")] == [first.number]
    assert list(selectors.worklist(ready.reviewer_b)) == []


def _walk_in_case_in_correction(cast: Cast) -> Case:
    from yiwang.accounts.tests.factories import random_id_number

    person = services.find_or_register_applicant(
        cast.clerk, random_id_number(address_code="330102"), name="赵大姐"
    )
    case = services.counter_intake(
        cast.clerk, person, cast.item, full_form(phone="13912345679"), {}, paper=["id_card"]
    )
    notice = services.request_correction(
        cast.clerk, case, [{"material": "floor_plan"}, {"material": "safety_rules"}], "请补齐"
    )
    return notice.case


def test_the_clerk_hands_in_a_walk_in_applicants_correction_on_paper(ready: Cast) -> None:
    case = _walk_in_case_in_correction(ready)
    case = services.resubmit(
        ready.clerk,
        case,
        {"safety_rules": {"source": "upload", "file": png_upload()}},
        paper=["floor_plan"],
    )
    assert case.status == CaseStatus.SUBMITTED
    current = {cm.material.key: cm for cm in case.materials.filter(replaced_at__isnull=True)}
    assert current["floor_plan"].source == "paper"
    assert current["floor_plan"].checked_by == ready.clerk
    assert current["safety_rules"].source == "upload"
    assert not case.corrections.filter(resolved_at__isnull=True).exists()


def test_only_a_clerk_may_declare_paper_originals_received(ready: Cast) -> None:
    case = services.submit_online(ready.citizen, ready.item, full_form(), all_materials())
    case = services.request_correction(
        ready.reviewer_a, case, [{"material": "floor_plan"}], ""
    ).case
    with pytest.raises(PermissionDenied) as refused:
        services.resubmit(ready.citizen, case, {}, paper=["floor_plan"])
    assert refused.value.code == "paper_needs_clerk"


def test_a_resubmission_without_any_material_is_refused(ready: Cast) -> None:
    case = _walk_in_case_in_correction(ready)
    with pytest.raises(ValidationFailed) as refused:
        services.resubmit(ready.clerk, case, {})
    assert refused.value.code == "materials_required"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CORRECTION


def test_at_the_counter_an_enterprise_is_named_by_its_uscc_once_authorisation_is_checked(
    ready: Cast,
) -> None:
    uscc = ready.enterprise.uscc
    with pytest.raises(ValidationFailed) as unchecked:
        services.counter_enterprise(uscc, authorisation_checked=False)
    assert unchecked.value.code == "authorisation_unchecked"
    assert services.counter_enterprise(uscc.lower(), authorisation_checked=True) == ready.enterprise


def test_at_the_counter_an_unknown_or_malformed_uscc_is_refused_by_name(ready: Cast) -> None:
    from yiwang.core.identifiers import make_uscc

    unknown = make_uscc("9", "1", "330102", "MA000001")
    with pytest.raises(ValidationFailed) as missing:
        services.counter_enterprise(unknown, authorisation_checked=True)
    assert missing.value.code == "enterprise_unknown"
    with pytest.raises(ValidationFailed) as malformed:
        services.counter_enterprise("91330102MA00000010", authorisation_checked=True)
    assert malformed.value.field == "applicant_enterprise"


def test_the_timeline_tells_each_process_step_in_words(ready: Cast) -> None:
    case = services.accept(ready.reviewer_a, submitted(ready))
    case = services.review(ready.reviewer_a, case, "approve", "符合条件")
    titles = [entry.title for entry in selectors.timeline(case) if entry.source == "process"]
    department = ready.dept_a.short_name or ready.dept_a.name
    assert titles[0] == "审批流程启动"
    assert f"审查：待{department}办理" in titles
    assert f"审查：{department}同意" in titles
    assert titles[-1] == "审批通过"
    assert not [t for t in titles if t.isascii()]  # no raw event codes
