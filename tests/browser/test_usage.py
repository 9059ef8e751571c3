"""Usage and quotas on the web page (issue 20), in headless Chromium against the local
stack, like test_page.py. An operator gives a user a quota as `make quota` does
(AdminUpdateUserAttributes of custom:quota with the emulator's admin key), before the
user signs in, so the page's first token carries it.

- test_a_home_too_small_says_so_in_words_and_shows_its_quota: a home of one byte. The
  usage bar (a <meter> named "Space used in My files") reads "0 bytes of 1 byte used";
  a 2-byte upload fails with the API's 507 said in words, with its numbers, in the
  status bar and the transfers panel, and nothing of it is stored; a 1-byte upload
  goes through. At a phone's width the bar fits. Needs no usage counted (the home
  holds nothing until the last byte).
- test_the_bar_follows_uploads_deletes_and_the_space: needs the usage counted (the
  emulator's notifications to the usage function). A member of a team with a 1,000-byte
  home: the bar after an upload, after a replace (the old version counts), after a
  delete (a delete frees nothing), in the team's space and back; a 507 with the counted
  numbers; the home filled to its quota, "Full: …".
Screenshots: target/browser/usage-*.png. No step may hit the Content-Security-Policy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from helpers import (
    by_id, csp_violations, error_text, idle, idp, labelled, listed, new_user, open_page, shot, sign_in,
    signed_in_as, transfers, wait_for,
)
from test_page import answer_conflict, clear_transfers, page, status_is, upload, wrapped_buttons  # noqa: F401 (page: the fixture)
from test_team import in_space, set_team

pytestmark = pytest.mark.skipif(
    not os.environ.get("HOMEDIR_WEB_URL"), reason="run through tests/e2e.sh --local (HOMEDIR_WEB_URL)"
)

# What every 507 ends with: how room is made.
TAIL = (" Deleted files and old versions count until they expire: delete what you can spare, and ask an"
        " operator to empty the trash and old versions, or for more room.")


@pytest.fixture
def local_files() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="homedir-browser-usage-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def set_quota(email: str, quota: int | None) -> None:
    """What an operator does (make quota): the user's custom:quota set, or cleared."""
    pool = os.environ["USER_POOL_ID"]
    if quota is None:
        idp().admin_delete_user_attributes(UserPoolId=pool, Username=email, UserAttributeNames=["custom:quota"])
    else:
        idp().admin_update_user_attributes(
            UserPoolId=pool, Username=email, UserAttributes=[{"Name": "custom:quota", "Value": str(quota)}])


def usage_text(driver: WebDriver) -> str:
    bar = by_id(driver, "usage")
    return by_id(driver, "usage-text").text if bar.is_displayed() else ""


def usage_reads(driver: WebDriver, text: str, timeout: float = 20) -> None:
    wait_for(f"the usage bar reading {text!r}", lambda: usage_text(driver) == text, timeout=timeout)


def meter(driver: WebDriver) -> tuple[str, float, float]:
    """The meter's accessible name, value and maximum."""
    element = by_id(driver, "usage-meter")
    assert element.tag_name == "meter"
    assert element.get_attribute("role") in (None, "", "meter")
    return element.accessible_name, float(element.get_attribute("value")), float(element.get_attribute("max"))


def upload_fails(driver: WebDriver, path: Path) -> None:
    """Uploads through the file picker and waits for that transfer to fail."""
    before = len(transfers(driver, "failed"))
    by_id(driver, "file-input").send_keys(str(path))
    wait_for(f"the upload of {path.name} to fail", lambda: len(transfers(driver, "failed")) > before, timeout=60)
    idle(driver)


