#!/usr/bin/python3
"""faultproxy — a TCP proxy that damages connections on purpose (stdlib only).

Sits between clients and kartotekad on 127.0.0.1 and forwards bytes opaquely
(TLS passes through untouched). While faults are on, each new connection gets a
fault mode drawn from a seeded RNG:

  pass   forward as is
  slow   forward in small random pieces, paced to 16-256 kB/s (both directions)
  cut    forward N random bytes in one direction, then close both sides (FIN)
  rst    like cut, but reset both sides (SO_LINGER 0 -> RST)

The draw for connection number K depends only on (--seed, K), so a run is
reproducible as far as the order of connections is. While faults are off every
connection is `pass`.

Control: --faults-file F is read at every accept ("on" / "off"; a missing file
means the --faults default); SIGUSR1 turns faults on, SIGUSR2 off (a signal
overrides the file until the file's content changes).

Output: "listening 127.0.0.1:PORT" on stdout once ready, then one line per
connection: "conn K MODE [dir=c2s|s2c after=N] [chunk=..]" and, when it ends,
"end K MODE c2s=BYTES s2c=BYTES [cut|rst]".

--plan fixes the modes of the next connections made while faults are on
(pass, slow[:CHUNK[:RATE]], cut:DIR:N, rst:DIR:N), for targeted tests.

Usage: faultproxy.py --target HOST:PORT [--listen HOST:PORT] [--seed N]
                     [--faults on|off] [--faults-file F] [--weights p,s,c,r]
                     [--plan M,M,...]
"""
import argparse
import asyncio
import os
import random
import signal
import socket
import struct
import sys

ALLOWED_HOSTS = ("127.", "localhost", "::1")


def log(*a):
    print(*a, flush=True)


