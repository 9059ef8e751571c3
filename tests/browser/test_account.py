"""Getting in without an operator, in a real browser against the local stack: sign-up
with the emailed code (read from the emulator's control endpoint, since nothing is
emailed locally), a wrong, a replaced and an expired code, sign-in, sign-out that
revokes the refresh token, a forgotten password reset with an emailed code, the
password rules in Cognito's words, an unconfirmed account led to its code, the
authenticator app's code at sign-in (SOFTWARE_TOKEN_MFA, computed here as RFC 6238),
an invited user's first sign-in (NEW_PASSWORD_REQUIRED) followed by setting up an app
(MFA_SETUP), and a stack where only operators create accounts.

The stack's pool has MFA OFF; the tests that need MFA switch it (OPTIONAL, ON) with
the admin key and switch it back. Screenshots go to target/browser/account-*.png.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import struct
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
from botocore.exceptions import ClientError
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from helpers import (
    by_id, code_of, codes, csp_violations, error_text, expire_codes, idp, labelled, new_email, new_password,
    new_user, open_page, shot, sign_in, signed_in_as, status_text, stored_session, visible_controls, wait_for,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("HOMEDIR_WEB_URL"), reason="run through tests/e2e.sh --local (HOMEDIR_WEB_URL)"
)

WRONG_CODE = "That code is not the one sent; check it and try again."
EXPIRED_CODE = "That code has expired; ask for a new one."
DIFFERENT = "The two passwords differ: type the same one twice."


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 (HMAC-SHA1, 30 s, 6 digits), as tests/emulator/harness.py's totp."""
    padded = secret.upper() + "=" * (-len(secret) % 8)
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(padded), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return str((int.from_bytes(digest[offset:offset + 4], "big") & 0x7FFFFFFF) % 10**6).zfill(6)


def not_a_current_code(secret: str) -> str:
    """Six digits no authenticator would show now (nor a step either side)."""
    now = time.time()
    current = {totp(secret, now + skew) for skew in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in current)


def fresh_code(secret: str) -> str:
    """The current code, not one about to roll over on the way to Cognito."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    return totp(secret)


def press(driver: WebDriver, element_id: str) -> None:
    """Clicks a form's button and waits for its call to Cognito to end."""
    button = by_id(driver, element_id)
    button.click()
    wait_for(f"{element_id} to finish", lambda: not button.is_displayed() or button.is_enabled())


def fill(driver: WebDriver, values: dict[str, str]) -> None:
    for element_id, value in values.items():
        field = by_id(driver, element_id)
        field.clear()
        field.send_keys(value)


def error_is(driver: WebDriver, expected: str) -> None:
    wait_for(f"the error {expected!r}", lambda: error_text(driver) == expected, timeout=15)


def form_shown(driver: WebDriver, form: str) -> None:
    wait_for(f"the form {form}", lambda: by_id(driver, form).is_displayed())
    others = [f for f in driver.find_elements(By.CSS_SELECTOR, "#sign-in-view form") if f.is_displayed()]
    assert [f.get_attribute("id") for f in others] == [form], "one form at a time"


def refresh_refused(refresh_token: str) -> str:
    try:
        idp().initiate_auth(AuthFlow="REFRESH_TOKEN_AUTH", ClientId=os.environ["USER_POOL_CLIENT_ID"],
                            AuthParameters={"REFRESH_TOKEN": refresh_token})
    except ClientError as error:
        return error.response["Error"]["Code"]
    return ""


def sign_out(driver: WebDriver) -> None:
    labelled(driver, "Sign out").click()
    wait_for("the sign-in form", lambda: by_id(driver, "sign-in-form").is_displayed())
    wait_for("the sign-out", lambda: status_text(driver) == "Signed out.")
    assert stored_session(driver) is None
    assert driver.execute_script("return sessionStorage.length") == 0, "signing out forgets the tokens"


@pytest.fixture
def pool_mfa() -> Iterator[Any]:
    """Sets the stack's pool's MFA (TOTP enabled) for one test, then back to OFF."""
    client, pool = idp(), os.environ["USER_POOL_ID"]

    def set_mfa(mode: str) -> None:
        client.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration=mode,
                                        SoftwareTokenMfaConfiguration={"Enabled": True})
    try:
        yield set_mfa
    finally:
        client.set_user_pool_mfa_config(UserPoolId=pool, MfaConfiguration="OFF")


