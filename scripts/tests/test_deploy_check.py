"""The cross-checks of scripts/deploy_check.py fail when a name drifts.

Each test starts from the real repository state (rendered kustomizations,
the compose file, the binaries' --help, the workspace sources, the alert
rules and the dashboard), asserts that the check passes on it, then changes
one name the way a careless edit would and asserts the check reports it.

Needs QUANTUN_BIN_DIR (the built binaries); scripts/deploy-check.sh sets it.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import deploy_check as dc  # noqa: E402

ROOT = dc.ROOT


@pytest.fixture(scope="session")
def bins() -> dict[str, dc.BinaryEnv]:
    bin_dir = os.environ.get("QUANTUN_BIN_DIR")
    if not bin_dir:
        pytest.fail("QUANTUN_BIN_DIR is not set: run through scripts/deploy-check.sh")
    return dc.binaries_env(Path(bin_dir))


def _render(path: str) -> list[dict]:
    out = subprocess.run(["kubectl", "kustomize", str(ROOT / path)], text=True, capture_output=True, check=True)
    return [o for o in yaml.safe_load_all(out.stdout) if o]


@pytest.fixture(scope="session")
def qsgw_dev() -> list[dict]:
    return _render("k8s/qsgw/overlays/dev")


@pytest.fixture(scope="session")
def qsgw_prod() -> list[dict]:
    return _render("k8s/qsgw/overlays/production")


@pytest.fixture(scope="session")
def qrap_prod() -> list[dict]:
    return _render("k8s/qrap/overlays/production")


@pytest.fixture(scope="session")
def compose_config() -> dict:
    out = subprocess.run(
        [dc.COMPOSE_BIN, "-f", str(dc.COMPOSE), "--env-file", str(dc.ENV_EXAMPLE), "config"],
        text=True, capture_output=True, check=True, cwd=ROOT,
    )
    return yaml.safe_load(out.stdout)


def _k8s_errors(objs: list[dict], bins) -> list[str]:
    errors: list[str] = []
    containers = dc.manifest_containers(objs, "test", errors)
    assert containers, "no quantun/ container found"
    return errors + dc.env_errors(containers, bins)


def _configmap(objs: list[dict], name: str) -> dict:
    return next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith(name))


def _deployment(objs: list[dict], name: str) -> dict:
    return next(o for o in objs if o["kind"] == "Deployment" and o["metadata"]["name"] == name)


# --- --help parsing --------------------------------------------------------


def test_help_parser_reads_short_and_long_forms():
    short = """Options:
      --port <PORT>
          Listen port [env: QSGW_CP_PORT=] [default: 8085]
      --jwt-secret <JWT_SECRET>
          JWT signing secret, at least 32 bytes (required) [env: QSGW_JWT_SECRET]
      --webhook-secret <WEBHOOK_SECRET>
          HMAC secret (required with a webhook URL) [env:
          QSGW_WEBHOOK_SECRET]
  -h, --help
          Print help
