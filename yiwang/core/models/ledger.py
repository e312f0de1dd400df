"""Audit ledger models (filled in by the ledger work)."""
