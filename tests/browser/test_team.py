"""Team spaces on the web page (docs/teams.md, issue 19), in headless Chromium against the
local stack, like test_page.py. An operator puts users in a team as in AWS
(AdminUpdateUserAttributes of custom:team with the emulator's admin key; taken out with
AdminDeleteUserAttributes), fresh team names each run.

- test_team_members_share_a_space_and_others_see_no_switch: Alice and Carol in one team,
  Dave in none. Alice has the switch (My files, Team <name>), uploads into the team's
  space (the place, `#/team/files/`, survives a reload), copies a file from My files
  into the team's space and one back from the actions menu, moves two files into a new
  team folder through the folder picker's other space, deletes in the team's space with
  Undo, and restores from the team's trash. Carol signs in and sees and previews it all.
  Carol taken out of the team: after her next token the page is back in My files,
  saying why. Dave has no switch and no "Copy to Team" in his menus until he joins the
  team, which shows after his next token.
Screenshots: target/browser/team-*.png. No step may hit the Content-Security-Policy.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from helpers import (
    by_id, csp_violations, error_text, idp, labelled, listed, menu_action, new_user, open_page, row_action,
    shot, sign_in, signed_in_as, wait_for,
)
from test_page import clear_transfers, page, status_is, upload, wrapped_buttons  # noqa: F401 (page: the fixture)

pytestmark = pytest.mark.skipif(
    not os.environ.get("HOMEDIR_WEB_URL"), reason="run through tests/e2e.sh --local (HOMEDIR_WEB_URL)"
)


@pytest.fixture
def local_files() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="homedir-browser-team-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def set_team(email: str, team: str | None) -> None:
    """What an operator does: the user's custom:team set, or taken away."""
    pool = os.environ["USER_POOL_ID"]
    if team:
        idp().admin_update_user_attributes(
            UserPoolId=pool, Username=email, UserAttributes=[{"Name": "custom:team", "Value": team}])
    else:
        idp().admin_delete_user_attributes(UserPoolId=pool, Username=email, UserAttributeNames=["custom:team"])


def renew_token_soon(driver: WebDriver) -> None:
    """The page's ID token due for renewal, as it is every hour: the next request renews it."""
    driver.execute_script(
        "const s = JSON.parse(sessionStorage.getItem('homedir.session'));"
        " s.expiresAt = Date.now(); sessionStorage.setItem('homedir.session', JSON.stringify(s));")


def crumbs(driver: WebDriver) -> list[str]:
    return by_id(driver, "breadcrumbs").text.split("\n")


def in_space(driver: WebDriver, name: str, root: str) -> None:
    """Switches with the switch's button `name` and waits for the space's root `root`."""
    labelled(driver, name).click()
    wait_for(f"the space {root}", lambda: crumbs(driver) == [root]
             and by_id(driver, "listing").get_attribute("aria-busy") is None)


def switch_shown(driver: WebDriver) -> bool:
    return bool(by_id(driver, "spaces").is_displayed())


def menu_items(driver: WebDriver, name: str) -> list[str]:
    labelled(driver, f"More actions for {name}").click()
    wait_for("the actions menu", lambda: by_id(driver, "menu").is_displayed())
    items = [item.text for item in by_id(driver, "menu").find_elements(By.CSS_SELECTOR, "[role=menuitem]")]
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_for("the menu closed", lambda: not by_id(driver, "menu").is_displayed())
    return items


def sign_out(driver: WebDriver) -> None:
    labelled(driver, "Sign out").click()
    wait_for("the sign-in form", lambda: by_id(driver, "sign-in-view").is_displayed())


