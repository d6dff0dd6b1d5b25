"""Static checks of the self-hosting files in deploy/ (Dockerfile, compose, systemd unit, .env).

No Docker engine or systemd is needed: the files are parsed and checked for the properties
docs/self-hosting.md promises (non-root, healthchecks, volumes, hardening, every setting
documented). The one behavioural check runs the container healthcheck command against a
loopback HTTP server.
"""

from __future__ import annotations

import configparser
import fnmatch
import http.server
import importlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "docker-compose.yml"
UNIT = DEPLOY / "fitmygpu.service"
ENV_EXAMPLE = DEPLOY / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"

# The settings agreed with bot/settings.py. Used when the settings model cannot be imported;
# when it can, test_env_example_matches_settings_model compares against its fields instead.
AGREED_SETTINGS = {
    "DISCORD_TOKEN",
    "DISCORD_TOKEN_FILE",
    "FITMYGPU_DB_PATH",
    "FITMYGPU_DEV_GUILD_ID",
    "FITMYGPU_LOG_LEVEL",
    "FITMYGPU_LOG_FORMAT",
    "FITMYGPU_HEALTH_HOST",
    "FITMYGPU_HEALTH_PORT",
    "FITMYGPU_MENTION_COOLDOWN",
    "FITMYGPU_AUTO_SHARD",
    "FITMYGPU_SHARD_COUNT",
    "FITMYGPU_SHARD_IDS",
    "FITMYGPU_CATALOG",
}


# --- small parsers -------------------------------------------------------------------------------


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs; comment lines dropped, line continuations joined."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # Docker drops comment lines, even inside a continuation
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    assert not buf, "Dockerfile ends inside a line continuation"
    return out


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """Instructions grouped by build stage (each list starts with its FROM)."""
    stages: list[list[tuple[str, str]]] = []
    for ins in dockerfile_instructions(DOCKERFILE.read_text()):
        if ins[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(ins)
    return stages


def dockerfile_global_args() -> dict[str, str]:
    args: dict[str, str] = {}
    for word, rest in dockerfile_instructions(DOCKERFILE.read_text()):
        if word == "FROM":
            break
        if word == "ARG" and "=" in rest:
            name, _, default = rest.partition("=")
            args[name] = default
    return args


def env_instructions(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in stage:
        if word == "ENV":
            for item in shlex.split(rest):
                name, _, value = item.partition("=")
                env[name] = value
    return env


def healthcheck_exec_form(stage: list[tuple[str, str]]) -> list[str]:
    (args,) = [rest for word, rest in stage if word == "HEALTHCHECK"]
    match = re.search(r"\bCMD\s+(\[.*\])\s*$", args)
    assert match, f"HEALTHCHECK should use the exec form CMD [...], got: {args}"
    return json.loads(match.group(1))


def read_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """systemd unit files allow repeated keys (Environment=, SystemCallFilter=): keep them all."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"key outside a section: {line}"
        assert "=" in line, f"not a key=value line: {line}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def env_example_names(text: str) -> set[str]:
    """Names set in .env.example, active (`NAME=`) or shown commented out (`# NAME=`)."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def settings_env_names() -> dict[str, list[str]] | None:
    """Field name -> environment variable names, from bot/settings.py; None if it is absent."""
    if importlib.util.find_spec("bot") is None or importlib.util.find_spec("bot.settings") is None:
        return None
    from pydantic import AliasChoices
    from pydantic_settings import BaseSettings

    module = importlib.import_module("bot.settings")
    models = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, BaseSettings)
        and obj is not BaseSettings
        and obj.__module__ == module.__name__
    ]
    assert models, "bot/settings.py defines no pydantic-settings model"
    fields: dict[str, list[str]] = {}
    for model in models:
        prefix = model.model_config.get("env_prefix", "") or ""
        for name, info in model.model_fields.items():
            alias = info.validation_alias
            if isinstance(alias, str):
                names = [alias]
            elif isinstance(alias, AliasChoices):
                names = [c for c in alias.choices if isinstance(c, str)]
            elif info.alias:
                names = [info.alias]
            else:
                names = [prefix + name]
            fields[f"{model.__name__}.{name}"] = [n.upper() for n in names]
    return fields