def page_with_settings(driver: WebDriver, **settings: Any) -> str:
    """The next page loads with these settings changed in its JSON data block (through
    the DevTools protocol, which the page's policy does not govern, before the page's
    module reads it); returns the id to remove the script with."""
    script = (
        "document.addEventListener('readystatechange', () => {"
        "  const block = document.getElementById('homedir-config');"
        "  if (!block || block.dataset.changed) return;"
        f"  block.textContent = JSON.stringify(Object.assign(JSON.parse(block.textContent), {json.dumps(settings)}));"
        "  block.dataset.changed = 'yes';"
        "});"
    )
    return driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": script})["identifier"]


# --------------------------------------------------------------------------- sign-up, sign-out, reset


def test_sign_up_confirm_sign_in_out_and_reset_the_password(browser: WebDriver, artefacts: Path) -> None:
    driver = browser
    email, password = new_email("carol-web"), new_password()
    open_page(driver)
    assert "Create an account" in visible_controls(driver), "the local stack allows sign-up"
    assert not by_id(driver, "invite-only").is_displayed()

    # -- 1. create an account: the password's rules in Cognito's words, each message
    #       replacing the one before
    labelled(driver, "Create an account").click()
    form_shown(driver, "sign-up-form")
    assert driver.switch_to.active_element == by_id(driver, "sign-up-email")
    fill(driver, {"sign-up-email": email, "sign-up-password": "Aa1!x", "sign-up-password2": "Aa1!x"})
    press(driver, "sign-up")
    error_is(driver, "Password not long enough.")
    shot(driver, artefacts, "account-01-weak-password")
    fill(driver, {"sign-up-password": "all-lower-case-1", "sign-up-password2": "all-lower-case-1"})
    press(driver, "sign-up")
    error_is(driver, "Password must have uppercase characters.")
    fill(driver, {"sign-up-password": password, "sign-up-password2": password + "x"})
    press(driver, "sign-up")
    error_is(driver, DIFFERENT)
    assert codes(email) == [], "nothing was sent to Cognito for a mismatch"
    fill(driver, {"sign-up-password": password, "sign-up-password2": password})
    by_id(driver, "sign-up-password2").send_keys(Keys.ENTER)

    # -- 2. the code: where it went, a wrong one, a new one, an expired one
    form_shown(driver, "confirm-form")
    assert not error_text(driver)
    sent = code_of(email, "sign_up")
    assert sent["destination"] == "c***@e***"
    assert by_id(driver, "confirm-text").text == f"A code was sent to c***@e***. Enter it to confirm {email}."
    assert driver.switch_to.active_element == by_id(driver, "confirm-code")
    shot(driver, artefacts, "account-02-code-sent")
    wrong = "000000" if sent["code"] != "000000" else "111111"
    by_id(driver, "confirm-code").send_keys(wrong, Keys.ENTER)
    error_is(driver, WRONG_CODE)
    shot(driver, artefacts, "account-03-wrong-code")
    press(driver, "resend")
    wait_for("the new code", lambda: status_text(driver) == "A new code was sent to c***@e***.")
    assert not error_text(driver), "the new code replaces the message"
    assert by_id(driver, "confirm-text").text == "A new code was sent to c***@e***; the one before it no longer works."
    renewed = code_of(email, "sign_up")
    assert renewed["expires_at"] >= sent["expires_at"]
    if renewed["code"] != sent["code"]:  # one in a million they are equal
        by_id(driver, "confirm-code").send_keys(sent["code"], Keys.ENTER)
        error_is(driver, WRONG_CODE)
    expire_codes(email, "sign_up")
    fill(driver, {"confirm-code": renewed["code"]})
    press(driver, "confirm")
    error_is(driver, EXPIRED_CODE)
    shot(driver, artefacts, "account-04-expired-code")
    press(driver, "resend")
    wait_for("another code", lambda: not error_text(driver))
    fill(driver, {"confirm-code": code_of(email, "sign_up")["code"]})
    press(driver, "confirm")

    # -- 3. confirmed: back at sign-in with the email filled in, the password focused
    form_shown(driver, "sign-in-form")
    assert status_text(driver) == "Your email is confirmed: sign in with your password."
    assert not error_text(driver)
    assert by_id(driver, "email").get_attribute("value") == email
    assert driver.switch_to.active_element == by_id(driver, "password")
    assert codes(email) == [], "the code is used up"
    shot(driver, artefacts, "account-05-confirmed")
    by_id(driver, "password").send_keys(password, Keys.ENTER)
    signed_in_as(driver, email)
    assert status_text(driver) == f"Signed in as {email}."

    # -- 4. sign out: the tokens leave sessionStorage and the refresh token is revoked
    session = stored_session(driver)
    assert session and session["refreshToken"]
    assert refresh_refused(session["refreshToken"]) == "", "the refresh token works while signed in"
    sign_out(driver)
    assert refresh_refused(session["refreshToken"]) == "NotAuthorizedException", "RevokeToken ended it"
    shot(driver, artefacts, "account-06-signed-out")

    # -- 5. the same email cannot sign up twice
    labelled(driver, "Create an account").click()
    fill(driver, {"sign-up-email": email, "sign-up-password": password, "sign-up-password2": password})
    press(driver, "sign-up")
    error_is(driver, "An account with that email already exists: sign in, or reset its password.")
    labelled(driver, "Back to sign in").click()
    form_shown(driver, "sign-in-form")
    assert not error_text(driver)

    # -- 6. forgot the password: a code by email, the rules again, a wrong code
    by_id(driver, "email").clear()
    by_id(driver, "email").send_keys(email)
    labelled(driver, "Forgot your password?").click()
    form_shown(driver, "forgot-form")
    assert by_id(driver, "forgot-email").get_attribute("value") == email
    press(driver, "forgot-send")
    form_shown(driver, "reset-form")
    reset = code_of(email, "forgot_password")
    assert by_id(driver, "reset-text").text == "A code was sent to c***@e***. Enter it with your new password."
    assert driver.switch_to.active_element == by_id(driver, "reset-code")
    shot(driver, artefacts, "account-07-reset-code-sent")
    changed = new_password()
    fill(driver, {"reset-code": reset["code"], "reset-password": "Short1!", "reset-password2": "Short1!"})
    press(driver, "reset")
    error_is(driver, "Password not long enough.")
    fill(driver, {"reset-code": reset["code"], "reset-password": changed, "reset-password2": changed[:-1]})
    press(driver, "reset")
    error_is(driver, DIFFERENT)
    fill(driver, {"reset-code": "000000" if reset["code"] != "000000" else "111111",
                  "reset-password": changed, "reset-password2": changed})
    press(driver, "reset")
    error_is(driver, WRONG_CODE)
    fill(driver, {"reset-code": reset["code"], "reset-password": changed, "reset-password2": changed})
    press(driver, "reset")

    # -- 7. back at sign-in with a success message; the old password is refused
    form_shown(driver, "sign-in-form")
    assert status_text(driver) == "Your password is changed: sign in with the new one."
    assert not error_text(driver)
    shot(driver, artefacts, "account-08-password-changed")
    sign_in(driver, email, password)
    error_is(driver, "Wrong email or password.")
    sign_in(driver, email, changed)
    signed_in_as(driver, email)
    sign_out(driver)
    assert csp_violations(driver) == []


