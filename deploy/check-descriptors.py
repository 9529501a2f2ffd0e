#!/usr/bin/env python3
"""Checks what the compose files and the cloud descriptors promise, beyond their syntax.

  deploy/check-descriptors.py            (from anywhere; prints one line per problem)
  deploy/check-descriptors.py --self-test

Compose: every service's logs are rotated; the server runs as the application role and never
gets the owner's or the superuser's password; migrations run as the owner in their own service;
TRUSTED_PROXIES defaults to the network's own subnet; /metrics on its own loopback port.
Heroku: no seed in review apps (its demo accounts have a known password), the Procfile asks
for TLS. DigitalOcean: every database URL asks for TLS; metrics on an internal port only.
Beanstalk: an HTTPS listener, HTTP redirected, the RDS CA mounted, the predeploy hook refuses
database URLs without TLS. Railway: builds the Dockerfile that exists. Workflows: actions
pinned by commit SHA, no `latest`, a manual deploy only of a commit whose CI passed.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TLS = re.compile(r"[?&]sslmode=(require|verify-ca|verify-full)(&|$)")


def load(path):
    full = os.path.join(ROOT, path)
    if path.endswith(".json"):
        return json.load(open(full))
    if path.endswith(".toml"):
        return tomllib.load(open(full, "rb"))
    return yaml.safe_load(open(full))


def compose_problems(doc, path):
    problems = []
    services = doc.get("services", {})
    for name, service in services.items():
        options = (service.get("logging") or {}).get("options") or {}
        if "max-size" not in options or "max-file" not in options:
            problems.append(f"{path}: service {name} has no log rotation (logging max-size/max-file)")
    app = services.get("app", {})
    env = app.get("environment") or {}
    for key in ("MIGRATION_DATABASE_URL", "POSTGRES_PASSWORD", "PGPASSWORD"):
        if key in env:
            problems.append(f"{path}: the app service gets {key}")
    text = json.dumps(env)
    if "EQUORIA_OWNER_PASSWORD" in text or "POSTGRES_PASSWORD" in text:
        problems.append(f"{path}: the app service's environment uses the owner's or superuser's password")
    if not str(env.get("DATABASE_URL", "")).startswith("postgres://equoria_app:"):
        problems.append(f"{path}: the app does not connect as equoria_app")
    migrate_env = services.get("migrate", {}).get("environment") or {}
    if not str(migrate_env.get("MIGRATION_DATABASE_URL", "")).startswith("postgres://equoria_owner:"):
        problems.append(f"{path}: the migrate service does not migrate as equoria_owner")
    subnets = [c.get("subnet") for c in (doc.get("networks", {}).get("default", {}).get("ipam", {}).get("config") or [])]
    default_subnet = re.sub(r"^\$\{EQUORIA_SUBNET:-(.*)\}$", r"\1", str(subnets[0])) if subnets else None
    trusted = str(env.get("TRUSTED_PROXIES", ""))
    if not default_subnet or default_subnet not in trusted:
        problems.append(f"{path}: TRUSTED_PROXIES ({trusted}) does not default to the network's subnet ({default_subnet})")
    if env.get("METRICS_ADDR") != "0.0.0.0:9464" or not any(
        str(p).startswith("127.0.0.1:") and str(p).endswith(":9464") for p in app.get("ports", [])
    ):
        problems.append(f"{path}: /metrics is not on port 9464 published on loopback")
    return problems


def heroku_problems(app_json, procfile):
    problems = []
    if "seed" in json.dumps(app_json):
        problems.append("app.json runs `equoria seed` (demo accounts with a known password on a public URL)")
    if not app_json["env"].get("METRICS_ADDR", {}).get("value", "").startswith("127.0.0.1:"):
        problems.append("app.json: METRICS_ADDR is not on loopback (/metrics would be public)")
    kinds = {}
    for line in procfile.splitlines():
        if line.strip():
            kind, command = line.split(":", 1)
            kinds[kind] = command
    if set(kinds) != {"web", "release"}:
        problems.append(f"Procfile process types: {sorted(kinds)}")
    for kind, command in kinds.items():
        if "sslmode=require" not in command:
            problems.append(f"Procfile {kind}: DATABASE_URL does not ask for TLS")
    return problems


def digitalocean_problems(spec):
    problems = []
    components = spec.get("services", []) + spec.get("jobs", [])
    for component in components:
        for env in component.get("envs", []):
            if env["key"] in ("DATABASE_URL", "MIGRATION_DATABASE_URL") and not TLS.search(env["value"]):
                problems.append(f".do/app.yaml {component['name']}: {env['key']} does not ask for TLS")
    for service in spec.get("services", []):
        envs = {e["key"]: e.get("value") for e in service.get("envs", [])}
        if envs.get("METRICS_ADDR") != "0.0.0.0:9464" or 9464 not in service.get("internal_ports", []):
            problems.append(f".do/app.yaml {service['name']}: /metrics not on internal port 9464")
    return problems


def beanstalk_problems(config, compose):
    problems = []
    settings = config.get("option_settings", {})
    listener = settings.get("aws:elbv2:listener:443", {})
    if listener.get("Protocol") != "HTTPS" or not listener.get("SSLCertificateArns"):
        problems.append(".ebextensions: no HTTPS listener on 443 with a certificate")
    http = config.get("Resources", {}).get("AWSEBV2LoadBalancerListener", {}).get("Properties", {})
    actions = http.get("DefaultActions", [{}])
    if http.get("Port") != 80 or actions[0].get("Type") != "redirect" or actions[0]["RedirectConfig"]["Protocol"] != "HTTPS":
        problems.append(".ebextensions: port 80 does not redirect to HTTPS")
    if "/etc/pki/equoria/rds-ca.pem" not in config.get("files", {}):
        problems.append(".ebextensions: the RDS CA bundle is not installed")
    for name in ("migrate", "app"):
        if "/etc/pki/equoria/rds-ca.pem:/etc/equoria/rds-ca.pem:ro" not in compose["services"][name].get("volumes", []):
            problems.append(f"deploy/elasticbeanstalk/docker-compose.yml {name}: RDS CA not mounted")
    if not compose["services"]["app"].get("logging"):
        problems.append("deploy/elasticbeanstalk/docker-compose.yml app: no log rotation")
    return problems


def hook_problems():
    """Runs the Beanstalk predeploy hook against a stand-in of EB's get-config."""
    problems = []
    hook = os.path.join(ROOT, ".platform/hooks/predeploy/01-database-tls.sh")
    with tempfile.TemporaryDirectory() as work:
        fake = os.path.join(work, "get-config")
        with open(fake, "w") as f:
            f.write('#!/bin/sh\ncase "$3" in DATABASE_URL) printf %s "$T_DB";; '
                    'MIGRATION_DATABASE_URL) printf %s "$T_MIG";; esac\n')
        os.chmod(fake, 0o755)
        cases = [
            ("postgres://a:b@h/e?sslmode=verify-full&sslrootcert=/etc/equoria/rds-ca.pem", "", 0),
            ("postgres://a:b@h/e?sslmode=require", "postgres://o:b@h/e?sslmode=verify-full", 0),
            ("postgres://a:b@h/e", "", 1),
            ("postgres://a:b@h/e?sslmode=prefer", "", 1),
            ("postgres://a:b@h/e?sslmode=require", "postgres://o:b@h/e", 1),
            ("", "", 1),
        ]
        for db, mig, expected in cases:
            env = dict(os.environ, EQUORIA_GET_CONFIG=fake, T_DB=db, T_MIG=mig)
            rc = subprocess.run([hook], env=env, capture_output=True).returncode
            if (rc == 0) != (expected == 0):
                problems.append(f"predeploy hook: DATABASE_URL={db!r} MIGRATION_DATABASE_URL={mig!r} exited {rc}")
    return problems


