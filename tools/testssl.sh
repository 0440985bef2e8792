#!/usr/bin/env bash
# tools/testssl.sh [BIN_DIR] — judges kartotekad's TLS from outside with
# testssl (Debian package testssl.sh; ~50 s): a fresh server on 127.0.0.1 with
# the certificates `kartotekad init` makes, scanned with the office CA added to
# testssl's trust stores (a PC trusts exactly that CA). testssl's exit code is
# not a verdict: the JSON findings are read instead. Every finding at LOW or
# above is printed; those a private CA cannot avoid (see DESIGN-NOTES.md,
# "testssl") are marked expected, anything else makes this script fail.
# Not part of `make check` (slow, and it needs the testssl package): `make testssl`.
set -u
BIN=${1:-$(cd "$(dirname "$0")/.." && pwd)/build/${BUILD:-debug}/bin}
command -v testssl >/dev/null ||
  { echo "testssl is not installed: apt-get install testssl.sh" >&2; exit 2; }
T=$(mktemp -d /tmp/kt-testssl.XXXXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
echo "correct horse battery" >"$T/pw"
"$BIN/kartotekad" init --data "$T/d" --admin boss --password-file "$T/pw" >/dev/null || exit 1
"$BIN/kartotekad" serve --data "$T/d" --listen 127.0.0.1:0 >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 100); do grep -q '^listening' "$T/out" 2>/dev/null && break; sleep 0.05; done
ADDR=$(sed -n 's/^listening //p' "$T/out")
[ -n "$ADDR" ] || { echo "the server did not start: $(cat "$T/err")" >&2; exit 1; }
echo "testssl against kartotekad on $ADDR (about a minute)"
testssl --quiet --color 0 --warnings off --add-ca "$T/d/ca.crt" \
  --jsonfile-pretty "$T/scan.json" "$ADDR" >"$T/scan.txt" 2>&1
[ -s "$T/scan.json" ] || { echo "testssl wrote no findings:"; tail -20 "$T/scan.txt"; exit 1; }
kill -0 "$PID" 2>/dev/null || { echo "kartotekad died during the scan: $(tail -5 "$T/err")"; exit 1; }
/usr/bin/python3 - "$T/scan.json" <<'PY'
import json, sys
# inherent to a private CA on an office LAN (DESIGN-NOTES.md, "testssl")
EXPECTED = {
    "cert_revocation": "no CRL or OCSP: PCs pin the office CA; devices are revoked in the "
                       "server's device table, the CA is replaced with `kartotekad ca rotate`",
    "DNS_CAArecord": "no CAA record: CAA tells public CAs who may issue; nobody public issues here",
}
RANK = {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
d = json.load(open(sys.argv[1]))
found = [f for sc in d.get("scanResult", []) for v in sc.values() if isinstance(v, list)
         for f in v if isinstance(f, dict) and f.get("severity") in RANK]
counts = {}
for sc in d.get("scanResult", []):
    for v in sc.values():
        if isinstance(v, list):
            for f in v:
                if isinstance(f, dict) and "severity" in f:
                    counts[f["severity"]] = counts.get(f["severity"], 0) + 1
print("severities:", ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
bad = 0
for f in sorted(found, key=lambda f: -RANK[f["severity"]]):
    why = EXPECTED.get(f["id"])
    print(f'{f["severity"]:8} {f["id"]}: {f["finding"]}' + (f"\n         expected: {why}" if why else ""))
    bad += why is None
print("nothing at LOW or above beyond what a private CA implies" if not bad
      else f"{bad} unexpected finding(s) at LOW or above")
sys.exit(1 if bad else 0)
PY
