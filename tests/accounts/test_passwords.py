"""argon2 password hashes: never the plain text, verified by the right password only."""

from __future__ import annotations

from argon2 import PasswordHasher

from paperwire.accounts.passwords import hash_password, needs_rehash, verify_password


def test_hash_is_argon2id_and_not_the_password() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse battery" not in hashed
    # A fresh salt each time: the same password never gives the same hash.
    assert hash_password("correct horse battery") != hashed


def test_verify_accepts_the_password_and_refuses_others() -> None:
    hashed = hash_password("correct horse battery")
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "correct horse batter")
    assert not verify_password(hashed, "")


def test_a_broken_hash_verifies_nothing_and_needs_rehash() -> None:
    assert not verify_password("not-a-hash", "anything")
    assert needs_rehash("not-a-hash")


def test_weaker_parameters_need_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("pw-123456")
    assert verify_password(weak, "pw-123456")
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("pw-123456"))
