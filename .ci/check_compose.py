"""Static checks of the production stack files (no Docker engine in CI).

docker-compose.yml parses and has web, worker, exactly one beat, postgres:15
and redis:7, each with a health check; .docker/Dockerfile builds from
python:3.11-slim and runs as a non-root user; .env.example lists every stable
environment name (DESIGN.md) and, as a warning, every name settings.py reads.
Database roles (docs/decisions/0005-database-roles.md): postgres runs the role
script; migrate logs in as the owner and grants the runtime role after
migrating; web, worker and beat log in as that runtime role, never as the
owner or the superuser, and do not get their secrets; as compose would
resolve the URLs with no .env and with a copy of .env.example.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
ROLES_SCRIPT = ".docker/postgres/initdb.d/10-roles.sh"
# Secrets of the owner and the superuser that no app container may hold.
OWNER_SECRETS = (
    "POSTGRES_PASSWORD",
    "NAVIGATOR_DB_OWNER_PASSWORD",
    "MIGRATE_DATABASE_URL",
)
STABLE_NAMES = (
    "DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS",
    "EMAIL_BACKEND", "EMAIL_FILE_PATH", "SMS_BACKEND", "SMS_FILE_PATH", "TIME_ZONE",
)  # fmt: skip
problems: list[str] = []


def expect(condition: bool, message: str) -> None:
    if not condition:
        problems.append(message)


def check_compose() -> None:
    try:
        import yaml
    except ImportError:
        print("PyYAML is not installed: docker-compose.yml parse skipped")
        return
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose.get("services", {})
    for name in ("web", "worker", "beat", "postgres", "redis"):
        expect(name in services, f"compose: no {name} service")
        health = services.get(name, {}).get("healthcheck", {})
        expect(
            bool(health.get("test")) and not health.get("disable"),
            f"compose: {name} has no health check",
        )
    web, worker, beat = (services.get(n, {}) for n in ("web", "worker", "beat"))
    expect("gunicorn" in str(web.get("command")), "compose: web does not run gunicorn")
    expect(
        "navigator.wsgi" in str(web.get("command")),
        "compose: web is not navigator.wsgi",
    )
    expect("/healthz" in _read(".docker/healthcheck.py"), "web check is not /healthz")
    expect(" worker" in _argv(worker), "compose: worker does not run a worker")
    expect(" beat" in _argv(beat), "compose: beat does not run beat")
    beat_runners = [n for n, s in services.items() if " beat" in _argv(s)]
    beat_runners += [n for n, s in services.items() if "--beat" in _argv(s)]
    expect(beat_runners == ["beat"], f"compose: beat must run once, not {beat_runners}")
    expect(
        beat.get("deploy", {}).get("replicas", 1) == 1, "compose: beat replicas != 1"
    )
    expect(
        str(services.get("postgres", {}).get("image", "")).startswith("postgres:15"),
        "compose: postgres is not postgres:15",
    )
    expect(
        str(services.get("redis", {}).get("image", "")).startswith("redis:7"),
        "compose: redis is not redis:7",
    )
    migrate = services.get("migrate", {})
    expect("migrate" in _argv(migrate), "compose: nothing runs migrate")
    expect(
        web.get("depends_on", {}).get("migrate", {}).get("condition")
        == "service_completed_successfully",
        "compose: web does not wait for migrate",
    )
    env_files = [
        e.get("path") if isinstance(e, dict) else e for e in web.get("env_file", [])
    ]
    expect(".env" in env_files, "compose: web does not read .env")
    check_database_roles(services)


def check_database_roles(services: dict) -> None:
    postgres = services.get("postgres", {})
    pg_env = postgres.get("environment", {})
    expect(
        any(
            str(v).endswith(":/docker-entrypoint-initdb.d:ro")
            and str(v).startswith(f"./{Path(ROLES_SCRIPT).parent}")
            for v in postgres.get("volumes", [])
        ),
        f"compose: postgres does not mount {Path(ROLES_SCRIPT).parent} read-only",
    )
    script = ROOT / ROLES_SCRIPT
    expect(
        script.is_file() and os.access(script, os.X_OK),
        f"{ROLES_SCRIPT}: not executable",
    )
    owner, app = pg_env.get("NAVIGATOR_DB_OWNER"), pg_env.get("NAVIGATOR_DB_APP")
    superuser = pg_env.get("POSTGRES_USER", "postgres")
    expect(bool(owner and app), "compose: postgres does not name the two roles")
    migrate = _argv(services.get("migrate", {}))
    expect(
        re.search(
            rf"manage\.py migrate\b.*&& .*grant_runtime_role --role {app}\b", migrate
        )
        is not None,
        f"compose: migrate does not run grant_runtime_role --role {app} after migrate",
    )
    example = dict(re.findall(r"^([A-Z][A-Z0-9_]*)=(.*)$", _read(".env.example"), re.M))
    for variables, which in (({}, "no .env"), (example, "a copy of .env.example")):
        users = {
            name: _database_user(services.get(name, {}), variables)
            for name in ("migrate", "web", "worker", "beat")
        }
        expect(
            users["migrate"] == owner,
            f"compose ({which}): migrate logs in as {users['migrate']}, not {owner}",
        )
        for name in ("web", "worker", "beat"):
            expect(
                users[name] == app and users[name] not in (owner, superuser),
                f"compose ({which}): {name} logs in as {users[name]}, not the runtime role {app}",
            )
    for name in ("migrate", "web", "worker", "beat"):
        env = services.get(name, {}).get("environment", {})
        leaked = [key for key in OWNER_SECRETS if env.get(key, None) != ""]
        expect(not leaked, f"compose: {name} may read {', '.join(leaked)} from .env")


def _database_user(service: dict, variables: dict[str, str]) -> str | None:
    url = _interpolate(
        str(service.get("environment", {}).get("DATABASE_URL", "")), variables
    )
    return urlsplit(url).username


def _interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME-default}, nested."""
    out, i = [], 0
    while i < len(text):
        if not text.startswith("${", i):
            out.append(text[i])
            i += 1
            continue
        depth, j = 1, i + 2
        while depth and j < len(text):
            depth += text.startswith("${", j) - (text[j] == "}")
            j += 2 if text.startswith("${", j) else 1
        name, op, default = re.fullmatch(
            r"(\w+)(:?-)?(.*)", text[i + 2 : j - 1], re.S
        ).groups()
        value = variables.get(name)
        if op and (value is None or (op == ":-" and value == "")):
            value = _interpolate(default, variables)
        out.append(value or "")
        i = j
    return "".join(out)


