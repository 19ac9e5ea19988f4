#!/usr/bin/env python3
"""Watcher cost of `argosy server` (issue 13): CPU of an idle server holding many open streams, and how soon
every watcher sees a phase change while workflows run.

    python3 bench/watchers.py --argosy .build-bench/release/argosy [--streams 200 --logs 20 --seconds 60]

Idle: one finished workflow, then STREAMS `workflow-events` SSE streams and LOGS followed logs (`/log` with
`logOptions.follow=true` of a workflow whose step sleeps) are opened; the server's CPU time (utime+stime of
its process, /proc/PID/stat) is read over SECONDS and reported as a share of one core.
Latency: RUNNING workflows run (a step that sleeps) while WATCHERS `workflow-events` streams are open; the
probe suspends 20 of them one by one and records, for every watcher, how long after the `suspend` request
it received the workflow's MODIFIED event (p50, p99; a watcher that has not seen it within 500 ms counts as
never).
Python 3 standard library only.
"""
import argparse, http.client, json, os, socket, subprocess, sys, tempfile, threading, time

def start_server(argosy, home):
    env = dict(os.environ, ARGOSY_HOME=home)
    p = subprocess.Popen([argosy, "server", "--port", "0"], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = ""
    deadline = time.time() + 30
    while time.time() < deadline and "listening on" not in line:
        line = p.stdout.readline()
    port = int(line.rsplit(":", 1)[1].strip().rstrip("/"))
    return p, port

def request(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data

def workflow(name, command):
    return {"workflow": {"metadata": {"name": name}, "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "container": {"image": "alpine", "command": ["sh", "-c", command]}}]}}}

def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def open_stream(port, path, on_line=None):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".encode())
    def reader():
        buf = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return
                if on_line:
                    buf += chunk
                    *lines, buf = buf.split(b"\n")
                    for line in lines:
                        on_line(line, time.monotonic())
        except OSError:
            return
    threading.Thread(target=reader, daemon=True).start()
    return s

def idle(args):
    home = tempfile.mkdtemp(prefix="argosy-watchers-", dir="/var/tmp")
    p, port = start_server(args.argosy, home)
    try:
        request(port, "POST", "/api/v1/workflows/default", workflow("done", "echo done"))
        for i in range(args.logs):
            request(port, "POST", "/api/v1/workflows/default", workflow(f"sleeper-{i}", "echo start; sleep 600"))
        time.sleep(3)
        socks = [open_stream(port, "/api/v1/workflow-events/default") for _ in range(args.streams)]
        socks += [open_stream(port, f"/api/v1/workflows/default/sleeper-{i}/log?logOptions.follow=true") for i in range(args.logs)]
        time.sleep(3)
        c0, t0 = cpu_seconds(p.pid), time.monotonic()
        time.sleep(args.seconds)
        c1, t1 = cpu_seconds(p.pid), time.monotonic()
        for s in socks:
            s.close()
        return (c1 - c0) / (t1 - t0) * 100
    finally:
        p.terminate()
        p.wait()

def latency(args):
    home = tempfile.mkdtemp(prefix="argosy-watchers-", dir="/var/tmp")
    p, port = start_server(args.argosy, home)
    seen = {}  # workflow name -> [time each watcher first saw it suspended]
    lock = threading.Lock()
    def watcher():
        mine = set()
        def on_line(line, t):
            if not line.startswith(b"data: "):
                return
            obj = json.loads(line[6:])["result"].get("object", {})
            name = obj.get("metadata", {}).get("name")
            if obj.get("spec", {}).get("suspend") and name not in mine:
                mine.add(name)
                with lock:
                    seen.setdefault(name, []).append(t)
        return on_line
    try:
        for i in range(args.running):
            request(port, "POST", "/api/v1/workflows/default", workflow(f"run-{i}", "sleep 120"))
        time.sleep(5)
        socks = [open_stream(port, "/api/v1/workflow-events/default", watcher()) for _ in range(args.watchers)]
        time.sleep(3)
        delays = []
        for i in range(0, args.running, max(1, args.running // 20)):
            t0 = time.monotonic()
            request(port, "PUT", f"/api/v1/workflows/default/run-{i}/suspend", {})
            time.sleep(0.5)
            with lock:
                times = seen.get(f"run-{i}", [])
            delays += [(t - t0) * 1000 for t in times] + [float("inf")] * (args.watchers - len(times))
        for s in socks:
            s.close()
        delays.sort()
        pick = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
        return len(delays), pick(0.5), pick(0.99)
    finally:
        p.terminate()
        p.wait()

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--argosy", required=True)
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--logs", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--watchers", type=int, default=20)
    ap.add_argument("--running", type=int, default=100)
    args = ap.parse_args()
    cpu = idle(args)
    print(f"idle: {args.streams} event streams + {args.logs} followed logs: server CPU {cpu:.2f} % of one core over {args.seconds:.0f} s")
    n, p50, p99 = latency(args)
    print(f"running: {args.running} workflows, {args.watchers} watchers: {n} (watcher, change) pairs; from the request to the watcher's event p50 {p50:.0f} ms, p99 {p99:.0f} ms (inf: not seen within 500 ms)")
