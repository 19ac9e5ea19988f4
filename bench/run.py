#!/usr/bin/env python3
"""Argosy's benchmark driver: W1-W6 on Argosy, two (three) C baselines and peers, one table.

    python3 bench/run.py                      # everything, 1 repetition (see README.md)
    python3 bench/run.py --reps 3 --workloads w1,w2,w3 --engines baseline,baseline-ns,argosy
    python3 bench/run.py --startup 20 --workloads none     # only the start-latency probe

Python 3 standard library only. Builds bench/runner.c, bench/measure.c and bench/stamp.c
with gcc into the work folder (default: a fresh folder under /var/tmp; not /tmp, because
steps see a private /tmp and the probe's program must be visible to them), writes the
workloads there, runs every (engine, workload) pair under bench/measure (wall, CPU of the
whole process tree, peak RSS of its largest process), and prints a markdown table with
ratios to baseline (a) `baseline` (posix_spawn) and (b) `baseline-ns` (fresh mount
namespace + private /tmp per task). Raw results go to WORKDIR/results.jsonl.
"""
import argparse
import glob
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SEED = 20261128
IMAGE = "alpine:3.20"

# ------------------------------------------------------------------ workloads
# A workload is a list of workflows; a workflow is (name, [(task name, [dep names])]).


def chain(n):
    return [("w1-chain", [(f"s{i:03d}", [] if i == 0 else [f"s{i - 1:03d}"]) for i in range(n)])]


def fanout(n):
    tasks = [("root", [])] + [(f"fan({i}:{i})", ["root"]) for i in range(n)]
    tasks.append(("join", [f"fan({i}:{i})" for i in range(n)]))
    return [("w2-fanout", tasks)]


def random_dag(name, n, seed=SEED):
    rng = random.Random(seed)
    tasks = [("t00000", [])]
    for i in range(1, n):
        deps = sorted(rng.sample(range(i), min(i, rng.randint(1, 3))))
        tasks.append((f"t{i:05d}", [f"t{d:05d}" for d in deps]))
    return [(name, tasks)]


def many(nwf, steps):
    return [(f"w4-many-{w:03d}", [(f"s{j}", [] if j == 0 else [f"s{j - 1}"]) for j in range(steps)])
            for w in range(nwf)]


def loop(n):
    return [("w5-withparam", [(f"each({i}:{i})", []) for i in range(n)])]


def header(name, jobs, parallelism=True, params=None):
    s = ("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata:\n"
         f"  name: {name}\nspec:\n  entrypoint: main\n")
    if parallelism:
        s += f"  parallelism: {jobs}\n"
    if params:
        s += "  arguments:\n    parameters:\n"
        for k, v in params.items():
            s += f"    - name: {k}\n      value: '{v}'\n"
    return s + "  templates:\n"


NOOP = f"""  - name: noop
    container:
      image: {IMAGE}
      command: ["true"]
"""


def steps_yaml(name, tasks, jobs, parallelism=True):
    s = header(name, jobs, parallelism) + "  - name: main\n    steps:\n"
    for t, _ in tasks:
        s += f"    - - name: {t}\n        template: noop\n"
    return s + NOOP


def dag_yaml(name, tasks, jobs):
    s = header(name, jobs) + "  - name: main\n    dag:\n      tasks:\n"
    for t, deps in tasks:
        s += f"      - name: {t}\n        template: noop\n"
        if deps:
            s += f"        dependencies: [{', '.join(deps)}]\n"
    return s + NOOP


def w2_yaml(graph, jobs):
    n = len(graph[0][1]) - 2
    return header("w2-fanout", jobs) + f"""  - name: main
    dag:
      tasks:
      - name: root
        template: noop
      - name: fan
        template: noop
        dependencies: [root]
        withSequence:
          count: "{n}"
      - name: join
        template: noop
        dependencies: [fan]
""" + NOOP


def w5_yaml(graph, jobs):
    n = len(graph[0][1])
    items = json.dumps([f"i{i}" for i in range(n)], separators=(",", ":"))
    return header("w5-withparam", jobs, params={"items": items}) + """  - name: main
    steps:
    - - name: each
        template: noop
        withParam: "{{workflow.parameters.items}}"
""" + NOOP


