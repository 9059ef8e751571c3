"""`make quota EMAIL=… BYTES=…` (scripts/quota.py): the operator's way to give a local user a
quota of their own (custom:quota, in bytes; 0: no quota), or take it away (the stack's
QuotaBytes applies again), against a running emulator, as an operator does it in AWS
(AdminUpdateUserAttributes / AdminDeleteUserAttributes of custom:quota).

The user pool is one of this module's own, shaped like the template's (custom:quota of
1-20 characters; the app client reads it, cannot write it), named to the script by an
env file as .local/stack.env names the stack's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import Emulator, client
from operator_command import Command

COMMAND = Command(verb="quota", argument="BYTES", name="quota", max_length=20)
GIB = 1024**3


@pytest.fixture(scope="module")
def idp(emulator: Emulator) -> Any:
    return client(emulator, "cognito-idp")


@pytest.fixture(scope="module")
def pool(idp: Any) -> dict[str, str]:
    return COMMAND.pool(idp)


@pytest.fixture(scope="module")
def stack_env(emulator: Emulator, pool: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return COMMAND.stack_env(emulator.url, pool, tmp_path_factory.mktemp("quota-command"))


def user(idp: Any, pool: dict[str, str]) -> str:
    return COMMAND.user(idp, pool, "quota")


run = COMMAND.run
quota_of = COMMAND.value_of
token_quota = COMMAND.token_value


def test_make_quota_sets_changes_lifts_and_clears_a_users_quota(
    idp: Any, pool: dict[str, str], stack_env: Path
) -> None:
    email = user(idp, pool)
    given = run([f"EMAIL={email}", f"BYTES={GIB}"], stack_env, make=True)
    assert given.returncode == 0, given.stderr
    assert given.stdout.strip() == f"{email} has a quota of {GIB} bytes (1 GiB); their next ID token carries it"
    assert quota_of(idp, pool, email) == str(GIB) and token_quota(idp, pool, email) == str(GIB)

    raised = run([email, "1572864"], stack_env)
    assert raised.returncode == 0, raised.stderr
    assert raised.stdout.strip() == (f"{email} has a quota of 1572864 bytes (1.5 MiB) "
                                     f"(was a quota of {GIB} bytes (1 GiB)); their next ID token carries it")

    lifted = run([f"EMAIL={email}", "BYTES=0"], stack_env, make=True)
    assert lifted.returncode == 0, lifted.stderr
    assert lifted.stdout.strip().startswith(f"{email} has no quota (was a quota of 1572864 bytes")
    assert token_quota(idp, pool, email) == "0"  # the functions read 0 as no quota

    cleared = run([f"EMAIL={email}", "BYTES="], stack_env, make=True)
    assert cleared.returncode == 0, cleared.stderr
    assert cleared.stdout.strip() == (f"{email} has the stack's default quota (QuotaBytes) again (was no quota); "
                                      "their next ID token carries it")
    assert quota_of(idp, pool, email) is None and token_quota(idp, pool, email) is None
    again = run([email, ""], stack_env)
    assert (again.returncode, again.stdout.strip()) == (
        0, f"{email} has the stack's default quota (QuotaBytes); nothing to change")


def test_leading_zeros_are_dropped_and_the_largest_quota_fits(idp: Any, pool: dict[str, str], stack_env: Path) -> None:
    email = user(idp, pool)
    assert run([email, "0001024"], stack_env).returncode == 0
    assert quota_of(idp, pool, email) == "1024"
    assert run([email, str(2**64 - 1)], stack_env).returncode == 0
    assert quota_of(idp, pool, email) == str(2**64 - 1)


@pytest.mark.parametrize("size", ["1GiB", "-1", "1.5", "1e9", "one", " 12 3", str(2**64), "1" * 21])
def test_what_is_no_number_of_bytes_is_refused_before_any_call(
    idp: Any, pool: dict[str, str], stack_env: Path, size: str
) -> None:
    email = user(idp, pool)
    refused = run([email, size], stack_env)
    assert refused.returncode == 2
    assert "is not a number of bytes" in refused.stderr and "digits only" in refused.stderr
    assert quota_of(idp, pool, email) is None


def test_usage_unknown_users_and_a_stopped_stack_are_explained(
    pool: dict[str, str], stack_env: Path, tmp_path: Path
) -> None:
    COMMAND.explains_usage_and_failures(pool, stack_env, tmp_path, "5", "docs/quotas.md")


def test_make_help_lists_quota() -> None:
    line = COMMAND.help_line()
    assert "EMAIL=" in line and "BYTES=" in line
