"""The web page's file manager in a real browser: headless Debian Chromium, driven by
selenium through /usr/bin/chromedriver, against the local stack (the emulator and the
functions behind homedir-gateway).

Run by tests/e2e.sh --local after the Rust suite, with
    HOMEDIR_WEB_URL   the page, e.g. http://127.0.0.1:PORT/lambda-url/web/
    AWS_ENDPOINT_URL  the emulator (users are created with its admin key)
    USER_POOL_ID      the stack's user pool
Screenshots of every step go to target/browser/ (HOMEDIR_BROWSER_ARTEFACTS).

- test_alice_manages_her_files_and_bob_sees_none: the old walk, kept whole and extended.
  A refused sign-in in words; a 12 MiB upload in parts straight to S3 (the emulator's
  call log) and a small one in one PUT, through the transfers panel; downloads with
  equal SHA-256 (the big one through a presigned link); rename; versions; the overwrite
  prompt (skip, keep both, replace); delete with Undo; the trash and restore; Tab and the
  actions menu by keyboard with focus rings; a folder that stays empty, uploads and a drop
  into it, a move out of it through the folder picker, its delete; a 390 px phone; Bob's
  empty home and trash.
- test_fifty_files_at_once: 20+ rows in a 1280 × 800 window (28 px rows on a touch screen), sort, filter, checkboxes, shift-click
  ranges, select all, bulk download, copy and move (conflicts asked), a paged listing,
  the bulk delete of 50 files in one progress view and its Undo.
- test_folders_search_and_restore: a whole folder uploaded, an empty folder that survives
  a reload until a file lands, search through subfolders (stoppable), a folder deleted and
  restored from the trash, the loading state (no stale rows).
- test_the_place_is_in_the_url: reload, Back and Forward keep folder, view and selection;
  `…/web` without its slash.
- test_previews_and_links: image, PDF, text previews from the bucket's origin; an HTML
  file never rendered; invisible characters shown; a link with its expiry.
- test_transfers_cancel_retry_and_messages: cancel and retry, a failed upload retried, a
  completion answered 202 asked again without sending the parts again, messages replacing
  each other.
No step may hit the Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from helpers import (
    by_id, csp_violations, emulator, error_text, idle, labelled, listed, menu_action, names_listed, new_user,
    open_page, row_action, row_of, shot, sign_in, signed_in_as, status_text, transfers, wait_for,
)
from media import pdf, png

MIB = 1024 * 1024

pytestmark = pytest.mark.skipif(
    not os.environ.get("HOMEDIR_WEB_URL"), reason="run through tests/e2e.sh --local (HOMEDIR_WEB_URL)"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def downloaded(directory: Path, name: str) -> Path:
    target = directory / name
    wait_for(f"the download of {name}", lambda: target.exists() and not list(directory.glob("*.crdownload")))
    return target


@pytest.fixture
def local_files() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="homedir-browser-files-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fresh_downloads(downloads: Path) -> Path:
    """The session's download folder, emptied: each test finds only its own files."""
    for old in downloads.iterdir():
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
    return downloads


@pytest.fixture
def page(browser: WebDriver) -> Iterator[WebDriver]:
    """The browser at the default size, the page's own preferences (sort, page size) reset."""
    browser.set_window_size(1280, 800)
    open_page(browser)
    browser.execute_script("localStorage.removeItem('homedir.sort'); localStorage.removeItem('homedir.pageSize')")
    yield browser
    browser.set_window_size(1280, 800)


def signed_in(driver: WebDriver, prefix: str) -> tuple[str, str]:
    email, password = new_user(prefix)
    open_page(driver)
    sign_in(driver, email, password)
    signed_in_as(driver, email)
    return email, password


def upload(driver: WebDriver, *paths: Path, done: int | None = None, input_id: str = "file-input") -> None:
    """Uploads through the file picker and waits for `done` finished transfers."""
    by_id(driver, input_id).send_keys("\n".join(str(p) for p in paths))
    expected = len(paths) if done is None else done
    wait_for(
        f"{expected} uploads to finish",
        lambda: len(transfers(driver, "done")) >= expected or transfers(driver, "failed"),
        timeout=120,
    )
    assert not transfers(driver, "failed"), by_id(driver, "transfers-list").text
    idle(driver)


def clear_transfers(driver: WebDriver) -> None:
    if by_id(driver, "transfers").is_displayed():
        labelled(driver, "Close transfers").click()
    wait_for("the transfers panel closed", lambda: not by_id(driver, "transfers").is_displayed())


def open_folder(driver: WebDriver, name: str) -> None:
    labelled(driver, f"Open folder {name}").click()
    wait_for(f"the folder {name}", lambda: by_id(driver, "breadcrumbs").text.split("\n")[-1] == name)
    idle(driver)


def home(driver: WebDriver) -> None:
    labelled(driver, "Home folder").click()
    wait_for("Home", lambda: by_id(driver, "breadcrumbs").text == "Home")
    idle(driver)


def s3_calls(operation: str | None = None) -> list[str]:
    calls = emulator("/_homedir/calls")["calls"]
    operations = [call["operation"] for call in calls if call["service"] == "s3"]
    return [op for op in operations if operation is None or op == operation]


def status_is(driver: WebDriver, text: str, timeout: float = 60) -> None:
    wait_for(f"the message {text!r}", lambda: status_text(driver) == text and not error_text(driver), timeout=timeout)


def answer_conflict(driver: WebDriver, title: str, choice: str, everywhere: bool = False) -> None:
    wait_for("the overwrite question", lambda: by_id(driver, "conflict").is_displayed())
    assert by_id(driver, "conflict-title").text == title
    if everywhere:
        by_id(driver, "conflict-all").click()
    labelled(driver, choice).click()
    wait_for("the question answered", lambda: not by_id(driver, "conflict").is_displayed())


def tab_through(driver: WebDriver, count: int) -> dict[str, str]:
    """Tabs from the top of the page: the accessible name of each control reached and its outline."""
    driver.find_element(By.TAG_NAME, "body").click()
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    reached: dict[str, str] = {}
    for _ in range(count):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        focused = driver.switch_to.active_element
        name = focused.accessible_name or focused.get_attribute("id")
        reached[name] = driver.execute_script(
            "const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth")
    return reached


def lifetime(seconds: int) -> str:
    """How the page says how long a link lives (ui.js lifetime)."""
    def count(n: int, one: str) -> str:
        return f"{n} {one if n == 1 else one + 's'}"
    if seconds >= 3600 and seconds % 3600 < 60:
        return count(round(seconds / 3600), "hour")
    if seconds >= 120:
        return count(round(seconds / 60), "minute")
    return count(seconds, "second")


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


# --------------------------------------------------------------------------- the walk


