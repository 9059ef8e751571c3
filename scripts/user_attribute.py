"""What `make team` and `make quota` share: an operator's change of one custom
attribute of a local user (scripts/team.py, scripts/quota.py).

Settings come from the environment (USER_POOL_ID, AWS_REGION, AWS_ENDPOINT_URL) and,
where missing there, from .local/stack.env (or the file named by HOMEDIR_STACK_ENV), as
scripts/id_token.py reads them; the calls are made with the emulator's admin key, as an
operator's AdminGetUser, AdminUpdateUserAttributes and AdminDeleteUserAttributes.
Failures are one line on stderr (exit 1); bad usage exits 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from id_token import ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, REPO_ROOT, read_env_file  # noqa: E402


class OperatorError(Exception):
    """A failure worth one line on stderr."""


class UserAttribute:
    """One custom attribute (`custom:team`, `custom:quota`) of the local pool's users;
    `docs` is the page with the AWS CLI command for a deployed stack."""

    def __init__(self, name: str, docs: str) -> None:
        self.name = name
        self.docs = docs
        settings = load_settings(docs)
        self.pool_id = settings["USER_POOL_ID"]
        self.idp = admin_client(settings)

    def current(self, email: str) -> str | None:
        """The user's value, None without one."""
        from botocore.exceptions import ClientError

        try:
            user = self.idp.admin_get_user(UserPoolId=self.pool_id, Username=email)
        except ClientError as error:
            if error.response["Error"]["Code"] == "UserNotFoundException":
                raise OperatorError(f"no user {email} in the local user pool: sign up first "
                                    f"(the page, homedir signup, or make token EMAIL={email})") from None
            raise
        return next((entry["Value"] for entry in user.get("UserAttributes", []) if entry["Name"] == self.name),
                    None)

    def set(self, email: str, value: str) -> None:
        self.idp.admin_update_user_attributes(UserPoolId=self.pool_id, Username=email,
                                              UserAttributes=[{"Name": self.name, "Value": value}])

    def remove(self, email: str) -> None:
        self.idp.admin_delete_user_attributes(UserPoolId=self.pool_id, Username=email,
                                              UserAttributeNames=[self.name])


def load_settings(docs: str) -> dict[str, str]:
    stack_env = Path(os.environ.get("HOMEDIR_STACK_ENV") or REPO_ROOT / ".local" / "stack.env")
    from_file = read_env_file(stack_env)
    settings = {key: os.environ.get(key) or from_file.get(key, "")
                for key in ("USER_POOL_ID", "AWS_REGION", "AWS_ENDPOINT_URL", "FUNCTIONS_CONFIG")}
    if not settings["AWS_ENDPOINT_URL"]:
        raise OperatorError(f"no local stack in {stack_env} (AWS_ENDPOINT_URL): start one with make dev; "
                            f"for a deployed stack use the AWS CLI command in {docs}")
    missing = [key for key in ("USER_POOL_ID", "AWS_REGION") if not settings[key]]
    if missing:
        raise OperatorError(f"missing {', '.join(missing)} (environment or {stack_env})")
    return settings


def admin_client(settings: dict[str, str], service: str = "cognito-idp"):
    import boto3
    from botocore.config import Config

    session = boto3.Session(aws_access_key_id=ADMIN_ACCESS_KEY, aws_secret_access_key=ADMIN_SECRET_KEY,
                            region_name=settings["AWS_REGION"])
    config = Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=10)
    return session.client(service, endpoint_url=settings["AWS_ENDPOINT_URL"], config=config)


def run(verb: str, usage: str, argv: list[str], problem: Callable[[str], str | None],
        change: Callable[[str, str], str]) -> int:
    """`make VERB EMAIL=… X=…`: argv is [EMAIL, X]; `problem(X)` says why a non-empty X is
    wrong (exit 2), `change(email, X)` makes the change and says what it did."""
    if len(argv) != 2 or not argv[0].strip():
        print(usage, file=sys.stderr)
        return 2
    email, value = argv[0].strip(), argv[1].strip()
    wrong = problem(value) if value else None
    if wrong:
        print(wrong, file=sys.stderr)
        return 2
    try:
        print(change(email, value))
    except OperatorError as error:
        print(f"make {verb}: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # botocore: the stack is not running, or refused the call
        from botocore.exceptions import ClientError, EndpointConnectionError

        if isinstance(error, EndpointConnectionError):
            print(f"make {verb}: the local stack is not running at {error.kwargs.get('endpoint_url')}: "
                  "start it with make dev", file=sys.stderr)
        elif isinstance(error, ClientError):
            failure = error.response.get("Error", {})
            print(f"make {verb}: {failure.get('Code')}: {failure.get('Message')}", file=sys.stderr)
        else:
            raise
        return 1
    return 0