def check_dockerfile() -> None:
    text = _read(".docker/Dockerfile")
    expect(
        re.search(r"^FROM python:3\.11-slim\b", text, re.M) is not None,
        "Dockerfile: not FROM python:3.11-slim",
    )
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    expect(bool(users) and users[-1] not in ("root", "0"), "Dockerfile: runs as root")
    expect("collectstatic" in text, "Dockerfile: static files are not collected")


def check_env_example() -> None:
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", _read(".env.example"), re.M))
    for name in STABLE_NAMES:
        expect(name in listed, f".env.example: {name} is missing")
    settings = _read("navigator/settings.py")
    read = set(
        re.findall(r"""env(?:\.\w+|\(\))*\(\s*["']([A-Z][A-Z0-9_]*)["']""", settings)
    )
    for name in sorted(read - listed):
        print(f"warning: .env.example does not list {name} (read by settings.py)")


def _argv(service: dict) -> str:
    command = service.get("command", "")
    return " " + (" ".join(command) if isinstance(command, list) else str(command))


def _read(path: str) -> str:
    return (ROOT / path).read_text()


if __name__ == "__main__":
    check_compose()
    check_dockerfile()
    check_env_example()
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        sys.exit(1)
    print("docker-compose.yml, .docker/Dockerfile and .env.example: ok")
