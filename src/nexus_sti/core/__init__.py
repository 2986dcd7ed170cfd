"""Shared pure vocabulary: countries, priority areas, money, errors and typed ids.

Nothing here imports the database, the web layer, settings or the clock.
"""
