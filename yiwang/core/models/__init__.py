"""Core models: the working-day calendar, idempotency records and the audit ledger."""

from yiwang.core.models.calendar import *  # noqa: F403
from yiwang.core.models.idempotency import *  # noqa: F403
from yiwang.core.models.ledger import *  # noqa: F403
