"""The deployment files (fly.toml, Dockerfile, .dockerignore) agree with each other and the code.

There is no Docker daemon or Fly.io account in the test run, so these read the files: fly.toml
with tomllib, the Dockerfile as text. The start command in the Dockerfile's CMD is run as a
shell script, with a stand-in `ftscope` on PATH.
"""

import fnmatch
import json
import os
import re
import shlex
import stat
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any, get_args
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr
from starlette.routing import Route

from bot.cli import build_parser
from bot.scheduler import digest_trigger
from bot.server import EVENTS_PATH, GRACEFUL_SHUTDOWN_S, asgi_app
from bot.settings import Settings

ROOT = Path(__file__).parents[1]
FLY_TOML = (ROOT / "fly.toml").read_text()
FLY = tomllib.loads(FLY_TOML)
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
RELEASE_COMMAND = "ftscope db upgrade"
FLY_MAX_KILL_TIMEOUT_S = 300  # Fly.io caps kill_timeout at five minutes


# --- reading the files ----------------------------------------------------------------------


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined."""
    result: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not pending and not stripped):
            continue  # comments, also inside a continued instruction
        if stripped.endswith("\\"):
            pending += line.rstrip()[:-1]
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        result.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return result


def arguments_of(keyword: str) -> list[str]:
    return [arguments for kw, arguments in instructions() if kw == keyword]


def start_script() -> str:
    """The shell script of the image's CMD, which must be the exec form ["sh", "-c", script]."""
    commands = arguments_of("CMD")
    assert commands, "the Dockerfile has no CMD"
    command = json.loads(commands[-1])
    assert command[:2] == ["sh", "-c"] and len(command) == 3, command
    return command[2]


def serve_argv() -> list[str]:
    """The arguments the start script gives `ftscope` to run the server."""
    match = re.search(r"\bexec ftscope (serve\b[^;&|]*)", start_script())
    assert match, "the start command doesn't `exec ftscope serve` (SIGTERM must reach it)"
    return shlex.split(match.group(1))


def copy_sources() -> list[str]:
    sources = []
    for arguments in arguments_of("COPY"):
        parts = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
        assert not any(part.startswith("--from") for part in parts), "a single-stage build"
        sources += [part for part in parts[:-1] if not part.startswith("--")]
    return sources


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    # The matcher below knows *, ? and **; character classes and escapes it would misread.
    assert not any(set(pattern) & set("[]\\") for pattern in patterns), patterns
    return patterns


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    # A pattern that matches a directory leaves out everything in it.
    return re.compile("".join(out) + "(?:/.*)?")


def ignored(path: str) -> bool:
    """Whether Docker leaves `path` (relative to the repository) out of the build context."""
    result = False
    for pattern in dockerignore_patterns():
        negated = pattern.startswith("!")
        if _pattern_regex(pattern.lstrip("!").strip("/")).fullmatch(path):
            result = not negated  # the last matching pattern wins
    return result


def seconds(value: Any, bare_unit_s: float) -> float:
    """A Fly duration: "15s", "1m30s", "500ms", or a bare number in `bare_unit_s` units."""
    if isinstance(value, int | float):
        return value * bare_unit_s
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", value)
    assert parts and "".join(n + u for n, u in parts) == value, f"not a duration: {value!r}"
    return sum(float(number) * units[unit] for number, unit in parts)


def setting_aliases() -> dict[str, Any]:
    return {field.alias: field for field in Settings.model_fields.values() if field.alias}


def secret_names() -> set[str]:
    return {
        alias
        for alias, field in setting_aliases().items()
        if SecretStr in (field.annotation, *get_args(field.annotation))
    }


def readme_deploy_section() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"^## Deploy on Fly\.io\n(.*?)(?=^## )", readme, re.M | re.S)
    assert match, 'README.md has no "## Deploy on Fly.io" section'
    return match.group(1)


# --- the two topologies ---------------------------------------------------------------------


