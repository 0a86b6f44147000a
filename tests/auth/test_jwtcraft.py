"""Tokens built byte by byte (gate/auth/jwtcraft.py): what PyJWT expects, and the offline crack of a weak
HMAC secret."""

from __future__ import annotations

import jwt

from gate.auth import jwtcraft


# -- tokens ------------------------------------------------------------------------------------
def test_crafted_tokens_are_what_pyjwt_expects() -> None:
    tok = jwtcraft.encode({"alg": "HS256", "typ": "JWT"}, {"sub": "alice"}, "k" * 32)
    assert jwt.decode(tok, "k" * 32, algorithms=["HS256"]) == {"sub": "alice"}
    parsed = jwtcraft.parse(tok)
    assert parsed is not None and parsed.alg == "HS256" and jwtcraft.verifies(parsed, "k" * 32)
    unsigned = jwtcraft.encode({"alg": "nOnE"}, {"sub": "bob"})
    assert unsigned.endswith(".") and jwtcraft.parse(unsigned).header == {"alg": "nOnE"}  # type: ignore[union-attr]
    assert jwtcraft.parse("not.a.jwt") is None and jwtcraft.parse("authgate.garbage.token") is None


def test_crack_finds_a_wordlist_secret_and_its_mutations() -> None:
    words = jwtcraft.wordlist()
    assert "your-256-bit-secret" in words and len(words) > 300
    for secret in ("your-256-bit-secret", "Changeme123", "SUPERSECRET"):
        tok = jwtcraft.parse(jwtcraft.encode({"alg": "HS256"}, {"sub": "a"}, secret))
        assert tok is not None
        found, tried, _ = jwtcraft.crack(tok, words, seconds=5)
        assert found is not None and found.secret == secret and found.tried <= tried


def test_crack_gives_up_on_a_strong_secret_within_its_bound() -> None:
    tok = jwtcraft.parse(jwtcraft.encode({"alg": "HS256"}, {"sub": "a"}, "q8Zx-strong-random-Lk2v9PqR7sT1wY4"))
    assert tok is not None
    found, tried, spent = jwtcraft.crack(tok, jwtcraft.wordlist(), seconds=5)
    assert found is None and tried > 5000 and spent < 5
    found, tried, _ = jwtcraft.crack(tok, jwtcraft.wordlist(), seconds=0)
    assert found is None and tried == 2048  # the bound is checked every 2048 candidates
