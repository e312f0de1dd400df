"""The shared kernel: errors, identifiers, calendar and deadlines, audit ledger, crypto, masking.

``core`` imports no other Yiwang app (enforced by tests/test_architecture.py).
"""
