#!/usr/bin/env python3
"""Seeds fuzz/corpus/admission_review with AdmissionReview bodies built from the upstream Pod Security
conformance pods (../shared/conformance/psa/testdata): Pods and Deployments, CREATE and UPDATE, in the
namespaces the fuzz target knows (strict, older, shop). Needs PyYAML. See docs/fuzzing.md."""
import glob
import json
import os
import random
import sys
import uuid

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTDATA = os.path.join(ROOT, "..", "shared", "conformance", "psa", "testdata")
OUT = os.path.join(ROOT, "fuzz", "corpus", "admission_review")
COUNT = int(sys.argv[1]) if len(sys.argv) > 1 else 400


def review(pod, namespace, operation, as_deployment, uid):
    kind, group, resource, obj = "Pod", "", "pods", pod
    if as_deployment:
        kind, group, resource = "Deployment", "apps", "deployments"
        obj = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "d", "namespace": namespace},
            "spec": {"template": {"metadata": pod.get("metadata", {}), "spec": pod.get("spec", {})}},
        }
    request = {
        "uid": uid,
        "kind": {"group": group, "version": "v1", "kind": kind},
        "resource": {"group": group, "version": "v1", "resource": resource},
        "name": "p",
        "namespace": namespace,
        "operation": operation,
        "userInfo": {"username": "alice"},
        "object": obj,
    }
    if operation == "UPDATE":
        request["oldObject"] = obj
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def main():
    files = sorted(glob.glob(os.path.join(TESTDATA, "*", "v1.*", "*", "*.yaml")))
    if not files:
        sys.exit(f"no conformance pods under {TESTDATA}")
    rng = random.Random(7)
    rng.shuffle(files)
    os.makedirs(OUT, exist_ok=True)
    written = 0
    for i, path in enumerate(files[:COUNT]):
        with open(path, encoding="utf-8") as f:
            pod = yaml.safe_load(f)
        if not isinstance(pod, dict):
            continue
        body = review(
            pod,
            ["strict", "older", "shop"][i % 3],
            "UPDATE" if i % 4 == 0 else "CREATE",
            i % 5 == 1,
            str(uuid.UUID(int=rng.getrandbits(128))),
        )
        with open(os.path.join(OUT, f"conformance{written}.json"), "w", encoding="utf-8") as f:
            json.dump(body, f, separators=(",", ":"))
        written += 1
    print(f"{written} seeds in {OUT}")


if __name__ == "__main__":
    main()
