"""Password hashing (scrypt via Werkzeug: salted, memory-hard) and random passwords."""

from __future__ import annotations

import secrets

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 8
MAX_LENGTH = 256  # longer input is refused before hashing, so a huge body cannot tie up a worker

# Verified against when the username does not exist, so the response time does not reveal it.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/l/I


def hash_password(password: str) -> str:
    """``scrypt:N:r:p$salt$hash`` for ``password`` (a fresh random salt each time)."""
    check_new_password(password)
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches ``password_hash``; takes the same time when the hash is missing."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        return False
    if not password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    try:
        return check_password_hash(password_hash, password)
    except ValueError:  # a malformed stored hash never logs anyone in
        return False


def check_new_password(password: str) -> None:
    """Raise ``ValueError`` (message in Chinese and English) if ``password`` is too weak to set."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ValueError(f"密码至少 {MIN_LENGTH} 位 / the password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"密码不能超过 {MAX_LENGTH} 位 / the password may have at most {MAX_LENGTH} characters")
    if password.strip() != password or len(set(password)) < 4:
        raise ValueError("密码过于简单 / the password is too simple (no leading or trailing spaces, at least 4 different characters)")


def generate_password(length: int = 14) -> str:
    """A random password of unambiguous letters and digits (about 5.8 bits each)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