class Proxy:
    def __init__(self, args):
        self.args = args
        self.thost, tport = args.target.rsplit(":", 1)
        self.tport = int(tport)
        self.seed = args.seed
        self.nconn = 0
        self.default_on = args.faults == "on"
        self.sig_state = None  # set by a signal
        self.file_seen = None  # file content when the signal came
        w = [float(x) for x in args.weights.split(",")]
        if len(w) != 4 or sum(w) <= 0:
            sys.exit("faultproxy: --weights needs four numbers: pass,slow,cut,rst")
        self.weights = w
        self.fixed = [x for x in (args.plan or "").split(",") if x]
        for x in self.fixed:
            f = x.split(":")
            ok = (f[0] == "pass" and len(f) == 1 or f[0] == "slow" and len(f) <= 3 or
                  f[0] in ("cut", "rst") and len(f) == 3 and f[1] in ("c2s", "s2c"))
            if not ok:
                sys.exit(f"faultproxy: bad --plan entry '{x}' (pass, slow[:CHUNK[:RATE]], "
                         "cut:c2s|s2c:N or rst:c2s|s2c:N)")

    def _file_state(self):
        if not self.args.faults_file:
            return None
        try:
            with open(self.args.faults_file) as f:
                return f.read().strip()
        except OSError:
            return None

    def faults_on(self):
        content = self._file_state()
        if self.sig_state is not None and content == self.file_seen:
            return self.sig_state
        self.sig_state = None
        if content in ("on", "1", "yes"):
            return True
        if content in ("off", "0", "no"):
            return False
        return self.default_on

    def on_signal(self, on):
        self.sig_state = on
        self.file_seen = self._file_state()
        log(f"faults {'on' if on else 'off'} (signal)")

    def plan(self, k, on):
        """The fault plan of connection k: a dict, reproducible from (seed, k)."""
        if not on:
            return {"mode": "pass"}
        if self.fixed:  # --plan: the next connections while faults are on
            spec = self.fixed.pop(0).split(":")
            p = {"mode": spec[0]}
            if spec[0] in ("cut", "rst"):
                p["dir"], p["after"] = spec[1], int(spec[2])
            elif spec[0] == "slow":
                p.update(slow=True, chunk=int(spec[1]) if len(spec) > 1 else 256,
                         rate=int(spec[2]) if len(spec) > 2 else 64000)
            return p
        rng = random.Random(f"{self.seed}/{k}")
        mode = rng.choices(["pass", "slow", "cut", "rst"], weights=self.weights)[0]
        p = {"mode": mode}
        if mode in ("cut", "rst"):
            p["dir"] = rng.choice(["c2s", "s2c"])
            # log-uniform up to ~64 KiB: cuts land in the handshake, the login,
            # the push and the pull alike
            p["after"] = int(2 ** rng.uniform(0, 16)) - 1
            p["slow"] = rng.random() < 0.3
        if mode == "slow":
            p["slow"] = True
        if p.get("slow"):
            p["chunk"] = rng.choice([1, 16, 256, 1500])  # largest piece written at once
            p["rate"] = rng.choice([16000, 64000, 256000])  # bytes per second
        return p

    async def handle(self, creader, cwriter):
        k = self.nconn
        self.nconn += 1
        on = self.faults_on()
        p = self.plan(k, on)
        desc = p["mode"]
        if "dir" in p:
            desc += f" dir={p['dir']} after={p['after']}"
        if p.get("slow"):
            desc += f" chunk={p['chunk']} rate={p['rate']}"
        log(f"conn {k} {desc}")
        try:
            sreader, swriter = await asyncio.open_connection(self.thost, self.tport)
        except OSError as e:
            log(f"end {k} target unreachable: {e}")
            cwriter.close()
            return
        state = {"c2s": 0, "s2c": 0, "ended": None}
        done = asyncio.Event()

        def kill(how):
            if state["ended"]:
                return
            state["ended"] = how
            for w in (cwriter, swriter):
                if how == "rst":
                    sock = w.get_extra_info("socket")
                    try:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        struct.pack("ii", 1, 0))
                    except OSError:
                        pass
                    w.transport.abort()
                else:
                    w.close()
            done.set()

        async def pump(reader, writer, d):
            rng = random.Random(f"{self.seed}/{k}/{d}")
            limit = p["after"] if p.get("dir") == d else None
            debt = 0.0  # seconds of pacing not slept yet
            try:
                while not state["ended"]:
                    data = await reader.read(65536)
                    if not data:
                        # half-close: pass the FIN on, keep the other way open
                        if writer.can_write_eof():
                            writer.write_eof()
                        break
                    if limit is not None and state[d] + len(data) >= limit:
                        data = data[: limit - state[d]]
                    pos = 0
                    while pos < len(data) and not state["ended"]:
                        n = len(data) - pos
                        if p.get("slow"):
                            n = min(n, rng.randint(1, p["chunk"]))
                        writer.write(data[pos:pos + n])
                        await writer.drain()
                        state[d] += n
                        pos += n
                        if p.get("slow"):
                            debt += n / p["rate"]
                            if debt >= 0.002:
                                await asyncio.sleep(debt)
                                debt = 0.0
                    if limit is not None and state[d] >= limit:
                        kill(p["mode"])
                        break
            except (OSError, asyncio.CancelledError):
                pass
            return d

        t1 = asyncio.ensure_future(pump(creader, swriter, "c2s"))
        t2 = asyncio.ensure_future(pump(sreader, cwriter, "s2c"))
        waiter = asyncio.ensure_future(done.wait())
        pending = {t1, t2}
        # the connection ends when both directions ended or when a fault fired
        while pending and not done.is_set():
            finished, _ = await asyncio.wait(pending | {waiter},
                                             return_when=asyncio.FIRST_COMPLETED)
            pending -= finished
        for t in (t1, t2, waiter):
            t.cancel()
        if not state["ended"]:
            state["ended"] = "closed"
            for w in (cwriter, swriter):
                w.close()
        log(f"end {k} {p['mode']} c2s={state['c2s']} s2c={state['s2c']} {state['ended']}")

    async def main(self):
        lhost, lport = self.args.listen.rsplit(":", 1)
        if not lhost.startswith(ALLOWED_HOSTS) or not self.thost.startswith(ALLOWED_HOSTS):
            sys.exit("faultproxy: only loopback addresses may be used")
        server = await asyncio.start_server(self.handle, lhost, int(lport))
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, self.on_signal, True)
        loop.add_signal_handler(signal.SIGUSR2, self.on_signal, False)
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        addr = server.sockets[0].getsockname()
        log(f"listening {addr[0]}:{addr[1]}")
        async with server:
            await stop.wait()


def main():
    ap = argparse.ArgumentParser(description="TCP fault proxy for tests")
    ap.add_argument("--target", required=True, help="HOST:PORT of the real server")
    ap.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT (port 0: any free port)")
    ap.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    ap.add_argument("--faults", choices=["on", "off"], default="on",
                    help="state when no faults file says otherwise")
    ap.add_argument("--faults-file", help='file holding "on" or "off", read at every accept')
    ap.add_argument("--weights", default="4,2,3,2", help="pass,slow,cut,rst (relative)")
    ap.add_argument("--plan", help="fixed modes for the next connections while faults are on, "
                    "e.g. cut:s2c:900000,pass (then random again)")
    args = ap.parse_args()
    log(f"seed {args.seed}")
    try:
        asyncio.run(Proxy(args).main())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