# id -> (description, graph function, yaml function, big)
WORKLOADS = {
    "w1": ("chain of 100 steps (`steps`)", lambda: chain(100),
           lambda g, j: steps_yaml(g[0][0], g[0][1], j), False),
    "w2": ("1 -> 500 parallel (`withSequence`) -> join (`dag`)", lambda: fanout(500), w2_yaml, False),
    "w3": ("DAG of 1,000 tasks, 1-3 deps on earlier tasks (seed 20261128)",
           lambda: random_dag("w3-dag", 1000), lambda g, j: dag_yaml(g[0][0], g[0][1], j), False),
    "w4": ("200 workflows x 3 sequential steps, one file, submitted at once", lambda: many(200, 3),
           lambda g, j: "---\n".join(steps_yaml(n, t, j, parallelism=False) for n, t in g), False),
    "w5": ("one `withParam` loop over 10,000 items (workflow parameter)", lambda: loop(10000), w5_yaml, True),
    "w6": ("DAG of 10,000 tasks, 1-3 deps on earlier tasks (seed 20261128)",
           lambda: random_dag("w6-dag", 10000), lambda g, j: dag_yaml(g[0][0], g[0][1], j), True),
    # scaling probe (not in the default set): the W3 generator at 100 tasks
    "s100": ("DAG of 100 tasks (W3 generator), scaling probe", lambda: random_dag("s100-dag", 100),
             lambda g, j: dag_yaml(g[0][0], g[0][1], j), False),
}
DEFAULT_WORKLOADS = ["w1", "w2", "w3", "w4", "w5", "w6"]


def flat(graph):
    """All tasks of all workflows as one DAG: [(global name, [dep indices])], topological."""
    out = []
    for wf, tasks in graph:
        idx = {}
        for t, deps in tasks:
            idx[t] = len(out)
            out.append((f"{wf}/{t}", [idx[d] for d in deps]))
    return out


def write_workload(wdir, wid, jobs):
    _, gfn, yfn, _ = WORKLOADS[wid]
    g = gfn()
    f = flat(g)
    paths = {"yaml": os.path.join(wdir, f"{wid}.yaml"), "txt": os.path.join(wdir, f"{wid}.graph.txt"),
             "json": os.path.join(wdir, f"{wid}.graph.json")}
    with open(paths["yaml"], "w") as fh:
        fh.write(yfn(g, jobs))
    with open(paths["txt"], "w") as fh:
        fh.write(f"{len(f)}\n" + "".join(" ".join(map(str, [len(d)] + d)) + "\n" for _, d in f))
    with open(paths["json"], "w") as fh:
        json.dump([d for _, d in f], fh, separators=(",", ":"))
    paths["tasks"] = len(f)
    paths["workflows"] = [wf for wf, _ in g]
    return paths


# ------------------------------------------------------------------ peers (own adapters)

SNAKEFILE = """\
import json
DEPS = json.load(open({deps!r}))
NEEDED = set(range(len(DEPS))) - {{d for ds in DEPS for d in ds}}

rule all:
    input: ["out/%d" % i for i in sorted(NEEDED)]

rule task:
    output: "out/{{i}}"
    input: lambda wc: ["out/%d" % d for d in DEPS[int(wc.i)]]
    shell: "/usr/bin/true; : > {{output}}"
"""

LUIGI = """\
import json, os, subprocess, sys
import luigi

DEPS = json.load(open(sys.argv[1]))
OUT = sys.argv[2]
JOBS = int(sys.argv[3])
os.makedirs(OUT, exist_ok=True)


class T(luigi.Task):
    i = luigi.IntParameter()

    def requires(self):
        return [T(i=d) for d in DEPS[self.i]]

    def output(self):
        return luigi.LocalTarget(os.path.join(OUT, str(self.i)))

    def run(self):
        subprocess.run(["true"], check=True)
        open(self.output().path, "w").close()


if __name__ == "__main__":
    sinks = set(range(len(DEPS))) - {d for ds in DEPS for d in ds}
    ok = luigi.build([T(i=s) for s in sorted(sinks)], workers=JOBS, local_scheduler=True, log_level="WARNING")
    sys.exit(0 if ok else 1)
"""


def find_venv(name, venvs):
    cands = []
    if venvs:
        cands.append(os.path.join(venvs, name))
    cands += glob.glob(f"/tmp/tmp.*/bench/.venvs/{name}") + glob.glob(os.path.expanduser(f"~/.cache/argosy-bench/venvs/{name}"))
    for c in cands:
        if os.path.exists(os.path.join(c, "bin", "python")):
            return c
    return None