def test_an_unconfirmed_account_is_led_to_its_code(browser: WebDriver, artefacts: Path) -> None:
    """A sign-in before the code was entered (UserNotConfirmedException) asks for it."""
    driver = browser
    email, password = new_email("dave-web"), new_password()
    idp().sign_up(ClientId=os.environ["USER_POOL_CLIENT_ID"], Username=email, Password=password,
                  UserAttributes=[{"Name": "email", "Value": email}])
    open_page(driver)
    sign_in(driver, email, password)
    form_shown(driver, "confirm-form")
    error_is(driver, "This account is not confirmed yet: enter the code emailed to you, or send a new one.")
    assert by_id(driver, "confirm-text").text == (
        f"Enter the code emailed to {email} when the account was created, or send a new one.")
    assert status_text(driver) == ""
    shot(driver, artefacts, "account-09-not-confirmed")
    press(driver, "resend")
    wait_for("the new code", lambda: status_text(driver) == "A new code was sent to d***@e***.")
    by_id(driver, "confirm-code").send_keys(code_of(email, "sign_up")["code"], Keys.ENTER)
    form_shown(driver, "sign-in-form")
    by_id(driver, "password").send_keys(password, Keys.ENTER)
    signed_in_as(driver, email)
    sign_out(driver)
    assert csp_violations(driver) == []


