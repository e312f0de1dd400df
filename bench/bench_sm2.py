"""SM2 signing and verification through our interface (``yiwang.core.crypto.sm2_sign`` /
``sm2_verify``: GmSSL's C code through ``gmssl_pyx``, DER signatures) against the pure-Python
``gmssl`` package (``CryptSM2.sign_with_sm3`` / ``verify_with_sm3``, raw r||s hex signatures),
same key pair, same message, same process.

The message is 300 bytes of a canonical licence document (a real one is ~550 bytes; the cost of
SM3 over the extra bytes is small next to the scalar multiplications). Each operation runs for a
fixed time budget per side (``YIWANG_BENCH_SM2_SECONDS``, default 3 s), split into rounds that
alternate ours and gmssl so that both see the same (shared) machine. ours = signatures/s,
ref = gmssl's signatures/s; goal (issue 5): ratio ≥ 20. A second RESULT line for verification is
printed before it (the runner keeps the last line).

Also checked in the same run: each side's signature verifies with the other side (DER ⇄ r||s
converted here), a changed message fails on both, and — as a NOTE — the rate of GmSSL's
digest-signing entry point (``sm2_sign_sm3_digest`` over SM3(Z‖M) computed with our SM3), which
avoids GmSSL's per-call precomputation in ``sm2_sign``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import note, result

SECONDS = float(os.environ.get("YIWANG_BENCH_SM2_SECONDS", "3"))
ROUNDS = 3
MESSAGE_BYTES = 300
GOAL = 20.0

# SM2 curve parameters for Z (GB/T 32918.2): a, b, xG, yG.
_CURVE = bytes.fromhex(
    "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
    "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"
)


def message() -> bytes:
    from yiwang.licences.documents import FORMAT, canonical_bytes

    document = {
        "format": FORMAT,
        "licence_id": "1.2.156.3005.2.11100000000013338W001.11330100MA0000018X.20261122001.001.K",
        "type": {"code": "11100000000013338W001", "name": "食品经营许可证"},
        "issuer": {"uscc": "11330100MA0000018X", "name": "杭州市市场监督管理局"},
        "holder": {"kind": "person", "name": "王芳", "id": "11010519491231002X"},
        "content": {"shop_name": "示范小吃店", "start_date": "2026-11-22"},
        "issued_at": "2026-11-22T08:00:00.000000+00:00",
        "valid_from": "2026-11-22",
        "valid_until": "2031-11-21",
        "key_id": "0123456789abcdef0123456789abcdef",
    }
    return canonical_bytes(document)[:MESSAGE_BYTES]


def der_from_raw(raw_hex: str) -> bytes:
    """gmssl's r||s hex → DER SEQUENCE {INTEGER r, INTEGER s}."""

    def integer(value: bytes) -> bytes:
        value = value.lstrip(b"\x00") or b"\x00"
        if value[0] & 0x80:
            value = b"\x00" + value
        return b"\x02" + bytes([len(value)]) + value

    raw = bytes.fromhex(raw_hex)
    body = integer(raw[:32]) + integer(raw[32:])
    return b"\x30" + bytes([len(body)]) + body


def raw_from_der(der: bytes) -> str:
    """DER SEQUENCE {r, s} → gmssl's r||s hex (short-form lengths: an SM2 signature ≤ 72 bytes)."""
    if der[0] != 0x30 or der[2] != 0x02:
        raise ValueError("not a DER SM2 signature")
    r_len = der[3]
    r = der[4 : 4 + r_len]
    pos = 4 + r_len
    if der[pos] != 0x02:
        raise ValueError("not a DER SM2 signature")
    s = der[pos + 2 : pos + 2 + der[pos + 1]]
    return f"{int.from_bytes(r, 'big'):064x}{int.from_bytes(s, 'big'):064x}"


def rate(fn: Callable[[], object], seconds: float) -> tuple[int, float]:
    """(operations, elapsed seconds) running ``fn`` for at least ``seconds``."""
    count = 0
    began = time.perf_counter()
    deadline = began + seconds
    while True:
        fn()
        count += 1
        if time.perf_counter() >= deadline:
            return count, time.perf_counter() - began


