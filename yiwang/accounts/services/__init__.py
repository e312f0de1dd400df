"""Writes for accounts: one function per use case, each atomic and recorded in the audit ledger.

Grouped by topic in submodules; everything public is re-exported here, so callers write
``from yiwang.accounts import services`` and ``services.register_person(...)``.
"""

from yiwang.accounts.services.access import (
    create_oidc_user,
    create_role,
    create_user_account,
    grant_role,
    oidc_username,
    revoke_role,
    update_oidc_user,
)
from yiwang.accounts.services.authentication import (
    begin_totp_enrolment,
    clear_expired_lock,
    confirm_totp_enrolment,
    is_locked,
    record_demo_persona_login,
    record_login_failure,
    record_login_refused_while_locked,
    record_login_success,
    record_logout,
    reset_totp,
    totp_provisioning_uri,
    totp_secret,
    unlock_account,
    verify_totp,
)
from yiwang.accounts.services.counter import register_walk_in_applicant
from yiwang.accounts.services.organisations import create_department, create_region
from yiwang.accounts.services.people import (
    PERSONAL_DATA_READ,
    add_agent,
    create_enterprise,
    register_person,
    remove_agent,
    reveal_id_number,
)
from yiwang.accounts.services.tokens import (
    authenticate_api_token,
    create_api_token,
    revoke_api_token,
)

__all__ = [
    "PERSONAL_DATA_READ",
    "add_agent",
    "authenticate_api_token",
    "begin_totp_enrolment",
    "clear_expired_lock",
    "confirm_totp_enrolment",
    "create_api_token",
    "create_department",
    "create_enterprise",
    "create_oidc_user",
    "create_region",
    "create_role",
    "create_user_account",
    "grant_role",
    "is_locked",
    "oidc_username",
    "record_demo_persona_login",
    "record_login_failure",
    "record_login_refused_while_locked",
    "record_login_success",
    "record_logout",
    "register_person",
    "register_walk_in_applicant",
    "remove_agent",
    "reset_totp",
    "reveal_id_number",
    "revoke_api_token",
    "revoke_role",
    "totp_provisioning_uri",
    "totp_secret",
    "unlock_account",
    "update_oidc_user",
    "verify_totp",
]
