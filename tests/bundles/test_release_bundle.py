"""A release bundle: complete, signed, verifiable offline by verify.py, and every kind of tampering caught."""

import base64
import json
import zipfile

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from checklists.bundles.selectors import BundleScope
from checklists.bundles.services import bundle_export_file
from ledger.chain import link_hash
from ledger.models import LedgerEntry
from ledger.signing import sign, signing_key_fingerprint
from tests.bundles.conftest import run_verify, unzip


@pytest.fixture
def bundle(approved_release, tmp_path):
    out = tmp_path / "release.zip"
    result = bundle_export_file(scope=BundleScope(release_id=approved_release.pk), out=out, actor="test")
    folder = unzip(out, tmp_path / "unpacked")
    return folder, result


def _manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


def _resign(folder, manifest):
    """What Gatehouse itself would have to do to ship doctored content: rewrite the manifest and sign it again."""
    data = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"
    (folder / "manifest.json").write_bytes(data)
    (folder / "manifest.sig").write_text(sign(data) + "\n")


def _rehash(folder, manifest, path):
    from hashlib import sha256

    data = (folder / path).read_bytes()
    for entry in manifest["files"]:
        if entry["path"] == path:
            entry["sha256"], entry["size"] = sha256(data).hexdigest(), len(data)


@pytest.mark.django_db
def test_release_bundle_holds_everything_and_verifies(bundle, approved_release):
    folder, result = bundle
    manifest = _manifest(folder)
    paths = {entry["path"] for entry in manifest["files"]}
    release_files = {f"releases/payments-1.4.0/{name}" for name in
                     ("checklist.json", "checklist.html", "checklist.md", "pull-requests.json")}  # fmt: skip
    assert {"index.html", "controls.json", "access.json", "verify.py", "README.txt", "ledger/entries.jsonl",
            "ledger/checkpoints.json", *release_files} <= paths  # fmt: skip
    artifacts = [entry for entry in manifest["files"] if entry["path"].startswith("artifacts/")]
    assert len(artifacts) == 7
    first = artifacts[0]
    assert first["path"].split("/")[1] == first["sha256"]  # exactly as uploaded: the bytes hash to their name
    assert set(first["source"][0]) >= {"artifact_id", "received_at", "uploader", "service", "commit"}
    assert manifest["scope"] == {"kind": "release", "release": approved_release.pk,
                                 "description": "release payments 1.4.0"}  # fmt: skip
    assert manifest["key_fingerprint"] == signing_key_fingerprint() and manifest["gatehouse_version"]
    assert manifest["ledger"]["head_seq"] == result.head_seq and manifest["period"] is None

    checklist = json.loads((folder / "releases/payments-1.4.0/checklist.json").read_text())
    assert checklist["status"] == "approved" and checklist["approved_by"] == "dave"
    items = {item["id"]: item for item in checklist["items"]}
    assert items["coverage"]["state"] == "pass" and items["coverage"]["figure"].startswith("coverage.line_pct = ")
    assert items["dba-expand"]["waivers"][0]["approved_by"] == "dave"
    assert items["canary-plan"]["signoffs"][0]["by"] == "alice"
    prs = json.loads((folder / "releases/payments-1.4.0/pull-requests.json").read_text())
    assert prs[0]["number"] == 7 and prs[0]["approval"]["approved_on_head"] == ["grace"]

    index = (folder / "index.html").read_text()
    assert "approved by dave" in index and "no migrations in this release" in index and "CC8.1" in index
    assert "<script" not in index and "http://" not in index.replace("https://wiki.example", "")
    controls = {c["criterion"]: c for c in json.loads((folder / "controls.json").read_text())["criteria"]}
    assert set(controls) >= {"CC8.1", "CC7.1", "CC6.8", "CC5.3", "CC6.1"}
    assert any(p.startswith("artifacts/") for p in controls["CC7.1"]["evidence"])
    assert "releases/payments-1.4.0/checklist.md" in controls["CC5.3"]["evidence"]
    access = json.loads((folder / "access.json").read_text())
    assert {u["username"] for u in access["could_approve"]} == {"alice", "dave"}

    lines = [json.loads(line) for line in (folder / "ledger/entries.jsonl").read_text().splitlines()]
    actions = {line["entry"]["action"] for line in lines if "entry" in line}
    assert {"release.created", "release.approved", "artifact.received", "waiver.approved"} <= actions
    assert lines[0]["prev_hash"] == manifest["ledger"]["prev_hash"] and lines[-1]["seq"] == result.head_seq

    checked = run_verify(folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines() == [f"key fingerprint: {signing_key_fingerprint()}", "OK"]
    assert run_verify(folder, "--fingerprint", signing_key_fingerprint()).returncode == 0
    assert LedgerEntry.objects.filter(action="bundle.exported", data__manifest_sha256=result.manifest_sha256).exists()


def _tamper_artifact(folder, manifest):
    path = next(e["path"] for e in manifest["files"] if e["path"].startswith("artifacts/"))
    data = bytearray((folder / path).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / path).write_bytes(bytes(data))
    return [f"FAIL {path}: SHA-256 is "]


def _tamper_manifest(folder, manifest):
    manifest["scope"]["description"] = "something else"
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return ["FAIL manifest.json: the signature does not verify with the key (manifest altered or wrong key)"]


def _tamper_ledger_entry(folder, manifest):
    """Change an included entry, keeping its file hash and manifest signature right (as only the key holder could)."""
    path = folder / "ledger/entries.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    target = next(line for line in lines if "entry" in line and line["entry"]["action"] == "release.approved")
    target["entry"]["actor"] = "user:mallory"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    _rehash(folder, manifest, "ledger/entries.jsonl")
    _resign(folder, manifest)
    return [f"FAIL ledger seq {target['seq']}: entry content does not match its hash (entry altered)"]


def _tamper_ledger_rehashed(folder, manifest):
    """Change an entry and recompute its hash: the next link, and the signed checkpoint, no longer agree."""
    path = folder / "ledger/entries.jsonl"
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    index = next(i for i, line in enumerate(lines) if "entry" in line and line["entry"]["action"] == "waiver.approved")
    lines[index]["entry"]["actor"] = "user:mallory"
    lines[index]["entry_hash"] = link_hash(lines[index]["prev_hash"], lines[index]["entry"])
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    _rehash(folder, manifest, "ledger/entries.jsonl")
    _resign(folder, manifest)
    return [f"FAIL ledger seq {lines[index + 1]['seq']}: prev_hash does not match the hash of the entry before it"]


def _tamper_ledger_removed(folder, manifest):
    path = folder / "ledger/entries.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    del lines[1]
    path.write_text("".join(lines))
    _rehash(folder, manifest, "ledger/entries.jsonl")
    _resign(folder, manifest)
    return ["FAIL ledger entry on line 2: expected seq", "(entries removed or reordered)"]


def _add_file(folder, manifest):
    (folder / "artifacts" / "extra.json").write_text("{}")
    return ["FAIL artifacts/extra.json: present in the folder but not listed in the manifest (file added)"]


def _remove_file(folder, manifest):
    (folder / "index.html").unlink()
    return ["FAIL index.html: listed in the manifest but missing"]


def _other_key(folder, manifest):
    other = Ed25519PrivateKey.generate().public_key()
    pem = other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (folder / "public_key.pem").write_bytes(pem)  # a swapped key: the signature no longer verifies with it
    return ["FAIL manifest.json: the signature does not verify"]


def _checkpoint_forged(folder, manifest):
    path = folder / "ledger/checkpoints.json"
    checkpoints = json.loads(path.read_text())
    checkpoints[-1]["signature"] = base64.b64encode(b"\x00" * 64).decode()
    path.write_text(json.dumps(checkpoints))
    _rehash(folder, manifest, "ledger/checkpoints.json")
    _resign(folder, manifest)
    return [f"FAIL ledger checkpoint at seq {checkpoints[-1]['seq']}: signature does not verify with the key"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper",
    [_tamper_artifact, _tamper_manifest, _tamper_ledger_entry, _tamper_ledger_rehashed, _tamper_ledger_removed,
     _add_file, _remove_file, _other_key, _checkpoint_forged],
    ids=lambda f: f.__name__.strip("_"),
)  # fmt: skip
def test_tampering_is_caught_precisely(bundle, tamper):
    folder, _ = bundle
    expected = tamper(folder, _manifest(folder))
    checked = run_verify(folder)
    assert checked.returncode == 1, checked.stdout
    for fragment in expected:
        assert fragment in checked.stdout, (fragment, checked.stdout)
    assert "OK" not in checked.stdout.splitlines()


@pytest.mark.django_db
def test_key_given_on_the_command_line(bundle, tmp_path):
    folder, _ = bundle
    other = Ed25519PrivateKey.generate().public_key()
    other_file = tmp_path / "other.pem"
    other_file.write_bytes(
        other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert run_verify(folder, "--key", str(other_file)).returncode == 1
    assert "fingerprint is" in run_verify(folder, "--fingerprint", "ab" * 32).stdout
    raw = other.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert run_verify(folder, "--key", raw.hex()).returncode == 1
    good = (folder / "public_key.pem").read_text()
    (tmp_path / "good.pem").write_text(good)
    assert run_verify(folder, "--key", str(tmp_path / "good.pem")).stdout.endswith("OK\n")


@pytest.mark.django_db
def test_bundle_export_command(approved_release, tmp_path, capsys):
    out = tmp_path / "cli.zip"
    call_command("bundle_export", "--release", str(approved_release.pk), "--out", str(out))
    assert "manifest sha256" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert archive.testzip() is None and "verify.py" in archive.namelist()
    with pytest.raises(CommandError, match="either --release"):
        call_command("bundle_export", "--out", str(out))
    with pytest.raises(CommandError, match="unknown release 999"):
        call_command("bundle_export", "--release", "999", "--out", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip.part").exists()


@pytest.mark.django_db
def test_no_bundle_over_a_broken_ledger(approved_release, tmp_path):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_ledgerentry DISABLE TRIGGER ledger_entry_append_only")
        cursor.execute("UPDATE ledger_ledgerentry SET actor = 'mallory' WHERE seq = 3")
    with pytest.raises(CommandError, match="the audit ledger does not verify"):
        call_command("bundle_export", "--release", str(approved_release.pk), "--out", str(tmp_path / "b.zip"))
    assert not list(tmp_path.iterdir())


TAMPERS = [_tamper_artifact, _tamper_manifest, _tamper_ledger_entry, _tamper_ledger_rehashed, _tamper_ledger_removed,
           _add_file, _remove_file, _other_key, _checkpoint_forged]  # fmt: skip


@pytest.mark.django_db
def test_the_verifier_in_process(bundle, tmp_path, capsys):
    """The same checks called directly (the subprocess runs above prove it needs only the standard library)."""
    import shutil

    from tests.bundles.test_verify_script import verify

    folder, _ = bundle
    assert verify.main([str(folder)]) == 0 and capsys.readouterr().out.endswith("OK\n")
    for tamper in TAMPERS:
        copy = tmp_path / tamper.__name__
        shutil.copytree(folder, copy)
        expected = tamper(copy, _manifest(copy))
        assert verify.main([str(copy)]) == 1
        out = capsys.readouterr().out
        assert all(fragment in out for fragment in expected), (tamper.__name__, out)
    (folder / "manifest.sig").unlink()
    problems, _ = verify.verify(str(folder))
    assert problems[0].startswith("cannot read the manifest, its signature or the key")