def install_venv(name, pkgs):
    v = os.path.expanduser(f"~/.cache/argosy-bench/venvs/{name}")
    subprocess.run([sys.executable, "-m", "venv", v], check=True)
    subprocess.run([os.path.join(v, "bin", "pip"), "install", "-q", "--disable-pip-version-check"] + pkgs, check=True)
    return v


# ------------------------------------------------------------------ running

def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build_tools(work):
    tools = {}
    for name, extra in (("runner", []), ("measure", []), ("stamp", ["-static"])):
        out = os.path.join(work, "bin", name)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        r = subprocess.run(["gcc", "-O2", "-Wall", *extra, "-o", out, os.path.join(HERE, f"{name}.c")],
                           capture_output=True, text=True)
        if r.returncode != 0 and extra:  # no static libc: dynamic is fine
            r = subprocess.run(["gcc", "-O2", "-Wall", "-o", out, os.path.join(HERE, f"{name}.c")],
                               capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"gcc {name}.c failed:\n{r.stderr}")
        tools[name] = out
    return tools


def measure(tools, timeout, log, cmd, env=None):
    r = subprocess.run([tools["measure"], str(int(timeout)), log] + cmd, capture_output=True, text=True, env=env)
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"rc": 255, "timeout": False, "wall_s": 0, "user_s": 0, "sys_s": 0, "maxrss_mb": 0,
                "error": r.stderr[-2000:]}


def argosy_diagnose(argosy, home, workflows, log):
    """After a failed Argosy run: its log tail, `argosy list` and `argosy get` of failed workflows."""
    env = dict(os.environ, ARGOSY_HOME=home)
    out = []
    try:
        with open(log, errors="replace") as fh:
            out.append("--- stderr/stdout (tail)\n" + "".join(fh.readlines()[-40:]))
    except OSError:
        pass
    lst = subprocess.run([argosy, "list"], capture_output=True, text=True, env=env, timeout=60)
    out.append("--- argosy list (head)\n" + "\n".join((lst.stdout + lst.stderr).splitlines()[:30]))
    bad = [ln.split()[0] for ln in lst.stdout.splitlines()[1:] if ln.split() and "Succeeded" not in ln]
    for wf in (bad or workflows)[:2]:
        g = subprocess.run([argosy, "get", wf], capture_output=True, text=True, env=env, timeout=60)
        out.append(f"--- argosy get {wf} (head)\n" + "\n".join((g.stdout + g.stderr).splitlines()[:40]))
    return "\n".join(out)


def argosy_verify(argosy, home, w):
    """Untimed check that every workflow succeeded with the expected number of pods."""
    env = dict(os.environ, ARGOSY_HOME=home)
    pods = 0
    for wf in w["workflows"]:
        r = subprocess.run([argosy, "get", wf, "-o", "json"], capture_output=True, text=True, env=env, timeout=120)
        if r.returncode != 0:
            return f"argosy get {wf} failed: {r.stderr.strip()[:300]}"
        doc = json.loads(r.stdout)
        st = doc.get("status", {})
        if st.get("phase") != "Succeeded":
            return f"{wf}: phase {st.get('phase')}: {st.get('message')}"
        pods += sum(1 for n in st.get("nodes", {}).values() if n.get("type") == "Pod" and n.get("phase") == "Succeeded")
    return None if pods == w["tasks"] else f"{pods} succeeded pods, expected {w['tasks']}"


