"""Conditions, auto-approval (智能秒办), simulation, and spec validation."""

from __future__ import annotations

import pytest

from yiwang.accounts.tests.factories import ledger_entries, make_department
from yiwang.core.errors import ValidationFailed
from yiwang.workflow import selectors
from yiwang.workflow.models import AutoDecision, InstanceState
from yiwang.workflow.rules import evaluate_condition, simulate
from yiwang.workflow.spec import parse_spec
from yiwang.workflow.tests.factories import linear_spec, make_definition, open_tasks, stage, start

SENIOR = {"field": "applicant.age", "op": "gte", "value": 60}
LOCAL = {"field": "applicant.hukou", "op": "in", "value": ["330102", "330105"]}


# --- conditions ------------------------------------------------------------------------------


def test_a_condition_reads_dotted_paths_and_explains_the_value_it_saw():
    ok, why = evaluate_condition(SENIOR, {"applicant": {"age": 65}})
    assert ok
    assert why == "applicant.age ≥ 60（值 65）：成立"


def test_all_any_and_not_combine_and_name_each_part():
    data = {"applicant": {"age": 45, "hukou": "330102"}}
    ok, why = evaluate_condition({"all": [SENIOR, LOCAL]}, data)
    assert not ok
    assert "applicant.age ≥ 60（值 45）：不成立" in why
    assert "applicant.hukou ∈" in why and "成立" in why
    assert evaluate_condition({"any": [SENIOR, LOCAL]}, data)[0]
    assert evaluate_condition({"not": SENIOR}, data)[0]


def test_comparisons_are_type_safe():
    assert not evaluate_condition({"field": "n", "op": "eq", "value": 1}, {"n": True})[0]
    assert not evaluate_condition({"field": "n", "op": "eq", "value": 1}, {"n": "1"})[0]
    ok, why = evaluate_condition({"field": "n", "op": "gt", "value": 1}, {"n": "2"})
    assert not ok and "类型不同" in why
    assert evaluate_condition(
        {"field": "d", "op": "lt", "value": "2025-10-01"}, {"d": "2025-09-30"}
    )[0]


def test_a_missing_field_makes_comparisons_false_and_missing_true():
    assert not evaluate_condition({"field": "a.b", "op": "ne", "value": 1}, {})[0]
    assert evaluate_condition({"field": "a.b", "op": "missing"}, {"a": {}})[0]
    assert evaluate_condition({"field": "a.0", "op": "exists"}, {"a": [1]})[0]
    assert evaluate_condition({"field": "flag", "op": "true"}, {"flag": True})[0]
    assert not evaluate_condition({"field": "flag", "op": "false"}, {"flag": 0})[0]


# --- spec validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["stages"][1].update(after=["approve"]), "不能以自身为前置环节"),
        (lambda s: s["stages"][0].update(after=["approve"]), "循环依赖"),
        (lambda s: s["stages"][0].update(colour="red"), "环节“审查”（review）包含未知的键：colour"),
        (
            lambda s: s["stages"][0].update(departments=[]),
            "环节“审查”（review）必须至少指定一个办理部门",
        ),
        (
            lambda s: s["stages"][0].update(limit={"amount": 3, "unit": "weeks"}),
            "时限单位“weeks”无效",
        ),
        (
            lambda s: s["stages"][0].update(when={"field": "x", "op": "like", "value": 1}),
            "运算符“like”无效",
        ),
        (lambda s: s["stages"][0].update(mode="majority"), "会签方式“majority”无效"),
        (lambda s: s["stages"][1].update(after=["nowhere"]), "前置环节“nowhere”不存在"),
        (lambda s: s.update(colour=1), "未知的键：colour"),
    ],
)
def test_a_bad_spec_is_refused_with_a_message_naming_the_stage(change, message):
    spec = linear_spec()
    change(spec)
    with pytest.raises(ValidationFailed) as refused:
        parse_spec(spec)
    assert message in refused.value.message
    assert refused.value.code == "invalid_process_spec"


