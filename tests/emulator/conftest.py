"""Fixtures: one emulator, provisioned once, for the whole emulator suite; and the S3
clients the S3 tests act through: alice's and bob's (their own issued credentials,
signing and presigning with SigV4) and the admin's. The users' clients are made once per
test module: issued credentials expire (--credentials-ttl, 90 s by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from harness import Emulator, Gateway, Stack, client, free_port, provision, start_emulator, start_gateway, user_s3


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    # Its Lambda runs functions on a homedir-gateway at a port chosen now (the gateway
    # fixture starts it there), as scripts/local-stack.sh --gateway-port does.
    running = start_emulator(tmp_path_factory.mktemp("emulator") / "state", free_port(), gateway_port=free_port())
    yield running
    running.stop()


@pytest.fixture(scope="session")
def provisioned(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return provision(emulator, tmp_path_factory.mktemp("stack") / "stack.env")


@pytest.fixture(scope="session")
def gateway(emulator: Emulator, provisioned: dict[str, str],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """homedir-gateway where the emulator's Lambda invokes functions. It serves the
    session stack's user pool functions (token-claims, the pre-token-generation trigger
    every sign-in to that pool runs, and user-changes, its CloudTrail rule's function),
    as scripts/local-stack.sh does, and test-recorder (gateway/src/bin/test-recorder.rs):
    every function a test's stack declares with Metadata.BuildProperties.Binary
    test-recorder runs here, recording the events it gets to RECORDER_LOG; an event
    containing RECORDER_FAIL_MARK fails. Async retries wait 0.2 s and 0.3 s instead of
    Lambda's 1 and 2 minutes."""
    directory = tmp_path_factory.mktemp("gateway")
    assert emulator.gateway_port is not None
    running = start_gateway(emulator.gateway_port, directory, {
        "AWS_ENDPOINT_URL": emulator.url, "AWS_REGION": "us-east-1",
        "RECORDER_LOG": str(directory / "recorded.jsonl"), "RECORDER_FAIL_MARK": "recorder-must-fail"},
        functions=("test-recorder", "token-claims", "user-changes"),
        config=Path(provisioned["FUNCTIONS_CONFIG"]))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def stack(provisioned: dict[str, str], gateway: Gateway) -> dict[str, str]:
    """The session stack (template.yaml deployed), its user pool's functions served."""
    return provisioned


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
