"""Synthetic demo data: invented organisations, researchers, proposals and mobility records.

Everything here is pure and seeded: the generator takes a ``numpy.random.Generator`` and returns
plain frozen values that a service stores. None of it describes real people or institutions.
"""
