from datetime import date
from pathlib import Path

import pytest

from cockpit.demo import generate

TODAY = date(2026, 11, 26)
SEED = 20261126


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "sources"
    generate(out, scale="tiny", seed=SEED, now=TODAY)
    return out
