"""Idempotency keys (IETF draft-ietf-httpapi-idempotency-key-header): one row per client request.

``IdempotencyRecord`` remembers, for 24 hours, what an unsafe API request sent with an
``Idempotency-Key`` header answered, so that a client retrying after a timeout, a dropped
connection or a 503 gets the same answer instead of a second write. One row per
(``principal``, ``key``): the unique constraint is what makes 32 identical requests arriving at
once produce one write (see ``yiwang.core.idempotency`` for the flow).

The stored response body is encrypted with SM4-GCM (it may hold personal data, masked or not);
its associated data binds it to the row's principal and key.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["IdempotencyRecord"]


class IdempotencyRecord(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("处理中")
        COMPLETED = "completed", _("已完成")

    principal = models.CharField(_("调用方"), max_length=200)  # "user:42"
    key = models.CharField(_("幂等键"), max_length=255)
    method = models.CharField(_("请求方法"), max_length=10)
    path = models.CharField(_("请求路径"), max_length=500)
    # SM3 (hex) of the canonical request body: the same key with another body is refused.
    fingerprint = models.CharField(_("请求指纹（SM3）"), max_length=64)
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.IN_PROGRESS
    )
    response_status = models.PositiveSmallIntegerField(_("响应状态码"), null=True, blank=True)
    response_content_type = models.CharField(_("响应类型"), max_length=100, blank=True)
    response_body_encrypted = models.BinaryField(_("响应内容（加密）"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    expires_at = models.DateTimeField(_("过期时间"))

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [
            models.UniqueConstraint(
                fields=["principal", "key"], name="idempotency_principal_key_unique"
            )
        ]
        indexes = [models.Index(fields=["expires_at"], name="idempotency_expires_at_idx")]

    def __str__(self) -> str:
        return f"{self.principal} {self.method} {self.path} [{self.key}]"