# --------------------------------------------------------------------------- second factor


def test_sign_in_with_an_authenticator_app(browser: WebDriver, artefacts: Path, pool_mfa: Any) -> None:
    """SOFTWARE_TOKEN_MFA: the app's 6-digit code, computed here from the user's key."""
    driver = browser
    pool_mfa("OPTIONAL")
    email, password = new_user("erin-web")
    client, app = idp(), os.environ["USER_POOL_CLIENT_ID"]
    access = client.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=app,
                                  AuthParameters={"USERNAME": email, "PASSWORD": password})["AuthenticationResult"]["AccessToken"]
    secret = client.associate_software_token(AccessToken=access)["SecretCode"]
    assert client.verify_software_token(AccessToken=access, UserCode=fresh_code(secret))["Status"] == "SUCCESS"
    client.set_user_mfa_preference(AccessToken=access,
                                   SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})

    open_page(driver)
    sign_in(driver, email, password)
    form_shown(driver, "mfa-form")
    assert driver.switch_to.active_element == by_id(driver, "mfa-code")
    assert by_id(driver, "mfa-code").get_attribute("autocomplete") == "one-time-code"
    shot(driver, artefacts, "account-10-app-code")
    by_id(driver, "mfa-code").send_keys("12345", Keys.ENTER)
    error_is(driver, "Enter the 6-digit code your authenticator app shows now.")
    fill(driver, {"mfa-code": not_a_current_code(secret)})
    press(driver, "mfa-verify")
    error_is(driver, "That code is not right; enter the current code from your authenticator app.")
    shot(driver, artefacts, "account-11-app-code-wrong")
    fill(driver, {"mfa-code": fresh_code(secret)})
    press(driver, "mfa-verify")
    signed_in_as(driver, email)
    assert not error_text(driver)
    shot(driver, artefacts, "account-12-app-signed-in")
    sign_out(driver)
    assert csp_violations(driver) == []


