"""On a failed step, the page as it was: a screenshot and its status and error lines,
next to the step screenshots (target/browser/)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    outcome = yield
    report = outcome.get_result()
    driver = getattr(item, "funcargs", {}).get("browser")
    artefacts = getattr(item, "funcargs", {}).get("artefacts")
    if report.when == "call" and report.failed and driver is not None and artefacts is not None:
        driver.save_screenshot(str(artefacts / "failed.png"))
        texts = driver.execute_script(
            "return ['status', 'error', 'rows'].map(id => id + ': ' + document.getElementById(id).innerText)")
        report.sections.append(("page when it failed", "\n".join(texts)))
