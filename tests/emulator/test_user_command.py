"""`make user EMAIL=… ACTION=…` (scripts/user.py): the operator's way to disable, enable,
delete or sign out a local user everywhere. For disable, delete and sign-out it writes
the change into the stack's user changes table first ("no token of this user issued at
or before now", what the functions' user check reads once per USER_CHECK_TTL_SECS),
then makes the Cognito call, so the change holds within the TTL with or without the
stack's CloudTrail rule.

The user pool and the table are this module's own, named to the script by an env file
and a functions config as .local/stack.env and its functions config name the stack's."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from harness import Emulator, client, unique
from operator_command import Command

COMMAND = Command(verb="user", argument="ACTION", name="team", max_length=63)


@pytest.fixture(scope="module")
def idp(emulator: Emulator) -> Any:
    return client(emulator, "cognito-idp")


@pytest.fixture(scope="module")
def dynamodb(emulator: Emulator) -> Any:
    return client(emulator, "dynamodb")


@pytest.fixture(scope="module")
def setup(emulator: Emulator, idp: Any, dynamodb: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    pool = COMMAND.pool(idp)
    table = unique("user-changes")
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                {"AttributeName": "sk", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                     {"AttributeName": "sk", "KeyType": "RANGE"}])
    directory = tmp_path_factory.mktemp("user-command")
    config = directory / "functions.json"
    config.write_text(json.dumps({"functions": {"read-file": {"environment": {"USER_CHANGES_TABLE": table}}}}))
    env = COMMAND.stack_env(emulator.url, pool, directory)
    env.write_text(env.read_text() + f"FUNCTIONS_CONFIG={config}\n")
    return {"pool": pool, "table": table, "env": env}


def changes_of(dynamodb: Any, table: str, sub: str) -> list[dict[str, Any]]:
    items = dynamodb.query(TableName=table, KeyConditionExpression="pk = :pk",
                           ExpressionAttributeValues={":pk": {"S": "changes"}})["Items"]
    return [item for item in items if item["sub"]["S"] == sub]


def sub_of(idp: Any, pool: str, email: str) -> str:
    user = idp.admin_get_user(UserPoolId=pool, Username=email)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def test_disable_records_the_change_then_disables_and_enable_only_enables(
    idp: Any, dynamodb: Any, setup: dict[str, Any]
) -> None:
    pool = setup["pool"]["pool"]
    email = COMMAND.user(idp, setup["pool"], "user")
    sub = sub_of(idp, pool, email)
    before = int(time.time())
    done = COMMAND.run([f"EMAIL={email}", "ACTION=disable"], setup["env"], make=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (f"{email} is disabled; their current tokens are refused within "
                                   "USER_CHECK_TTL_SECS")
    assert idp.admin_get_user(UserPoolId=pool, Username=email)["Enabled"] is False
    [change] = changes_of(dynamodb, setup["table"], sub)
    at = int(change["at"]["N"])
    assert before <= at <= int(time.time())
    assert change["sk"]["S"] == f"{at:010d}#{sub}"
    assert int(change["expires_at"]["N"]) == at + 7200

    enabled = COMMAND.run([email, "enable"], setup["env"])
    assert enabled.returncode == 0, enabled.stderr
    assert idp.admin_get_user(UserPoolId=pool, Username=email)["Enabled"] is True
    assert len(changes_of(dynamodb, setup["table"], sub)) == 1, "enabling records nothing"


@pytest.mark.parametrize("action", ["delete", "sign-out"])
def test_delete_and_sign_out_record_the_change_too(idp: Any, dynamodb: Any, setup: dict[str, Any],
                                                   action: str) -> None:
    pool = setup["pool"]["pool"]
    email = COMMAND.user(idp, setup["pool"], "user")
    sub = sub_of(idp, pool, email)
    done = COMMAND.run([email, action], setup["env"])
    assert done.returncode == 0, done.stderr
    assert len(changes_of(dynamodb, setup["table"], sub)) == 1
    if action == "delete":
        with pytest.raises(idp.exceptions.UserNotFoundException):
            idp.admin_get_user(UserPoolId=pool, Username=email)


def test_bad_actions_and_unknown_users_are_explained(idp: Any, setup: dict[str, Any]) -> None:
    email = COMMAND.user(idp, setup["pool"], "user")
    bad = COMMAND.run([email, "ban"], setup["env"])
    assert bad.returncode == 2 and "is not one of disable, enable, delete, sign-out" in bad.stderr
    usage = COMMAND.run(["EMAIL=x@example.com"], setup["env"], make=True)
    assert usage.returncode == 2 and "usage: make user" in usage.stderr
    unknown = COMMAND.run(["nobody@example.com", "disable"], setup["env"])
    assert unknown.returncode == 1 and "no user nobody@example.com" in unknown.stderr


def test_make_help_lists_user() -> None:
    line = COMMAND.help_line()
    assert "EMAIL=" in line and "ACTION=" in line