def test_alice_manages_her_files_and_bob_sees_none(
    page: WebDriver, artefacts: Path, fresh_downloads: Path, local_files: Path,
) -> None:
    driver = page
    downloads = fresh_downloads
    alice, alice_password = new_user("alice-web")
    bob, bob_password = new_user("bob-web")
    big = local_files / "holiday video.bin"
    big.write_bytes(os.urandom(12 * MIB))
    small = local_files / "notes.txt"
    small.write_text("Shopping: bread, milk, 42 eggs.\nÜmlauts and ✓ survive.\n", encoding="utf-8")

    # -- 1. the page, and a refused sign-in in words
    open_page(driver)
    assert driver.title == "homedir"
    shot(driver, artefacts, "01-sign-in")
    sign_in(driver, alice, "Wrong-password-1!")
    wait_for("the refusal", lambda: error_text(driver))
    assert error_text(driver) == "Wrong email or password."
    assert "{" not in error_text(driver)
    shot(driver, artefacts, "02-wrong-password")

    # -- 2. Alice signs in to an empty home
    sign_in(driver, alice, alice_password)
    signed_in_as(driver, alice)
    assert by_id(driver, "empty").is_displayed()
    assert by_id(driver, "empty").text.startswith("This folder is empty.")
    assert names_listed(driver) == []
    assert not error_text(driver)
    assert driver.current_url.endswith("#/files/"), driver.current_url
    shot(driver, artefacts, "03-empty-home")

    # -- 3. two uploads through the file picker: 12 MiB in parts straight to S3, a small
    #       one in one PUT through the API; both in the transfers panel with full bars
    emulator("/_homedir/calls/reset", "POST")
    upload(driver, big, small)
    bars = driver.find_elements(By.CSS_SELECTOR, "#transfers-list progress")
    assert len(bars) == 2
    for bar in bars:
        assert bar.get_attribute("value") == bar.get_attribute("max"), "each bar full"
        assert bar.get_attribute("aria-label").startswith("Uploading ")
    assert [n.text for n in driver.find_elements(By.CSS_SELECTOR, "#transfers-list .transfer-note")] == ["uploaded"] * 2
    listed(driver, ["holiday video.bin", "notes.txt"])
    operations = s3_calls()
    assert operations.count("CreateMultipartUpload") == 1, operations
    assert operations.count("UploadPart") == 2, "12 MiB in two 8 MiB parts, straight to S3"
    assert operations.count("CompleteMultipartUpload") == 1, operations
    assert operations.count("PutObject") == 1, "the small file in one PUT through the API"
    assert row_of(driver, "holiday video.bin").find_element(By.CSS_SELECTOR, ".num").text == "12.6 MB"
    assert status_text(driver) == "Uploaded 2 files."
    shot(driver, artefacts, "04-uploaded")
    # The panel clears what is finished.
    labelled(driver, "Clear finished").click()
    wait_for("the finished transfers cleared", lambda: not transfers(driver, "done"))
    clear_transfers(driver)

    # -- 4. downloads: the small one through the API, the big one through a presigned
    #       link the browser downloads itself; the bytes are the ones uploaded
    row_action(driver, "notes.txt", "Download")
    assert sha256(downloaded(downloads, "notes.txt")) == sha256(small)
    row_action(driver, "holiday video.bin", "Download")
    assert sha256(downloaded(downloads, "holiday video.bin")) == sha256(big)
    wait_for("both downloads listed as finished", lambda: len(transfers(driver, "done")) == 2)
    notes = [n.text for n in driver.find_elements(By.CSS_SELECTOR, "#transfers-list .transfer-note")]
    assert notes == ["downloaded", "handed to your browser's downloads"], notes
    assert not error_text(driver)
    clear_transfers(driver)

    # -- 5. rename from the actions menu (a dialog, keyboard only)
    menu_action(driver, "notes.txt", "Rename…")
    wait_for("the rename dialog", lambda: by_id(driver, "prompt").is_displayed())
    field = by_id(driver, "prompt-input")
    assert driver.switch_to.active_element == field, "the name field has the focus"
    assert field.get_attribute("value") == "notes.txt"
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("sub/x.txt", Keys.ENTER)
    wait_for("the refusal of a /", lambda: by_id(driver, "prompt-problem").is_displayed())
    assert "Move to" in by_id(driver, "prompt-problem").text, "a rename stays a rename"
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("groceries.txt", Keys.ENTER)
    listed(driver, ["groceries.txt", "holiday video.bin"])
    assert status_text(driver) == "Renamed notes.txt to groceries.txt."
    shot(driver, artefacts, "05-renamed")

    # -- 6. versions of the renamed file
    menu_action(driver, "groceries.txt", "Versions…")
    wait_for("the versions", lambda: by_id(driver, "versions-dialog").is_displayed()
             and len(driver.find_elements(By.CSS_SELECTOR, "#versions li")) == 1)
    assert by_id(driver, "versions-title").text == "Versions of groceries.txt"
    assert "current" in by_id(driver, "versions").text
    shot(driver, artefacts, "06-versions")
    by_id(driver, "close-versions").click()
    wait_for("the versions closed", lambda: not by_id(driver, "versions-dialog").is_displayed())

    # -- 7. never replace silently: the same name uploaded again asks, and each answer
    #       does what it says
    newer = local_files / "again" / "groceries.txt"
    newer.parent.mkdir()
    newer.write_text("A newer list: apples.\n", encoding="utf-8")
    by_id(driver, "file-input").send_keys(str(newer))
    wait_for("the overwrite question", lambda: by_id(driver, "conflict").is_displayed())
    assert by_id(driver, "conflict-title").text == "groceries.txt already exists"
    assert "Home already has a file named groceries.txt" in by_id(driver, "conflict-text").text
    assert not by_id(driver, "conflict-all-row").is_displayed(), "one conflict: nothing to repeat"
    shot(driver, artefacts, "06b-overwrite-question")
    labelled(driver, "Skip").click()
    status_is(driver, "Uploaded 0 files; skipped 1 existing name.")
    assert row_of(driver, "groceries.txt").find_element(By.CSS_SELECTOR, ".num").text == f"{small.stat().st_size} bytes", "kept"
    by_id(driver, "file-input").send_keys(str(newer))
    answer_conflict(driver, "groceries.txt already exists", "Keep both")
    listed(driver, ["groceries (1).txt", "groceries.txt", "holiday video.bin"])
    assert status_text(driver) == "Uploaded 1 file."
    by_id(driver, "file-input").send_keys(str(newer))
    answer_conflict(driver, "groceries.txt already exists", "Replace")
    wait_for("the replaced size", lambda: row_of(driver, "groceries.txt").find_element(By.CSS_SELECTOR, ".num").text == "22 bytes")
    status_is(driver, "Uploaded 1 file.")
    clear_transfers(driver)
    menu_action(driver, "groceries.txt", "Versions…")
    wait_for("two versions, the old one kept", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#versions li")) == 2)
    # The older one becomes current again, as a third version.
    older = driver.find_elements(By.CSS_SELECTOR, "#versions li")[1]
    older.find_element(By.XPATH, ".//button[.//text()='Restore']").click()
    wait_for("three versions", lambda: len(driver.find_elements(By.CSS_SELECTOR, "#versions li")) == 3)
    assert status_text(driver).startswith("Restored the version of ")
    by_id(driver, "close-versions").click()
    wait_for("the old size back", lambda: row_of(driver, "groceries.txt").find_element(By.CSS_SELECTOR, ".num").text
             == f"{small.stat().st_size} bytes")

    # -- 8. delete acts at once and offers Undo, which brings the file back
    menu_action(driver, "groceries.txt", "Delete")
    listed(driver, ["groceries (1).txt", "holiday video.bin"], "the file gone at once")
    assert status_text(driver) == "Deleted groceries.txt."
    assert labelled(driver, "Undo").is_displayed()
    shot(driver, artefacts, "07a-deleted-with-undo")
    labelled(driver, "Undo").click()
    listed(driver, ["groceries (1).txt", "groceries.txt", "holiday video.bin"], "the file back")
    status_is(driver, "Restored 1 file.")
    assert not by_id(driver, "undo").is_displayed()

    # -- 9. delete, then restore from the trash
    menu_action(driver, "groceries.txt", "Delete")
    listed(driver, ["groceries (1).txt", "holiday video.bin"])
    labelled(driver, "Trash").click()
    # The rename moved notes.txt away: its old name is in the trash too.
    listed(driver, ["groceries.txt", "notes.txt"], "the trash")
    assert by_id(driver, "files-title").get_attribute("textContent") == "Trash"
    assert by_id(driver, "show-trash").get_attribute("aria-pressed") == "true"
    shot(driver, artefacts, "07-trash")
    row_action(driver, "groceries.txt", "Restore")
    listed(driver, ["notes.txt"], "the restored file out of the trash")
    assert status_text(driver) == "Restored groceries.txt."
    labelled(driver, "Files").click()
    listed(driver, ["groceries (1).txt", "groceries.txt", "holiday video.bin"], "the restored file back")
    row_action(driver, "groceries.txt", "Download")
    assert sha256(downloaded(downloads, "groceries.txt")) == sha256(small), "the restored file has the bytes it had"
    shot(driver, artefacts, "08-restored")
    clear_transfers(driver)

    # -- 10. keyboard: Tab reaches every main control and each row's, each with a focus
    #        ring; the actions menu opens, moves and closes by keyboard
    reached = tab_through(driver, 45)
    for control in (
        "Transfers", "Sign out", "Files", "Trash", "Upload files…", "Upload folder…", "New folder…", "Filter by name",
        "Search subfolders", "Refresh", "Select all", "Name", "Size", "Modified", "Select groceries.txt",
        "Open groceries.txt", "Download groceries.txt", "Copy link to groceries.txt", "More actions for groceries.txt",
    ):
        assert control in reached, f"{control} is reachable with Tab: {sorted(reached)}"
        assert not reached[control].startswith("none"), f"{control} shows where the focus is: {reached[control]}"
    more = labelled(driver, "More actions for groceries.txt")
    more.send_keys(Keys.ENTER)
    wait_for("the menu, its first item focused", lambda: driver.switch_to.active_element.text == "Preview")
    assert more.get_attribute("aria-expanded") == "true"
    items = [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#menu [role=menuitem]")]
    assert items == ["Preview", "Download", "Copy link…", "Rename…", "Move to…", "Copy to…", "Versions…", "Delete"], items
    for _ in range(3):
        ActionChains(driver).send_keys(Keys.ARROW_DOWN).perform()
    assert driver.switch_to.active_element.text == "Rename…"
    outline = driver.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the menu item shows where the focus is"
    shot(driver, artefacts, "08a-menu-by-keyboard")
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait_for("the menu closed", lambda: not by_id(driver, "menu").is_displayed())
    assert driver.switch_to.active_element == more, "the focus goes back to the menu's button"

    # -- 11. a folder: it stays while empty, takes an upload and a drop, a file moves out
    #        of it through the folder picker, and it is deleted whole
    labelled(driver, "New folder…").click()
    wait_for("the folder dialog", lambda: by_id(driver, "prompt").is_displayed())
    by_id(driver, "prompt-input").send_keys("trips 2026", Keys.ENTER)
    wait_for("the new folder", lambda: "trips 2026/" in names_listed(driver))
    assert row_of(driver, "trips 2026").find_element(By.CSS_SELECTOR, ".tag").text == "empty"
    assert status_text(driver).startswith("Created folder trips 2026.")
    open_folder(driver, "trips 2026")
    assert by_id(driver, "breadcrumbs").text.replace("\n", " ") == "Home trips 2026"
    upload(driver, small)
    listed(driver, ["notes.txt"], "the upload into the folder")
    # Drag-and-drop: WebDriver cannot drag a file from the desktop, so the test fires the
    # events the browser fires for one (a DataTransfer holding a File) on the drop zone.
    driver.execute_script(
        """
        const data = new DataTransfer();
        data.items.add(new File([arguments[0]], "dropped.txt", { type: "text/plain" }));
        const zone = document.getElementById("drop-zone");
        for (const type of ["dragenter", "dragover", "drop"]) {
          zone.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
        }
        """,
        "dropped on the page\n",
    )
    listed(driver, ["dropped.txt", "notes.txt"], "the dropped file")
    shot(driver, artefacts, "08b-dropped")
    clear_transfers(driver)
    menu_action(driver, "notes.txt", "Move to…")
    wait_for("the folder picker", lambda: by_id(driver, "picker").is_displayed())
    assert by_id(driver, "picker-title").text == "Move notes.txt to…"
    wait_for("the picker in this folder", lambda: by_id(driver, "picker-ok").text == "Move to trips 2026")
    assert not by_id(driver, "picker-ok").is_enabled(), "it is already here"
    by_id(driver, "picker").find_element(By.CSS_SELECTOR, "button[aria-label='Home folder']").click()
    wait_for("Home in the picker", lambda: by_id(driver, "picker-ok").text == "Move to Home")
    wait_for("the folders at Home", lambda: "trips 2026" in by_id(driver, "picker-folders").text)
    shot(driver, artefacts, "08c-folder-picker")
    by_id(driver, "picker-ok").click()
    listed(driver, ["dropped.txt"], "the file moved out of the folder")
    assert status_text(driver) == "Moved notes.txt to Home."
    home(driver)
    listed(driver, ["groceries (1).txt", "groceries.txt", "holiday video.bin", "notes.txt", "trips 2026/"])
    assert not row_of(driver, "trips 2026").find_elements(By.CSS_SELECTOR, ".tag"), "a file landed: no longer empty"
    # docs/web.png: Alice's home, one file selected, the pointer on another (its quick actions).
    select_box = labelled(driver, "Select notes.txt")
    select_box.click()
    ActionChains(driver).move_to_element(row_of(driver, "holiday video.bin")).perform()
    shot(driver, artefacts, "08d-home")
    labelled(driver, "Clear selection").click()
    menu_action(driver, "trips 2026", "Delete folder")
    listed(driver, ["groceries (1).txt", "groceries.txt", "holiday video.bin", "notes.txt"], "the folder gone")
    assert status_text(driver) == "Deleted folder trips 2026 (1 file)."

    # -- 12. a phone's width: nothing wider than the screen, no button on two lines
    driver.set_window_size(390, 844)
    wait_for("the phone layout", lambda: driver.execute_script("return window.innerWidth") <= 390)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a 390 px phone"
    assert labelled(driver, "Upload files…").is_displayed()
    assert wrapped_buttons(driver) == [], "no button wraps or is cut at 390 px"
    row = row_of(driver, "holiday video.bin").rect
    assert 40 <= row["height"] <= 48, "one line per file, tall enough for a finger"
    assert labelled(driver, "More actions for holiday video.bin").is_displayed()
    shot(driver, artefacts, "09-phone")
    driver.set_window_size(1280, 800)

    # -- 13. Bob signs in: an empty home and an empty trash
    labelled(driver, "Sign out").click()
    wait_for("the sign-in form", lambda: by_id(driver, "sign-in-view").is_displayed())
    assert driver.execute_script("return sessionStorage.length") == 0, "signing out forgets the tokens"
    assert "#" not in driver.current_url, "and the place"
    sign_in(driver, bob, bob_password)
    signed_in_as(driver, bob)
    assert names_listed(driver) == []
    assert by_id(driver, "empty").is_displayed()
    labelled(driver, "Trash").click()
    wait_for("Bob's trash", lambda: by_id(driver, "empty").text == "The trash is empty.")
    assert names_listed(driver) == []
    shot(driver, artefacts, "10-bob-empty")

    assert csp_violations(driver) == [], "the page never hits its Content-Security-Policy"


def wrapped_buttons(driver: WebDriver) -> list[str]:
    """The visible buttons whose label wraps onto a second line or is cut."""
    return driver.execute_script(
        """return [...document.querySelectorAll('button')].filter(b => b.offsetParent && b.getClientRects().length)
             .filter(b => b.getBoundingClientRect().height > 44 || b.scrollWidth > b.clientWidth + 1)
             .map(b => b.getAttribute('aria-label') || b.textContent.trim())""")


def rows_in_view(driver: WebDriver) -> int:
    """Rows of the listing wholly visible without scrolling."""
    return driver.execute_script(
        """const box = document.getElementById('table-wrap').getBoundingClientRect();
           const bottom = Math.min(box.bottom, innerHeight);
           return [...document.querySelectorAll('#rows tr')].filter(r => {
             const b = r.getBoundingClientRect(); return b.top >= box.top && b.bottom <= bottom; }).length""")


def select(driver: WebDriver, name: str, shift: bool = False) -> None:
    box = labelled(driver, f"Select {name}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
    if shift:
        ActionChains(driver).key_down(Keys.SHIFT).click(box).key_up(Keys.SHIFT).perform()
    else:
        box.click()


def selected(driver: WebDriver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#rows tr.selected')].map(r => r.dataset.name)")


def url_selection(driver: WebDriver) -> list[str]:
    fragment = urllib.parse.urlsplit(driver.current_url).fragment
    return urllib.parse.parse_qs(fragment.partition("?")[2]).get("select", [])


def pick_folder(driver: WebDriver, *path: str, ok: str) -> None:
    """In the open folder picker: from where it opened, into each folder of `path`, then `ok`."""
    wait_for("the folder picker", lambda: by_id(driver, "picker").is_displayed())
    for name in path:
        wait_for(f"{name} in the picker", lambda: by_id(driver, "picker").find_elements(
            By.CSS_SELECTOR, f"button[aria-label='Open folder {name}']"))
        by_id(driver, "picker").find_element(By.CSS_SELECTOR, f"button[aria-label='Open folder {name}']").click()
    wait_for(f"the picker's {ok!r}", lambda: by_id(driver, "picker-ok").text == ok and by_id(driver, "picker-ok").is_enabled())
    by_id(driver, "picker-ok").click()
    wait_for("the picker closed", lambda: not by_id(driver, "picker").is_displayed())


def test_fifty_files_at_once(
    page: WebDriver, artefacts: Path, fresh_downloads: Path, local_files: Path, faults: Callable[..., None],
) -> None:
    driver = page
    signed_in(driver, "fifty")
    names = [f"report-{i:02}.txt" for i in range(1, 51)]
    for i, name in enumerate(names, 1):
        (local_files / name).write_text("r" * (i * 7))
    upload(driver, *(local_files / name for name in names))
    listed(driver, names)
    assert status_text(driver) == "Uploaded 50 files."
    clear_transfers(driver)

    # -- density: in a 1280 × 800 window (its viewport is about 657 px high: the window's
    #    own frame takes the rest), at least 20 files on screen, each on one 24 px line
    driver.set_window_size(1280, 800)
    height = driver.execute_script("return innerHeight")
    assert height < 800, "a window, not a viewport, of 1280 × 800"
    rows = rows_in_view(driver)
    (artefacts / "rows-in-a-1280x800-window.txt").write_text(f"{rows} rows in a 1280 × 800 window ({height} px viewport)\n")
    assert rows >= 20, f"{rows} rows visible in a 1280 × 800 window ({height} px viewport)"
    assert {row.rect["height"] for row in driver.find_elements(By.CSS_SELECTOR, "#rows tr")} == {24}
    shot(driver, artefacts, "11-fifty-files")
    # A touch screen (pointer: coarse) keeps rows a finger can hit.
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    try:
        wait_for("a touch screen", lambda: driver.execute_script("return matchMedia('(pointer: coarse)').matches"))
        assert {row.rect["height"] for row in driver.find_elements(By.CSS_SELECTOR, "#rows tr")} == {28}
        shot(driver, artefacts, "11b-fifty-files-touch")
    finally:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
    wait_for("the mouse again", lambda: not driver.execute_script("return matchMedia('(pointer: coarse)').matches"))

    # -- sort by name, size and modified; folders first whatever the order
    labelled(driver, "New folder…").click()
    by_id(driver, "prompt-input").send_keys("archive", Keys.ENTER)
    wait_for("the folder", lambda: "archive/" in names_listed(driver))
    assert names_listed(driver)[:2] == ["archive/", "report-01.txt"]
    labelled(driver, "Size").click()
    wait_for("largest first", lambda: names_listed(driver)[:3] == ["archive/", "report-50.txt", "report-49.txt"])
    assert by_id(driver, "sort-size").find_element(By.XPATH, "..").get_attribute("aria-sort") == "descending"
    labelled(driver, "Size").click()
    wait_for("smallest first", lambda: names_listed(driver)[:3] == ["archive/", "report-01.txt", "report-02.txt"])
    labelled(driver, "Name").click()
    wait_for("names in order", lambda: names_listed(driver)[:2] == ["archive/", "report-01.txt"])
    labelled(driver, "Name").click()
    wait_for("names backwards", lambda: names_listed(driver)[:2] == ["archive/", "report-50.txt"])
    assert by_id(driver, "sort-name").find_element(By.XPATH, "..").get_attribute("aria-sort") == "descending"
    labelled(driver, "Modified").click()
    assert by_id(driver, "sort-modified").find_element(By.XPATH, "..").get_attribute("aria-sort") == "descending"
    labelled(driver, "Name").click()

    # -- filter the folder by name
    by_id(driver, "filter").send_keys("report-4")
    wait_for("the filtered rows", lambda: names_listed(driver) == [f"report-4{i}.txt" for i in range(10)])
    by_id(driver, "filter").send_keys(Keys.ESCAPE)
    wait_for("every row again", lambda: len(names_listed(driver)) == 51)

    # -- checkboxes and a shift-click range; the selection is in the URL
    select(driver, "report-01.txt")
    select(driver, "report-05.txt", shift=True)
    assert selected(driver) == [f"report-0{i}.txt" for i in range(1, 6)]
    assert by_id(driver, "selection-count").text == "5 selected"
    assert sorted(url_selection(driver)) == [f"report-0{i}.txt" for i in range(1, 6)]
    assert not by_id(driver, "upload").is_displayed(), "the selection's actions take the toolbar"
    shot(driver, artefacts, "12-selected-range")

    # -- bulk download of three
    select(driver, "report-04.txt")
    select(driver, "report-05.txt")
    labelled(driver, "Download selected").click()
    for name in names[:3]:
        assert downloaded(fresh_downloads, name).read_text() == "r" * (names.index(name) + 1) * 7
    clear_transfers(driver)

    # -- a paged listing: 20 at a time, then more, then all
    driver.execute_script("localStorage.setItem('homedir.pageSize', '20')")
    labelled(driver, "Refresh").click()
    wait_for("the first page", lambda: len(names_listed(driver)) <= 22 and by_id(driver, "load-more").is_displayed())
    first = len(names_listed(driver))
    assert by_id(driver, "more-text").text.startswith("Showing the first ")
    labelled(driver, "Load more").click()
    wait_for("the second page", lambda: len(names_listed(driver)) > first and not busy_listing(driver))
    labelled(driver, "Load all").click()
    wait_for("every page", lambda: len(names_listed(driver)) == 51 and not by_id(driver, "more-bar").is_displayed())
    driver.execute_script("localStorage.removeItem('homedir.pageSize')")

    # -- select all, less the folder, and delete the 50 files: one progress view, then Undo
    by_id(driver, "select-all").click()
    assert by_id(driver, "selection-count").text == "51 selected"
    select(driver, "archive")
    assert by_id(driver, "selection-count").text == "50 selected"
    assert by_id(driver, "select-all").get_attribute("indeterminate") == "true"
    faults("DeleteObject", "delay", delay_secs=0.3, times=50)
    emulator("/_homedir/calls/reset", "POST")
    labelled(driver, "Delete selected").click()
    wait_for("the progress view", lambda: by_id(driver, "progress").is_displayed())
    assert by_id(driver, "progress-text").text.startswith("Deleting 50 items:")
    assert by_id(driver, "progress-stop").is_displayed()
    shot(driver, artefacts, "13-bulk-delete-progress")
    status_is(driver, "Deleted 50 files.", timeout=90)
    listed(driver, ["archive/"])
    assert len(s3_calls("DeleteObject")) == 50
    assert labelled(driver, "Undo").is_displayed()
    shot(driver, artefacts, "14-bulk-deleted")
    labelled(driver, "Undo").click()
    status_is(driver, "Restored 50 files.", timeout=120)
    listed(driver, ["archive/", *names])

    # -- bulk copy into a folder through the picker
    select(driver, "report-01.txt")
    select(driver, "report-05.txt", shift=True)
    labelled(driver, "Copy selected to…").click()
    assert by_id(driver, "picker-title").text == "Copy 5 items to…"
    pick_folder(driver, "archive", ok="Copy to archive")
    status_is(driver, "Copied 5 items to archive.")
    assert not row_of(driver, "archive").find_elements(By.CSS_SELECTOR, ".tag"), "files landed in it"

    # -- bulk move of three into it: the names exist there, so it asks; Keep both for all
    assert len(selected(driver)) == 5, "a copy keeps the selection"
    labelled(driver, "Clear selection").click()
    wait_for("nothing selected", lambda: selected(driver) == [] and by_id(driver, "upload").is_displayed())
    select(driver, "report-03.txt")
    select(driver, "report-01.txt", shift=True)
    assert sorted(selected(driver)) == ["report-01.txt", "report-02.txt", "report-03.txt"]
    labelled(driver, "Move selected to…").click()
    pick_folder(driver, "archive", ok="Move to archive")
    wait_for("the question", lambda: by_id(driver, "conflict").is_displayed())
    assert by_id(driver, "conflict-all-label").text == "Do the same for any other conflicts"
    answer_conflict(driver, by_id(driver, "conflict-title").text, "Keep both", everywhere=True)
    status_is(driver, "Moved 3 items to archive.")
    listed(driver, ["archive/", *names[3:]])
    open_folder(driver, "archive")
    listed(driver, [*names[:5], "report-01 (1).txt", "report-02 (1).txt", "report-03 (1).txt"])
    shot(driver, artefacts, "15-moved-with-keep-both")

    # -- the selection's actions at a phone's width: icons, one line, nothing wider
    driver.set_window_size(390, 844)
    wait_for("the phone layout", lambda: driver.execute_script("return window.innerWidth") <= 390)
    select(driver, "report-04.txt")
    select(driver, "report-05.txt")
    assert by_id(driver, "selection-count").text == "2 selected"
    assert labelled(driver, "Move selected to…").is_displayed()
    assert driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert wrapped_buttons(driver) == []
    shot(driver, artefacts, "15b-phone-selection")
    assert csp_violations(driver) == []


def busy_listing(driver: WebDriver) -> bool:
    return by_id(driver, "listing").get_attribute("aria-busy") == "true"


def test_folders_search_and_restore(
    page: WebDriver, artefacts: Path, local_files: Path, faults: Callable[..., None],
) -> None:
    driver = page
    signed_in(driver, "folders")

    # -- a whole folder through the folder picker: its files keep their paths
    album = local_files / "album"
    (album / "sub" / "deeper").mkdir(parents=True)
    (album / "a.txt").write_text("a")
    (album / "sub" / "b.txt").write_text("bb")
    (album / "sub" / "deeper" / "c.txt").write_text("ccc")
    upload(driver, album, done=3, input_id="folder-input")
    listed(driver, ["album/"])
    assert status_text(driver) == "Uploaded 3 files."
    names = sorted(n.text for n in driver.find_elements(By.CSS_SELECTOR, "#transfers-list .transfer-name"))
    assert names == ["album/a.txt", "album/sub/b.txt", "album/sub/deeper/c.txt"], names
    clear_transfers(driver)
    open_folder(driver, "album")
    listed(driver, ["a.txt", "sub/"])
    shot(driver, artefacts, "16-folder-uploaded")
    home(driver)

    # -- a folder dropped on the page: its tree walked (an empty folder in it kept).
    #    WebDriver cannot drag a folder from the desktop, and a DataTransfer made in a
    #    script holds no folders, so the drop event carries the entries a browser hands
    #    over for one (FileSystemDirectoryEntry's createReader/readEntries, file()).
    driver.execute_script(
        """
        const file = (path, text) => ({ isFile: true, isDirectory: false, fullPath: path,
          file: (ok) => ok(new File([text], path.split('/').pop(), { type: 'text/plain' })) });
        const folder = (path, children) => ({ isFile: false, isDirectory: true, fullPath: path,
          createReader: () => { let given = false;
            return { readEntries: (ok) => { ok(given ? [] : children); given = true; } }; } });
        const tree = folder('/dropped album', [
          file('/dropped album/one.txt', 'one'),
          folder('/dropped album/inner', [file('/dropped album/inner/two.txt', 'two')]),
          folder('/dropped album/nothing here', []),
        ]);
        const data = { types: ['Files'], files: [], items: [{ kind: 'file', webkitGetAsEntry: () => tree }] };
        const zone = document.getElementById('drop-zone');
        for (const type of ['dragover', 'drop']) {
          const event = new Event(type, { bubbles: true, cancelable: true });
          Object.defineProperty(event, 'dataTransfer', { value: data });
          zone.dispatchEvent(event);
        }
        """)
    wait_for("the dropped folder's two files", lambda: len(transfers(driver, "done")) == 2)
    listed(driver, ["album/", "dropped album/"])
    open_folder(driver, "dropped album")
    listed(driver, ["inner/", "nothing here/", "one.txt"])
    assert row_of(driver, "nothing here").find_element(By.CSS_SELECTOR, ".tag").text == "empty"
    open_folder(driver, "inner")
    listed(driver, ["two.txt"])
    home(driver)
    records = "return Object.keys(localStorage).filter(k => k.startsWith('homedir.folders.')).map(k => localStorage.getItem(k))"
    assert driver.execute_script(records) == ['["dropped album/nothing here/"]']
    # A folder's delete, undone: exactly its files come back, and its empty folder.
    menu_action(driver, "dropped album", "Delete folder")
    status_is(driver, "Deleted folder dropped album (2 files).")
    listed(driver, ["album/"])
    assert driver.execute_script(records) == [], "deleting a folder forgets the empty folders recorded in it"
    labelled(driver, "Undo").click()
    status_is(driver, "Restored folder dropped album (2 files).")
    listed(driver, ["album/", "dropped album/"])
    assert driver.execute_script(records) == ['["dropped album/nothing here/"]']
    clear_transfers(driver)

    # -- a new folder stays while empty, across a reload, until a file lands in it
    labelled(driver, "New folder…").click()
    by_id(driver, "prompt-input").send_keys("empty one", Keys.ENTER)
    listed(driver, ["album/", "dropped album/", "empty one/"])
    driver.refresh()
    wait_for("the page again", lambda: by_id(driver, "files-view").is_displayed())
    listed(driver, ["album/", "dropped album/", "empty one/"], "the empty folder after a reload")
    assert row_of(driver, "empty one").find_element(By.CSS_SELECTOR, ".tag").text == "empty"
    stored = driver.execute_script(
        "return Object.keys(localStorage).filter(k => k.startsWith('homedir.folders.')).map(k => localStorage.getItem(k))")
    assert stored == ['["dropped album/nothing here/","empty one/"]'], stored
    open_folder(driver, "empty one")
    assert by_id(driver, "empty").text.startswith("This folder is empty.")
    first = local_files / "first.txt"
    first.write_text("the first file\n")
    upload(driver, first)
    listed(driver, ["first.txt"])
    home(driver)
    assert not row_of(driver, "empty one").find_elements(By.CSS_SELECTOR, ".tag")
    stored = driver.execute_script(
        "return Object.keys(localStorage).filter(k => k.startsWith('homedir.folders.')).map(k => localStorage.getItem(k))")
    assert stored == ['["dropped album/nothing here/"]'], "the record goes once the folder exists in the bucket"
    clear_transfers(driver)

    # -- find: the filter looks in this folder; Search subfolders goes through the tree
    by_id(driver, "filter").send_keys("c.txt")
    wait_for("nothing here", lambda: names_listed(driver) == [] and by_id(driver, "empty").is_displayed())
    assert "tick Search subfolders" in by_id(driver, "empty").text
    by_id(driver, "deep").click()
    wait_for("the match in a subfolder", lambda: names_listed(driver) == ["album/sub/deeper/c.txt"]
             and by_id(driver, "search-text").text.startswith("Searched"))
    assert by_id(driver, "search-text").text == "Searched: 6 files in Home and its subfolders, 1 match."
    assert "in album/sub/deeper" in row_of(driver, "album/sub/deeper/c.txt").text
    shot(driver, artefacts, "17-search-subfolders")
    # A slow, long search shows that it is searching and can be stopped.
    driver.execute_script("localStorage.setItem('homedir.pageSize', '1')")
    faults("ListObjectsV2", "delay", delay_secs=1.0, times=6)
    by_id(driver, "filter").send_keys(Keys.BACKSPACE)
    wait_for("searching", lambda: by_id(driver, "search-text").text.startswith("Searching subfolders…"))
    assert by_id(driver, "search-stop").is_displayed()
    shot(driver, artefacts, "18-searching")
    by_id(driver, "search-stop").click()
    wait_for("the search stopped", lambda: by_id(driver, "search-text").text.startswith("Search stopped:"))
    emulator("/_homedir/faults/reset", "POST")
    driver.execute_script("localStorage.removeItem('homedir.pageSize')")
    by_id(driver, "deep").click()
    by_id(driver, "filter").send_keys(Keys.ESCAPE)
    listed(driver, ["album/", "dropped album/", "empty one/"])

    # -- delete a folder whole; the trash shows it as a folder; restore it whole
    menu_action(driver, "album", "Delete folder")
    status_is(driver, "Deleted folder album (3 files).")
    listed(driver, ["dropped album/", "empty one/"])
    labelled(driver, "Trash").click()
    listed(driver, ["album/"], "the trash, by folder")
    assert row_of(driver, "album").find_element(By.CSS_SELECTOR, ".num").text == "3 files"
    open_folder(driver, "album")
    listed(driver, ["a.txt", "sub/"], "inside the deleted folder")
    labelled(driver, "Top of the trash").click()
    listed(driver, ["album/"])
    shot(driver, artefacts, "19-trash-folder")
    row_action(driver, "album", "Restore folder")
    status_is(driver, "Restored folder album (3 files).")
    wait_for("the trash empty", lambda: by_id(driver, "empty").text == "The trash is empty.")
    labelled(driver, "Files").click()
    listed(driver, ["album/", "dropped album/", "empty one/"])
    open_folder(driver, "album")
    open_folder(driver, "sub")
    listed(driver, ["b.txt", "deeper/"])
    shot(driver, artefacts, "20-folder-restored")
    home(driver)

    # -- a view that waits says so, and never shows the last view's rows meanwhile
    faults("ListObjectVersions", "delay", delay_secs=2.0, times=1)
    labelled(driver, "Trash").click()
    wait_for("the loading sign", lambda: by_id(driver, "loading").is_displayed())
    assert names_listed(driver) == [], "no rows of Home under the trash's title"
    assert by_id(driver, "loading").text.startswith("Loading")
    assert by_id(driver, "listing").get_attribute("aria-busy") == "true"
    shot(driver, artefacts, "21-loading")
    wait_for("the trash", lambda: by_id(driver, "empty").text == "The trash is empty.")
    assert not by_id(driver, "loading").is_displayed()
    assert csp_violations(driver) == []


def test_the_place_is_in_the_url(page: WebDriver, artefacts: Path, local_files: Path) -> None:
    driver = page
    signed_in(driver, "place")
    tree = local_files / "a" / "b c"
    tree.mkdir(parents=True)
    (tree / "file.txt").write_text("deep")
    (local_files / "a" / "top.txt").write_text("top")
    upload(driver, local_files / "a", done=2, input_id="folder-input")
    clear_transfers(driver)
    base = os.environ["HOMEDIR_WEB_URL"]

    open_folder(driver, "a")
    assert driver.current_url == base + "#/files/a/"
    open_folder(driver, "b c")
    assert driver.current_url == base + "#/files/a/b%20c/"
    driver.refresh()
    wait_for("the folder after a reload", lambda: by_id(driver, "breadcrumbs").text.split("\n") == ["Home", "a", "b c"])
    listed(driver, ["file.txt"])
    shot(driver, artefacts, "22-reloaded-in-place")

    select(driver, "file.txt")
    assert driver.current_url == base + "#/files/a/b%20c/?select=file.txt"
    driver.refresh()
    wait_for("the selection after a reload", lambda: selected(driver) == ["file.txt"])
    assert by_id(driver, "selection-count").text == "1 selected"

    driver.back()
    wait_for("Back: the folder above", lambda: by_id(driver, "breadcrumbs").text.split("\n") == ["Home", "a"])
    listed(driver, ["b c/", "top.txt"])
    driver.back()
    wait_for("Back: Home", lambda: by_id(driver, "breadcrumbs").text == "Home")
    listed(driver, ["a/"])
    driver.forward()
    wait_for("Forward: a", lambda: by_id(driver, "breadcrumbs").text.split("\n") == ["Home", "a"])
    driver.forward()
    wait_for("Forward: a/b c, selection kept", lambda: selected(driver) == ["file.txt"])

    labelled(driver, "Trash").click()
    wait_for("the trash of this folder", lambda: driver.current_url == base + "#/trash/a/b%20c/")
    driver.refresh()
    wait_for("the trash after a reload", lambda: by_id(driver, "show-trash").get_attribute("aria-pressed") == "true"
             and by_id(driver, "breadcrumbs").text.split("\n") == ["Trash", "a", "b c"])
    driver.back()
    wait_for("Back: the files again", lambda: by_id(driver, "show-files").get_attribute("aria-pressed") == "true")
    listed(driver, ["file.txt"])

    # …/web without its slash: sent to …/web/, the place kept
    driver.get(base.rstrip("/") + "#/files/a/")
    wait_for("the page at …/web/", lambda: driver.current_url == base + "#/files/a/")
    wait_for("the folder", lambda: by_id(driver, "files-view").is_displayed()
             and by_id(driver, "breadcrumbs").text.split("\n") == ["Home", "a"])
    listed(driver, ["b c/", "top.txt"])
    shot(driver, artefacts, "23-web-without-slash")

    # A folder's rename moves everything under it.
    home(driver)
    menu_action(driver, "a", "Rename…")
    field = by_id(driver, "prompt-input")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("renamed a", Keys.ENTER)
    status_is(driver, "Renamed a to renamed a.")
    listed(driver, ["renamed a/"])
    open_folder(driver, "renamed a")
    listed(driver, ["b c/", "top.txt"])
    open_folder(driver, "b c")
    listed(driver, ["file.txt"])
    assert csp_violations(driver) == []


def test_previews_and_links(page: WebDriver, artefacts: Path, fresh_downloads: Path, local_files: Path) -> None:
    driver = page
    signed_in(driver, "previews")
    s3 = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    (local_files / "picture.png").write_bytes(png())
    (local_files / "paper.pdf").write_bytes(pdf())
    (local_files / "notes.txt").write_text("Plain text, shown as text.\n<b>not bold</b>\n")
    (local_files / "page.html").write_text("<h1>hi</h1><script>document.title = 'pwned'</script>\n")
    (local_files / "zero\u200bwidth.txt").write_text("z")
    (local_files / " padded.txt").write_text("p")
    upload(driver, *sorted(local_files.iterdir()))
    clear_transfers(driver)
    # A name with a text-direction control would show as something it is not: not sent,
    # and the last message says so (the API would refuse it too).
    tricky = local_files / "tricky"
    tricky.mkdir()
    (tricky / "invoice\u202etxt.exe").write_text("x")
    (tricky / "fine.txt").write_text("fine")
    upload(driver, *sorted(tricky.iterdir()), done=1)
    wait_for("the refusal", lambda: error_text(driver).startswith("Uploaded 1 file; not uploaded: invoice⟨U+202E⟩txt.exe (A name cannot"))
    assert "invoice\u202etxt.exe" not in names_listed(driver)
    assert "fine.txt" in names_listed(driver)
    clear_transfers(driver)

    # -- names: invisible characters and padding made visible
    zero = row_of(driver, "zero\u200bwidth.txt")
    assert zero.find_element(By.CSS_SELECTOR, ".file-name").text == "zero⟨U+200B⟩width.txt"
    assert zero.find_element(By.CSS_SELECTOR, ".invisible-char").get_attribute("title") == "U+200B"
    assert row_of(driver, " padded.txt").find_element(By.CSS_SELECTOR, ".file-name").text == "⟨space⟩padded.txt"
    assert labelled(driver, "Open zero⟨U+200B⟩width.txt").is_displayed()

    # -- an image, from the bucket's origin
    labelled(driver, "Open picture.png").click()
    wait_for("the image", lambda: driver.execute_script(
        "const i = document.querySelector('#preview-body img'); return i && i.complete && i.naturalWidth"))
    image = driver.find_element(By.CSS_SELECTOR, "#preview-body img")
    assert image.get_attribute("naturalWidth") == "96"
    assert image.get_attribute("src").startswith(s3 + "/"), "a presigned link, not the page's origin"
    assert image.get_attribute("alt") == "picture.png"
    assert by_id(driver, "preview-title").text == "picture.png"
    shot(driver, artefacts, "24-preview-image")

    # -- a PDF, in a frame of the bucket's origin, shown inline (not downloaded)
    ActionChains(driver).send_keys(Keys.ARROW_LEFT).perform()
    wait_for("the PDF", lambda: by_id(driver, "preview-title").text == "paper.pdf"
             and driver.find_elements(By.CSS_SELECTOR, "#preview-body iframe"))
    frame = driver.find_element(By.CSS_SELECTOR, "#preview-body iframe")
    assert frame.get_attribute("src").startswith(s3 + "/")
    assert frame.get_attribute("title") == "PDF: paper.pdf"
    status, headers, body = fetch(frame.get_attribute("src"))
    assert status == 200 and body.startswith(b"%PDF-")
    assert headers["content-type"] == "application/pdf"
    assert "attachment" not in headers.get("content-disposition", "")
    time.sleep(1.5)
    shot(driver, artefacts, "25-preview-pdf")
    assert not list(fresh_downloads.iterdir()), "previewing downloads nothing"

    # -- plain text: read through the API and shown as text
    ActionChains(driver).send_keys(Keys.ARROW_LEFT).perform()
    wait_for("the HTML as text", lambda: by_id(driver, "preview-title").text == "page.html"
             and driver.find_elements(By.CSS_SELECTOR, "#preview-body pre"))
    assert "<script>document.title = 'pwned'</script>" in driver.find_element(By.CSS_SELECTOR, "#preview-body pre").text
    assert driver.title != "pwned" and not driver.find_elements(By.CSS_SELECTOR, "#preview-body h1"), "never run as a page"
    shot(driver, artefacts, "26-preview-html-as-text")
    ActionChains(driver).send_keys(Keys.ARROW_LEFT).perform()
    wait_for("the text", lambda: by_id(driver, "preview-title").text == "notes.txt"
             and driver.find_elements(By.CSS_SELECTOR, "#preview-body pre"))
    assert driver.find_element(By.CSS_SELECTOR, "#preview-body pre").text == "Plain text, shown as text.\n<b>not bold</b>"
    labelled(driver, "Close preview").click()
    wait_for("the preview closed", lambda: not by_id(driver, "preview").is_displayed())

    # -- a link to share, with its expiry; an active type stays an attachment
    row_action(driver, "notes.txt", "Copy link to")
    wait_for("the share dialog", lambda: by_id(driver, "share").is_displayed())
    assert by_id(driver, "share-title").text == "Share notes.txt"
    from selenium.webdriver.support.select import Select
    Select(by_id(driver, "share-expiry")).select_by_visible_text("5 minutes")
    labelled(driver, "Create and copy link").click()
    wait_for("the link", lambda: by_id(driver, "share-url").get_attribute("value"))
    url = by_id(driver, "share-url").get_attribute("value")
    assert url.startswith(s3 + "/")
    # The life asked for (5 minutes), or less: never beyond the signing credentials'
    # (the API's rule); the page says what the link really has.
    signed_for = int(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Expires"][0])
    assert 1 <= signed_for <= 300
    said = by_id(driver, "share-expires").text
    assert any(f"({lifetime(signed_for - late)} from now)" in said for late in range(-2, 4)), (signed_for, said)
    assert said.split(". ", 1)[-1].startswith("This link works until ")
    assert any(f"it works for {lifetime(signed_for - late)}" in status_text(driver) for late in range(-2, 4))
    assert fetch(url)[2] == (local_files / "notes.txt").read_bytes()
    shot(driver, artefacts, "27-share-link")
    labelled(driver, "Close").click()
    row_action(driver, "page.html", "Copy link to")
    labelled(driver, "Create and copy link").click()
    wait_for("the link", lambda: by_id(driver, "share-url").get_attribute("value"))
    status, headers, _ = fetch(by_id(driver, "share-url").get_attribute("value"))
    assert status == 200
    assert headers["content-type"] == "application/octet-stream"
    assert headers["content-disposition"].startswith("attachment")
    labelled(driver, "Close").click()
    assert csp_violations(driver) == []


def test_transfers_cancel_retry_and_messages(
    page: WebDriver, artefacts: Path, fresh_downloads: Path, local_files: Path, faults: Callable[..., None],
) -> None:
    driver = page
    signed_in(driver, "transfers")
    big = local_files / "big.bin"
    big.write_bytes(os.urandom(12 * MIB))
    small = local_files / "small.txt"
    small.write_text("small\n")

    # -- Cancel: the upload stops and nothing of it stays; Retry starts it again
    faults("UploadPart", "delay", delay_secs=4.0, times=2)
    emulator("/_homedir/calls/reset", "POST")
    by_id(driver, "file-input").send_keys(str(big))
    wait_for("the upload running", lambda: transfers(driver, "running"))
    assert labelled(driver, "Transfers, 1 running").is_displayed()
    shot(driver, artefacts, "28-uploading")
    labelled(driver, "Cancel the upload of big.bin").click()
    wait_for("the upload cancelled", lambda: transfers(driver, "cancelled"))
    assert driver.find_element(By.CSS_SELECTOR, "#transfers-list .transfer-note").text == "cancelled"
    wait_for("the upload aborted at S3", lambda: s3_calls("AbortMultipartUpload"))
    idle(driver)
    assert names_listed(driver) == []
    labelled(driver, "Retry big.bin").click()
    wait_for("the retried upload", lambda: transfers(driver, "done"), timeout=120)
    listed(driver, ["big.bin"])

    # -- a failed upload says so, in words, and Retry sends it again
    faults("PutObject", "error", times=20)
    by_id(driver, "file-input").send_keys(str(small))
    wait_for("the failure", lambda: transfers(driver, "failed"), timeout=90)
    wait_for("the error message", lambda: error_text(driver) == "Could not upload small.txt: see Transfers to retry.")
    note = driver.find_element(By.CSS_SELECTOR, "#transfers-list li.failed .transfer-note").text
    assert note in ("The service is unavailable right now. Try again in a moment.", "Something went wrong on the server."), note
    assert labelled(driver, "Transfers, 1 failed").is_displayed()
    shot(driver, artefacts, "29-upload-failed")
    emulator("/_homedir/faults/reset", "POST")
    labelled(driver, "Retry small.txt").click()
    wait_for("the retry done", lambda: len(transfers(driver, "done")) == 2 and not transfers(driver, "failed"))
    listed(driver, ["big.bin", "small.txt"])

    # -- each message replaces the last: a success clears the error
    assert error_text(driver)
    labelled(driver, "Refresh").click()
    status_is(driver, "Refreshed.")
    assert not by_id(driver, "error").is_displayed()
    clear_transfers(driver)

    # -- a completion S3 is slow to finish is answered 202: the page asks again with the
    #    same parts and never sends the parts twice
    faults("CompleteMultipartUpload", "delay", delay_secs=12.0, times=1)
    emulator("/_homedir/calls/reset", "POST")
    again = local_files / "again.bin"
    again.write_bytes(os.urandom(12 * MIB))
    by_id(driver, "file-input").send_keys(str(again))
    wait_for("the page told to ask again", lambda: "asking again in 5 s" in by_id(driver, "transfers-list").text, timeout=60)
    shot(driver, artefacts, "29b-completion-asked-again")
    wait_for("the slow completion", lambda: transfers(driver, "done"), timeout=90)
    assert len(s3_calls("UploadPart")) == 2, "the parts went once"
    assert len(s3_calls("CompleteMultipartUpload")) >= 2, "the completion was asked again"
    listed(driver, ["again.bin", "big.bin", "small.txt"])
    row_action(driver, "again.bin", "Download")
    assert sha256(downloaded(fresh_downloads, "again.bin")) == sha256(again)
    shot(driver, artefacts, "30-transfers")
    assert csp_violations(driver) == []


def test_the_page_is_served_with_a_strict_policy() -> None:
    """What the browser gets: the headers that make it strict, a 404, a 405, and the
    page's address without its slash sent to the page."""
    page = os.environ["HOMEDIR_WEB_URL"]
    with urllib.request.urlopen(page, timeout=10) as response:
        headers = {k.lower(): v for k, v in response.headers.items()}
        html = response.read().decode()
    csp = headers["content-security-policy"]
    s3 = os.environ["AWS_ENDPOINT_URL"].rstrip("/")
    for part in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", s3,
                 f"img-src 'self' data: {s3}", f"media-src {s3}", f"frame-src {s3}"):
        assert part in csp, (part, csp)
    assert "unsafe" not in csp and "object-src" not in csp, csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["etag"]
    config = json.loads(html.split('id="homedir-config">', 1)[1].split("</script>", 1)[0])
    assert config["apiBase"] == "/lambda-url"
    assert config["clientId"] == os.environ["USER_POOL_CLIENT_ID"]
    for path, method, status in (("nope", "GET", 404), ("", "POST", 405), ("assets/app.js", "GET", 200),
                                 ("assets/files.js", "GET", 200), ("assets/files/state.js", "GET", 200)):
        request = urllib.request.Request(page + path, method=method, data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == status, (path, method)
        except urllib.error.HTTPError as error:
            assert error.code == status, (path, method)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    bare = page.rstrip("/")
    try:
        urllib.request.build_opener(NoRedirect).open(bare + "?x=1", timeout=10)
        raise AssertionError("…/web answered without sending the browser to …/web/")
    except urllib.error.HTTPError as error:
        assert error.code == 308, error.code
        assert error.headers["Location"] == urllib.parse.urlsplit(page).path + "?x=1"
