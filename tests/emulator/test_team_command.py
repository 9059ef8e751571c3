"""`make team EMAIL=… TEAM=…` (scripts/team.py): the operator's way to put a local user in
a team, or take them out, against a running emulator, as an operator does it in AWS
(AdminUpdateUserAttributes / AdminDeleteUserAttributes of custom:team).

The user pool is one of this module's own, shaped like the template's (custom:team of
1-63 characters; the app client reads it, cannot write it), named to the script by an
env file as .local/stack.env names the stack's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness import Emulator, claims_of, client, free_port, unique

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "team.py"
PASSWORD = "Homedir-Test-1"


@pytest.fixture(scope="module")
def idp(emulator: Emulator) -> Any:
    return client(emulator, "cognito-idp")


@pytest.fixture(scope="module")
def pool(idp: Any) -> dict[str, str]:
    pool_id = idp.create_user_pool(
        PoolName=unique("team-command"), UsernameAttributes=["email"],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                {"Name": "team", "AttributeDataType": "String", "Mutable": True,
                 "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "63"}}],
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        ReadAttributes=["email", "email_verified", "custom:team"], WriteAttributes=["email"],
    )["UserPoolClient"]["ClientId"]
    return {"pool": pool_id, "client": client_id}


@pytest.fixture(scope="module")
def stack_env(emulator: Emulator, pool: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("team-command") / "stack.env"
    path.write_text(f"AWS_ENDPOINT_URL={emulator.url}\nAWS_REGION=us-east-1\n"
                    f"USER_POOL_ID={pool['pool']}\nUSER_POOL_CLIENT_ID={pool['client']}\n")
    return path


def user(idp: Any, pool: dict[str, str]) -> str:
    email = f"{unique('member')}@example.com"
    idp.admin_create_user(UserPoolId=pool["pool"], Username=email, MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": email}])
    idp.admin_set_user_password(UserPoolId=pool["pool"], Username=email, Password=PASSWORD, Permanent=True)
    return email


def run(args: list[str], env_file: Path, make: bool = False) -> subprocess.CompletedProcess[str]:
    """scripts/team.py EMAIL TEAM, or `make team` with the same (make: EMAIL=… TEAM=…)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("AWS_ENDPOINT_URL", "USER_POOL_ID", "AWS_REGION", "EMAIL", "TEAM")}
    env["HOMEDIR_STACK_ENV"] = str(env_file)
    if make:
        # The interpreter running the tests, and the venv taken as it is (-o): the test
        # must not create or reinstall the project venv.
        command = ["make", "-s", "--no-print-directory", "-o", ".venv/.installed", f"PY={sys.executable}",
                   "team", *args]
    else:
        command = [sys.executable, str(SCRIPT), *args]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


def team_of(idp: Any, pool: dict[str, str], email: str) -> str | None:
    attributes = idp.admin_get_user(UserPoolId=pool["pool"], Username=email)["UserAttributes"]
    return next((entry["Value"] for entry in attributes if entry["Name"] == "custom:team"), None)


def token_team(idp: Any, pool: dict[str, str], email: str) -> str | None:
    result = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=pool["client"],
                               AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    return claims_of(result["AuthenticationResult"]["IdToken"]).get("custom:team")


def test_make_team_sets_moves_and_clears_a_users_team(idp: Any, pool: dict[str, str], stack_env: Path) -> None:
    email = user(idp, pool)
    joined = run([f"EMAIL={email}", "TEAM=acme"], stack_env, make=True)
    assert joined.returncode == 0, joined.stderr
    assert joined.stdout.strip() == f"{email} is in team acme; their next ID token carries it"
    assert team_of(idp, pool, email) == "acme" and token_team(idp, pool, email) == "acme"

    moved = run([email, "globex"], stack_env)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.strip() == f"{email} is in team globex (was acme); their next ID token carries it"
    assert token_team(idp, pool, email) == "globex"

    left = run([f"EMAIL={email}", "TEAM="], stack_env, make=True)
    assert left.returncode == 0, left.stderr
    assert left.stdout.startswith(f"{email} is no longer in team globex;")
    assert team_of(idp, pool, email) is None and token_team(idp, pool, email) is None
    again = run([email, ""], stack_env)
    assert (again.returncode, again.stdout.strip()) == (0, f"{email} is in no team; nothing to change")


@pytest.mark.parametrize("team", ["Acme", "-acme", "acme/x", "a b", "x" * 64, "acme.", "équipe"])
def test_a_name_that_is_no_team_name_is_refused_before_any_call(
    idp: Any, pool: dict[str, str], stack_env: Path, team: str
) -> None:
    email = user(idp, pool)
    refused = run([email, team], stack_env)
    assert refused.returncode == 2
    assert f"TEAM={team!r} is not a team name" in refused.stderr
    assert "1-63 lowercase letters, digits and '-'" in refused.stderr
    assert team_of(idp, pool, email) is None


def test_the_longest_and_shortest_names_are_teams(idp: Any, pool: dict[str, str], stack_env: Path) -> None:
    email = user(idp, pool)
    for team in ("x" * 63, "7", "web-2"):
        assert run([email, team], stack_env).returncode == 0
        assert team_of(idp, pool, email) == team


def test_usage_unknown_users_and_a_stopped_stack_are_explained(
    idp: Any, pool: dict[str, str], stack_env: Path, tmp_path: Path
) -> None:
    usage = run(["EMAIL=someone@example.com"], stack_env, make=True)  # no TEAM at all: not "no team"
    assert usage.returncode == 2 and "usage: make team EMAIL=" in usage.stderr
    assert run(["TEAM=acme"], stack_env, make=True).returncode == 2

    unknown = run(["nobody@example.com", "acme"], stack_env)
    assert unknown.returncode == 1
    assert "no user nobody@example.com in the local user pool" in unknown.stderr

    stopped = tmp_path / "stopped.env"
    stopped.write_text(stack_env.read_text().replace(
        next(line for line in stack_env.read_text().splitlines() if line.startswith("AWS_ENDPOINT_URL=")),
        f"AWS_ENDPOINT_URL=http://127.0.0.1:{free_port()}"))
    down = run([f"{unique('x')}@example.com", "acme"], stopped)
    assert down.returncode == 1 and "the local stack is not running" in down.stderr and "make dev" in down.stderr

    deployed = tmp_path / "deployed.env"
    deployed.write_text(f"AWS_REGION=us-east-1\nUSER_POOL_ID={pool['pool']}\n")
    no_endpoint = run(["someone@example.com", "acme"], deployed)
    assert no_endpoint.returncode == 1 and "docs/teams.md" in no_endpoint.stderr


def test_make_help_lists_team() -> None:
    listed = subprocess.run(["make", "-s", "--no-print-directory", "help"], cwd=REPO, capture_output=True,
                            text=True, timeout=30)
    line = next(line for line in listed.stdout.splitlines() if line.strip().startswith("make team"))
    assert "EMAIL=" in line and "TEAM=" in line
