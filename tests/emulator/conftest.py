"""Fixtures: one emulator, provisioned once, for the whole emulator suite."""

from __future__ import annotations

from typing import Iterator

import pytest

from harness import Emulator, free_port, provision, start_emulator


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    running = start_emulator(tmp_path_factory.mktemp("emulator") / "state", free_port())
    yield running
    running.stop()


@pytest.fixture(scope="session")
def stack(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return provision(emulator, tmp_path_factory.mktemp("stack") / "stack.env")
