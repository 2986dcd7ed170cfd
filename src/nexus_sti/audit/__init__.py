"""Audit: the append-only record of every state change and decision."""
