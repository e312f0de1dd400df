"""Admin for core models: the calendar (editable by admins) and the ledger (read-only)."""

from yiwang.core.admin import calendar, ledger  # noqa: F401