def postgres_variant() -> dict[str, Any]:
    """fly.toml after the steps its header gives for PostgreSQL: the [deploy] section
    uncommented, the mount and the SQLite DATABASE_URL deleted (`fly postgres attach` sets
    DATABASE_URL as a secret)."""
    lines = FLY_TOML.splitlines()
    start = lines.index("# [deploy]")
    end = start + 1
    while end < len(lines) and lines[end].startswith("#   "):
        end += 1
    lines[start:end] = [line.removeprefix("# ") for line in lines[start:end]]
    config = tomllib.loads("\n".join(lines))
    del config["mounts"]
    del config["env"]["DATABASE_URL"]
    return config


def check_topology(config: dict[str, Any]) -> str:
    """The database survives deploys and restarts, and the schema is migrated exactly where
    it lives. Returns the topology's name."""
    url = config.get("env", {}).get("DATABASE_URL")
    release = config.get("deploy", {}).get("release_command")
    mounts = config.get("mounts", [])
    mounts = [mounts] if isinstance(mounts, dict) else mounts
    if url is None:
        # PostgreSQL: the URL is a secret. The release command migrates it once per deploy,
        # and several machines share it (a volume would pin the app to one machine).
        assert release == RELEASE_COMMAND
        assert mounts == []
        return "postgresql"
    assert url.startswith("sqlite:///"), "a PostgreSQL URL has a password: make it a secret"
    path = Path(url.removeprefix("sqlite:///"))
    assert path.is_absolute(), f"{url}: a relative path lands on the machine's ephemeral disk"
    assert len(mounts) == 1, "SQLite needs exactly one volume"
    assert path.parent == Path(mounts[0]["destination"]), "the database file is on the volume"
    # The release command runs on a temporary machine without volumes: it would migrate a
    # throwaway file while the volume's database stayed old.
    assert release is None, "with SQLite, migrate at start (the Dockerfile's CMD), not on release"
    return "sqlite"


def test_fly_toml_ships_the_one_machine_sqlite_topology():
    assert check_topology(FLY) == "sqlite"
    assert FLY["mounts"][0]["source"] == "ftscope_data"


def test_the_postgresql_steps_in_fly_toml_give_a_valid_config():
    config = postgres_variant()
    assert check_topology(config) == "postgresql"
    # The rest of the file is the same in both topologies.
    assert config["http_service"] == FLY["http_service"]


def test_the_release_command_is_a_real_command():
    args = build_parser().parse_args(shlex.split(RELEASE_COMMAND)[1:])
    assert callable(args.handler)


# --- fly.toml -------------------------------------------------------------------------------


def test_fly_toml_names_the_app_and_builds_the_dockerfile():
    assert FLY["app"]
    assert re.fullmatch(r"[a-z]{3}", FLY["primary_region"])
    assert (ROOT / FLY["build"]["dockerfile"]).is_file()
    assert not ignored(FLY["build"]["dockerfile"])
    assert "services" not in FLY, "one [http_service], not legacy [[services]]"


def test_the_http_service_reaches_the_port_the_server_listens_on():
    args = build_parser().parse_args(serve_argv())
    service = FLY["http_service"]
    assert service["internal_port"] == args.port
    assert args.host == "0.0.0.0"  # Fly's proxy connects over the machine's network
    assert str(args.port) in arguments_of("EXPOSE")
    assert service["force_https"] is True


def test_machines_are_never_stopped():
    service = FLY["http_service"]
    # A stopped machine misses Slack's 3 s deadline while it boots, and its scheduler misses
    # the weekly digest. The current schema says "off"; older flyctl took false.
    assert service["auto_stop_machines"] in ("off", False)
    assert service["min_machines_running"] >= 1
    # A machine that exited anyway (say, stopped by hand) is started by the next request.
    assert service["auto_start_machines"] is True


