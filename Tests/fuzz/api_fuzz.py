#!/usr/bin/env python3
"""Seeded, bounded fuzz of argosy server's REST API (Python 3.11, standard library only).

    python3 Tests/fuzz/api_fuzz.py --base http://127.0.0.1:PORT --seed N --cases 2000 \
        [--server-pid PID] [--server-stderr FILE] [--token TOKEN] [--admin-token TOKEN] [--report FILE]

Exits 0 only when: the server never died (with --server-pid: the process lives and /healthz answers after every
case), no response had status >= 500, every 4xx (except to HEAD) is Argo's error shape {"code": int,
"message": str}, every 2xx from /api/ is valid JSON (streams: valid NDJSON / SSE data lines), no request took
more than 10 s, and the resources created in namespace `keep` before the fuzz are unchanged after it.

The cases are a pure function of --seed (they never depend on responses); REGRESSIONS always run first.
No case targets namespace `keep` or the name `keep-cwft` (any case whose path or body mentions "keep" is
regenerated).

Development convenience: --spawn PATH/TO/argosy starts the server itself (fresh ARGOSY_HOME, stderr to a file,
--auth-mode as given, tokens minted with `argosy auth token`), and after a crash records the server's stderr and
restarts it on the same home so that the run goes on and can find further failure classes.
"""

import argparse
import http.client
import json
import os
import random
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

REQUEST_LIMIT = 10.0  # seconds a request may take
STREAM_READ = 0.3  # seconds a watch / log-follow stream is read
KEEP_NS = "keep"
FUZZ_NS = "fuzz"
MAX_LISTED = 50


def _wf(steps_extra=None, template_extra=None, name=None):
    step = {"name": "a", "template": "t"}
    step.update(steps_extra or {})
    t = {"name": "t", "container": {"image": "alpine", "command": ["true"]}}
    t.update(template_extra or {})
    meta = {"name": name} if name else {"generateName": "fz-reg-"}
    return {"metadata": meta, "spec": {"entrypoint": "main", "templates": [
        {"name": "main", "steps": [[step]]}, t]}}


def _j(v):
    return json.dumps(v, separators=(",", ":"))


# Failures found by this tool (against the argosy build of 2026-12-07 14:59), kept as fixed cases that always
# run first, whatever the seed: (method, path, body text or None). The first crasher ends a --base run.
REGRESSIONS = [
    # Unknown paths and unserved methods answer 404 with an empty body, not Argo's error JSON.
    ("GET", "/api/v1/nope", None),
    ("OPTIONS", "/api/v1/workflows/fuzz", None),
    ("PUT", "/api/v1/workflows/fuzz/fz-done", "{}"),
    # A number that overflows a Double (1e400 is +inf) in free-form JSON: 500 "cannot encode Workflow"
    # (workflows/lint and the dry run answer 200 with the body `null` instead).
    ("POST", "/api/v1/workflow-templates/fuzz/lint",
     _j({"template": _wf({"withItems": [0]}, name="fz-reg-inf")}).replace("[0]", "[1e400]")),
    # Double -> Int traps in IntOrString.init(from:) (IntOrString.swift:14): above Int.max, infinite, below Int.min.
    ("POST", "/api/v1/workflows/fuzz/lint",
     _j({"workflow": _wf(template_extra={"retryStrategy": {"limit": 0}})}).replace('"limit":0', '"limit":1e19')),
    ("POST", "/api/v1/cluster-workflow-templates/lint",
     _j({"template": _wf(template_extra={"retryStrategy": {"limit": 0}}, name="fz-reg-cwft")})
     .replace('"limit":0', '"limit":-1e400')),
    ("POST", "/api/v1/cron-workflows/fuzz/lint",
     _j({"cronWorkflow": {"metadata": {"name": "fz-reg-cron"}, "spec": {
         "schedule": "0 0 1 1 *", "workflowSpec": _wf({"withSequence": {"end": 0}})["spec"]}}})
     .replace('"end":0', '"end":-1e19')),
    ("POST", "/api/v1/workflow-templates/fuzz/lint",
     _j({"template": _wf(template_extra={"activeDeadlineSeconds": 0}, name="fz-reg-wft")})
     .replace('"activeDeadlineSeconds":0', '"activeDeadlineSeconds":1e19')),
    # withSequence.count of Int.max: heap corruption ("free(): invalid size", SIGSEGV freeing a JSONValue)
    # while answering the create.
    ("POST", "/api/v1/workflows/fuzz", _j({"workflow": _wf({"withSequence": {"count": 9223372036854775807}})})),
    # withSequence.count of 2^31-1: the controller builds 2 billion loop items (RSS grows without bound, CPU
    # spins), no other workflow makes progress, and SIGTERM no longer stops the server. Caught by the final
    # controller-progress check.
    ("POST", "/api/v1/workflows/fuzz", _j({"workflow": _wf({"withSequence": {"count": "2147483647"}})})),
]


# ---------------------------------------------------------------------------------------------------------------
# JSON with raw fragments (numbers such as 1e400 that Python's json cannot write, huge or deep values).


class Raw:
    __slots__ = ("text", "label")

    def __init__(self, text, label=None):
        self.text = text
        self.label = label or (text if len(text) <= 40 else text[:20] + "…(%d chars)" % len(text))

    def __repr__(self):
        return "Raw(%s)" % self.label


def dumps(value, ascii_only=True):
    out = []
    _encode(value, out, ascii_only)
    return "".join(out)


def _encode(v, out, ascii_only):
    if isinstance(v, Raw):
        out.append(v.text)
    elif isinstance(v, dict):
        out.append("{")
        first = True
        for k, x in v.items():
            if not first:
                out.append(",")
            first = False
            out.append(json.dumps(str(k), ensure_ascii=ascii_only))
            out.append(":")
            _encode(x, out, ascii_only)
        out.append("}")
    elif isinstance(v, list):
        out.append("[")
        for i, x in enumerate(v):
            if i:
                out.append(",")
            _encode(x, out, ascii_only)
        out.append("]")
    else:
        out.append(json.dumps(v, ensure_ascii=ascii_only))


def to_bytes(text):
    return text.encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------------------------------------------
# Hostile values.

NUMBER_TEXTS = [
    "1e19", "-1e19", "1e308", "1e400", "-1e400", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "-9223372036854775808", "18446744073709551616", "0", "-1", "2147483648",
    "-2147483649", "4294967296", "0.5", "-0.0", "1E2", "2.5e-324", "1" * 400,
]
NUMBERS = [Raw(t) for t in NUMBER_TEXTS]
NAME_254 = "a" * 254
NAME_300 = "b" * 300
HOSTILE_STRINGS = [
    "", "..", "../../etc", "a/b", "' OR 1=1 --", "\u0000", "héllo-ü", NAME_254, NAME_300, " ", "\n", "-",
    "UPPER", "a..b", "{{workflow.name}}", "{{=1/0}}", "{{", "%2e%2e", "\u202e", "😀", "null", "true", "0",
    "-1", "1e19", "9223372036854775808", "\t\r", "a" * 64,
]
STRING_RAWS = [Raw('"\\ud800"', "lone surrogate \\ud800"), Raw('"\\udc00x"', "lone surrogate \\udc00"),
               Raw('"\\u0000\\u0001\\u001f"', "control escapes")]
OBJECT_VALUES = [{"a": "b"}, {}, [], ["x"], [1, 2], {"": None}, [None], {"name": {"name": "x"}}]
SCALARS = [True, False, None]
DURATIONS = [Raw("1e19"), Raw("-5"), Raw("0"), Raw("9223372036854775807"), Raw("0.5"), Raw("1e400"), Raw("-1e19"),
             "1e19s", "9999999999999h", "-5s", "0s", "1h", "", "abc", "1.5h", "9223372036854775807ns",
             "2562048h", "1e308s", "-9223372036854775808ns", "PT1H", "1d", "99999999999999999999d", "1e19",
             "9223372036854775808", "-1", "5", "1m1m1m", ".s", "1..5s", "∞s", "NaN", "inf", "1ns"]
SCHEDULES = ["*/0 * * * *", "@every 1e19s", "@every 0s", "@every -1s", "@every 9999999999999h", "@every 1ns",
             "@every 2562048h", "* * * * * * *", "", "60 * * * *", "0-59/1000000000000 * * * *",
             "*/9223372036854775807 * * * *", "0 0 31 2 *", "0 0 30 2 *", "0 0 29 2 1", "@yearly", "@reboot",
             "CRON_TZ=Nowhere/Zone * * * * *", "TZ=../../etc/passwd 0 0 * * *", "1-0 * * * *", "0 0 * * 8",
             "0 0 0 0 0", "* * * * ?", "L W * * *", "-1 * * * *", "9223372036854775808 * * * *",
             "0 0 1 1 *", "* * * * *", "*/-1 * * * *", "1,2,,3 * * * *", "@every", "@every 1e400s"]
TIMEZONES = ["Nowhere/Zone", "../../etc/passwd", "", "UTC", "America/New_York", "+25:00", "\u0000", "a" * 300]
CONCURRENCY = ["Allow", "Forbid", "Replace", "", "nope", None]

