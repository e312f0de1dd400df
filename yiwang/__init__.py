"""Yiwang (一网): an integrated digital-government platform."""
