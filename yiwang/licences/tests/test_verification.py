"""Verification results (valid / revoked / expired / tampered / unknown) by reference, by the JSON
form and offline with the published public key."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import subprocess

import pytest
from django.utils import timezone

from yiwang.core.errors import ValidationFailed
from yiwang.core.identifiers import make_licence_id
from yiwang.licences import documents, keys, selectors, services, verification
from yiwang.licences.tests.factories import issue_to_citizen

pytestmark = pytest.mark.django_db


def test_a_fresh_licence_verifies_valid_by_id_and_qr_digest(lcast):
    licence = issue_to_citizen(lcast)
    by_id = verification.verify_reference(licence.licence_id)
    by_qr = verification.verify_reference(licence.licence_id, licence.digest_short)
    assert (by_id.result, by_qr.result) == ("valid", "valid")
    assert by_qr.checked == ["registry", "digest", "status"]


def test_the_public_view_never_shows_the_id_number_and_masks_the_name(lcast):
    licence = issue_to_citizen(lcast)
    public = verification.verify_reference(licence.licence_id).public()
    text = json.dumps(public, ensure_ascii=False)
    person = lcast.citizen.person
    assert person.name not in text
    assert public["licence"]["holder"].startswith(person.name[0])
    assert "*" in public["licence"]["holder"]
    assert selectors.document_of(licence)["holder"]["id"] not in text


def test_a_wrong_qr_digest_means_tampered(lcast):
    licence = issue_to_citizen(lcast)
    wrong = ("0" if licence.digest_short[0] != "0" else "1") + licence.digest_short[1:]
    verdict = verification.verify_reference(licence.licence_id, wrong)
    assert (verdict.result, verdict.reason) == ("tampered", "digest_mismatch")
    short = verification.verify_reference(licence.licence_id, licence.digest_short[:4])
    assert short.result == "tampered"


def test_an_unknown_but_well_formed_id_is_unknown_and_a_malformed_one_is_refused(lcast):
    unknown = make_licence_id(lcast.person_type.code, lcast.dept_a.uscc, "19990101001", 1)
    verdict = verification.verify_reference(unknown)
    assert (verdict.result, verdict.reason) == ("unknown", "not_registered")
    assert verdict.public()["licence"] is None
    with pytest.raises(ValidationFailed) as caught:
        verification.verify_reference(unknown[:-1] + ("A" if unknown[-1] != "A" else "B"))
    assert caught.value.code == "invalid_licence_id_checksum"
    with pytest.raises(ValidationFailed) as caught:
        verification.verify_reference("<script>")
    assert caught.value.code == "invalid_licence_id_format"


@pytest.mark.parametrize("action", ["revoke", "cancel", "withdraw", "invalidate"])
def test_every_status_change_verifies_as_revoked_with_its_status(lcast, action):
    licence = issue_to_citizen(lcast)
    changed = services.change_status(lcast.officer_a, licence, action, "依法处理")
    verdict = verification.verify_reference(licence.licence_id, licence.digest_short)
    assert verdict.result == "revoked"
    assert verdict.reason == f"status_{changed.status}"
    assert verdict.public()["licence"]["status"] == changed.status


def test_a_licence_past_its_end_date_is_expired(lcast):
    licence = issue_to_citizen(lcast)
    licence.valid_until = timezone.localdate() - dt.timedelta(days=1)
    licence.save(update_fields=["valid_until"])
    assert verification.verify_reference(licence.licence_id).result == "expired"


def test_the_json_form_verifies_and_any_change_to_it_is_tampered(lcast):
    licence = issue_to_citizen(lcast)
    form = selectors.json_form_of(licence)
    assert verification.verify_json(json.dumps(form, ensure_ascii=False).encode()).result == "valid"
    rng = random.Random(5)
    paths = [
        ("holder", "name"),
        ("content", "shop_name"),
        ("valid_until",),
        ("issued_at",),
        ("issuer", "name"),
    ]
    for path in rng.sample(paths, len(paths)):
        altered = json.loads(json.dumps(form))
        target = altered["document"]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = "2099-12-31" if path[-1] == "valid_until" else "改动后的值"
        verdict = verification.verify_json(altered)
        assert (verdict.result, verdict.reason) == ("tampered", "bad_signature"), path


def test_a_signature_from_another_licence_does_not_verify(lcast):
    one, two = issue_to_citizen(lcast), issue_to_citizen(lcast)
    form = selectors.json_form_of(one)
    form["signature"] = base64.b64encode(bytes(two.signature)).decode()
    assert verification.verify_json(form).result == "tampered"


def test_a_document_signed_by_a_key_we_never_published_is_unknown(lcast):
    from yiwang.core.crypto import sm2_generate_keypair, sm2_sign

    licence = issue_to_citizen(lcast)
    form = selectors.json_form_of(licence)
    forger = sm2_generate_keypair()
    form["document"]["key_id"] = keys.key_id_of(forger.public_hex)
    signature = sm2_sign(
        forger.private_hex, forger.public_hex, documents.canonical_bytes(form["document"])
    )
    verdict = verification.verify_document(form["document"], signature)
    assert (verdict.result, verdict.reason) == ("unknown", "unknown_key")


def test_a_correctly_signed_document_that_differs_from_the_record_is_tampered(lcast):
    """Even the issuer's own key cannot vouch for content the registry did not issue."""
    from yiwang.core.crypto import sm2_sign

    licence = issue_to_citizen(lcast)
    document = selectors.document_of(licence)
    document["content"]["shop_name"] = "另一家店"
    pair = keys.keypair(licence.key)
    signature = sm2_sign(pair.private_hex, pair.public_hex, documents.canonical_bytes(document))
    verdict = verification.verify_document(document, signature)
    assert (verdict.result, verdict.reason) == ("tampered", "content_mismatch")


