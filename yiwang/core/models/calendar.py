"""Working-day calendar models (filled in by the calendar work)."""