@pytest.mark.django_db
def test_a_spec_naming_an_unknown_department_is_not_published():
    spec = {"stages": [stage("review", departments=["91350100M000100Y43"])]}
    with pytest.raises(ValidationFailed) as refused:
        make_definition(spec)
    assert "91350100M000100Y43" in refused.value.message


def test_a_spec_orders_its_stages_by_depth():
    spec = parse_spec(
        {
            "stages": [
                stage("final", after=["a", "b"]),
                stage("a"),
                stage("b", after=["a"]),
            ]
        }
    )
    assert [s.key for s in spec.order] == ["a", "b", "final"]
    assert spec.depths() == {"final": 2, "a": 0, "b": 1}


# --- auto-approval ---------------------------------------------------------------------------


def _auto_spec():
    return linear_spec(
        auto_approval={
            "enabled": True,
            "rules": [
                {"id": "R1", "name": "本地老年人", "when": {"all": [SENIOR, LOCAL]}},
                {
                    "id": "R2",
                    "name": "残疾人",
                    "when": {"field": "applicant.disabled", "op": "true"},
                },
            ],
        }
    )


@pytest.mark.django_db
def test_an_auto_approval_rule_fires_and_the_decision_says_which_and_why():
    data = {"applicant": {"age": 72, "hukou": "330102"}}
    instance = start(make_definition(_auto_spec()), data=data)

    assert instance.state == InstanceState.APPROVED
    assert open_tasks(instance) == []
    decision = AutoDecision.objects.get(instance=instance)
    assert (decision.decision, decision.rule_id, decision.data) == ("approve", "R1", data)
    r1 = decision.reasons[0]
    assert r1["fired"] and "applicant.age ≥ 60（值 72）：成立" in r1["explanation"]
    assert ledger_entries("workflow.auto_decision", object_id=str(instance.pk))


@pytest.mark.django_db
def test_no_rule_fires_so_the_case_goes_to_people_with_the_reasons_recorded():
    instance = start(
        make_definition(_auto_spec()), data={"applicant": {"age": 40, "hukou": "330102"}}
    )

    assert instance.state == InstanceState.RUNNING
    assert [t.stage_key for t in open_tasks(instance)] == ["review"]
    decision = AutoDecision.objects.get(instance=instance)
    assert (decision.decision, decision.rule_id) == ("manual", "")
    assert "applicant.age ≥ 60（值 40）：不成立" in decision.reasons[0]["explanation"]
    assert "applicant.disabled 为 true（值 （缺失））：不成立" in decision.reasons[1]["explanation"]


@pytest.mark.django_db
def test_simulation_reports_what_a_candidate_rule_set_would_change():
    definition = make_definition(_auto_spec(), key="pension")
    bureau = make_department()
    people = [
        {"applicant": {"age": 72, "hukou": "330102"}},  # auto under R1
        {"applicant": {"age": 61, "hukou": "110105"}},  # manual
        {"applicant": {"age": 58, "hukou": "330102", "disabled": True}},  # auto under R2
        {"applicant": {"age": 30, "hukou": "330102"}},  # manual
    ]
    for data in people:
        start(definition, bureau, data=data)
    candidate = linear_spec(
        auto_approval={
            "enabled": True,
            "rules": [{"id": "R3", "name": "年满60周岁", "when": SENIOR}],
        }
    )

    report = simulate(candidate, selectors.instances_for_simulation("pension"))

    assert (report.total, report.would_auto_approve, report.would_stop_auto_approving) == (4, 1, 1)
    assert report.summary == "共 4 件：将新增秒办 1 件，将不再秒办 1 件，不变 2 件。"
    changed = {r.business_key: (r.old, r.new) for r in report.rows if r.changed}
    assert sorted(changed.values()) == [("auto", "manual"), ("manual", "auto")]
    assert report.as_dict()["instances"][0]["explanation"]
