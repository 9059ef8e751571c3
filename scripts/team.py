"""Put a local user in a team, or take them out of theirs: `make team`.

    python scripts/team.py EMAIL TEAM     # custom:team = TEAM
    python scripts/team.py EMAIL ""       # no team

Against the local stack `make dev` runs: settings come from the environment
(USER_POOL_ID, AWS_REGION, AWS_ENDPOINT_URL) and, where missing there, from
.local/stack.env (or the file named by HOMEDIR_STACK_ENV), as scripts/id_token.py
reads them. The calls are the operator's: AdminUpdateUserAttributes sets
`custom:team`, AdminDeleteUserAttributes removes it (an empty value is not a team:
the attribute is 1-63 characters), with the emulator's admin key. Against a deployed
stack, the same change is one AWS CLI command (docs/teams.md).

A team name is 1-63 lowercase letters, digits and '-', starting with a letter or a
digit: what the API accepts as a team (shared/src/auth/team.rs). The user sees the
change with their next ID token (the page and the CLI renew theirs within the hour;
signing in again shows it at once). Errors go to stderr, exit 1; bad usage exits 2.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from id_token import ADMIN_ACCESS_KEY, ADMIN_SECRET_KEY, REPO_ROOT, read_env_file  # noqa: E402

TEAM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
ATTRIBUTE = "custom:team"
USAGE = "usage: make team EMAIL=you@example.com TEAM=name   (TEAM= with nothing takes the user out of their team)"


class TeamError(Exception):
    """A failure worth one line on stderr."""


def team_problem(team: str) -> str | None:
    """Why `team` is not a team name; None if it is one."""
    if TEAM_NAME.fullmatch(team):
        return None
    return (f"TEAM={team!r} is not a team name: use 1-63 lowercase letters, digits and '-', "
            "starting with a letter or a digit (e.g. TEAM=acme or TEAM=web-2)")


def load_settings() -> dict[str, str]:
    import os

    stack_env = Path(os.environ.get("HOMEDIR_STACK_ENV") or REPO_ROOT / ".local" / "stack.env")
    from_file = read_env_file(stack_env)
    settings = {key: os.environ.get(key) or from_file.get(key, "")
                for key in ("USER_POOL_ID", "AWS_REGION", "AWS_ENDPOINT_URL")}
    if not settings["AWS_ENDPOINT_URL"]:
        raise TeamError(f"no local stack in {stack_env} (AWS_ENDPOINT_URL): start one with make dev; "
                        "for a deployed stack use the AWS CLI command in docs/teams.md")
    missing = [key for key in ("USER_POOL_ID", "AWS_REGION") if not settings[key]]
    if missing:
        raise TeamError(f"missing {', '.join(missing)} (environment or {stack_env})")
    return settings


def admin_client(settings: dict[str, str]):
    import boto3
    from botocore.config import Config

    session = boto3.Session(aws_access_key_id=ADMIN_ACCESS_KEY, aws_secret_access_key=ADMIN_SECRET_KEY,
                            region_name=settings["AWS_REGION"])
    config = Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=10)
    return session.client("cognito-idp", endpoint_url=settings["AWS_ENDPOINT_URL"], config=config)


def current_team(idp, pool_id: str, email: str) -> str | None:
    from botocore.exceptions import ClientError

    try:
        user = idp.admin_get_user(UserPoolId=pool_id, Username=email)
    except ClientError as error:
        if error.response["Error"]["Code"] == "UserNotFoundException":
            raise TeamError(f"no user {email} in the local user pool: sign up first "
                            f"(the page, homedir signup, or make token EMAIL={email})") from None
        raise
    return next((entry["Value"] for entry in user.get("UserAttributes", []) if entry["Name"] == ATTRIBUTE), None)


def set_team(email: str, team: str) -> str:
    """Make the change; the line to print."""
    settings = load_settings()
    idp = admin_client(settings)
    pool_id = settings["USER_POOL_ID"]
    before = current_team(idp, pool_id, email)
    if team:
        idp.admin_update_user_attributes(UserPoolId=pool_id, Username=email,
                                         UserAttributes=[{"Name": ATTRIBUTE, "Value": team}])
        was = f" (was {before})" if before and before != team else ""
        return f"{email} is in team {team}{was}; their next ID token carries it"
    if before is None:
        return f"{email} is in no team; nothing to change"
    idp.admin_delete_user_attributes(UserPoolId=pool_id, Username=email, UserAttributeNames=[ATTRIBUTE])
    return (f"{email} is no longer in team {before}; their current ID token reaches the team's space "
            "until it expires (within the hour)")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0]:
        print(USAGE, file=sys.stderr)
        return 2
    email, team = argv[0].strip(), argv[1].strip()
    problem = team_problem(team) if team else None
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        print(set_team(email, team))
    except TeamError as error:
        print(f"make team: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # botocore: the stack is not running, or refused the call
        from botocore.exceptions import ClientError, EndpointConnectionError

        if isinstance(error, EndpointConnectionError):
            print(f"make team: the local stack is not running at {error.kwargs.get('endpoint_url')}: "
                  "start it with make dev", file=sys.stderr)
        elif isinstance(error, ClientError):
            failure = error.response.get("Error", {})
            print(f"make team: {failure.get('Code')}: {failure.get('Message')}", file=sys.stderr)
        else:
            raise
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
