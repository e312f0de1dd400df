"""A definition as BPMN 2.0 XML (for bpmn.io and other viewers) and as a server-rendered SVG.

Both come from one layout (``layout(definition)``):

- a ``startEvent``; one ``userTask`` per stage, or per stage × department for 会签/或签 (a
  ``parallelGateway`` fork before them; after them a ``parallelGateway`` join for 会签 and a
  ``complexGateway`` "first approval" join for 或签);
- a stage with a condition (``when``) sits behind an ``exclusiveGateway``: the conditional flow
  (its ``conditionExpression`` is the condition as JSON) enters the stage, the default flow
  bypasses it to a merging ``exclusiveGateway``;
- stages that start together or wait for several others get ``parallelGateway`` forks/joins;
- an ``endEvent``.

Nodes are laid out left to right by their depth in the graph (longest path from the start),
stacked top-down within a column. The XML carries ``bpmndi`` shapes and edges with those bounds.
The SVG draws the same picture (rounded task boxes with stage name, role and limit; diamonds
for gateways; arrows), with ``<title>``/``<desc>``, ``role="img"``, a ``viewBox`` and
``width="100%"`` so it fits a phone; all text is escaped and nothing is scripted.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from yiwang.accounts.models import Department
from yiwang.workflow.spec import ITEM_DEPARTMENT, Spec, Stage, parse_spec

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SVG_NS = "http://www.w3.org/2000/svg"

SIZES = {
    "startEvent": (36, 36),
    "endEvent": (36, 36),
    "userTask": (140, 84),
    "parallelGateway": (50, 50),
    "exclusiveGateway": (50, 50),
    "complexGateway": (50, 50),
}
COLUMN = 190
ROW = 120
MARGIN = 30


@dataclass
class Node:
    id: str
    kind: str
    name: str = ""
    role: str = ""
    limit: str = ""
    department: str = ""
    column: int = 0
    x: int = 0
    y: int = 0

    @property
    def size(self) -> tuple[int, int]:
        return SIZES[self.kind]

    @property
    def center_y(self) -> int:
        return self.y + self.size[1] // 2


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str = ""
    condition: str = ""
    default: bool = False
    points: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Layout:
    key: str
    name: str
    nodes: dict[str, Node]
    flows: list[Flow]
    width: int
    height: int


class _Builder:
    def __init__(self, spec: Spec, departments: dict[str, str]) -> None:
        self.spec = spec
        self.departments = departments
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []

    def node(self, node_id: str, kind: str, name: str = "", **extra: str) -> str:
        self.nodes[node_id] = Node(node_id, kind, name, **extra)
        return node_id

    def flow(self, source: str, target: str, **extra: Any) -> Flow:
        flow = Flow(f"Flow_{len(self.flows) + 1}", source, target, **extra)
        self.flows.append(flow)
        return flow

    def _limit_text(self, stage: Stage) -> str:
        if stage.limit is None:
            return ""
        n = stage.limit.amount
        if stage.limit.unit == "hours":
            text = ngettext("时限 %(n)d 小时", "时限 %(n)d 小时", n)
        elif stage.limit.unit == "calendar_days":
            text = ngettext("时限 %(n)d 个自然日", "时限 %(n)d 个自然日", n)
        else:
            text = ngettext("时限 %(n)d 个工作日", "时限 %(n)d 个工作日", n)
        return text % {"n": n}

    def stage_block(self, index: int, stage: Stage) -> tuple[str, str]:
        """Build a stage's nodes; return its (entry, exit) node ids."""
        limit = self._limit_text(stage)
        if len(stage.departments) == 1:
            task = self.node(
                f"Task_{index}",
                "userTask",
                stage.name,
                role=stage.role,
                limit=limit,
                department=self.departments.get(stage.departments[0], ""),
            )
            entry = exit_ = task
        else:
            mode = _("会签") if stage.mode == "all" else _("或签")
            entry = self.node(f"Gateway_{index}_fork", "parallelGateway", mode)
            exit_ = self.node(
                f"Gateway_{index}_join",
                "parallelGateway" if stage.mode == "all" else "complexGateway",
                mode,
            )
            for j, code in enumerate(stage.departments):
                department = self.departments.get(code, code)
                task = self.node(
                    f"Task_{index}_{j}",
                    "userTask",
                    f"{stage.name}（{department}）",
                    role=stage.role,
                    limit=limit,
                    department=department,
                )
                self.flow(entry, task)
                self.flow(task, exit_)
        if stage.when is None:
            return entry, exit_
        decide = self.node(f"Gateway_{index}_when", "exclusiveGateway", _("条件"))
        merge = self.node(f"Gateway_{index}_merge", "exclusiveGateway")
        condition = json.dumps(stage.when, ensure_ascii=False, sort_keys=True)
        self.flow(decide, entry, name=_("满足条件"), condition=condition)
        self.flow(decide, merge, name=_("跳过"), default=True)
        self.flow(exit_, merge)
        return decide, merge

    def build(self) -> None:
        start = self.node("StartEvent_1", "startEvent", _("开始"))
        end = self.node("EndEvent_1", "endEvent", _("办结"))
        blocks = {s.key: self.stage_block(i + 1, s) for i, s in enumerate(self.spec.stages)}
        index = {s.key: i + 1 for i, s in enumerate(self.spec.stages)}
        # The point each stage leaves from: a fork when several stages wait for it.
        outs: dict[str, str] = {}
        for stage in self.spec.stages:
            successors = self.spec.successors(stage.key)
            exit_ = blocks[stage.key][1]
            if len(successors) > 1:
                fork = self.node(f"Gateway_{index[stage.key]}_split", "parallelGateway")
                self.flow(exit_, fork)
                outs[stage.key] = fork
            else:
                outs[stage.key] = exit_
        first = [s for s in self.spec.stages if not s.after]
        begin = start
        if len(first) > 1:
            begin = self.node("Gateway_start_fork", "parallelGateway")
            self.flow(start, begin)
        for stage in self.spec.stages:
            entry = blocks[stage.key][0]
            if not stage.after:
                self.flow(begin, entry)
            elif len(stage.after) == 1:
                self.flow(outs[stage.after[0]], entry)
            else:
                join = self.node(f"Gateway_{index[stage.key]}_wait", "parallelGateway")
                for dep in stage.after:
                    self.flow(outs[dep], join)
                self.flow(join, entry)
        finals = self.spec.final_stages
        if len(finals) > 1:
            join = self.node("Gateway_end_join", "parallelGateway")
            for stage in finals:
                self.flow(outs[stage.key], join)
            self.flow(join, end)
        else:
            self.flow(outs[finals[0].key], end)

    def place(self) -> tuple[int, int]:
        incoming: dict[str, list[str]] = {n: [] for n in self.nodes}
        for flow in self.flows:
            incoming[flow.target].append(flow.source)
        depth: dict[str, int] = {}

        def column(node_id: str) -> int:
            if node_id not in depth:
                depth[node_id] = 1 + max((column(s) for s in incoming[node_id]), default=-1)
            return depth[node_id]

        for node_id in self.nodes:
            column(node_id)
        end_column = max(depth.values())
        depth["EndEvent_1"] = end_column
        columns: dict[int, list[Node]] = {}
        for node in self.nodes.values():  # insertion order keeps related nodes together
            node.column = depth[node.id]
            columns.setdefault(node.column, []).append(node)
        rows = max(len(c) for c in columns.values())
        height = rows * ROW + 2 * MARGIN
        for col, members in columns.items():
            top = MARGIN + (rows - len(members)) * ROW // 2
            for r, node in enumerate(members):
                w, h = node.size
                node.x = MARGIN + col * COLUMN + (COLUMN - 40 - w) // 2
                node.y = top + r * ROW + (ROW - h) // 2
        for flow in self.flows:
            a, b = self.nodes[flow.source], self.nodes[flow.target]
            x1, y1 = a.x + a.size[0], a.center_y
            x2, y2 = b.x, b.center_y
            if y1 == y2:
                flow.points = [(x1, y1), (x2, y2)]
            else:
                mid = x1 + max((x2 - x1) // 2, 10)
                flow.points = [(x1, y1), (mid, y1), (mid, y2), (x2, y2)]
        width = MARGIN * 2 + (end_column + 1) * COLUMN - 40
        return width, height


def _department_names(spec: Spec) -> dict[str, str]:
    names = {ITEM_DEPARTMENT: _("实施机关")}
    codes = {d for s in spec.stages for d in s.departments if d != ITEM_DEPARTMENT}
    if codes:
        for uscc, name, short in Department.objects.filter(uscc__in=codes).values_list(
            "uscc", "name", "short_name"
        ):
            names[uscc] = short or name
    return names


def layout(definition: Any) -> Layout:
    spec = parse_spec(definition.spec)
    builder = _Builder(spec, _department_names(spec))
    builder.build()
    width, height = builder.place()
    return Layout(definition.key, definition.name, builder.nodes, builder.flows, width, height)


# --- BPMN XML --------------------------------------------------------------------------------


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def to_bpmn_xml(definition: Any, *, executable: bool = False) -> str:
    """BPMN 2.0 XML of ``definition`` with diagram interchange (bpmndi) for viewers."""
    for prefix, ns in (
        ("bpmn", BPMN_NS),
        ("bpmndi", BPMNDI_NS),
        ("dc", DC_NS),
        ("di", DI_NS),
        ("xsi", XSI_NS),
    ):
        ET.register_namespace(prefix, ns)
    lay = layout(definition)
    process_id = "Process_1"
    root = ET.Element(
        _q(BPMN_NS, "definitions"),
        {
            "id": "Definitions_1",
            "targetNamespace": "https://yiwang.example.cn/bpmn",
            "exporter": "Yiwang",
            "exporterVersion": str(getattr(definition, "version", 1)),
        },
    )
    process = ET.SubElement(
        root,
        _q(BPMN_NS, "process"),
        {
            "id": process_id,
            "name": f"{lay.name}（{lay.key}）",
            "isExecutable": "true" if executable else "false",
        },
    )
    outgoing: dict[str, list[Flow]] = {}
    incoming: dict[str, list[Flow]] = {}
    for flow in lay.flows:
        outgoing.setdefault(flow.source, []).append(flow)
        incoming.setdefault(flow.target, []).append(flow)
    for node in lay.nodes.values():
        attrs = {"id": node.id, "name": node.name}
        default = next((f.id for f in outgoing.get(node.id, []) if f.default), None)
        if default:
            attrs["default"] = default
        element = ET.SubElement(process, _q(BPMN_NS, node.kind), attrs)
        if node.kind == "userTask":
            doc = ET.SubElement(element, _q(BPMN_NS, "documentation"))
            doc.text = "；".join(
                p
                for p in (
                    _("角色：%(role)s") % {"role": node.role},
                    _("部门：%(d)s") % {"d": node.department} if node.department else "",
                    node.limit,
                )
                if p
            )
        for flow in incoming.get(node.id, []):
            ET.SubElement(element, _q(BPMN_NS, "incoming")).text = flow.id
        for flow in outgoing.get(node.id, []):
            ET.SubElement(element, _q(BPMN_NS, "outgoing")).text = flow.id
    for flow in lay.flows:
        attrs = {"id": flow.id, "sourceRef": flow.source, "targetRef": flow.target}
        if flow.name:
            attrs["name"] = flow.name
        element = ET.SubElement(process, _q(BPMN_NS, "sequenceFlow"), attrs)
        if flow.condition:
            expression = ET.SubElement(
                element,
                _q(BPMN_NS, "conditionExpression"),
                {_q(XSI_NS, "type"): "bpmn:tFormalExpression"},
            )
            expression.text = flow.condition
    diagram = ET.SubElement(root, _q(BPMNDI_NS, "BPMNDiagram"), {"id": "BPMNDiagram_1"})
    plane = ET.SubElement(
        diagram, _q(BPMNDI_NS, "BPMNPlane"), {"id": "BPMNPlane_1", "bpmnElement": process_id}
    )
    for node in lay.nodes.values():
        attrs = {"id": f"{node.id}_di", "bpmnElement": node.id}
        if node.kind.endswith("Gateway"):
            attrs["isMarkerVisible"] = "true"
        shape = ET.SubElement(plane, _q(BPMNDI_NS, "BPMNShape"), attrs)
        w, h = node.size
        ET.SubElement(
            shape,
            _q(DC_NS, "Bounds"),
            {"x": str(node.x), "y": str(node.y), "width": str(w), "height": str(h)},
        )
    for flow in lay.flows:
        edge = ET.SubElement(
            plane, _q(BPMNDI_NS, "BPMNEdge"), {"id": f"{flow.id}_di", "bpmnElement": flow.id}
        )
        for x, y in flow.points:
            ET.SubElement(edge, _q(DI_NS, "waypoint"), {"x": str(x), "y": str(y)})
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


# --- SVG -------------------------------------------------------------------------------------

_GATEWAY_MARK = {"parallelGateway": "+", "exclusiveGateway": "×", "complexGateway": "*"}


def diagram_svg(definition: Any) -> str:
    """The definition's diagram as a standalone, accessible, script-free SVG."""
    ET.register_namespace("", SVG_NS)
    lay = layout(definition)
    title_text = _("%(name)s 办理流程图") % {"name": lay.name}
    stages = [n for n in lay.nodes.values() if n.kind == "userTask"]
    desc_text = _("流程：%(steps)s。") % {
        "steps": "→".join(dict.fromkeys(n.name for n in sorted(stages, key=lambda n: n.column)))
    }
    svg = ET.Element(
        _q(SVG_NS, "svg"),
        {
            "viewBox": f"0 0 {lay.width} {lay.height}",
            "width": "100%",
            "preserveAspectRatio": "xMinYMin meet",
            "role": "img",
            "aria-labelledby": "wf-title wf-desc",
            "aria-label": title_text,
            "font-family": "sans-serif",
            "font-size": "13",
        },
    )
    ET.SubElement(svg, _q(SVG_NS, "title"), {"id": "wf-title"}).text = title_text
    ET.SubElement(svg, _q(SVG_NS, "desc"), {"id": "wf-desc"}).text = desc_text
    defs = ET.SubElement(svg, _q(SVG_NS, "defs"))
    marker = ET.SubElement(
        defs,
        _q(SVG_NS, "marker"),
        {
            "id": "wf-arrow",
            "viewBox": "0 0 10 10",
            "refX": "10",
            "refY": "5",
            "markerWidth": "8",
            "markerHeight": "8",
            "orient": "auto-start-reverse",
        },
    )
    ET.SubElement(marker, _q(SVG_NS, "path"), {"d": "M 0 0 L 10 5 L 0 10 z", "fill": "#4b5563"})
    for flow in lay.flows:
        points = " ".join(f"{x},{y}" for x, y in flow.points)
        ET.SubElement(
            svg,
            _q(SVG_NS, "polyline"),
            {
                "points": points,
                "fill": "none",
                "stroke": "#4b5563",
                "stroke-width": "1.5",
                "stroke-dasharray": "5 3" if flow.default else "none",
                "marker-end": "url(#wf-arrow)",
            },
        )
        if flow.name:
            x, y = flow.points[1] if len(flow.points) > 2 else flow.points[0]
            label = ET.SubElement(
                svg, _q(SVG_NS, "text"), {"x": str(x + 4), "y": str(y - 6), "font-size": "11"}
            )
            label.text = flow.name
    for node in lay.nodes.values():
        w, h = node.size
        group = ET.SubElement(svg, _q(SVG_NS, "g"))
        if node.kind == "userTask":
            ET.SubElement(
                group,
                _q(SVG_NS, "rect"),
                {
                    "x": str(node.x),
                    "y": str(node.y),
                    "width": str(w),
                    "height": str(h),
                    "rx": "10",
                    "fill": "#eff6ff",
                    "stroke": "#1d4ed8",
                    "stroke-width": "1.5",
                },
            )
            lines = [(node.name, "600"), (node.role, "400"), (node.limit, "400")]
            for i, (text, weight) in enumerate(t for t in lines if t[0]):
                element = ET.SubElement(
                    group,
                    _q(SVG_NS, "text"),
                    {
                        "x": str(node.x + w // 2),
                        "y": str(node.y + 24 + i * 20),
                        "text-anchor": "middle",
                        "font-weight": weight,
                        "font-size": "13" if i == 0 else "11",
                    },
                )
                element.text = text if len(text) <= 11 else text[:10] + "…"
        elif node.kind.endswith("Gateway"):
            cx, cy = node.x + w // 2, node.y + h // 2
            diamond = f"{cx},{node.y} {node.x + w},{cy} {cx},{node.y + h} {node.x},{cy}"
            ET.SubElement(
                group,
                _q(SVG_NS, "polygon"),
                {"points": diamond, "fill": "#fefce8", "stroke": "#a16207", "stroke-width": "1.5"},
            )
            mark = ET.SubElement(
                group,
                _q(SVG_NS, "text"),
                {"x": str(cx), "y": str(cy + 6), "text-anchor": "middle", "font-size": "18"},
            )
            mark.text = _GATEWAY_MARK[node.kind]
            if node.name:
                caption = ET.SubElement(
                    group,
                    _q(SVG_NS, "text"),
                    {
                        "x": str(cx),
                        "y": str(node.y - 6),
                        "text-anchor": "middle",
                        "font-size": "11",
                    },
                )
                caption.text = node.name
        else:
            r = w // 2
            ET.SubElement(
                group,
                _q(SVG_NS, "circle"),
                {
                    "cx": str(node.x + r),
                    "cy": str(node.y + r),
                    "r": str(r),
                    "fill": "#f0fdf4" if node.kind == "startEvent" else "#fef2f2",
                    "stroke": "#15803d" if node.kind == "startEvent" else "#b91c1c",
                    "stroke-width": "1.5" if node.kind == "startEvent" else "3",
                },
            )
            caption = ET.SubElement(
                group,
                _q(SVG_NS, "text"),
                {
                    "x": str(node.x + r),
                    "y": str(node.y + h + 16),
                    "text-anchor": "middle",
                    "font-size": "11",
                },
            )
            caption.text = node.name
    return ET.tostring(svg, encoding="unicode")
