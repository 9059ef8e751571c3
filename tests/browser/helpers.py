"""What the browser tests share: the local stack (users, the emulator's control
endpoints, the user pool with the admin key) and the page (waiting, finding controls
by their accessible names, the status and error lines, screenshots)."""

from __future__ import annotations

import json
import os
import secrets
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable

import boto3
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = ("AKIAHOMEDIRADMIN000", "local")
WAIT = 60.0
SESSION_KEY = "homedir.session"


# --------------------------------------------------------------------------- the stack


def idp() -> Any:
    """The user pool API of the emulator, with its admin key."""
    return boto3.client(
        "cognito-idp", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ.get("AWS_REGION", "us-east-1"),
        aws_access_key_id=ADMIN_KEY[0], aws_secret_access_key=ADMIN_KEY[1],
    )


def new_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def new_password() -> str:
    return f"Web-{secrets.token_hex(8)}-Aa1!"


def new_user(prefix: str) -> tuple[str, str]:
    """A confirmed user of the stack's pool, as the e2e harness makes them."""
    email, password = new_email(prefix), new_password()
    pool = os.environ["USER_POOL_ID"]
    client = idp()
    client.admin_create_user(
        UserPoolId=pool, Username=email, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    client.admin_set_user_password(UserPoolId=pool, Username=email, Password=password, Permanent=True)
    return email, password


def emulator(path: str, method: str = "GET", body: Any = None) -> Any:
    """One of the emulator's control endpoints (/_homedir/...), JSON in and out."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL"].rstrip("/") + path, method=method, data=data,
        headers={"Content-Type": "application/json"} if data is not None else {},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def codes(email: str) -> list[dict[str, Any]]:
    """The codes Cognito would have emailed to `email` (newest last, one per kind)."""
    query = urllib.parse.urlencode({"pool": os.environ["USER_POOL_ID"], "username": email})
    return emulator(f"/_homedir/codes?{query}")["codes"]


def code_of(email: str, kind: str) -> dict[str, Any]:
    found = [code for code in codes(email) if code["kind"] == kind]
    assert found, f"no {kind} code for {email}: {codes(email)}"
    return found[-1]


def expire_codes(email: str, kind: str) -> None:
    answer = emulator("/_homedir/codes/expire", "POST", {"pool": os.environ["USER_POOL_ID"], "username": email, "kind": kind})
    assert answer["expired"] == 1, answer


# --------------------------------------------------------------------------- the page


def wait_for(what: str, condition: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except (StaleElementReferenceException, WebDriverException) as error:
            last = error
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f" ({last})" if last else ""))


def by_id(driver: WebDriver, element_id: str) -> WebElement:
    return driver.find_element(By.ID, element_id)


def labelled(driver: WebDriver, label: str) -> WebElement:
    """The visible control whose accessible name (aria-label or text) is `label`."""
    def find() -> WebElement | None:
        for element in driver.find_elements(By.CSS_SELECTOR, "button, a, input"):
            if element.is_displayed() and (element.get_attribute("aria-label") == label or element.text == label):
                return element
        return None
    return wait_for(f"a control named {label!r}", find)


def visible_controls(driver: WebDriver) -> list[str]:
    """The names of the visible buttons and links."""
    return [
        element.get_attribute("aria-label") or element.text
        for element in driver.find_elements(By.CSS_SELECTOR, "button, a")
        if element.is_displayed()
    ]


def names_listed(driver: WebDriver) -> list[str]:
    """The names the listing shows, in order; a folder's with its "/" (a search result's
    with its path)."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#rows tr')].map(r => r.dataset.name + (r.dataset.kind === 'folder' ? '/' : ''))")


def listed(driver: WebDriver, names: list[str], what: str = "the listing", timeout: float = WAIT) -> None:
    """Waits until the listing shows exactly `names` (in any order) and is not loading."""
    wait_for(f"{what}: {sorted(names)}", lambda: sorted(names_listed(driver)) == sorted(names) and not busy(driver),
             timeout=timeout)


def busy(driver: WebDriver) -> bool:
    return driver.execute_script(
        "return document.getElementById('listing').getAttribute('aria-busy') === 'true'"
        " || !document.getElementById('progress').hidden")


def row_of(driver: WebDriver, name: str) -> WebElement:
    """The listing's row of `name` (a folder's without its "/")."""
    def find() -> WebElement | None:
        for row in driver.find_elements(By.CSS_SELECTOR, "#rows tr"):
            if row.get_attribute("data-name") == name:
                return row
        return None
    return wait_for(f"the row of {name!r}", find)


def row_action(driver: WebDriver, name: str, label: str) -> None:
    """Clicks one of a row's quick actions (shown on hover or focus), e.g. "Download"."""
    from selenium.webdriver.common.action_chains import ActionChains
    row = row_of(driver, name)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
    ActionChains(driver).move_to_element(row).perform()
    labelled(driver, f"{label} {name}").click()


def menu_action(driver: WebDriver, name: str, item: str) -> None:
    """Opens a row's actions menu ("More actions for NAME") and picks `item`."""
    labelled(driver, f"More actions for {name}").click()
    wait_for("the actions menu", lambda: by_id(driver, "menu").is_displayed())
    for element in by_id(driver, "menu").find_elements(By.CSS_SELECTOR, "[role=menuitem]"):
        if element.text == item:
            element.click()
            return
    raise AssertionError(f"no {item!r} in the menu: {by_id(driver, 'menu').text!r}")


def transfers(driver: WebDriver, state: str) -> list[WebElement]:
    return driver.find_elements(By.CSS_SELECTOR, f"#transfers-list li.{state}")


def idle(driver: WebDriver) -> None:
    wait_for("the page to finish what it does", lambda: not busy(driver))


def status_text(driver: WebDriver) -> str:
    return by_id(driver, "status").text


def error_text(driver: WebDriver) -> str:
    box = by_id(driver, "error")
    return box.text if box.is_displayed() else ""


def shot(driver: WebDriver, artefacts: Path, name: str) -> None:
    driver.save_screenshot(str(artefacts / f"{name}.png"))


def open_page(driver: WebDriver) -> None:
    """The page, signed out (sessionStorage outlives navigations in the same tab)."""
    driver.get(os.environ["HOMEDIR_WEB_URL"])
    if driver.execute_script("return sessionStorage.length"):
        driver.execute_script("sessionStorage.clear()")
        driver.refresh()
    wait_for("the sign-in form", lambda: by_id(driver, "sign-in-form").is_displayed())


def sign_in(driver: WebDriver, email: str, password: str) -> None:
    wait_for("the sign-in form", lambda: by_id(driver, "email").is_displayed())
    by_id(driver, "email").clear()
    by_id(driver, "email").send_keys(email)
    by_id(driver, "password").clear()
    by_id(driver, "password").send_keys(password, Keys.ENTER)


def signed_in_as(driver: WebDriver, email: str) -> None:
    wait_for("the file view", lambda: by_id(driver, "files-view").is_displayed())
    assert by_id(driver, "account-email").get_attribute("textContent") == email
    wait_for("the listing", lambda: by_id(driver, "listing").get_attribute("aria-busy") is None)


def stored_session(driver: WebDriver) -> dict[str, Any] | None:
    return driver.execute_script(f"return JSON.parse(sessionStorage.getItem({json.dumps(SESSION_KEY)}))")


def csp_violations(driver: WebDriver) -> list[str]:
    return [
        entry["message"] for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]
