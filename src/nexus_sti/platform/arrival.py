"""Proof of arrival: when the server is too busy to take a request it answers 503, and the
answer carries a signed statement of when the request arrived. Sent back with the retry (header
``Nexus-Arrival-Proof``), it makes the retry count as arriving at that first moment, so an
applicant refused for load a second before the deadline is not late when they try again. A
page's form post gets a busy page that sends the same form again with the proof as the
``arrival_proof`` field.

The proof is bound to the method and path it was given for (for a submission, the proposal's
reference), signed with the platform's secret, and honoured for 15 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

HEADER = "Nexus-Arrival-Proof"
FORM_FIELD = "arrival_proof"  # the same, in a page's form sent again
VALID_FOR = timedelta(minutes=15)


def _signature(secret: str, method: str, path: str, stamp: str) -> str:
    message = f"{method.upper()} {path} {stamp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def sign(secret: str, method: str, path: str, at: datetime) -> str:
    stamp = at.isoformat()
    return f"{stamp}~{_signature(secret, method, path, stamp)}"


def verify(secret: str, method: str, path: str, proof: str, now: datetime) -> datetime | None:
    """The arrival the proof states, if it is genuine for this method and path and recent."""
    stamp, _, signature = proof.strip().partition("~")
    if not hmac.compare_digest(signature, _signature(secret, method, path, stamp)):
        return None
    try:
        at = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if at.tzinfo is None or not now - VALID_FOR <= at <= now:
        return None
    return at


def earliest(arrived: datetime, secret: str, method: str, path: str, proof: str | None) -> datetime:
    """This request's arrival, or the earlier one a valid proof states."""
    if not proof:
        return arrived
    proven = verify(secret, method, path, proof, arrived)
    return min(arrived, proven) if proven else arrived
