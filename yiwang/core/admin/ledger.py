"""Read-only admin for the audit ledger."""
