#!/usr/bin/env python3
"""Load on `argosy server`: N concurrent clients creating and listing workflows for T seconds.

Usage: python3 bench/server_load.py [--argosy PATH] [--clients 200] [--seconds 30]
Starts its own server on a free loopback port with a fresh ARGOSY_HOME, prints requests/second, latency
percentiles, and every non-2xx response; checks afterwards that every created workflow is stored.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

parser = argparse.ArgumentParser()
parser.add_argument("--argosy", default=".build-bench/release/argosy")
parser.add_argument("--clients", type=int, default=200)
parser.add_argument("--seconds", type=float, default=30)
args = parser.parse_args()

home = tempfile.mkdtemp(dir="/var/tmp", prefix="argosy-load-")
env = dict(os.environ, ARGOSY_HOME=home)
server = subprocess.Popen([args.argosy, "server", "--port", "0"], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
port = None
for line in server.stdout:
    m = re.search(r"127\.0\.0\.1:(\d+)", line)
    if m:
        port = int(m.group(1))
        break
assert port, "server did not start"

body = json.dumps({"workflow": {"metadata": {"generateName": "load-"}, "spec": {"entrypoint": "t", "templates": [
    {"name": "t", "container": {"image": "alpine", "command": ["true"]}}]}}})
lock = threading.Lock()
latencies, errors, created = [], [], []
deadline = time.monotonic() + args.seconds


def client(index):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    while time.monotonic() < deadline:
        create = n % 2 == 0
        start = time.perf_counter()
        try:
            if create:
                conn.request("POST", "/api/v1/workflows/default", body, {"Content-Type": "application/json"})
            else:
                conn.request("GET", "/api/v1/workflows/default?listOptions.limit=20")
            response = conn.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if response.status >= 300:
                    errors.append((response.status, data[:200]))
                elif create:
                    created.append(json.loads(data)["metadata"]["name"])
        except Exception as error:  # a refused or dropped connection counts as an error
            with lock:
                errors.append(("exception", str(error)))
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n += 1


threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
begin = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.monotonic() - begin
latencies.sort()


def pct(p):
    return latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000 if latencies else float("nan")


conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
conn.request("GET", "/api/v1/workflows/default")
stored = {i["metadata"]["name"] for i in (json.loads(conn.getresponse().read()).get("items") or [])}
lost = [n for n in created if n not in stored]
server.terminate()
server.wait()
shutil.rmtree(home, ignore_errors=True)
print(f"clients {args.clients}, {wall:.1f} s, {len(latencies)} requests, {len(latencies) / wall:.0f} req/s")
print(f"latency p50 {pct(0.5):.1f} ms, p90 {pct(0.9):.1f} ms, p99 {pct(0.99):.1f} ms, max {pct(1.0):.1f} ms")
print(f"created {len(created)}, lost {len(lost)}, error responses {len(errors)}")
for e in errors[:10]:
    print("  error:", e)
