"""Put a local user in a team, or take them out of theirs: `make team`.

    python scripts/team.py EMAIL TEAM     # custom:team = TEAM
    python scripts/team.py EMAIL ""       # no team

Against the local stack `make dev` runs (settings and calls as in
scripts/user_attribute.py): AdminUpdateUserAttributes sets `custom:team`,
AdminDeleteUserAttributes removes it (an empty value is not a team: the attribute is
1-63 characters). Against a deployed
stack, the same change is one AWS CLI command (docs/teams.md).

A team name is 1-63 lowercase letters, digits and '-', starting with a letter or a
digit: what the API accepts as a team (shared/src/auth/team.rs). The user sees the
change with their next ID token (the page and the CLI renew theirs within the hour;
signing in again shows it at once). Errors go to stderr, exit 1; bad usage exits 2.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from user_attribute import UserAttribute, run  # noqa: E402

TEAM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
USAGE = "usage: make team EMAIL=you@example.com TEAM=name   (TEAM= with nothing takes the user out of their team)"


def team_problem(team: str) -> str | None:
    """Why `team` is not a team name; None if it is one."""
    if TEAM_NAME.fullmatch(team):
        return None
    return (f"TEAM={team!r} is not a team name: use 1-63 lowercase letters, digits and '-', "
            "starting with a letter or a digit (e.g. TEAM=acme or TEAM=web-2)")


def set_team(email: str, team: str) -> str:
    """Make the change; the line to print."""
    attribute = UserAttribute("custom:team", "docs/teams.md")
    before = attribute.current(email)
    if team:
        attribute.set(email, team)
        was = f" (was {before})" if before and before != team else ""
        return f"{email} is in team {team}{was}; their next ID token carries it"
    if before is None:
        return f"{email} is in no team; nothing to change"
    attribute.remove(email)
    return (f"{email} is no longer in team {before}; their current ID token reaches the team's space "
            "until it expires (within the hour)")


def main(argv: list[str]) -> int:
    return run("team", USAGE, argv, team_problem, set_team)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
