"""Fixtures: one emulator, provisioned once, for the whole emulator suite; and the S3
clients the S3 tests act through: alice's and bob's (their own issued credentials,
signing and presigning with SigV4) and the admin's. The users' clients are made once per
test module: issued credentials expire (--credentials-ttl, 90 s by default)."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from harness import Emulator, Stack, client, free_port, provision, start_emulator, user_s3


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    running = start_emulator(tmp_path_factory.mktemp("emulator") / "state", free_port())
    yield running
    running.stop()


@pytest.fixture(scope="session")
def stack(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return provision(emulator, tmp_path_factory.mktemp("stack") / "stack.env")


@pytest.fixture(scope="module")
def alice(emulator: Emulator, stack: Stack) -> tuple[Any, str]:
    """Alice's S3 client and her home prefix."""
    return user_s3(emulator, stack, "alice@example.com", signature_version="s3v4")


@pytest.fixture(scope="module")
def bob(emulator: Emulator, stack: Stack) -> tuple[Any, str]:
    """Bob's S3 client and his home prefix."""
    return user_s3(emulator, stack, "bob@example.com", signature_version="s3v4")


@pytest.fixture(scope="module")
def admin(emulator: Emulator) -> Any:
    """An S3 client with the admin key: unrestricted."""
    return client(emulator, "s3")
