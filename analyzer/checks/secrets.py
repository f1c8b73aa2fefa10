"""Checks of this domain (being written)."""
