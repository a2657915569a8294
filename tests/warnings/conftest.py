"""A transaction on a fresh migrated warehouse (SQLite and PostgreSQL) holding the builders' area tree."""

from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import Connection

from cockpit.warehouse.db import engine_for
from tests.warnings import builders as b


@pytest.fixture
def conn(db_url: str) -> Iterator[Connection]:
    with engine_for(db_url).begin() as c:
        b.area_tree(c)
        yield c
