"""Proves the user pool corrections: sign-up, password-reset and attribute codes (p,
homedir_aws/codes.py), passwords that name the rule they break (p, userpools.py),
RevokeToken (r, revocation.py) and app clients' WriteAttributes (s, attributes.py); and
the control endpoints GET /_homedir/codes and POST /_homedir/codes/expire. TOTP MFA (q)
is in test_mfa.py.

The main pool and client are provision.py's (as template.yaml: email usernames,
auto-verified email, PreventUserExistenceErrors ENABLED, token revocation on); pools and
clients with other settings are made here with the admin key.
"""

from __future__ import annotations

import time
import urllib.error
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError

from harness import Emulator, Stack, claims_of, client, code_of_kind, codes, unique

PASSWORD = "Homedir-Test-1"
NEW_PASSWORD = "Homedir-Test-2"


def failure(call: Callable[[], Any]) -> tuple[str, str]:
    """(error code, message) of a Cognito call that must fail."""
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error.get("Message", "")


def new_email() -> str:
    return f"{unique('user')}@example.com"


@pytest.fixture(scope="module")
def idp(emulator: Emulator) -> Any:
    return client(emulator, "cognito-idp")


@pytest.fixture(scope="module")
def pool(stack: Stack) -> str:
    return stack["USER_POOL_ID"]


@pytest.fixture(scope="module")
def app(stack: Stack) -> str:
    """The template's app client: PreventUserExistenceErrors ENABLED."""
    return stack["USER_POOL_CLIENT_ID"]


@pytest.fixture(scope="module")
def legacy(idp: Any, pool: str) -> str:
    """A client of the main pool created without PreventUserExistenceErrors (LEGACY)."""
    return idp.create_user_pool_client(
        UserPoolId=pool, ClientName=unique("legacy"), ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
    )["UserPoolClient"]["ClientId"]


