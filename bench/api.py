"""HTTP reads under load: the proposal list and a ledger proof, against a bare Flask endpoint.

`coop serve` (waitress, the node's `threads` setting) serves a node holding
PROPOSALS proposals and ENTRIES ledger entries, twice: as configured by
default, where an answer is built once per commit and URL and kept until the
next commit, and with `answers_kept=0`, where every request builds its answer
(the proof still uses the memoised tree hashes). A bare Flask app with one
endpoint that returns a small constant JSON is served by the same WSGI server
with the same threads, in its own process. wrk (Debian's `wrk`) drives each URL
for DURATION seconds with CONNECTIONS connections on 127.0.0.1 and reports
throughput and p50/p99 latency; the table gives each endpoint as a ratio to the
bare endpoint measured in the same run, which holds across machines.

    python -m bench.api            (needs `apt-get install -y wrk`)
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench import table
from bench.node import temporary_node
from coop import statements
from governance import proposals as P
from ledger import entries as E

PROPOSALS = 200
ENTRIES = 300
BATCH = 50
DURATION = 10
CONNECTIONS = 32
WRK_THREADS = 2
SERVER_THREADS = 8
COOP = Path(sys.executable).with_name("coop")
BARE_APP = f"""
import waitress
from flask import Flask, jsonify
app = Flask("bare")

@app.get("/bare")
def bare():
    return jsonify({{"items": [], "next": None}})

waitress.serve(app, host="127.0.0.1", port=int(__import__("sys").argv[1]), threads={SERVER_THREADS}, ident="bare")
"""


@dataclass(frozen=True)
class Load:
    """What wrk measured for one URL."""

    name: str
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    """Wait until a server answers the URL."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if requests.get(url, timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within 30 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server process and wait for it."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def to_ms(value: str, unit: str) -> float:
    """Convert one of wrk's latency figures to milliseconds."""
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def drive(name: str, url: str) -> Load:
    """Run wrk against a URL and parse throughput, p50 and p99."""
    out = subprocess.run(["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    failed += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return Load(name, rate, to_ms(*p50.groups()), to_ms(*p99.groups()), failed)  # type: ignore[union-attr]


def fill(node: object) -> None:
    """Write the proposals (drafts, opening or closed is the same to a list) and the ledger entries."""
    for n in range(PROPOSALS):
        fields = P.proposal_fields(f"p-{n:04d}", f"Proposal {n}", f"Text of proposal **{n}**.", "majority", {"kind": "general"},
                                   node.view(), None)  # type: ignore[attr-defined]
        node.write(P.PROPOSAL_TYPE, fields)  # type: ignore[attr-defined]
    for start in range(0, ENTRIES, BATCH):
        view = node.view()  # type: ignore[attr-defined]
        seq = view.last_seq("alice")
        created = statements.now()
        raws = [node.sign(E.REVENUE, E.with_postings(E.REVENUE, {"id": f"rev-{i}", "client": "bench-client", "amount": 1000 + i,  # type: ignore[attr-defined]
                                                                 "currency": "EUR", "account": "bank"}),
                          "alice", view, created, seq + 1 + i - start)
                for i in range(start, min(start + BATCH, ENTRIES))]
        node.submit(raws)  # type: ignore[attr-defined]


def main() -> None:
    """Serve a filled node and a bare app, drive both with wrk, print the table."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    with temporary_node("Bench Co-op", "bench.example/coop") as node:
        fill(node)
        node.index.db.close()
        env = {**os.environ, "COOP_RATE_READS": "0", "COOP_RATE_WRITES": "0", "COOP_THREADS": str(SERVER_THREADS)}
        ports = {"kept": free_port(), "anew": free_port(), "bare": free_port()}
        servers = {mode: subprocess.Popen([str(COOP), "--home", str(node.home), "serve", "--listen", f"127.0.0.1:{ports[mode]}"],
                                          env={**env, "COOP_ANSWERS_KEPT": "512" if mode == "kept" else "0"},
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for mode in ("kept", "anew")}
        servers["bare"] = subprocess.Popen([sys.executable, "-c", BARE_APP, str(ports["bare"])],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            urls = [("bare Flask endpoint", f"http://127.0.0.1:{ports['bare']}/bare")]
            wait_ready(urls[0][1], servers["bare"])
            for mode, label in (("kept", "answer kept per commit"), ("anew", "answer built anew")):
                base = f"http://127.0.0.1:{ports[mode]}"
                wait_ready(base + "/api/v1", servers[mode])
                urls += [(f"GET /api/v1/proposals, 50 of {PROPOSALS} ({label})", base + "/api/v1/proposals"),
                         (f"GET /api/v1/ledger/proof, index 150 of {ENTRIES} ({label})", base + "/api/v1/ledger/proof?index=150")]
            for _, url in urls:
                requests.get(url, timeout=5).raise_for_status()  # warm up, and fail early on a broken URL
            loads = [drive(name, url) for name, url in urls]
        finally:
            for process in servers.values():
                stop(process)
    reference = loads[0]
    print(f"HTTP reads, wrk -c{CONNECTIONS} -t{WRK_THREADS} -d{DURATION}s on 127.0.0.1, waitress with {SERVER_THREADS} threads, "
          f"{os.cpu_count()} cores shared by server and wrk")
    print(table(["endpoint", "req/s", "p50 ms", "p99 ms", "throughput vs bare", "p50 vs bare", "p99 vs bare", "errors"],
                [[load.name, load.rate, load.p50_ms, load.p99_ms, load.rate / reference.rate, load.p50_ms / reference.p50_ms,
                  load.p99_ms / reference.p99_ms, load.errors] for load in loads]))


if __name__ == "__main__":
    main()
