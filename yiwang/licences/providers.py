"""一证通办: the e-licence provider cases asks when a material is given as a licence.

Registered with ``yiwang.cases.shared.register_licence_provider`` in ``LicencesConfig.ready``, so
that cases never imports this app (this app imports ``cases.models``). A licence stands in for a
material only when it is the applicant's (or his enterprise's), of the material's licence type,
valid and not expired; each refusal is a typed error with its own code. Using it for a case is a
``LicenceUse`` with the purpose bound to the case and a ``personal_data.read`` ledger entry
(``services.record_use``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from yiwang.accounts.models import Enterprise, Person
from yiwang.cases.models import Case
from yiwang.core.errors import NotFound, ValidationFailed
from yiwang.licences import selectors, services
from yiwang.licences.models import Licence


def _title(licence: Licence) -> str:
    return f"{licence.type.name} {licence.licence_id}"


class LicenceMaterialProvider:
    """The licences app behind ``yiwang.cases.shared.LicenceProvider``."""

    def find_for_material(
        self, person: Person | None, enterprise: Enterprise | None, licence_id: str, type_code: str
    ) -> tuple[str, str]:
        owner = Q(pk__in=[])
        if person is not None:
            owner |= Q(holder_person=person)
        if enterprise is not None:
            owner |= Q(holder_enterprise=enterprise)
        licence = (
            Licence.objects.select_related("type")
            .filter(owner, licence_id=str(licence_id or "").strip())
            .first()
        )
        # Unknown and someone else's answer alike: the status of another's licence is not told.
        if licence is None:
            raise NotFound(
                "licence_not_owned",
                _("未找到申请人名下的该电子证照。"),
                field="licence_id",
            )
        if licence.type.code != type_code:
            raise ValidationFailed(
                "licence_type_mismatch",
                _("该电子证照是“%(type)s”，不是此材料所需的证照类型。")
                % {"type": licence.type.name},
                field="licence_id",
            )
        services.require_usable(licence)
        return licence.licence_id, _title(licence)

    def record_use(self, actor: Any, licence_id: str, case: Case, purpose: str) -> None:
        licence = Licence.objects.select_related("type").get(licence_id=licence_id)
        services.record_use(
            actor,
            licence,
            purpose=services.check_purpose(purpose),
            case=case,
            department=case.department,
        )

    def options_for(
        self, person: Person | None, enterprise: Enterprise | None, type_code: str
    ) -> list[tuple[str, str]]:
        return [
            (licence.licence_id, _title(licence))
            for licence in selectors.usable_licences_of(person, enterprise, type_code)
        ]


provider = LicenceMaterialProvider()
