"""E-licences and cases together (一证通办): a licence given as an application material, with each
refusal; the apply form offering the applicant's licences; the result licence issued when the
real workflow approves a case; and 新生儿出生一件事 of the demo, ending with three signed licences
in the family's wallet.

Personas (``lcast``): the citizen (holder), another citizen, an enterprise's agent, the reviewer
and approver of department A (which decides the items) and the licence officer of A.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from yiwang.accounts.models import Person, User
from yiwang.accounts.tests.factories import ledger_entries
from yiwang.cases import services as case_services
from yiwang.cases import shared, specs
from yiwang.cases.forms import ApplyForm
from yiwang.cases.models import Case, CaseStatus, Notification
from yiwang.cases.tests.factories import full_form, make_item, png_upload
from yiwang.catalog.demo import LICENCE_TYPES, review_approve
from yiwang.core.errors import ValidationFailed
from yiwang.licences import selectors, services, verification
from yiwang.licences.models import HolderKind, Licence, LicenceType, LicenceUse
from yiwang.licences.tests.factories import (
    LicenceCast,
    issue_to_citizen,
    issue_to_enterprise,
    make_licence_type,
)
from yiwang.workflow import selectors as wf_selectors
from yiwang.workflow import services as wf

pytestmark = pytest.mark.django_db


def errors_of(exc: ValidationFailed) -> dict[str, str]:
    return {e["field"]: e["code"] for e in exc.details["errors"]}


def permit_item(lcast: LicenceCast, licence_type: LicenceType | None = None, **kw):
    """An item of department A that asks for a licence of ``licence_type`` (the citizen's
    licence type by default) as its one material."""
    licence_type = licence_type or lcast.person_type
    return make_item(
        lcast.dept_a,
        name=kw.pop("name", "小吃店备案"),
        materials=[{"key": "permit", "name": "经营许可证", "licence_type": licence_type.code}],
        **kw,
    )


def apply_with(lcast: LicenceCast, item, licence_id: str, user: User | None = None, **kw) -> Case:
    return case_services.submit_online(
        user or lcast.citizen,
        item,
        full_form(),
        {"permit": {"source": "licence", "licence_id": licence_id}},
        **kw,
    )


# --- a licence as a material (免提交) --------------------------------------------------------------


def test_an_applicant_gives_his_licence_as_a_material_and_its_use_is_bound_to_the_case(lcast):
    licence = issue_to_citizen(lcast)
    item = permit_item(lcast)

    case = apply_with(lcast, item, licence.licence_id)

    material = case.materials.get()
    assert (material.source, material.licence_id, material.trust_level) == (
        "licence",
        licence.licence_id,
        "A",
    )
    use = LicenceUse.objects.get(licence=licence)
    assert use.case == case and use.department == lcast.dept_a
    assert use.purpose == f"办理小吃店备案（办件 {case.number}）"
    [read] = ledger_entries("personal_data.read", object_id=str(lcast.citizen.person.pk))
    assert read.payload["licence_id"] == licence.licence_id
    assert read.payload["case"] == case.number and read.payload["purpose"] == use.purpose


def test_the_purpose_stays_within_two_hundred_characters_for_a_long_item_name(lcast):
    licence = issue_to_citizen(lcast)
    item = permit_item(lcast, name="特" * 190)
    case = apply_with(lcast, item, licence.licence_id)
    purpose = LicenceUse.objects.get(licence=licence).purpose
    assert len(purpose) <= 200 and purpose.endswith(f"…（办件 {case.number}）")


def test_an_enterprise_agent_gives_the_enterprises_licence_for_the_enterprise(lcast):
    licence = issue_to_enterprise(lcast)
    item = permit_item(lcast, lcast.enterprise_type, for_enterprises=True, for_persons=False)
    case = apply_with(
        lcast, item, licence.licence_id, user=lcast.base.agent, enterprise=lcast.enterprise
    )
    assert case.materials.get().licence_id == licence.licence_id
    # Without the enterprise it is not his licence.
    with pytest.raises(ValidationFailed) as caught:
        apply_with(
            lcast,
            permit_item(lcast, lcast.enterprise_type),
            licence.licence_id,
            user=lcast.base.agent,
        )
    assert errors_of(caught.value) == {"materials.permit": "licence_not_owned"}


def _someone_elses(lcast: LicenceCast) -> Licence:
    return issue_to_citizen(lcast, user=lcast.base.other_citizen)


def _of_another_type(lcast: LicenceCast) -> Licence:
    other_type = make_licence_type(name="卫生许可证")
    return services.issue(
        licence_type=other_type,
        issuer=lcast.dept_a,
        content={"holder_name": lcast.citizen.person.name, "shop_name": "示范小吃店"},
        holder_person=lcast.citizen.person,
    )


def _changed(action: str):
    def make(lcast: LicenceCast) -> Licence:
        licence = issue_to_citizen(lcast)
        return services.change_status(lcast.officer_a, licence, action, "依法处理")

    return make


def _expired(lcast: LicenceCast) -> Licence:
    licence = issue_to_citizen(lcast)
    licence.valid_until = timezone.localdate() - dt.timedelta(days=1)
    licence.save(update_fields=["valid_until"])
    return licence


@pytest.mark.parametrize(
    ("make", "code", "words"),
    [
        (_someone_elses, "licence_not_owned", "未找到申请人名下的该电子证照"),
        (_of_another_type, "licence_type_mismatch", "不是此材料所需的证照类型"),
        (_changed("revoke"), "licence_revoked", "已撤销"),
        (_changed("cancel"), "licence_revoked", "已注销"),
        (_changed("withdraw"), "licence_revoked", "已吊销"),
        (_changed("invalidate"), "licence_revoked", "已失效"),
        (_expired, "licence_expired", "已过有效期"),
    ],
)
def test_it_refuses_a_licence_that_cannot_stand_in_for_the_material(lcast, make, code, words):
    licence = make(lcast)
    item = permit_item(lcast)
    with pytest.raises(ValidationFailed) as caught:
        apply_with(lcast, item, licence.licence_id)
    assert errors_of(caught.value) == {"materials.permit": code}
    [error] = caught.value.details["errors"]
    assert error["message"].startswith("经营许可证：") and words in error["message"]
    assert not Case.objects.exists()
    assert not LicenceUse.objects.exists()


def test_it_refuses_a_malformed_licence_id_before_asking_the_registry(lcast):
    item = permit_item(lcast)
    licence = issue_to_citizen(lcast)
    broken = licence.licence_id[:-1] + ("0" if licence.licence_id[-1] != "0" else "1")
    for licence_id, code in (
        ("证照123", "invalid_licence_id_format"),
        (broken, "invalid_licence_id_checksum"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            apply_with(lcast, item, licence_id)
        assert errors_of(caught.value) == {"materials.permit": code}


def test_every_problem_of_the_application_is_reported_at_once(lcast):
    item = make_item(
        lcast.dept_a,
        materials=[
            {"key": "permit", "name": "经营许可证", "licence_type": lcast.person_type.code},
            {"key": "other", "name": "另一证照", "licence_type": lcast.person_type.code},
        ],
    )
    mine = issue_to_citizen(lcast)
    services.change_status(lcast.officer_a, mine, "revoke", "错误签发")
    with pytest.raises(ValidationFailed) as caught:
        case_services.submit_online(
            lcast.citizen,
            item,
            full_form(shop_name=""),
            {
                "permit": {"source": "licence", "licence_id": mine.licence_id},
                "other": {"source": "licence", "licence_id": _someone_elses(lcast).licence_id},
            },
        )
    assert errors_of(caught.value) == {
        "shop_name": "required",
        "materials.permit": "licence_revoked",
        "materials.other": "licence_not_owned",
    }


# --- the apply form ----------------------------------------------------------------------------------


def _form(lcast: LicenceCast, item, person: Person, data=None) -> ApplyForm:
    spec = specs.spec_for_item(item)
    options = shared.licence_options(person, None, [m.licence_type for m in spec.materials])
    return ApplyForm(data, spec=spec, licence_options=options)


def test_the_apply_form_offers_his_usable_licences_and_defaults_the_material_to_them(lcast):
    usable = issue_to_citizen(lcast)
    services.change_status(lcast.officer_a, issue_to_citizen(lcast), "revoke", "错误签发")
    _expired(lcast)
    _someone_elses(lcast)
    item = permit_item(lcast)

    form = _form(lcast, item, lcast.citizen.person)

    source = form.fields["m_permit"]
    assert source.initial == "licence" and "免提交" in str(source.help_text)
    select = form.fields["m_permit_licence_id"]
    label = f"{lcast.person_type.name} {usable.licence_id}"
    assert list(select.choices) == [(usable.licence_id, label)]
    assert select.initial == usable.licence_id
    assert f'<option value="{usable.licence_id}" selected>{label}</option>' in str(
        form["m_permit_licence_id"]
    )


def test_the_chosen_licence_from_the_form_makes_the_case(lcast):
    usable = issue_to_citizen(lcast)
    item = permit_item(lcast)
    data = {
        **full_form(),
        "m_permit": "licence",
        "m_permit_licence_id": usable.licence_id,
        "delivery": "electronic",
        "sign": "on",
        "form_token": "t",
    }
    form = _form(lcast, item, lcast.citizen.person, data)
    assert form.is_valid(), form.errors
    case = case_services.submit_online(
        lcast.citizen, item, form.form_values(specs.spec_for_item(item)), form.materials()
    )
    assert case.materials.get().licence_id == usable.licence_id


def test_without_a_usable_licence_the_form_asks_for_an_upload_or_a_typed_id(lcast):
    _someone_elses(lcast)
    form = _form(lcast, permit_item(lcast), lcast.citizen.person)
    assert form.fields["m_permit"].initial == "upload"
    assert form.fields["m_permit_licence_id"].widget.input_type == "text"


# --- issuance on approval (the real workflow) -----------------------------------------------------


def approved(lcast: LicenceCast, item, user: User | None = None, **kw) -> Case:
    """Submitted by the citizen (or ``user``), accepted, reviewed and decided by department A."""
    wf.publish_definition(item.implementation_code, item.name, review_approve())
    case = case_services.submit_online(
        user or lcast.citizen,
        item,
        full_form(),
        {"licence": {"source": "upload", "file": png_upload()}},
        **kw,
    )
    case = case_services.accept(lcast.base.reviewer_a, case)
    case = case_services.review(lcast.base.reviewer_a, case, "approve", "材料齐全")
    case = case_services.review(lcast.base.approver_a, case, "approve", "准予许可")
    return case


def result_item(lcast: LicenceCast, code: str, **kw):
    item = make_item(lcast.dept_a, materials=[{"key": "licence", "name": "申请书"}], **kw)
    item.result_licence_type = code
    item.save(update_fields=["result_licence_type"])
    return item


def test_an_approved_case_issues_its_result_licence_to_the_applicant(lcast):
    item = result_item(lcast, lcast.person_type.code)

    case = approved(lcast, item)

    assert case.status == CaseStatus.COMPLETED  # electronic delivery
    [licence_id] = case.result["licence_ids"]
    licence = Licence.objects.get(licence_id=licence_id)
    assert licence.case == case and licence.issuer == lcast.dept_a
    assert licence.holder_person == lcast.citizen.person
    document = selectors.document_of(licence)
    assert document["content"] == {
        "holder_name": lcast.citizen.person.name,
        "shop_name": "湖滨小吃店",  # form.shop_name
    }
    assert verification.verify_reference(licence_id).result == verification.VALID
    verdict = verification.verify_document(document, bytes(licence.signature))
    assert verdict.result == verification.VALID
    assert licence in selectors.wallet(lcast.citizen)
    assert Notification.objects.filter(
        user=lcast.citizen, title=f"您获得了新的电子证照：{lcast.person_type.name}"
    ).exists()


def test_an_enterprise_case_issues_the_licence_to_the_enterprise(lcast):
    item = result_item(lcast, lcast.enterprise_type.code, for_enterprises=True, for_persons=False)
    case = approved(lcast, item, user=lcast.base.agent, enterprise=lcast.enterprise)
    licence = Licence.objects.get(licence_id=case.result["licence_ids"][0])
    assert licence.holder_kind == HolderKind.ENTERPRISE
    assert licence.holder_enterprise == lcast.enterprise and licence.holder_person is None
    assert selectors.document_of(licence)["content"]["name"] == lcast.enterprise.name
    assert verification.verify_reference(licence.licence_id).result == verification.VALID
    assert licence in selectors.wallet(lcast.base.agent)
    told = Notification.objects.filter(title__startswith="您获得了新的电子证照")
    assert told.filter(user=lcast.base.agent).exists()
    assert told.filter(person=lcast.enterprise.legal_representative).exists()


def test_a_missing_licence_type_still_approves_and_the_failure_is_in_the_ledger(lcast):
    item = result_item(lcast, "11100000000013338W999")
    case = approved(lcast, item)
    assert case.status == CaseStatus.COMPLETED and case.result["licence_ids"] == []
    [failure] = ledger_entries("licences.issue_failed", object_id=case.number)
    assert failure.payload["error"] == "unknown_licence_type"
    assert not Licence.objects.exists()


def test_missing_required_content_still_approves_and_the_failure_is_in_the_ledger(lcast):
    needs_more = make_licence_type(
        fields=[
            {
                "key": "holder_name",
                "label": "持证人",
                "type": "string",
                "required": True,
                "source": "applicant.name",
            },
            {
                "key": "permit_no",
                "label": "备案号",
                "type": "string",
                "required": True,
                "source": "form.permit_no",
            },  # the item's form has no such field
        ]
    )
    case = approved(lcast, result_item(lcast, needs_more.code))
    assert case.status == CaseStatus.COMPLETED and case.result["licence_ids"] == []
    [failure] = ledger_entries("licences.issue_failed", object_id=case.number)
    assert failure.payload["error"] == "invalid_licence_content"
    assert "备案号" in failure.payload["message"]
    assert not Licence.objects.exists()


# --- 新生儿出生一件事 of the demo ---------------------------------------------------------------------

NEWBORN_REVIEWERS = {  # member item → (reviewer, approver) of its department
    "出生医学证明签发": ("reviewer.wjw", "approver.wjw"),
    "出生登记": ("reviewer.ga", "approver.ga"),
    "城乡居民基本医疗保险参保登记": ("reviewer.yb", "approver.yb"),
    "社会保障卡申领": ("reviewer.rs", "approver.rs"),
}


@pytest.fixture
def demo_world(db):
    """The demo city, seeded as ``manage.py seed_demo`` does (accounts, then every seeder)."""
    from yiwang.accounts import demo as accounts_demo
    from yiwang.core.demo import run_seeders

    with override_settings(YIWANG_DEMO=True):
        accounts_demo.seed_demo()
        run_seeders()
        yield


def _decide(case: Case, reviewer: User, approver: User) -> Case:
    case = case_services.accept(reviewer, case)
    for _round in range(4):
        case.refresh_from_db()
        if case.status != CaseStatus.IN_REVIEW:
            break
        for user in (reviewer, approver):
            if wf_selectors.open_task_for(user, case.process) is not None:
                case = case_services.review(user, case, "approve", "符合条件，同意。")
                break
    case.refresh_from_db()
    return case


def test_the_newborn_bundle_ends_with_three_signed_licences_in_the_family_wallet(demo_world):
    from yiwang.accounts.demo import CITIZENS, citizen_id_number
    from yiwang.catalog import selectors as catalog_selectors

    zhangwei = User.objects.get(username="zhangwei")
    bundle = catalog_selectors.get_bundle("newborn")
    marriage_type = LICENCE_TYPES["marriage_certificate"]
    [(marriage_id, _label)] = shared.licence_options(zhangwei.person, None, [marriage_type])[
        marriage_type
    ]
    lina = next(i for i, c in enumerate(CITIZENS) if c.name == "李娜")

    parent = case_services.submit_online(
        zhangwei,
        bundle,
        {"mother_id_number": citizen_id_number(CITIZENS[lina], lina)},
        {
            "birth_medical_certificate": {"source": "shared"},
            "hukou": {"source": "shared"},
            "marriage": {"source": "licence", "licence_id": marriage_id},
            "parents_id": {"source": "upload", "file": png_upload("parents.png")},
            "id_card": {"source": "upload", "file": png_upload("id.png")},
            "photo": {"source": "upload", "file": png_upload("photo.png")},
        },
    )
    members = {m.item.name: m for m in parent.members.select_related("item")}
    assert set(members) == set(NEWBORN_REVIEWERS)
    registration = members["出生登记"]
    assert registration.materials.get(material__key="marriage").licence_id == marriage_id
    assert LicenceUse.objects.get(licence__licence_id=marriage_id).case == registration

    for name, (reviewer, approver) in NEWBORN_REVIEWERS.items():
        case = _decide(
            members[name], User.objects.get(username=reviewer), User.objects.get(username=approver)
        )
        assert case.status == CaseStatus.COMPLETED, (name, case.status)

    parent.refresh_from_db()
    assert parent.status == CaseStatus.COMPLETED
    issued = selectors.wallet(zhangwei).filter(case__parent=parent)
    assert sorted(lic.type.key for lic in issued) == [
        "birth_certificate",
        "hukou",
        "social_security_card",
    ]
    for licence in issued:
        assert licence.holder_person == zhangwei.person
        assert licence.case.result["licence_ids"] == [licence.licence_id]
        document = selectors.document_of(licence)
        assert (
            document["content"][
                "child_name"
                if licence.type.key == "birth_certificate"
                else "member_name"
                if licence.type.key == "hukou"
                else "card_holder"
            ]
            == "张小宝"
        )
        verdict = verification.verify_document(document, bytes(licence.signature))
        assert verdict.result == verification.VALID
    members["城乡居民基本医疗保险参保登记"].refresh_from_db()
    assert members["城乡居民基本医疗保险参保登记"].result["licence_ids"] == []
    numbers = [m.number for m in members.values()]
    assert not [e for e in ledger_entries("licences.issue_failed") if e.object_id in numbers]
