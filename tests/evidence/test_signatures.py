"""Signatures on ingest: attestations verified offline against the service's cosign public key."""

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from checklists.gates import gate_evaluate
from evidence.models import Artifact
from evidence.services import artifact_parse
from evidence.signatures import attestation_verify
from tests.evidence.parsers.helpers import DATA
from tests.evidence.test_intake_api import upload

KEY = (DATA / "intoto" / "cosign.pub").read_text()
SIGNED = DATA / "intoto" / "signed-envelope.json"


def _other_key() -> str:
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (SIGNED, True),
        (DATA / "intoto" / "two-envelopes.intoto.jsonl", True),
        (DATA / "sigstore_bundle" / "message-signature-public-key.json", True),
        (DATA / "sigstore_bundle" / "dsse-v0.3-workflow-identity.json", True),
        (DATA / "intoto" / "statement-v1.json", None),  # nothing signed
    ],
)
def test_samples_verify_with_the_key(path, expected):
    assert attestation_verify(path.read_bytes(), KEY) is expected


def test_tampering_and_wrong_keys_are_invalid():
    envelope = json.loads(SIGNED.read_text())
    envelope["payload"] = envelope["payload"][:-8] + "AAAAAAA="
    assert attestation_verify(json.dumps(envelope).encode(), KEY) is False
    assert attestation_verify(SIGNED.read_bytes(), _other_key()) is False
    assert attestation_verify(SIGNED.read_bytes(), "not a key") is False
    assert attestation_verify(SIGNED.read_bytes(), "") is None


@pytest.mark.django_db
@pytest.mark.parametrize(("configured", "expected"), [(True, True), (False, None)])
def test_ingest_records_the_verdict_for_gates(api, service, configured, expected):
    if configured:
        service.cosign_public_key = KEY
        service.save()
    artifact_id = upload(api, data=SIGNED.read_bytes()).json()["id"]
    artifact = artifact_parse(artifact_id=artifact_id)
    assert artifact.status == Artifact.Status.PARSED
    assert artifact.evidence.summary["verified"] is expected
    result = gate_evaluate("attestation.verified == true", {"attestation": artifact.evidence.summary})
    assert result.state == ("pass" if expected else "fail")
