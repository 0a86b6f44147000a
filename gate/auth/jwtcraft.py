"""JSON Web Tokens taken apart and put together byte by byte, for the attacks of the jwt check.

A library that refuses to make a bad token (PyJWT rejects `alg: none` with a key, an empty HMAC
key, a PEM used as an HMAC secret) cannot test whether a service accepts one, so the header,
payload and signature here are built by hand (RFC 7515 compact serialisation). Asymmetric
signatures use PyJWT's algorithm objects; HMAC uses `hmac` directly.

`crack` tries an issued HS* token against the shipped wordlist of common secrets
(`gate/data/jwt-secrets.txt`, each word also with common mutations), offline and bounded in time.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jwt.algorithms import get_default_algorithms

WORDLIST = Path(__file__).resolve().parent.parent / "data" / "jwt-secrets.txt"
_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
_SUFFIXES = ("", "1", "12", "123", "1234", "!", "_key", "-key", "key", "_secret", "-secret", "secret", "2024", "2025")


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Parsed:
    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes
    parts: tuple[str, str, str]

    @property
    def alg(self) -> str:
        return str(self.header.get("alg", ""))


def parse(token: str) -> Parsed | None:
    """The parts of a compact JWS, or None when `token` is not a JWT with JSON header and payload."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64d(parts[0]))
        payload = json.loads(b64d(parts[1]))
        signature = b64d(parts[2])
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return None
    return Parsed(header, payload, f"{parts[0]}.{parts[1]}".encode(), signature, (parts[0], parts[1], parts[2]))


def hs_sign(signing_input: bytes, key: bytes, alg: str = "HS256") -> bytes:
    return hmac.new(key, signing_input, _HASHES.get(alg, hashlib.sha256)).digest()


def sign(signing_input: bytes, alg: str, key: Any) -> bytes:
    """The signature of `signing_input` under `alg`; `key` is bytes/str (HS*), a PEM or key object."""
    if alg.lower() == "none":
        return b""
    if alg in _HASHES:
        raw = key.encode() if isinstance(key, str) else bytes(key)
        return hs_sign(signing_input, raw, alg)
    algo = get_default_algorithms()[alg]
    prepared = _prepared(alg, key) if isinstance(key, (bytes, str)) else algo.prepare_key(key)
    return algo.sign(signing_input, prepared)


@functools.lru_cache(maxsize=16)
def _prepared(alg: str, pem: bytes | str) -> Any:
    """A PEM key loaded once: loading an RSA private key checks it, 41 ms a signature (issue 17: the
    JWT family signs a dozen forgeries with the same key)."""
    return get_default_algorithms()[alg].prepare_key(pem)


def encode(header: dict[str, Any], payload: dict[str, Any], key: Any = b"", *, signature: bytes | None = None) -> str:
    """A compact JWS with exactly this header; signed under header["alg"] unless `signature` is given."""
    signing_input = f"{b64e(_json(header))}.{b64e(_json(payload))}"
    sig = signature if signature is not None else sign(signing_input.encode(), str(header.get("alg", "none")), key)
    return f"{signing_input}.{b64e(sig)}"


def verifies(token: Parsed, key: Any) -> bool:
    """Whether `token`'s signature checks out with `key` (HS* with a secret, RS*/ES* with a public PEM)."""
    alg = token.alg
    if alg in _HASHES:
        raw = key.encode() if isinstance(key, str) else bytes(key)
        return hmac.compare_digest(hs_sign(token.signing_input, raw, alg), token.signature)
    algos = get_default_algorithms()
    if alg not in algos or alg.lower() == "none":
        return False
    try:
        algo = algos[alg]
        return bool(algo.verify(token.signing_input, algo.prepare_key(key), token.signature))
    except Exception:  # a key of the wrong kind is simply "does not verify"
        return False


def public_jwk(public_pem: bytes, kid: str) -> dict[str, Any]:
    """The JWK of an RSA/EC public key (for `jwk` and `jku` header injection)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(public_pem)
    algo = get_default_algorithms()["RS256" if isinstance(key, rsa.RSAPublicKey) else "ES256"]
    jwk = json.loads(algo.to_jwk(key))
    jwk.update({"kid": kid, "use": "sig"})
    return jwk


def wordlist(path: Path = WORDLIST) -> list[str]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.append(line.rstrip("\n"))
    return words


def candidates(words: Iterable[str]) -> Iterator[str]:
    """Each word as written, lower/upper/capitalised, with common suffixes; no repeats."""
    seen: set[str] = set()
    base = list(dict.fromkeys(words))
    for suffix in _SUFFIXES:  # every word as-is first: the plain list is tried before the mutations
        for w in base:
            for form in (w, w.lower(), w.upper(), w.capitalize()):
                cand = form + suffix
                if cand not in seen:
                    seen.add(cand)
                    yield cand


@dataclass(frozen=True, slots=True)
class Cracked:
    secret: str
    tried: int
    seconds: float


def crack(token: Parsed, words: Iterable[str], seconds: float) -> tuple[Cracked | None, int, float]:
    """Find the HMAC secret of `token` among `candidates(words)` within `seconds`.

    Returns (result or None, candidates tried, seconds spent).
    """
    if token.alg not in _HASHES:
        return None, 0, 0.0
    digest = _HASHES[token.alg]
    msg, want = token.signing_input, token.signature
    t0 = time.monotonic()
    tried = 0
    for cand in candidates(words):
        tried += 1
        if hmac.new(cand.encode(), msg, digest).digest() == want:
            spent = time.monotonic() - t0
            return Cracked(cand, tried, spent), tried, spent
        if tried % 2048 == 0 and time.monotonic() - t0 > seconds:
            break
    return None, tried, time.monotonic() - t0
