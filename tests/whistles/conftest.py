"""A transaction on a fresh migrated warehouse (SQLite and PostgreSQL) holding the warning tests' area
tree and a user of every role (``tests.orders.builders.users``)."""

from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import Connection

from cockpit.warehouse.db import engine_for
from tests.orders import builders as ob
from tests.warnings import builders as wb


@pytest.fixture
def conn(db_url: str) -> Iterator[Connection]:
    with engine_for(db_url).begin() as c:
        wb.area_tree(c)
        yield c


@pytest.fixture
def people(conn: Connection) -> dict:
    return ob.users(conn)
