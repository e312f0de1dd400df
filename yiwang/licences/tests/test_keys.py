"""Departments' signing keys: one active per department, encrypted at rest, rotation keeps old
licences verifying."""

from __future__ import annotations

import pytest

from yiwang.accounts.tests.factories import ledger_entries
from yiwang.licences import keys, verification
from yiwang.licences.models import SigningKey
from yiwang.licences.tests.factories import issue_to_citizen

pytestmark = pytest.mark.django_db


def test_a_department_gets_one_key_on_first_use_and_keeps_it(lcast):
    first = keys.active_key(lcast.dept_a)
    assert keys.active_key(lcast.dept_a) == first
    assert first.key_id == keys.key_id_of(first.public_hex)
    assert SigningKey.objects.filter(department=lcast.dept_a).count() == 1
    assert ledger_entries("licences.key_created", object_id=first.key_id)


def test_the_private_key_is_stored_encrypted_and_decrypts_to_the_public_key(lcast):
    from yiwang.core.crypto import sm2_public_from_private

    key = keys.active_key(lcast.dept_a)
    pair = keys.keypair(key)
    assert bytes.fromhex(pair.private_hex) not in bytes(key.private_encrypted)
    assert sm2_public_from_private(pair.private_hex) == key.public_hex


def test_rotation_retires_the_old_key_and_old_licences_still_verify(lcast):
    old_licence = issue_to_citizen(lcast)
    old_key = old_licence.key
    new_key = keys.rotate_key(lcast.dept_a, actor=lcast.officer_a, reason="年度轮换")
    old_key.refresh_from_db()
    assert old_key.status == "retired" and old_key.retired_at is not None
    assert new_key.status == "active" and new_key != old_key
    new_licence = issue_to_citizen(lcast)
    assert new_licence.key == new_key
    for licence in (old_licence, new_licence):
        assert verification.verify_reference(licence.licence_id, licence.digest_short).result == (
            "valid"
        )
    assert {k.key_id for k in keys.published_keys()} >= {old_key.key_id, new_key.key_id}
    [entry] = ledger_entries("licences.key_rotated", object_id=new_key.key_id)
    assert entry.payload["retired"] == [old_key.key_id]


def test_the_pem_is_a_standard_sm2_public_key(lcast):
    import base64

    key = keys.active_key(lcast.dept_a)
    pem = keys.public_pem(key.public_hex)
    body = "".join(pem.strip().splitlines()[1:-1])
    der = base64.b64decode(body)
    assert der == keys.spki_der(key.public_hex)
    assert der.endswith(bytes.fromhex("04" + key.public_hex))
    assert bytes.fromhex("2a811ccf5501822d") in der  # OID 1.2.156.10197.1.301 (SM2)


def test_the_rotation_command_makes_a_new_key_and_refuses_unknown_departments(lcast):
    import io

    from django.core.management import CommandError, call_command

    old = keys.active_key(lcast.dept_a)
    out = io.StringIO()
    call_command("rotate_signing_key", lcast.dept_a.uscc, "--reason", "到期轮换", stdout=out)
    new = SigningKey.objects.get(department=lcast.dept_a, status="active")
    assert new != old and new.key_id in out.getvalue()
    with pytest.raises(CommandError):
        call_command("rotate_signing_key", "91350100M000100Y43")
