"""Local AWS emulator for homedir: moto in server mode plus a few corrections.

    python tests/emulator/homedir_emulator.py --port P [--host 127.0.0.1]
        [--state-dir DIR] [--saved-state FILE] [--home-prefix home] [--home-bucket NAME]...
        [--credentials-ttl 90]

--credentials-ttl defaults to env HOMEDIR_EMULATOR_CREDENTIALS_TTL, else 90 seconds.
--saved-state FILE (make dev) loads FILE at start if it exists and saves to it on a
clean stop; without it every start is fresh.
Prints "ready http://HOST:PORT" once it answers; stops cleanly on SIGTERM/SIGINT.

This file is only the command line's entry point (scripts/local-stack.sh,
tests/emulator/harness.py and tests/src/emulator.rs start it by this path). The emulator
is the package homedir_aws next to it: its docstring lists each correction and the
module that makes it, and tests/emulator/README.md the AWS page behind each behaviour.
"""

from __future__ import annotations

import sys

from homedir_aws.app import main

if __name__ == "__main__":
    sys.exit(main())
