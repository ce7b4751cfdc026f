"""Passwords: what one must be, hashing it with argon2id (argon2-cffi), and checking it against a hash.

Nothing hand-rolled: argon2-cffi's ``PasswordHasher`` (argon2id) salts, hashes and verifies in
constant time, and says when a stored hash was made with other parameters and should be made again.
A password is never stored, logged or compared in clear.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 8  # NIST SP 800-63B's floor for a password a person chose
# A longer one is refused before hashing: argon2 would hash megabytes, each sign-in attempt a burden.
MAX_PASSWORD_CHARS = 1024

# OWASP's argon2id configuration (19 MiB, 2 passes, 1 lane): about 30 ms a check on one core. The
# library's default (64 MiB, 3 passes, 4 lanes) took 0.3-1 s on the 2 shared cores of a small server,
# a delay every sign-in pays and an attacker can make the server pay at will.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class WeakPassword(ValueError):
    """A password that may not be set: empty, too short or too long."""


def check_password(password: str) -> str:
    """The password, or WeakPassword saying what is wrong with it."""
    if not password.strip():
        raise WeakPassword("the password is empty")
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"the password is too short: at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise WeakPassword(f"the password is too long: at most {MAX_PASSWORD_CHARS} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``stored_hash`` was made from."""
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than today's: hash the password again."""
    return _hasher.check_needs_rehash(stored_hash)


def rehash(stored_hash: str, password: str) -> str:
    """Today's hash of a password just verified against ``stored_hash`` (the same hash when it is current).
    The password rules are not checked again: it was accepted when it was set."""
    return _hasher.hash(password) if needs_rehash(stored_hash) else stored_hash


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no account has this password")


def verify_nothing(password: str) -> None:
    """Spend the time a real check takes, so an unknown email answers no faster than a wrong password."""
    verify_password(_dummy_hash(), password)
