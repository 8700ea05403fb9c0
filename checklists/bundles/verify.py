#!/usr/bin/env python3
"""Verify a Gatehouse evidence bundle offline. Python 3.8+ standard library only.

Run it in the unpacked bundle folder:

    python3 verify.py                      # the public key shipped in the bundle (compare its fingerprint!)
    python3 verify.py --key gatehouse.pem  # a key you obtained from Gatehouse yourself (PEM, or 64 hex digits)
    python3 verify.py --fingerprint HEX    # insist on the key with this SHA-256 fingerprint

It checks: the manifest's Ed25519 signature; the SHA-256 and size of every file the manifest lists, and
that no other file was added; the ledger entries (each included entry's hash, every chain link, the
signed checkpoints); and that the sample was drawn from the population as stated. It prints OK, or every
problem found, and exits 0 (OK) or 1.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import sys

MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "public_key.pem"
UNLISTED_OK = {MANIFEST, SIGNATURE, PUBLIC_KEY}
GENESIS_HASH = "0" * 64
CHECKPOINT_TYPE = "gatehouse.ledger.checkpoint"

# --- Ed25519 verification (RFC 8032, section 5.1.7), on the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2.
_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _inverse(x: int) -> int:
    return pow(x, _P - 2, _P)


def _add(a: tuple, b: tuple) -> tuple:
    """Point addition in extended coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z."""
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    e1 = (y1 - x1) * (y2 - x2) % _P
    e2 = (y1 + x1) * (y2 + x2) % _P
    c = 2 * t1 * t2 * _D % _P
    zz = 2 * z1 * z2 % _P
    e, f, g, h = e2 - e1, zz - c, zz + c, e2 + e1
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _multiply(scalar: int, point: tuple) -> tuple:
    result = (0, 1, 1, 0)  # the neutral element
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _same_point(a: tuple, b: tuple) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


def _x_from_y(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * _inverse(_D * y * y + 1) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P:
        return None  # not a square: no point has this y
    return _P - x if (x & 1) != sign else x


def _decode_point(encoded: bytes) -> tuple | None:
    y = int.from_bytes(encoded, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _x_from_y(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


_BY = 4 * _inverse(5) % _P
_BASE = (_x_from_y(_BY, 0), _BY, 1, _x_from_y(_BY, 0) * _BY % _P)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True when ``signature`` is a valid Ed25519 signature of ``message`` by ``public_key`` (32 raw bytes)."""
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _decode_point(public_key), _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little") % _L
    return _same_point(_multiply(s, _BASE), _add(r, _multiply(k, a)))


# --- keys
_SPKI_ED25519_PREFIX = bytes.fromhex("302a300506032b6570032100")


def public_key_from_text(text: str) -> bytes:
    """The raw 32-byte key from SubjectPublicKeyInfo PEM, or from 64 hex digits."""
    text = text.strip()
    if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
        return bytes.fromhex(text)
    body = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
    der = base64.b64decode(body)
    if len(der) != 44 or not der.startswith(_SPKI_ED25519_PREFIX):
        raise ValueError("not an Ed25519 public key (SubjectPublicKeyInfo PEM)")
    return der[len(_SPKI_ED25519_PREFIX) :]


# --- the same canonical JSON and chain rule as Gatehouse's ledger/chain.py
def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(prev_hash: str, body: dict) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical_json(body)).hexdigest()


def checkpoint_message(checkpoint: dict) -> bytes:
    fields = ("seq", "head_hash", "count", "created_at")
    return canonical_json({"type": CHECKPOINT_TYPE, **{name: checkpoint[name] for name in fields}})


