"""Typed ids: distinct types for the integer keys of each kind of record.

``NewType`` costs nothing at run time and lets mypy catch a proposal id passed where a user id
was expected.
"""

from __future__ import annotations

from typing import NewType

UserId = NewType("UserId", int)
ProgramId = NewType("ProgramId", int)
OrganisationId = NewType("OrganisationId", int)
ResearcherId = NewType("ResearcherId", int)
CallId = NewType("CallId", int)
ProposalId = NewType("ProposalId", int)
AuditEntryId = NewType("AuditEntryId", int)
