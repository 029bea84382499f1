#!/usr/bin/env python3
"""Verifies keyed audit chains (format v3) from `invoice-sync audit export --format jsonl`, without invoice-sync.

  python3 verify_chain.py EXPORT.jsonl --hmac-key k1=audit-k1.key --ed25519-key k2=audit-public.pem [--invoice ID]

Only Python's standard library and, for Ed25519, the openssl command. For every entry: the canonical
encoding (docs/auditor.md, 'Keyed chain'), its SHA-256 against `hash`, the link to the previous entry of
the same invoice, and the MAC under the key the entry names. Prints one line per problem and exits 1 if
there is any, else prints OK and exits 0.
"""
import argparse, base64, hashlib, hmac, json, os, subprocess, sys, tempfile

FIELDS = ["keyId", "prevHash", "invoiceId", "event", "version", "sourceLsn", "sourceTxId", "sourceCommitTs", "sourceSnapshot",
          "sourceEpoch", "digest", "detail", "recordedAt", "stage", "capturedAt", "decidedAt", "invoiceCode", "invoiceNumber",
          "sellerTaxId"]


def field(v):
    if v is None:
        return b"\xff\xff\xff\xff"
    if isinstance(v, bool):
        v = "true" if v else "false"
    b = str(v).encode("utf-8")
    return len(b).to_bytes(4, "big") + b


def canonical(e):
    data = field("invoice-sync/audit-entry/v3") + b"".join(field(e[f]) for f in FIELDS)
    if e.get("sourceName"):  # several issuing sources: the source's name is covered too
        data += field(e["sourceName"])
        if e.get("sourceFile"):  # an imported invoice: the file, its SHA-256, sheet, row and XML path too
            data += b"".join(field(e.get(f)) for f in ("sourceFile", "sourceFileSha256", "sourceSheet", "sourceRow", "sourcePath"))
    return data


def ed25519_ok(pem, data, sig):
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "data"), "wb").write(data)
        open(os.path.join(d, "sig"), "wb").write(sig)
        r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pem, "-rawin", "-in", os.path.join(d, "data"),
                            "-sigfile", os.path.join(d, "sig")], capture_output=True)
        return r.returncode == 0


def main():
    a = argparse.ArgumentParser()
    a.add_argument("export")
    a.add_argument("--hmac-key", action="append", default=[], help="ID=FILE: the HMAC secret's file")
    a.add_argument("--ed25519-key", action="append", default=[], help="ID=FILE: an Ed25519 public key (PEM)")
    a.add_argument("--invoice")
    args = a.parse_args()
    hmac_keys = {k.split("=", 1)[0]: open(k.split("=", 1)[1], "rb").read() for k in args.hmac_key}
    ed_keys = {k.split("=", 1)[0]: k.split("=", 1)[1] for k in args.ed25519_key}
    heads, problems, checked = {}, [], 0
    for line in open(args.export, encoding="utf-8"):
        e = json.loads(line)
        if args.invoice and e["invoiceId"] != args.invoice:
            continue
        where = "%s at %s/%s" % (e["invoiceId"], e["partition"], e["offset"])
        if e.get("keyId") is None:
            problems.append(where + ": unkeyed (format v1/v2)")
            continue
        data = canonical(e)
        if hashlib.sha256(data).hexdigest() != e["hash"]:
            problems.append(where + ": content does not match its hash")
        if e["prevHash"] != heads.get(e["invoiceId"]):
            problems.append(where + ": does not link to the previous entry")
        heads[e["invoiceId"]] = e["hash"]
        alg, _, value = (e.get("mac") or "").partition(":")
        if e["keyId"] in hmac_keys and alg == "hmac-sha256":
            ok = hmac.compare_digest(hmac.new(hmac_keys[e["keyId"]], data, hashlib.sha256).hexdigest(), value)
        elif e["keyId"] in ed_keys and alg == "ed25519":
            ok = ed25519_ok(ed_keys[e["keyId"]], data, base64.b64decode(value))
        elif e["keyId"] not in hmac_keys and e["keyId"] not in ed_keys:
            problems.append(where + ": signed with key %s, which was not given" % e["keyId"])
            continue
        else:
            ok = False  # a MAC of another kind than the key: never accepted
        if not ok:
            problems.append(where + ": the MAC is not key %s's" % e["keyId"])
        checked += 1
    for p in problems:
        print(p)
    print("OK: %d entries" % checked if not problems else "%d problems" % len(problems))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
