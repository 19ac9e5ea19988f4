"""The official `argo-workflows` Python client, unchanged, against `argosy server`.

Run as: python3 Tests/scenarios/argo_client.py --host http://127.0.0.1:PORT
Prints `N passed, M failed` last; exits non-zero on any failure.
"""
import argparse
import sys
import time

import argo_workflows
from argo_workflows.api import workflow_service_api
from argo_workflows.model.io_argoproj_workflow_v1alpha1_workflow_create_request import (
    IoArgoprojWorkflowV1alpha1WorkflowCreateRequest,
)

parser = argparse.ArgumentParser()
parser.add_argument("--host", required=True)
args = parser.parse_args()

manifest = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Workflow",
    "metadata": {"generateName": "client-"},
    "spec": {
        "entrypoint": "main",
        "templates": [
            {"name": "main", "steps": [[{"name": "hello", "template": "say"}]]},
            {"name": "say", "container": {"image": "alpine", "command": ["echo", "hello from the argo client"]}},
        ],
    },
}

checks = []


def check(name, ok, detail=""):
    checks.append(ok)
    print(("PASS " if ok else "FAIL ") + name + (f": {detail}" if detail and not ok else ""))


configuration = argo_workflows.Configuration(host=args.host)
with argo_workflows.ApiClient(configuration) as client:
    api = workflow_service_api.WorkflowServiceApi(client)
    request = IoArgoprojWorkflowV1alpha1WorkflowCreateRequest(workflow=manifest, _check_type=False)
    created = api.create_workflow(namespace="default", body=request, _check_return_type=False)
    name = created["metadata"]["name"]
    check("create", name.startswith("client-"), str(name))
    phase = ""
    for _ in range(150):
        got = api.get_workflow(namespace="default", name=name, _check_return_type=False)
        phase = (got.get("status") or {}).get("phase", "")
        if phase in ("Succeeded", "Failed", "Error"):
            break
        time.sleep(0.2)
    check("workflow succeeded", phase == "Succeeded", phase)
    listed = api.list_workflows(namespace="default", _check_return_type=False)
    check("list", any(i["metadata"]["name"] == name for i in (listed.get("items") or [])))
    api.delete_workflow(namespace="default", name=name, _check_return_type=False)
    try:
        api.get_workflow(namespace="default", name=name, _check_return_type=False)
        check("delete", False, "still there")
    except argo_workflows.ApiException as error:
        check("delete", error.status == 404, str(error.status))

failed = checks.count(False)
print(f"{len(checks) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
