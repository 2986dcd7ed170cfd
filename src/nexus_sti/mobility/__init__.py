"""Mobility: exchange schemes, applicants and host offers."""
