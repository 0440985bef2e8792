#!/usr/bin/env bash
# kartotekad serve: TLS on a port chosen at run time, Hello/Ping, and the bad
# inputs of the sync protocol (garbage instead of TLS, old TLS, unknown protocol
# version, oversized length prefix, malformed protobuf, out-of-order messages):
# each gets an Error and a closed connection while the server keeps serving.
source "$(dirname "$0")/../lib/integ.sh"
D=$T/data
echo "correct horse battery" > "$T/pw"
"$KTD" init --data "$D" --admin boss --password-file "$T/pw" >/dev/null
"$KTD" serve --data "$D" --listen 127.0.0.1:0 >"$T/serve.out" 2>"$T/serve.err" &
SRV=$!; _bg_pids+=($SRV)
for _ in $(seq 50); do grep -q '^listening' "$T/serve.out" && break; sleep 0.1; done
PORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
check_contains "readiness line with the chosen port" "listening 127.0.0.1:" "$(cat "$T/serve.out")"
RC() { /usr/bin/python3 "$(dirname "$0")/../lib/rawclient.py" 127.0.0.1 "$PORT" "$D/ca.crt" "$@"; }

out=$(echo | openssl s_client -connect 127.0.0.1:$PORT -CAfile "$D/ca.crt" -brief 2>&1)
check_contains "TLS 1.3 negotiated" "TLSv1.3" "$out"
check_contains "server certificate verifies against the CA" "Verification: OK" "$out"
out=$(echo | openssl s_client -connect 127.0.0.1:$PORT -tls1_1 2>&1)
check_contains "TLS 1.1 refused" "alert protocol version" "$out"

out=$(RC 'msg:req_id: 1 hello { protocol_version: 1 client_name: "test" }' read 'msg:req_id: 2 ping { nonce: 42 }' read)
check_contains "Hello answered with HelloOk" "hello_ok { protocol_version: 1" "$out"
check_contains "Ping answered with Pong" "pong { nonce: 42 }" "$out"
check_contains "reply echoes req_id" "req_id: 2" "$out"
out=$(RC 'msg:hello { protocol_version: 99 }' read expect-close)
check_contains "unknown protocol version refused" "code: -14" "$out"
check_contains "... with a message that says which program to upgrade" "upgrade kartotekad on the server" "$out"
out=$(RC 'msg:ping { nonce: 1 }' read expect-close)
check_contains "message before Hello refused" "before Hello" "$out"
out=$(RC 'raw:7fffffff00' read expect-close)
check_contains "oversized length prefix refused" "code: -13" "$out"
out=$(RC 'raw:00000003ffffff' read expect-close)
check_contains "malformed protobuf refused" "code: -10" "$out"
out=$(RC 'raw:0000000208ff' read expect-close)
check_contains "truncated protobuf refused" "code: -10" "$out"
out=$(RC 'msg:hello { protocol_version: 1 }' read 'msg:hello_ok { protocol_version: 1 }' read expect-close)
check_contains "out-of-order message refused" "code: -10" "$out"
/usr/bin/python3 - "$PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 4)
try:
    while s.recv(4096): pass
except ConnectionResetError: pass
PY
check "garbage instead of a TLS handshake: connection closed" true
out=$(RC 'msg:hello { protocol_version: 1 }' read)
check_contains "server still serves after the bad clients" "hello_ok" "$out"
check "server process alive" kill -0 $SRV

check_fails "a second server on the same data folder refused" "already running" "$KTD" serve --data "$D" --listen 127.0.0.1:0
D2=$T/data2
"$KTD" init --data "$D2" --admin boss --password-file "$T/pw" >/dev/null
"$KTD" serve --data "$D2" --listen 127.0.0.1:$PORT >/dev/null 2>"$T/busy.err"
check_contains "port in use: clear error" "another program uses that port" "$(cat "$T/busy.err")"
check_fails "bad --listen" "bad --listen" "$KTD" serve --data "$D2" --listen nonsense
kill -TERM $SRV
for _ in $(seq 30); do kill -0 $SRV 2>/dev/null || break; sleep 0.1; done
wait $SRV; rc=$?
check_eq "clean exit on SIGTERM" 0 $rc
check_not_contains "no sanitizer report from the server" "Sanitizer" "$(cat "$T/serve.err")"
finish
