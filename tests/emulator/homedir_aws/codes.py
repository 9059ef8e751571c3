"""Correction p: sign-up, password-reset and attribute-verification codes, kept by the
emulator instead of e-mailed, and checked as Cognito checks them.

moto 5.2.5 confirms a sign-up whatever code it is given (ConfirmSignUp never looks at
it), has no ResendConfirmationCode, VerifyUserAttribute or
GetUserAttributeVerificationCode, accepts any ConfirmForgotPassword code that does not
start with "moto-confirmation-code:" (its ForgotPassword hands the real one out in an
"x-moto-forgot-password-confirmation-code" header), lets SignUp into a pool that allows
only administrators to create users, and answers every user-existence question with
UserNotFoundException whatever the app client's PreventUserExistenceErrors says. Here:

- Codes are random six-digit strings, one per kind and user: "sign_up" (SignUp,
  ResendConfirmationCode), "forgot_password" (ForgotPassword) and "attribute"
  (UpdateUserAttributes of an auto-verified email, GetUserAttributeVerificationCode). A
  new code replaces the previous one of its kind; a code is used up when it succeeds.
  Tests read them from GET /_homedir/codes and age them with POST /_homedir/codes/expire.
- Lifetimes, from "Quotas in Amazon Cognito", code security resource quotas
  (https://docs.aws.amazon.com/cognito/latest/developerguide/quotas.html): sign-up
  confirmation code 24 hours, user attribute verification code 24 hours, forgot-password
  code 1 hour ("The recovery code is valid for one hour", "Recovering user accounts":
  https://docs.aws.amazon.com/cognito/latest/developerguide/how-to-recover-a-user-account.html;
  "The code or link is valid for 24 hours", "Signing up and confirming user accounts":
  https://docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html).
- Per-user attempt quotas from the same table: ConfirmSignUp 15, ResendConfirmationCode
  5, ConfirmForgotPassword 5 (the low end of "5-20 attempts per hour, depending on risk
  score"), GetUserAttributeVerificationCode 5, VerifyUserAttribute 15 calls an hour; one
  more is LimitExceededException "Attempt limit exceeded, please try after some time.".

Each operation as its API Reference page documents it
(https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html)
and with the app client's PreventUserExistenceErrors ("Managing user existence error
responses", https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pool-managing-errors.html):

- SignUp: NotAuthorizedException "SignUp is not permitted for this user pool" when the
  pool's AdminCreateUserConfig.AllowAdminCreateUserOnly is true ("only administrators
  can create new user profiles", AdminCreateUserConfigType); the client's WriteAttributes
  (correction s); UsernameExistsException "An account with the given email already
  exists." (email usernames) or "User already exists"; the password rules (userpools.py);
  then moto creates the UNCONFIRMED user, and a pool that auto-verifies email sends a
  sign_up code: CodeDeliveryDetails in the answer, UserConfirmed false.
- ConfirmSignUp: wrong code CodeMismatchException "Invalid verification code provided,
  please try again."; expired ExpiredCodeException "Invalid code provided, please request
  a code again."; a confirmed user NotAuthorizedException "User cannot be confirmed.
  Current status is CONFIRMED"; an unknown user CodeMismatchException (ENABLED) or
  UserNotFoundException (LEGACY). Success confirms the user and verifies the email ("that
  email or phone number is automatically verified").
- ResendConfirmationCode: a new sign_up code and its CodeDeliveryDetails; a confirmed
  user InvalidParameterException "User is already confirmed."; an unknown user a
  simulated CodeDeliveryDetails (ENABLED) or UserNotFoundException (LEGACY).
- ForgotPassword: a forgot_password code to the verified email. "If neither a verified
  phone number nor a verified email exists, Amazon Cognito responds with an
  InvalidParameterException error" (LEGACY); with ENABLED, an unknown, disabled or
  unverified user gets a simulated CodeDeliveryDetails and no code. An admin_only
  recovery setting is NotAuthorizedException "Contact administrator to reset password."
- ConfirmForgotPassword: no code requested ExpiredCodeException, expired
  ExpiredCodeException, wrong CodeMismatchException, an unknown or disabled user
  CodeMismatchException (ENABLED) or UserNotFoundException (LEGACY); the new password
  must follow the policy (InvalidPasswordException naming the rule); success sets it.
- UpdateUserAttributes: the client's WriteAttributes (correction s); a new email in a
  pool that auto-verifies email becomes unverified and gets an attribute code, reported
  in CodeDeliveryDetailsList; the user's tokens keep working under the new email (moto
  filed them under the old one). VerifyUserAttribute checks that code (then email_verified
  is true); GetUserAttributeVerificationCode sends a new one. In a pool whose
  UserAttributeUpdateSettings require email to be verified before an update (correction
  x, poolsettings.py), the new address only gets the code: the old one stays, verified,
  until VerifyUserAttribute confirms the code, which then makes the new address the
  user's, verified.

Unconfirmed users signing in get UserNotConfirmedException (a wrong password first gets
NotAuthorizedException): moto's own behaviour, pinned by the tests.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from moto.cognitoidp.models import CognitoIdpUser, CognitoIdpUserPool, UserStatus
from moto.cognitoidp.responses import CognitoIdpResponse

from .attributes import check_writable
from .userpools import (
    client_context,
    cognito_error,
    email_delivery,
    json_answer,
    not_authorized,
    rename_login,
    signed_in,
    user_not_found,
)

SIGN_UP, FORGOT_PASSWORD, ATTRIBUTE = "sign_up", "forgot_password", "attribute"
LIFETIME = {SIGN_UP: 24 * 3600.0, FORGOT_PASSWORD: 3600.0, ATTRIBUTE: 24 * 3600.0}
"""Seconds a code of each kind stays valid (Quotas in Amazon Cognito)."""

ATTEMPTS_PER_HOUR = {
    "ConfirmSignUp": 15,
    "ResendConfirmationCode": 5,
    "ConfirmForgotPassword": 5,
    "GetUserAttributeVerificationCode": 5,
    "VerifyUserAttribute": 15,
}
"""Maximum calls per user and hour (Quotas in Amazon Cognito)."""


def code_mismatch() -> Exception:
    return cognito_error("CodeMismatchException", "Invalid verification code provided, please try again.")


def expired_code() -> Exception:
    return cognito_error("ExpiredCodeException", "Invalid code provided, please request a code again.")


@dataclass
class Code:
    kind: str
    code: str
    destination: str  # the address the code went to, unmasked
    issued: int  # order of issue
    expires_at: float

    def public(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "destination": email_delivery(self.destination)["Destination"],
            "attribute": "email",
            "expires_at": self.expires_at,
        }


class CodeStore:
    """The codes Cognito would have sent, per (user pool, user) and kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[tuple[str, str], dict[str, Code]] = {}
        self._order = itertools.count()

    def issue(self, pool_id: str, username: str, kind: str, destination: str) -> Code:
        code = Code(kind, f"{secrets.randbelow(10**6):06d}", destination, next(self._order),
                    time.time() + LIFETIME[kind])
        with self._lock:
            self._codes.setdefault((pool_id, username), {})[kind] = code
        return code

    def get(self, pool_id: str, username: str, kind: str) -> Code | None:
        with self._lock:
            return self._codes.get((pool_id, username), {}).get(kind)

    def use_up(self, pool_id: str, username: str, kind: str) -> None:
        with self._lock:
            self._codes.get((pool_id, username), {}).pop(kind, None)

    def listing(self, pool_id: str, username: str) -> list[dict[str, Any]]:
        with self._lock:
            codes = sorted(self._codes.get((pool_id, username), {}).values(), key=lambda code: code.issued)
        return [code.public() for code in codes]

    def expire(self, pool_id: str, username: str, kind: str | None) -> int:
        expired = 0
        with self._lock:
            for code in self._codes.get((pool_id, username), {}).values():
                if kind is None or code.kind == kind:
                    code.expires_at = min(code.expires_at, time.time() - 1)
                    expired += 1
        return expired


