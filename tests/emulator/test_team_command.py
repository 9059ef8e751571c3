"""`make team EMAIL=… TEAM=…` (scripts/team.py): the operator's way to put a local user in
a team, or take them out, against a running emulator, as an operator does it in AWS
(AdminUpdateUserAttributes / AdminDeleteUserAttributes of custom:team).

The user pool is one of this module's own, shaped like the template's (custom:team of
1-63 characters; the app client reads it, cannot write it), named to the script by an
env file as .local/stack.env names the stack's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import Emulator, client
from operator_command import Command

COMMAND = Command(verb="team", argument="TEAM", name="team", max_length=63)



@pytest.fixture(scope="module")
def idp(emulator: Emulator) -> Any:
    return client(emulator, "cognito-idp")


@pytest.fixture(scope="module")
def pool(idp: Any) -> dict[str, str]:
    return COMMAND.pool(idp)


@pytest.fixture(scope="module")
def stack_env(emulator: Emulator, pool: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return COMMAND.stack_env(emulator.url, pool, tmp_path_factory.mktemp("team-command"))


def user(idp: Any, pool: dict[str, str]) -> str:
    return COMMAND.user(idp, pool, "member")


run = COMMAND.run
team_of = COMMAND.value_of
token_team = COMMAND.token_value


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
    pool: dict[str, str], stack_env: Path, tmp_path: Path
) -> None:
    COMMAND.explains_usage_and_failures(pool, stack_env, tmp_path, "acme", "docs/teams.md")


def test_make_help_lists_team() -> None:
    line = COMMAND.help_line()
    assert "EMAIL=" in line and "TEAM=" in line
