"""The warehouse's data version: one number that moves whenever data the screens show has changed.

The read side caches query results under it (``queries._base``). It moves once a change is complete:
at the end of an ETL pass, after its after-load hooks (aggregate refresh, warning rules) have
finished, so a screen rendered between a run's end and the refresh is cached under the old version
and read again afterwards; and in the transaction of any change the cockpit itself makes to what the
screens show (warnings, work orders …: call ``bump_data_version`` last in that transaction, it holds
the row's lock until the commit).
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from cockpit import clock
from cockpit.warehouse.schema import data_version

ROW = 1  # the table's only row


def bump_data_version(conn: Connection) -> int:
    """Move the data version, in the caller's transaction; returns the new version."""
    now = clock.now()
    moved = conn.execute(update(data_version).where(data_version.c.id == ROW)
                         .values(version=data_version.c.version + 1, changed_at=now)
                         .returning(data_version.c.version)).scalar()
    if moved is None:  # a warehouse built without its migration's row
        conn.execute(insert(data_version).values(id=ROW, version=1, changed_at=now))
        moved = 1
    return int(moved)


def current_data_version(conn: Connection) -> int:
    """The data version now (0 before anything has moved it)."""
    return int(conn.execute(select(data_version.c.version).where(data_version.c.id == ROW)).scalar() or 0)
