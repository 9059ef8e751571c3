"""Cognito user pools: what the user-pool corrections (p, q, r, s) share, and the one
place they are installed into moto.

Finding things as Cognito does for an unauthenticated call: the app client (and its
pool) by ClientId in any account and region, a user by username or alias, the client and
user an access token was issued to. Answering as the pool's app client is set up to:
with PreventUserExistenceErrors ENABLED, "Amazon Cognito account confirmation and
password recovery APIs return a response indicating a code was sent to a simulated
delivery medium" instead of saying that a user does not exist (ForgotPassword and
ResendConfirmationCode: a simulated CodeDeliveryDetails; ConfirmForgotPassword and
ConfirmSignUp: CodeMismatchException); with LEGACY (the API's default), UserNotFoundException.
Amazon Cognito Developer Guide, "Managing user existence error responses":
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-managing-errors.html.
Where codes go: CodeDeliveryDetails {"Destination": "a***@e***", "DeliveryMedium":
"EMAIL", "AttributeName": "email"} (CodeDeliveryDetailsType, Cognito API Reference:
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CodeDeliveryDetailsType.html).

p. (part) Passwords. moto refuses a password that breaks the pool's policy with one
   generic message; Cognito names the rule: "Password did not conform with policy:
   Password not long enough" / "... must have lowercase characters" / uppercase / numeric /
   symbol. The rules (minimum length; upper- and lower-case Basic Latin letters; digits;
   the special characters ^ $ * . [ ] { } ( ) ? " ! @ # % & / \\ , > < ' : ; | _ ~ ` = + -
   and the space) are those of "Adding user pool password requirements":
   https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-policies.html.
   Every operation that sets a password (SignUp, ConfirmForgotPassword, ChangePassword,
   AdminSetUserPassword, the NEW_PASSWORD_REQUIRED challenge) goes through this check.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUser,
    CognitoIdpUserPool,
    CognitoIdpUserPoolClient,
    cognitoidp_backends,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError

# "Adding user pool password requirements": the special characters; "The space
# character is also treated as a special character."
PASSWORD_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


class UnknownResource(Exception):
    """A control endpoint named a user pool the emulator does not have (404)."""


def cognito_error(code: str, message: str) -> JsonRESTError:
    """A Cognito error answer: HTTP 400, {"__type": code, "message": message}."""
    return JsonRESTError(code, message)


def not_authorized(message: str) -> JsonRESTError:
    return cognito_error("NotAuthorizedException", message)


def user_not_found() -> JsonRESTError:
    return cognito_error("UserNotFoundException", "Username/client id combination not found.")


@dataclass
class ClientContext:
    """An app client, its user pool and the moto backend that holds them."""

    backend: CognitoIdpBackend
    pool: CognitoIdpUserPool
    client: CognitoIdpUserPoolClient

    @property
    def prevents_existence_errors(self) -> bool:
        """PreventUserExistenceErrors: LEGACY unless set to ENABLED (CreateUserPoolClient:
        "Defaults to LEGACY when you don't provide a value")."""
        return self.client.extended_config.get("PreventUserExistenceErrors") == "ENABLED"

    def user(self, username: str | None) -> CognitoIdpUser | None:
        return self.pool._get_user(username) if username else None

    def auto_verifies_email(self) -> bool:
        return "email" in (self.pool.extended_config.get("AutoVerifiedAttributes") or [])


def _backends() -> list[CognitoIdpBackend]:
    return [
        backend
        for account in cognitoidp_backends.values()
        for region, backend in account.items()
        if region != "global"
    ]


def client_context(client_id: str | None) -> ClientContext:
    """The app client named by ClientId, as an unauthenticated call finds it."""
    for backend in _backends():
        for pool in backend.user_pools.values():
            client = pool.clients.get(client_id or "")
            if client is not None:
                return ClientContext(backend, pool, client)
    raise cognito_error("ResourceNotFoundException", f"User pool client {client_id} does not exist.")


def pool_by_id(pool_id: str) -> CognitoIdpUserPool:
    for backend in _backends():
        pool = backend.user_pools.get(pool_id)
        if pool is not None:
            return pool
    raise UnknownResource(f"user pool {pool_id} does not exist")


@dataclass
class Signed:
    """The signed-in user an access token was issued to."""

    context: ClientContext
    user: CognitoIdpUser
    login: str  # the name the user signed in with (moto's key for the user's tokens)


def signed_in(access_token: str | None) -> Signed:
    """The client and user of an access token moto issued; NotAuthorizedException
    for a token it did not issue (or that was revoked or signed out)."""
    for backend in _backends():
        for pool in backend.user_pools.values():
            issued = pool.access_tokens.get(access_token or "")
            if issued is None:
                continue
            client_id, login = issued
            user = pool._get_user(login) or pool.users.get(jwt_claims(access_token or "").get("username") or "")
            client = pool.clients.get(client_id)
            if user is None or client is None:
                break
            return Signed(ClientContext(backend, pool, client), user, login)
    raise not_authorized("Invalid Access Token")


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT moto issued, unverified; {} if it is not one."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def rename_login(pool: CognitoIdpUserPool, old: str, new: str) -> None:
    """moto files a user's tokens under the name they signed in with; when an email
    username changes, its tokens must keep working (a Cognito token names the user by
    `sub`), so they are filed under the new one."""
    for token, (client_id, login) in list(pool.access_tokens.items()):
        if login == old:
            pool.access_tokens[token] = (client_id, new)
    for token, issued in list(pool.refresh_tokens.items()):
        if issued is not None and issued[1] == old:
            pool.refresh_tokens[token] = (issued[0], new, issued[2])


def masked(email: str) -> str:
    """Cognito's masked destination: "alice@example.com" -> "a***@e***"."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def email_delivery(email: str) -> dict[str, str]:
    """A CodeDeliveryDetails for a code sent by email."""
    return {"Destination": masked(email), "DeliveryMedium": "EMAIL", "AttributeName": "email"}