def sign_up(idp: Any, app: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    return idp.sign_up(ClientId=app, Username=email, Password=password,
                       UserAttributes=[{"Name": "email", "Value": email}])


def confirmed_user(emulator: Emulator, idp: Any, pool: str, app: str) -> str:
    """A user who signed up and confirmed with the code they were sent."""
    email = new_email()
    sign_up(idp, app, email)
    idp.confirm_sign_up(ClientId=app, Username=email,
                        ConfirmationCode=code_of_kind(emulator, pool, email, "sign_up"))
    return email


def sign_in(idp: Any, app: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    return idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=app,
                             AuthParameters={"USERNAME": email, "PASSWORD": password})


def attribute(idp: Any, pool: str, email: str, name: str) -> str | None:
    attributes = idp.admin_get_user(UserPoolId=pool, Username=email)["UserAttributes"]
    return next((entry["Value"] for entry in attributes if entry["Name"] == name), None)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


# --------------------------------------------------------------------------
# Sign-up and its codes
# --------------------------------------------------------------------------


def test_sign_up_sends_a_code_that_confirm_sign_up_checks(emulator: Emulator, idp: Any, pool: str, app: str) -> None:
    email = new_email()
    answer = sign_up(idp, app, email)
    assert answer["UserConfirmed"] is False
    assert answer["CodeDeliveryDetails"] == {
        "Destination": f"{email[0]}***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    (kept,) = codes(emulator, pool, email)
    assert kept["kind"] == "sign_up" and kept["destination"] == f"{email[0]}***@e***"
    assert len(kept["code"]) == 6 and kept["code"].isdigit()
    assert kept["attribute"] == "email"
    assert 24 * 3600 - 60 < kept["expires_at"] - time.time() <= 24 * 3600  # valid for 24 hours

    # Not confirmed yet: the right password says so, a wrong one does not.
    assert failure(lambda: sign_in(idp, app, email))[0] == "UserNotConfirmedException"
    assert failure(lambda: sign_in(idp, app, email, "Wrong-Password-1"))[0] == "NotAuthorizedException"

    assert failure(lambda: idp.confirm_sign_up(ClientId=app, Username=email,
                                               ConfirmationCode=other_code(kept["code"]))) == \
        ("CodeMismatchException", "Invalid verification code provided, please try again.")
    idp.confirm_sign_up(ClientId=app, Username=email, ConfirmationCode=kept["code"])
    assert idp.admin_get_user(UserPoolId=pool, Username=email)["UserStatus"] == "CONFIRMED"
    assert attribute(idp, pool, email, "email_verified") == "true"
    assert codes(emulator, pool, email) == []  # used up
    assert "IdToken" in sign_in(idp, app, email)["AuthenticationResult"]
    assert failure(lambda: idp.confirm_sign_up(ClientId=app, Username=email, ConfirmationCode=kept["code"])) == \
        ("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")


def test_resend_confirmation_code_replaces_the_previous_code(
    emulator: Emulator, idp: Any, pool: str, app: str
) -> None:
    email = new_email()
    sign_up(idp, app, email)
    first = code_of_kind(emulator, pool, email, "sign_up")
    answer = idp.resend_confirmation_code(ClientId=app, Username=email)
    assert answer["CodeDeliveryDetails"] == {
        "Destination": f"{email[0]}***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    kept = codes(emulator, pool, email)
    assert [entry["kind"] for entry in kept] == ["sign_up"]
    second = kept[0]["code"]
    if second != first:  # one chance in a million that the new random code is the old one
        assert failure(lambda: idp.confirm_sign_up(ClientId=app, Username=email, ConfirmationCode=first))[0] == \
            "CodeMismatchException"
    idp.confirm_sign_up(ClientId=app, Username=email, ConfirmationCode=second)
    assert failure(lambda: idp.resend_confirmation_code(ClientId=app, Username=email)) == \
        ("InvalidParameterException", "User is already confirmed.")


def test_an_expired_sign_up_code_is_refused_and_a_new_one_works(
    emulator: Emulator, idp: Any, pool: str, app: str
) -> None:
    email = new_email()
    sign_up(idp, app, email)
    code = code_of_kind(emulator, pool, email, "sign_up")
    assert emulator.post_json("/_homedir/codes/expire", {"pool": pool, "username": email, "kind": "sign_up"}) == \
        {"ok": True, "expired": 1}
    assert failure(lambda: idp.confirm_sign_up(ClientId=app, Username=email, ConfirmationCode=code)) == \
        ("ExpiredCodeException", "Invalid code provided, please request a code again.")
    idp.resend_confirmation_code(ClientId=app, Username=email)
    idp.confirm_sign_up(ClientId=app, Username=email,
                        ConfirmationCode=code_of_kind(emulator, pool, email, "sign_up"))


def test_sign_up_of_an_existing_user_is_username_exists(emulator: Emulator, idp: Any, pool: str, app: str) -> None:
    email = confirmed_user(emulator, idp, pool, app)
    assert failure(lambda: sign_up(idp, app, email)) == \
        ("UsernameExistsException", "An account with the given email already exists.")
    unconfirmed = new_email()
    sign_up(idp, app, unconfirmed)
    assert failure(lambda: sign_up(idp, app, unconfirmed))[0] == "UsernameExistsException"


@pytest.mark.parametrize("password, rule", [
    ("Sh0rt-x", "Password not long enough"),
    ("NOLOWER-CASE-1", "Password must have lowercase characters"),
    ("noupper-case-1", "Password must have uppercase characters"),
    ("No-Digits-Here", "Password must have numeric characters"),
    ("NoSymbols123", "Password must have symbol characters"),
])
def test_passwords_name_the_rule_they_break(idp: Any, app: str, password: str, rule: str) -> None:
    assert failure(lambda: sign_up(idp, app, new_email(), password)) == \
        ("InvalidPasswordException", f"Password did not conform with policy: {rule}")


def test_a_space_counts_as_a_symbol(idp: Any, app: str) -> None:
    assert sign_up(idp, app, new_email(), "Spaced Out 12")["UserConfirmed"] is False


def test_sign_up_is_refused_where_only_administrators_create_users(idp: Any) -> None:
    closed = idp.create_user_pool(
        PoolName=unique("admin-only"), UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]["Id"]
    closed_client = idp.create_user_pool_client(UserPoolId=closed, ClientName="c")["UserPoolClient"]["ClientId"]
    assert failure(lambda: sign_up(idp, closed_client, new_email())) == \
        ("NotAuthorizedException", "SignUp is not permitted for this user pool")


# --------------------------------------------------------------------------
# Password reset
# --------------------------------------------------------------------------


def test_forgot_password_sends_a_code_that_confirm_forgot_password_checks(
    emulator: Emulator, idp: Any, pool: str, app: str
) -> None:
    email = confirmed_user(emulator, idp, pool, app)
    answer = idp.forgot_password(ClientId=app, Username=email)
    assert answer["CodeDeliveryDetails"] == {
        "Destination": f"{email[0]}***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    (kept,) = codes(emulator, pool, email)
    assert kept["kind"] == "forgot_password"
    assert 3600 - 60 < kept["expires_at"] - time.time() <= 3600  # valid for one hour
    code = kept["code"]

    def confirm(code: str, password: str = NEW_PASSWORD) -> Any:
        return idp.confirm_forgot_password(ClientId=app, Username=email, ConfirmationCode=code, Password=password)

    assert failure(lambda: confirm(other_code(code)))[0] == "CodeMismatchException"
    assert failure(lambda: confirm(code, "weak")) == \
        ("InvalidPasswordException", "Password did not conform with policy: Password not long enough")
    confirm(code)
    assert "IdToken" in sign_in(idp, app, email, NEW_PASSWORD)["AuthenticationResult"]
    assert failure(lambda: sign_in(idp, app, email, PASSWORD))[0] == "NotAuthorizedException"
    # The code is used up: like a code never requested, ExpiredCodeException.
    assert failure(lambda: confirm(code, "Homedir-Test-3"))[0] == "ExpiredCodeException"


def test_an_expired_password_reset_code_is_refused(emulator: Emulator, idp: Any, pool: str, app: str) -> None:
    email = confirmed_user(emulator, idp, pool, app)
    idp.forgot_password(ClientId=app, Username=email)
    code = code_of_kind(emulator, pool, email, "forgot_password")
    emulator.post_json("/_homedir/codes/expire", {"pool": pool, "username": email})
    assert failure(lambda: idp.confirm_forgot_password(
        ClientId=app, Username=email, ConfirmationCode=code, Password=NEW_PASSWORD))[0] == "ExpiredCodeException"
    assert "IdToken" in sign_in(idp, app, email)["AuthenticationResult"]  # the password did not change


def test_confirm_forgot_password_without_a_code_requested_is_expired_code(
    emulator: Emulator, idp: Any, pool: str, app: str
) -> None:
    email = confirmed_user(emulator, idp, pool, app)
    assert failure(lambda: idp.confirm_forgot_password(
        ClientId=app, Username=email, ConfirmationCode="123456", Password=NEW_PASSWORD))[0] == "ExpiredCodeException"


def test_codes_are_listed_oldest_first_and_each_kind_replaces_its_own(
    emulator: Emulator, idp: Any, pool: str, app: str
) -> None:
    email = confirmed_user(emulator, idp, pool, app)
    idp.forgot_password(ClientId=app, Username=email)
    token = sign_in(idp, app, email)["AuthenticationResult"]["AccessToken"]
    idp.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    idp.forgot_password(ClientId=app, Username=email)  # a new forgot_password code, now the newest
    assert [entry["kind"] for entry in codes(emulator, pool, email)] == ["attribute", "forgot_password"]


# --------------------------------------------------------------------------
# PreventUserExistenceErrors, unverified addresses, attempt quotas
# --------------------------------------------------------------------------


def test_an_enabled_client_does_not_reveal_whether_a_user_exists(emulator: Emulator, idp: Any, app: str) -> None:
    nobody = new_email()
    simulated = {"Destination": f"{nobody[0]}***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    assert idp.forgot_password(ClientId=app, Username=nobody)["CodeDeliveryDetails"] == simulated
    assert idp.resend_confirmation_code(ClientId=app, Username=nobody)["CodeDeliveryDetails"] == simulated
    assert failure(lambda: idp.confirm_forgot_password(
        ClientId=app, Username=nobody, ConfirmationCode="123456", Password=NEW_PASSWORD))[0] == \
        "CodeMismatchException"
    assert failure(lambda: idp.confirm_sign_up(ClientId=app, Username=nobody, ConfirmationCode="123456"))[0] == \
        "CodeMismatchException"


def test_a_legacy_client_says_user_not_found(idp: Any, legacy: str) -> None:
    nobody = new_email()
    calls = [
        lambda: idp.forgot_password(ClientId=legacy, Username=nobody),
        lambda: idp.resend_confirmation_code(ClientId=legacy, Username=nobody),
        lambda: idp.confirm_forgot_password(ClientId=legacy, Username=nobody, ConfirmationCode="123456",
                                            Password=NEW_PASSWORD),
        lambda: idp.confirm_sign_up(ClientId=legacy, Username=nobody, ConfirmationCode="123456"),
    ]
    for call in calls:
        assert failure(call) == ("UserNotFoundException", "Username/client id combination not found.")


def test_password_reset_needs_a_verified_email(
    emulator: Emulator, idp: Any, pool: str, app: str, legacy: str
) -> None:
    email = new_email()
    sign_up(idp, app, email)
    idp.admin_confirm_sign_up(UserPoolId=pool, Username=email)  # confirmed, but the email is not verified
    assert failure(lambda: idp.forgot_password(ClientId=legacy, Username=email))[0] == "InvalidParameterException"
    assert idp.forgot_password(ClientId=app, Username=email)["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert [entry["kind"] for entry in codes(emulator, pool, email)] == ["sign_up"]  # no reset code was sent


def test_resend_confirmation_code_is_limited_to_five_an_hour(emulator: Emulator, idp: Any, app: str) -> None:
    email = new_email()
    sign_up(idp, app, email)
    for _ in range(5):
        idp.resend_confirmation_code(ClientId=app, Username=email)
    assert failure(lambda: idp.resend_confirmation_code(ClientId=app, Username=email)) == \
        ("LimitExceededException", "Attempt limit exceeded, please try after some time.")


def test_confirm_forgot_password_is_limited_per_user(emulator: Emulator, idp: Any, pool: str, app: str) -> None:
    email = confirmed_user(emulator, idp, pool, app)
    idp.forgot_password(ClientId=app, Username=email)
    code = code_of_kind(emulator, pool, email, "forgot_password")
    for _ in range(5):
        assert failure(lambda: idp.confirm_forgot_password(
            ClientId=app, Username=email, ConfirmationCode=other_code(code), Password=NEW_PASSWORD))[0] == \
            "CodeMismatchException"
    assert failure(lambda: idp.confirm_forgot_password(
        ClientId=app, Username=email, ConfirmationCode=code, Password=NEW_PASSWORD))[0] == "LimitExceededException"


# --------------------------------------------------------------------------
# Attribute changes: WriteAttributes (s) and attribute codes (p)
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def attribute_pool(idp: Any) -> dict[str, str]:
    """A pool with a custom attribute, its default client (no WriteAttributes) and a
    client that may write only `name` (and the required email)."""
    pool = idp.create_user_pool(
        PoolName=unique("attributes"), UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                {"Name": "team", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    default = idp.create_user_pool_client(UserPoolId=pool, ClientName="default")["UserPoolClient"]["ClientId"]
    narrow = idp.create_user_pool_client(UserPoolId=pool, ClientName="narrow", WriteAttributes=["name"],
                                         ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    listed = idp.create_user_pool_client(UserPoolId=pool, ClientName="team", WriteAttributes=["custom:team"])
    return {"pool": pool, "default": default, "narrow": narrow["UserPoolClient"]["ClientId"],
            "team": listed["UserPoolClient"]["ClientId"]}


def test_sign_up_writes_only_the_clients_write_attributes(idp: Any, attribute_pool: dict[str, str]) -> None:
    unauthorized = ("NotAuthorizedException", "A client attempted to write unauthorized attribute")

    def sign_up_with(client_id: str, *extra: tuple[str, str]) -> Any:
        email = new_email()
        attributes = [{"Name": "email", "Value": email}] + [{"Name": n, "Value": v} for n, v in extra]
        return idp.sign_up(ClientId=client_id, Username=email, Password=PASSWORD, UserAttributes=attributes)

    # No WriteAttributes: every standard attribute, nothing else.
    sign_up_with(attribute_pool["default"], ("name", "Ann"), ("family_name", "Lee"), ("locale", "en"))
    assert failure(lambda: sign_up_with(attribute_pool["default"], ("email_verified", "true"))) == unauthorized
    assert failure(lambda: sign_up_with(attribute_pool["default"], ("custom:team", "red"))) == unauthorized
    # WriteAttributes [name]: name, and email because it is required.
    sign_up_with(attribute_pool["narrow"], ("name", "Ann"))
    assert failure(lambda: sign_up_with(attribute_pool["narrow"], ("family_name", "Lee"))) == unauthorized
    # A custom attribute once listed.
    sign_up_with(attribute_pool["team"], ("custom:team", "red"))


def test_update_user_attributes_writes_only_the_clients_write_attributes(
    emulator: Emulator, idp: Any, attribute_pool: dict[str, str]
) -> None:
    pool, narrow = attribute_pool["pool"], attribute_pool["narrow"]
    email = new_email()
    idp.sign_up(ClientId=narrow, Username=email, Password=PASSWORD, UserAttributes=[{"Name": "email", "Value": email}])
    idp.confirm_sign_up(ClientId=narrow, Username=email, ConfirmationCode=code_of_kind(emulator, pool, email, "sign_up"))
    token = sign_in(idp, narrow, email)["AuthenticationResult"]["AccessToken"]
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Ann"}])
    assert attribute(idp, pool, email, "name") == "Ann"
    assert failure(lambda: idp.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "custom:team", "Value": "red"}]))[0] == "NotAuthorizedException"
    assert failure(lambda: idp.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email_verified", "Value": "true"}]))[0] == \
        "NotAuthorizedException"
    assert attribute(idp, pool, email, "custom:team") is None


@pytest.fixture(scope="module")
def team_pool(idp: Any) -> dict[str, str]:
    """A pool like the template's: email usernames, `custom:team` (String, 1-63
    characters); the template's app client (reads email, email_verified, custom:team;
    writes email), a client with no Read/WriteAttributes, one that reads only email, and
    one that may also write custom:team."""
    pool = idp.create_user_pool(
        PoolName=unique("teams"), UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True, "Mutable": True},
                {"Name": "team", "AttributeDataType": "String", "Mutable": True,
                 "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "63"}}],
    )["UserPool"]["Id"]
    flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

    def app_client(name: str, **settings: Any) -> str:
        return idp.create_user_pool_client(UserPoolId=pool, ClientName=name, ExplicitAuthFlows=flows,
                                           **settings)["UserPoolClient"]["ClientId"]

    return {
        "pool": pool,
        "app": app_client("app", ReadAttributes=["email", "email_verified", "custom:team"],
                          WriteAttributes=["email"]),
        "default": app_client("default"),
        "email_only": app_client("email-only", ReadAttributes=["email"]),
        "writer": app_client("writer", WriteAttributes=["email", "custom:team"]),
    }


def team_member(idp: Any, pool: str, team: str | None, **extra: str) -> str:
    """A confirmed user created by the administrator, with custom:team = team."""
    email = new_email()
    attributes = {"email": email, "email_verified": "true", **extra}
    if team is not None:
        attributes["custom:team"] = team
    idp.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": n, "Value": v} for n, v in attributes.items()])
    idp.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    return email


def id_claims(idp: Any, client_id: str, email: str) -> dict[str, Any]:
    return claims_of(sign_in(idp, client_id, email)["AuthenticationResult"]["IdToken"])


def test_id_tokens_carry_only_the_attributes_their_client_reads(idp: Any, team_pool: dict[str, str]) -> None:
    email = team_member(idp, team_pool["pool"], "acme", name="Ann")
    app = id_claims(idp, team_pool["app"], email)
    assert (app["custom:team"], app["email"], app["email_verified"]) == ("acme", email, True)
    assert "name" not in app
    # No ReadAttributes: the standard attributes and the verified flags, no custom one.
    default = id_claims(idp, team_pool["default"], email)
    assert (default["name"], default["email_verified"]) == ("Ann", True)
    assert "custom:team" not in default
    email_only = id_claims(idp, team_pool["email_only"], email)
    assert email_only["email"] == email
    assert not {"custom:team", "email_verified", "name"} & set(email_only)
    # A refreshed ID token reads the same way.
    refresh = sign_in(idp, team_pool["app"], email)["AuthenticationResult"]["RefreshToken"]
    refreshed = idp.initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=team_pool["app"],
                                  AuthParameters={"REFRESH_TOKEN": refresh})["AuthenticationResult"]["IdToken"]
    assert claims_of(refreshed)["custom:team"] == "acme" and "name" not in claims_of(refreshed)


def test_only_an_administrator_sets_a_team_the_client_may_not_write(
    emulator: Emulator, idp: Any, team_pool: dict[str, str]
) -> None:
    unauthorized = ("NotAuthorizedException", "A client attempted to write unauthorized attribute")
    pool, app = team_pool["pool"], team_pool["app"]
    email = new_email()
    signing_up = [{"Name": "email", "Value": email}, {"Name": "custom:team", "Value": "acme"}]
    assert failure(lambda: idp.sign_up(ClientId=app, Username=email, Password=PASSWORD,
                                       UserAttributes=signing_up)) == unauthorized
    assert failure(lambda: idp.admin_get_user(UserPoolId=pool, Username=email))[0] == "UserNotFoundException"
    # Created by the administrator with a team; the user's own token cannot change it.
    email = team_member(idp, pool, "acme")
    token = sign_in(idp, app, email)["AuthenticationResult"]["AccessToken"]
    assert failure(lambda: idp.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "custom:team", "Value": "globex"}])) == unauthorized
    assert attribute(idp, pool, email, "custom:team") == "acme"
    # The administrator moves the user, and the next token says so; then removes the team.
    idp.admin_update_user_attributes(UserPoolId=pool, Username=email,
                                     UserAttributes=[{"Name": "custom:team", "Value": "globex"}])
    assert id_claims(idp, app, email)["custom:team"] == "globex"
    idp.admin_delete_user_attributes(UserPoolId=pool, Username=email, UserAttributeNames=["custom:team"])
    assert "custom:team" not in id_claims(idp, app, email)
    # A client whose WriteAttributes list it may write it.
    writer_email = new_email()
    idp.sign_up(ClientId=team_pool["writer"], Username=writer_email, Password=PASSWORD,
                UserAttributes=[{"Name": "email", "Value": writer_email}, {"Name": "custom:team", "Value": "acme"}])
    assert attribute(idp, pool, writer_email, "custom:team") == "acme"


@pytest.mark.parametrize("value, problem", [
    ("x" * 64, "custom:team: String must be no longer than 63 characters"),
    ("", "custom:team: String must be no shorter than 1 characters"),
])
def test_custom_attribute_values_keep_to_the_schemas_length(
    idp: Any, team_pool: dict[str, str], value: str, problem: str
) -> None:
    refused = ("InvalidParameterException", f"Attributes did not conform to the schema: {problem}")
    pool = team_pool["pool"]
    email = team_member(idp, pool, "acme")
    team = [{"Name": "custom:team", "Value": value}]
    assert failure(lambda: idp.admin_update_user_attributes(UserPoolId=pool, Username=email,
                                                            UserAttributes=team)) == refused
    assert attribute(idp, pool, email, "custom:team") == "acme"
    created = new_email()
    assert failure(lambda: idp.admin_create_user(
        UserPoolId=pool, Username=created, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": created}, *team])) == refused
    assert failure(lambda: idp.admin_get_user(UserPoolId=pool, Username=created))[0] == "UserNotFoundException"
    assert failure(lambda: idp.sign_up(ClientId=team_pool["writer"], Username=created, Password=PASSWORD,
                                       UserAttributes=[{"Name": "email", "Value": created}, *team])) == refused
    # The bounds themselves are allowed.
    for allowed in ("x" * 63, "a"):
        idp.admin_update_user_attributes(UserPoolId=pool, Username=email,
                                         UserAttributes=[{"Name": "custom:team", "Value": allowed}])
        assert attribute(idp, pool, email, "custom:team") == allowed


def test_an_attribute_the_pool_does_not_have_is_refused(idp: Any, team_pool: dict[str, str]) -> None:
    pool = team_pool["pool"]
    email = team_member(idp, pool, None)
    assert failure(lambda: idp.admin_update_user_attributes(
        UserPoolId=pool, Username=email, UserAttributes=[{"Name": "custom:tenant", "Value": "acme"}])) == (
        "InvalidParameterException",
        "Attributes did not conform to the schema: Type for attribute {custom:tenant} could not be determined",
    )
    # A standard attribute the pool's Schema did not list is still one it has.
    idp.admin_update_user_attributes(UserPoolId=pool, Username=email,
                                     UserAttributes=[{"Name": "given_name", "Value": "Ann"}])
    assert attribute(idp, pool, email, "given_name") == "Ann"


def test_a_new_email_takes_effect_once_its_code_is_given(emulator: Emulator, idp: Any, pool: str, app: str) -> None:
    """The template's pool verifies an e-mail before it changes (x:
    AttributesRequireVerificationBeforeUpdate [email]): the old address stays, verified."""
    email = confirmed_user(emulator, idp, pool, app)
    token = sign_in(idp, app, email)["AuthenticationResult"]["AccessToken"]
    moved = new_email()
    answer = idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "email", "Value": moved}])
    assert answer["CodeDeliveryDetailsList"] == [
        {"Destination": f"{moved[0]}***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}]
    assert attribute(idp, pool, email, "email") == email
    assert attribute(idp, pool, email, "email_verified") == "true"
    assert "IdToken" in sign_in(idp, app, email)["AuthenticationResult"]
    code = code_of_kind(emulator, pool, email, "attribute")
    assert failure(lambda: idp.verify_user_attribute(
        AccessToken=token, AttributeName="email", Code=other_code(code)))[0] == "CodeMismatchException"
    assert attribute(idp, pool, email, "email") == email
    idp.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    assert attribute(idp, pool, moved, "email") == moved
    assert attribute(idp, pool, moved, "email_verified") == "true"
    # The session goes on under the new address: its tokens still work, and it signs in.
    assert idp.get_user(AccessToken=token)["Username"]
    assert "IdToken" in sign_in(idp, app, moved)["AuthenticationResult"]
    assert failure(lambda: sign_in(idp, app, email))[0] in ("NotAuthorizedException", "UserNotFoundException")


def test_without_verification_before_update_a_new_email_is_unverified_at_once(
    emulator: Emulator, idp: Any
) -> None:
    pool = idp.create_user_pool(PoolName=unique("no-verify-first"), UsernameAttributes=["email"],
                                AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    app = idp.create_user_pool_client(UserPoolId=pool, ClientName="app", ExplicitAuthFlows=[
        "ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    email = confirmed_user(emulator, idp, pool, app)
    token = sign_in(idp, app, email)["AuthenticationResult"]["AccessToken"]
    moved = new_email()
    idp.update_user_attributes(AccessToken=token, UserAttributes=[{"Name": "email", "Value": moved}])
    assert attribute(idp, pool, moved, "email_verified") == "false"
    code = code_of_kind(emulator, pool, moved, "attribute")
    idp.verify_user_attribute(AccessToken=token, AttributeName="email", Code=code)
    assert attribute(idp, pool, moved, "email_verified") == "true"
    assert "IdToken" in sign_in(idp, app, moved)["AuthenticationResult"]


# --------------------------------------------------------------------------
# r. RevokeToken
# --------------------------------------------------------------------------


def refresh(idp: Any, app: str, refresh_token: str) -> dict[str, Any]:
    return idp.initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=app,
                             AuthParameters={"REFRESH_TOKEN": refresh_token})


def test_a_revoked_refresh_token_no_longer_refreshes(emulator: Emulator, idp: Any, pool: str, app: str) -> None:
    email = confirmed_user(emulator, idp, pool, app)
    session = sign_in(idp, app, email)["AuthenticationResult"]
    other = sign_in(idp, app, email)["AuthenticationResult"]  # another device
    refreshed = refresh(idp, app, session["RefreshToken"])["AuthenticationResult"]

    assert idp.revoke_token(ClientId=app, Token=session["RefreshToken"])["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert failure(lambda: refresh(idp, app, session["RefreshToken"])) == \
        ("NotAuthorizedException", "Refresh Token has been revoked")
    # Its access tokens (the first and the refreshed one) no longer work with Cognito...
    for access_token in (session["AccessToken"], refreshed["AccessToken"]):
        assert failure(lambda: idp.get_user(AccessToken=access_token))[0] == "NotAuthorizedException"
    # ...the other device's tokens do.
    assert idp.get_user(AccessToken=other["AccessToken"])["Username"]
    assert "IdToken" in refresh(idp, app, other["RefreshToken"])["AuthenticationResult"]
    # Revoking it again, or a token Cognito never issued: 200, nothing happens.
    idp.revoke_token(ClientId=app, Token=session["RefreshToken"])
    idp.revoke_token(ClientId=app, Token="not-a-token")


def test_revoke_token_takes_only_refresh_tokens_of_its_own_client(
    emulator: Emulator, idp: Any, pool: str, app: str, legacy: str
) -> None:
    email = confirmed_user(emulator, idp, pool, app)
    session = sign_in(idp, app, email)["AuthenticationResult"]
    for token in (session["AccessToken"], session["IdToken"]):
        assert failure(lambda: idp.revoke_token(ClientId=app, Token=token))[0] == "UnsupportedTokenTypeException"
    idp.revoke_token(ClientId=legacy, Token=session["RefreshToken"])  # another client's: 200, not revoked
    assert "IdToken" in refresh(idp, app, session["RefreshToken"])["AuthenticationResult"]


def test_revoke_token_needs_token_revocation_on_the_client(emulator: Emulator, idp: Any, pool: str) -> None:
    off = idp.create_user_pool_client(UserPoolId=pool, ClientName=unique("no-revocation"),
                                      ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                                      EnableTokenRevocation=False)["UserPoolClient"]["ClientId"]
    email = confirmed_user(emulator, idp, pool, off)
    session = sign_in(idp, off, email)["AuthenticationResult"]
    assert failure(lambda: idp.revoke_token(ClientId=off, Token=session["RefreshToken"]))[0] == \
        "UnsupportedOperationException"


# --------------------------------------------------------------------------
# The control endpoints
# --------------------------------------------------------------------------


def test_the_codes_endpoint_answers_for_pools_and_users(emulator: Emulator, pool: str) -> None:
    assert codes(emulator, pool, new_email()) == []  # no such user: no codes
    for query, status in ((f"pool={pool}", 400), ("username=a%40b.c", 400),
                          ("pool=us-east-1_nope&username=a%40b.c", 404)):
        with pytest.raises(urllib.error.HTTPError) as caught:
            emulator.get_json(f"/_homedir/codes?{query}")
        assert caught.value.code == status
    with pytest.raises(urllib.error.HTTPError) as caught:
        emulator.post_json("/_homedir/codes/expire", {"pool": pool, "username": "x@example.com", "kind": "nope"})
    assert caught.value.code == 400
    assert emulator.post_json("/_homedir/codes/expire", {"pool": pool, "username": new_email()}) == \
        {"ok": True, "expired": 0}
