"""Give a local user a quota of their own, or take it away: `make quota`.

    python scripts/quota.py EMAIL BYTES    # custom:quota = BYTES (0: no quota at all)
    python scripts/quota.py EMAIL ""       # no override: the stack's QuotaBytes applies

Against the local stack `make dev` runs (settings and calls as in
scripts/user_attribute.py): AdminUpdateUserAttributes sets `custom:quota`,
AdminDeleteUserAttributes removes it.
Against a deployed stack, the same change is one AWS CLI command (docs/quotas.md).

BYTES is a whole number of bytes, what the functions read from the claim
(shared/src/usage/quota.rs): 0 to 18446744073709551615, digits only. The user's next ID
token carries it (the page and the CLI renew theirs within the hour; signing in again
shows it at once); the API applies it from that token on, and records it for the usage
function, which then judges the home by it (and the quota deny policies follow).
Errors go to stderr, exit 1; bad usage exits 2.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from user_attribute import UserAttribute, run  # noqa: E402

MAX_BYTES = 2**64 - 1  # a u64, as the functions parse the claim
USAGE = ("usage: make quota EMAIL=you@example.com BYTES=1073741824   "
         "(BYTES=0: no quota; BYTES= with nothing: the stack's default)")


def bytes_problem(text: str) -> str | None:
    """Why `text` is not a quota in bytes; None if it is one."""
    if re.fullmatch(r"[0-9]{1,20}", text) and int(text) <= MAX_BYTES:
        return None
    return (f"BYTES={text!r} is not a number of bytes: use a whole number from 0 (no quota) to {MAX_BYTES}, "
            "digits only (e.g. BYTES=1073741824 for 1 GiB)")


def human(size: int) -> str:
    """1073741824 -> '1 GiB', 1500 -> '1.5 KiB' (binary units, as homedir df prints them)."""
    value, unit = float(size), "bytes"
    for next_unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if value < 1024:
            break
        value, unit = value / 1024, next_unit
    if unit == "bytes":
        return f"{size} bytes"
    return f"{value:.1f}".rstrip("0").rstrip(".") + f" {unit}"


def described(text: str) -> str:
    size = int(text)
    return "no quota" if size == 0 else f"a quota of {size} bytes ({human(size)})"


def set_quota(email: str, size: str) -> str:
    """Make the change; the line to print."""
    attribute = UserAttribute("custom:quota", "docs/quotas.md")
    before = attribute.current(email)
    if size:
        size = str(int(size))  # no leading zeros in the attribute
        attribute.set(email, size)
        was = f" (was {described(before)})" if before is not None and before != size else ""
        return f"{email} has {described(size)}{was}; their next ID token carries it"
    if before is None:
        return f"{email} has the stack's default quota (QuotaBytes); nothing to change"
    attribute.remove(email)
    return (f"{email} has the stack's default quota (QuotaBytes) again (was {described(before)}); "
            "their next ID token carries it")


def main(argv: list[str]) -> int:
    return run("quota", USAGE, argv, bytes_problem, set_quota)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
