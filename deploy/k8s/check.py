#!/usr/bin/env python3
"""Checks the rendered Kubernetes release (kubectl kustomize output) for what the manifests
promise, and the RUNBOOK's one-off pods against the same security policy.

  check.py RENDERED.yaml SHA RUNBOOK.md KUBECTL_RUNS.jsonl
                                            -> exit 1 with one line per problem
  (KUBECTL_RUNS.jsonl: the argument lists one-off.sh passed to a recording kubectl)
  check.py --self-test                      -> the checks must catch known-bad inputs

Checked:
  - every image is pinned to the commit SHA (no `latest`, no missing tag);
  - no Deployment that an HPA scales sets `replicas`; its init container runs the migrations
    and its serving containers never get MIGRATION_DATABASE_URL;
  - every pod template (and every `kubectl run --overrides` in the RUNBOOK) meets the
    "restricted" Pod Security Standard (policy version v1.30, the namespace's label);
  - the Ingress serves TLS; NetworkPolicies cover ingress and egress of every pod;
  - DATABASE_POOL_MAX x (HPA maxReplicas + rollout maxSurge) + backup + reserved connections
    fits MAX_CONNECTIONS (PostgreSQL's default 100).
"""

import json
import re
import shlex
import sys

import yaml

MAX_CONNECTIONS = 100  # PostgreSQL's default max_connections
SUPERUSER_RESERVED = 3  # its default superuser_reserved_connections
BACKUP_CONNECTIONS = 2  # pg_dump plus the checks of backup.sh

# Pod Security Standards, v1.30: https://kubernetes.io/docs/concepts/security/pod-security-standards/
RESTRICTED_VOLUME_TYPES = {
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
    "projected", "secret",
}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SELINUX_TYPES = {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}


def restricted_violations(spec, where):
    """Every way the pod spec breaks the restricted profile (baseline included)."""
    problems = []
    pod_sc = spec.get("securityContext") or {}
    containers = [
        (kind, c)
        for kind in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(kind) or []
    ]
    if not containers:
        problems.append(f"{where}: no containers")
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key):
            problems.append(f"{where}: {key} is true")
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(f"{where}: volume {volume.get('name')} of type {sorted(kinds)}")
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            problems.append(f"{where}: unsafe sysctl {sysctl.get('name')}")

    def context_problems(sc, name):
        found = []
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            found.append(f"{name}: windowsOptions.hostProcess")
        se = sc.get("seLinuxOptions") or {}
        if se.get("type", "") not in SELINUX_TYPES or se.get("user") or se.get("role"):
            found.append(f"{name}: seLinuxOptions {se}")
        if sc.get("runAsUser") == 0:
            found.append(f"{name}: runAsUser 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp not in (None, "RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile {seccomp}")
        apparmor = (sc.get("appArmorProfile") or {}).get("type")
        if apparmor not in (None, "RuntimeDefault", "Localhost"):
            found.append(f"{name}: appArmorProfile {apparmor}")
        return found

    problems += context_problems(pod_sc, f"{where} pod securityContext")
    pod_non_root = pod_sc.get("runAsNonRoot") is True
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type") in ("RuntimeDefault", "Localhost")
    for kind, c in containers:
        name = f"{where} {kind}/{c.get('name')}"
        sc = c.get("securityContext") or {}
        problems += context_problems(sc, name)
        if sc.get("privileged"):
            problems.append(f"{name}: privileged")
        if sc.get("procMount", "Default") != "Default":
            problems.append(f"{name}: procMount {sc['procMount']}")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation must be false")
        non_root = sc.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            problems.append(f"{name}: runAsNonRoot must be true (pod or container)")
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp is None and not pod_seccomp:
            problems.append(f"{name}: seccompProfile RuntimeDefault or Localhost must be set")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            problems.append(f"{name}: capabilities must drop ALL")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            problems.append(f"{name}: adds capabilities {caps.get('add')}")
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                problems.append(f"{name}: hostPort {port['hostPort']}")
    return problems


def pod_templates(doc):
    kind = doc.get("kind")
    name = f"{kind}/{doc.get('metadata', {}).get('name')}"
    if kind == "Pod":
        yield name, doc["spec"]
    elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        yield name, doc["spec"]["template"]["spec"]
    elif kind == "CronJob":
        yield name, doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch, which `kubectl run --overrides` applies by default."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def run_pod(words, where):
    """The pod `kubectl run` makes from these arguments: generated from the flags, with
    --overrides merged in."""
    name = words[words.index("run") + 1]
    image = next((w.split("=", 1)[1] for w in words if w.startswith("--image=")), None)
    overrides = next((w.split("=", 1)[1] for w in words if w.startswith("--overrides=")), None)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": name, "image": image}], "restartPolicy": "Never"},
    }
    if overrides is not None:
        pod = merge_patch(pod, json.loads(overrides))
    return f"{where} `kubectl run {name}`", pod


