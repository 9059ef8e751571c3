"""Disable, enable, delete or sign out a local user everywhere: `make user`.

    python scripts/user.py EMAIL disable|enable|delete|sign-out

Against the local stack `make dev` runs (settings and calls as in
scripts/user_attribute.py, with the emulator's admin key). For disable, delete and
sign-out it first writes the change into the user changes table (the stack's
USER_CHANGES_TABLE: "no token of this user issued at or before now"), then makes the
Cognito call (AdminDisableUser, AdminDeleteUser, AdminUserGlobalSignOut): every
execution environment refuses the user's existing tokens within USER_CHECK_TTL_SECS
(shared/src/auth/users.rs), whether or not the stack's CloudTrail rule sees the call.
Enable is AdminEnableUser alone: the user signs in again for a new token. Against a
deployed stack, the same two calls are AWS CLI commands (docs/security.md, "Disabling
a user"). Errors go to stderr, exit 1; bad usage exits 2.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from user_attribute import OperatorError, admin_client, load_settings, run  # noqa: E402

ACTIONS = ("disable", "enable", "delete", "sign-out")
USAGE = "usage: make user EMAIL=you@example.com ACTION=disable|enable|delete|sign-out"
DOCS = "docs/security.md"
# As shared/src/directory.rs writes an entry (record_change): kept two hours.
CHANGE_KEPT_SECS = 2 * 3600


def action_problem(action: str) -> str | None:
    if action in ACTIONS:
        return None
    return f"ACTION={action!r} is not one of {', '.join(ACTIONS)}"


def changes_table(settings: dict[str, str]) -> str:
    """The API functions' USER_CHANGES_TABLE, from the stack's functions config."""
    path = settings.get("FUNCTIONS_CONFIG", "")
    try:
        config = json.loads(Path(path).read_text())
        return config["functions"]["read-file"]["environment"]["USER_CHANGES_TABLE"]
    except (OSError, ValueError, KeyError):
        raise OperatorError(f"no USER_CHANGES_TABLE in the stack's functions config ({path or 'unset'}): "
                            "is make dev running?") from None


def record_change(settings: dict[str, str], sub: str) -> None:
    at = int(time.time())
    admin_client(settings, "dynamodb").put_item(TableName=changes_table(settings), Item={
        "pk": {"S": "changes"},
        "sk": {"S": f"{at:010d}#{sub}"},
        "sub": {"S": sub},
        "at": {"N": str(at)},
        "expires_at": {"N": str(at + CHANGE_KEPT_SECS)},
    })


def change_user(email: str, action: str) -> str:
    from botocore.exceptions import ClientError

    settings = load_settings(DOCS)
    idp = admin_client(settings)
    pool = settings["USER_POOL_ID"]
    try:
        user = idp.admin_get_user(UserPoolId=pool, Username=email)
    except ClientError as error:
        if error.response["Error"]["Code"] == "UserNotFoundException":
            raise OperatorError(f"no user {email} in the local user pool") from None
        raise
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    if action == "enable":
        idp.admin_enable_user(UserPoolId=pool, Username=email)
        return f"{email} is enabled; they sign in again for a new token"
    record_change(settings, sub)
    if action == "disable":
        idp.admin_disable_user(UserPoolId=pool, Username=email)
        done = "is disabled"
    elif action == "delete":
        idp.admin_delete_user(UserPoolId=pool, Username=email)
        done = "is deleted (their files stay in the bucket)"
    else:
        idp.admin_user_global_sign_out(UserPoolId=pool, Username=email)
        done = "is signed out everywhere"
    return f"{email} {done}; their current tokens are refused within USER_CHECK_TTL_SECS"


def main(argv: list[str]) -> int:
    return run("user", USAGE, argv, action_problem, change_user)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
