"""verify.py's own Ed25519 (RFC 8032) against the RFC's test vector and against `cryptography`."""

import hashlib
import importlib.util
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SCRIPT = Path(__file__).resolve().parents[2] / "checklists" / "bundles" / "verify.py"
spec = importlib.util.spec_from_file_location("bundle_verify", SCRIPT)
verify = importlib.util.module_from_spec(spec)
spec.loader.exec_module(verify)


def test_rfc8032_test_vector_1():
    secret = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    signature = bytes.fromhex(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    )
    key = Ed25519PrivateKey.from_private_bytes(secret)
    assert key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == public
    assert verify.ed25519_verify(public, b"", signature)
    assert not verify.ed25519_verify(public, b"x", signature)


@pytest.mark.parametrize("length", [0, 1, 33, 1000])
def test_agrees_with_cryptography(length):
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    message = os.urandom(length)
    signature = key.sign(message)
    assert verify.ed25519_verify(public, message, signature)
    for position in (0, 31, 32, 63):
        forged = bytearray(signature)
        forged[position] ^= 0x40
        assert not verify.ed25519_verify(public, message, bytes(forged))
    other = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    assert not verify.ed25519_verify(other, message, signature)


def test_malformed_inputs_are_refused_not_crashes():
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = key.sign(b"m")
    assert not verify.ed25519_verify(public[:31], b"m", signature)
    assert not verify.ed25519_verify(public, b"m", signature[:63])
    high_s = signature[:32] + (int.from_bytes(signature[32:], "little") + verify._L).to_bytes(32, "little")
    assert not verify.ed25519_verify(public, b"m", high_s)  # malleability: S must be below L
    assert not verify.ed25519_verify(b"\xff" * 32, b"m", signature)  # not a point on the curve


def test_public_key_forms():
    key = Ed25519PrivateKey.generate().public_key()
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    assert verify.public_key_from_text(pem) == raw == verify.public_key_from_text(raw.hex())
    rsa_like = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n"
    with pytest.raises(ValueError, match="not an Ed25519"):
        verify.public_key_from_text(rsa_like)


def test_canonical_json_matches_the_ledger():
    from ledger.chain import canonical_json, link_hash

    body = {"seq": 1, "data": {"b": [1, 2.5, None], "a": "é"}, "actor": "x"}
    assert verify.canonical_json(body) == canonical_json(body)
    assert verify.link_hash("0" * 64, body) == link_hash("0" * 64, body)
    assert hashlib.sha256(b"").hexdigest() == verify._sha256_file(os.devnull)[0]


def test_paths_outside_the_folder_are_refused():
    assert not verify._safe("../etc/passwd") and not verify._safe("/etc/passwd") and not verify._safe("a/../../b")
    assert verify._safe("artifacts/ab/report.json")
