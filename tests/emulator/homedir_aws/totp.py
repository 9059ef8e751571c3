"""Correction q: TOTP (software token) MFA, verified as Cognito verifies it.

moto 5.2.5 hands every user the same fixed secret ("asdfasdfasdf") and, unless an
environment variable is set, accepts any code: VerifySoftwareToken, and the
SOFTWARE_TOKEN_MFA challenge. It challenges on its own terms (a pool whose MFA is OFF
still challenges a user who prefers TOTP; a pool with MFA ON gives an MFA_SETUP whose
MFAS_CAN_SETUP is a JSON list where the API has a string), and lets a challenge
session live for ever. Here, as "TOTP software token MFA"
(https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-mfa-totp.html),
"Adding MFA to a user pool"
(https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-mfa.html)
and the API Reference pages of AssociateSoftwareToken, VerifySoftwareToken,
SetUserMFAPreference, InitiateAuth and RespondToAuthChallenge
(https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AssociateSoftwareToken.html,
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_VerifySoftwareToken.html,
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_SetUserMFAPreference.html,
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_InitiateAuth.html,
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_RespondToAuthChallenge.html)
describe it:

- AssociateSoftwareToken, by AccessToken or by the Session of an MFA_SETUP challenge,
  returns a new random base32 SecretCode for the user (and, by Session, a new Session).
  A pool whose SoftwareTokenMfaConfiguration is not enabled answers
  SoftwareTokenMFANotFoundException "Software Token MFA has not been enabled by the
  userPool.".
- VerifySoftwareToken checks UserCode as RFC 6238 TOTP of that secret (HMAC-SHA1, 30 s
  steps, 6 digits); "Amazon Cognito accepts TOTP tokens that are within 30 seconds before
  or after the attempt", so the adjacent steps pass too. A wrong code is
  EnableSoftwareTokenMFAException "Code mismatch and fail enable Software Token MFA"; a
  right one registers the secret as the user's authenticator (Status SUCCESS, and by
  Session a Session that satisfies MFA_SETUP).
- SetUserMFAPreference / AdminSetUserMFAPreference enable TOTP only once it is
  registered: InvalidParameterException "User does not have delivery config set to
  turn on SOFTWARE_TOKEN_MFA" (moto's flag, its message corrected).
- InitiateAuth USER_PASSWORD_AUTH (and AdminInitiateAuth ADMIN_USER_PASSWORD_AUTH /
  ADMIN_NO_SRP_AUTH), once user name and password are right: pool MFA OFF, tokens; MFA
  OPTIONAL, a SOFTWARE_TOKEN_MFA challenge for a user who enabled TOTP, else tokens; MFA
  ON, SOFTWARE_TOKEN_MFA for a user with a registered authenticator, else MFA_SETUP with
  ChallengeParameters {"MFAS_CAN_SETUP": "[\\"SOFTWARE_TOKEN_MFA\\"]"}.
- RespondToAuthChallenge (and AdminRespondToAuthChallenge) SOFTWARE_TOKEN_MFA checks
  SOFTWARE_TOKEN_MFA_CODE the same way: wrong, CodeMismatchException "Invalid code
  received for user" (the session stays usable); right, the tokens. MFA_SETUP with the
  Session from VerifySoftwareToken: the tokens. After moto's NEW_PASSWORD_REQUIRED, the
  same MFA decision as at sign-in.
- Sessions expire after the app client's AuthSessionValidity, 3 minutes unless set ("By
  default, your users have three minutes to complete each challenge before the session
  string expires", "Authentication flows":
  https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-authentication-flow.html);
  an expired one is NotAuthorizedException "Invalid session for the user, session is
  expired.". Tests end one early with POST /_homedir/auth-sessions/expire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

from moto.cognitoidp.exceptions import InvalidParameterException
from moto.cognitoidp.models import CognitoIdpBackend, CognitoIdpUser, UserStatus
from moto.cognitoidp.responses import CognitoIdpResponse

from .userpools import (
    ClientContext,
    client_context,
    cognito_error,
    json_answer,
    not_authorized,
    signed_in,
)

TIME_STEP = 30
DIGITS = 6
SESSION_MINUTES_DEFAULT = 3


# --------------------------------------------------------------------------
# RFC 6238
# --------------------------------------------------------------------------


def new_secret() -> str:
    """A 160-bit shared secret, base32 without padding (32 characters)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    text = secret.strip().replace(" ", "").upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def totp(secret: str, at: float, digits: int = DIGITS, step: int = TIME_STEP) -> str:
    """RFC 6238 TOTP (HMAC-SHA1, RFC 4226 dynamic truncation) of a base32 secret."""
    counter = int(at // step)
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10 ** digits:0{digits}d}"


