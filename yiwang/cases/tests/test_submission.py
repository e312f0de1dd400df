"""Stories of applying: a citizen online, an enterprise's agent, each validation error, each
material source."""

from __future__ import annotations

import pytest

from yiwang.accounts.models import Person
from yiwang.cases import services
from yiwang.cases.models import Case, CaseMaterial, CaseStatus, Notification
from yiwang.cases.tests.factories import (
    Cast,
    all_materials,
    full_form,
    make_item,
    marriage_licence,
    png_upload,
    shared_record,
)
from yiwang.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiwang.core.models.ledger import LedgerEntry
from yiwang.workflow import services as wf


def errors_of(exc: ValidationFailed) -> dict[str, str]:
    return {e["field"]: e["code"] for e in exc.details["errors"]}


def test_a_citizen_applies_online_and_gets_a_numbered_case(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = services.submit_online(cast.citizen, cast.item, full_form(), all_materials())

    assert case.status == CaseStatus.SUBMITTED
    assert case.number.startswith(cast.item.implementation_code)
    assert (
        case.number.endswith("0001") and len(case.number) == len(cast.item.implementation_code) + 12
    )
    assert case.department == cast.dept_a
    assert case.applicant.user == cast.citizen
    assert case.form_data["applicant_name"] == cast.citizen.person.name  # 已自动填充
    assert case.form_data["area"] == 35
    sources = {cm.material.key: cm.source for cm in case.materials.all()}
    assert sources == {"id_card": "upload", "floor_plan": "upload", "safety_rules": "commitment"}
    upload = case.materials.get(material__key="floor_plan")
    assert upload.size > 0 and len(upload.sha256) == 64 and upload.content_type == "image/png"
    assert case.commitment_signed_at is not None
    assert case.events.get().kind == "submitted"
    assert LedgerEntry.objects.filter(action="cases.case.submitted").count() == 1
    # once committed, the department and the applicant are told about the new application
    assert Notification.objects.filter(case=case, user=cast.reviewer_a).exists()
    assert Notification.objects.filter(case=case, user=cast.citizen).exists()


def test_the_second_case_of_the_day_gets_the_next_number(cast: Cast) -> None:
    first = services.submit_online(cast.citizen, cast.item, full_form(), all_materials())
    second = services.submit_online(cast.citizen, cast.item, full_form(), all_materials())
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1


def test_a_citizen_cannot_spoof_the_prefilled_name(cast: Cast) -> None:
    case = services.submit_online(
        cast.citizen, cast.item, full_form(applicant_name="冒名顶替"), all_materials()
    )
    assert case.form_data["applicant_name"] == cast.citizen.person.name


def test_every_form_error_is_reported_at_once_with_a_chinese_message(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.submit_online(
            cast.citizen,
            cast.item,
            {"shop_name": "", "area": "三十", "category": "weapons", "start_date": "明天"},
            {},
        )
    errors = errors_of(caught.value)
    assert errors == {
        "shop_name": "required",
        "area": "invalid_number",
        "category": "invalid_choice",
        "start_date": "invalid_date",
        "materials.id_card": "material_required",
        "materials.floor_plan": "material_required",
        "materials.safety_rules": "material_required",
    }
    messages = {e["message"] for e in caught.value.details["errors"]}
    assert "请填写“店铺名称”。" in messages
    assert Case.objects.count() == 0


def test_a_wrong_id_number_or_phone_is_refused_naming_the_field(cast: Cast) -> None:
    item = make_item(
        cast.dept_a,
        fields=[
            {"key": "spouse_id", "label": "配偶身份证号", "type": "id_number"},
            {"key": "spouse_phone", "label": "配偶手机号", "type": "phone"},
        ],
        materials=[],
    )
    with pytest.raises(ValidationFailed) as caught:
        services.submit_online(
            cast.citizen, item, {"spouse_id": "110105194912310021", "spouse_phone": "12345"}, {}
        )
    errors = errors_of(caught.value)
    assert errors == {"spouse_id": "invalid_id_number_checksum", "spouse_phone": "invalid_phone"}
    assert "配偶身份证号" in caught.value.message


def test_post_delivery_needs_an_address(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.submit_online(
            cast.citizen, cast.item, full_form(), all_materials(), delivery="post"
        )
    assert errors_of(caught.value) == {"delivery_address": "address_required"}


def test_a_bad_upload_is_refused(cast: Cast) -> None:
    materials = all_materials()
    from django.core.files.uploadedfile import SimpleUploadedFile

    materials["floor_plan"] = {
        "source": "upload",
        "file": SimpleUploadedFile(
            "plan.png", b"<html><script>alert(1)</script></html>", content_type="image/png"
        ),
    }
    with pytest.raises(ValidationFailed) as caught:
        services.submit_online(cast.citizen, cast.item, full_form(), materials)
    assert caught.value.code == "upload_type_refused"
    assert Case.objects.count() == 0


def test_a_material_is_satisfied_from_shared_data_and_the_read_is_logged(cast: Cast) -> None:
    record = shared_record(cast.citizen.person, "hukou", cast.dept_b)
    materials = {**all_materials(), "hukou_copy": {"source": "shared"}}

    case = services.submit_online(cast.citizen, cast.item, full_form(), materials)

    cm = case.materials.get(material__key="hukou_copy")
    assert cm.source == "shared" and cm.shared_record == record
    read = LedgerEntry.objects.filter(action="personal_data.read").last()
    assert read.payload["subject_person_id"] == cast.citizen.person.pk
    assert read.payload["purpose"]


def test_shared_data_of_another_person_cannot_be_used(cast: Cast) -> None:
    other = shared_record(cast.other_citizen.person, "hukou", cast.dept_b)
    materials = {**all_materials(), "hukou_copy": {"source": "shared", "shared_record": other.pk}}
    with pytest.raises(ValidationFailed) as caught:
        services.submit_online(cast.citizen, cast.item, full_form(), materials)
    assert errors_of(caught.value) == {"materials.hukou_copy": "shared_record_missing"}


def test_a_material_is_satisfied_by_the_applicants_e_licence(cast: Cast) -> None:
    licence = marriage_licence(cast.citizen.person, cast.dept_b)
    materials = {
        **all_materials(),
        "marriage": {"source": "licence", "licence_id": licence.licence_id.lower()},
    }
    case = services.submit_online(cast.citizen, cast.item, full_form(), materials)
    cm = case.materials.get(material__key="marriage")
    assert (cm.source, cm.licence_id, cm.trust_level) == ("licence", licence.licence_id, "A")
    use = licence.uses.get()
    assert use.case == case and use.department == cast.dept_a
    assert use.purpose == f"办理食品经营许可（办件 {case.number}）"


def test_an_e_licence_must_be_well_formed_and_belong_to_the_applicant(cast: Cast) -> None:
    someone_elses = marriage_licence(cast.other_citizen.person, cast.dept_b)
    for licence_id, code in (
        ("1.2.156.3005.2.X.Y.Z.001.A", "invalid_licence_id_format"),
        ("", "invalid_licence_id_format"),
        (someone_elses.licence_id, "licence_not_owned"),
    ):
        materials = {**all_materials(), "marriage": {"source": "licence", "licence_id": licence_id}}
        with pytest.raises(ValidationFailed) as caught:
            services.submit_online(cast.citizen, cast.item, full_form(), materials)
        assert errors_of(caught.value) == {"materials.marriage": code}
    assert not someone_elses.uses.exists()


def test_a_material_without_a_licence_type_cannot_be_given_as_a_licence(cast: Cast) -> None:
    licence = marriage_licence(cast.citizen.person, cast.dept_b)
    materials = {
        **all_materials(),
        "floor_plan": {"source": "licence", "licence_id": licence.licence_id},
    }
    with pytest.raises(ValidationFailed) as caught:
        services.submit_online(cast.citizen, cast.item, full_form(), materials)
    assert errors_of(caught.value) == {"materials.floor_plan": "licence_type_mismatch"}


def test_each_material_records_the_trust_level_of_its_source(cast: Cast) -> None:
    shared_record(cast.citizen.person, "hukou", cast.dept_b)
    materials = {**all_materials(), "hukou_copy": {"source": "shared"}}
    case = services.submit_online(cast.citizen, cast.item, full_form(), materials)
    levels = {cm.material.key: cm.trust_level for cm in case.materials.all()}
    assert levels == {"id_card": "C", "floor_plan": "C", "safety_rules": "D", "hukou_copy": "A"}
    walk_in = services.counter_intake(
        cast.clerk,
        cast.citizen.person,
        cast.item,
        full_form(),
        {"safety_rules": {"source": "commitment"}},
        paper=["id_card", "floor_plan"],
    )
    levels = {cm.material.key: cm.trust_level for cm in walk_in.materials.all()}
    assert levels == {"id_card": "B", "floor_plan": "B", "safety_rules": "D"}


def test_commitment_only_where_allowed_and_deficiency_never_by_the_applicant(cast: Cast) -> None:
    materials = {
        **all_materials(),
        "id_card": {"source": "commitment"},
        "floor_plan": {"source": "deficient"},
    }
    with pytest.raises(ValidationFailed) as caught:
        services.submit_online(cast.citizen, cast.item, full_form(), materials)
    assert errors_of(caught.value) == {
        "materials.id_card": "commitment_not_allowed",
        "materials.floor_plan": "deficiency_by_clerk_only",
    }


def test_an_agent_applies_for_his_enterprise(cast: Cast) -> None:
    case = services.submit_online(
        cast.agent, cast.item, full_form(), all_materials(), enterprise=cast.enterprise
    )
    assert case.enterprise == cast.enterprise and case.applicant == cast.agent.person


def test_a_citizen_cannot_act_for_an_enterprise_he_does_not_represent(cast: Cast) -> None:
    with pytest.raises(NotFound):
        services.submit_online(
            cast.citizen, cast.item, full_form(), all_materials(), enterprise=cast.enterprise
        )


def test_an_unpublished_item_cannot_be_applied_for(cast: Cast) -> None:
    cast.item.status = "draft"
    cast.item.save()
    with pytest.raises(Conflict):
        services.submit_online(cast.citizen, cast.item, full_form(), all_materials())


def test_a_material_uploaded_after_submission_replaces_nothing_twice(cast: Cast) -> None:
    materials = {**all_materials(), "floor_plan": {"source": "upload"}}
    case = services.submit_online(cast.citizen, cast.item, full_form(), materials)
    assert not case.materials.filter(material__key="floor_plan").exists()
    services.upload_material(cast.citizen, case, "floor_plan", png_upload())
    services.upload_material(cast.citizen, case, "floor_plan", png_upload("v2.png"))
    current = CaseMaterial.objects.filter(
        case=case, material__key="floor_plan", replaced_at__isnull=True
    )
    assert [cm.original_name for cm in current] == ["v2.png"]


def test_staff_and_outsiders_cannot_apply_as_a_citizen(cast: Cast) -> None:
    from yiwang.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.submit_online(cast.reviewer_a, cast.item, full_form(), all_materials())
    assert Person.objects.filter(user=cast.reviewer_a).count() == 0


def test_only_the_applicant_uploads_a_material_and_only_before_acceptance(cast: Cast) -> None:
    case = services.submit_online(
        cast.citizen,
        cast.item,
        full_form(),
        {
            "id_card": {"source": "upload", "file": png_upload("id.png")},
            "floor_plan": {"source": "upload"},
            "safety_rules": {"source": "commitment"},
        },
    )
    with pytest.raises(PermissionDenied):
        services.upload_material(cast.clerk, case, "floor_plan", png_upload())
    with pytest.raises(PermissionDenied):
        services.upload_material(cast.other_citizen, case, "floor_plan", png_upload())
    services.upload_material(cast.citizen, case, "floor_plan", png_upload())
    wf.publish_definition(
        cast.item.implementation_code,
        cast.item.name,
        {
            "stages": [
                {"key": "review", "name": "审查", "role": "reviewer", "departments": ["$item"]}
            ]
        },
    )
    services.accept(cast.reviewer_a, case)
    with pytest.raises(Conflict):
        services.upload_material(cast.citizen, case, "floor_plan", png_upload("late.png"))


def test_nobody_is_told_about_a_submission_before_it_commits(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = services.submit_online(cast.citizen, cast.item, full_form(), all_materials())
    assert callbacks, "the notices wait for the commit"
    assert not Notification.objects.filter(case=case).exists()