def test_a_revoked_licence_presented_as_json_is_revoked(lcast):
    licence = issue_to_citizen(lcast)
    form = selectors.json_form_of(licence)
    services.change_status(lcast.officer_a, licence, "revoke", "撤销许可")
    assert verification.verify_json(form).result == "revoked"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"document": {}, "signature": "AA=="}',
        b'{"document": {"format": "x"}, "signature": 1}',
        "\ufeff{}".encode(),
        b"\xff\xfe",
    ],
)
def test_malformed_json_is_refused_with_its_own_code(raw):
    with pytest.raises(ValidationFailed) as caught:
        verification.verify_json(raw)
    assert caught.value.code == "malformed_licence_json"


def test_floats_in_a_presented_document_are_refused(lcast):
    licence = issue_to_citizen(lcast)
    form = selectors.json_form_of(licence)
    form["document"]["content"]["area"] = 12.5
    with pytest.raises(ValidationFailed):
        verification.verify_json(form)


def test_a_file_over_five_megabytes_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        verification.verify_file(b"{" + b" " * (5 * 1024 * 1024) + b"}")
    assert caught.value.code == "file_too_large"


def test_anyone_can_verify_offline_with_openssl_and_the_published_key(lcast, tmp_path):
    """docs/licences.md: canonical bytes + base64 signature + PEM key → `openssl pkeyutl`."""
    licence = issue_to_citizen(lcast)
    form = selectors.json_form_of(licence)
    (tmp_path / "doc").write_bytes(documents.canonical_bytes(form["document"]))
    (tmp_path / "sig").write_bytes(base64.b64decode(form["signature"]))
    (tmp_path / "key.pem").write_text(keys.public_pem(form["public_key"]))

    def openssl_verify() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                "openssl",
                "pkeyutl",
                "-verify",
                "-pubin",
                "-inkey",
                str(tmp_path / "key.pem"),
                "-rawin",
                "-in",
                str(tmp_path / "doc"),
                "-sigfile",
                str(tmp_path / "sig"),
                "-digest",
                "sm3",
                "-pkeyopt",
                "distid:1234567812345678",
            ],
            capture_output=True,
            text=True,
            check=False,
        )

    ok = openssl_verify()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Verified Successfully" in ok.stdout
    form["document"]["holder"]["name"] = "王五"
    (tmp_path / "doc").write_bytes(documents.canonical_bytes(form["document"]))
    assert openssl_verify().returncode != 0


@pytest.mark.parametrize("bad", ["\x00", "a" * 31 + "\x00", "A" * 32, 42, None])
def test_a_presented_key_id_that_is_not_32_hex_is_unknown_without_a_query(lcast, bad):
    licence = issue_to_citizen(lcast)
    form = selectors.json_form_of(licence)
    form["document"]["key_id"] = bad
    verdict = verification.verify_document(form["document"], base64.b64decode(form["signature"]))
    assert (verdict.result, verdict.reason) == ("unknown", "unknown_key")


@pytest.mark.parametrize("bad", ["\x00", "1.2.156.3005.2.\x00", 7, None])
def test_a_presented_licence_id_that_is_malformed_is_tampered_or_unknown_never_an_error(lcast, bad):
    licence = issue_to_citizen(lcast)
    form = selectors.json_form_of(licence)
    form["document"]["licence_id"] = bad
    verdict = verification.verify_document(form["document"], base64.b64decode(form["signature"]))
    assert verdict.result == "tampered"  # the signature covers the id
