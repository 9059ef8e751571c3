"""The browser tests' fixtures: one headless Chromium for the session (driven through
chromedriver), the screenshot directory (target/browser/, emptied once per run) and a
download directory. On a failed step, the page as it was: a screenshot and its status
and error lines, next to the step screenshots."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import ROOT  # noqa: E402

CHROMIUM = os.environ.get("HOMEDIR_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HOMEDIR_CHROMEDRIVER", "/usr/bin/chromedriver")


@pytest.fixture(scope="session")
def artefacts() -> Path:
    path = Path(os.environ.get("HOMEDIR_BROWSER_ARTEFACTS", ROOT / "target" / "browser"))
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.png"):
        old.unlink()
    return path


@pytest.fixture(scope="session")
def downloads() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="homedir-browser-downloads-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(downloads: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="homedir-browser-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--window-size=1280,800", f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
        # Bulk downloads save one file after another: allowed once, as a person would.
        "profile.default_content_setting_values.automatic_downloads": 1,
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def faults() -> Iterator[Any]:
    """Emulator faults for one test (delays, errors), all reset when it ends."""
    from helpers import emulator

    def inject(operation: str, kind: str, **more: Any) -> None:
        emulator("/_homedir/faults", "POST", {"operation": operation, "kind": kind, **more})

    try:
        yield inject
    finally:
        emulator("/_homedir/faults/reset", "POST")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    outcome = yield
    report = outcome.get_result()
    driver = getattr(item, "funcargs", {}).get("browser")
    artefacts = getattr(item, "funcargs", {}).get("artefacts")
    if report.when == "call" and report.failed and driver is not None and artefacts is not None:
        driver.save_screenshot(str(artefacts / f"failed-{item.name}.png"))
        texts = driver.execute_script(
            "return ['status', 'error', 'rows'].map(id => id + ': ' + document.getElementById(id).innerText)")
        report.sections.append(("page when it failed", "\n".join(texts)))