"""
    env = dc.parse_help(short)
    assert env.declared == {"QSGW_CP_PORT", "QSGW_JWT_SECRET", "QSGW_WEBHOOK_SECRET"}
    assert env.required == {"QSGW_JWT_SECRET"}


def test_every_binary_declares_its_seed_variables(bins):
    assert "QSGW_GATEWAY_ADMIN_PORT" in bins["gateway"].declared
    assert {"QSGW_DATABASE_URL", "QSGW_JWT_SECRET"} <= bins["control-plane"].required
    assert {"QRAP_DB_PASSWORD", "QUANTUN_JWT_SECRET", "QUANTUN_API_KEYS"} <= bins["risk-api"].required
    assert "QRAP_ML_PORT" in bins["ml-engine"].declared


# --- env check: Kubernetes ---------------------------------------------------


def test_k8s_env_passes_as_committed(qsgw_dev, qrap_prod, bins):
    assert _k8s_errors(qsgw_dev, bins) == []
    assert _k8s_errors(qrap_prod, bins) == []


def test_k8s_env_fails_on_a_misspelt_configmap_key(qsgw_dev, bins):
    objs = copy.deepcopy(qsgw_dev)
    cm = _configmap(objs, "control-plane-config")
    cm["data"]["QSGW_CP_PORTT"] = cm["data"].pop("QSGW_CP_PORT")
    errors = _k8s_errors(objs, bins)
    assert any("QSGW_CP_PORTT" in e and "control-plane does not read" in e for e in errors), errors


def test_k8s_env_fails_on_a_variable_of_another_binary(qsgw_dev, bins):
    objs = copy.deepcopy(qsgw_dev)
    _configmap(objs, "ai-engine-config")["data"]["QSGW_CP_PORT"] = "8085"
    errors = _k8s_errors(objs, bins)
    assert any("QSGW_CP_PORT" in e and "ai-engine does not read" in e for e in errors), errors


def test_k8s_env_fails_when_a_required_secret_is_dropped(qrap_prod, bins):
    objs = copy.deepcopy(qrap_prod)
    c = _deployment(objs, "risk-api")["spec"]["template"]["spec"]["containers"][0]
    c["env"] = [e for e in c["env"] if e["name"] != "QUANTUN_JWT_SECRET"]
    errors = _k8s_errors(objs, bins)
    assert any("does not set QUANTUN_JWT_SECRET" in e for e in errors), errors


def test_k8s_env_fails_when_the_binary_renames_its_variable(qsgw_dev, bins):
    # The code side drifts: the gateway now reads QSGW_GATEWAY_LISTEN_PORT.
    drifted = copy.deepcopy(bins)
    drifted["gateway"].declared.discard("QSGW_GATEWAY_PORT")
    drifted["gateway"].declared.add("QSGW_GATEWAY_LISTEN_PORT")
    errors = _k8s_errors(qsgw_dev, drifted)
    assert any("QSGW_GATEWAY_PORT" in e and "gateway does not read" in e for e in errors), errors


def test_k8s_env_fails_on_a_container_that_is_no_binary(qsgw_dev, bins):
    objs = copy.deepcopy(qsgw_dev)
    _deployment(objs, "ai-engine")["spec"]["template"]["spec"]["containers"][0]["name"] = "ai"
    errors = _k8s_errors(objs, bins)
    assert any("not one of the binaries" in e for e in errors), errors


# --- env check: compose -------------------------------------------------------


def test_compose_env_passes_as_committed(compose_config, bins):
    containers = dc.compose_containers(compose_config, "compose")
    assert {c.binary for c in containers} == set(dc.BINARIES)
    assert dc.env_errors(containers, bins) == []


def test_compose_env_fails_on_a_drifted_name(compose_config, bins):
    cfg = copy.deepcopy(compose_config)
    env = cfg["services"]["risk-api"]["environment"]
    env["QRAP_DB_PASS"] = env.pop("QRAP_DB_PASSWORD")
    errors = dc.env_errors(dc.compose_containers(cfg, "compose"), bins)
    assert any("sets QRAP_DB_PASS," in e for e in errors), errors
    assert any("does not set QRAP_DB_PASSWORD" in e for e in errors), errors


# --- compose rules (issue 18) -------------------------------------------------


@pytest.fixture(scope="session")
def compose_inputs(compose_config):
    raw = yaml.safe_load(dc.COMPOSE.read_text())
    ignore = dc.DOCKERIGNORE.read_text().splitlines()
    doc = dc.DEPLOYMENT_DOC.read_text()
    return compose_config, raw, ignore, doc


def test_compose_rules_pass_as_committed(compose_inputs):
    assert dc.compose_rule_errors(*compose_inputs) == []


# Each changed value below is what compose/, .dockerignore or the docs said
# before issue 18, when `docker compose up` was first tried on a real engine.


def test_compose_rules_fail_on_a_4_cpu_limit(compose_inputs):
    cfg, raw, ignore, doc = copy.deepcopy(compose_inputs)
    cfg["services"]["gateway"]["deploy"]["resources"]["limits"]["cpus"] = 4.0
    errors = dc.compose_rule_errors(cfg, raw, ignore, doc)
    assert any("gateway: limits.cpus 4 > 2" in e for e in errors), errors


def test_compose_rules_fail_on_a_password_in_the_database_url(compose_inputs):
    cfg, raw, ignore, doc = copy.deepcopy(compose_inputs)
    raw["services"]["control-plane"]["environment"]["QSGW_DATABASE_URL"] = (
        "postgres://qsgw:${QSGW_DB_PASSWORD}@postgres:5432/qsgw?sslmode=disable")
    errors = dc.compose_rule_errors(cfg, raw, ignore, doc)
    assert any("QSGW_DATABASE_URL pastes a secret into a URL" in e for e in errors), errors


def test_compose_rules_fail_on_the_cache_on_a_tmpfs(compose_inputs):
    cfg, raw, ignore, doc = copy.deepcopy(compose_inputs)
    gw = cfg["services"]["gateway"]
    gw["tmpfs"] = ["/tmp:size=64m", "/var/lib/qsgw:size=64m"]
    gw["volumes"] = [v for v in gw["volumes"] if v.get("target") != "/var/lib/qsgw"]
    errors = dc.compose_rule_errors(cfg, raw, ignore, doc)
    assert any("/var/lib/qsgw is a tmpfs" in e for e in errors), errors
    assert any("no named volume at /var/lib/qsgw" in e for e in errors), errors


def test_compose_rules_fail_without_a_gateway_name(compose_inputs):
    cfg, raw, ignore, doc = copy.deepcopy(compose_inputs)
    del cfg["services"]["gateway"]["environment"]["QSGW_GATEWAY_NAME"]
    errors = dc.compose_rule_errors(cfg, raw, ignore, doc)
    assert any("QSGW_GATEWAY_NAME unset" in e for e in errors), errors


def test_compose_rules_fail_on_fixed_host_ports(compose_inputs):
    cfg, raw, ignore, doc = copy.deepcopy(compose_inputs)
    raw["services"]["gateway"]["ports"] = ["8443:8443"]
    raw["services"]["risk-api"]["ports"] = ["127.0.0.1:8083:8083"]
    errors = dc.compose_rule_errors(cfg, raw, ignore, doc)
    assert any("gateway: published port '8443:8443' is fixed" in e for e in errors), errors
    assert any("risk-api: published port '127.0.0.1:8083:8083' is fixed" in e for e in errors), errors


def test_compose_rules_fail_on_a_socket_health_check(compose_inputs):
    cfg, raw, ignore, doc = copy.deepcopy(compose_inputs)
    cfg["services"]["postgres"]["healthcheck"]["test"] = [
        "CMD-SHELL", "pg_isready -U postgres -d qsgw && pg_isready -U postgres -d qrap"]
    errors = dc.compose_rule_errors(cfg, raw, ignore, doc)
    assert any("postgres: the health check does not connect over TCP" in e for e in errors), errors


def test_compose_rules_fail_on_the_old_dockerignore(compose_inputs):
    cfg, raw, _, doc = compose_inputs
    old = ["target/", ".run/", ".git/", "node_modules/", "k8s/", "docs/", "**/*.swp"]
    errors = dc.compose_rule_errors(cfg, raw, old, doc)
    assert any(".dockerignore: compose/.env reaches" in e for e in errors), errors
    assert any(".dockerignore: compose/certs/server.key reaches" in e for e in errors), errors


def test_dockerignore_matcher_follows_dockers_rules():
    # Docker's documented .dockerignore rules (Docker docs, "Build context",
    # .dockerignore files): the last matching line wins, ! re-includes, **
    # spans directories, a pattern is matched against the path from the
    # context root, a matched directory takes what is below it along.
    assert dc.dockerignore_excludes(["**/.env"], "compose/.env")
    assert dc.dockerignore_excludes(["compose/certs/"], "compose/certs/server.key")
    assert dc.dockerignore_excludes(["**/*.key"], "a/b/c.key")
    assert not dc.dockerignore_excludes(["**/.env.*", "!compose/.env.example"], "compose/.env.example")
    assert not dc.dockerignore_excludes(["*.key"], "compose/certs/server.key")
    assert dc.dockerignore_excludes(["*.key"], "server.key")


def test_compose_rules_fail_on_docs_that_name_the_file(compose_inputs):
    cfg, raw, ignore, _ = compose_inputs
    old_doc = ("docker compose -p quantun -f compose/docker-compose.yml --env-file compose/.env up -d\n"
               "Threat webhook: add them in a compose/docker-compose.override.yml\n")
    errors = dc.compose_rule_errors(cfg, raw, ignore, old_doc)
    assert any("names -f, so Compose does not load" in e for e in errors), errors
    assert any("no way to mint QRAP tokens" in e for e in errors), errors


# --- metrics check -----------------------------------------------------------


@pytest.fixture(scope="session")
def metric_inputs():
    used = dc.alert_exprs(yaml.safe_load((dc.MONITORING / "alerts.yml").read_text()))
    used += dc.dashboard_exprs(json.loads((dc.MONITORING / "grafana-dashboard.json").read_text()))
    exported = dc.exported_metrics(dc.workspace_sources())
    allowed = dc.read_name_list(dc.MONITORING / "metrics-allowlist.txt") | dc.read_name_list(
        dc.MONITORING / "metrics-external.txt"
    )
    return used, exported, allowed


def test_exported_metrics_come_from_the_code():
    src = {
        "a.rs": 'metrics::counter!("http_requests_total", &labels).increment(1);\n'
        "metrics::describe_histogram!(\n    \"x_duration_seconds\",\n    Unit::Seconds, \"d\");\n"
        "metrics::gauge!(ACTIVE).set(1.0);",
        "b.rs": 'pub const ACTIVE: &str = "qsgw_connections_active";',
    }
    assert dc.exported_metrics(src) == {"http_requests_total", "x_duration_seconds", "qsgw_connections_active"}


def test_the_workspace_exports_the_shared_http_metrics(metric_inputs):
    _, exported, _ = metric_inputs
    assert {"http_requests_total", "http_request_duration_seconds", "http_rate_limited_total"} <= exported


def test_promql_parser_ignores_functions_labels_and_keywords():
    expr = (
        'histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket'
        '{service=~"$service", status=~"5.."}[5m] offset 1h))) > 2 and on (job) up == 0'
    )
    assert dc.promql_metrics(expr) == {"http_request_duration_seconds_bucket", "up"}
    assert dc.promql_metrics("label_values(http_requests_total, service)") == {"http_requests_total"}


def test_metrics_pass_as_committed(metric_inputs):
    used, exported, allowed = metric_inputs
    assert len(used) > 20
    assert dc.metric_errors(used, exported, allowed) == []


def test_metrics_fail_on_a_misspelt_name_in_an_alert(metric_inputs):
    used, exported, allowed = metric_inputs
    rules = yaml.safe_load((dc.MONITORING / "alerts.yml").read_text())
    rule = next(r for g in rules["groups"] for r in g["rules"] if r["alert"] == "QuantunHigh5xxRatio")
    rule["expr"] = rule["expr"].replace("http_requests_total", "http_request_total")
    errors = dc.metric_errors(dc.alert_exprs(rules), exported, allowed)
    assert any("alert QuantunHigh5xxRatio" in e and "http_request_total" in e for e in errors), errors


def test_metrics_fail_on_a_misspelt_name_in_the_dashboard(metric_inputs):
    _, exported, allowed = metric_inputs
    dash = json.loads((dc.MONITORING / "grafana-dashboard.json").read_text())
    target = next(t for p in dash["panels"] for t in p.get("targets", []) if "qsgw_threats_total" in t["expr"])
    target["expr"] = target["expr"].replace("qsgw_threats_total", "qsgw_threat_total")
    errors = dc.metric_errors(dc.dashboard_exprs(dash), exported, allowed)
    assert any("qsgw_threat_total" in e for e in errors), errors


def test_metrics_fail_when_the_code_renames_a_metric(metric_inputs):
    # The code side drifts: the shared stack now exports http_server_requests_total.
    used, exported, allowed = metric_inputs
    drifted = (exported - {"http_requests_total"}) | {"http_server_requests_total"}
    errors = dc.metric_errors(used, drifted, allowed)
    assert any("http_requests_total" in e for e in errors), errors


def test_metrics_fail_when_a_spec_name_leaves_the_allow_list(metric_inputs):
    used, exported, allowed = metric_inputs
    errors = dc.metric_errors(used, exported, allowed - {"qsgw_upstream_health"})
    if "qsgw_upstream_health" not in exported:
        assert any("qsgw_upstream_health" in e for e in errors), errors


# --- etcd TLS (issue 16) -----------------------------------------------------


def _etcd_errors(objs: list[dict]) -> list[str]:
    errors: list[str] = []
    containers = dc.manifest_containers(objs, "test", errors)
    return errors + dc.etcd_tls_errors(containers)


def test_etcd_tls_passes_as_committed(qsgw_prod, qsgw_dev, compose_config):
    assert _etcd_errors(qsgw_prod) == []
    assert _etcd_errors(qsgw_dev) == []
    assert dc.etcd_tls_errors(dc.compose_containers(compose_config, "compose")) == []


def test_production_gives_each_etcd_client_its_own_secret(qsgw_prod):
    want = {"control-plane": "qsgw-etcd-client", "gateway": "qsgw-etcd-gateway",
            "ai-engine": "qsgw-etcd-ai-engine"}
    seen = set()
    for c in dc.manifest_containers(qsgw_prod, "test", []):
        if c.binary not in want or c.mounts is None:
            continue
        seen.add(c.binary)
        assert c.values["QSGW_ETCD_ENDPOINTS"].startswith("https://"), c.where
        mounts = [m for m in c.mounts if m.path == "/etc/qsgw/etcd"]
        assert [(m.secret, m.mode, m.read_only) for m in mounts] == [(want[c.binary], 0o400, True)], c.where
    assert seen == set(want)


@pytest.mark.parametrize("binary", ["gateway", "ai-engine", "control-plane"])
def test_etcd_tls_fails_on_https_without_a_ca(qsgw_prod, binary):
    objs = copy.deepcopy(qsgw_prod)
    del _configmap(objs, f"{binary}-config")["data"]["QSGW_ETCD_CA_PATH"]
    errors = _etcd_errors(objs)
    assert any(f"container {binary}" in e and "without QSGW_ETCD_CA_PATH" in e for e in errors), errors


def test_etcd_tls_fails_on_https_without_a_ca_in_compose(compose_config):
    cfg = copy.deepcopy(compose_config)
    cfg["services"]["gateway"]["environment"]["QSGW_ETCD_ENDPOINTS"] = "https://etcd:2379"
    errors = dc.etcd_tls_errors(dc.compose_containers(cfg, "compose"))
    assert any("service gateway" in e and "without QSGW_ETCD_CA_PATH" in e for e in errors), errors


def test_etcd_tls_fails_on_a_certificate_without_its_key(qsgw_prod):
    objs = copy.deepcopy(qsgw_prod)
    del _configmap(objs, "gateway-config")["data"]["QSGW_ETCD_KEY_PATH"]
    errors = _etcd_errors(objs)
    assert any("container gateway" in e and "without QSGW_ETCD_KEY_PATH" in e for e in errors), errors


def test_etcd_tls_fails_on_a_readable_or_missing_secret_volume(qsgw_prod):
    objs = copy.deepcopy(qsgw_prod)
    pod = _deployment(objs, "ai-engine")["spec"]["template"]["spec"]
    next(v for v in pod["volumes"] if v["name"] == "etcd-client")["secret"]["defaultMode"] = 0o644
    errors = _etcd_errors(objs)
    assert any("container ai-engine" in e and "0o644" in e for e in errors), errors

    objs = copy.deepcopy(qsgw_prod)
    c = _deployment(objs, "gateway")["spec"]["template"]["spec"]["containers"][0]
    c["volumeMounts"] = [m for m in c["volumeMounts"] if m["name"] != "etcd-client"]
    errors = _etcd_errors(objs)
    assert any("container gateway" in e and "not in a mounted Secret volume" in e for e in errors), errors


def test_config_reference_keeps_descriptions_written_beside_the_flag():
    """clap's short help puts a description beside its flag and wraps the
    rest under it (as `risk-api web --help` prints it, copied here); the
    reference must keep the whole sentence and see `(required;`."""
    import config_reference as cr

    help_text = (
        "Options:\n"
        "      --web-host <HOST>    Bind address of the stand-alone web app [env: QRAP_WEB_HOST=]\n"
        "                           [default: 0.0.0.0]\n"
        "      --api-url <API_URL>  Base URL of the risk API the app calls, e.g.\n"
        "                           `https://qrap-api.example.com` (required; the seed's VITE_QRAP_API_URL)\n"
        "                           [env: QRAP_WEB_API_URL=]\n"
        "  -h, --help               Print help\n"
    )
    opts = {o["env"]: o for o in cr.options(help_text)}
    assert opts["QRAP_WEB_HOST"]["description"] == "Bind address of the stand-alone web app"
    assert opts["QRAP_WEB_HOST"]["default"] == "0.0.0.0"
    api = opts["QRAP_WEB_API_URL"]
    assert api["description"].startswith("Base URL of the risk API the app calls, e.g. `https://")
    assert api["required"] is True
    assert set(opts) == {"QRAP_WEB_HOST", "QRAP_WEB_API_URL"}