def test_a_home_too_small_says_so_in_words_and_shows_its_quota(
    page: WebDriver, artefacts: Path, local_files: Path,
) -> None:
    driver = page
    email, password = new_user("usage-tiny")
    set_quota(email, 1)
    two = local_files / "two.txt"
    two.write_bytes(b"ab")
    one = local_files / "one.txt"
    one.write_bytes(b"a")

    open_page(driver)
    sign_in(driver, email, password)
    signed_in_as(driver, email)
    usage_reads(driver, "0 bytes of 1 byte used")
    assert meter(driver) == ("Space used in My files", 0, 1)
    assert by_id(driver, "usage-meter").is_displayed()
    shot(driver, artefacts, "usage-01-one-byte-home")

    # Two bytes do not fit: the 507 in words, with its numbers, where the person looks.
    upload_fails(driver, two)
    said = ("This space has no room for this: it holds 0 bytes of its 1 byte quota (1 byte free), and this"
            " needs 2 bytes." + TAIL)
    wait_for("the 507 in words", lambda: error_text(driver) == f"Could not upload two.txt. {said}")
    assert said in by_id(driver, "transfers-list").text
    assert "HTTP 507" not in by_id(driver, "transfers-list").text
    shot(driver, artefacts, "usage-02-no-room")
    labelled(driver, "Remove two.txt from the list").click()
    wait_for("no failed transfer", lambda: not transfers(driver, "failed"))
    clear_transfers(driver)
    labelled(driver, "Refresh").click()
    idle(driver)
    assert by_id(driver, "empty").is_displayed(), "nothing of two.txt was stored"

    # One byte does.
    upload(driver, one)
    listed(driver, ["one.txt"])
    clear_transfers(driver)

    # At a phone's width the bar has a row of its own: nothing wider, nothing wrapped.
    driver.set_window_size(390, 844)
    wait_for("the phone layout", lambda: driver.execute_script("return window.innerWidth") <= 390)
    assert by_id(driver, "usage").is_displayed()
    assert driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert wrapped_buttons(driver) == []
    shot(driver, artefacts, "usage-03-phone")
    assert csp_violations(driver) == []


def test_the_bar_follows_uploads_deletes_and_the_space(
    page: WebDriver, artefacts: Path, local_files: Path,
) -> None:
    driver = page
    team = f"usage-{uuid.uuid4().hex[:8]}"
    title = f"Team {team}"
    email, password = new_user("usage-bar")
    set_team(email, team)
    set_quota(email, 1000)
    notes = local_files / "notes.txt"
    notes.write_bytes(b"n" * 300)

    open_page(driver)
    sign_in(driver, email, password)
    signed_in_as(driver, email)
    usage_reads(driver, "0 bytes of 1.0 KB used")

    # An upload counts; a replace keeps the old version, which counts too.
    upload(driver, notes)
    listed(driver, ["notes.txt"])
    clear_transfers(driver)
    usage_reads(driver, "300 bytes of 1.0 KB used")
    assert meter(driver) == ("Space used in My files", 300, 1000)
    by_id(driver, "file-input").send_keys(str(notes))
    answer_conflict(driver, "notes.txt already exists", "Replace")
    wait_for("the replace", lambda: len(transfers(driver, "done")) >= 1)
    clear_transfers(driver)
    usage_reads(driver, "600 bytes of 1.0 KB used")
    shot(driver, artefacts, "usage-04-two-versions")

    # A delete frees nothing: its delete marker holds no data, the versions stay.
    labelled(driver, "More actions for notes.txt").click()
    wait_for("the actions menu", lambda: by_id(driver, "menu").is_displayed())
    driver.find_element(By.XPATH, "//*[@id='menu']//*[@role='menuitem'][normalize-space()='Delete']").click()
    status_is(driver, "Deleted notes.txt.")
    time.sleep(4)  # the bar's second look, after the delete was counted
    assert usage_text(driver) == "600 bytes of 1.0 KB used"

    # The team's space has a bar of its own, named for it.
    in_space(driver, title, title)
    wait_for("the team's bar", lambda: meter(driver)[0] == f"Space used in {title}")
    assert usage_text(driver).startswith("0 bytes of ")
    in_space(driver, "My files", "Home")
    usage_reads(driver, "600 bytes of 1.0 KB used")

    # 500 bytes do not fit in the 400 left; 400 do, and the home is full.
    big = local_files / "big.txt"
    big.write_bytes(b"b" * 500)
    upload_fails(driver, big)
    wait_for("the 507 with the counted numbers", lambda: error_text(driver) == (
        "Could not upload big.txt. This space has no room for this: it holds 600 bytes of its 1.0 KB quota"
        " (400 bytes free), and this needs 500 bytes." + TAIL))
    labelled(driver, "Remove big.txt from the list").click()
    wait_for("no failed transfer", lambda: not transfers(driver, "failed"))
    clear_transfers(driver)
    last = local_files / "last.txt"
    last.write_bytes(b"l" * 400)
    upload(driver, last)
    clear_transfers(driver)
    usage_reads(driver, "Full: 1.0 KB of 1.0 KB used")
    assert "full" in by_id(driver, "usage").get_attribute("class").split()
    assert meter(driver) == ("Space used in My files", 1000, 1000)
    shot(driver, artefacts, "usage-05-full")

    # Full: even an empty file is refused, in words.
    empty = local_files / "empty.txt"
    empty.write_bytes(b"")
    upload_fails(driver, empty)
    wait_for("the full space in words", lambda: error_text(driver) == (
        "Could not upload empty.txt. This space is full: it holds 1.0 KB of its 1.0 KB quota." + TAIL))
    assert csp_violations(driver) == []