# --- Dockerfile ----------------------------------------------------------------------------------


def test_dockerfile_is_multi_stage_on_slim_python() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "expected a builder stage and a runtime stage"
    args = dockerfile_global_args()
    images = []
    for stage in stages:
        image = stage[0][1].split()[0]
        for name, value in args.items():
            image = image.replace("${" + name + "}", value).replace("$" + name, value)
        images.append(image)
    assert re.fullmatch(r"python:3\.1[12]-slim", images[-1]), images
    assert any(re.search(r"\bAS\s+builder\b", s[0][1], re.IGNORECASE) for s in stages[:-1])
    builder_runs = " ".join(rest for s in stages[:-1] for word, rest in s if word == "RUN")
    assert "pip wheel" in builder_runs, "the builder stage should build wheels"
    runtime_runs = " ".join(rest for word, rest in stages[-1] if word == "RUN")
    assert "from=builder" in runtime_runs or any(
        word == "COPY" and "--from=builder" in rest for word, rest in stages[-1]
    ), "the runtime stage should take its wheels from the builder"


def test_dockerfile_runs_as_non_root_user() -> None:
    runtime = dockerfile_stages()[-1]
    users = [rest for word, rest in runtime if word == "USER"]
    assert users, "the runtime stage needs a USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    # USER comes after the last RUN (package installs need root; the bot must not).
    last_user = max(i for i, (word, _) in enumerate(runtime) if word == "USER")
    last_run = max(i for i, (word, _) in enumerate(runtime) if word == "RUN")
    assert last_user > last_run


def test_dockerfile_init_signals_volume_and_env() -> None:
    runtime = dockerfile_stages()[-1]
    instructions = dict(runtime)  # last wins, fine for these single-use instructions
    entrypoint = json.loads(instructions["ENTRYPOINT"])
    assert entrypoint[0].endswith("tini") and entrypoint[-1] == "fitmygpu-bot"
    assert "tini" in " ".join(rest for word, rest in runtime if word == "RUN")
    assert instructions["STOPSIGNAL"] == "SIGTERM"
    assert "/data" in instructions["VOLUME"]
    env = env_instructions(runtime)
    assert env["FITMYGPU_HEALTH_HOST"] == "0.0.0.0"
    assert env["FITMYGPU_DB_PATH"].startswith("/data/")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "fitmygpu-bot" in scripts and "fitmygpu" in scripts


def test_dockerfile_healthcheck_uses_only_python() -> None:
    runtime = dockerfile_stages()[-1]
    command = healthcheck_exec_form(runtime)
    assert command[:2] == ["python", "-c"], command
    assert not re.search(r"\b(curl|wget|nc|sh)\b", " ".join(command[:2]))
    compile(command[2], "<healthcheck>", "exec")  # valid Python
    assert "/healthz" in command[2]


def test_dockerfile_copies_only_what_dockerignore_lets_through() -> None:
    builder_copies = [
        rest.split()[:-1]
        for stage in dockerfile_stages()[:-1]
        for word, rest in stage
        if word == "COPY" and not rest.startswith("--from")
    ]
    sources = [src for srcs in builder_copies for src in srcs]
    assert sources
    lines = [ln.strip() for ln in DOCKERIGNORE.read_text().splitlines()]
    allowed = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    assert "*" in lines, ".dockerignore should exclude everything by default"
    for src in sources:
        assert (ROOT / src).exists(), src
        assert src.rstrip("/") in allowed, f"{src} is copied but .dockerignore excludes it"
    for secret in (".env", "benchmarks", "fitmygpu.sqlite3"):
        assert secret not in allowed


