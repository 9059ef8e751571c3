"""Print a Cognito user pool ID token for EMAIL, signing the user up if needed.

    python scripts/id_token.py EMAIL [PASSWORD]

Settings come from the environment (USER_POOL_ID, USER_POOL_CLIENT_ID,
AWS_REGION, optional AWS_ENDPOINT_URL, DEMO_PASSWORD) and, where missing there,
from .local/stack.env (or the file named by HOMEDIR_STACK_ENV). PASSWORD
defaults to DEMO_PASSWORD.

Signs in with USER_PASSWORD_AUTH. If the user does not exist, it signs them up
and confirms them with AdminConfirmSignUp, then signs in again. The admin call
uses the emulator's admin key when AWS_ENDPOINT_URL is set, else the caller's
ambient AWS credentials. Only the ID token goes to stdout; errors go to stderr
with a non-zero exit status.
"""

import os
import sys
from pathlib import Path

ADMIN_ACCESS_KEY = "AKIAHOMEDIRADMIN000"
ADMIN_SECRET_KEY = "local"
REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ("USER_POOL_ID", "USER_POOL_CLIENT_ID", "AWS_REGION")


class TokenError(Exception):
    """A failure worth one line on stderr."""


def read_env_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    settings = {}
    for line in path.read_text().splitlines():
        name, separator, value = line.strip().partition("=")
        if separator and not name.startswith("#"):
            settings[name.strip()] = value.strip()
    return settings


def load_settings() -> dict[str, str]:
    """Environment first, then the stack env file."""
    stack_env = Path(os.environ.get("HOMEDIR_STACK_ENV") or REPO_ROOT / ".local" / "stack.env")
    from_file = read_env_file(stack_env)
    keys = (*REQUIRED, "AWS_ENDPOINT_URL", "DEMO_PASSWORD")
    settings = {key: os.environ.get(key) or from_file.get(key, "") for key in keys}
    missing = [key for key in REQUIRED if not settings[key]]
    if missing:
        raise TokenError(f"missing {', '.join(missing)} (environment or {stack_env})")
    return settings


def cognito_client(settings: dict[str, str]):
    import boto3

    endpoint = settings["AWS_ENDPOINT_URL"] or None
    credentials = (
        {"aws_access_key_id": ADMIN_ACCESS_KEY, "aws_secret_access_key": ADMIN_SECRET_KEY}
        if endpoint
        else {}
    )
    session = boto3.Session(region_name=settings["AWS_REGION"], **credentials)
    return session.client("cognito-idp", endpoint_url=endpoint)


def sign_in(idp, client_id: str, email: str, password: str) -> str:
    result = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    if "AuthenticationResult" not in result:
        raise TokenError(f"sign-in needs challenge {result.get('ChallengeName')}; finish it by hand")
    return result["AuthenticationResult"]["IdToken"]


def user_is_missing(idp, error, user_pool_id: str, email: str) -> bool:
    """Sign-in failed: because the user doesn't exist? A pool that prevents user
    existence errors answers NotAuthorized either way, so ask AdminGetUser."""
    code = error.response["Error"]["Code"]
    if code == "UserNotFoundException":
        return True
    if code != "NotAuthorizedException":
        return False
    try:
        idp.admin_get_user(UserPoolId=user_pool_id, Username=email)
        return False
    except idp.exceptions.UserNotFoundException:
        return True


def sign_up(idp, settings: dict[str, str], email: str, password: str) -> None:
    idp.sign_up(
        ClientId=settings["USER_POOL_CLIENT_ID"],
        Username=email,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    idp.admin_confirm_sign_up(UserPoolId=settings["USER_POOL_ID"], Username=email)


def id_token(email: str, password: str | None) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    settings = load_settings()
    password = password or settings["DEMO_PASSWORD"]
    if not password:
        raise TokenError("no PASSWORD given and no DEMO_PASSWORD configured")
    idp = cognito_client(settings)
    client_id = settings["USER_POOL_CLIENT_ID"]
    try:
        try:
            return sign_in(idp, client_id, email, password)
        except ClientError as error:
            if not user_is_missing(idp, error, settings["USER_POOL_ID"], email):
                raise
        sign_up(idp, settings, email, password)
        return sign_in(idp, client_id, email, password)
    except ClientError as error:
        details = error.response["Error"]
        raise TokenError(f"{details.get('Code')}: {details.get('Message')}") from None
    except BotoCoreError as error:
        raise TokenError(str(error)) from None


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2) or argv[0].startswith("-"):
        print("usage: token.py EMAIL [PASSWORD]", file=sys.stderr)
        return 2
    try:
        print(id_token(argv[0], argv[1] if len(argv) == 2 else None))
    except TokenError as error:
        print(f"token.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