def railway_problems(railway):
    problems = []
    build = railway.get("build", {})
    if build.get("builder") != "DOCKERFILE" or not os.path.isfile(os.path.join(ROOT, build.get("dockerfilePath", ""))):
        problems.append(f"railway.toml: builds no existing Dockerfile ({build})")
    return problems


def workflow_problems(texts):
    """Actions pinned by full commit SHA with the tag in a comment; the deploy workflow ships
    only commits whose CI passed, tagged by SHA."""
    problems = []
    for path, text in texts.items():
        for line in text.splitlines():
            match = re.search(r"uses:\s*(\S+)", line)
            if match and not re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", match.group(1)):
                problems.append(f"{path}: action not pinned by commit SHA: {match.group(1)}")
            elif match and "#" not in line:
                problems.append(f"{path}: pinned action without its tag in a comment: {match.group(1)}")
        if re.search(r":latest\b", text):
            problems.append(f"{path}: uses a `latest` image tag")
    deploy = texts.get(".github/workflows/deploy.yml", "")
    if not re.search(r"actions/workflows/ci\.yml/runs\?head_sha=\$SHA&status=success", deploy):
        problems.append("deploy.yml: a manual run does not check that CI passed for the commit")
    if "deploy/k8s/pin.sh \"$SHA\"" not in deploy or ":${{ env.SHA }}" not in deploy:
        problems.append("deploy.yml: images are not tagged and pinned by commit SHA")
    return problems