class Attempts:
    """Calls per user and operation in the last hour, against ATTEMPTS_PER_HOUR."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, str, str], deque[float]] = {}

    def count(self, pool_id: str, username: str, operation: str) -> None:
        now = time.time()
        with self._lock:
            calls = self._calls.setdefault((pool_id, username, operation), deque())
            while calls and calls[0] <= now - 3600:
                calls.popleft()
            if len(calls) >= ATTEMPTS_PER_HOUR[operation]:
                raise cognito_error("LimitExceededException", "Attempt limit exceeded, please try after some time.")
            calls.append(now)


def _check_code(stored: Code | None, given: Any) -> None:
    if stored is None or not isinstance(given, str) or not secrets.compare_digest(stored.code, given):
        raise code_mismatch()
    if stored.expires_at <= time.time():
        raise expired_code()


def _email(user: CognitoIdpUser) -> str | None:
    return user.attribute_lookup.get("email")


def _verified_before_update(pool: CognitoIdpUserPool, attribute: str) -> bool:
    """UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate names it (x)."""
    settings = pool.extended_config.get("UserAttributeUpdateSettings") or {}
    return attribute in (settings.get("AttributesRequireVerificationBeforeUpdate") or [])


def _email_verified(user: CognitoIdpUser) -> bool:
    return str(user.attribute_lookup.get("email_verified", "")).lower() == "true"


def _simulated_delivery(username: str) -> dict[str, Any]:
    """What ENABLED answers for a user it will not name: a delivery to the address the
    username looks like (the pools here use email)."""
    return {"CodeDeliveryDetails": email_delivery(username if "@" in username else f"{username}@h")}


class CodeCorrections:
    """SignUp, ConfirmSignUp, ResendConfirmationCode, ForgotPassword,
    ConfirmForgotPassword, UpdateUserAttributes, VerifyUserAttribute and
    GetUserAttributeVerificationCode, in moto's place."""

    def __init__(self) -> None:
        self.store = CodeStore()
        self.attempts = Attempts()

    def handlers(self) -> dict[str, Callable[[CognitoIdpResponse, Any], str]]:
        return {
            "sign_up": self.sign_up,
            "confirm_sign_up": self.confirm_sign_up,
            "resend_confirmation_code": self.resend_confirmation_code,
            "forgot_password": self.forgot_password,
            "confirm_forgot_password": self.confirm_forgot_password,
            "update_user_attributes": self.update_user_attributes,
            "verify_user_attribute": self.verify_user_attribute,
            "get_user_attribute_verification_code": self.get_user_attribute_verification_code,
        }

    # Control endpoints

    def listing(self, pool: CognitoIdpUserPool, username: str) -> list[dict[str, Any]]:
        user = pool._get_user(username)
        return self.store.listing(pool.id, user.username) if user is not None else []

    def expire(self, pool: CognitoIdpUserPool, username: str, kind: str | None) -> int:
        user = pool._get_user(username)
        return self.store.expire(pool.id, user.username, kind) if user is not None else 0

    # Sign-up

    def sign_up(self, response: CognitoIdpResponse, original: Any) -> str:
        context = client_context(response._get_param("ClientId"))
        pool = context.pool
        if (pool.extended_config.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
            raise not_authorized("SignUp is not permitted for this user pool")
        attributes = response._get_param("UserAttributes", []) or []
        check_writable(context, attributes)
        username = response._get_param("Username") or ""
        if context.user(username) is not None:
            email_usernames = "email" in (pool.extended_config.get("UsernameAttributes") or [])
            raise cognito_error(
                "UsernameExistsException",
                "An account with the given email already exists." if email_usernames else "User already exists",
            )
        user, _ = context.backend.sign_up(
            context.client.id, username, response._get_param("Password"), attributes
        )
        answer: dict[str, Any] = {"UserConfirmed": user.status == UserStatus.CONFIRMED, "UserSub": user.id}
        email = _email(user)
        if email and context.auto_verifies_email():
            self.store.issue(pool.id, user.username, SIGN_UP, email)
            answer["CodeDeliveryDetails"] = email_delivery(email)
        return json_answer(answer)

    def confirm_sign_up(self, response: CognitoIdpResponse, original: Any) -> str:
        context = client_context(response._get_param("ClientId"))
        user = context.user(response._get_param("Username"))
        if user is None:
            raise code_mismatch() if context.prevents_existence_errors else user_not_found()
        self.attempts.count(context.pool.id, user.username, "ConfirmSignUp")
        if user.status != UserStatus.UNCONFIRMED:
            raise not_authorized(f"User cannot be confirmed. Current status is {user.status.value}")
        _check_code(self.store.get(context.pool.id, user.username, SIGN_UP), response._get_param("ConfirmationCode"))
        user.status = UserStatus.CONFIRMED
        if _email(user):
            user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        self.store.use_up(context.pool.id, user.username, SIGN_UP)
        return json_answer({})

    def resend_confirmation_code(self, response: CognitoIdpResponse, original: Any) -> str:
        context = client_context(response._get_param("ClientId"))
        username = response._get_param("Username") or ""
        user = context.user(username)
        if user is None:
            if context.prevents_existence_errors:
                return json_answer(_simulated_delivery(username))
            raise user_not_found()
        self.attempts.count(context.pool.id, user.username, "ResendConfirmationCode")
        if user.status == UserStatus.CONFIRMED:
            raise cognito_error("InvalidParameterException", "User is already confirmed.")
        email = _email(user)
        if not email:
            raise cognito_error("InvalidParameterException", "User has no email address to send a code to.")
        self.store.issue(context.pool.id, user.username, SIGN_UP, email)
        return json_answer({"CodeDeliveryDetails": email_delivery(email)})

    # Password reset

    def forgot_password(self, response: CognitoIdpResponse, original: Any) -> str:
        context = client_context(response._get_param("ClientId"))
        username = response._get_param("Username") or ""
        recovery = (context.pool.extended_config.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms") or []
        if any(mechanism.get("Name") == "admin_only" for mechanism in recovery):
            raise not_authorized("Contact administrator to reset password.")
        user = context.user(username)
        if user is None:
            if context.prevents_existence_errors:
                return json_answer(_simulated_delivery(username))
            raise user_not_found()
        email = _email(user)
        if not user.enabled or not email or not _email_verified(user):
            if context.prevents_existence_errors:
                return json_answer(_simulated_delivery(username))
            if not user.enabled:
                raise not_authorized("User is disabled.")
            raise cognito_error(
                "InvalidParameterException",
                "Cannot reset password for the user as there is no registered/verified email or phone_number",
            )
        self.store.issue(context.pool.id, user.username, FORGOT_PASSWORD, email)
        return json_answer({"CodeDeliveryDetails": email_delivery(email)})

    def confirm_forgot_password(self, response: CognitoIdpResponse, original: Any) -> str:
        context = client_context(response._get_param("ClientId"))
        user = context.user(response._get_param("Username"))
        if user is None or not user.enabled:
            if context.prevents_existence_errors:
                raise code_mismatch()
            raise user_not_found() if user is None else not_authorized("User is disabled.")
        self.attempts.count(context.pool.id, user.username, "ConfirmForgotPassword")
        stored = self.store.get(context.pool.id, user.username, FORGOT_PASSWORD)
        if stored is None:
            raise expired_code()  # "If a code isn't requested ... ExpiredCodeException"
        _check_code(stored, response._get_param("ConfirmationCode"))
        password = response._get_param("Password")
        context.backend._validate_password(context.pool.id, password)
        user.password = password
        if user.status in (UserStatus.RESET_REQUIRED, UserStatus.FORCE_CHANGE_PASSWORD):
            user.status = UserStatus.CONFIRMED
        self.store.use_up(context.pool.id, user.username, FORGOT_PASSWORD)
        return json_answer({})

    # Attribute changes and their verification

    def update_user_attributes(self, response: CognitoIdpResponse, original: Any) -> str:
        token = response._get_param("AccessToken")
        signed = signed_in(token)
        attributes = response._get_param("UserAttributes", []) or []
        check_writable(signed.context, attributes)
        before = _email(signed.user)
        wanted = next((a.get("Value") for a in attributes if a.get("Name") == "email"), None)
        answer: dict[str, Any] = {}
        if (wanted and wanted != before and signed.context.auto_verifies_email()
                and _verified_before_update(signed.context.pool, "email")):
            # x: the new address takes effect once its code is confirmed
            others = [a for a in attributes if a.get("Name") != "email"]
            if others:
                signed.context.backend.update_user_attributes(token, others)
            self.store.issue(signed.context.pool.id, signed.user.username, ATTRIBUTE, wanted)
            answer["CodeDeliveryDetailsList"] = [email_delivery(wanted)]
            return json_answer(answer)
        signed.context.backend.update_user_attributes(token, attributes)
        after = _email(signed.user)
        if before and after and before != after and signed.login == before:
            rename_login(signed.context.pool, before, after)
        if after and after != before and signed.context.auto_verifies_email():
            signed.user.update_attributes([{"Name": "email_verified", "Value": "false"}])
            self.store.issue(signed.context.pool.id, signed.user.username, ATTRIBUTE, after)
            answer["CodeDeliveryDetailsList"] = [email_delivery(after)]
        return json_answer(answer)

    def get_user_attribute_verification_code(self, response: CognitoIdpResponse, original: Any) -> str:
        signed = signed_in(response._get_param("AccessToken"))
        email = _email(signed.user)
        if response._get_param("AttributeName") != "email" or not email:
            raise cognito_error("InvalidParameterException", "Invalid attribute name or no value to verify.")
        self.attempts.count(signed.context.pool.id, signed.user.username, "GetUserAttributeVerificationCode")
        self.store.issue(signed.context.pool.id, signed.user.username, ATTRIBUTE, email)
        return json_answer({"CodeDeliveryDetails": email_delivery(email)})

    def verify_user_attribute(self, response: CognitoIdpResponse, original: Any) -> str:
        signed = signed_in(response._get_param("AccessToken"))
        if response._get_param("AttributeName") != "email":
            raise cognito_error("InvalidParameterException", "Invalid attribute name.")
        pool_id, username = signed.context.pool.id, signed.user.username
        self.attempts.count(pool_id, username, "VerifyUserAttribute")
        stored = self.store.get(pool_id, username, ATTRIBUTE)
        _check_code(stored, response._get_param("Code"))
        current = _email(signed.user)
        if stored is not None and stored.destination == current:
            signed.user.update_attributes([{"Name": "email_verified", "Value": "true"}])
        elif stored is not None and current and _verified_before_update(signed.context.pool, "email"):
            # x: the change waiting for this code takes effect now
            signed.user.update_attributes([{"Name": "email", "Value": stored.destination},
                                           {"Name": "email_verified", "Value": "true"}])
            if signed.login == current:
                rename_login(signed.context.pool, current, stored.destination)
        self.store.use_up(pool_id, username, ATTRIBUTE)
        return json_answer({})