HUGE_BUDGET = {"str5mb": 3, "str3mb": 2, "list100k": 3, "withitems100k": 2, "deep20000": 2}


def _deep(depth):
    return "[" * depth + "]" * depth


DEEP_600 = Raw(_deep(600), "[[[…]]] depth 600")


class Huge:
    """Large values, built once and handed out at most HUGE_BUDGET times per run."""

    cache = {}

    @classmethod
    def get(cls, name):
        if name not in cls.cache:
            if name == "str5mb":
                cls.cache[name] = Raw('"' + "a" * (5 * 1024 * 1024) + '"', "5 MB string")
            elif name == "str3mb":
                cls.cache[name] = Raw('"' + "a" * (3 * 1024 * 1024) + '"', "3 MB string")
            elif name == "list100k":
                cls.cache[name] = Raw("[" + ",".join(["1"] * 100000) + "]", "list of 100000 items")
            elif name == "withitems100k":
                cls.cache[name] = Raw("[" + ",".join('"x"' for _ in range(100000)) + "]", "100000 withItems")
            elif name == "deep20000":
                cls.cache[name] = Raw(_deep(20000), "[[[…]]] depth 20000")
        return cls.cache[name]


class Gen:
    """Every random choice of a run, from one seeded generator."""

    def __init__(self, seed):
        self.seed = seed
        self.rng = random.Random(seed)
        self.budget = dict(HUGE_BUDGET)
        self.created = []  # names of real workflow creates, in order (deterministic)

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return seq[self.rng.randrange(len(seq))]

    def huge(self, allow):
        if not allow or not self.chance(0.01):
            return None
        names = [n for n, left in self.budget.items() if left > 0 and n != "withitems100k"]
        if not names:
            return None
        n = self.pick(names)
        self.budget[n] -= 1
        return Huge.get(n)

    def hostile(self, allow_huge=True):
        h = self.huge(allow_huge)
        if h is not None:
            return h
        r = self.rng.random()
        if r < 0.38:
            return self.pick(NUMBERS)
        if r < 0.68:
            return self.pick(HOSTILE_STRINGS)
        if r < 0.74:
            return self.pick(STRING_RAWS)
        if r < 0.88:
            return json.loads(json.dumps(self.pick(OBJECT_VALUES)))
        if r < 0.98:
            return self.pick(SCALARS)
        return DEEP_600

    def number(self):
        r = self.rng.random()
        if r < 0.7:
            return self.pick(NUMBERS)
        if r < 0.9:
            return self.pick(["1e19", "9223372036854775808", "-1", "2147483648", "0.5", "abc", "", "3",
                              "{{workflow.parameters.p}}", "1e400"])
        return self.hostile(False)

    def duration(self):
        return self.pick(DURATIONS) if self.chance(0.85) else self.hostile(False)


# ---------------------------------------------------------------------------------------------------------------
# Seed bodies.


def t_true(name="t"):
    return {"name": name, "container": {"image": "alpine", "command": ["true"]}}


def workflow_spec(g, variant=None):
    variant = variant or g.pick(["steps", "dag", "suspend", "params", "loops", "retry", "timeouts", "memo",
                                 "script", "exit", "suspend-dur", "steps", "dag"])
    main_steps = {"name": "main", "steps": [[{"name": "a", "template": "t"}]]}
    spec = {"entrypoint": "main", "templates": [main_steps, t_true()]}
    if variant == "dag":
        spec["templates"][0] = {"name": "main", "dag": {"tasks": [
            {"name": "A", "template": "t"}, {"name": "B", "template": "t", "depends": "A"}]}}
    elif variant == "suspend":
        spec["templates"] = [{"name": "main", "steps": [[{"name": "wait", "template": "s"}]]},
                             {"name": "s", "suspend": {},
                              "outputs": {"parameters": [{"name": "o", "valueFrom": {"supplied": {}}}]}}]
    elif variant == "suspend-dur":
        spec["templates"] = [{"name": "main", "steps": [[{"name": "wait", "template": "s"}]]},
                             {"name": "s", "suspend": {"duration": "1s"}}]
    elif variant == "params":
        spec["arguments"] = {"parameters": [{"name": "p", "value": "v"}]}
        spec["templates"] = [
            {"name": "main", "steps": [[{"name": "a", "template": "t", "arguments": {
                "parameters": [{"name": "x", "value": "{{workflow.parameters.p}}"}]}}]]},
            {"name": "t", "inputs": {"parameters": [{"name": "x"}]},
             "container": {"image": "alpine", "command": ["true"]}}]
    elif variant == "loops":
        spec["templates"][0] = {"name": "main", "steps": [
            [{"name": "a", "template": "t", "withItems": [1, 2, 3]}],
            [{"name": "b", "template": "t", "withSequence": {"count": "2"}}]]}
    elif variant == "retry":
        spec["templates"][1]["retryStrategy"] = {
            "limit": 2, "retryPolicy": "Always", "backoff": {"duration": "1s", "factor": 2, "maxDuration": "1m"}}
    elif variant == "timeouts":
        spec.update({"activeDeadlineSeconds": 300, "parallelism": 2, "priority": 1,
                     "ttlStrategy": {"secondsAfterCompletion": 600},
                     "podGC": {"strategy": "OnPodCompletion", "deleteDelayDuration": "30s"}})
        spec["templates"][1]["timeout"] = "60s"
    elif variant == "memo":
        spec["templates"][1]["memoize"] = {"key": "k", "maxAge": "1h", "cache": {"configMap": {"name": "fz-memo"}}}
    elif variant == "script":
        spec["templates"][1] = {"name": "t", "script": {"image": "alpine", "command": ["sh"], "source": "true"}}
    elif variant == "exit":
        spec["onExit"] = "t"
    return spec


WFT_NAMES = ["fz-wft", "fz-wft-1", "fz-wft-2"]
CWFT_NAMES = ["fz-cwft", "fz-cwft-1", "fz-cwft-2"]
CRON_NAMES = ["fz-cron", "fz-cron-1", "fz-cron-2"]
WF_FIXTURES = ["fz-susp", "fz-fail", "fz-done"]
ACTIONS = ["suspend", "resume", "stop", "terminate", "retry", "resubmit", "set"]


def workflow_doc(g, name=None):
    meta = {"name": name} if name else {"generateName": "fz-"}
    if g.chance(0.3):
        meta["labels"] = {"fuzz": "yes"}
    return {"metadata": meta, "spec": workflow_spec(g)}


