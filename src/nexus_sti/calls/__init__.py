"""Calls and the proposals submitted to them."""
