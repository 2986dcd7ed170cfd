"""NEXUS: an open platform that runs an international science-cooperation funding program."""

__version__ = "0.1.0"
