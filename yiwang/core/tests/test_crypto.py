"""National cryptography: known-answer tests from the standards, cross-checks with GmSSL, misuse."""

from __future__ import annotations

import random

import gmssl_pyx
import pytest
from django.core.exceptions import ImproperlyConfigured

from yiwang.core import crypto
from yiwang.core.crypto import (
    CryptoError,
    blind_index,
    blind_index_key,
    c1c3c2_der,
    c1c3c2_raw,
    constant_time_equal,
    derive_key,
    field_encryption_key,
    hmac_sm3,
    sm2_decrypt,
    sm2_encrypt,
    sm2_generate_keypair,
    sm2_public_from_private,
    sm2_sign,
    sm2_verify,
    sm3,
    sm3_hex,
    sm4_ecb_encrypt_block,
    sm4_gcm_decrypt,
    sm4_gcm_encrypt,
)

RNG_SEED = 20240601


@pytest.fixture
def rng() -> random.Random:
    return random.Random(RNG_SEED)


def _bytes(rng: random.Random, n: int) -> bytes:
    return rng.randbytes(n)


# --- SM3 (GB/T 32905-2016 appendix A) ---------------------------------------------------------


def test_sm3_of_abc_matches_the_standard():
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def test_sm3_of_the_64_byte_example_matches_the_standard():
    assert sm3(b"abcd" * 16).hex() == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


@pytest.mark.parametrize("length", [0, 1, 55, 56, 63, 64, 65, 1000])
def test_sm3_agrees_with_gmssl_around_the_block_boundaries(rng, length):
    message = _bytes(rng, length)

    assert sm3(message) == gmssl_pyx.sm3_hash(message)


@pytest.mark.parametrize(("key_length", "message_length"), [(1, 0), (16, 3), (64, 64), (100, 500)])
def test_hmac_sm3_agrees_with_gmssl(rng, key_length, message_length):
    key, message = _bytes(rng, key_length), _bytes(rng, message_length)

    assert hmac_sm3(key, message) == gmssl_pyx.sm3_hmac(key, message)


def test_constant_time_equal_compares_contents():
    assert constant_time_equal(b"abc", b"abc")
    assert not constant_time_equal(b"abc", b"abd")
    assert not constant_time_equal(b"abc", b"abcd")


# --- key derivation, blind index, keys from settings -------------------------------------------


