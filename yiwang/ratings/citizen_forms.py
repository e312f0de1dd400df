"""The citizen's rating form (好差评): the five national levels, the scores of the dimensions of
the setting (网上办事, 窗口办事 or 12345诉求, ``models.DIMENSIONS``), a comment (required for a bad
rating, so that the department knows what to fix) and, for a counter visit, the window and the
staff member who served him.

Validated at the edge so that every problem shows on its field at once; ``services.rate_case``,
``rate_ticket`` and ``rerate`` check the same rules again (``apply_service_errors`` puts their
errors on the form).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from yiwang.core.errors import DomainError
from yiwang.ratings.models import DIMENSIONS, Level, ServiceWindow
from yiwang.ratings.services import MAX_COMMENT, bad_max_level

# The dimension names of models.DIMENSIONS, marked for extraction (translated when rendered).
DIMENSION_NAMES = (
    gettext_noop("办事效率"),
    gettext_noop("指南准确"),
    gettext_noop("便捷程度"),
    gettext_noop("操作体验"),
    gettext_noop("业务水平"),
    gettext_noop("服务态度"),
    gettext_noop("响应速度"),
    gettext_noop("解决程度"),
)

SCORE_PREFIX = "score_"


def level_choices() -> list[tuple[int, Any]]:
    """非常满意 (5) first, as on the national evaluators."""
    return sorted(Level.choices, key=lambda choice: -choice[0])


def score_choices(empty: Any) -> list[tuple[Any, Any]]:
    return [
        ("", empty),
        *[
            (value, _("%(n)s分 · %(label)s") % {"n": value, "label": label})
            for value, label in level_choices()
        ],
    ]


class LevelRadios(forms.RadioSelect):
    """The five levels as radio buttons; each label is a full-width touch target (≥ 44 px)."""


def _level_field(label: Any, *, required: bool, help_text: Any = "") -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=level_choices(),
        coerce=int,
        required=required,
        empty_value=None,
        widget=LevelRadios,
        help_text=help_text,
        error_messages={
            "required": gettext_lazy("请选择一个评价等级。"),
            "invalid_choice": gettext_lazy("请选择五个评价等级之一。"),
        },
    )


class RatingForm(forms.Form):
    """``setting`` picks the dimensions; ``windows`` (a queryset) adds the window question and
    ``staff_available`` the question about the clerk who received him (counter visits only)."""

    level = _level_field(gettext_lazy("总体评价"), required=True)
    comment = forms.CharField(
        label=gettext_lazy("评价内容"),
        required=False,
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_COMMENT}),
        help_text=gettext_lazy(
            "选填；选择“不满意”或“非常不满意”时必填，请写明原因，部门将据此回访整改。"
        ),
        error_messages={
            "max_length": gettext_lazy("评价内容不能超过%(limit_value)d字。"),
        },
    )

    def __init__(
        self,
        *args: Any,
        setting: str,
        windows: QuerySet[ServiceWindow] | None = None,
        staff_available: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.setting = setting
        self.dimension_fields: list[str] = []
        comment = self.fields.pop("comment")
        for key, name in DIMENSIONS[setting].items():
            field_name = f"{SCORE_PREFIX}{key}"
            self.fields[field_name] = forms.TypedChoiceField(
                label=_(name),
                choices=score_choices(_("不评分")),
                coerce=int,
                required=False,
                empty_value=None,
                error_messages={"invalid_choice": gettext_lazy("分项评分须为1至5分。")},
            )
            self.dimension_fields.append(field_name)
        self.fields["comment"] = comment
        self.counter_fields: list[str] = []
        if windows is not None:
            self.fields["window"] = forms.ModelChoiceField(
                label=_("办理窗口"),
                queryset=windows,
                required=False,
                empty_label=_("不评价窗口"),
                help_text=_("选填：为您办理的窗口。"),
                error_messages={"invalid_choice": _("请从列表中选择窗口。")},
            )
            self.fields["window_level"] = forms.TypedChoiceField(
                label=_("对窗口的评价"),
                choices=score_choices(_("请选择")),
                coerce=int,
                required=False,
                empty_value=None,
                error_messages={"invalid_choice": _("请选择五个评价等级之一。")},
            )
            self.counter_fields += ["window", "window_level"]
        if staff_available:
            self.fields["staff_level"] = forms.TypedChoiceField(
                label=_("对受理您申请的窗口工作人员的评价"),
                choices=score_choices(_("不评价工作人员")),
                coerce=int,
                required=False,
                empty_value=None,
                help_text=_("选填：您的评价只用于改进服务，工作人员看不到您的姓名。"),
                error_messages={"invalid_choice": _("请选择五个评价等级之一。")},
            )
            self.counter_fields.append("staff_level")

    # --- reading ------------------------------------------------------------------------------

    @property
    def dimension_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.dimension_fields]

    @property
    def counter_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.counter_fields]

    def scores(self) -> dict[str, int]:
        return {
            name[len(SCORE_PREFIX) :]: self.cleaned_data[name]
            for name in self.dimension_fields
            if self.cleaned_data.get(name) is not None
        }

    def clean_comment(self) -> str:
        return (self.cleaned_data.get("comment") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        bad = bad_max_level()
        window = data.get("window")
        window_level = data.get("window_level")
        if window is not None and window_level is None and "window_level" not in self.errors:
            self.add_error("window_level", _("选择了窗口时，请评价该窗口。"))
        if window is None and window_level is not None and "window" not in self.errors:
            self.add_error("window", _("请选择您评价的窗口。"))
        levels = [data.get("level"), window_level, data.get("staff_level")]
        is_bad = any(level is not None and level <= bad for level in levels)
        if is_bad and not data.get("comment") and "comment" not in self.errors:
            self.add_error("comment", _("给出差评时请写明原因，以便部门回访整改。"))
        return data

    # --- the service's answer -----------------------------------------------------------------

    def apply_service_errors(self, error: DomainError) -> None:
        """Put a service's ``ValidationFailed`` on the fields it names (the rest on top)."""
        errors = error.details.get("errors") if isinstance(error.details, dict) else None
        if isinstance(errors, dict) and errors:
            for field, message in errors.items():
                self.add_error(self._field_for(str(field)), str(message))
            return
        self.add_error(self._field_for(error.field), error.message)

    def _field_for(self, name: str | None) -> str | None:
        if name == "scores":
            return self.dimension_fields[0] if self.dimension_fields else None
        return name if name in self.fields else None
