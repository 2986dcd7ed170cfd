"""Password hashing (argon2id) and API token minting. Pure apart from the OS random source."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY

TOKEN_PREFIX = "nxs_"


def password_hasher(profile: str) -> PasswordHasher:
    """``standard`` is RFC 9106's low-memory profile; ``fast`` is for tests only."""
    if profile == "fast":
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=8)
    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A bearer token: a recognisable prefix and 32 random bytes."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password_rules(password: str) -> str | None:
    """The rule a password breaks, or None. Length is what matters (NIST SP 800-63B)."""
    if len(password) < 12:
        return "must be at least 12 characters"
    if len(password) > 256:
        return "must be at most 256 characters"
    return None