def _hkdf_sm3_by_hand(master: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 spelled out over hmac_sm3 (itself checked against GmSSL above)."""
    prk = hmac_sm3(b"\x00" * 32, master)
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac_sm3(prk, block + info + bytes([counter]))
        okm += block
        counter += 1
    return okm[:length]


@pytest.mark.parametrize("length", [16, 32, 33, 100])
def test_derive_key_is_hkdf_with_sm3(length):
    master = b"master secret"

    assert derive_key(master, "yiwang:test", length) == _hkdf_sm3_by_hand(
        master, b"yiwang:test", length
    )


def test_derive_key_gives_independent_keys_per_label_and_master():
    keys = {
        derive_key(b"master one", "a"),
        derive_key(b"master one", "b"),
        derive_key(b"master two", "a"),
    }

    assert len(keys) == 3
    assert derive_key(b"master one", "a") == derive_key(b"master one", "a")
    assert len(derive_key(b"master one", "a")) == 16


@pytest.mark.parametrize(("master", "length"), [(b"", 16), (b"m", 0), (b"m", 255 * 32 + 1)])
def test_derive_key_refuses_an_empty_master_or_an_impossible_length(master, length):
    with pytest.raises(CryptoError):
        derive_key(master, "label", length)


BLIND_KEY = bytes(range(32))


def test_blind_index_is_the_hex_hmac_sm3_of_the_normalised_value():
    assert blind_index(BLIND_KEY, "11010519491231002X") == (
        gmssl_pyx.sm3_hmac(BLIND_KEY, b"11010519491231002X").hex()
    )


@pytest.mark.parametrize(
    "variant",
    ["11010519491231002x", " 11010519491231002X\n", "１１０１０５１９４９１２３１００２Ｘ"],
)
def test_blind_index_finds_the_same_value_however_it_was_typed(variant):
    assert blind_index(BLIND_KEY, variant) == blind_index(BLIND_KEY, "11010519491231002X")


def test_blind_index_differs_per_value_and_per_key():
    one = blind_index(BLIND_KEY, "11010519491231002X")

    assert one != blind_index(BLIND_KEY, "110105194912310029")
    assert one != blind_index(bytes(32), "11010519491231002X")
    assert len(one) == 64


def test_blind_index_refuses_a_short_key():
    with pytest.raises(CryptoError):
        blind_index(b"short", "x")


def test_configured_keys_are_read_from_settings_as_hex(settings):
    settings.YIWANG_SM4_KEY = "00112233445566778899aabbccddeeff"
    settings.YIWANG_BLIND_INDEX_KEY = "ff" * 32

    assert field_encryption_key() == bytes.fromhex("00112233445566778899aabbccddeeff")
    assert blind_index_key() == b"\xff" * 32


def test_development_keys_are_derived_from_the_secret_key(settings):
    settings.YIWANG_SM4_KEY = ""
    settings.YIWANG_BLIND_INDEX_KEY = ""
    settings.SECRET_KEY = "one-secret-key-for-this-test-0123456789abcdefghijklmnop"
    sm4_key, index_key = field_encryption_key(), blind_index_key()

    assert len(sm4_key) == 16
    assert len(index_key) == 32
    assert sm4_key != index_key[:16]
    assert field_encryption_key() == sm4_key  # stable

    settings.SECRET_KEY = "another-secret-key-for-this-test-0123456789abcdefghijkl"
    assert field_encryption_key() != sm4_key
    assert blind_index_key() != index_key


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("YIWANG_SM4_KEY", "not hex at all"),
        ("YIWANG_SM4_KEY", "0011"),
        ("YIWANG_SM4_KEY", "00" * 32),
        ("YIWANG_BLIND_INDEX_KEY", "zz" * 16),
        ("YIWANG_BLIND_INDEX_KEY", "00" * 8),
    ],
)
def test_a_malformed_configured_key_stops_with_a_configuration_error(settings, name, value):
    setattr(settings, name, value)

    with pytest.raises(ImproperlyConfigured, match=name):
        field_encryption_key() if name == "YIWANG_SM4_KEY" else blind_index_key()


def test_an_id_number_can_be_stored_encrypted_and_found_by_its_blind_index(settings):
    settings.YIWANG_SM4_KEY = "00112233445566778899aabbccddeeff"
    settings.YIWANG_BLIND_INDEX_KEY = "0f" * 32
    aad = b"accounts.Person.id_number"
    stored = {
        blind_index(blind_index_key(), number): sm4_gcm_encrypt(
            field_encryption_key(), number.encode(), aad
        )
        for number in ("11010519491231002X", "110105194912310029")
    }

    found = stored[blind_index(blind_index_key(), "11010519491231002x")]

    assert sm4_gcm_decrypt(field_encryption_key(), found, aad) == b"11010519491231002X"


# --- SM4 (GB/T 32907-2016 appendix A; RFC 8998 A.1) ---------------------------------------------

SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")


def test_sm4_encrypts_the_standard_block():
    assert sm4_ecb_encrypt_block(SM4_KEY, SM4_KEY).hex() == "681edf34d206965e86b3e94f536e4246"


def test_sm4_encrypting_the_standard_block_a_million_times_matches_the_standard():
    # About 1.5 s on the development machine, so it stays in the default run.
    result = sm4_ecb_encrypt_block(SM4_KEY, SM4_KEY, iterations=1_000_000)

    assert result.hex() == "595298c7c6fd271f0402f804c33d3f66"


RFC8998_NONCE = bytes.fromhex("00001234567800000000ABCD")
RFC8998_AAD = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
RFC8998_PLAINTEXT = bytes.fromhex(
    "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD"
    "EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA"
)
RFC8998_CIPHERTEXT = bytes.fromhex(
    "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
    "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
)
RFC8998_TAG = bytes.fromhex("83DE3541E4C2B58177E065A9BF7B62EC")


def test_sm4_gcm_decrypts_the_rfc_8998_vector():
    blob = RFC8998_NONCE + RFC8998_CIPHERTEXT + RFC8998_TAG

    assert sm4_gcm_decrypt(SM4_KEY, blob, RFC8998_AAD) == RFC8998_PLAINTEXT


def test_sm4_gcm_encrypts_the_rfc_8998_vector_given_its_nonce():
    sealed = crypto._sm4_gcm_seal(SM4_KEY, RFC8998_NONCE, RFC8998_PLAINTEXT, RFC8998_AAD)

    assert sealed == RFC8998_NONCE + RFC8998_CIPHERTEXT + RFC8998_TAG


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 1000])
@pytest.mark.parametrize("aad", [b"", b"accounts.Person.id_number:42"])
def test_sm4_gcm_round_trips(rng, length, aad):
    key, plaintext = _bytes(rng, 16), _bytes(rng, length)
    blob = sm4_gcm_encrypt(key, plaintext, aad)

    assert len(blob) == 12 + length + 16
    assert sm4_gcm_decrypt(key, blob, aad) == plaintext


def test_sm4_gcm_uses_a_fresh_nonce_each_time():
    blobs = {sm4_gcm_encrypt(SM4_KEY, b"same plaintext") for _ in range(20)}

    assert len(blobs) == 20
    assert len({blob[:12] for blob in blobs}) == 20


def test_sm4_gcm_interoperates_with_gmssl(rng):
    key, nonce, aad, plaintext = _bytes(rng, 16), _bytes(rng, 12), b"aad", _bytes(rng, 77)
    ciphertext, tag = gmssl_pyx.sm4_gcm_encrypt(key, nonce, aad, plaintext)
    assert sm4_gcm_decrypt(key, nonce + ciphertext + tag, aad) == plaintext

    blob = sm4_gcm_encrypt(key, plaintext, aad)
    assert gmssl_pyx.sm4_gcm_decrypt(key, blob[:12], aad, blob[12:-16], blob[-16:]) == plaintext


def test_flipping_any_bit_of_an_sm4_ciphertext_is_detected(rng):
    key = _bytes(rng, 16)
    blob = sm4_gcm_encrypt(key, b"11010519491231002X", b"aad")
    for index in range(len(blob)):
        for bit in (0x01, 0x80):
            tampered = bytearray(blob)
            tampered[index] ^= bit
            with pytest.raises(CryptoError):
                sm4_gcm_decrypt(key, bytes(tampered), b"aad")


@pytest.mark.parametrize("cut", [1, 16, 17])
def test_a_truncated_or_extended_sm4_ciphertext_is_refused(cut):
    blob = sm4_gcm_encrypt(SM4_KEY, b"some personal data", b"aad")

    with pytest.raises(CryptoError):
        sm4_gcm_decrypt(SM4_KEY, blob[:-cut], b"aad")
    with pytest.raises(CryptoError):
        sm4_gcm_decrypt(SM4_KEY, blob + b"\x00" * cut, b"aad")


def test_a_too_short_sm4_blob_is_refused():
    with pytest.raises(CryptoError, match="too short"):
        sm4_gcm_decrypt(SM4_KEY, b"\x00" * 27)


def test_sm4_gcm_decrypts_a_ciphertext_read_back_as_a_memoryview():
    blob = sm4_gcm_encrypt(SM4_KEY, b"from a BinaryField", b"aad")

    assert sm4_gcm_decrypt(SM4_KEY, memoryview(blob), b"aad") == b"from a BinaryField"
    assert sm4_gcm_decrypt(SM4_KEY, bytearray(blob), b"aad") == b"from a BinaryField"
    with pytest.raises(CryptoError):
        sm4_gcm_decrypt(SM4_KEY, blob.hex(), b"aad")  # type: ignore[arg-type]


def test_the_associated_data_is_bound_to_the_ciphertext():
    blob = sm4_gcm_encrypt(SM4_KEY, b"11010519491231002X", b"person:42")

    assert sm4_gcm_decrypt(SM4_KEY, blob, b"person:42") == b"11010519491231002X"
    for wrong in (b"person:43", b"", b"person:42 "):
        with pytest.raises(CryptoError):
            sm4_gcm_decrypt(SM4_KEY, blob, wrong)
    unbound = sm4_gcm_encrypt(SM4_KEY, b"11010519491231002X")
    with pytest.raises(CryptoError):
        sm4_gcm_decrypt(SM4_KEY, unbound, b"person:42")


def test_sm4_refuses_a_wrong_key():
    blob = sm4_gcm_encrypt(SM4_KEY, b"secret")

    with pytest.raises(CryptoError):
        sm4_gcm_decrypt(bytes(16), blob)


@pytest.mark.parametrize("key", [b"", bytes(15), bytes(17), bytes(32), "0123456789abcdef"])
def test_sm4_refuses_keys_that_are_not_16_bytes(key):
    with pytest.raises(CryptoError):
        sm4_gcm_encrypt(key, b"x")
    with pytest.raises(CryptoError):
        sm4_gcm_decrypt(key, bytes(40))
    with pytest.raises(CryptoError):
        sm4_ecb_encrypt_block(key, bytes(16))


def test_sm4_block_refuses_a_partial_block():
    with pytest.raises(CryptoError):
        sm4_ecb_encrypt_block(SM4_KEY, bytes(15))


# --- SM2 ------------------------------------------------------------------------------------

# GM/T 0003.5-2012 appendix A (= GB/T 32918.5-2017): signature example on the recommended curve.
KAT_PRIVATE = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
KAT_PUBLIC = (
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
KAT_MESSAGE = b"message digest"
KAT_R = bytes.fromhex("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3")
KAT_S = bytes.fromhex("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA")


def _der_signature(r: bytes, s: bytes) -> bytes:
    inner = crypto._der_int(r) + crypto._der_int(s)
    return b"\x30" + crypto._der_len(len(inner)) + inner


def _rs(signature: bytes) -> tuple[int, int]:
    body, _ = crypto._der_read(signature, 0, 0x30)
    r, pos = crypto._der_read(body, 0, 0x02)
    s, _ = crypto._der_read(body, pos, 0x02)
    return int.from_bytes(r, "big"), int.from_bytes(s, "big")


@pytest.fixture(scope="module")
def alice() -> crypto.Sm2KeyPair:
    return sm2_generate_keypair()


@pytest.fixture(scope="module")
def bob() -> crypto.Sm2KeyPair:
    return sm2_generate_keypair()


def test_the_standard_public_key_is_derived_from_the_standard_private_key():
    assert sm2_public_from_private(KAT_PRIVATE) == KAT_PUBLIC.lower()


def test_the_standard_signature_verifies_through_our_interface():
    signature = _der_signature(KAT_R, KAT_S)

    assert sm2_verify(KAT_PUBLIC, KAT_MESSAGE, signature)
    assert sm2_verify(KAT_PUBLIC, KAT_MESSAGE, signature, user_id=b"1234567812345678")
    assert not sm2_verify(KAT_PUBLIC, b"message digesT", signature)
    assert not sm2_verify(KAT_PUBLIC, KAT_MESSAGE, signature, user_id=b"ALICE123@YAHOO.COM")
    assert not sm2_verify(KAT_PUBLIC, KAT_MESSAGE, _der_signature(KAT_S, KAT_R))


def test_a_generated_key_pair_has_the_documented_formats(alice):
    assert len(alice.private_hex) == 64
    assert len(alice.public_hex) == 128
    int(alice.private_hex, 16), int(alice.public_hex, 16)


@pytest.mark.parametrize("attempt", range(3))
def test_the_public_key_derived_from_a_private_key_matches_the_generated_pair(attempt):
    pair = sm2_generate_keypair()

    assert sm2_public_from_private(pair.private_hex) == pair.public_hex


@pytest.mark.parametrize("private", ["00" * 32, "FF" * 32, "00", "zz" * 32])
def test_deriving_a_public_key_refuses_invalid_private_keys(private):
    with pytest.raises(CryptoError):
        sm2_public_from_private(private)


def test_a_signature_round_trips(alice):
    signature = sm2_sign(alice.private_hex, alice.public_hex, b"ledger checkpoint 42")

    assert sm2_verify(alice.public_hex, b"ledger checkpoint 42", signature)
    assert sm2_verify("04" + alice.public_hex, b"ledger checkpoint 42", signature)
    assert 1 <= _rs(signature)[0] < crypto._N


def test_a_signature_fails_for_another_message_key_or_user_id(alice, bob):
    signature = sm2_sign(alice.private_hex, alice.public_hex, b"approve case 7", user_id=b"clerk")

    assert sm2_verify(alice.public_hex, b"approve case 7", signature, user_id=b"clerk")
    assert not sm2_verify(alice.public_hex, b"approve case 8", signature, user_id=b"clerk")
    assert not sm2_verify(bob.public_hex, b"approve case 7", signature, user_id=b"clerk")
    assert not sm2_verify(alice.public_hex, b"approve case 7", signature, user_id=b"clerk2")
    assert not sm2_verify(alice.public_hex, b"approve case 7", signature)


def test_the_default_user_id_is_1234567812345678(alice):
    signature = sm2_sign(alice.private_hex, alice.public_hex, b"m")

    assert crypto.SM2_DEFAULT_USER_ID == b"1234567812345678"
    assert sm2_verify(alice.public_hex, b"m", signature, user_id=b"1234567812345678")
    assert gmssl_pyx.sm2_verify(
        bytes.fromhex(alice.public_hex), b"m", signature, signer_id=b"1234567812345678"
    )
    assert not sm2_verify(alice.public_hex, b"m", signature, user_id=b"8765432187654321")


def test_a_signature_made_with_gmssl_directly_verifies_through_our_interface(alice):
    private, public = bytes.fromhex(alice.private_hex), bytes.fromhex(alice.public_hex)

    default_id = gmssl_pyx.sm2_sign(private, public, b"from gmssl")
    custom_id = gmssl_pyx.sm2_sign(private, public, b"from gmssl", signer_id=b"dept-a")

    assert sm2_verify(alice.public_hex, b"from gmssl", default_id)
    assert sm2_verify(alice.public_hex, b"from gmssl", custom_id, user_id=b"dept-a")


def test_our_signatures_verify_with_gmssl_directly_for_any_signer_id(alice):
    """We compute e = SM3(Z ‖ M) ourselves (Z with the curve's a, b, G and the key) and GmSSL
    signs the digest; GmSSL's own message verification must agree, default id or not."""
    public = bytes.fromhex(alice.public_hex)
    default_id = sm2_sign(alice.private_hex, alice.public_hex, b"to gmssl")
    custom_id = sm2_sign(alice.private_hex, alice.public_hex, b"to gmssl", user_id=b"dept-a")

    assert gmssl_pyx.sm2_verify(public, b"to gmssl", default_id)
    assert gmssl_pyx.sm2_verify(public, b"to gmssl", custom_id, signer_id=b"dept-a")
    assert not sm2_verify(alice.public_hex, b"to gmssl", custom_id)  # the id is bound


def test_the_curve_constants_put_the_base_point_on_the_curve():
    x, y = crypto._G
    assert (y * y - (x**3 + crypto._A * x + crypto._B)) % crypto._P == 0


def test_a_signature_read_back_as_a_memoryview_verifies(alice):
    signature = sm2_sign(alice.private_hex, alice.public_hex, b"m")

    assert sm2_verify(alice.public_hex, b"m", memoryview(signature))
    assert sm2_verify(alice.public_hex, b"m", bytearray(signature))


def test_sm2_signatures_are_randomised_but_all_verify(alice):
    signatures = {sm2_sign(alice.private_hex, alice.public_hex, b"same") for _ in range(5)}

    assert len(signatures) == 5
    assert all(sm2_verify(alice.public_hex, b"same", s) for s in signatures)


def _malformed_signatures(valid: bytes) -> list[bytes]:
    r, s = _rs(valid)
    n = crypto._N
    to = lambda v: v.to_bytes((v.bit_length() + 7) // 8 or 1, "big")  # noqa: E731
    return [
        b"",
        b"garbage",
        b"\x30",
        valid[:-1],
        valid + b"\x00",
        b"\x31" + valid[1:],
        _der_signature(b"\x00", to(s)),  # r = 0
        _der_signature(to(r), to(n)),  # s = n
        _der_signature(to(r + n), to(s)),  # r ≥ n
        b"\x30\x06\x02\x01\x80\x02\x01\x01",  # negative r
        b"\x30\x07\x02\x02\x00\x01\x02\x01\x01",  # non-minimal r
    ]


def test_malformed_signatures_are_refused_quietly(alice, capfd):
    valid = sm2_sign(alice.private_hex, alice.public_hex, b"m")
    capfd.readouterr()

    for signature in _malformed_signatures(valid):
        assert sm2_verify(alice.public_hex, b"m", signature) is False
    assert sm2_verify(alice.public_hex, b"m", "not bytes") is False  # type: ignore[arg-type]

    assert capfd.readouterr().err == ""  # refused before GmSSL, which would print to stderr


@pytest.mark.parametrize("public", ["", "zz", "00" * 64, "05" + "00" * 64, "11" * 63])
def test_verifying_with_a_malformed_public_key_is_false(alice, public):
    signature = sm2_sign(alice.private_hex, alice.public_hex, b"m")

    assert sm2_verify(public, b"m", signature) is False


@pytest.mark.parametrize(
    ("private", "public"),
    [("00" * 31, None), ("zz" * 32, None), (None, "00" * 63), (None, "not hex")],
)
def test_signing_refuses_malformed_keys(alice, private, public):
    with pytest.raises(CryptoError):
        sm2_sign(private or alice.private_hex, public or alice.public_hex, b"m")


def test_signing_refuses_an_empty_user_id(alice):
    with pytest.raises(CryptoError):
        sm2_sign(alice.private_hex, alice.public_hex, b"m", user_id=b"")


@pytest.mark.parametrize("length", [1, 16, 32, 255])
def test_sm2_encryption_round_trips(alice, rng, length):
    plaintext = _bytes(rng, length)

    assert sm2_decrypt(alice.private_hex, sm2_encrypt(alice.public_hex, plaintext)) == plaintext


@pytest.mark.parametrize("length", [0, 256, 1000])
def test_sm2_encryption_is_limited_to_1_to_255_bytes(alice, length):
    with pytest.raises(CryptoError, match="1–255"):
        sm2_encrypt(alice.public_hex, bytes(length))


def test_sm2_decryption_fails_with_the_wrong_key_or_a_tampered_ciphertext(alice, bob):
    ciphertext = sm2_encrypt(alice.public_hex, b"a wrapped SM4 key")

    with pytest.raises(CryptoError):
        sm2_decrypt(bob.private_hex, ciphertext)
    tampered = bytearray(ciphertext)
    tampered[-1] ^= 1
    with pytest.raises(CryptoError):
        sm2_decrypt(alice.private_hex, bytes(tampered))
    for garbage in (b"", b"\x30\x03abc", bytes(400)):
        with pytest.raises(CryptoError):
            sm2_decrypt(alice.private_hex, garbage)


def test_sm2_encryption_refuses_a_malformed_public_key():
    with pytest.raises(CryptoError):
        sm2_encrypt("00" * 10, b"x")
    with pytest.raises(CryptoError):
        sm2_encrypt("00" * 64, b"x")  # not a point on the curve


# --- DER ⇄ raw C1C3C2 -------------------------------------------------------------------------


def test_der_and_raw_c1c3c2_round_trip_and_decrypt(alice, rng):
    for length in (1, 17, 127, 128, 255):
        plaintext = _bytes(rng, length)
        der = sm2_encrypt(alice.public_hex, plaintext)
        raw = c1c3c2_raw(der)

        assert raw[0] == 4
        assert len(raw) == 1 + 64 + 32 + length
        assert c1c3c2_der(raw) == der
        assert sm2_decrypt(alice.private_hex, c1c3c2_der(raw)) == plaintext


def test_raw_c1c3c2_has_c3_before_c2_as_gm_t_0003_defines_them(alice, rng):
    """Recompute C3 = SM3(x2 || M || y2) and C2 = M ⊕ KDF(x2 || y2) with (x2, y2) = d·C1."""
    d = int(alice.private_hex, 16)
    plaintext = _bytes(rng, 40)
    raw = c1c3c2_raw(sm2_encrypt(alice.public_hex, plaintext))
    c1 = (int.from_bytes(raw[1:33], "big"), int.from_bytes(raw[33:65], "big"))
    c3, c2 = raw[65:97], raw[97:]

    point = crypto._sm2_mul(d, c1)
    assert point is not None
    x2, y2 = point[0].to_bytes(32, "big"), point[1].to_bytes(32, "big")

    assert c3 == sm3(x2 + plaintext + y2)
    mask = gmssl_pyx.sm3_kdf(x2 + y2, len(plaintext))
    assert bytes(a ^ b for a, b in zip(c2, mask, strict=True)) == plaintext


def test_raw_coordinates_with_leading_zero_bytes_survive_the_round_trip():
    raw = b"\x04" + b"\x00" + b"\x7f" * 31 + b"\x00\x00" + b"\x80" * 30 + b"\x33" * 32 + b"hi"

    der = c1c3c2_der(raw)

    assert c1c3c2_raw(der) == raw


@pytest.mark.parametrize(
    "der",
    [
        b"",
        b"\x30",
        b"\x04\x00",
        b"\x30\x00",
        b"\x30\x81",
        b"\x30\x83\x00\x00\x01",
    ],
)
def test_malformed_der_ciphertexts_are_refused(der):
    with pytest.raises(CryptoError):
        c1c3c2_raw(der)


def test_a_der_ciphertext_with_trailing_or_missing_bytes_is_refused(alice):
    der = sm2_encrypt(alice.public_hex, b"x")

    with pytest.raises(CryptoError):
        c1c3c2_raw(der + b"\x00")
    with pytest.raises(CryptoError):
        c1c3c2_raw(der[:-1])


def _sm2_cipher(x: bytes, y: bytes, c3: bytes, c2: bytes, extra: bytes = b"") -> bytes:
    octets = lambda v: b"\x04" + crypto._der_len(len(v)) + v  # noqa: E731
    inner = crypto._der_int(x) + crypto._der_int(y) + octets(c3) + octets(c2) + extra
    return b"\x30" + crypto._der_len(len(inner)) + inner


@pytest.mark.parametrize(
    ("x", "c3", "c2", "extra"),
    [
        (b"\x11" * 32, b"\x33" * 31, b"hi", b""),  # C3 is not 32 bytes
        (b"\x11" * 32, b"\x33" * 32, b"", b""),  # empty C2
        (b"\x11" * 33, b"\x33" * 32, b"hi", b""),  # x longer than 32 bytes
        (b"\x11" * 32, b"\x33" * 32, b"hi", b"\x05\x00"),  # a fifth element
    ],
)
def test_an_sm2_cipher_with_wrong_parts_is_refused(x, c3, c2, extra):
    with pytest.raises(CryptoError):
        c1c3c2_raw(_sm2_cipher(x, b"\x22" * 32, c3, c2, extra))


def test_a_well_built_sm2_cipher_is_accepted_by_the_same_helper():
    raw = c1c3c2_raw(_sm2_cipher(b"\x11" * 32, b"\x22" * 32, b"\x33" * 32, b"hi"))

    assert raw == b"\x04" + b"\x11" * 32 + b"\x22" * 32 + b"\x33" * 32 + b"hi"


@pytest.mark.parametrize("raw", [b"", b"\x04" + bytes(96), b"\x02" + bytes(97), bytes(200)])
def test_malformed_raw_ciphertexts_are_refused(raw):
    with pytest.raises(CryptoError):
        c1c3c2_der(raw)
