"""The web page in a real browser: headless Debian Chromium, driven by selenium through
/usr/bin/chromedriver, against the local stack (the emulator and cargo lambda watch).

Run by tests/e2e.sh --local after the Rust suite, with
    HOMEDIR_WEB_URL   the page, e.g. http://127.0.0.1:PORT/lambda-url/web/
    AWS_ENDPOINT_URL  the emulator (users are created with its admin key)
    USER_POOL_ID      the stack's user pool
Screenshots of every step go to target/browser/ (HOMEDIR_BROWSER_ARTEFACTS).

Alice signs in (a wrong password first: words, not JSON), uploads a 12 MiB file (a
multipart upload: the emulator's call log must show UploadPart) and a small one, sees
both, downloads both and compares their SHA-256, renames the small one, deletes it,
restores it from the trash, opens its versions, makes a folder, uploads into it, walks
the breadcrumbs and deletes the folder whole; the main controls are reached with Tab
and show a focus ring; the page fits a 390 px phone; Bob then signs in and sees an empty
home. No step may hit the Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from helpers import (
    by_id, csp_violations, emulator, error_text, labelled, names_listed, new_user, open_page, shot, sign_in,
    signed_in_as, status_text, wait_for,
)

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


# --------------------------------------------------------------------------- the scenario


def test_alice_manages_her_files_and_bob_sees_none(browser: WebDriver, artefacts: Path, downloads: Path) -> None:
    driver = browser
    alice, alice_password = new_user("alice-web")
    bob, bob_password = new_user("bob-web")
    files = Path(tempfile.mkdtemp(prefix="homedir-browser-files-"))
    big = files / "holiday video.bin"
    big.write_bytes(os.urandom(12 * MIB))
    small = files / "notes.txt"
    small.write_text("Shopping: bread, milk, 42 eggs.\nÜmlauts and ✓ survive.\n", encoding="utf-8")

    # -- 1. the page, and a refused sign-in in words
    open_page(driver)
    wait_for("the sign-in form", lambda: by_id(driver, "sign-in-view").is_displayed())
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
    assert names_listed(driver) == []
    assert not error_text(driver)
    shot(driver, artefacts, "03-empty-home")

    # -- 3. two uploads through the file picker: 12 MiB in parts, a small one in one PUT
    emulator("/_homedir/calls/reset", "POST")
    by_id(driver, "file-input").send_keys(f"{big}\n{small}")
    wait_for(
        "both uploads to finish",
        lambda: len(driver.find_elements(By.CSS_SELECTOR, "#uploads li.done")) == 2
        or driver.find_elements(By.CSS_SELECTOR, "#uploads li.failed"),
        timeout=120,
    )
    assert not driver.find_elements(By.CSS_SELECTOR, "#uploads li.failed"), by_id(driver, "uploads").text
    progress = driver.find_elements(By.CSS_SELECTOR, "#uploads progress")
    assert len(progress) == 2
    for bar in progress:
        assert bar.get_attribute("value") == bar.get_attribute("max"), "each bar full"
        assert bar.get_attribute("aria-label").startswith("Uploading ")
    wait_for("both files listed", lambda: sorted(names_listed(driver)) == ["holiday video.bin", "notes.txt"])
    calls = emulator("/_homedir/calls")["calls"]
    operations = [call["operation"] for call in calls if call["service"] == "s3"]
    assert operations.count("CreateMultipartUpload") == 1, operations
    assert operations.count("UploadPart") == 2, "12 MiB in two 8 MiB parts, straight to S3"
    assert operations.count("CompleteMultipartUpload") == 1, operations
    assert operations.count("PutObject") == 1, "the small file in one PUT through the API"
    row = {tr.find_element(By.CSS_SELECTOR, "th").text: tr for tr in driver.find_elements(By.CSS_SELECTOR, "#rows tr")}
    assert row["holiday video.bin"].find_element(By.CSS_SELECTOR, ".num").text == "12.6 MB"
    assert status_text(driver) == "Uploaded 2 files."
    shot(driver, artefacts, "04-uploaded")

    # -- 4. downloads: the small one through the API into a blob, the big one through a
    #       presigned link; the bytes are the ones uploaded
    labelled(driver, "Download notes.txt").click()
    assert sha256(downloaded(downloads, "notes.txt")) == sha256(small)
    labelled(driver, "Download holiday video.bin").click()
    assert sha256(downloaded(downloads, "holiday video.bin")) == sha256(big)
    assert not error_text(driver)

    # -- 5. rename (a dialog, keyboard only)
    labelled(driver, "Rename notes.txt").click()
    wait_for("the rename dialog", lambda: by_id(driver, "prompt").is_displayed())
    field = by_id(driver, "prompt-input")
    assert driver.switch_to.active_element == field, "the name field has the focus"
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys("groceries.txt", Keys.ENTER)
    wait_for("the new name", lambda: sorted(names_listed(driver)) == ["groceries.txt", "holiday video.bin"])
    assert status_text(driver) == "Renamed notes.txt to groceries.txt."
    shot(driver, artefacts, "05-renamed")

    # -- 6. versions of the renamed file
    labelled(driver, "Versions of groceries.txt").click()
    wait_for("the versions panel", lambda: by_id(driver, "versions-panel").is_displayed())
    assert by_id(driver, "versions-title").text == "Versions of groceries.txt"
    assert len(driver.find_elements(By.CSS_SELECTOR, "#versions li")) == 1
    assert "current" in by_id(driver, "versions").text
    shot(driver, artefacts, "06-versions")
    by_id(driver, "close-versions").click()

    # -- 7. delete, then restore from the trash
    labelled(driver, "Delete groceries.txt").click()
    wait_for("the file gone", lambda: names_listed(driver) == ["holiday video.bin"])
    labelled(driver, "Trash").click()
    wait_for("the trash", lambda: "groceries.txt" in names_listed(driver))
    assert by_id(driver, "files-title").text == "Trash"
    # The rename moved notes.txt away: its old name is in the trash too.
    assert sorted(names_listed(driver)) == ["groceries.txt", "notes.txt"]
    shot(driver, artefacts, "07-trash")
    labelled(driver, "Restore groceries.txt").click()
    wait_for("the restored file out of the trash", lambda: names_listed(driver) == ["notes.txt"])
    labelled(driver, "Files").click()
    wait_for("the restored file back", lambda: sorted(names_listed(driver)) == ["groceries.txt", "holiday video.bin"])
    labelled(driver, "Download groceries.txt").click()
    restored = downloaded(downloads, "groceries.txt")
    assert sha256(restored) == sha256(small), "the restored file has the original bytes"
    shot(driver, artefacts, "08-restored")

    # -- 8. keyboard: Tab reaches every main control, and each shows a focus ring
    driver.find_element(By.TAG_NAME, "body").click()
    driver.execute_script("document.activeElement.blur(); window.scrollTo(0, 0)")
    reached: dict[str, str] = {}
    for _ in range(40):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        focused = driver.switch_to.active_element
        name = focused.get_attribute("aria-label") or focused.text or focused.get_attribute("id")
        reached[name] = driver.execute_script(
            "const s = getComputedStyle(document.activeElement); return s.outlineStyle + ' ' + s.outlineWidth")
    for control in (
        "Sign out", "Files", "Trash", "Upload files…", "New folder…", "Refresh",
        "Download groceries.txt", "Rename groceries.txt", "Versions of groceries.txt", "Delete groceries.txt",
    ):
        assert control in reached, f"{control} is reachable with Tab: {sorted(reached)}"
        assert not reached[control].startswith("none"), f"{control} shows where the focus is: {reached[control]}"

    # -- 9. a folder: create it, upload into it, breadcrumbs back home, delete it whole
    labelled(driver, "New folder…").click()
    wait_for("the folder dialog", lambda: by_id(driver, "prompt").is_displayed())
    by_id(driver, "prompt-input").send_keys("trips 2026", Keys.ENTER)
    wait_for("the new folder's breadcrumb", lambda: by_id(driver, "breadcrumbs").text.replace("\n", " ") == "Home trips 2026")
    by_id(driver, "file-input").send_keys(str(small))
    wait_for("the upload into the folder", lambda: names_listed(driver) == ["notes.txt"])
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
    wait_for("the dropped file listed", lambda: sorted(names_listed(driver)) == ["dropped.txt", "notes.txt"])
    shot(driver, artefacts, "08b-dropped")
    labelled(driver, "Home folder").click()
    wait_for("the folder at home", lambda: "trips 2026/" in names_listed(driver))
    labelled(driver, "Open folder trips 2026").click()
    wait_for("the folder's files", lambda: sorted(names_listed(driver)) == ["dropped.txt", "notes.txt"])
    labelled(driver, "Home folder").click()
    wait_for("home again", lambda: "trips 2026/" in names_listed(driver))
    labelled(driver, "Delete folder trips 2026").click()
    wait_for("the confirmation", lambda: by_id(driver, "prompt").is_displayed())
    assert by_id(driver, "prompt-title").text == "Delete folder trips 2026?"
    by_id(driver, "prompt-ok").click()
    wait_for("the folder gone", lambda: sorted(names_listed(driver)) == ["groceries.txt", "holiday video.bin"])
    assert status_text(driver) == "Deleted folder trips 2026 (2 files)."

    # -- 10. a phone's width: nothing wider than the screen
    driver.set_window_size(390, 844)
    wait_for("the phone layout", lambda: driver.execute_script("return window.innerWidth") <= 390)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a 390 px phone"
    assert labelled(driver, "Upload files…").is_displayed()
    shot(driver, artefacts, "09-phone")
    driver.set_window_size(1100, 760)

    # -- 11. Bob signs in: an empty home
    labelled(driver, "Sign out").click()
    wait_for("the sign-in form", lambda: by_id(driver, "sign-in-view").is_displayed())
    assert driver.execute_script("return sessionStorage.length") == 0, "signing out forgets the tokens"
    sign_in(driver, bob, bob_password)
    signed_in_as(driver, bob)
    assert names_listed(driver) == []
    assert by_id(driver, "empty").is_displayed()
    labelled(driver, "Trash").click()
    wait_for("Bob's trash", lambda: by_id(driver, "empty").text == "The trash is empty.")
    assert names_listed(driver) == []
    shot(driver, artefacts, "10-bob-empty")

    assert csp_violations(driver) == [], "the page never hits its Content-Security-Policy"
    shutil.rmtree(files, ignore_errors=True)


def test_the_page_is_served_with_a_strict_policy() -> None:
    """What the browser gets: the headers that make it strict, a 404 and a 405."""
    page = os.environ["HOMEDIR_WEB_URL"]
    with urllib.request.urlopen(page, timeout=10) as response:
        headers = {k.lower(): v for k, v in response.headers.items()}
        html = response.read().decode()
    csp = headers["content-security-policy"]
    for part in ("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'",
                 os.environ["AWS_ENDPOINT_URL"].rstrip("/")):
        assert part in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["etag"]
    config = json.loads(html.split('id="homedir-config">', 1)[1].split("</script>", 1)[0])
    assert config["apiBase"] == "/lambda-url"
    assert config["clientId"] == os.environ["USER_POOL_CLIENT_ID"]
    for path, method, status in (("nope", "GET", 404), ("", "POST", 405), ("assets/app.js", "GET", 200)):
        request = urllib.request.Request(page + path, method=method, data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == status, (path, method)
        except urllib.error.HTTPError as error:
            assert error.code == status, (path, method)
