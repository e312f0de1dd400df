"""Cross-cutting security gates: the authorisation matrix and the security headers."""