# --- checks
def _sha256_file(path: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _safe(path: str) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and ".." not in parts and "\\" not in path and ":" not in parts[0]


def check_files(root: str, manifest: dict) -> list[str]:
    problems, listed = [], set()
    for entry in manifest.get("files", []):
        path = entry["path"]
        listed.add(path)
        if not _safe(path):
            problems.append(f"{path}: the manifest names a path outside the bundle folder")
            continue
        full = os.path.join(root, *path.split("/"))
        if not os.path.isfile(full):
            problems.append(f"{path}: listed in the manifest but missing")
            continue
        digest, size = _sha256_file(full)
        if digest != entry["sha256"]:
            problems.append(f"{path}: SHA-256 is {digest}, the manifest says {entry['sha256']} (file altered)")
        elif size != entry["size"]:
            problems.append(f"{path}: {size} bytes, the manifest says {entry['size']}")
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(names):
            relative = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            if relative not in listed and relative not in UNLISTED_OK:
                problems.append(f"{relative}: present in the folder but not listed in the manifest (file added)")
    return problems


def _read_checkpoints(root: str, ledger: dict) -> list[dict]:
    path = os.path.join(root, *ledger.get("checkpoints_file", "ledger/checkpoints.json").split("/"))
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def check_ledger(root: str, manifest: dict, public_key: bytes) -> list[str]:
    """Every included entry hashes to its entry_hash, each link points at the one before, checkpoints hold."""
    ledger = manifest.get("ledger")
    if not ledger:
        return ["the manifest has no ledger section"]
    problems: list[str] = []
    by_seq: dict[int, str] = {}
    prev_hash, expected_seq, bodies = ledger["prev_hash"], ledger["first_seq"], 0
    path = os.path.join(root, *ledger.get("entries_file", "ledger/entries.jsonl").split("/"))
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            where = f"ledger entry on line {line_number}"
            try:
                link = json.loads(line)
                seq, entry_hash = link["seq"], link["entry_hash"]
            except (ValueError, KeyError, TypeError):
                problems.append(f"{where}: not a ledger link")
                return problems
            if seq != expected_seq:
                problems.append(f"{where}: expected seq {expected_seq}, found {seq} (entries removed or reordered)")
            if link.get("prev_hash") != prev_hash:
                problems.append(f"ledger seq {seq}: prev_hash does not match the hash of the entry before it")
            body = link.get("entry")
            if body is not None:
                bodies += 1
                if body.get("seq") != seq:
                    problems.append(f"ledger seq {seq}: the entry inside says seq {body.get('seq')}")
                if link_hash(link.get("prev_hash", ""), body) != entry_hash:
                    problems.append(f"ledger seq {seq}: entry content does not match its hash (entry altered)")
            by_seq[seq] = entry_hash
            prev_hash, expected_seq = entry_hash, seq + 1
            if len(problems) > 20:
                problems.append("... more ledger problems not shown")
                return problems
    if expected_seq - 1 != ledger["head_seq"] or prev_hash != ledger["head_hash"]:
        problems.append(f"ledger: the entries end at seq {expected_seq - 1}, not at the head the manifest names "
                        f"(seq {ledger['head_seq']})")  # fmt: skip
    if bodies != ledger.get("entries_in_scope", bodies):
        problems.append(f"ledger: {bodies} entries included, the manifest says {ledger['entries_in_scope']}")
    checkpoints = _read_checkpoints(root, ledger)
    if not checkpoints:
        problems.append("ledger: no signed checkpoint is included")
    for checkpoint in checkpoints:
        seq = checkpoint["seq"]
        if not ed25519_verify(public_key, checkpoint_message(checkpoint), base64.b64decode(checkpoint["signature"])):
            problems.append(f"ledger checkpoint at seq {seq}: signature does not verify with the key")
        if seq in by_seq and by_seq[seq] != checkpoint["head_hash"]:
            problems.append(f"ledger checkpoint at seq {seq}: signed head {checkpoint['head_hash'][:16]}... but the "
                            f"entry there hashes to {by_seq[seq][:16]}...")  # fmt: skip
        elif seq not in by_seq and seq >= ledger["first_seq"]:
            problems.append(f"ledger checkpoint at seq {seq}: that entry is not included")
        if checkpoint["count"] != seq:
            problems.append(f"ledger checkpoint at seq {seq}: counts {checkpoint['count']} entries up to it")
    if checkpoints and checkpoints[-1]["seq"] != ledger["head_seq"]:
        problems.append("ledger: the last checkpoint does not sign the head the manifest names")
    return problems


def check_sample(root: str, manifest: dict) -> list[str]:
    """The sample is exactly random.Random(seed).sample over the population rows, as the manifest states."""
    period = manifest.get("period")
    if not period:
        return []
    with open(os.path.join(root, "period", "population.json"), encoding="utf-8") as handle:
        population = json.load(handle)
    with open(os.path.join(root, "period", "sample.json"), encoding="utf-8") as handle:
        sample = json.load(handle)
    ids = [row["change_id"] for row in population["rows"]]
    problems = []
    if len(ids) != population["row_count"]:
        problems.append(f"period/population.json: {len(ids)} rows, but row_count says {population['row_count']}")
    chosen = sorted(random.Random(sample["seed"]).sample(range(len(ids)), min(sample["size"], len(ids))))
    if [ids[i] for i in chosen] != [item["change_id"] for item in sample["selected"]]:
        problems.append(f"period/sample.json: the selected changes are not the sample drawn with seed {sample['seed']}")
    return problems


def verify(root: str, key_text: str | None = None, fingerprint: str | None = None) -> tuple[list[str], str]:
    """All problems found in the bundle at ``root`` (empty when it verifies) and the key fingerprint used."""
    try:
        with open(os.path.join(root, MANIFEST), "rb") as handle:
            manifest_bytes = handle.read()
        with open(os.path.join(root, SIGNATURE), encoding="ascii") as handle:
            signature = base64.b64decode(handle.read().strip())
        if key_text is None:
            with open(os.path.join(root, PUBLIC_KEY), encoding="ascii") as handle:
                key_text = handle.read()
        public_key = public_key_from_text(key_text)
    except (OSError, ValueError) as exc:
        return [f"cannot read the manifest, its signature or the key: {exc}"], ""
    used = hashlib.sha256(public_key).hexdigest()
    if fingerprint and fingerprint.lower() != used:
        return [f"the key's fingerprint is {used}, not {fingerprint.lower()} as required"], used
    if not ed25519_verify(public_key, manifest_bytes, signature):
        return ["manifest.json: the signature does not verify with the key (manifest altered or wrong key)"], used
    manifest = json.loads(manifest_bytes)
    problems = check_files(root, manifest)
    checks = {
        "ledger": lambda: check_ledger(root, manifest, public_key),
        "sample": lambda: check_sample(root, manifest),
    }
    for name, check in checks.items():
        try:
            problems += check()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{name}: unreadable ({exc.__class__.__name__}: {exc})")
    return problems, used


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Gatehouse evidence bundle offline.")
    parser.add_argument("folder", nargs="?", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--key", help="public key file (PEM) or 64 hex digits, instead of the bundled key")
    parser.add_argument("--fingerprint", help="require this SHA-256 key fingerprint (hex)")
    args = parser.parse_args(argv)
    key_text = args.key
    if args.key and os.path.exists(args.key):
        with open(args.key, encoding="ascii") as handle:
            key_text = handle.read()
    problems, used = verify(args.folder, key_text, args.fingerprint)
    if used:
        print(f"key fingerprint: {used}")
    if problems:
        for problem in problems:
            print(f"FAIL {problem}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
