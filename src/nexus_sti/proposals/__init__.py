"""Proposals: drafts, consortia, budgets, attachments, submission, eligibility and screening."""
