"""x. User pool and app client settings the template sets, applied as Cognito applies
them (moto stores them and ignores them):

- UsernameConfiguration.CaseSensitive false: "users can sign in with any combination of
  uppercase and lowercase letters": a user name or an e-mail alias is found whatever its
  case, and SignUp / AdminCreateUser of "Alice@Example.com" finds "alice@example.com"
  (UsernameExistsException). moto compares exactly.
  https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-case-sensitivity.html
- DeletionProtection ACTIVE: DeleteUserPool is refused with InvalidParameterException
  "The user pool cannot be deleted because deletion protection is activated. Deletion
  protection must be inactivated first." moto deletes.
  https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-deletion-protection.html
- ExplicitAuthFlows: InitiateAuth and AdminInitiateAuth accept only the flows the app
  client allows (ALLOW_USER_PASSWORD_AUTH for USER_PASSWORD_AUTH, ALLOW_USER_SRP_AUTH for
  USER_SRP_AUTH, ALLOW_REFRESH_TOKEN_AUTH for REFRESH_TOKEN_AUTH / REFRESH_TOKEN,
  ALLOW_ADMIN_USER_PASSWORD_AUTH for ADMIN_USER_PASSWORD_AUTH / ADMIN_NO_SRP_AUTH,
  ALLOW_CUSTOM_AUTH, ALLOW_USER_AUTH; the legacy names USER_PASSWORD_AUTH,
  ADMIN_NO_SRP_AUTH and CUSTOM_AUTH_FLOW_ONLY count as their ALLOW_ forms); a client
  created without the setting allows ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH and
  ALLOW_CUSTOM_AUTH ("If you don't specify a value for ExplicitAuthFlows, your user client
  supports ALLOW_REFRESH_TOKEN_AUTH, ALLOW_USER_SRP_AUTH, and ALLOW_CUSTOM_AUTH"). Any
  other flow: InvalidParameterException "<FLOW> flow not enabled for this client" (the
  wording Cognito answers for USER_PASSWORD_AUTH). moto runs any flow.
  https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolClient.html
  https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-authentication-flow-methods.html
- Token lifetimes: ID and access tokens expire after the app client's IdTokenValidity /
  AccessTokenValidity in its TokenValidityUnits (hours when no unit is given; one hour
  when not set), and ExpiresIn says so; a refresh token stops working after
  RefreshTokenValidity (days unless the unit says otherwise; 30 days when not set):
  NotAuthorizedException "Refresh Token has expired". moto issues one-hour tokens and
  refresh tokens that never expire.
  https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPoolClient.html
  https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-refresh-token.html
- Policies.PasswordPolicy.TemporaryPasswordValidityDays: a user whose temporary password
  (AdminCreateUser, AdminSetUserPassword with Permanent false) is older than that many days
  cannot sign in with it: NotAuthorizedException "Temporary password has expired and must
  be reset by an administrator." (7 days when not set). moto never expires it.
  https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_PasswordPolicyType.html
- UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate ["email"]: an
  e-mail change by UpdateUserAttributes does not take effect until the user confirms the
  code sent to the new address (codes.py): until then the old address stays the user's
  e-mail, still verified, and still signs in.
  https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-email-phone-verification.html#user-pool-settings-verifications-verify-attribute-updates
"""

from __future__ import annotations

import datetime
import time
from typing import Any, Callable

from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUser, CognitoIdpUserPool, UserStatus
from moto.cognitoidp.utils import flatten_attrs
from moto.cognitoidp.responses import CognitoIdpResponse

from .userpools import client_context, cognito_error

FLOW_NEEDS = {
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
    "ADMIN_USER_PASSWORD_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
    "USER_AUTH": "ALLOW_USER_AUTH",
}
LEGACY_FLOWS = {
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY": "ALLOW_CUSTOM_AUTH",
}
DEFAULT_FLOWS = {"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"}
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
TEMPORARY_SINCE = "homedir_temporary_password_since"
REFRESH_ISSUED = "homedir_refresh_tokens_issued"


# --------------------------------------------------------------------------
# Settings, as the pool and its clients hold them
# --------------------------------------------------------------------------


def case_insensitive(pool: CognitoIdpUserPool) -> bool:
    return (pool.extended_config.get("UsernameConfiguration") or {}).get("CaseSensitive") is False


def allowed_flows(client_config: dict[str, Any]) -> set[str]:
    flows = client_config.get("ExplicitAuthFlows")
    if not flows:
        return set(DEFAULT_FLOWS)
    return {LEGACY_FLOWS.get(flow, flow) for flow in flows}


def token_seconds(client_config: dict[str, Any], token: str) -> int:
    """Seconds an "IdToken", "AccessToken" or "RefreshToken" of the client stays valid."""
    default_value, default_unit = (30, "days") if token == "RefreshToken" else (60, "minutes")
    value = client_config.get(f"{token}Validity")
    if value is None:
        return default_value * UNIT_SECONDS[default_unit]
    unit = (client_config.get("TokenValidityUnits") or {}).get(token) or ("days" if token == "RefreshToken"
                                                                         else "hours")
    return int(value) * UNIT_SECONDS[unit]


def temporary_password_days(pool: CognitoIdpUserPool) -> int:
    policy = (pool.extended_config.get("Policies") or {}).get("PasswordPolicy") or {}
    return int(policy.get("TemporaryPasswordValidityDays", 7))


def temporary_password_expired(pool: CognitoIdpUserPool, user: CognitoIdpUser, now: float) -> bool:
    if user.status != UserStatus.FORCE_CHANGE_PASSWORD:
        return False
    since = getattr(user, TEMPORARY_SINCE, None)
    if since is None:
        created = getattr(user, "create_date", None)
        since = created.timestamp() if isinstance(created, datetime.datetime) else now
    return now - since > temporary_password_days(pool) * 86400


