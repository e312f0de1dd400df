"""Admin for the working-day calendar."""