def test_the_health_check_gets_the_servers_healthz_route():
    (check,) = FLY["http_service"]["checks"]
    assert check["method"].upper() == "GET"
    assert check.get("protocol", "http") == "http"  # the check goes to the machine directly
    routes = asgi_app(SimpleNamespace()).routes
    assert any(
        isinstance(route, Route) and route.path == check["path"] and "GET" in route.methods
        for route in routes
    ), f"the server has no GET {check['path']}"
    assert check["path"] == "/healthz"
    # Check durations without a unit are milliseconds.
    interval, timeout = seconds(check["interval"], 0.001), seconds(check["timeout"], 0.001)
    assert 0 < timeout < interval <= 60
    assert seconds(check["grace_period"], 0.001) >= 5  # import, migrate, start uvicorn


def test_fly_waits_for_the_graceful_shutdown():
    assert FLY["kill_signal"] == "SIGTERM"
    kill_timeout = seconds(FLY["kill_timeout"], 1)
    assert kill_timeout > GRACEFUL_SHUTDOWN_S
    # After uvicorn's grace period, the lifespan shutdown waits for the turns in flight, each
    # bounded by the Claude budget.
    claude_budget = Settings.model_fields["claude_timeout_s"].default
    assert kill_timeout >= GRACEFUL_SHUTDOWN_S + claude_budget
    assert kill_timeout <= FLY_MAX_KILL_TIMEOUT_S


def test_env_holds_only_known_settings_and_no_secret():
    env = FLY["env"]
    assert env, "[env] sets at least DATABASE_URL"
    secrets = secret_names()
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ANTHROPIC_API_KEY"} <= secrets
    for name, value in env.items():
        assert name not in secrets, f"{name} is a secret: use fly secrets set"
        assert not name.startswith(("SLACK_", "ANTHROPIC_")), name
        # Settings ignores unknown variables, so a misspelt name would do nothing, silently.
        assert name in setting_aliases(), f"{name} is not a setting of bot/settings.py"
        assert isinstance(value, str), f"{name}: Fly's env values are strings"
    assert urlsplit(env["DATABASE_URL"]).password is None


def test_env_values_are_valid_settings():
    settings = Settings(_env_file=None, **FLY["env"])
    digest_trigger(settings.digest_cron, settings.timezone)  # raises on a bad cron or zone


# --- Dockerfile and .dockerignore -----------------------------------------------------------


def test_the_base_image_is_a_python_the_project_supports():
    (base,) = arguments_of("FROM")
    match = re.fullmatch(r"python:3\.(\d+)-slim\S*", base)
    assert match, base
    minimum = re.fullmatch(r">=3\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert minimum
    assert int(match.group(1)) >= int(minimum.group(1))


def test_the_image_installs_the_package_from_the_build_context():
    sources = copy_sources()
    packages = PYPROJECT["tool"]["setuptools"]["packages"]
    needed = {"pyproject.toml", PYPROJECT["project"]["readme"]} | {
        package.split(".")[0] for package in packages
    }
    copied = {source.rstrip("/") for source in sources}
    assert "." in copied or needed <= copied, f"not copied: {needed - copied}"
    installs = [run for run in arguments_of("RUN") if re.search(r"\bpip install\b", run)]
    assert any("." in shlex.split(run) for run in installs), "no `pip install .`"
    for run in installs:
        assert "--no-cache-dir" in run
        assert not re.search(r"\bpip install\b.*\s-e\s", run), "an editable install"


def test_every_file_the_dockerfile_copies_is_in_the_build_context():
    for source in copy_sources():
        if source == ".":
            continue
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
        assert not ignored(source.rstrip("/")), f"COPY {source}: left out by .dockerignore"


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        ".git/config",
        ".venv/bin/python",
        "ftscope.db",
        "ftscope.db-wal",
        "bot/__pycache__/cli.cpython-311.pyc",
        "tests/test_deploy.py",
    ],
)
def test_dockerignore_keeps_secrets_and_local_state_out(path):
    assert ignored(path)


