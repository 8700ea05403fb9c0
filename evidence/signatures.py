"""Key-based signature verification of uploaded attestations (offline, with `cryptography`).

For a service configured with a cosign public key, DSSE envelopes (bare, in .intoto.jsonl, or inside a
Sigstore bundle) are checked over their PAE, and Sigstore message signatures over the artifact digest.
The result is the summary's ``verified``: True (every envelope has a valid signature by the key), False
(a signature is present but none verifies: invalid), None (no key configured, or nothing signed to check).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, utils

_DIGESTS = {"SHA2_256": hashes.SHA256(), "SHA2_384": hashes.SHA384(), "SHA2_512": hashes.SHA512()}


def _b64(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(
            value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value else None
        )
    except (binascii.Error, ValueError):
        return None


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what the signature covers."""
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _verify(key, signature: bytes, data: bytes, *, prehashed: hashes.HashAlgorithm | None = None) -> bool:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            algorithm = ec.ECDSA(utils.Prehashed(prehashed)) if prehashed else ec.ECDSA(hashes.SHA256())
            key.verify(signature, data, algorithm)
        elif isinstance(key, ed25519.Ed25519PublicKey) and not prehashed:
            key.verify(signature, data)
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def _documents(raw: bytes) -> list[Any]:
    try:
        return [orjson.loads(raw)]
    except orjson.JSONDecodeError:
        documents = []
        for line in raw.splitlines():
            if line.strip():
                try:
                    documents.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    return []
        return documents


def _envelope_verdict(key, document: Any) -> bool | None:
    if not isinstance(document, dict):
        return None
    envelope = document.get("dsseEnvelope", document)
    if isinstance(envelope, dict) and "payload" in envelope and isinstance(envelope.get("signatures"), list):
        payload = _b64(envelope.get("payload"))
        if payload is None or not envelope["signatures"]:
            return False if envelope["signatures"] else None
        message = pae(str(envelope.get("payloadType", "")), payload)
        signatures = [_b64(s.get("sig")) for s in envelope["signatures"] if isinstance(s, dict)]
        return any(sig is not None and _verify(key, sig, message) for sig in signatures)
    signed = document.get("messageSignature")
    if isinstance(signed, dict):
        digest = signed.get("messageDigest") or {}
        algorithm = _DIGESTS.get(str(digest.get("algorithm", "")))
        value, signature = _b64(digest.get("digest")), _b64(signed.get("signature"))
        if algorithm is None or value is None or signature is None:
            return False
        return _verify(key, signature, value, prehashed=algorithm)
    return None


def attestation_verify(raw: bytes, public_key_pem: str) -> bool | None:
    """True, False (invalid) or None (nothing to check), as described in the module docstring."""
    if not public_key_pem.strip():
        return None
    try:
        key = serialization.load_pem_public_key(public_key_pem.encode())
    except ValueError:
        return False  # a configured key that cannot be read verifies nothing
    verdicts = [_envelope_verdict(key, document) for document in _documents(raw)]
    checked = [v for v in verdicts if v is not None]
    if not checked:
        return None
    return all(checked)