def json_answer(body: dict[str, Any]) -> str:
    return json.dumps(body)


# --------------------------------------------------------------------------
# p (part). Passwords name the rule they break
# --------------------------------------------------------------------------


def password_problem(policy: dict[str, Any], password: Any) -> str | None:
    """The rule of the pool's PasswordPolicy that `password` breaks, in Cognito's
    words; None if it complies. Absent settings keep moto's defaults."""
    if not isinstance(password, str):
        password = ""
    if len(password) < int(policy.get("MinimumLength", 5)):
        return "Password not long enough"
    if policy.get("RequireLowercase", True) and not re.search(r"[a-z]", password):
        return "Password must have lowercase characters"
    if policy.get("RequireUppercase", True) and not re.search(r"[A-Z]", password):
        return "Password must have uppercase characters"
    if policy.get("RequireNumbers", True) and not re.search(r"[0-9]", password):
        return "Password must have numeric characters"
    if policy.get("RequireSymbols", True) and not any(char in PASSWORD_SYMBOLS for char in password):
        return "Password must have symbol characters"
    return None


def _validate_password(backend: CognitoIdpBackend, user_pool_id: str, password: str) -> None:
    """Replaces CognitoIdpBackend._validate_password (every password moto sets)."""
    pool = backend.describe_user_pool(user_pool_id)
    policy = pool.extended_config.get("Policies", {}).get("PasswordPolicy", {})
    problem = password_problem(policy, password)
    if problem is not None:
        raise cognito_error("InvalidPasswordException", f"Password did not conform with policy: {problem}")


# --------------------------------------------------------------------------
# Installing the user pool corrections into moto
# --------------------------------------------------------------------------


class UserPoolCorrections:
    """Corrections p-s, installed into moto's user pool service; the codes and the
    authentication sessions they keep are what the control endpoints show and expire."""

    def __init__(self) -> None:
        from .codes import CodeCorrections
        from .revocation import TokenRevocation
        from .totp import TotpCorrections

        self.codes = CodeCorrections()
        self.totp = TotpCorrections()
        self.revocation = TokenRevocation()

    def install(self) -> None:
        from . import attributes

        CognitoIdpBackend._validate_password = _validate_password
        attributes.install()
        handlers = {**self.codes.handlers(), **self.totp.handlers(), **self.revocation.handlers(),
                    **attributes.handlers()}
        for name, handler in handlers.items():
            original = getattr(CognitoIdpResponse, name, None)
            setattr(CognitoIdpResponse, name, _bind(handler, original))
        self.totp.install_backend_patches()

    # Control endpoints (app.py)

    def codes_listing(self, query: dict[str, str]) -> dict[str, Any]:
        pool_id, username = query.get("pool"), query.get("username")
        if not pool_id or not username:
            raise ValueError("pool and username are required query parameters")
        return {"codes": self.codes.listing(pool_by_id(pool_id), username)}

    def expire_codes(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("pool") or not body.get("username"):
            raise ValueError('body must be {"pool": ID, "username": NAME[, "kind": KIND]}')
        kind = body.get("kind")
        if kind is not None and kind not in ("sign_up", "forgot_password", "attribute"):
            raise ValueError("kind must be sign_up, forgot_password or attribute")
        expired = self.codes.expire(pool_by_id(body["pool"]), body["username"], kind)
        return {"ok": True, "expired": expired}

    def expire_session(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("session"), str):
            raise ValueError('body must be {"session": SESSION}')
        return {"ok": True, "expired": self.totp.sessions.expire(body["session"])}


def _bind(handler: Any, original: Any) -> Any:
    """A method for CognitoIdpResponse that calls handler(response, original)."""
    return lambda response: handler(response, original)
