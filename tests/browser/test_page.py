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
- test_fifty_files_at_once: 20+ rows at 1280 × 800, sort, filter, checkboxes, shift-click
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
    open_page, row_action, row_of, shot, sign_in, signed_in_as, status_text, transfers, viewport, wait_for,
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
    by_id(driver, "close-versions").click()

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
    assert sha256(downloaded(downloads, "groceries.txt")) == sha256(newer), "the restored file has the bytes it had"
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
    menu_action(driver, "trips 2026", "Delete folder")
    listed(driver, ["groceries (1).txt", "groceries.txt", "holiday video.bin", "notes.txt"], "the folder gone")
    assert status_text(driver) == "Deleted folder trips 2026 (1 file)."

    # -- 12. a phone's width: nothing wider than the screen, no button on two lines
    driver.set_window_size(390, 844)
    wait_for("the phone layout", lambda: driver.execute_script("return window.innerWidth") <= 390)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a 390 px phone"
    assert labelled(driver, "Upload files…").is_displayed()
    wrapped = driver.execute_script(
        """return [...document.querySelectorAll('button')].filter(b => b.offsetParent && b.getClientRects().length)
             .filter(b => b.getBoundingClientRect().height > 44 || b.scrollWidth > b.clientWidth + 1)
             .map(b => b.getAttribute('aria-label') || b.textContent.trim())""")
    assert wrapped == [], f"buttons wrapped or cut at 390 px: {wrapped}"
    row = row_of(driver, "holiday video.bin").rect
    assert row["height"] <= 48, "one line per file"
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
                                 ("assets/files.js", "GET", 200)):
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
