"""BPMN export, the diagram, the workflow API and the deadline command."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from yiwang.accounts.tests.factories import login_as, make_citizen, make_department, make_staff
from yiwang.workflow.bpmn import BPMN_NS, diagram_svg, to_bpmn_xml
from yiwang.workflow.models import Warning
from yiwang.workflow.tasks import check_deadlines_task
from yiwang.workflow.tests.factories import (
    linear_spec,
    local,
    make_definition,
    make_officer,
    open_tasks,
    stage,
    start,
)

pytestmark = pytest.mark.django_db
NS = {"bpmn": BPMN_NS}


def _parallel_spec(police, health):
    return {
        "stages": [
            stage("intake", "counter_clerk", name="受理"),
            stage(
                "police", "reviewer", name="公安审查", departments=[police.uscc], after=["intake"]
            ),
            stage(
                "health", "reviewer", name="卫健审查", departments=[health.uscc], after=["intake"]
            ),
            stage(
                "site",
                "reviewer",
                name="现场核查<&>",
                after=["intake"],
                when={"field": "area", "op": "gt", "value": 100},
            ),
            stage(
                "joint",
                "reviewer",
                name="联合会签",
                departments=[police.uscc, health.uscc],
                mode="all",
                after=["police", "health", "site"],
            ),
            stage("approve", "approver", name="审批", after=["joint"]),
        ]
    }


def _walk(root):
    process = root.find("bpmn:process", NS)
    names = {el.get("id"): el.get("name") for el in process if el.get("id")}
    edges = {}
    for flow in process.findall("bpmn:sequenceFlow", NS):
        edges.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef"))
    return process, names, edges


def test_the_bpmn_export_parses_names_every_stage_and_connects_start_to_end():
    police, health = make_department("公安分局"), make_department("卫健局")
    definition = make_definition(_parallel_spec(police, health))

    root = ET.fromstring(to_bpmn_xml(definition).encode())

    assert root.tag == f"{{{BPMN_NS}}}definitions"
    process, names, edges = _walk(root)
    tasks = [t.get("name") for t in process.findall("bpmn:userTask", NS)]
    assert {"受理", "公安审查", "卫健审查", "现场核查<&>", "审批"} <= set(tasks)
    assert sum(1 for t in tasks if t.startswith("联合会签")) == 2  # one per department
    assert process.findall("bpmn:parallelGateway", NS)
    condition = process.find("bpmn:sequenceFlow/bpmn:conditionExpression", NS)
    assert json.loads(condition.text) == {"field": "area", "op": "gt", "value": 100}
    # Every node lies on a path from the start event to the end event.
    start = process.find("bpmn:startEvent", NS).get("id")
    end = process.find("bpmn:endEvent", NS).get("id")
    reached, frontier = {start}, [start]
    while frontier:
        for target in edges.get(frontier.pop(), []):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    flow_ids = {f.get("id") for f in process.findall("bpmn:sequenceFlow", NS)}
    assert end in reached
    assert reached == set(names) - flow_ids
    # Diagram interchange: a shape per node, an edge per flow, left to right.
    shapes = root.findall(".//{http://www.omg.org/spec/BPMN/20100524/DI}BPMNShape")
    assert len(shapes) == len(reached)
    bounds = {
        s.get("bpmnElement"): float(
            s.find("{http://www.omg.org/spec/DD/20100524/DC}Bounds").get("x")
        )
        for s in shapes
    }
    assert bounds[start] < bounds["Task_1"] < bounds["Task_6"] < bounds[end]


def test_the_diagram_is_a_safe_accessible_svg_that_fits_a_phone():
    police, health = make_department("公安分局"), make_department("卫健局")
    definition = make_definition(_parallel_spec(police, health))

    svg = diagram_svg(definition)
    root = ET.fromstring(svg)

    assert root.get("role") == "img" and root.get("width") == "100%" and root.get("viewBox")
    assert root.find("{http://www.w3.org/2000/svg}title").text.endswith("办理流程图")
    assert "<script" not in svg and "onload" not in svg
    assert "现场核查&lt;&amp;" in svg  # escaped text
    assert svg.count("<ns0:") == 0


def test_the_definition_api_is_public_and_serves_bpmn_and_svg():
    definition = make_definition(linear_spec(), key="food-licence")
    client = Client()

    data = client.get("/api/v1/workflow/definitions/food-licence").json()
    assert (data["key"], data["version"], [s["key"] for s in data["stages"]]) == (
        "food-licence",
        definition.version,
        ["review", "approve"],
    )
    xml = client.get("/api/v1/workflow/definitions/food-licence/bpmn")
    assert xml["Content-Type"].startswith("application/xml")
    svg = client.get("/api/v1/workflow/definitions/food-licence/diagram.svg")
    assert svg["Content-Type"].startswith("image/svg+xml")
    assert client.get("/api/v1/workflow/definitions/nothing").status_code == 404


def test_simulation_is_for_approvers_and_reports_the_changes():
    definition = make_definition(
        linear_spec(
            auto_approval={
                "enabled": True,
                "rules": [{"id": "R1", "when": {"field": "age", "op": "gte", "value": 70}}],
            }
        ),
        key="subsidy",
    )
    bureau = make_department()
    start(definition, bureau, data={"age": 65})
    start(definition, bureau, data={"age": 75})
    candidate = linear_spec(
        auto_approval={
            "enabled": True,
            "rules": [{"id": "R2", "when": {"field": "age", "op": "gte", "value": 60}}],
        }
    )
    url = "/api/v1/workflow/definitions/subsidy/simulate"

    approver = login_as(Client(), make_officer("approver", bureau))
    report = approver.post(url, {"spec": candidate}, content_type="application/json").json()
    assert (report["total"], report["would_auto_approve"], report["would_stop_auto_approving"]) == (
        2,
        1,
        0,
    )

    clerk = login_as(Client(), make_staff())
    assert clerk.post(url, {}, content_type="application/json").status_code == 403
    bad = approver.post(url, {"spec": {"stages": []}}, content_type="application/json")
    assert bad.status_code == 422


def test_my_tasks_lists_only_tasks_i_may_handle_and_filters_by_colour():
    bureau, other = make_department("本局"), make_department("他局")
    mine = start(make_definition(), bureau, started_at=local(2025, 9, 30, 10))
    start(make_definition(), other)
    reviewer = login_as(Client(), make_officer("reviewer", bureau))

    page = reviewer.get("/api/v1/workflow/tasks").json()
    assert [t["business_key"] for t in page["items"]] == [mine.business_key]
    assert page["items"][0]["warning"] == Warning.NONE  # not yet swept
    red = reviewer.get("/api/v1/workflow/tasks?warning=red").json()
    assert red["count"] == 1  # its 3-day stage limit ended on 2025-10-11
    assert reviewer.get("/api/v1/workflow/tasks?warning=yellow").json()["count"] == 0
    citizen = login_as(Client(), make_citizen())
    assert citizen.get("/api/v1/workflow/tasks").json() == {"count": 0, "items": []}


def test_the_deadline_command_and_task_sweep_warnings():
    instance = start(make_definition(), make_department(), started_at=local(2025, 9, 30, 10))
    out = StringIO()
    call_command("check_deadlines", stdout=out)
    assert "warnings changed: 2" in out.getvalue()  # the stage task and the case are red
    assert open_tasks(instance)[0].warning == Warning.RED
    assert check_deadlines_task.enqueue().return_value == 0