def verify(secret: str, code: Any, now: float) -> bool:
    """True if `code` is the TOTP of this step or of the one before or after it."""
    if not isinstance(code, str) or len(code) != DIGITS or not code.isdigit():
        return False
    return any(hmac.compare_digest(totp(secret, now + skew * TIME_STEP), code) for skew in (-1, 0, 1))


# --------------------------------------------------------------------------
# Authenticators and sessions
# --------------------------------------------------------------------------


class Authenticators:
    """Per (pool, user): the secret of the latest AssociateSoftwareToken, and the
    registered one (after VerifySoftwareToken)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], str] = {}
        self._registered: dict[tuple[str, str], str] = {}

    def associate(self, pool_id: str, username: str) -> str:
        secret = new_secret()
        with self._lock:
            self._pending[(pool_id, username)] = secret
        return secret

    def pending(self, pool_id: str, username: str) -> str | None:
        with self._lock:
            return self._pending.get((pool_id, username))

    def register(self, pool_id: str, username: str, secret: str) -> None:
        with self._lock:
            self._registered[(pool_id, username)] = secret
            self._pending.pop((pool_id, username), None)

    def registered(self, pool_id: str, username: str) -> str | None:
        with self._lock:
            return self._registered.get((pool_id, username))


@dataclass(frozen=True)
class AuthSession:
    challenge: str  # SOFTWARE_TOKEN_MFA or MFA_SETUP
    stage: str  # "challenged", then for MFA_SETUP "associated" and "verified"
    client_id: str
    login: str  # the USERNAME the user signed in with
    username: str  # moto's key of the user
    expires_at: float
    secret: str | None = None  # MFA_SETUP: the secret being set up


class Sessions:
    """The emulator's authentication sessions (challenge state), each good once per step."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, AuthSession] = {}

    def start(self, state: AuthSession) -> str:
        session = base64.urlsafe_b64encode(secrets.token_bytes(96)).decode("ascii")
        with self._lock:
            self._sessions[session] = state
        return session

    def get(self, session: str | None) -> AuthSession | None:
        with self._lock:
            return self._sessions.get(session or "")

    def end(self, session: str) -> None:
        """A session is good for one step: afterwards it is refused, not unknown."""
        with self._lock:
            state = self._sessions.get(session)
            if state is not None:
                self._sessions[session] = replace(state, stage="used")

    def expire(self, session: str) -> int:
        with self._lock:
            state = self._sessions.get(session)
            if state is None:
                return 0
            self._sessions[session] = replace(state, expires_at=time.time() - 1)
            return 1


def _session_seconds(context: ClientContext) -> float:
    minutes = context.client.extended_config.get("AuthSessionValidity") or SESSION_MINUTES_DEFAULT
    return float(minutes) * 60


def _pool_allows_totp(context: ClientContext) -> bool:
    return bool((context.pool.token_mfa_config or {}).get("Enabled"))


def _totp_not_enabled() -> Exception:
    return cognito_error(
        "SoftwareTokenMFANotFoundException", "Software Token MFA has not been enabled by the userPool.")


