"""Hera, unchanged, against `argosy server`: build a DAG in Python, submit it, wait, read its outputs.

Run as: python3 Tests/scenarios/hera_dag.py --host http://127.0.0.1:PORT
Prints `N passed, M failed` last; exits non-zero on any failure.
"""
import argparse
import sys

from hera.shared import global_config
from hera.workflows import DAG, Parameter, Workflow, WorkflowsService, script

parser = argparse.ArgumentParser()
parser.add_argument("--host", required=True)
args = parser.parse_args()
global_config.host = args.host
global_config.verify_ssl = False


@script(image="python:3.12", outputs=[Parameter(name="total", value_from={"path": "/tmp/total"})])
def add(a: int, b: int):
    total = a + b
    with open("/tmp/total", "w") as f:
        f.write(str(total))
    print(f"sum={total}")


@script(image="python:3.12")
def report(value: str):
    print(f"report {value}")


with Workflow(generate_name="hera-dag-", entrypoint="main", namespace="default",
              workflows_service=WorkflowsService(host=args.host)) as w:
    with DAG(name="main"):
        first = add(name="first", arguments={"a": 1, "b": 2})
        second = add(name="second", arguments={"a": 3, "b": 4})
        final = report(name="final", arguments={"value": first.get_parameter("total")})
        [first, second] >> final

checks = []


def check(name, ok, detail=""):
    checks.append(ok)
    print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))


created = w.create()
check("create returns a named workflow", bool(created.metadata.name), str(created.metadata))
done = w.wait(poll_interval=1)
check("workflow succeeded", done.status.phase == "Succeeded", str(done.status.phase))
nodes = {n.display_name: n for n in (done.status.nodes or {}).values()}
check("every task ran", {"first", "second", "final"} <= set(nodes), str(sorted(nodes)))
first_out = nodes.get("first")
total = None
if first_out and first_out.outputs and first_out.outputs.parameters:
    total = {p.name: p.value for p in first_out.outputs.parameters}.get("total")
check("outputs are read back", total == "3", str(total))
check("result is stdout", (first_out.outputs.result if first_out and first_out.outputs else None) == "sum=3")
service = WorkflowsService(host=args.host)
listed = service.list_workflows(namespace="default")
check("list shows it", any(i.metadata.name == created.metadata.name for i in (listed.items or [])))
fetched = service.get_workflow(name=created.metadata.name, namespace="default")
check("get returns it", fetched.metadata.uid == created.metadata.uid)
service.delete_workflow(name=created.metadata.name, namespace="default")
listed = service.list_workflows(namespace="default")
check("delete removes it", not any(i.metadata.name == created.metadata.name for i in (listed.items or [])))

failed = checks.count(False)
print(f"{len(checks) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
