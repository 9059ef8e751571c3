"""Test fixtures for a local stack that deploy.py deployed from template.yaml: only what
the template does not declare and the tests need.

    python tests/emulator/provision.py --endpoint URL --env .local/stack.env [--demo-users]

- the demo users (alice@example.com, bob@example.com, password Homedir-Demo-1),
  confirmed, in the stack's user pool (--demo-users);
- a second user pool, <stack>-users-other, with its client <stack>-client-other: tokens
  of another pool (wrong `iss`);
- a client of the stack's pool the identity pool does not list, <stack>-client-unlisted:
  tokens for another audience (wrong `aud`).

Each is found by name before it is created, so a resumed saved state (make dev) reuses
them; the demo users' password is set again. Nothing here restates a property of the
template: the stack's own resources come from the template alone (tests/emulator/
test_deploy.py checks that these fixtures create nothing else). deploy.py calls
fixtures() after its deploy; run alone, this script appends the same settings to an
existing env file:

    OTHER_USER_POOL_ID  OTHER_USER_POOL_CLIENT_ID  OTHER_CLIENT_ID
    DEMO_USER_1_EMAIL  DEMO_USER_2_EMAIL  DEMO_PASSWORD     (with --demo-users)

All calls use the emulator's admin key, never the caller's ambient credentials.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

import boto3

ADMIN_ACCESS_KEY = "AKIAHOMEDIRADMIN000"
ADMIN_SECRET_KEY = "local"
DEMO_USERS = ("alice@example.com", "bob@example.com")
DEMO_PASSWORD = "Homedir-Demo-1"  # upper, lower, digit, symbol, >= 8
SIGN_IN_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
"""What a fixture client needs: password sign-in, as the tests sign in, and refresh."""


def first_match(pages: Any, key: str, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    return next((item for page in pages for item in page.get(key, []) if predicate(item)), None)


def ensure_user_pool(idp: Any, name: str) -> str:
    """A user pool with Cognito's defaults (a token from it must only come from elsewhere)."""
    pages = idp.get_paginator("list_user_pools").paginate(MaxResults=60)
    existing = first_match(pages, "UserPools", lambda pool: pool["Name"] == name)
    if existing:
        return existing["Id"]
    return idp.create_user_pool(PoolName=name)["UserPool"]["Id"]


def ensure_app_client(idp: Any, user_pool_id: str, name: str) -> str:
    """A public client (no secret) users can sign in through with a password."""
    pages = idp.get_paginator("list_user_pool_clients").paginate(UserPoolId=user_pool_id, MaxResults=60)
    existing = first_match(pages, "UserPoolClients", lambda client: client["ClientName"] == name)
    if existing:
        return existing["ClientId"]
    return idp.create_user_pool_client(
        UserPoolId=user_pool_id, ClientName=name, GenerateSecret=False, ExplicitAuthFlows=SIGN_IN_FLOWS,
    )["UserPoolClient"]["ClientId"]


def ensure_confirmed_user(idp: Any, user_pool_id: str, email: str, password: str) -> None:
    """A confirmed user with a permanent password (reset if the user exists)."""
    try:
        idp.admin_create_user(
            UserPoolId=user_pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )
    except idp.exceptions.UsernameExistsException:
        pass
    idp.admin_set_user_password(UserPoolId=user_pool_id, Username=email, Password=password, Permanent=True)


def fixtures(session: boto3.Session, endpoint: str, stack_name: str, user_pool_id: str,
             demo_users: bool) -> dict[str, str]:
    """Create (or find) the fixtures; return their settings."""
    idp = session.client("cognito-idp", endpoint_url=endpoint)
    unlisted_client_id = ensure_app_client(idp, user_pool_id, f"{stack_name}-client-unlisted")
    other_pool_id = ensure_user_pool(idp, f"{stack_name}-users-other")
    other_client_id = ensure_app_client(idp, other_pool_id, f"{stack_name}-client-other")
    settings = {
        "OTHER_USER_POOL_ID": other_pool_id,
        "OTHER_USER_POOL_CLIENT_ID": other_client_id,
        "OTHER_CLIENT_ID": unlisted_client_id,
    }
    if demo_users:
        for number, email in enumerate(DEMO_USERS, start=1):
            ensure_confirmed_user(idp, user_pool_id, email, DEMO_PASSWORD)
            settings[f"DEMO_USER_{number}_EMAIL"] = email
        settings["DEMO_PASSWORD"] = DEMO_PASSWORD
    return settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Add test fixtures to a local stack deploy.py deployed.")
    parser.add_argument("--endpoint", required=True, help="emulator URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--env", type=Path, required=True, help="the stack's env file (deploy.py --out)")
    parser.add_argument("--demo-users", action="store_true", help="also create alice and bob, confirmed")
    args = parser.parse_args(argv)

    settings = dict(line.split("=", 1) for line in args.env.read_text().splitlines() if "=" in line)
    session = boto3.Session(aws_access_key_id=ADMIN_ACCESS_KEY, aws_secret_access_key=ADMIN_SECRET_KEY,
                            region_name=settings.get("AWS_REGION", "us-east-1"))
    added = fixtures(session, args.endpoint.rstrip("/"), settings.get("STACK_NAME", "homedir-local"),
                     settings["USER_POOL_ID"], args.demo_users)
    settings.update(added)
    args.env.write_text("".join(f"{key}={value}\n" for key, value in settings.items()))
    print(f"provision: added {', '.join(added)} to {args.env}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
