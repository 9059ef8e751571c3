"""Give a local user a quota of their own, or take it away: `make quota`.

    python scripts/quota.py EMAIL BYTES    # custom:quota = BYTES (0: no quota at all)
    python scripts/quota.py EMAIL ""       # no override: the stack's QuotaBytes applies

Against the local stack `make dev` runs: settings come from the environment
(USER_POOL_ID, AWS_REGION, AWS_ENDPOINT_URL) and, where missing there, from
.local/stack.env (or the file named by HOMEDIR_STACK_ENV), as scripts/id_token.py
reads them. The calls are the operator's: AdminUpdateUserAttributes sets
`custom:quota`, AdminDeleteUserAttributes removes it, with the emulator's admin key.
Against a deployed stack, the same change is one AWS CLI command (docs/quotas.md).

BYTES is a whole number of bytes, what the functions read from the claim
(shared/src/usage/quota.rs): 0 to 18446744073709551615, digits only. The user's next ID
token carries it (the page and the CLI renew theirs within the hour; signing in again
shows it at once); the API applies it from that token on, and records it for the usage
function, which then judges the home by it (and the quota deny policies follow).
Errors go to stderr, exit 1; bad usage exits 2.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from id_token import ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, REPO_ROOT, read_env_file  # noqa: E402

ATTRIBUTE = "custom:quota"
MAX_BYTES = 2**64 - 1  # a u64, as the functions parse the claim
USAGE = ("usage: make quota EMAIL=you@example.com BYTES=1073741824   "
         "(BYTES=0: no quota; BYTES= with nothing: the stack's default)")


class QuotaError(Exception):
    """A failure worth one line on stderr."""


def bytes_problem(text: str) -> str | None:
    """Why `text` is not a quota in bytes; None if it is one."""
    if re.fullmatch(r"[0-9]{1,20}", text) and int(text) <= MAX_BYTES:
        return None
    return (f"BYTES={text!r} is not a number of bytes: use a whole number from 0 (no quota) to {MAX_BYTES}, "
            "digits only (e.g. BYTES=1073741824 for 1 GiB)")


def human(size: int) -> str:
    """1073741824 -> '1 GiB', 1500 -> '1.5 KiB' (binary units, as homedir df prints them)."""
    value, unit = float(size), "bytes"
    for next_unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024:
            break
        value, unit = value / 1024, next_unit
    if unit == "bytes":
        return f"{size} bytes"
    return f"{value:.1f}".rstrip("0").rstrip(".") + f" {unit}"


def described(text: str) -> str:
    size = int(text)
    return "no quota" if size == 0 else f"a quota of {size} bytes ({human(size)})"


def load_settings() -> dict[str, str]:
    import os

    stack_env = Path(os.environ.get("HOMEDIR_STACK_ENV") or REPO_ROOT / ".local" / "stack.env")
    from_file = read_env_file(stack_env)
    settings = {key: os.environ.get(key) or from_file.get(key, "")
                for key in ("USER_POOL_ID", "AWS_REGION", "AWS_ENDPOINT_URL")}
    if not settings["AWS_ENDPOINT_URL"]:
        raise QuotaError(f"no local stack in {stack_env} (AWS_ENDPOINT_URL): start one with make dev; "
                         "for a deployed stack use the AWS CLI command in docs/quotas.md")
    missing = [key for key in ("USER_POOL_ID", "AWS_REGION") if not settings[key]]
    if missing:
        raise QuotaError(f"missing {', '.join(missing)} (environment or {stack_env})")
    return settings


def admin_client(settings: dict[str, str]):
    import boto3
    from botocore.config import Config

    session = boto3.Session(aws_access_key_id=ADMIN_ACCESS_KEY, aws_secret_access_key=ADMIN_SECRET_KEY,
                            region_name=settings["AWS_REGION"])
    config = Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=10)
    return session.client("cognito-idp", endpoint_url=settings["AWS_ENDPOINT_URL"], config=config)


def current_quota(idp, pool_id: str, email: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        user = idp.admin_get_user(UserPoolId=pool_id, Username=email)
    except ClientError as error:
        if error.response["Error"]["Code"] == "UserNotFoundException":
            raise QuotaError(f"no user {email} in the local user pool: sign up first "
                             f"(the page, homedir signup, or make token EMAIL={email})") from None
        raise
    return next((entry["Value"] for entry in user.get("UserAttributes", []) if entry["Name"] == ATTRIBUTE), None)


def set_quota(email: str, size: str) -> str:
    """Make the change; the line to print."""
    settings = load_settings()
    idp = admin_client(settings)
    pool_id = settings["USER_POOL_ID"]
    before = current_quota(idp, pool_id, email)
    if size:
        size = str(int(size))  # no leading zeros in the attribute
        idp.admin_update_user_attributes(UserPoolId=pool_id, Username=email,
                                         UserAttributes=[{"Name": ATTRIBUTE, "Value": size}])
        was = f" (was {described(before)})" if before is not None and before != size else ""
        return f"{email} has {described(size)}{was}; their next ID token carries it"
    if before is None:
        return f"{email} has the stack's default quota (QuotaBytes); nothing to change"
    idp.admin_delete_user_attributes(UserPoolId=pool_id, Username=email, UserAttributeNames=[ATTRIBUTE])
    return (f"{email} has the stack's default quota (QuotaBytes) again (was {described(before)}); "
            "their next ID token carries it")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].strip():
        print(USAGE, file=sys.stderr)
        return 2
    email, size = argv[0].strip(), argv[1].strip()
    problem = bytes_problem(size) if size else None
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        print(set_quota(email, size))
    except QuotaError as error:
        print(f"make quota: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # botocore: the stack is not running, or refused the call
        from botocore.exceptions import ClientError, EndpointConnectionError

        if isinstance(error, EndpointConnectionError):
            print(f"make quota: the local stack is not running at {error.kwargs.get('endpoint_url')}: "
                  "start it with make dev", file=sys.stderr)
        elif isinstance(error, ClientError):
            failure = error.response.get("Error", {})
            print(f"make quota: {failure.get('Code')}: {failure.get('Message')}", file=sys.stderr)
        else:
            raise
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
