#!/usr/bin/python3
"""A hostile/raw protocol client for integration tests.

usage: [KT_CERT=device.crt KT_KEY=device.key] rawclient.py HOST PORT CAFILE STEP...
  STEP is one of
    msg:TEXT     an Envelope in protobuf text format, encoded with protoc and framed
    raw:HEX      raw bytes written into the TLS stream (e.g. a bogus length prefix)
    read         read one frame and print it decoded (protoc --decode) on one line
    expect-close wait until the server closes the connection; prints "closed"
Exits 0 when every step ran; prints "error: ..." and exits 1 otherwise.
"""
import os, socket, ssl, struct, subprocess, sys

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
    for step in sys.argv[4:]:
        if step.startswith("msg:"):
            body = protoc("encode", step[4:].encode())
            s.sendall(struct.pack(">I", len(body)) + body)
        elif step.startswith("raw:"):
            s.sendall(bytes.fromhex(step[4:]))
        elif step == "read":
            hdr = read_exact(s, 4)
            if hdr is None:
                print("closed"); return 0
            body = read_exact(s, struct.unpack(">I", hdr)[0])
            print(" ".join(protoc("decode", body).decode().split()))
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
