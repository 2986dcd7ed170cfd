"""Accounts: users, roles, permissions, passwords, sessions and API tokens."""