def cron_doc(g, name):
    spec = {"schedule": "0 0 1 1 *", "suspend": True, "workflowSpec": workflow_spec(g)}
    if g.chance(0.5):
        spec.update({"concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 0,
                     "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1, "timezone": "UTC"})
    return {"metadata": {"name": name}, "spec": spec}


def control_body(g, action):
    if action == "resume":
        return g.pick([{}, {"nodeFieldSelector": "displayName=wait"}, {"nodeFieldSelector": ""}])
    if action == "set":
        return {"nodeFieldSelector": "displayName=wait", "outputParameters": json.dumps({"o": "1"}),
                "message": "m", "phase": g.pick(["Succeeded", "Failed", ""])}
    if action == "resubmit":
        return g.pick([{}, {"parameters": ["p=v"]}, {"memoized": False}])
    if action == "stop":
        return g.pick([{}, {"nodeFieldSelector": "displayName=wait", "message": "stop"}])
    return {}


def wf_target(g):
    pool = WF_FIXTURES + g.created[-6:]
    if g.chance(0.1):
        return str(g.hostile(False)) if g.chance(0.5) else g.pick(HOSTILE_STRINGS)
    return g.pick(pool)


def fuzz_ns(g):
    r = g.rng.random()
    if r < 0.8:
        return FUZZ_NS
    if r < 0.92:
        return "default"
    return g.pick(HOSTILE_STRINGS) or "x"


def seg(s):
    return urllib.parse.quote(to_bytes(str(s)), safe="")


# ---------------------------------------------------------------------------------------------------------------
# Mutations.


def nodes(tree):
    """(container, key, value) for every node below the root (not inside Raw values)."""
    out = []
    stack = [tree]
    while stack:
        c = stack.pop()
        items = c.items() if isinstance(c, dict) else enumerate(c)
        for k, v in items:
            out.append((c, k, v))
            if isinstance(v, (dict, list)):
                stack.append(v)
    return out


def positions(tree):
    specs, templates, steps, crons = [], [], [], []
    for c, k, v in nodes(tree):
        if not isinstance(v, dict):
            continue
        if "templates" in v or "entrypoint" in v:
            specs.append(v)
        if "schedule" in v or "workflowSpec" in v:
            crons.append(v)
        if isinstance(c, list) and ("container" in v or "steps" in v or "dag" in v or "script" in v
                                    or "suspend" in v):
            templates.append(v)
        if isinstance(c, list) and "template" in v:
            steps.append(v)
    return specs, templates, steps, crons


def retry_strategy(g):
    rs = {}
    if g.chance(0.8):
        rs["limit"] = g.number()
    if g.chance(0.6):
        b = {}
        for key in ("duration", "factor", "maxDuration", "cap"):
            if g.chance(0.6):
                b[key] = g.number() if key == "factor" else g.duration()
        rs["backoff"] = b
    if g.chance(0.2):
        rs["retryPolicy"] = g.pick(["Always", "OnError", "nope"])
    return rs


def inject(g, tree, safe):
    specs, templates, steps, crons = positions(tree)
    choices = []
    if specs:
        choices += ["spec"] * 3
    if templates:
        choices += ["template"] * 3
    if steps:
        choices += ["step"] * (2 if not safe else 1)
    if crons:
        choices += ["cron"] * 3
    if not choices:
        return "inject: no position"
    where = g.pick(choices)
    if where == "spec":
        target = g.pick(specs)
        key = g.pick(["parallelism", "activeDeadlineSeconds", "priority", "ttlStrategy", "podGC",
                      "retryStrategy", "suspend"])
        if key == "ttlStrategy":
            target[key] = {g.pick(["secondsAfterCompletion", "secondsAfterSuccess", "secondsAfterFailure"]):
                           g.number()}
        elif key == "podGC":
            target[key] = {"strategy": g.pick(["OnPodCompletion", "OnWorkflowSuccess", "x"]),
                           "deleteDelayDuration": g.duration()}
        elif key == "retryStrategy":
            target[key] = retry_strategy(g)
        elif key == "suspend":
            target[key] = g.pick([True, False, None, Raw("1"), "true"])
        else:
            target[key] = g.number()
    elif where == "template":
        target = g.pick(templates)
        key = g.pick(["parallelism", "activeDeadlineSeconds", "retryStrategy", "timeout", "suspend", "memoize",
                      "priority", "retryStrategy"])
        if key == "retryStrategy":
            target[key] = retry_strategy(g)
        elif key == "timeout":
            target[key] = g.duration()
        elif key == "suspend":
            target[key] = {"duration": g.duration()}
            if g.chance(0.7):
                for k in ("container", "steps", "dag", "script"):
                    target.pop(k, None)
        elif key == "memoize":
            target[key] = {"key": g.pick(["k", "", "{{workflow.name}}"]), "maxAge": g.duration(),
                           "cache": {"configMap": {"name": g.pick(["fz-memo", "", "a/b", NAME_300])}}}
        else:
            target[key] = g.number()
    elif where == "step":
        target = g.pick(steps)
        key = g.pick(["withSequence", "withSequence", "withItems", "withParam", "when"])
        for k in ("withSequence", "withItems", "withParam"):
            target.pop(k, None)
        if key == "withSequence":
            ws = {}
            for k in ("count", "start", "end"):
                if g.chance(0.6):
                    ws[k] = g.number()
            if g.chance(0.2):
                ws["format"] = g.pick(["%d", "%s%s%s%n", "%99999999d", ""])
            target[key] = ws
        elif key == "withItems":
            if not safe and g.budget["withitems100k"] > 0 and g.chance(0.1):
                g.budget["withitems100k"] -= 1
                target[key] = Huge.get("withitems100k")
            else:
                target[key] = [g.hostile(False) for _ in range(g.rng.randrange(0, 6))]
        elif key == "withParam":
            target[key] = g.pick(['[1,2]', "[" + ",".join(["1"] * 5000) + "]", "not json", "{{=1/0}}",
                                  '{"a":1}', "[" + "[" * 600 + "]" * 600 + "]", ""])
        else:
            target[key] = g.pick(["{{=1/0}}", "1 == ", "true", "{{workflow.parameters.p}} == v", "((((((",
                                  "{{steps.nope.outputs.result}} > 1e19"])
    else:
        target = g.pick(crons)
        key = g.pick(["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit",
                      "schedule", "schedule", "schedules", "timezone", "concurrencyPolicy"])
        if key == "schedule":
            target[key] = g.pick(SCHEDULES) if g.chance(0.85) else g.hostile(False)
        elif key == "schedules":
            target[key] = [g.pick(SCHEDULES) for _ in range(g.rng.randrange(0, 4))]
        elif key == "timezone":
            target[key] = g.pick(TIMEZONES)
        elif key == "concurrencyPolicy":
            target[key] = g.pick(CONCURRENCY)
        else:
            target[key] = g.number()
    v = target[key]
    return "inject %s.%s=%s" % (where, key, dumps(v)[:60] if not isinstance(v, Raw) else v.label)


def mutate(g, body, safe=False):
    """Applies 0-3 structural mutations to body (in place); returns a description."""
    n = g.pick([0, 1, 1, 1, 2, 2, 3]) if not safe else g.pick([0, 1, 1])
    done = []
    for _ in range(n):
        r = g.rng.random()
        all_nodes = nodes(body)
        if not all_nodes:
            break
        if r < 0.2:
            leaves = [x for x in all_nodes if not isinstance(x[2], (dict, list))] or all_nodes
            c, k, _v = g.pick(leaves)
            c[k] = g.hostile(not safe)
            done.append("leaf %s=%s" % (k, _label(c[k])))
        elif r < 0.28:
            subs = [x for x in all_nodes if isinstance(x[2], (dict, list))] or all_nodes
            c, k, _v = g.pick(subs)
            c[k] = g.hostile(not safe)
            done.append("subtree %s=%s" % (k, _label(c[k])))
        elif r < 0.38:
            dicts = [x for x in all_nodes if isinstance(x[0], dict)]
            if dicts:
                c, k, _v = g.pick(dicts)
                del c[k]
                done.append("delete %s" % k)
        elif r < 0.45:
            holders = [x[2] for x in all_nodes if isinstance(x[2], dict)] + [body]
            h = g.pick(holders)
            key = g.pick(["unknownKey", "x-fuzz", "", "$ref", "__proto__", "metadata", "spec", "😀", NAME_300])
            h[key] = g.hostile(not safe)
            done.append("insert %s=%s" % (key[:20], _label(h[key])))
        elif r < 0.9:
            done.append(inject(g, body, safe))
        else:
            metas = [x[2] for x in all_nodes if x[1] == "metadata" and isinstance(x[2], dict)]
            if metas:
                m = g.pick(metas)
                key = g.pick(["name", "name", "namespace", "generateName", "labels", "annotations"])
                if key in ("labels", "annotations"):
                    m[key] = {g.pick(HOSTILE_STRINGS): g.pick(HOSTILE_STRINGS)}
                else:
                    m[key] = g.pick(HOSTILE_STRINGS) if g.chance(0.8) else g.hostile(False)
                done.append("meta %s=%s" % (key, _label(m[key])))
    return "; ".join(done) or "valid"


def _label(v):
    if isinstance(v, Raw):
        return v.label
    t = dumps(v)
    return t if len(t) <= 40 else t[:30] + "…(%d chars)" % len(t)


# ---------------------------------------------------------------------------------------------------------------
# Cases.


class Case:
    __slots__ = ("method", "path", "body", "headers", "stream", "note", "index")

    def __init__(self, method, path, body=None, headers=None, stream=False, note=""):
        self.method = method
        self.path = path
        self.body = body  # bytes or None
        self.headers = headers if headers is not None else {}
        # GETs of the log and of workflow-events are streams wherever they come from.
        p = path.split("?", 1)[0]
        self.stream = stream or (method == "GET" and (re.match(r"/api/v1/workflow-events(/[^/]*)?$", p) is not None or
                                                      re.match(r"/api/v1/workflows/[^/]+/[^/]+/log$", p) is not None))
        self.note = note
        self.index = -1


def json_case(g, method, path, body, note, safe=False):
    ascii_only = g.chance(0.7)
    text = dumps(body, ascii_only)
    headers = {"Content-Type": "application/json"}
    return Case(method, path, to_bytes(text), headers, note=note)


def case_seed(g, i):
    """(a): a seed body for a POST/PUT endpoint, mutated."""
    kind = g.pick(["wf-create"] * 5 + ["wf-lint"] * 2 + ["wft-create", "wft-lint", "wft-update", "cwft-create",
                                                       "cwft-lint", "cwft-update", "cron-create", "cron-lint",
                                                       "cron-update", "cron-toggle", "submit", "submit",
                                                       "control", "control", "control", "archived"])
    ns = fuzz_ns(g)
    if kind == "wf-create":
        real = g.chance(0.12)
        if real:
            name = "fz-s%d-%d" % (g.seed, i)
            wf = workflow_doc(g, name)
            body = {"workflow": wf}
            if g.chance(0.5):
                body["serverDryRun"] = False
            # Half of them carry one numeric field, so that the controller (not only the parser) meets it.
            note = inject(g, body, safe=True) if g.chance(0.5) else mutate(g, body, safe=True)
            w = body.get("workflow")
            meta = w.get("metadata") if isinstance(w, dict) else None
            if isinstance(meta, dict) and meta.get("name") == name:
                g.created.append(name)
            return json_case(g, "POST", "/api/v1/workflows/%s" % seg(ns), body, "real create: " + note)
        body = {"workflow": workflow_doc(g), "serverDryRun": True}
        if g.chance(0.1):
            body["workflow"]["spec"] = {"workflowTemplateRef": {"name": g.pick(WFT_NAMES)}}
        note = mutate(g, body)
        return json_case(g, "POST", "/api/v1/workflows/%s" % seg(ns), body, "dry run: " + note)
    if kind == "wf-lint":
        body = {"workflow": workflow_doc(g)}
        return json_case(g, "POST", "/api/v1/workflows/%s/lint" % seg(ns), body, mutate(g, body))
    if kind.startswith("wft") or kind.startswith("cwft"):
        cluster = kind.startswith("cwft")
        name = g.pick(CWFT_NAMES if cluster else WFT_NAMES)
        base = "/api/v1/cluster-workflow-templates" if cluster else "/api/v1/workflow-templates/%s" % seg(ns)
        body = {"template": {"metadata": {"name": name}, "spec": workflow_spec(g)}}
        note = mutate(g, body, safe=not kind.endswith("lint"))
        if kind.endswith("create"):
            return json_case(g, "POST", base, body, note)
        if kind.endswith("lint"):
            return json_case(g, "POST", base + "/lint", body, note)
        return json_case(g, "PUT", base + "/" + seg(name), body, note)
    if kind.startswith("cron"):
        name = g.pick(CRON_NAMES)
        base = "/api/v1/cron-workflows/%s" % seg(ns)
        if kind == "cron-toggle":
            action = g.pick(["suspend", "resume"])
            body = g.pick([{}, {"name": name, "namespace": ns}])
            return json_case(g, "PUT", "%s/%s/%s" % (base, seg(name), action), body, mutate(g, body))
        body = {"cronWorkflow": cron_doc(g, name)}
        note = mutate(g, body, safe=not kind.endswith("lint"))
        if kind == "cron-create":
            return json_case(g, "POST", base, body, note)
        if kind == "cron-lint":
            return json_case(g, "POST", base + "/lint", body, note)
        return json_case(g, "PUT", base + "/" + seg(name), body, note)
    if kind == "submit":
        rk = g.pick(["WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow", "Workflow", ""])
        rn = {"WorkflowTemplate": WFT_NAMES, "ClusterWorkflowTemplate": CWFT_NAMES,
              "CronWorkflow": CRON_NAMES}.get(rk, WF_FIXTURES)
        opts = {"parameters": ["p=v"], "entryPoint": "main", "generateName": "fz-sub-", "labels": "a=b",
                "serviceAccount": "default", "dryRun": g.chance(0.8)}
        body = {"resourceKind": rk, "resourceName": g.pick(rn), "submitOptions": opts}
        return json_case(g, "POST", "/api/v1/workflows/%s/submit" % seg(ns), body, mutate(g, body, safe=True))
    if kind == "control":
        action = g.pick(ACTIONS)
        body = control_body(g, action)
        note = mutate(g, body, safe=True)
        return json_case(g, "PUT", "/api/v1/workflows/%s/%s/%s" % (seg(ns), seg(wf_target(g)), action), body,
                         note)
    # archived
    uid = g.pick(["00000000-0000-0000-0000-000000000000", "x", "..", "%00", "a" * 300, "' OR 1=1 --"])
    action = g.pick(["retry", "resubmit"])
    return json_case(g, "PUT", "/api/v1/archived-workflows/%s/%s" % (seg(uid), action), {}, "archived")


QUERY_KEYS = ["listOptions.limit", "listOptions.continue", "fields", "listOptions.labelSelector",
              "listOptions.fieldSelector", "logOptions.follow", "podName", "logOptions.container",
              "logOptions.tailLines", "logOptions.sinceSeconds", "grep", "namespace",
              "listOptions.resourceVersion", "listOptions.timeoutSeconds"]
QUERY_VALUES = ["1e19", "-1", "0", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "abc",
                "", "1", "2", "..", "\u0000", "' OR 1=1 --", "héllo-ü", "a" * 300, ",", "-", "!", "=", "==",
                "!=", "a=b", "a!=b", "!a", "a", "fuzz=yes", "metadata.name=fz-done", "status.phase=Succeeded",
                "status.phase!=Running", "metadata.uid=x", "nope=1", "items.metadata.name",
                "-items.status.nodes", "metadata,items.metadata.name", "items." * 500, ".", "..,..", "true",
                "false", "result.object.metadata.name", "-", "-,", ",,,,", "-metadata", "items", "a" * 5000,
                "=" * 100, "!" * 100, "main", "fz-done", "{{workflow.name}}"]


def query_string(g, keys):
    parts = []
    for _ in range(g.rng.randrange(1, 4)):
        k = g.pick(keys)
        v = g.pick(QUERY_VALUES)
        if g.chance(0.05):
            parts.append(g.pick(["%zz", "%", "a=%", "=x", "&&&", "fields", "listOptions.limit=%00"]))
        else:
            parts.append(seg(k) + "=" + seg(v))
    return "?" + "&".join(parts)


def case_query(g):
    """(b): query options on list / get / log / event paths."""
    ns = fuzz_ns(g)
    r = g.rng.random()
    if r < 0.04:
        # watch: a short-lived stream
        headers = {"Accept": "text/event-stream"} if g.chance(0.3) else {}
        path = "/api/v1/workflow-events/%s" % seg(ns) + query_string(g, QUERY_KEYS)
        return Case("GET", path, None, headers, stream=True, note="watch")
    if r < 0.14:
        wf = g.pick(WF_FIXTURES + g.created[-4:] + ["nope"])
        headers = {"Accept": "text/event-stream"} if g.chance(0.2) else {}
        q = query_string(g, ["logOptions.follow", "podName", "logOptions.container", "logOptions.tailLines",
                             "grep", "fields"])
        return Case("GET", "/api/v1/workflows/%s/%s/log%s" % (seg(ns), seg(wf), q), None, headers, stream=True,
                    note="log")
    base = g.pick(["/api/v1/workflows", "/api/v1/workflows/%s" % seg(ns), "/api/v1/workflows/%s" % seg(ns),
                   "/api/v1/workflows/%s/%s" % (seg(ns), seg(g.pick(WF_FIXTURES))),
                   "/api/v1/workflow-templates", "/api/v1/workflow-templates/%s" % seg(ns),
                   "/api/v1/workflow-templates/%s/fz-wft" % seg(ns), "/api/v1/cluster-workflow-templates",
                   "/api/v1/cron-workflows", "/api/v1/cron-workflows/%s" % seg(ns),
                   "/api/v1/cron-workflows/%s/fz-cron" % seg(ns), "/api/v1/archived-workflows"])
    return Case("GET", base + query_string(g, QUERY_KEYS), note="query")


def known_path(g):
    ns = seg(fuzz_ns(g))
    wf = seg(wf_target(g))
    return g.pick([
        "/api/v1/version", "/api/v1/info", "/api/v1/userinfo", "/healthz", "/readyz", "/metrics",
        "/api/v1/workflows", "/api/v1/workflows/" + ns, "/api/v1/workflows/%s/lint" % ns,
        "/api/v1/workflows/%s/submit" % ns, "/api/v1/workflows/%s/%s" % (ns, wf),
        "/api/v1/workflows/%s/%s/%s" % (ns, wf, g.pick(ACTIONS)), "/api/v1/workflows/%s/%s/log" % (ns, wf),
        "/api/v1/workflow-templates", "/api/v1/workflow-templates/" + ns,
        "/api/v1/workflow-templates/%s/lint" % ns, "/api/v1/workflow-templates/%s/%s" % (ns, g.pick(WFT_NAMES)),
        "/api/v1/cluster-workflow-templates", "/api/v1/cluster-workflow-templates/lint",
        "/api/v1/cluster-workflow-templates/" + g.pick(CWFT_NAMES), "/api/v1/cron-workflows",
        "/api/v1/cron-workflows/" + ns, "/api/v1/cron-workflows/%s/lint" % ns,
        "/api/v1/cron-workflows/%s/%s" % (ns, g.pick(CRON_NAMES)),
        "/api/v1/cron-workflows/%s/%s/%s" % (ns, g.pick(CRON_NAMES), g.pick(["suspend", "resume"])),
        "/api/v1/archived-workflows", "/api/v1/archived-workflows/x", "/api/v1/archived-workflows/x/retry",
        "/api/v1/archived-workflows/x/resubmit"])


UNKNOWN_PATHS = ["/api/v1/nope", "/api/v2/x", "/api/v1/workflows/a/b/c/d/e", "/api/v1/workflows/fuzz/%2e%2e/%2e%2e",
                 "/api/v1/workflows/fuzz/%00", "/api/v1/%00", "/api/v1/" + "a" * 5000,
                 "/api/v1/workflows/fuzz/" + "b" * 20000, "/", "/api", "/api/v1", "/api/v1/",
                 "//api//v1//workflows", "/api/v1/workflows/fuzz/fz-done/nope", "/metrics/x", "/healthz/",
                 "/api/v1/workflows/fuzz?x=%zz", "/%", "/api/v1/workflow-events/fuzz/extra", "/nope",
                 "/api/v1/workflow-events", "/api/v1/cluster-workflow-templates/a/b", "/api/v1/..%2f..%2fetc",
                 "/api/v1/workflows/%2e%2e", "/api/v1/cron-workflows/fuzz/fz-cron/nope",
                 "/api/v1/archived-workflows/x/y/z", "/.%2e/.%2e/etc/passwd", "/api/v1/workflows/fuzz/%ff%fe",
                 "/api/v1/info/", "/api/v1/version?x=1"]


def malformed_body(g):
    """(c): malformed request bodies; returns (bytes, content-type or None, label)."""
    good = dumps({"workflow": workflow_doc(g)})
    r = g.pick(["invalid", "truncated", "toplevel", "ctype", "empty", "utf8", "tokens", "dupes", "trailing",
                "bignum", "big", "bom", "deep"])
    if r == "invalid":
        return g.pick([b"{", b"}", b"{\"workflow\":}", b"not json", b"{'a': 1}", b"{\"a\" 1}", b"[1,]",
                       b"{\"a\":1,}", b"\"unterminated", b"{\"a\":\"\\x\"}", b"{\"a\":\"\\u12\"}"]), \
            "application/json", "invalid JSON"
    if r == "truncated":
        cut = g.rng.randrange(1, len(good))
        return to_bytes(good[:cut]), "application/json", "truncated at %d" % cut
    if r == "toplevel":
        return g.pick([b"[]", b"[{\"workflow\":{}}]", b"1", b"-1e400", b"\"s\"", b"null", b"true",
                       b"1e19"]), "application/json", "top-level non-object"
    if r == "ctype":
        return to_bytes(good), g.pick(["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                       "application/json; charset=utf-16", "", "application/xml", None]), \
            "wrong content-type"
    if r == "empty":
        return b"", "application/json", "empty body"
    if r == "utf8":
        return g.pick([b"{\"workflow\":{\"metadata\":{\"name\":\"\xff\xfe\"}}}", b"\xff\xfe{}",
                       b"{\"a\":\"\xc3\"}", b"{\"\xed\xa0\x80\":1}"]), "application/json", "invalid UTF-8"
    if r == "tokens":
        return g.pick([b"{\"a\":NaN}", b"{\"a\":Infinity}", b"{\"a\":-Infinity}", b"{\"a\":undefined}",
                       b"{\"a\":01}", b"{\"a\":1.}", b"{\"a\":.5}", b"{\"a\":+1}", b"{\"a\":0x10}",
                       b"{\"a\":1e}", b"{\"a\":-}"]), "application/json", "bad tokens"
    if r == "dupes":
        return b"{\"workflow\":{},\"workflow\":{\"metadata\":{\"name\":\"fz-dupe\"}}}", "application/json", "dupes"
    if r == "trailing":
        return to_bytes(good) + g.pick([b"{}", b"]", b" x", b"\x00"]), "application/json", "trailing garbage"
    if r == "bignum":
        return b"{\"workflow\":" + b"1" * 100000 + b"}", "application/json", "100000-digit number"
    if r == "deep":
        depth = g.pick([600, 5000])
        return b"{\"workflow\":" + b"{\"a\":" * depth + b"1" + b"}" * depth + b"}", "application/json", \
            "objects nested %d deep" % depth
    if r == "bom":
        return b"\xef\xbb\xbf" + to_bytes(good), "application/json", "UTF-8 BOM"
    # big: over 4 MiB (rare)
    if g.budget["str5mb"] > 0 and g.chance(0.3):
        g.budget["str5mb"] -= 1
        return b"{\"workflow\":" + to_bytes(Huge.get("str5mb").text) + b"}", "application/json", "body over 4 MiB"
    return b"{}", "application/json", "{}"


POST_PUT_PATHS = ["/api/v1/workflows/fuzz", "/api/v1/workflows/fuzz/lint", "/api/v1/workflows/fuzz/submit",
                  "/api/v1/workflow-templates/fuzz", "/api/v1/workflow-templates/fuzz/lint",
                  "/api/v1/cluster-workflow-templates", "/api/v1/cluster-workflow-templates/lint",
                  "/api/v1/cron-workflows/fuzz", "/api/v1/cron-workflows/fuzz/lint"]
PUT_PATHS = ["/api/v1/workflows/fuzz/fz-susp/%s" % a for a in ACTIONS] + [
    "/api/v1/workflow-templates/fuzz/fz-wft", "/api/v1/cluster-workflow-templates/fz-cwft",
    "/api/v1/cron-workflows/fuzz/fz-cron", "/api/v1/cron-workflows/fuzz/fz-cron/suspend",
    "/api/v1/archived-workflows/x/retry"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]


def case_methods(g):
    r = g.rng.random()
    if r < 0.4:
        # malformed body to a POST/PUT endpoint
        if g.chance(0.7):
            method, path = "POST", g.pick(POST_PUT_PATHS)
        else:
            method, path = "PUT", g.pick(PUT_PATHS)
        body, ctype, label = malformed_body(g)
        headers = {"Content-Type": ctype} if ctype is not None else {}
        return Case(method, path, body, headers, note="malformed: " + label)
    if r < 0.75:
        method = g.pick(METHODS)
        path = known_path(g)
        body = None
        if method in ("POST", "PUT", "PATCH") or g.chance(0.2):
            body = g.pick([b"{}", b"", b"[]", b"{\"a\":1}", to_bytes(dumps({"workflow": workflow_doc(g)}))])
        return Case(method, path, body, {"Content-Type": "application/json"} if body is not None else {},
                    note="method on known path")
    method = g.pick(METHODS)
    path = g.pick(UNKNOWN_PATHS)
    return Case(method, path, b"{}" if method in ("POST", "PUT") else None, {}, note="unknown path")


def mentions_keep(case):
    p = case.path.lower()
    for _ in range(3):
        p = urllib.parse.unquote(p)
    if "keep" in p.lower():
        return True
    return case.body is not None and b"keep" in case.body.lower()


def generate(g, i):
    while True:
        r = g.rng.random()
        if r < 0.55:
            c = case_seed(g, i)
        elif r < 0.75:
            c = case_query(g)
        else:
            c = case_methods(g)
        if g.chance(0.02):
            c.headers["Authorization"] = g.pick(["Bearer ", "Bearer x", "Basic YTpi", "bearer", "Bearer " + "a" * 5000,
                                                 "Bearer \u00e9"])
            c.note += " [auth mangled]"
        if not mentions_keep(c):
            return c


# ---------------------------------------------------------------------------------------------------------------
# HTTP.


class Died(Exception):
    pass


class Server:
    """How to tell whether the server lives; in --spawn mode also how to start it again."""

    def __init__(self, args):
        self.args = args
        self.pid = args.server_pid
        self.proc = None
        self.stderr_path = args.server_stderr
        self.home = None
        self.starts = 0
        self.base = args.base
        if args.spawn:
            self.home = args.spawn_home or tempfile.mkdtemp(prefix="argosy-fuzz-")
            self.start()

    def start(self):
        a = self.args
        self.starts += 1
        prefix = a.spawn_stderr or os.path.join(self.home, "server")
        self.stderr_path = "%s.%d.stderr" % (prefix, self.starts)
        out_path = os.path.join(self.home, "server.%d.stdout" % self.starts)
        env = dict(os.environ, ARGOSY_HOME=self.home)
        # Only the crashed thread's backtrace: symbolicating every thread of a debug build takes ~8 s.
        env.setdefault("SWIFT_BACKTRACE", "threads=crashed,registers=none,images=none,limit=40,top=30")
        port = "0" if self.starts == 1 else str(urllib.parse.urlsplit(self.base).port)
        cmd = [a.spawn, "server", "--port", port, "--auth-mode", a.auth_mode]
        with open(out_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.time() + 60
        while time.time() < deadline:
            with open(out_path, "rb") as f:
                m = re.search(rb"listening on (http://[0-9.:]+)", f.read())
            if m:
                self.base = m.group(1).decode()
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit("api-fuzz: could not start %s (see %s)" % (" ".join(cmd), self.stderr_path))

    def mint(self, name, namespace=None):
        cmd = [self.args.spawn, "auth", "token", "--name", name] + (["--namespace", namespace] if namespace else [])
        out = subprocess.run(cmd, env=dict(os.environ, ARGOSY_HOME=self.home), capture_output=True, check=True)
        return out.stdout.decode().strip().splitlines()[-1]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def process_alive(self):
        if self.proc is not None:
            return self.proc.poll() is None
        if not self.pid:
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            return state not in ("Z", "X")
        except (OSError, IndexError):
            return True

    def stderr_tail(self, lines=40):
        if not self.stderr_path or not os.path.exists(self.stderr_path):
            return []
        with open(self.stderr_path, "rb") as f:
            data = f.read()[-200000:].decode("utf-8", "replace").splitlines()
        return data[-lines:]

    def wait_exit(self, seconds=20):
        """Gives a crashing server time to write its backtrace and exit."""
        end = time.time() + seconds
        while time.time() < end and self.process_alive():
            time.sleep(0.1)
        if self.proc is None:
            time.sleep(0.3)

    def crash_lines(self):
        """The informative lines of a crash on stderr: fatal error, first frames in Sources/."""
        tail = self.stderr_tail(400)
        keep = []
        for line in tail:
            s = line.strip()
            if re.search(r"Fatal error|Program crashed|Precondition failed|Assertion failed|fatal error|"
                         r"free\(\)|munmap_chunk|malloc|double free|corrupted|"
                         r"Crash|Thread \d+ crashed|Illegal instruction|Segmentation|Aborted|Killed|"
                         r"Stack overflow|overflow", s) or ("/Sources/" in s and ".swift:" in s):
                keep.append(s)
        out, seen = [], set()
        for s in keep:
            frame = re.search(r"(/Sources/\S+\.swift:\d+)", s)
            k = frame.group(1) if frame else s
            if k not in seen:
                seen.add(k)
                out.append(s)
        return out[:10] or tail[-8:]


class Client:
    def __init__(self, base, token=None, timeout=REQUEST_LIMIT):
        self.set_base(base)
        self.token = token
        self.timeout = timeout
        self.conn = None

    def set_base(self, base):
        u = urllib.parse.urlsplit(base)
        self.scheme = u.scheme
        self.host = u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.base = base.rstrip("/")

    def new_conn(self, timeout=None):
        if self.scheme == "https":
            import ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.host, self.port, timeout=timeout or self.timeout, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)

    def close(self):
        if self.conn:
            try:
                self.conn.close()
            except OSError:
                pass
        self.conn = None

    def headers_for(self, headers):
        h = dict(headers)
        if self.token and "Authorization" not in h:
            h["Authorization"] = "Bearer " + self.token
        return h

    def request(self, method, path, body=None, headers=None, stream=False):
        """(status, headers, bytes, seconds). Raises OSError / http.client errors on connection trouble."""
        headers = self.headers_for(headers or {})
        if stream:
            return self._stream(method, path, body, headers)
        if self.conn is None:
            self.conn = self.new_conn()
        t0 = time.monotonic()
        try:
            try:
                self.conn.request(method, path, body=body, headers=headers)
            except (BrokenPipeError, ConnectionResetError):
                # The server may answer (413) before taking the whole body: read what it said.
                pass
            resp = self.conn.getresponse()
            data = b""
            if method != "HEAD":
                # The whole answer within the limit: a body that trickles forever (keep-alives) fails too.
                chunks = []
                while True:
                    chunk = resp.read1(1 << 20)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    if time.monotonic() - t0 > REQUEST_LIMIT:
                        self.close()
                        return resp.status, dict(resp.getheaders()), b"".join(chunks), time.monotonic() - t0
                chunks.append(resp.read())  # b"", and marks the response done so the connection is reused
                data = b"".join(chunks)
            if resp.will_close:
                self.close()
            return resp.status, dict(resp.getheaders()), data, time.monotonic() - t0
        except BaseException:
            self.close()
            raise

    def _stream(self, method, path, body, headers):
        conn = self.new_conn()
        t0 = time.monotonic()
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            elapsed = time.monotonic() - t0
            if resp.status != 200:
                return resp.status, dict(resp.getheaders()), resp.read(), time.monotonic() - t0
            conn.sock.settimeout(STREAM_READ)
            data = b""
            end = time.monotonic() + STREAM_READ
            while time.monotonic() < end and len(data) < 20_000_000:
                try:
                    chunk = resp.read1(65536)
                except (TimeoutError, socket.timeout):
                    break
                except http.client.IncompleteRead as e:
                    data += e.partial
                    break
                if not chunk:
                    break
                data += chunk
            return resp.status, dict(resp.getheaders()), data, elapsed
        finally:
            conn.close()

    def json(self, method, path, body=None):
        raw = None if body is None else to_bytes(dumps(body))
        status, _h, data, _t = self.request(method, path, raw, {"Content-Type": "application/json"})
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, data


def health(client_base, server, quick=False):
    """True when the process lives and /healthz answers (with one retry after 2 s)."""
    for attempt in range(1 if quick else 2):
        if attempt:
            time.sleep(2)
        if not server.process_alive():
            return False
        try:
            c = Client(client_base, timeout=5)
            status, _h, data, _t = c.request("GET", "/healthz")
            c.close()
            if status == 200:
                return True
        except (OSError, http.client.HTTPException):
            pass
    return False


# ---------------------------------------------------------------------------------------------------------------
# Checks.


def _strict_json(data):
    def bad_constant(c):
        raise ValueError("non-JSON constant " + c)

    return json.loads(data.decode("utf-8"), parse_constant=bad_constant)


def check_response(case, status, data, headers):
    """None when fine, else the reason."""
    if status >= 500:
        return "status %d" % status
    path = case.path.split("?", 1)[0]
    if 400 <= status < 500 and case.method != "HEAD":
        if not data:
            return "%d with an empty body (not Argo's error JSON)" % status
        try:
            v = _strict_json(data)
        except (ValueError, UnicodeDecodeError):
            return "%d body is not JSON" % status
        if not isinstance(v, dict):
            return "%d body is JSON but not an object" % status
        if not isinstance(v.get("code"), int) or isinstance(v.get("code"), bool):
            return "%d body lacks an integer \"code\"" % status
        if not isinstance(v.get("message"), str):
            return "%d body lacks a string \"message\"" % status
        return None
    if 200 <= status < 300 and case.method != "HEAD" and path.startswith("/api/"):
        if case.stream:
            return check_stream(data, headers)
        try:
            _strict_json(data)
        except (ValueError, UnicodeDecodeError) as e:
            return "%d body is not valid JSON (%s)" % (status, str(e)[:80])
    return None


def check_stream(data, headers):
    sse = "text/event-stream" in (headers.get("Content-Type") or headers.get("content-type") or "")
    lines = data.split(b"\n")
    lines.pop()  # incomplete (or empty) last line
    for line in lines:
        s = line.strip()
        if not s:
            continue
        if sse:
            if s.startswith(b":"):
                continue
            if not s.startswith(b"data:"):
                return "event stream line is not a data: frame: %r" % s[:80]
            s = s[5:].strip()
        try:
            v = _strict_json(s)
        except (ValueError, UnicodeDecodeError):
            return "stream line is not JSON: %r" % s[:80]
        if not isinstance(v, dict):
            return "stream line is not a JSON object: %r" % s[:80]
    return None


ROUTES = [(re.compile(p + r"$"), t) for p, t in [
    (r"/healthz", "/healthz"), (r"/readyz", "/readyz"), (r"/metrics", "/metrics"),
    (r"/api/v1/(version|info|userinfo)", r"/api/v1/\1"),
    (r"/api/v1/workflows/?", "/api/v1/workflows"),
    (r"/api/v1/workflows/[^/]+/lint", "/api/v1/workflows/{ns}/lint"),
    (r"/api/v1/workflows/[^/]+/submit", "/api/v1/workflows/{ns}/submit"),
    (r"/api/v1/workflows/[^/]+", "/api/v1/workflows/{ns}"),
    (r"/api/v1/workflows/[^/]+/[^/]+/log", "/api/v1/workflows/{ns}/{name}/log"),
    (r"/api/v1/workflows/[^/]+/[^/]+/(suspend|resume|stop|terminate|retry|resubmit|set)",
     r"/api/v1/workflows/{ns}/{name}/\1"),
    (r"/api/v1/workflows/[^/]+/[^/]+", "/api/v1/workflows/{ns}/{name}"),
    (r"/api/v1/workflow-events/?", "/api/v1/workflow-events"),
    (r"/api/v1/workflow-events/[^/]+", "/api/v1/workflow-events/{ns}"),
    (r"/api/v1/workflow-templates/?", "/api/v1/workflow-templates"),
    (r"/api/v1/workflow-templates/[^/]+/lint", "/api/v1/workflow-templates/{ns}/lint"),
    (r"/api/v1/workflow-templates/[^/]+", "/api/v1/workflow-templates/{ns}"),
    (r"/api/v1/workflow-templates/[^/]+/[^/]+", "/api/v1/workflow-templates/{ns}/{name}"),
    (r"/api/v1/cluster-workflow-templates/?", "/api/v1/cluster-workflow-templates"),
    (r"/api/v1/cluster-workflow-templates/lint", "/api/v1/cluster-workflow-templates/lint"),
    (r"/api/v1/cluster-workflow-templates/[^/]+", "/api/v1/cluster-workflow-templates/{name}"),
    (r"/api/v1/cron-workflows/?", "/api/v1/cron-workflows"),
    (r"/api/v1/cron-workflows/[^/]+/lint", "/api/v1/cron-workflows/{ns}/lint"),
    (r"/api/v1/cron-workflows/[^/]+", "/api/v1/cron-workflows/{ns}"),
    (r"/api/v1/cron-workflows/[^/]+/[^/]+/(suspend|resume)", r"/api/v1/cron-workflows/{ns}/{name}/\1"),
    (r"/api/v1/cron-workflows/[^/]+/[^/]+", "/api/v1/cron-workflows/{ns}/{name}"),
    (r"/api/v1/archived-workflows/?", "/api/v1/archived-workflows"),
    (r"/api/v1/archived-workflows/[^/]+", "/api/v1/archived-workflows/{uid}"),
    (r"/api/v1/archived-workflows/[^/]+/(retry|resubmit)", r"/api/v1/archived-workflows/{uid}/\1"),
]]


def route(path):
    p = path.split("?", 1)[0]
    for rx, template in ROUTES:
        m = rx.match(p)
        if m:
            return m.expand(template)
    return "<unknown path>"


def failure_class(case, reason, data, crash):
    r = re.sub(r"\d+ chars", "N chars", reason)
    if r.startswith("stream line") or r.startswith("event stream"):
        r = r.split(":")[0]
    where = route(case.path)
    if re.match(r"4\d\d (with an empty body|body)", r):
        # Argo's error shape missing: one class per status and kind of path, not per route.
        if where == "<unknown path>":
            key = "%s | unknown path" % r
        else:
            key = "%s | known path, method not served there" % r
            if case.method == "GET" and re.search(r"/(lint|submit)$", where):
                key = "%s | GET of a name that a literal route segment shadows (%s)" % (r, where)
        return key
    key = "%s | %s %s" % (r, case.method, where)
    if crash:
        sig = next((l for l in crash if re.search(r"Fatal error|Precondition|Assertion|free\(\)|munmap_chunk|"
                                                  r"malloc|corrupted", l)), crash[0])
        frames = [m.group(1) for l in crash for m in [re.search(r"/Sources/(\S+\.swift:\d+)", l)] if m]
        frame = next((f for f in frames if f.startswith("Argosy")), frames[0] if frames else "")
        key = "server died | %s | %s" % (re.sub(r"^.*?Fatal error: ", "", sig)[:110], frame)
    elif reason.startswith("status 5") and data:
        try:
            msg = json.loads(data).get("message", "")
        except (ValueError, AttributeError):
            msg = data[:80].decode("utf-8", "replace")
        key += " | " + re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "…", str(msg))[:100]
    return key


def curl(base, case, token):
    parts = ["curl", "-sS", "-i", "-X", case.method, shlex.quote(base + case.path)]
    for k, v in case.headers.items():
        parts += ["-H", shlex.quote("%s: %s" % (k, v))]
    if token and "Authorization" not in case.headers:
        parts += ["-H", shlex.quote("Authorization: Bearer " + token)]
    if case.body is not None:
        if len(case.body) <= 3000:
            try:
                parts += ["--data-binary", shlex.quote(case.body.decode("utf-8"))]
            except UnicodeDecodeError:
                parts += ["--data-binary", "@body.bin  # %d bytes, not UTF-8" % len(case.body)]
        else:
            parts += ["--data-binary", "@body.json  # %d bytes" % len(case.body)]
    return " ".join(parts)


def short(b, n=300):
    if b is None:
        return ""
    s = b[:n].decode("utf-8", "replace") if isinstance(b, bytes) else str(b)[:n]
    return s + ("…(%d bytes)" % len(b) if len(b) > n else "")


# ---------------------------------------------------------------------------------------------------------------
# The stored data that must survive.


def normalized(doc, workflow=False):
    if not isinstance(doc, dict):
        return doc
    meta = doc.get("metadata") or {}
    status = doc.get("status") or {}
    out = {"name": meta.get("name"), "namespace": meta.get("namespace"), "uid": meta.get("uid"),
           "labels": meta.get("labels"), "annotations": meta.get("annotations"), "spec": doc.get("spec"),
           "phase": status.get("phase")}
    if workflow:
        out["finishedAt"] = status.get("finishedAt")
        out["nodes"] = sorted((k, (v or {}).get("phase")) for k, v in (status.get("nodes") or {}).items())
    return out


KEEP_SPEC = {"entrypoint": "main", "templates": [
    {"name": "main", "steps": [[{"name": "a", "template": "t"}]]},
    {"name": "t", "container": {"image": "alpine", "command": ["true"]}}]}
KEEP_ITEMS = [
    ("workflow", "/api/v1/workflows/keep", "/api/v1/workflows/keep/keep-wf",
     {"workflow": {"metadata": {"name": "keep-wf", "labels": {"keep": "yes"}}, "spec": KEEP_SPEC}}),
    ("workflow-template", "/api/v1/workflow-templates/keep", "/api/v1/workflow-templates/keep/keep-wft",
     {"template": {"metadata": {"name": "keep-wft"}, "spec": KEEP_SPEC}}),
    ("cluster-workflow-template", "/api/v1/cluster-workflow-templates", "/api/v1/cluster-workflow-templates/keep-cwft",
     {"template": {"metadata": {"name": "keep-cwft"}, "spec": KEEP_SPEC}}),
    ("cron-workflow", "/api/v1/cron-workflows/keep", "/api/v1/cron-workflows/keep/keep-cron",
     {"cronWorkflow": {"metadata": {"name": "keep-cron"}, "spec": {
         "schedule": "0 0 1 1 *", "suspend": True, "workflowSpec": KEEP_SPEC}}}),
]
KEEP_LISTS = ["/api/v1/workflows/keep", "/api/v1/workflow-templates/keep", "/api/v1/cron-workflows/keep"]


def keep_setup(admin):
    for kind, create, get, body in KEEP_ITEMS:
        status, doc = admin.json("POST", create, body)
        if status not in (200, 409):
            raise SystemExit("api-fuzz: setup: POST %s answered %s: %s" % (create, status, short(str(doc))))
    deadline = time.time() + 60
    while True:
        status, doc = admin.json("GET", "/api/v1/workflows/keep/keep-wf")
        phase = ((doc or {}).get("status") or {}).get("phase") if isinstance(doc, dict) else None
        if phase == "Succeeded":
            break
        if phase in ("Failed", "Error") or time.time() > deadline:
            raise SystemExit("api-fuzz: setup: keep-wf did not succeed (status %s, phase %s)" % (status, phase))
        time.sleep(0.1)
    return keep_snapshot(admin)


def keep_snapshot(admin):
    snap = {}
    for kind, _create, get, _body in KEEP_ITEMS:
        status, doc = admin.json("GET", get)
        snap[get] = (status, normalized(doc, kind == "workflow"))
    for path in KEEP_LISTS:
        status, doc = admin.json("GET", path)
        names = sorted(((i or {}).get("metadata") or {}).get("name") for i in ((doc or {}).get("items") or [])) \
            if isinstance(doc, dict) else doc
        snap[path] = (status, names)
    return snap


def controller_progress(admin, seconds=20):
    """None when a new, trivial workflow in namespace fuzz finishes in time; else what happened."""
    body = {"workflow": {"metadata": {"generateName": "fz-final-"}, "spec": KEEP_SPEC}}
    try:
        status, doc = admin.json("POST", "/api/v1/workflows/fuzz", body)
        if status != 200 or not isinstance(doc, dict):
            return "creating it answered %s: %s" % (status, short(str(doc)))
        name = doc["metadata"]["name"]
        deadline = time.time() + seconds
        phase = None
        while time.time() < deadline:
            status, doc = admin.json("GET", "/api/v1/workflows/fuzz/" + name)
            phase = ((doc or {}).get("status") or {}).get("phase") if isinstance(doc, dict) else None
            if phase == "Succeeded":
                return None
            if phase in ("Failed", "Error"):
                return "%s ended %s" % (name, phase)
            time.sleep(0.2)
        return "the controller made no progress: %s still %s after %d s" % (name, phase or "unstarted", seconds)
    except (OSError, http.client.HTTPException, KeyError, TypeError) as e:
        admin.close()
        return "could not check: %r" % e


def fixtures(client):
    """Resources in namespace fuzz for the control and submit cases to act on (not cases themselves)."""
    g = Gen(0)
    items = [
        ("/api/v1/workflows/fuzz", {"workflow": {"metadata": {"name": "fz-susp"}, "spec": workflow_spec(g, "suspend")}}),
        ("/api/v1/workflows/fuzz", {"workflow": {"metadata": {"name": "fz-done"}, "spec": workflow_spec(g, "params")}}),
        ("/api/v1/workflows/fuzz", {"workflow": {"metadata": {"name": "fz-fail"}, "spec": {
            "entrypoint": "main", "templates": [{"name": "main", "container": {"image": "alpine",
                                                                              "command": ["false"]}}]}}}),
        ("/api/v1/workflow-templates/fuzz", {"template": {"metadata": {"name": "fz-wft"},
                                                          "spec": workflow_spec(g, "params")}}),
        ("/api/v1/cluster-workflow-templates", {"template": {"metadata": {"name": "fz-cwft"},
                                                             "spec": workflow_spec(g, "steps")}}),
        ("/api/v1/cron-workflows/fuzz", {"cronWorkflow": cron_doc(g, "fz-cron")}),
    ]
    for path, body in items:
        try:
            client.json("POST", path, body)
        except (OSError, http.client.HTTPException):
            client.close()


# ---------------------------------------------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", help="the server, http://127.0.0.1:PORT (not with --spawn)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--server-pid", type=int)
    ap.add_argument("--server-stderr", help="the server's stderr file, quoted in the report when it dies")
    ap.add_argument("--token", help="bearer token for the fuzz cases")
    ap.add_argument("--admin-token", help="bearer token for setting up and checking namespace keep "
                                          "(default: --token)")
    ap.add_argument("--report", help="write the result as JSON here")
    ap.add_argument("--no-regressions", action="store_true", help="skip the fixed REGRESSIONS cases")
    ap.add_argument("--trace", help="write one line per case here")
    ap.add_argument("--spawn", metavar="ARGOSY", help="start (and after a crash restart) this argosy binary")
    ap.add_argument("--spawn-home", help="ARGOSY_HOME for --spawn (default: a new temporary directory)")
    ap.add_argument("--spawn-stderr", help="prefix of the spawned servers' stderr files")
    ap.add_argument("--auth-mode", default="server", choices=["server", "client"], help="for --spawn")
    ap.add_argument("--token-namespace", help="with --spawn --auth-mode client: scope the fuzz token to this")
    args = ap.parse_args(argv)
    if bool(args.base) == bool(args.spawn):
        ap.error("give exactly one of --base and --spawn")

    server = Server(args)
    token, admin_token = args.token, args.admin_token or args.token
    if args.spawn and args.auth_mode == "client":
        stamp = "%d-%d" % (os.getpid(), int(time.time()))
        admin_token = server.mint("fuzz-admin-" + stamp)
        token = server.mint("fuzz-" + stamp, args.token_namespace) if args.token_namespace else admin_token
    base = server.base
    started = time.monotonic()

    if not health(base, server):
        print("api-fuzz: seed=%d cases=0 ok=0 failures=1 (server not healthy at %s)" % (args.seed, base))
        return 1
    admin = Client(base, admin_token)
    snapshot = keep_setup(admin)
    client = Client(base, token)
    fixtures(client)

    g = Gen(args.seed)
    failures, classes, warnings = [], {}, []
    ok = 0
    total = 0
    aborted = None
    trace = open(args.trace, "w") if args.trace else None
    regressions = [] if args.no_regressions else REGRESSIONS

    def cases():
        for k, (method, path, text) in enumerate(regressions):
            c = Case(method, path, None if text is None else to_bytes(text),
                     {"Content-Type": "application/json"} if text is not None else {}, note="regression %d" % k)
            yield c
        for i in range(args.cases):
            yield generate(g, i)

    def fail(case, status, data, reason, seconds, crash=None):
        key = failure_class(case, reason, data, crash)
        classes.setdefault(key, {"count": 0, "first": len(failures)})
        classes[key]["count"] += 1
        failures.append({"case": case.index, "method": case.method, "path": case.path, "status": status,
                         "sent": short(case.body), "received": short(data), "reason": reason, "class": key,
                         "note": case.note, "seconds": round(seconds, 3), "crash": crash or [],
                         "curl": curl(base, case, client.token)})

    health_client = Client(base, timeout=5)
    notes, recent_creates = [], []
    restart_seconds = 0.0
    for case in cases():
        case.index = total
        total += 1
        if case.method in ("POST", "PUT") and case.note.startswith(("real create", "regression")) or \
                re.match(r"/api/v1/(cron-workflows|workflow-templates|cluster-workflow-templates)", case.path) \
                and case.method in ("POST", "PUT") and "/lint" not in case.path:
            recent_creates.append("case %d" % case.index)
        status, data, seconds, reason, crash = None, b"", 0.0, None, None
        t0 = time.monotonic()
        for attempt in range(2):
            try:
                status, headers, data, seconds = client.request(case.method, case.path, case.body, case.headers,
                                                                case.stream)
                reason = check_response(case, status, data, headers)
                if seconds > REQUEST_LIMIT:
                    reason = (reason + "; " if reason else "") + "took %.1f s" % seconds
                break
            except (TimeoutError, socket.timeout):
                seconds = time.monotonic() - t0
                reason = "no answer within %.0f s" % REQUEST_LIMIT
                if not health(base, server):
                    reason = "server died (no answer within %.0f s)" % REQUEST_LIMIT
                break
            except (OSError, http.client.HTTPException) as e:
                client.close()
                if not health(base, server):
                    reason = "server died (%s)" % type(e).__name__
                    break
                if attempt == 1:
                    warnings.append("case %d %s %s: connection %s with the server alive" % (
                        case.index, case.method, case.path[:120], type(e).__name__))
        if reason is None and server.pid:
            # The contract: the process lives and /healthz answers after every case.
            try:
                hs, _h, _d, _t = health_client.request("GET", "/healthz")
                alive = hs == 200 and server.process_alive()
            except (OSError, http.client.HTTPException):
                health_client.close()
                alive = False
            if not alive and not health(base, server):
                reason = "server died after answering %s" % status
        if reason and reason.startswith("server died"):
            server.wait_exit()
            crash = server.crash_lines()
        if trace:
            trace.write("%d %s %s -> %s %.3fs %s%s\n" % (case.index, case.method, case.path[:200], status, seconds,
                                                       case.note, (" FAIL: " + reason) if reason else ""))
            trace.flush()
        if reason:
            fail(case, status, data, reason, seconds, crash)
        else:
            ok += 1
        if reason and reason.startswith("server died"):
            if args.spawn and server.starts < 40:
                t_restart = t0
                server.stop()
                server.start()
                base = server.base
                for c in (client, admin, health_client):
                    c.close()
                    c.set_base(base)
                time.sleep(1.0)
                if not health(base, server):
                    # It dies again by itself: what the store holds (a workflow the controller picks up) crashes
                    # it. Record that, and go on with a fresh ARGOSY_HOME.
                    server.wait_exit()
                    loop_case = Case("-", "(restart of the server on the same ARGOSY_HOME)", None, {},
                                     note="recent creates: " + ", ".join(recent_creates[-4:]))
                    loop_case.index = case.index
                    fail(loop_case, None, b"", "server died on restart: the stored data crashes it", 0.0,
                         server.crash_lines())
                    notes.append("case %d: the server crash-loops on its store; continued on a fresh ARGOSY_HOME"
                                 % case.index)
                    server.stop()
                    server.home = tempfile.mkdtemp(prefix="argosy-fuzz-")
                    server.start()
                    base = server.base
                    if args.auth_mode == "client":
                        stamp = "%d-%d" % (os.getpid(), server.starts)
                        admin.token = server.mint("fuzz-admin-" + stamp)
                        client.token = server.mint("fuzz-" + stamp, args.token_namespace) \
                            if args.token_namespace else admin.token
                    for c in (client, admin, health_client):
                        c.close()
                        c.set_base(base)
                    snapshot = keep_setup(admin)
                    fixtures(client)
                restart_seconds += time.monotonic() - t_restart
                continue
            aborted = "stopped after case %d: the server died" % case.index
            break
    if trace:
        trace.close()

    keep_diffs = []
    if aborted is None:
        progress = controller_progress(admin)
        if progress:
            keep_diffs.append({"path": "(controller)", "before": "a new workflow finishes", "after": progress})
    if aborted is None:
        try:
            after = keep_snapshot(admin)
            for key, before in snapshot.items():
                if after.get(key) != before:
                    keep_diffs.append({"path": key, "before": short(json.dumps(before), 600),
                                       "after": short(json.dumps(after.get(key)), 600)})
        except (OSError, http.client.HTTPException) as e:
            keep_diffs.append({"path": "(all)", "before": "", "after": "could not read: %r" % e})
    elapsed = time.monotonic() - started
    server.stop()

    nfail = len(failures) + len(keep_diffs)
    ordered = [failures[c["first"]] for c in classes.values()]
    ordered += [f for f in failures if f not in ordered]
    for f in ordered[:MAX_LISTED]:
        print("FAIL case %s: %s %s -> %s: %s" % (f["case"], f["method"], f["path"][:200], f["status"], f["reason"]))
        print("  sent: %s" % f["sent"].replace("\n", "\\n"))
        print("  received: %s" % f["received"].replace("\n", "\\n"))
        if f["note"]:
            print("  case: %s" % f["note"][:200])
        for line in f["crash"]:
            print("  stderr: %s" % line[:300])
    for d in keep_diffs:
        if d["path"] == "(controller)":
            print("FAIL controller: %s" % d["after"])
        else:
            print("FAIL keep data changed: %s\n  before: %s\n  after: %s" % (d["path"], d["before"], d["after"]))
    if classes:
        print("failure classes:")
        for key, c in sorted(classes.items(), key=lambda kv: -kv[1]["count"]):
            print("  %5d  %s" % (c["count"], key))
    for w in notes + warnings[:10]:
        print("note: " + w)
    if aborted:
        print("api-fuzz: " + aborted)
    extra = ", %.1f s of it restarting the server %d times" % (restart_seconds, server.starts - 1) \
        if server.starts > 1 else ""
    print("api-fuzz: seed=%d cases=%d ok=%d failures=%d (%.1f s%s)" % (args.seed, total, ok, nfail, elapsed, extra))
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"seed": args.seed, "cases": total, "ok": ok, "failures": nfail, "seconds": round(elapsed, 1),
                       "aborted": aborted, "classes": {k: v["count"] for k, v in classes.items()},
                       "failed_cases": failures, "keep_changed": keep_diffs, "warnings": warnings, "notes": notes,
                       "restart_seconds": round(restart_seconds, 1),
                       "server_starts": server.starts}, f, indent=1)
    return 0 if nfail == 0 and aborted is None else 1


if __name__ == "__main__":
    sys.exit(main())