def test_the_package_lists_every_module_and_data_file():
    """The image runs a real (not editable) install: anything setuptools leaves out of the
    wheel is missing in production, however well the tests pass in a checkout."""
    setuptools = PYPROJECT["tool"]["setuptools"]
    packages = set(setuptools["packages"])
    package_data = setuptools.get("package-data", {})
    for top in {package.split(".")[0] for package in packages}:
        for directory, subdirectories, files in os.walk(ROOT / top):
            subdirectories[:] = [d for d in subdirectories if d != "__pycache__"]
            relative = Path(directory).relative_to(ROOT)
            package = ".".join(relative.parts)
            if any(name.endswith(".py") for name in files):
                assert package in packages, f"{package} is not in [tool.setuptools] packages"
            globs = package_data.get(package, []) + package_data.get("*", [])
            for name in files:
                if name.endswith((".py", ".pyc")):
                    continue
                assert any(fnmatch.fnmatch(name, glob) for glob in globs), (
                    f"{relative / name} is not in [tool.setuptools.package-data]"
                )


def test_the_image_runs_as_an_unprivileged_user():
    users = arguments_of("USER")
    assert users, "the Dockerfile never leaves root"
    assert users[-1].split(":")[0] not in ("root", "0")
    kinds = [keyword for keyword, _ in instructions()]
    last_user = max(i for i, keyword in enumerate(kinds) if keyword == "USER")
    assert last_user < kinds.index("CMD"), "CMD runs as the unprivileged user"


def test_python_output_reaches_fly_logs_unbuffered():
    assert any(re.search(r"\bPYTHONUNBUFFERED=1\b", env) for env in arguments_of("ENV"))


# --- the start command ----------------------------------------------------------------------


def run_start(tmp_path: Path, database_url: str | None, failing: str = "") -> tuple[int, list]:
    """Run the CMD's script with a stand-in `ftscope` that records its pid and arguments."""
    log = tmp_path / "calls"
    fake = tmp_path / "bin" / "ftscope"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(
        f'#!/bin/sh\necho "$$ $*" >> {shlex.quote(str(log))}\n'
        f'[ "$*" = {shlex.quote(failing)} ] && exit 3\nexit 0\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {"PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    process = subprocess.Popen(["sh", "-c", start_script()], env=env)
    code = process.wait(timeout=30)
    calls = []
    for line in log.read_text().splitlines() if log.exists() else []:
        pid, _, args = line.partition(" ")
        calls.append((int(pid) == process.pid, args))
    return code, calls


@pytest.mark.skipif(sys.platform == "win32", reason="the image's shell is POSIX sh")
@pytest.mark.parametrize("database_url", [FLY["env"]["DATABASE_URL"], None])
def test_start_migrates_sqlite_then_execs_the_server(tmp_path, database_url):
    code, calls = run_start(tmp_path, database_url)
    assert code == 0
    serve = " ".join(serve_argv())
    # The server replaces the shell (same pid), so Fly's SIGTERM reaches it, not `sh`.
    assert calls == [(False, "db upgrade"), (True, serve)]


@pytest.mark.skipif(sys.platform == "win32", reason="the image's shell is POSIX sh")
def test_start_leaves_postgresql_to_the_release_command(tmp_path):
    code, calls = run_start(tmp_path, "postgres://ftscope:pw@ftscope-db.flycast:5432/ftscope")
    assert code == 0
    assert calls == [(True, " ".join(serve_argv()))]


@pytest.mark.skipif(sys.platform == "win32", reason="the image's shell is POSIX sh")
def test_a_failed_migration_stops_the_start(tmp_path):
    code, calls = run_start(tmp_path, FLY["env"]["DATABASE_URL"], failing="db upgrade")
    assert code != 0  # the machine restarts, and a deploy fails its health check
    assert [args for _, args in calls] == ["db upgrade"]


# --- README ---------------------------------------------------------------------------------


def test_the_readme_deploys_these_files():
    section = readme_deploy_section()
    assert f"fly volumes create {FLY['mounts'][0]['source']}" in section
    assert f"https://<app>.fly.dev{EVENTS_PATH}" in section
    assert f'release_command = "{RELEASE_COMMAND}"' in section
    (command,) = re.findall(r"fly secrets set (?:[^\n]*\\\n)*[^\n]*", section)
    named = set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", command))
    assert named <= set(setting_aliases())
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ANTHROPIC_API_KEY"} <= named
