import hashlib

import pytest

from cockpit.auth.passwords import MAX_LENGTH, generate_password, hash_password, verify_password


def test_hash_is_salted_scrypt_and_verifies():
    a, b = hash_password("Correct-Horse-7"), hash_password("Correct-Horse-7")
    assert a.startswith("scrypt:") and b.startswith("scrypt:")
    assert a != b  # a fresh salt each time
    method, salt, digest = a.split("$")
    # recompute independently with hashlib: scrypt:N:r:p$salt$hex
    n, r, p = (int(x) for x in method.split(":")[1:])
    expected = hashlib.scrypt(b"Correct-Horse-7", salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p).hex()
    assert digest == expected
    assert n >= 2**14
    assert verify_password(a, "Correct-Horse-7")
    assert not verify_password(a, "correct-horse-7")
    assert not verify_password(a, "")


def test_verify_refuses_missing_malformed_and_oversized():
    assert not verify_password(None, "anything")
    assert not verify_password("", "anything")
    assert not verify_password("plain-text-stored", "plain-text-stored")
    long_pw = "x" * (MAX_LENGTH + 1)
    assert not verify_password(hash_password("Correct-Horse-7"), long_pw)


@pytest.mark.parametrize("weak", ["short1", "aaaaaaaaaaaa", " leading-space", "x" * (MAX_LENGTH + 1)])
def test_weak_passwords_are_refused(weak):
    with pytest.raises(ValueError):
        hash_password(weak)


def test_generated_passwords_are_random_and_acceptable():
    pws = {generate_password() for _ in range(50)}
    assert len(pws) == 50
    for pw in list(pws)[:3]:
        assert verify_password(hash_password(pw), pw)