# --------------------------------------------------------------------------
# Installing into moto
# --------------------------------------------------------------------------


class PoolSettings:
    """Correction x, installed into moto's user pools (after p-s: it wraps their handlers)."""

    def install(self) -> None:
        original_get_user = CognitoIdpUserPool._get_user

        def _get_user(pool: CognitoIdpUserPool, username: str) -> Any:
            found = original_get_user(pool, username)
            if found is not None or not case_insensitive(pool) or not isinstance(username, str):
                return found
            wanted = username.casefold()
            attributes = pool.extended_config.get("UsernameAttributes") or []
            for user in pool.users.values():
                names = [user.username] + [flatten_attrs(user.attributes).get(a) for a in attributes]
                if any(isinstance(name, str) and name.casefold() == wanted for name in names):
                    return user
            return None

        CognitoIdpUserPool._get_user = _get_user

        original_delete = CognitoIdpBackend.delete_user_pool

        def delete_user_pool(backend: CognitoIdpBackend, user_pool_id: str) -> None:
            pool = backend.describe_user_pool(user_pool_id)
            if pool.extended_config.get("DeletionProtection") == "ACTIVE":
                raise cognito_error(
                    "InvalidParameterException",
                    "The user pool cannot be deleted because deletion protection is activated. "
                    "Deletion protection must be inactivated first.")
            original_delete(backend, user_pool_id)

        CognitoIdpBackend.delete_user_pool = delete_user_pool

        original_jwt = CognitoIdpUserPool.create_jwt

        def create_jwt(pool: CognitoIdpUserPool, client_id: str, username: str, token_use: str,
                       expires_in: int = 60 * 60, extra_data: dict[str, Any] | None = None) -> tuple[str, int]:
            client = pool.clients.get(client_id)
            if client is not None and token_use in ("id", "access"):
                expires_in = token_seconds(client.extended_config, "IdToken" if token_use == "id" else "AccessToken")
            return original_jwt(pool, client_id, username, token_use, expires_in, extra_data)

        CognitoIdpUserPool.create_jwt = create_jwt

        original_refresh = CognitoIdpUserPool.create_refresh_token

        def create_refresh_token(pool: CognitoIdpUserPool, client_id: str, username: str) -> tuple[str, str]:
            token, origin = original_refresh(pool, client_id, username)
            issued = pool.__dict__.setdefault(REFRESH_ISSUED, {})
            issued[token] = time.time()
            return token, origin

        CognitoIdpUserPool.create_refresh_token = create_refresh_token

        original_from_refresh = CognitoIdpUserPool.create_tokens_from_refresh_token

        def create_tokens_from_refresh_token(pool: CognitoIdpUserPool, refresh_token: str) -> tuple[str, str, int]:
            issued_at = (pool.__dict__.get(REFRESH_ISSUED) or {}).get(refresh_token)
            known = pool.refresh_tokens.get(refresh_token)
            client = pool.clients.get(known[0]) if known else None
            if issued_at is not None and client is not None and \
                    time.time() - issued_at > token_seconds(client.extended_config, "RefreshToken"):
                raise NotAuthorizedError("Refresh Token has expired")
            return original_from_refresh(pool, refresh_token)

        CognitoIdpUserPool.create_tokens_from_refresh_token = create_tokens_from_refresh_token

        original_create_user = CognitoIdpBackend.admin_create_user

        def admin_create_user(backend: CognitoIdpBackend, *args: Any, **kwargs: Any) -> CognitoIdpUser:
            user = original_create_user(backend, *args, **kwargs)
            setattr(user, TEMPORARY_SINCE, time.time())
            return user

        CognitoIdpBackend.admin_create_user = admin_create_user

        original_set_password = CognitoIdpBackend.admin_set_user_password

        def admin_set_user_password(backend: CognitoIdpBackend, user_pool_id: str, username: str, password: str,
                                    permanent: bool) -> None:
            original_set_password(backend, user_pool_id, username, password, permanent)
            if not permanent:
                setattr(backend.admin_get_user(user_pool_id, username), TEMPORARY_SINCE, time.time())

        CognitoIdpBackend.admin_set_user_password = admin_set_user_password

        CognitoIdpResponse.initiate_auth = _checking_flows(CognitoIdpResponse.initiate_auth, admin=False)
        CognitoIdpResponse.admin_initiate_auth = _checking_flows(CognitoIdpResponse.admin_initiate_auth, admin=True)


def _checking_flows(handler: Callable[[CognitoIdpResponse], Any], admin: bool) -> Callable[[CognitoIdpResponse], Any]:
    def checked(response: CognitoIdpResponse) -> Any:
        flow = response._get_param("AuthFlow") or ""
        context = client_context(response._get_param("ClientId"))
        if admin and context.pool.id != response._get_param("UserPoolId"):
            return handler(response)  # moto answers the mismatch
        needed = FLOW_NEEDS.get(flow)
        if needed is not None and needed not in allowed_flows(context.client.extended_config):
            raise cognito_error("InvalidParameterException", f"{flow} flow not enabled for this client")
        if flow in ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
            parameters = response._get_param("AuthParameters") or {}
            user = context.user(parameters.get("USERNAME"))
            if user is not None and user.password == parameters.get("PASSWORD") and \
                    temporary_password_expired(context.pool, user, time.time()):
                raise cognito_error("NotAuthorizedException",
                                    "Temporary password has expired and must be reset by an administrator.")
        return handler(response)
    return checked