def alternate(ours: Callable[[], object], ref: Callable[[], object]) -> tuple[float, float]:
    """(ours/s, ref/s) over ROUNDS alternating rounds, SECONDS per side in all."""
    totals = {"ours": [0, 0.0], "ref": [0, 0.0]}
    for _round in range(ROUNDS):
        for name, fn in (("ours", ours), ("ref", ref)):
            count, elapsed = rate(fn, SECONDS / ROUNDS)
            totals[name][0] += count
            totals[name][1] += elapsed
    return (
        totals["ours"][0] / totals["ours"][1],
        totals["ref"][0] / totals["ref"][1],
    )


def main() -> None:
    import gmssl_pyx
    from gmssl import sm2

    from yiwang.core.crypto import sm2_generate_keypair, sm2_sign, sm2_verify, sm3

    msg = message()
    pair = sm2_generate_keypair()
    # gmssl's constructor strips a leading "04" with str.lstrip("04"), which also eats leading
    # 0/4 digits of x: set the 128-hex x||y public key after construction.
    gm = sm2.CryptSM2(private_key=pair.private_hex, public_key=pair.public_hex)
    gm.public_key = pair.public_hex

    ours_sig = sm2_sign(pair.private_hex, pair.public_hex, msg)
    gm_sig = gm.sign_with_sm3(msg)
    checks = {
        "ours verifies ours": sm2_verify(pair.public_hex, msg, ours_sig),
        "gmssl verifies gmssl": bool(gm.verify_with_sm3(gm_sig, msg)),
        "gmssl verifies ours (DER → r||s)": bool(gm.verify_with_sm3(raw_from_der(ours_sig), msg)),
        "ours verifies gmssl (r||s → DER)": sm2_verify(pair.public_hex, msg, der_from_raw(gm_sig)),
        "gmssl refuses a changed message": not gm.verify_with_sm3(gm_sig, msg + b" "),
    }
    if not all(checks.values()):
        sys.exit("SM2 cross-check failed: " + ", ".join(f"{k}={v}" for k, v in checks.items()))
    note(
        "interoperable: our DER signatures verify in gmssl after DER → r||s, gmssl's r||s "
        "signatures verify in ours after r||s → DER (same SM3-with-Z, default id "
        "1234567812345678); a changed message fails"
    )

    sign_ours, sign_ref = alternate(
        lambda: sm2_sign(pair.private_hex, pair.public_hex, msg),
        lambda: gm.sign_with_sm3(msg),
    )
    verify_ours, verify_ref = alternate(
        lambda: sm2_verify(pair.public_hex, msg, ours_sig),
        lambda: gm.verify_with_sm3(gm_sig, msg),
    )

    private, public = bytes.fromhex(pair.private_hex), bytes.fromhex(pair.public_hex)
    uid = b"1234567812345678"
    z = sm3(len(uid * 8).to_bytes(2, "big") + uid + _CURVE + public)

    def digest_sign() -> bytes:
        return gmssl_pyx.sm2_sign_sm3_digest(private, sm3(z + msg))

    if not sm2_verify(pair.public_hex, msg, digest_sign()):
        sys.exit("GmSSL digest signing does not verify with ours")
    count, elapsed = rate(digest_sign, SECONDS / ROUNDS)
    digest_rate = count / elapsed

    note(
        f"sign ({len(msg)}-byte message): ours {sign_ours:.0f}/s, gmssl {sign_ref:.1f}/s, "
        f"ratio {sign_ours / sign_ref:.1f}; goal ≥ {GOAL:.0f}: "
        + ("met" if sign_ours / sign_ref >= GOAL else "NOT met")
    )
    note(
        f"verify: ours {verify_ours:.0f}/s, gmssl {verify_ref:.1f}/s, "
        f"ratio {verify_ours / verify_ref:.1f}"
    )
    note(
        f"GmSSL sm2_sign_sm3_digest over SM3(Z‖M) (Z once per key): {digest_rate:.0f}/s, "
        f"{digest_rate / sign_ours:.1f}× our sm2_sign, {digest_rate / sign_ref:.0f}× gmssl — "
        "gmssl_pyx.sm2_sign runs GmSSL's "
        "sm2_sign_init, which precomputes 32 (k, [k]G) pairs per call and uses one"
    )
    note(f"{SECONDS:g} s per side per operation, {ROUNDS} alternating rounds, one process")
    result("sm2_verify", verify_ours, "verify/s", verify_ref, "verify/s")
    result("sm2_sign", sign_ours, "sign/s", sign_ref, "sign/s")


if __name__ == "__main__":
    main()
