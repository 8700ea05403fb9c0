"""The Ed25519 key that signs ledger checkpoints and evidence-bundle manifests.

One key for both, so an auditor checks one fingerprint (shown on the bundles page) against what a bundle
and its checkpoints were signed with. Development generates the key file on first use; production refuses
to start signing without one, because a key that silently changes would make every earlier signature look forged.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@functools.lru_cache(maxsize=4)
def _load(path: str, production: bool) -> Ed25519PrivateKey:
    key_file = Path(path)
    if not key_file.exists():
        if production:
            raise ImproperlyConfigured(
                f"GATEHOUSE_SIGNING_KEY_FILE ({key_file}) does not exist; production needs a kept Ed25519 key "
                "(generate one with `openssl genpkey -algorithm ed25519`)"
            )
        _generate(key_file)
    key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{key_file} holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def _generate(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        # O_EXCL: two processes starting together must not each write (and sign with) a different key.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def signing_key() -> Ed25519PrivateKey:
    """The configured private key (generated on first use outside production)."""
    return _load(str(settings.GATEHOUSE_SIGNING_KEY_FILE), settings.PRODUCTION)


def signing_public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def signing_public_key_raw() -> bytes:
    return signing_public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def signing_public_key_pem() -> bytes:
    """The public key as SubjectPublicKeyInfo PEM, the form shipped in every bundle."""
    return signing_public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def signing_key_fingerprint() -> str:
    """SHA-256 of the raw 32-byte public key, hex: what people compare (bundles page, verify.py)."""
    return hashlib.sha256(signing_public_key_raw()).hexdigest()


def sign(message: bytes) -> str:
    """An Ed25519 signature of ``message``, base64."""
    return base64.b64encode(signing_key().sign(message)).decode()


def signature_valid(message: bytes, signature_b64: str) -> bool:
    """True when ``signature_b64`` is the configured key's signature of ``message``."""
    try:
        signing_public_key().verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True