def runbook_pods(text):
    """(description, pod) for every one-line `kubectl ... run` command in the text."""
    commands = re.findall(r"^\s*(kubectl\b.*?(?<!\\))$", text.replace("\\\n", " "), re.M)
    for command in commands:
        # Placeholders like <sha> are not shell syntax; keep them as words.
        try:
            words = shlex.split(re.sub(r"<([^>]*)>", r"\1", command))
        except ValueError:
            words = command.split()
            if "run" in words:
                # A quote spanning lines: the pod cannot be checked, so it is refused.
                yield "RUNBOOK (unparsable, use deploy/k8s/one-off.sh) " + command[:60], {"spec": {}}
            continue
        if "run" in words:
            yield run_pod(words, "RUNBOOK")


def check(docs, sha, runbook_text, one_off_runs=()):
    problems = []
    hpa_targets = {
        d["spec"]["scaleTargetRef"]["name"]: d for d in docs if d.get("kind") == "HorizontalPodAutoscaler"
    }
    config = next((d.get("data", {}) for d in docs if d.get("kind") == "ConfigMap"), {})
    for doc in docs:
        kind, name = doc.get("kind"), doc.get("metadata", {}).get("name")
        for where, spec in pod_templates(doc):
            problems += restricted_violations(spec, where)
            for c in (spec.get("initContainers") or []) + spec.get("containers", []):
                image = c.get("image", "")
                if not image.endswith(":" + sha):
                    problems.append(f"{where}: image {image} is not pinned to {sha}")
        if kind == "Deployment":
            for c in doc["spec"]["template"]["spec"].get("containers", []):
                keys = [e.get("valueFrom", {}).get("secretKeyRef", {}).get("key") for e in c.get("env") or []]
                if "MIGRATION_DATABASE_URL" in keys or c.get("envFrom", [{}])[0].get("secretRef"):
                    problems.append(f"Deployment/{name} container {c.get('name')}: gets the owner role's URL")
            if not any("migrate" in (c.get("command") or []) for c in doc["spec"]["template"]["spec"].get("initContainers", [])):
                problems.append(f"Deployment/{name}: no init container runs the migrations before serving")
        if kind == "Deployment" and name in hpa_targets and "replicas" in doc["spec"]:
            problems.append(f"Deployment/{name}: sets replicas although an HPA scales it")
        if kind == "Deployment" and name in hpa_targets:
            pool = int(config.get("DATABASE_POOL_MAX", "10"))
            surge = doc["spec"].get("strategy", {}).get("rollingUpdate", {}).get("maxSurge", 1)
            pods = hpa_targets[name]["spec"]["maxReplicas"] + int(surge)
            need = pods * pool + BACKUP_CONNECTIONS + SUPERUSER_RESERVED
            if need > MAX_CONNECTIONS:
                problems.append(
                    f"connections: {pods} pods x DATABASE_POOL_MAX {pool} + backup "
                    f"{BACKUP_CONNECTIONS} + reserved {SUPERUSER_RESERVED} = {need} > {MAX_CONNECTIONS}"
                )
        if kind == "Ingress" and not doc["spec"].get("tls"):
            problems.append(f"Ingress/{name}: no tls section")
    kinds = {d.get("kind") for d in docs}
    for required in ("Ingress", "NetworkPolicy", "HorizontalPodAutoscaler"):
        if required not in kinds:
            problems.append(f"no {required} in the release")
    deny_all = [
        d for d in docs
        if d.get("kind") == "NetworkPolicy" and d["spec"].get("podSelector") == {}
        and set(d["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
        and not d["spec"].get("ingress") and not d["spec"].get("egress")
    ]
    if not deny_all:
        problems.append("no NetworkPolicy denies ingress and egress by default")
    runs = list(runbook_pods(runbook_text))
    runs += [run_pod(words, "one-off.sh") for words in one_off_runs]
    for where, pod in runs:
        problems += restricted_violations(pod["spec"], where)
        for c in pod["spec"].get("containers", []):
            if not c.get("image", "").endswith(":" + sha):
                problems.append(f"{where}: image {c.get('image')} is not pinned to {sha}")
    return problems


def self_test():
    sha = "0" * 40
    container = {
        "name": "c", "image": "x:" + sha,
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    good_spec = {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
    }
    assert restricted_violations(good_spec, "good") == [], restricted_violations(good_spec, "good")
    bad = [
        {"containers": [container]},  # no runAsNonRoot, no seccomp
        {**good_spec, "volumes": [{"name": "h", "hostPath": {"path": "/"}}]},
        {**good_spec, "containers": [{**container, "securityContext": {"capabilities": {"drop": ["ALL"]}}}]},
        {**good_spec, "containers": [{**container, "image": "x:latest", "securityContext": {
            **container["securityContext"], "capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}}]},
        {**good_spec, "hostNetwork": True},
    ]
    for i, spec in enumerate(bad):
        assert restricted_violations(spec, f"bad{i}"), f"bad pod {i} passed"
    runbook = (
        "```sh\nkubectl -n equoria run fix --rm -i --restart=Never --image=x:<sha> \\\n"
        "  --overrides='{\"spec\":{\"containers\":[{\"name\":\"fix\",\"image\":\"x\"}]}}'\n```\n"
    )
    assert any("RUNBOOK" in p for p in check([], sha, runbook)), "RUNBOOK pod without securityContext passed"
    words = ["-n", "equoria", "run", "x", "--image=x:" + sha,
             "--overrides=" + json.dumps({"spec": {"containers": [{"name": "x", "image": "x:" + sha}]}})]
    assert any("one-off.sh" in p for p in check([], sha, "", [words])), "one-off pod without securityContext passed"
    deployment = {
        "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"replicas": 2, "template": {"spec": good_spec}},
    }
    hpa = {"kind": "HorizontalPodAutoscaler", "metadata": {"name": "d"},
           "spec": {"scaleTargetRef": {"name": "d"}, "maxReplicas": 20}}
    problems = check([deployment, hpa], sha, "")
    assert any("sets replicas" in p for p in problems), problems
    assert any("no init container" in p for p in problems), problems
    owner = {**container, "env": [{"name": "M", "valueFrom": {"secretKeyRef": {"name": "s", "key": "MIGRATION_DATABASE_URL"}}}]}
    leaky = {"kind": "Deployment", "metadata": {"name": "d"},
             "spec": {"template": {"spec": {**good_spec, "containers": [owner]}}}}
    assert any("owner role" in p for p in check([leaky], sha, "")), "owner URL in the server passed"
    assert any("connections:" in p for p in problems), problems
    assert any("denies ingress and egress" in p for p in problems), problems
    latest = {"kind": "Pod", "metadata": {"name": "p"},
              "spec": {**good_spec, "containers": [{**container, "image": "x:latest"}]}}
    assert any("not pinned" in p for p in check([latest], sha, "")), "latest passed"
    print("self-test: every known-bad input was caught")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return 0
    rendered, sha, runbook, one_off = sys.argv[1:5]
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    runs = [json.loads(line) for line in open(one_off) if line.strip()]
    if len(runs) < 2:
        problems = [f"{one_off}: expected the argument lists of two one-off.sh runs"]
    else:
        problems = check(docs, sha, open(runbook).read(), runs)
    for problem in problems:
        print(problem)
    if problems:
        return 1
    pods = sum(1 for d in docs for _ in pod_templates(d))
    print(f"{len(docs)} resources, {pods} pod templates and {len(runs)} one-off pods pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())
