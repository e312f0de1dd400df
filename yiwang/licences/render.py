"""Rendering of licences (PDF with QR code and seal) — filled in by the rendering work."""

from __future__ import annotations


def extract_json_form(raw: bytes) -> bytes | None:
    raise NotImplementedError
