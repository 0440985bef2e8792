#!/usr/bin/python3
"""What one hostile push costs the other PCs.

usage: bigpush.py HOST PORT CAFILE USER PASSWORD ATTACKER_DIR OTHER_DIR N TARGET_ID

ATTACKER_DIR and OTHER_DIR are profiles (device.crt, device.key). The attacker
logs in and sends one Push of N changes, each an edit of the card TARGET_ID that
its role may not make (a rename with a fresh stamp); meanwhile the other PC
sends a Ping every 20 ms. Prints one line:
  frame_bytes=B answer=push_ack|error:CODE refused=K answer_ms=A ping_max_ms=M pings=P
The protobuf is encoded by hand (no generated code needed).
"""
import os, signal, socket, ssl, struct, sys, threading, time


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    if wire == 1:
        return key + struct.pack("<Q", payload)
    return key + varint(len(payload)) + payload  # wire 2


def s(num, text):
    return field(num, 2, text.encode())


def envelope(req_id, body_num, body):
    return field(1, 0, req_id) + field(body_num, 2, body)


def frame(env):
    return struct.pack(">I", len(env)) + env


def read_frame(sock):
    hdr = b""
    while len(hdr) < 4:
        c = sock.recv(4 - len(hdr))
        if not c:
            return None
        hdr += c
    n = struct.unpack(">I", hdr)[0]
    buf = bytearray()
    while len(buf) < n:
        c = sock.recv(min(1 << 20, n - len(buf)))
        if not c:
            return None
        buf += c
    return bytes(buf)


def body_num(env):
    """The oneof arm of an Envelope (first field other than req_id)."""
    i = 0
    while i < len(env):
        key, i = read_varint(env, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            _, i = read_varint(env, i)
        elif wire == 2:
            ln, i = read_varint(env, i)
            if num != 1:
                return num, env[i:i + ln]
            i += ln
        else:
            return num, b""
    return 0, b""


def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return n, i


def connect(host, port, ca, prof):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    ctx.load_cert_chain(os.path.join(prof, "device.crt"), os.path.join(prof, "device.key"))
    sock = ctx.wrap_socket(socket.create_connection((host, port), timeout=30))
    sock.sendall(frame(envelope(1, 10, field(1, 0, 1))))
    read_frame(sock)
    return sock


def login(sock, user, pw):
    sock.sendall(frame(envelope(2, 20, s(1, user) + s(2, pw))))
    num, _ = body_num(read_frame(sock))
    if num != 22:
        raise SystemExit(f"login as {user} failed (answer {num})")


def main():
    # the whole measurement is bounded: an answer that never comes is a result too
    signal.signal(signal.SIGALRM, lambda *_: (print("answer=timeout refused=0 ping_max_ms=-1"),
                                               sys.stdout.flush(), os._exit(1)))
    signal.alarm(60)
    host, port, ca, user, pw, att, other, n, target = sys.argv[1:10]
    port, n = int(port), int(n)
    a = connect(host, port, ca, att)
    login(a, user, pw)
    o = connect(host, port, ca, other)
    stamp = int(time.time() * 1000) << 16
    ch = bytearray()
    for i in range(n):
        fv = s(1, "name") + s(2, f"Hijacked {i}") + field(5, 1, stamp + i)
        c = field(1, 0, 100000 + i) + s(2, "org") + s(3, target) + field(4, 2, fv)
        ch += field(1, 2, bytes(c))
    data = frame(envelope(3, 30, bytes(ch)))
    pings = []
    stop = threading.Event()

    def pinger():
        req = 100
        while not stop.is_set():
            t0 = time.monotonic()
            o.sendall(frame(envelope(req, 50, b"")))
            if read_frame(o) is None:
                return
            pings.append((time.monotonic() - t0) * 1000)
            req += 1
            time.sleep(0.02)

    th = threading.Thread(target=pinger)
    th.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    a.sendall(data)
    ans = read_frame(a)
    ans_ms = (time.monotonic() - t0) * 1000
    time.sleep(0.1)
    stop.set()
    th.join()
    num, body = body_num(ans) if ans else (0, b"")
    refused = 0
    what = "closed"
    if num == 31:
        what = "push_ack"
        refused = body.count(b"\x08\x02")  # status: REJECTED (= 2) in each ChangeResult
    elif num == 52:
        code, _ = read_varint(body, 1) if body[:1] == b"\x08" else (0, 0)
        what = f"error:{-(code >> 1) - 1 if code & 1 else code >> 1}"
    print(f"frame_bytes={len(data)} answer={what} refused={refused} answer_ms={ans_ms:.0f} "
          f"ping_max_ms={max(pings) if pings else -1:.0f} pings={len(pings)}")


if __name__ == "__main__":
    main()