def all_problems():
    problems = []
    problems += compose_problems(load("docker/docker-compose.yml"), "docker/docker-compose.yml")
    problems += heroku_problems(load("app.json"), open(os.path.join(ROOT, "Procfile")).read())
    problems += digitalocean_problems(load(".do/app.yaml"))
    problems += beanstalk_problems(load(".ebextensions/01-equoria.config"), load("deploy/elasticbeanstalk/docker-compose.yml"))
    problems += hook_problems()
    problems += railway_problems(load("railway.toml"))
    workflows = {f".github/workflows/{n}": open(os.path.join(ROOT, ".github/workflows", n)).read()
                 for n in ("ci.yml", "deploy.yml")}
    problems += workflow_problems(workflows)
    load(".elasticbeanstalk/config.yml")
    load("deploy/monitoring/grafana-dashboard.json")
    return problems


def self_test():
    compose = load("docker/docker-compose.yml")
    compose["services"]["app"]["environment"]["DATABASE_URL"] = "postgres://equoria_owner:${EQUORIA_OWNER_PASSWORD}@db/equoria"
    del compose["services"]["db"]["logging"]
    compose["services"]["app"]["environment"]["TRUSTED_PROXIES"] = "127.0.0.1"
    found = compose_problems(compose, "c")
    assert len(found) >= 4, found
    app_json = load("app.json")
    app_json["environments"] = {"review": {"scripts": {"postdeploy": "./target/release/equoria seed"}}}
    assert heroku_problems(app_json, "web: x serve\nrelease: x migrate run\n"), "seed and plain URLs passed"
    spec = load(".do/app.yaml")
    spec["services"][0]["envs"] = [{"key": "DATABASE_URL", "value": "${db.DATABASE_URL}"}]
    assert len(digitalocean_problems(spec)) == 2, "a URL without sslmode passed"
    config = load(".ebextensions/01-equoria.config")
    del config["option_settings"]["aws:elbv2:listener:443"]
    assert beanstalk_problems(config, load("deploy/elasticbeanstalk/docker-compose.yml")), "no HTTPS listener passed"
    assert railway_problems({"build": {"builder": "DOCKERFILE", "dockerfilePath": "Dockerfile.missing"}})
    bad = workflow_problems({"w.yml": "    - uses: actions/checkout@v5\n    - uses: a/b@" + "0" * 40 + "\n"})
    assert len(bad) >= 3, bad
    print("self-test: every known-bad descriptor was caught")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return 0
    problems = all_problems()
    for problem in problems:
        print(problem)
    if not problems:
        print("compose, Heroku, DigitalOcean, Beanstalk, Railway and workflow descriptors keep their promises")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