def test_team_members_share_a_space_and_others_see_no_switch(
    page: WebDriver, artefacts: Path, local_files: Path,
) -> None:
    driver = page
    team = f"acme-{uuid.uuid4().hex[:8]}"
    title = f"Team {team}"
    alice, alice_password = new_user("alice-team")
    carol, carol_password = new_user("carol-team")
    dave, dave_password = new_user("dave-team")
    set_team(alice, team)
    set_team(carol, team)
    notes = local_files / "notes.txt"
    notes.write_text("Alice's own notes\n")
    plan = local_files / "plan.txt"
    plan.write_text("The team's plan for Q3\n")
    base = os.environ["HOMEDIR_WEB_URL"]

    # -- 1. Alice, a member: the switch, My files first
    open_page(driver)
    sign_in(driver, alice, alice_password)
    signed_in_as(driver, alice)
    wait_for("the switch", lambda: switch_shown(driver))
    assert by_id(driver, "space-home").get_attribute("aria-pressed") == "true"
    assert by_id(driver, "space-team").text == title
    assert crumbs(driver) == ["Home"]
    upload(driver, notes)
    listed(driver, ["notes.txt"])
    clear_transfers(driver)
    shot(driver, artefacts, "team-01-my-files")

    # -- 2. the team's space: its own root, title and place; an upload lands there
    in_space(driver, title, title)
    assert driver.current_url == base + "#/team/files/"
    assert driver.title == f"{title} · homedir"
    assert by_id(driver, "space-team").get_attribute("aria-pressed") == "true"
    wait_for("an empty team space", lambda: by_id(driver, "empty").is_displayed())
    upload(driver, plan)
    listed(driver, ["plan.txt"])
    clear_transfers(driver)
    driver.refresh()
    wait_for("the team's space after a reload", lambda: by_id(driver, "files-view").is_displayed() and crumbs(driver) == [title])
    listed(driver, ["plan.txt"])
    shot(driver, artefacts, "team-02-team-space")

    # -- 3. from My files into the team's space, from the file's actions menu
    in_space(driver, "My files", "Home")
    listed(driver, ["notes.txt"])
    assert f"Copy to {title}…" in menu_items(driver, "notes.txt")
    menu_action(driver, "notes.txt", f"Copy to {title}…")
    wait_for("the picker in the team's space", lambda: by_id(driver, "picker").is_displayed()
             and by_id(driver, "picker-ok").text == f"Copy to {title}" and by_id(driver, "picker-ok").is_enabled())
    assert by_id(driver, "picker-space-team").get_attribute("aria-pressed") == "true"
    shot(driver, artefacts, "team-03-picker-in-the-team-space")
    by_id(driver, "picker-ok").click()
    status_is(driver, f"Copied notes.txt to {title}.")
    in_space(driver, title, title)
    listed(driver, ["notes.txt", "plan.txt"])

    # -- 4. and from the team's space back into My files
    menu_action(driver, "plan.txt", "Copy to My files…")
    wait_for("the picker in My files", lambda: by_id(driver, "picker").is_displayed()
             and by_id(driver, "picker-ok").text == "Copy to My files" and by_id(driver, "picker-ok").is_enabled())
    by_id(driver, "picker-ok").click()
    status_is(driver, "Copied plan.txt to My files.")
    in_space(driver, "My files", "Home")
    listed(driver, ["notes.txt", "plan.txt"])
    shot(driver, artefacts, "team-04-copied-both-ways")

    # -- 5. the bulk move's folder picker offers both spaces: both files into a new
    #       folder of the team's space
    by_id(driver, "select-all").click()
    labelled(driver, "Move selected to…").click()
    wait_for("the picker", lambda: by_id(driver, "picker").is_displayed() and by_id(driver, "picker-spaces").is_displayed())
    by_id(driver, "picker-space-team").click()
    wait_for("the team's space in the picker", lambda: by_id(driver, "picker-ok").text == f"Move to {title}")
    by_id(driver, "picker-new").click()
    wait_for("the folder name", lambda: by_id(driver, "prompt").is_displayed())
    by_id(driver, "prompt-input").send_keys("from alice\n")
    wait_for("into the new folder", lambda: by_id(driver, "picker-ok").text == f"Move to from alice in {title}")
    by_id(driver, "picker-ok").click()
    status_is(driver, f"Moved 2 items to from alice in {title}.")
    wait_for("My files empty", lambda: by_id(driver, "empty").is_displayed())
    in_space(driver, title, title)
    listed(driver, ["from alice/", "notes.txt", "plan.txt"])
    labelled(driver, "Open folder from alice").click()
    wait_for("the folder", lambda: crumbs(driver) == [title, "from alice"])
    listed(driver, ["notes.txt", "plan.txt"])
    assert driver.current_url == base + "#/team/files/from%20alice/"
    labelled(driver, f"{title} folder").click()
    wait_for("the team's root", lambda: crumbs(driver) == [title])

    # -- 6. delete in the team's space and Undo; the team's trash, and restore from it
    listed(driver, ["from alice/", "notes.txt", "plan.txt"])
    menu_action(driver, "notes.txt", "Delete")
    status_is(driver, "Deleted notes.txt.")
    labelled(driver, "Undo").click()
    status_is(driver, "Restored 1 file.")
    listed(driver, ["from alice/", "notes.txt", "plan.txt"])
    menu_action(driver, "plan.txt", "Delete")
    status_is(driver, "Deleted plan.txt.")
    labelled(driver, "Trash").click()
    wait_for("the team's trash", lambda: crumbs(driver) == [f"{title} trash"])
    listed(driver, ["plan.txt"], "the team's trash")
    assert driver.current_url == base + "#/team/trash/"
    shot(driver, artefacts, "team-05-team-trash")
    row_action(driver, "plan.txt", "Restore")
    status_is(driver, "Restored plan.txt.")
    labelled(driver, "Files").click()
    listed(driver, ["from alice/", "notes.txt", "plan.txt"])

    # -- 7. Carol, of the same team, sees it all and reads it
    sign_out(driver)
    sign_in(driver, carol, carol_password)
    signed_in_as(driver, carol)
    wait_for("Carol's switch", lambda: switch_shown(driver))
    assert crumbs(driver) == ["Home"], "signing out forgot the place"
    in_space(driver, title, title)
    listed(driver, ["from alice/", "notes.txt", "plan.txt"])
    labelled(driver, "Open plan.txt").click()
    wait_for("the text", lambda: driver.find_elements(By.CSS_SELECTOR, "#preview-body pre"))
    assert driver.find_element(By.CSS_SELECTOR, "#preview-body pre").text == "The team's plan for Q3"
    shot(driver, artefacts, "team-06-carol-reads-it")
    labelled(driver, "Close preview").click()
    wait_for("the preview closed", lambda: not by_id(driver, "preview").is_displayed())

    # -- 8. Carol taken out of the team: her next token has no team, and the page goes
    #       back to My files, saying why
    set_team(carol, None)
    renew_token_soon(driver)
    labelled(driver, "Refresh").click()
    wait_for("My files again", lambda: crumbs(driver) == ["Home"] and not switch_shown(driver))
    wait_for("why", lambda: "no longer belongs to a team" in error_text(driver))
    assert driver.current_url == base + "#/files/"
    shot(driver, artefacts, "team-07-taken-out-of-the-team")

    # -- 9. Dave, in no team: no switch, no copy to a team; once an operator puts him in
    #       the team, his next token shows it
    sign_out(driver)
    sign_in(driver, dave, dave_password)
    signed_in_as(driver, dave)
    mine = local_files / "dave.txt"
    mine.write_text("Dave's\n")
    upload(driver, mine)
    clear_transfers(driver)
    assert not switch_shown(driver)
    assert menu_items(driver, "dave.txt") == [
        "Preview", "Download", "Copy link…", "Rename…", "Move to…", "Copy to…", "Versions…", "Delete"]
    shot(driver, artefacts, "team-08-no-team")
    set_team(dave, team)
    renew_token_soon(driver)
    labelled(driver, "Refresh").click()
    wait_for("the switch after the next token", lambda: switch_shown(driver))
    assert by_id(driver, "space-team").text == title
    in_space(driver, title, title)
    listed(driver, ["from alice/", "notes.txt", "plan.txt"])
    shot(driver, artefacts, "team-09-joined")
    # A member's places at a phone's width: one row, nothing wider, no button wrapped.
    driver.set_window_size(390, 844)
    wait_for("the phone layout", lambda: driver.execute_script("return window.innerWidth") <= 390)
    assert switch_shown(driver)
    assert driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert wrapped_buttons(driver) == []
    places = "const n = document.querySelector('nav.places'); return n.scrollWidth - n.clientWidth"
    assert driver.execute_script(places) <= 0, "the four tabs fit, none scrolled out of sight"
    shot(driver, artefacts, "team-10-phone")
    assert csp_violations(driver) == []
