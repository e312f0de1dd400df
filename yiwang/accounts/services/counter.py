"""Counter intake (一窗受理): a clerk registers a walk-in applicant who has no account.

The applicant becomes a ``Person`` without a ``User``; the clerk's later intake steps (cases) refer
to him. The person is placed in a region the clerk serves, so the clerk (and the region's staff)
can find him again through ``persons_visible_to``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.accounts.models import Person, Region
from yiwang.accounts.selectors import counter_regions
from yiwang.accounts.services.people import register_person
from yiwang.core.errors import PermissionDenied, ValidationFailed
from yiwang.core.identifiers import validate_phone, validate_region_code


@transaction.atomic
def register_walk_in_applicant(
    clerk: Any,
    name: str,
    id_number: str,
    *,
    phone: str = "",
    address: str = "",
    region_code: str = "",
) -> Person:
    """Register the applicant at the counter of ``clerk`` (capability ``accounts.register_person``).

    ``region_code`` (12 digits) places him in a region the clerk serves (his department's region
    or below); by default the region of the clerk's counter. The same ID number twice →
    ``person_exists`` (409), also when two clerks submit it at the same moment.
    """
    regions = counter_regions(clerk)
    if not regions:
        raise PermissionDenied("register_person_not_allowed", _("您的岗位无权登记申请人。"))
    if region_code:
        code = validate_region_code(region_code)
        region = Region.objects.filter(code=code, valid_to__isnull=True).first()
        if region is None or not any(code.startswith(r.prefix) for r in regions):
            raise ValidationFailed(
                "region_not_in_scope",
                _("该行政区划不存在或不在您的受理范围内。"),
                field="region_code",
            )
    else:
        region = regions[0]
    return register_person(
        name,
        id_number,
        phone=validate_phone(phone) if phone.strip() else "",
        address=address,
        region=region,
        by=clerk,
    )