# --- healthcheck behaviour -----------------------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _run_healthcheck(port: int | str) -> int:
    command = healthcheck_exec_form(dockerfile_stages()[-1])
    env = {**os.environ, "FITMYGPU_HEALTH_PORT": str(port)}
    argv = [sys.executable, *command[1:]]  # "python" in the image
    return subprocess.run(argv, env=env, capture_output=True, timeout=30, check=False).returncode


def test_healthcheck_command_exit_codes(health_server: int) -> None:
    assert _run_healthcheck(health_server) == 0
    # Free a port, then probe it: nothing listens there.
    with http.server.HTTPServer(("127.0.0.1", 0), _Health) as tmp:
        closed_port = tmp.server_address[1]
    assert _run_healthcheck(closed_port) == 1
    assert _run_healthcheck(0) == 0  # health server disabled: not an "unhealthy" container


# --- docker-compose.yml --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_service_basics(compose: dict) -> None:
    (service,) = compose["services"].values()
    build = service["build"]
    assert (DEPLOY / build["context"]).resolve() == ROOT
    assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE
    env_files = service["env_file"]
    env_files = [env_files] if isinstance(env_files, str | dict) else env_files
    paths = [e["path"] if isinstance(e, dict) else e for e in env_files]
    assert any((DEPLOY / p).resolve() == ROOT / ".env" for p in paths), paths
    assert service["restart"] == "unless-stopped"
    assert service["environment"]["FITMYGPU_DB_PATH"].startswith("/data/")
    assert service["environment"]["FITMYGPU_HEALTH_HOST"] == "0.0.0.0"


def test_compose_named_volume_for_data(compose: dict) -> None:
    (service,) = compose["services"].values()
    mounts = [v.split(":") for v in service["volumes"] if isinstance(v, str)]
    data = [m for m in mounts if m[1] == "/data"]
    assert data, service["volumes"]
    assert data[0][0] in compose["volumes"], "/data should be a named volume, not a bind mount"


def test_compose_healthcheck_matches_dockerfile(compose: dict) -> None:
    (service,) = compose["services"].values()
    check = service["healthcheck"]
    assert check["test"][0] == "CMD"
    assert check["test"][1:] == healthcheck_exec_form(dockerfile_stages()[-1])
    for key in ("interval", "timeout", "retries"):
        assert key in check


def test_compose_hardening(compose: dict) -> None:
    (service,) = compose["services"].values()
    assert service["read_only"] is True
    assert any(t.split(":")[0] == "/tmp" for t in service["tmpfs"])
    assert "no-new-privileges:true" in service["security_opt"]
    assert service["cap_drop"] == ["ALL"]
    assert re.fullmatch(r"\d+s", service["stop_grace_period"])
    assert service["logging"]["options"]["max-size"]
    assert "ports" not in service, "the health port should not be published by default"


# --- systemd unit --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unit() -> dict[str, dict[str, list[str]]]:
    return read_unit(UNIT.read_text())


def test_unit_parses_with_configparser() -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string(UNIT.read_text())
    assert {"Unit", "Service", "Install"} <= set(parser.sections())


def test_unit_runs_the_venv_entry_point(unit: dict) -> None:
    service = unit["Service"]
    (exec_start,) = service["ExecStart"]
    assert re.fullmatch(r"/opt/fitmygpu/\.venv/bin/fitmygpu-bot", exec_start)
    assert service["Restart"] == ["on-failure"]
    assert service["LoadCredential"] == ["discord_token:/etc/fitmygpu/discord_token"]
    env = dict(item.split("=", 1) for item in service["Environment"])
    assert env["FITMYGPU_DB_PATH"].startswith("/var/lib/fitmygpu/")
    assert env["FITMYGPU_HEALTH_HOST"] == "127.0.0.1"
    assert not any("DISCORD_TOKEN" in item for item in service["Environment"]), "token via credential"
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    assert "network-online.target" in unit["Unit"]["After"][0]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("DynamicUser", "yes"),
        ("StateDirectory", "fitmygpu"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictNamespaces", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("LockPersonality", "yes"),
        ("SystemCallArchitectures", "native"),
    ],
)
def test_unit_hardening(unit: dict, key: str, value: str) -> None:
    assert unit["Service"].get(key) == [value]