class TotpCorrections:
    """InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge, AssociateSoftwareToken,
    VerifySoftwareToken and the MFA preference, in moto's place."""

    def __init__(self) -> None:
        self.authenticators = Authenticators()
        self.sessions = Sessions()

    def handlers(self) -> dict[str, Callable[[CognitoIdpResponse, Any], str]]:
        return {
            "initiate_auth": self.initiate_auth,
            "admin_initiate_auth": self.admin_initiate_auth,
            "respond_to_auth_challenge": self.respond_to_auth_challenge,
            "admin_respond_to_auth_challenge": self.respond_to_auth_challenge,
            "associate_software_token": self.associate_software_token,
            "verify_software_token": self.verify_software_token,
        }

    def install_backend_patches(self) -> None:
        original = CognitoIdpBackend.admin_set_user_mfa_preference

        def admin_set_user_mfa_preference(backend: CognitoIdpBackend, *args: Any, **kwargs: Any) -> None:
            try:
                return original(backend, *args, **kwargs)
            except InvalidParameterException as error:
                if "verified software token" not in str(error.description):
                    raise
                raise cognito_error(
                    "InvalidParameterException",
                    "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA",
                ) from None

        CognitoIdpBackend.admin_set_user_mfa_preference = admin_set_user_mfa_preference

    # Signing in

    def initiate_auth(self, response: CognitoIdpResponse, original: Any) -> Any:
        if response._get_param("AuthFlow") != "USER_PASSWORD_AUTH":
            return original(response)
        context = client_context(response._get_param("ClientId"))
        return self._password_sign_in(response, context, lambda: response._get_region_agnostic_backend().initiate_auth(
            context.client.id, "USER_PASSWORD_AUTH", response._get_param("AuthParameters") or {}))

    def admin_initiate_auth(self, response: CognitoIdpResponse, original: Any) -> Any:
        flow = response._get_param("AuthFlow")
        if flow not in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
            return original(response)
        context = client_context(response._get_param("ClientId"))
        if context.pool.id != response._get_param("UserPoolId"):
            return original(response)  # moto answers the mismatch
        return self._password_sign_in(response, context, lambda: context.backend.admin_initiate_auth(
            context.pool.id, context.client.id, flow, response._get_param("AuthParameters") or {}))

    def _password_sign_in(self, response: CognitoIdpResponse, context: ClientContext,
                          moto_sign_in: Callable[[], dict[str, Any]]) -> str:
        parameters = response._get_param("AuthParameters") or {}
        login = parameters.get("USERNAME") or ""
        user = context.user(login)
        if (user is not None and user.enabled and user.password == parameters.get("PASSWORD")
                and user.status == UserStatus.CONFIRMED):
            challenge = self._challenge(context, user, login)
            if challenge is not None:
                return json_answer(challenge)
        result = moto_sign_in()  # moto's checks, errors and NEW_PASSWORD_REQUIRED
        if result.get("ChallengeName") in ("SOFTWARE_TOKEN_MFA", "SMS_MFA"):
            # moto's own MFA decision, which the pool's MfaConfiguration overrides here
            context.backend.sessions.pop(result.get("Session"), None)
            result = context.backend._log_user_in(context.pool, context.client, login)
        return json_answer(result)

    def _challenge(self, context: ClientContext, user: CognitoIdpUser, login: str) -> dict[str, Any] | None:
        mfa = context.pool.mfa_config
        registered = self.authenticators.registered(context.pool.id, user.username) is not None
        if mfa == "OPTIONAL" and registered and user.software_token_mfa_enabled:
            name = "SOFTWARE_TOKEN_MFA"
        elif mfa == "ON" and registered:
            name = "SOFTWARE_TOKEN_MFA"
        elif mfa == "ON":
            name = "MFA_SETUP"
        else:
            return None
        session = self.sessions.start(AuthSession(
            name, "challenged", context.client.id, login, user.username, time.time() + _session_seconds(context)))
        if name == "MFA_SETUP":
            can_set_up = (["SOFTWARE_TOKEN_MFA"] if _pool_allows_totp(context) else []) + (
                ["SMS_MFA"] if context.pool.sms_mfa_config else [])
            parameters = {"MFAS_CAN_SETUP": json.dumps(can_set_up)}
        else:
            parameters = {}
        return {"ChallengeName": name, "Session": session, "ChallengeParameters": parameters}

    def _live_session(self, session: str | None, client_id: str | None = None) -> AuthSession:
        state = self.sessions.get(session)
        if state is None or state.stage == "used" or (client_id is not None and state.client_id != client_id):
            raise not_authorized("Invalid session for the user.")
        if state.expires_at <= time.time():
            raise not_authorized("Invalid session for the user, session is expired.")
        return state

    def respond_to_auth_challenge(self, response: CognitoIdpResponse, original: Any) -> Any:
        session = response._get_param("Session")
        if self.sessions.get(session) is None:
            if response._get_param("ChallengeName") == "NEW_PASSWORD_REQUIRED":
                return self._after_new_password(response, session)
            return original(response)  # moto's own sessions (SRP and the rest)
        client_id = response._get_param("ClientId")
        state = self._live_session(session, client_id)
        context = client_context(client_id)
        name = response._get_param("ChallengeName")
        answers = response._get_param("ChallengeResponses") or {}
        if name != state.challenge:
            raise cognito_error("InvalidParameterException", f"Invalid challenge name {name} for this session.")
        if name == "SOFTWARE_TOKEN_MFA":
            code = answers.get("SOFTWARE_TOKEN_MFA_CODE")
            if not code:
                raise cognito_error("InvalidParameterException", "Missing required parameter SOFTWARE_TOKEN_MFA_CODE")
            secret = self.authenticators.registered(context.pool.id, state.username)
            if secret is None or not verify(secret, code, time.time()):
                raise cognito_error("CodeMismatchException", "Invalid code received for user")
        elif state.stage != "verified":  # MFA_SETUP before VerifySoftwareToken succeeded
            raise not_authorized("Invalid session for the user.")
        self.sessions.end(session)
        return json_answer(context.backend._log_user_in(context.pool, context.client, state.login))

    def _after_new_password(self, response: CognitoIdpResponse, session: str) -> str:
        """NEW_PASSWORD_REQUIRED is moto's; the MFA that follows it is decided here."""
        client_id = response._get_param("ClientId")
        answers = response._get_param("ChallengeResponses") or {}
        result = response._get_region_agnostic_backend().respond_to_auth_challenge(
            session, client_id, "NEW_PASSWORD_REQUIRED", answers)
        context = client_context(client_id)
        login = answers.get("USERNAME") or ""
        user = context.user(login)
        finished = "AuthenticationResult" in result or result.get("ChallengeName") in (
            "MFA_SETUP", "SOFTWARE_TOKEN_MFA", "SMS_MFA")
        if user is None or not finished:
            return json_answer(result)
        context.backend.sessions.pop(session, None)
        challenge = self._challenge(context, user, login)
        if challenge is not None:
            return json_answer(challenge)
        if "AuthenticationResult" not in result:
            result = context.backend._log_user_in(context.pool, context.client, login)
        return json_answer(result)

    # Setting up an authenticator

    def associate_software_token(self, response: CognitoIdpResponse, original: Any) -> str:
        session = response._get_param("Session")
        if session:
            state = self._live_session(session)
            if state.challenge != "MFA_SETUP":
                raise not_authorized("Invalid session for the user.")
            context = client_context(state.client_id)
            if not _pool_allows_totp(context):
                raise _totp_not_enabled()
            secret = new_secret()
            self.sessions.end(session)
            renewed = self.sessions.start(replace(state, stage="associated", secret=secret,
                                                  expires_at=time.time() + _session_seconds(context)))
            return json_answer({"SecretCode": secret, "Session": renewed})
        signed = signed_in(response._get_param("AccessToken"))
        if not _pool_allows_totp(signed.context):
            raise _totp_not_enabled()
        return json_answer({"SecretCode": self.authenticators.associate(signed.context.pool.id, signed.user.username)})

    def verify_software_token(self, response: CognitoIdpResponse, original: Any) -> str:
        code = response._get_param("UserCode")
        session = response._get_param("Session")
        mismatch = cognito_error("EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")
        if session:
            state = self._live_session(session)
            if state.stage != "associated" or state.secret is None:
                raise not_authorized("Invalid session for the user.")
            context = client_context(state.client_id)
            if not _pool_allows_totp(context):
                raise _totp_not_enabled()
            if not verify(state.secret, code, time.time()):
                raise mismatch
            user = context.pool._get_user(state.username)
            self._register(context, user, state.secret)
            if user is not None:
                user.software_token_mfa_enabled = True
            self.sessions.end(session)
            renewed = self.sessions.start(replace(state, stage="verified",
                                                  expires_at=time.time() + _session_seconds(context)))
            return json_answer({"Status": "SUCCESS", "Session": renewed})
        signed = signed_in(response._get_param("AccessToken"))
        if not _pool_allows_totp(signed.context):
            raise _totp_not_enabled()
        secret = self.authenticators.pending(signed.context.pool.id, signed.user.username)
        if secret is None or not verify(secret, code, time.time()):
            raise mismatch
        self._register(signed.context, signed.user, secret)
        return json_answer({"Status": "SUCCESS"})

    def _register(self, context: ClientContext, user: CognitoIdpUser | None, secret: str) -> None:
        if user is None:
            raise not_authorized("Invalid session for the user.")
        self.authenticators.register(context.pool.id, user.username, secret)
        user.token_verified = True  # what moto's SetUserMFAPreference asks for
