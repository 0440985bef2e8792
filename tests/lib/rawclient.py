#!/usr/bin/python3
"""A hostile/raw protocol client for integration tests.

usage: [KT_CERT=device.crt KT_KEY=device.key] rawclient.py HOST PORT CAFILE STEP...
  STEP is one of
    msg:TEXT     an Envelope in protobuf text format, encoded with protoc and framed
    raw:HEX      raw bytes written into the TLS stream (e.g. a bogus length prefix)
    read         read one frame and print it decoded (protoc --decode) on one line
    timed-read   like read, prefixed with "ms=N " where N is the milliseconds since the
                 last msg:/raw: step was sent (how long the server took to answer)
    expect-close wait until the server closes the connection; prints "closed"
    sleep:SECONDS wait that long without reading (e.g. while an account changes elsewhere)
    timeout:SECONDS  later reads give up after SECONDS of silence, print "timeout" and
                 end the run (exit 0); without it a silent server is an error after 10 s
Exits 0 when every step ran; prints "error: ..." and exits 1 otherwise.
"""
import os, socket, ssl, struct, subprocess, sys, time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PROTO_DIR = os.path.join(ROOT, "proto")

def protoc(mode, data):
    r = subprocess.run(["protoc", f"--{mode}=kartoteka.Envelope", f"--proto_path={PROTO_DIR}",
                        "kartoteka.proto"], input=data, capture_output=True, check=True)
    return r.stdout

def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf

def main():
    host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    if os.environ.get("KT_CERT"):  # a device certificate: mutual TLS
        ctx.load_cert_chain(os.environ["KT_CERT"], os.environ["KT_KEY"])
    s = ctx.wrap_socket(socket.create_connection((host, port), timeout=10))
    sent = time.monotonic()
    soft_timeout = False
    for step in sys.argv[4:]:
        if step.startswith("msg:"):
            body = protoc("encode", step[4:].encode())
            s.sendall(struct.pack(">I", len(body)) + body)
            sent = time.monotonic()
        elif step.startswith("raw:"):
            s.sendall(bytes.fromhex(step[4:]))
            sent = time.monotonic()
        elif step in ("read", "timed-read"):
            try:
                hdr = read_exact(s, 4)
            except socket.timeout:
                if not soft_timeout:
                    raise
                print("timeout"); return 0
            if hdr is None:
                print("closed"); return 0
            body = read_exact(s, struct.unpack(">I", hdr)[0])
            prefix = "ms=%d " % round((time.monotonic() - sent) * 1000) if step == "timed-read" else ""
            print(prefix + " ".join(protoc("decode", body).decode().split()))
        elif step.startswith("timeout:"):
            s.settimeout(float(step[8:]))
            soft_timeout = True
        elif step.startswith("sleep:"):
            time.sleep(float(step[6:]))
        elif step == "expect-close":
            try:
                while s.recv(4096):
                    pass
            except (ssl.SSLError, ConnectionResetError):
                pass
            print("closed")
        else:
            print("error: bad step " + step); return 1
    s.close()
    return 0

if __name__ == "__main__":
    sys.exit(main())
