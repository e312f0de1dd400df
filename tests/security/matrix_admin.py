"""Authorisation matrix entry for the Django admin site (/admin/), by 三员分立:

- the audit administrator opens the ledger (entries and checkpoints), read-only, nothing else;
- the system administrator maintains the working-day calendar, and does not read the ledger;
- the security administrator has no model in the admin (accounts are managed in the app);
- citizens, clerks and staff without an administrator duty never get past the admin login.
"""

from __future__ import annotations

from django.contrib.auth.models import Group

from tests.security.authz import (
    AUDITOR,
    CITIZEN_A,
    SECURITY_ADMIN,
    SYSTEM_ADMIN,
    AdminSite,
    World,
)
from yiwang.core.ledger import checkpoint
from yiwang.core.models.ledger import LedgerCheckpoint, LedgerEntry

LEDGER = frozenset({"core.ledgerentry", "core.ledgercheckpoint"})
CALENDAR = frozenset({"core.calendarday", "core.calendaryear"})
# The system administrator maintains the service catalogue (items with materials, bundles).
CATALOG = frozenset({"catalog.serviceitem", "catalog.bundle"})
# ... and the e-licence types (证照类型 with their content schemas).
LICENCE_TYPES = frozenset({"licences.licencetype"})
# ... and the counter windows that citizens rate (好差评).
SERVICE_WINDOWS = frozenset({"ratings.servicewindow"})


def _ledger_entry(world: World) -> LedgerEntry | None:
    world.must(CITIZEN_A)  # registering a citizen writes ledger entries
    return LedgerEntry.objects.order_by("seq").first()


def _checkpoint(world: World) -> LedgerCheckpoint | None:
    _ledger_entry(world)  # something to sign
    return checkpoint()


def _group(world: World) -> Group:
    return Group.objects.create(name="authz-group")


ENTRIES = [
    AdminSite(
        "admin:*",
        access={
            AUDITOR: LEDGER,
            SYSTEM_ADMIN: CALENDAR | CATALOG | LICENCE_TYPES | SERVICE_WINDOWS,
            SECURITY_ADMIN: frozenset(),
        },
        read_only={AUDITOR: LEDGER},
        # Outside the login wall (an anonymous GET): the login form, logout (POST only, a GET is
        # sent to the index), the JavaScript translation catalogue, and "view on site", which
        # answers 404 for models without a public URL (none of ours has one).
        public_routes={
            "admin:login": 200,
            "admin:logout": 302,
            "admin:jsi18n": 200,
            "admin:view_on_site": 404,
        },
        # What the headers test expects when the superuser fetches each admin route.
        page_statuses={
            "admin:login": (200,),
            "admin:logout": (405,),
            "admin:autocomplete": (403,),
            "admin:view_on_site": (404,),
            "admin:/admin/(?P<url>.*)$": (404,),
            "admin:/admin/*/<path:object_id>/": (302,),
            "admin:*_add": (200, 403),
            "admin:*_delete": (200, 302, 403),
        },
        # Rows for the admin's object pages, for models that have none in a fresh database.
        rows={
            "auth.group": _group,
            "core.ledgerentry": _ledger_entry,
            "core.ledgercheckpoint": _checkpoint,
        },
    ),
]