def run_one(args, tools, work, engine, wid, w, rep, peers):
    big = WORKLOADS[wid][3]
    timeout = args.big_timeout if big else args.timeout
    rdir = os.path.join(work, "runs", engine, wid, f"r{rep}")
    os.makedirs(rdir, exist_ok=True)
    log = os.path.join(rdir, "log")
    env = None
    if engine in ("baseline", "baseline-ns", "baseline-overlay"):
        mode = {"baseline": "plain", "baseline-ns": "ns", "baseline-overlay": "overlay"}[engine]
        cmd = [tools["runner"], "-j", str(args.jobs), "-m", mode, w["txt"]]
    elif engine == "argosy-exec":
        # the C runner spawning Argosy's step supervisor (sandbox included) per task, no engine
        steps = os.path.join(rdir, "steps")
        for i in range(w["tasks"]):
            os.makedirs(os.path.join(steps, str(i)), exist_ok=True)
        cmd = [tools["runner"], "-j", str(args.jobs), "-m", "plain", w["txt"],
               os.path.join(os.path.dirname(args.argosy), "argosy-exec"), "--dir", os.path.join(steps, "{i}"),
               "--sandbox", "--", "true"]
    elif engine == "argosy":
        home = os.path.join(rdir, "home")
        env = dict(os.environ, ARGOSY_HOME=home)
        cmd = [args.argosy, "submit", "--wait", w["yaml"]]
    elif engine == "snakemake":
        with open(os.path.join(rdir, "Snakefile"), "w") as fh:
            fh.write(SNAKEFILE.format(deps=w["json"]))
        cmd = [os.path.join(peers["snakemake"], "bin", "snakemake"), "-s", os.path.join(rdir, "Snakefile"),
               "-d", rdir, "--cores", str(args.jobs), "--quiet", "all"]
    elif engine == "luigi":
        script = os.path.join(work, "luigi_bench.py")
        with open(script, "w") as fh:
            fh.write(LUIGI)
        cmd = [os.path.join(peers["luigi"], "bin", "python"), script, w["json"], os.path.join(rdir, "out"), str(args.jobs)]
    else:
        raise ValueError(engine)
    m = measure(tools, timeout, log, cmd, env)
    res = {"engine": engine, "workload": wid, "tasks": w["tasks"], "rep": rep, "jobs": args.jobs,
           "load1": float(open("/proc/loadavg").read().split()[0]), **m}
    if engine == "argosy":
        if m["rc"] != 0 or m["timeout"]:
            res["diagnosis"] = argosy_diagnose(args.argosy, home, w["workflows"], log)
        elif rep == 1 and not args.no_verify:
            problem = argosy_verify(args.argosy, home, w)
            if problem:
                res["rc"] = 254
                res["diagnosis"] = "verification: " + problem
        if not args.keep and res["rc"] == 0:
            shutil.rmtree(home, ignore_errors=True)
    elif engine in ("snakemake", "luigi") and m["rc"] == 0:
        outs = os.path.join(rdir, "out")
        n = len(os.listdir(outs)) if os.path.isdir(outs) else 0
        if n != w["tasks"]:
            res["rc"] = 254
            res["diagnosis"] = f"{n} output files, expected {w['tasks']}"
    if engine == "argosy-exec" and not args.keep and m["rc"] == 0:
        shutil.rmtree(os.path.join(rdir, "steps"), ignore_errors=True)
    if (m["rc"] != 0 or m["timeout"]) and "diagnosis" not in res:
        try:
            with open(log, errors="replace") as fh:
                res["diagnosis"] = "".join(fh.readlines()[-20:])
        except OSError:
            pass
    return res


def startup_probe(args, tools, work, n):
    """Process start to first step started, for a one-step workflow: the step is `stamp`,
    which prints CLOCK_REALTIME; measure records CLOCK_REALTIME just before its fork."""
    pdir = os.path.join(work, "startup")
    os.makedirs(pdir, exist_ok=True)
    yaml = os.path.join(pdir, "one-step.yaml")
    with open(yaml, "w") as fh:
        fh.write(f"""apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  name: one-step
spec:
  entrypoint: main
  templates:
  - name: main
    container:
      image: {IMAGE}
      command: [{tools['stamp']}]
""")
    graph = os.path.join(pdir, "one.graph.txt")
    with open(graph, "w") as fh:
        fh.write("1\n0\n")
    out = {}
    for label in ("baseline", "baseline-ns", "argosy"):
        lat, walls, errs = [], [], []
        for i in range(n):
            log = os.path.join(pdir, f"{label}-{i}.log")
            if label == "argosy":
                home = os.path.join(pdir, f"home-{i}")
                m = measure(tools, 60, log, [args.argosy, "submit", "--wait", yaml], dict(os.environ, ARGOSY_HOME=home))
                files = glob.glob(os.path.join(home, "steps", "*", "*.stdout"))  # steps/<uid>/<pod>.stdout
                text = open(files[0]).read() if files else ""
            else:
                mode = "plain" if label == "baseline" else "ns"
                m = measure(tools, 60, log, [tools["runner"], "-j", "1", "-m", mode, graph, tools["stamp"]])
                text = open(log).read()
            try:
                stamp = int(text.strip().splitlines()[-1])
                lat.append((stamp - m["start_ns"]) / 1e6)
                walls.append(m["wall_s"] * 1e3)
            except (ValueError, IndexError):
                errs.append(f"run {i}: rc={m['rc']} no stamp; log: {open(log, errors='replace').read()[-500:]}")
            if label == "argosy" and not args.keep and not errs:
                shutil.rmtree(home, ignore_errors=True)
        out[label] = {"runs": len(lat), "median_ms": statistics.median(lat) if lat else None,
                      "min_ms": min(lat) if lat else None, "max_ms": max(lat) if lat else None,
                      "wall_median_ms": statistics.median(walls) if walls else None, "errors": errs[:3]}
    return out