def test_unit_network_and_syscall_filters(unit: dict) -> None:
    service = unit["Service"]
    (families,) = service["RestrictAddressFamilies"]
    assert set(families.split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    filters = service["SystemCallFilter"]
    assert filters[0] == "@system-service"
    assert all(f.startswith("~") for f in filters[1:])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
def test_unit_has_no_unknown_keys(tmp_path: Path) -> None:
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text())
    result = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False
    )
    # The ExecStart binary is missing on a test machine; unknown keys or bad values are not OK.
    bad = [ln for ln in result.stderr.splitlines() if re.search(r"Unknown|Failed to parse|Invalid", ln)]
    assert not bad, bad


# --- .env.example ------------------------------------------------------------------------------


def test_env_example_is_docker_env_file_compatible() -> None:
    # `docker run --env-file` takes NAME=value literally: no quotes, export or inline comments.
    for line in ENV_EXAMPLE.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*=[^\s\"'#]*", line), line
    assert env_example_names(ENV_EXAMPLE.read_text()) >= {"DISCORD_TOKEN"}
    assert "DISCORD_TOKEN=\n" in ENV_EXAMPLE.read_text(), "ship an empty token, never a real one"


def test_env_example_lists_agreed_settings() -> None:
    missing = AGREED_SETTINGS - env_example_names(ENV_EXAMPLE.read_text())
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_env_example_matches_settings_model() -> None:
    fields = settings_env_names()
    assert fields is not None, "bot/settings.py must define the settings model"
    text = ENV_EXAMPLE.read_text()
    listed = env_example_names(text)
    missing = []
    for field, names in fields.items():
        if any(n.startswith("FITMYGPU_") for n in names):
            ok = any(n in listed for n in names)
        else:  # e.g. DISCORD_TOKEN / its aliases: being explained anywhere is enough
            ok = any(n in text for n in names)
        if not ok:
            missing.append(f"{field} ({' / '.join(names)})")
    assert not missing, f".env.example does not document: {missing}"
    known = {n for names in fields.values() for n in names}
    stale = {n for n in listed if n.startswith("FITMYGPU_")} - known
    assert not stale, f".env.example lists settings the bot does not read: {sorted(stale)}"


# --- the installed package ---------------------------------------------------------------------


def test_installed_layout_loads_the_bundled_catalog(tmp_path: Path) -> None:
    """Lay the package out the way `pip install .` (and so the Docker image) does, following
    pyproject's package-dir and package-data, and load the catalog from there, away from the
    checkout's catalog/."""
    setuptools_cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    site = tmp_path / "site"
    shutil.copytree(ROOT / "fitmygpu", site / "fitmygpu", ignore=shutil.ignore_patterns("__pycache__"))
    for package, source in setuptools_cfg.get("package-dir", {}).items():
        target = site.joinpath(*package.split("."))
        patterns = [*setuptools_cfg.get("package-data", {}).get(package, []), "*.py"]
        for path in (ROOT / source).rglob("*"):
            rel = path.relative_to(ROOT / source).as_posix()
            if path.is_file() and any(fnmatch.fnmatch(rel, p) for p in patterns):
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / rel)
    env = {k: v for k, v in os.environ.items() if k != "FITMYGPU_CATALOG"}
    env["PYTHONPATH"] = str(site)
    code = (
        "import sys, fitmygpu\n"
        "from fitmygpu.catalog.loader import load_catalog\n"
        f"assert fitmygpu.__file__.startswith({str(site)!r}), fitmygpu.__file__\n"
        "catalog = load_catalog()\n"
        "assert catalog.models and catalog.gpus\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