def test_an_invited_user_chooses_a_password_and_sets_up_an_app(
        browser: WebDriver, artefacts: Path, pool_mfa: Any) -> None:
    """NEW_PASSWORD_REQUIRED (the emailed temporary password), then MFA_SETUP (the pool
    requires MFA, the user has none): the key as text and as an otpauth:// link, its
    first code, signed in; the next sign-in asks for the app's code."""
    driver = browser
    pool_mfa("ON")
    email, temporary, chosen = new_email("frank-web"), "Temp-Pass-1!", new_password()
    idp().admin_create_user(
        UserPoolId=os.environ["USER_POOL_ID"], Username=email, TemporaryPassword=temporary, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    open_page(driver)
    sign_in(driver, email, temporary)
    form_shown(driver, "new-password-form")
    assert driver.switch_to.active_element == by_id(driver, "new-password")
    shot(driver, artefacts, "account-13-new-password")
    fill(driver, {"new-password": "nouppercase-1", "new-password2": "nouppercase-1"})
    press(driver, "new-password-set")
    error_is(driver, "Password must have uppercase characters.")
    fill(driver, {"new-password": chosen, "new-password2": chosen})
    press(driver, "new-password-set")

    form_shown(driver, "mfa-setup-form")
    key = by_id(driver, "mfa-key").text
    assert len(key) == 32 and base64.b32decode(key)
    link = by_id(driver, "mfa-link").get_attribute("href")
    assert link == f"otpauth://totp/homedir:{email}?secret={key}&issuer=homedir"
    assert driver.switch_to.active_element == by_id(driver, "mfa-setup-code")
    shot(driver, artefacts, "account-14-set-up-app")
    fill(driver, {"mfa-setup-code": not_a_current_code(key)})
    press(driver, "mfa-setup-verify")
    error_is(driver, "That code does not match the new key; check the key in your app and enter its current code.")
    fill(driver, {"mfa-setup-code": fresh_code(key)})
    press(driver, "mfa-setup-verify")
    signed_in_as(driver, email)
    assert not error_text(driver)
    sign_out(driver)

    # The next sign-in asks for the app's code, with the chosen password.
    sign_in(driver, email, chosen)
    form_shown(driver, "mfa-form")
    by_id(driver, "mfa-code").send_keys(fresh_code(key), Keys.ENTER)
    signed_in_as(driver, email)
    sign_out(driver)
    assert csp_violations(driver) == []


# --------------------------------------------------------------------------- invite-only


def test_where_only_operators_create_accounts(browser: WebDriver, artefacts: Path) -> None:
    """signUp false: no sign-up, words about invitations, but the password reset is
    there. And a page that offers sign-up against a pool that refuses it (its settings
    out of step with the pool's AllowAdminCreateUserOnly) says sign-up is closed."""
    driver = browser
    client = idp()
    pool = client.create_user_pool(
        PoolName="homedir-browser-invite-only", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
    )["UserPool"]["Id"]
    invite_client = client.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    scripts: list[str] = []
    try:
        scripts.append(page_with_settings(driver, signUp=False))
        open_page(driver)
        assert "Create an account" not in visible_controls(driver)
        assert by_id(driver, "invite-only").is_displayed()
        assert "operator" in by_id(driver, "invite-only").text
        assert "Forgot your password?" in visible_controls(driver)
        shot(driver, artefacts, "account-15-invite-only")
        driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": scripts.pop()})

        scripts.append(page_with_settings(driver, signUp=True, clientId=invite_client))
        open_page(driver)
        labelled(driver, "Create an account").click()
        password = new_password()
        fill(driver, {"sign-up-email": new_email("gina-web"), "sign-up-password": password, "sign-up-password2": password})
        press(driver, "sign-up")
        error_is(driver, "Sign-up is closed here: an operator invites people. Ask yours for an invitation.")
        shot(driver, artefacts, "account-16-sign-up-closed")
    finally:
        for script in scripts:
            driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": script})
        client.delete_user_pool(UserPoolId=pool)
    open_page(driver)
    assert "Create an account" in visible_controls(driver), "the stack's own settings again"
    assert csp_violations(driver) == []


# --------------------------------------------------------------------------- accessibility


def test_every_account_field_is_labelled_and_reachable(browser: WebDriver, artefacts: Path) -> None:
    """Every field of every account form has a label and the autocomplete a password
    manager needs; Tab reaches the sign-in and sign-up controls with a focus ring."""
    driver = browser
    open_page(driver)
    fields = driver.execute_script(
        """
        return [...document.querySelectorAll('#sign-in-view input')].map(input => ({
          id: input.id, form: input.form.id, type: input.type, hint: input.classList.contains('username-hint'),
          autocomplete: input.getAttribute('autocomplete'),
          label: [...(input.labels || [])].map(l => l.textContent.trim()).join(' '),
        }));
        """
    )
    expected = {"email": "username", "password": "current-password", "text": "one-time-code"}
    assert len(fields) >= 16
    for field in fields:
        if field["hint"]:  # the hidden username a password manager files a new password under
            assert field["autocomplete"] == "username"
            continue
        assert field["label"], f"{field['id']} has a label"
        wanted = expected[field["type"]]
        if field["type"] == "password" and field["form"] != "sign-in-form":
            wanted = "new-password"
        assert field["autocomplete"] == wanted, field

    def tab_through(count: int) -> dict[str, str]:
        driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
        reached: dict[str, str] = {}
        for _ in range(count):
            driver.switch_to.active_element.send_keys(Keys.TAB)
            focused = driver.switch_to.active_element
            name = focused.get_attribute("aria-label") or focused.text or focused.get_attribute("id")
            reached[name] = driver.execute_script(
                "const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth")
        return reached

    reached = tab_through(8)
    for control in ("email", "password", "Sign in", "Forgot your password?", "Create an account"):
        assert control in reached, f"{control} is reachable with Tab: {sorted(reached)}"
        assert not reached[control].startswith("none"), f"{control} shows where the focus is"
    shot(driver, artefacts, "account-17-focus")
    labelled(driver, "Create an account").click()
    reached = tab_through(8)
    for control in ("sign-up-email", "sign-up-password", "sign-up-password2", "Create account", "Back to sign in"):
        assert control in reached, f"{control} is reachable with Tab: {sorted(reached)}"
        assert not reached[control].startswith("none"), f"{control} shows where the focus is"
    driver.set_window_size(390, 844)
    try:
        wait_for("the phone layout", lambda: driver.execute_script("return window.innerWidth") <= 390)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the sign-up form is {overflow}px wider than a 390 px phone"
        shot(driver, artefacts, "account-18-phone")
    finally:
        driver.set_window_size(1100, 760)
    assert csp_violations(driver) == []