# ------------------------------------------------------------------ reporting

def fmt(x, nd=2):
    return "-" if x is None else (f"{x:.{nd}f}" if isinstance(x, float) else str(x))


def summarize(results, order_workloads, order_engines):
    by = {}
    for r in results:
        by.setdefault((r["engine"], r["workload"]), []).append(r)

    def med(eng, wid, key):
        rs = [r for r in by.get((eng, wid), []) if r["rc"] == 0 and not r["timeout"]]
        if not rs:
            return None
        vals = [r["user_s"] + r["sys_s"] if key == "cpu" else r[key] for r in rs]
        return statistics.median(vals)

    lines = ["| workload | engine | tasks | ok/runs | wall s | cpu s | peak RSS MB | wall ÷a | wall ÷b | cpu ÷a | cpu ÷b | "
             "RSS ÷a | overhead/task vs b, ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for wid in order_workloads:
        a = {k: med("baseline", wid, k) for k in ("wall_s", "cpu", "maxrss_mb")}
        b = {k: med("baseline-ns", wid, k) for k in ("wall_s", "cpu", "maxrss_mb")}
        for eng in order_engines:
            rs = by.get((eng, wid))
            if not rs:
                continue
            ok = sum(1 for r in rs if r["rc"] == 0 and not r["timeout"])
            status = f"{ok}/{len(rs)}"
            if any(r["timeout"] for r in rs):
                status += " timeout"
            elif ok < len(rs):
                status += " FAILED"
            wall, cpu, rss = med(eng, wid, "wall_s"), med(eng, wid, "cpu"), med(eng, wid, "maxrss_mb")

            def ratio(x, base):
                return None if x is None or not base else x / base
            per = None if wall is None or b["wall_s"] is None else (wall - b["wall_s"]) / rs[0]["tasks"] * 1e3
            lines.append(f"| {wid} | {eng} | {rs[0]['tasks']} | {status} | {fmt(wall, 3)} | {fmt(cpu, 3)} | {fmt(rss, 1)} | "
                         f"{fmt(ratio(wall, a['wall_s']))} | {fmt(ratio(wall, b['wall_s']))} | {fmt(ratio(cpu, a['cpu']))} | "
                         f"{fmt(ratio(cpu, b['cpu']))} | {fmt(ratio(rss, a['maxrss_mb']))} | {fmt(per, 3)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS),
                    help="comma list of " + ",".join(WORKLOADS) + " or 'none' (default: w1..w6)")
    ap.add_argument("--engines", default="baseline,baseline-ns,baseline-overlay,argosy-exec,argosy,snakemake,luigi")
    ap.add_argument("--peer-workloads", default="w1,w2,w3,w4", help="workloads the Python peers run")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_JOBS", "4")),
                    help="max concurrent tasks for everyone (spec.parallelism in W1-W3, W5, W6)")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--big-reps", type=int, default=1, help="repetitions of W5-W6 (at most --reps)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds per run, W1-W4")
    ap.add_argument("--big-timeout", type=float, default=300, help="seconds per run, W5-W6")
    ap.add_argument("--argosy", default=os.environ.get("ARGOSY_BIN", os.path.join(REPO, ".build-bench", "release", "argosy")))
    ap.add_argument("--venvs", default=os.environ.get("BENCH_VENVS"),
                    help="folder with snakemake/ and luigi/ venvs (default: the reference harness's copy under /tmp, or ~/.cache/argosy-bench/venvs)")
    ap.add_argument("--install-peers", action="store_true", help="pip-install missing peers into ~/.cache/argosy-bench/venvs")
    ap.add_argument("--startup", type=int, default=20, help="runs of the one-step start-latency probe (0: skip)")
    ap.add_argument("--workdir", help="default: a new folder under /var/tmp")
    ap.add_argument("--keep", action="store_true", help="keep every run's ARGOSY_HOME")
    ap.add_argument("--no-verify", action="store_true", help="skip the untimed `argosy get` check after rep 1")
    ap.add_argument("--markdown", help="also write the report to this file")
    args = ap.parse_args()

    work = args.workdir or tempfile.mkdtemp(prefix="argosy-bench-", dir="/var/tmp")
    os.makedirs(work, exist_ok=True)
    tools = build_tools(work)
    engines = [e for e in args.engines.split(",") if e]
    wids = [] if args.workloads == "none" else [w for w in args.workloads.split(",") if w]
    peer_wids = set(args.peer_workloads.split(","))
    if "argosy" in engines and not os.access(args.argosy, os.X_OK):
        sys.exit(f"no argosy binary at {args.argosy}; build it (see bench/README.md) or pass --argosy")

    peers = {}
    for p, pkgs in (("snakemake", ["snakemake"]), ("luigi", ["luigi"])):
        if p in engines:
            v = find_venv(p, args.venvs)
            if not v and args.install_peers:
                v = install_venv(p, pkgs)
            if v:
                peers[p] = v
            else:
                print(f"skip {p}: no venv (pass --venvs or --install-peers)", file=sys.stderr)
                engines.remove(p)

    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    machine = f"{os.cpu_count()} CPUs ({cpu}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, {os.uname().release}"
    print(f"# argosy bench {stamp}; {machine}; jobs={args.jobs} reps={args.reps}; work={work}", file=sys.stderr)

    os.makedirs(os.path.join(work, "workloads"), exist_ok=True)
    wl = {wid: write_workload(os.path.join(work, "workloads"), wid, args.jobs) for wid in wids}
    raw = os.path.join(work, "results.jsonl")
    results = []
    # repetition loop outermost, engines interleaved, so drift in background load hits all alike
    for rep in range(1, args.reps + 1):
        for wid in wids:
            if WORKLOADS[wid][3] and rep > args.big_reps:
                continue
            for eng in engines:
                if eng in ("snakemake", "luigi") and wid not in peer_wids:
                    continue
                r = run_one(args, tools, work, eng, wid, wl[wid], rep, peers)
                results.append(r)
                with open(raw, "a") as fh:
                    fh.write(json.dumps(r) + "\n")
                brief = {k: r.get(k) for k in ("engine", "workload", "rep", "rc", "timeout", "wall_s", "user_s", "sys_s", "maxrss_mb")}
                print(json.dumps(brief), file=sys.stderr)
                if r.get("diagnosis"):
                    print("  " + r["diagnosis"].replace("\n", "\n  ")[:3000], file=sys.stderr)

    report = [f"argosy bench, {stamp}; {machine}; jobs={args.jobs}, reps={args.reps} (W5/W6: {min(args.reps, args.big_reps)}; median shown)", ""]
    if wids:
        report.append(summarize(results, wids, engines))
        report.append("")
        report.append("a = `baseline` (posix_spawn), b = `baseline-ns` (fresh mount namespace + tmpfs /tmp per task); "
                      "overhead/task = (wall − wall of b) ÷ tasks.")
        fails = [r for r in results if r["rc"] != 0 or r["timeout"]]
        for r in fails:
            report.append(f"\nFAILED {r['engine']} {r['workload']} rep {r['rep']}: rc={r['rc']} timeout={r['timeout']}\n"
                          + "```\n" + (r.get("diagnosis") or "")[:4000] + "\n```")
    if args.startup > 0 and "argosy" in engines:
        s = startup_probe(args, tools, work, args.startup)
        with open(raw, "a") as fh:
            fh.write(json.dumps({"startup": s}) + "\n")
        report += ["", f"Start latency, one-step workflow ({args.startup} runs): launch of the command → the step's first instruction",
                   "", "| command | median ms | min ms | max ms | whole command, median ms |", "|---|---:|---:|---:|---:|"]
        names = {"baseline": "runner (posix_spawn)", "baseline-ns": "runner (mount ns + tmpfs)", "argosy": "argosy submit --wait"}
        for k, v in s.items():
            report.append(f"| {names[k]} | {fmt(v['median_ms'])} | {fmt(v['min_ms'])} | {fmt(v['max_ms'])} | {fmt(v['wall_median_ms'])} |")
            for e in v["errors"]:
                report.append(f"\n{k}: {e}")
    text = "\n".join(report)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(text + "\n")
    print(f"# raw results: {raw}", file=sys.stderr)


if __name__ == "__main__":
    main()
