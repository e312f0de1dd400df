"""Django forms generated from an item's (or bundle's) FormSpec, and the staff decision forms.

Field names (browser journeys rely on them): a form field's own ``key``; per material
``m_<key>`` (source: upload / licence / shared / commitment), ``m_<key>_file`` and
``m_<key>_licence_id`` (bundle keys are ``<item_code>:<key>``; a document several members
need is asked once, under the first member's key); ``delivery``,
``delivery_address``, ``sign`` (the one signature of the whole application) and ``form_token``.

一证通办: when the applicant holds usable e-licences of a material's type (``licence_options``,
from ``yiwang.cases.shared.licence_options``), the material offers them in a select
(``m_<key>_licence_id``, "<type name> <licence id>") and its source defaults to the licence
(pre-filled, 免提交); otherwise the licence id may be typed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from yiwang.cases import specs
from yiwang.cases.models import Delivery

_TYPES: dict[str, Any] = {
    "textarea": lambda **kw: forms.CharField(widget=forms.Textarea, **kw),
    "date": lambda **kw: forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **kw),
    "number": lambda **kw: forms.DecimalField(**kw),
    "boolean": lambda **kw: forms.BooleanField(**kw),
}

SOURCE_LABELS = {
    "upload": _("上传"),
    "licence": _("电子证照"),
    "shared": _("共享数据（免提交）"),
    "commitment": _("告知承诺"),
}


def material_field_name(key: str) -> str:
    return "m_" + key.replace(":", "__")


def _material_groups(materials: Any, *, bundle: bool) -> list[list[Any]]:
    """Materials as the form asks for them: in a bundle (一件事) the same document needed by
    several members — same name, same shared dataset and e-licence type — is asked once and
    satisfies each of them; for one item every material is its own group."""
    if not bundle:
        return [[m] for m in materials]
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for m in materials:
        groups.setdefault((m.name, m.shared_dataset, m.licence_type), []).append(m)
    return list(groups.values())


class ApplyForm(forms.Form):
    def __init__(
        self,
        *args: Any,
        spec: Any,
        bundle: bool = False,
        prefilled: dict[str, tuple[Any, str]] | None = None,
        shared_datasets: set[str] | None = None,
        licence_options: dict[str, list[tuple[str, str]]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.prefilled = prefilled or {}
        self.material_rows: list[dict[str, Any]] = []
        for f in spec.fields:
            make = _TYPES.get(f.type)
            # A field with a source is filled by the service (免填); it checks it there.
            kw = {"label": f.label, "required": f.required and f.type != "boolean" and not f.source}
            if f.type == "choice":
                field = forms.ChoiceField(choices=[("", "—"), *specs.choice_pairs(f.choices)], **kw)
            elif make is not None:
                field = make(**kw)
            else:
                field = forms.CharField(max_length=200, **kw)
            if f.key in self.prefilled:
                value, source = self.prefilled[f.key]
                field.initial = value
                field.help_text = _("已自动填充（来源：%(source)s）") % {"source": source}
            self.fields[f.key] = field
        shared_datasets = shared_datasets or set()
        licence_options = licence_options or {}
        for group in _material_groups(spec.materials, bundle=bundle):
            ms = group[0]
            keys = [specs.material_key(m, bundle=bundle) for m in group]
            name = material_field_name(keys[0])
            required = any(m.required for m in group)
            choices = [("upload", SOURCE_LABELS["upload"])]
            licences = licence_options.get(ms.licence_type, []) if ms.licence_type else []
            if ms.licence_type:
                choices.append(("licence", SOURCE_LABELS["licence"]))
            if ms.shared_dataset and ms.shared_dataset in shared_datasets:
                choices.insert(0, ("shared", SOURCE_LABELS["shared"]))
            if all(m.commitment_allowed for m in group):
                choices.append(("commitment", SOURCE_LABELS["commitment"]))
            if not required:
                choices.insert(0, ("", _("不提供")))
            initial = choices[0][0]
            help_texts = []
            if licences:
                # 一证通办: the applicant's own licence, pre-selected (免提交).
                initial = "licence"
                help_texts.append(str(_("免提交：可使用您的电子证照")))
            elif choices[0][0] == "shared":
                help_texts.append(str(_("免提交：已从共享数据获取")))
            if len(group) > 1:
                help_texts.append(str(_("%(n)d 个事项共用，只需提供一次") % {"n": len(group)}))
            self.fields[name] = forms.ChoiceField(
                label=ms.name,
                choices=choices,
                required=required,
                widget=forms.RadioSelect,
                initial=initial,
                help_text="；".join(help_texts),
            )
            self.fields[f"{name}_file"] = forms.FileField(label=_("上传文件"), required=False)
            if licences:
                self.fields[f"{name}_licence_id"] = forms.ChoiceField(
                    label=_("选择电子证照"),
                    choices=list(licences),
                    required=False,
                    initial=licences[0][0],
                )
            elif ms.licence_type:
                self.fields[f"{name}_licence_id"] = forms.CharField(
                    label=_("电子证照标识"), required=False, max_length=120
                )
            self.material_rows.append({"key": keys[0], "keys": keys, "name": name, "spec": ms})
        self.fields["delivery"] = forms.ChoiceField(
            label=_("送达方式"), choices=Delivery.choices, initial=Delivery.ELECTRONIC
        )
        self.fields["delivery_address"] = forms.CharField(
            label=_("邮寄地址"), required=False, max_length=300
        )
        self.fields["sign"] = forms.BooleanField(
            label=_("本人承诺所填信息和所交材料真实有效，并签署本申请（一次签名）"), required=True
        )
        self.fields["form_token"] = forms.CharField(widget=forms.HiddenInput)

    def form_values(self, spec: Any) -> dict[str, Any]:
        out = {}
        for f in spec.fields:
            value = self.cleaned_data.get(f.key)
            out[f.key] = (
                value.isoformat()
                if hasattr(value, "isoformat")
                else ("" if value is None else str(value) if f.type == "number" else value)
            )
        return out

    def materials(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for row in self.material_rows:
            source = self.cleaned_data.get(row["name"]) or ""
            if not source:
                continue
            entry: dict[str, Any] = {"source": source}
            if source == "upload":
                upload = self.cleaned_data.get(f"{row['name']}_file")
                if upload is None:
                    continue  # missing: reported by the service as material_required
                entry["file"] = upload
            if source == "licence":
                entry["licence_id"] = self.cleaned_data.get(f"{row['name']}_licence_id", "")
            for key in row["keys"]:  # a material several members share is given once
                out[key] = dict(entry)
        return out


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea, required=True)


class DecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            (a, a)
            for a in (
                "accept",
                "accept_deficiency",
                "accept_commitment",
                "reject",
                "correction",
                "approve",
                "deny",
                "suspend",
                "resume",
                "extend",
                "deliver",
                "withdraw",
            )
        ]
    )
    reason = forms.CharField(required=False, max_length=2000)
    note = forms.CharField(required=False, max_length=2000)
    amount = forms.IntegerField(required=False, min_value=1, max_value=60)
    method = forms.ChoiceField(required=False, choices=[("", "—"), *Delivery.choices])
    materials = forms.MultipleChoiceField(required=False, choices=[])

    def __init__(self, *args: Any, material_choices: list[tuple[str, str]] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["materials"].choices = list(material_choices)
