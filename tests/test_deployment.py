"""compose.yaml and deploy/nginx.conf checked without a Docker engine: what `docker compose config`
would refuse, and what a scaled-out deployment needs (replica set, two gateways behind a proxy that
passes websockets, one worker, gateways without an in-process scheduler)."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import yaml

from resolvers.cli import main as cli_main
from resolvers.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()
SERVICES = COMPOSE["services"]
UVICORN_ENV = {"FORWARDED_ALLOW_IPS"}


def test_every_service_is_complete_and_depends_only_on_services_that_exist() -> None:
    assert set(SERVICES) == {"mongodb", "gateway", "worker", "proxy"}
    for name, service in SERVICES.items():
        assert "image" in service or "build" in service, name
        for dep in service.get("depends_on", {}):
            assert dep in SERVICES, (name, dep)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in COMPOSE.get("volumes", {}) or (ROOT / source).exists(), (name, source)


def test_mongodb_is_a_replica_set_the_gateways_name() -> None:
    command = SERVICES["mongodb"]["command"]
    rs = command[command.index("--replSet") + 1]
    initiate = " ".join(SERVICES["mongodb"]["healthcheck"]["test"])
    assert f"_id: '{rs}'" in initiate and "host: 'mongodb:27017'" in initiate
    for name in ("gateway", "worker"):
        uri = urllib.parse.urlsplit(SERVICES[name]["environment"]["MONGODB_URI"])
        assert uri.hostname == "mongodb" and urllib.parse.parse_qs(uri.query)["replicaSet"] == [rs]


def test_environment_names_are_settings_the_gateway_reads() -> None:
    fields = {f.upper() for f in Settings.model_fields}
    for name in ("gateway", "worker"):
        env = SERVICES[name]["environment"]
        assert set(env) <= fields | UVICORN_ENV, set(env) - fields - UVICORN_ENV
        assert Settings(**{k.lower(): v for k, v in env.items() if k not in UVICORN_ENV}).scheduler_enabled is False


def test_two_gateways_behind_a_proxy_that_passes_websockets_and_one_worker() -> None:
    assert SERVICES["gateway"]["deploy"]["replicas"] >= 2
    assert "ports" not in SERVICES["gateway"]  # reached through the proxy only
    assert SERVICES["gateway"]["expose"] == ["8000"]
    assert re.search(r"server gateway:8000;", NGINX)
    assert "proxy_set_header Upgrade $http_upgrade;" in NGINX
    assert "proxy_set_header Connection $connection_upgrade;" in NGINX
    assert SERVICES["proxy"]["ports"] == ["8000:80"] and "listen 80;" in NGINX


def test_the_worker_runs_a_command_the_cli_has() -> None:
    command = SERVICES["worker"]["command"]
    assert command[:3] == ["python", "-m", "resolvers.cli"]
    try:
        cli_main([*command[3:], "--help"])
    except SystemExit as done:  # argparse prints the command's help and exits 0
        assert done.code == 0
