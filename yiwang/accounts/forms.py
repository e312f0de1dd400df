"""Forms for the login pages, TOTP, API tokens and the demo persona switcher."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from yiwang.accounts.services.tokens import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS

_SIX_DIGITS = re.compile(r"^[0-9]{6}$")
GENERIC_LOGIN_ERROR = _("账号或密码错误，或账号已被临时锁定。请核对后重试，或稍后再试。")


class LoginForm(AuthenticationForm):
    """One message for every failure: unknown user, wrong password, locked or disabled account."""

    error_messages = {
        "invalid_login": GENERIC_LOGIN_ERROR,
        "inactive": GENERIC_LOGIN_ERROR,
    }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].label = _("用户名")
        self.fields["password"].label = _("密码")
        self.fields["password"].max_length = 256  # type: ignore[attr-defined]
        self.fields["password"].widget.attrs["maxlength"] = "256"


class TotpForm(forms.Form):
    code = forms.CharField(
        label=_("动态口令"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not _SIX_DIGITS.match(code):
            raise forms.ValidationError(_("请输入6位数字动态口令。"), code="invalid")
        return code


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=100)
    expires_in_days = forms.IntegerField(
        label=_("有效期（天）"),
        min_value=1,
        max_value=MAX_TOKEN_DAYS,
        initial=DEFAULT_TOKEN_DAYS,
    )


class PersonaForm(forms.Form):
    username = forms.CharField(max_length=150)
