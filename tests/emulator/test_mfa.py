"""Proves correction q, TOTP MFA (homedir_aws/totp.py): secrets per user, codes checked
as RFC 6238 TOTP with the adjacent steps, the SOFTWARE_TOKEN_MFA and MFA_SETUP
challenges as the pool's MfaConfiguration asks for them, sessions that expire; and the
tests' own TOTP helper (harness.totp) against the RFC's test vectors.

The template's pool has MFA OFF, so the pools here are made by this module with the
admin key: one with MFA OPTIONAL and one with MFA ON, both with TOTP enabled.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from harness import Emulator, Stack, client, totp, unique
from homedir_aws import totp as emulator_totp

PASSWORD = "Homedir-Mfa-1"

# RFC 6238, Appendix B: the SHA-1 seed "12345678901234567890" and 8-digit TOTPs.
RFC_6238_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_6238_VECTORS = [
    (59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130"),
]


def failure(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error.get("Message", "")


def test_totp_helper_matches_rfc_6238() -> None:
    for at, expected in RFC_6238_VECTORS:
        assert totp(RFC_6238_SECRET, at, digits=8) == expected
        assert emulator_totp.totp(RFC_6238_SECRET, at, digits=8) == expected
    assert totp(RFC_6238_SECRET, 59) == "287082"  # six digits: the last six


def test_the_emulator_accepts_the_adjacent_steps_only() -> None:
    secret, now = emulator_totp.new_secret(), 1_700_000_015.0
    assert len(secret) == 32 and base64.b32decode(secret)
    for skew in (-30, 0, 30):
        assert emulator_totp.verify(secret, totp(secret, now + skew), now)
    for skew in (-90, 90):
        code = totp(secret, now + skew)
        if code not in {totp(secret, now + s) for s in (-30, 0, 30)}:
            assert not emulator_totp.verify(secret, code, now)
    assert not emulator_totp.verify(secret, "12345", now)


# --------------------------------------------------------------------------
# Pools, users, sign-in
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def idp(emulator: Emulator) -> Any:
    return client(emulator, "cognito-idp")


def mfa_pool(idp: Any, mfa: str) -> dict[str, str]:
    pool = idp.create_user_pool(PoolName=unique(f"mfa-{mfa.lower()}"), UsernameAttributes=["email"],
                                AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    idp.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration=mfa,
                                 SoftwareTokenMfaConfiguration={"Enabled": True})
    app = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return {"pool": pool, "app": app}


@pytest.fixture(scope="module")
def optional(idp: Any) -> dict[str, str]:
    return mfa_pool(idp, "OPTIONAL")


@pytest.fixture(scope="module")
def required(idp: Any) -> dict[str, str]:
    return mfa_pool(idp, "ON")


def new_user(idp: Any, pool: str) -> str:
    email = f"{unique('mfa')}@example.com"
    idp.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS", UserAttributes=[
        {"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}])
    idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    return email


def sign_in(idp: Any, app: str, email: str) -> dict[str, Any]:
    return idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=app,
                             AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})


def answer(idp: Any, app: str, email: str, session: str, code: str) -> dict[str, Any]:
    return idp.respond_to_auth_challenge(
        ClientId=app, ChallengeName="SOFTWARE_TOKEN_MFA", Session=session,
        ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code})


def wrong(secret: str) -> str:
    """A six-digit code that is none of the three the emulator accepts now."""
    accepted = {totp(secret, time.time() + skew) for skew in (-60, -30, 0, 30, 60)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in accepted)


def register_totp(idp: Any, access_token: str) -> str:
    """Associate and verify an authenticator with an access token; its secret."""
    secret = idp.associate_software_token(AccessToken=access_token)["SecretCode"]
    assert idp.verify_software_token(AccessToken=access_token, UserCode=totp(secret),
                                     FriendlyDeviceName="phone")["Status"] == "SUCCESS"
    return secret


# --------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------


def test_a_pool_without_totp_refuses_to_associate_one(emulator: Emulator, stack: Stack, idp: Any) -> None:
    token = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=stack["USER_POOL_CLIENT_ID"], AuthParameters={
        "USERNAME": "alice@example.com", "PASSWORD": stack["DEMO_PASSWORD"]})["AuthenticationResult"]["AccessToken"]
    assert failure(lambda: idp.associate_software_token(AccessToken=token)) == \
        ("SoftwareTokenMFANotFoundException", "Software Token MFA has not been enabled by the userPool.")


def test_optional_mfa_set_up_with_an_access_token_then_challenged(idp: Any, optional: dict[str, str]) -> None:
    app, email = optional["app"], new_user(idp, optional["pool"])
    tokens = sign_in(idp, app, email)["AuthenticationResult"]  # no MFA yet: tokens
    access = tokens["AccessToken"]

    first = idp.associate_software_token(AccessToken=access)["SecretCode"]
    secret = idp.associate_software_token(AccessToken=access)["SecretCode"]  # a new one each time
    assert secret != first and len(secret) == 32 and base64.b32decode(secret)
    assert failure(lambda: idp.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})) == \
        ("InvalidParameterException", "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA")
    assert failure(lambda: idp.verify_software_token(AccessToken=access, UserCode=totp(first))) == \
        ("EnableSoftwareTokenMFAException", "Code mismatch and fail enable Software Token MFA")
    assert failure(lambda: idp.verify_software_token(AccessToken=access, UserCode=wrong(secret)))[0] == \
        "EnableSoftwareTokenMFAException"
    assert idp.verify_software_token(AccessToken=access, UserCode=totp(secret))["Status"] == "SUCCESS"
    # Registered but not enabled: OPTIONAL does not ask for it yet.
    assert "AuthenticationResult" in sign_in(idp, app, email)
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})

    challenge = sign_in(idp, app, email)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA" and challenge["Session"]
    assert "AuthenticationResult" not in challenge
    assert failure(lambda: answer(idp, app, email, challenge["Session"], wrong(secret))) == \
        ("CodeMismatchException", "Invalid code received for user")
    # The session survives a wrong code; the previous step's code is still accepted.
    result = answer(idp, app, email, challenge["Session"], totp(secret, time.time() - 30))
    assert {"IdToken", "AccessToken", "RefreshToken"} <= set(result["AuthenticationResult"])
    # A session is good for one sign-in.
    assert failure(lambda: answer(idp, app, email, challenge["Session"], totp(secret))) == \
        ("NotAuthorizedException", "Invalid session for the user.")


def test_required_mfa_sets_up_an_authenticator_during_sign_in(idp: Any, required: dict[str, str]) -> None:
    app, email = required["app"], new_user(idp, required["pool"])
    setup = sign_in(idp, app, email)
    assert setup["ChallengeName"] == "MFA_SETUP"
    assert json.loads(setup["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    associated = idp.associate_software_token(Session=setup["Session"])
    secret, session = associated["SecretCode"], associated["Session"]
    assert failure(lambda: idp.verify_software_token(Session=session, UserCode=wrong(secret)))[0] == \
        "EnableSoftwareTokenMFAException"
    verified = idp.verify_software_token(Session=session, UserCode=totp(secret))
    assert verified["Status"] == "SUCCESS"
    done = idp.respond_to_auth_challenge(ClientId=app, ChallengeName="MFA_SETUP", Session=verified["Session"],
                                         ChallengeResponses={"USERNAME": email})
    assert "IdToken" in done["AuthenticationResult"]

    challenge = sign_in(idp, app, email)  # from now on, the TOTP
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "IdToken" in answer(idp, app, email, challenge["Session"], totp(secret))["AuthenticationResult"]
    user = idp.admin_get_user(UserPoolId=required["pool"], Username=email)
    assert "SOFTWARE_TOKEN_MFA" in user["UserMFASettingList"]


def test_admin_sign_in_is_challenged_too(idp: Any, required: dict[str, str]) -> None:
    pool, app, email = required["pool"], required["app"], new_user(idp, required["pool"])
    setup = idp.admin_initiate_auth(UserPoolId=pool, ClientId=app, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                    AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    assert setup["ChallengeName"] == "MFA_SETUP"
    associated = idp.associate_software_token(Session=setup["Session"])
    verified = idp.verify_software_token(Session=associated["Session"], UserCode=totp(associated["SecretCode"]))
    idp.admin_respond_to_auth_challenge(UserPoolId=pool, ClientId=app, ChallengeName="MFA_SETUP",
                                        Session=verified["Session"], ChallengeResponses={"USERNAME": email})
    challenge = idp.admin_initiate_auth(UserPoolId=pool, ClientId=app, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD})
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = idp.admin_respond_to_auth_challenge(
        UserPoolId=pool, ClientId=app, ChallengeName="SOFTWARE_TOKEN_MFA", Session=challenge["Session"],
        ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": totp(associated["SecretCode"])})
    assert "IdToken" in done["AuthenticationResult"]


def test_an_expired_session_is_refused(emulator: Emulator, idp: Any, optional: dict[str, str]) -> None:
    app, email = optional["app"], new_user(idp, optional["pool"])
    access = sign_in(idp, app, email)["AuthenticationResult"]["AccessToken"]
    secret = register_totp(idp, access)
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    challenge = sign_in(idp, app, email)
    assert emulator.post_json("/_homedir/auth-sessions/expire", {"session": challenge["Session"]}) == \
        {"ok": True, "expired": 1}
    assert failure(lambda: answer(idp, app, email, challenge["Session"], totp(secret))) == \
        ("NotAuthorizedException", "Invalid session for the user, session is expired.")


def test_mfa_off_signs_in_with_the_password_alone(idp: Any) -> None:
    """A user who enabled TOTP while the pool allowed it signs in without it once the
    pool's MFA is OFF (moto challenged anyway)."""
    pool = mfa_pool(idp, "OPTIONAL")
    email = new_user(idp, pool["pool"])
    access = sign_in(idp, pool["app"], email)["AuthenticationResult"]["AccessToken"]
    register_totp(idp, access)
    idp.set_user_mfa_preference(AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert sign_in(idp, pool["app"], email)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    idp.set_user_pool_mfa_config(UserPoolId=pool["pool"], MfaConfiguration="OFF")
    assert "IdToken" in sign_in(idp, pool["app"], email)["AuthenticationResult"]


def test_disabling_totp_under_optional_mfa_stops_the_challenge(idp: Any, optional: dict[str, str]) -> None:
    app, email = optional["app"], new_user(idp, optional["pool"])
    access = sign_in(idp, app, email)["AuthenticationResult"]["AccessToken"]
    register_totp(idp, access)
    idp.admin_set_user_mfa_preference(UserPoolId=optional["pool"], Username=email,
                                      SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert sign_in(idp, app, email)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    idp.admin_set_user_mfa_preference(UserPoolId=optional["pool"], Username=email,
                                      SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False})
    assert "IdToken" in sign_in(idp, app, email)["AuthenticationResult"]
