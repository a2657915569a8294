"""Photos of a work order's result (现场照片): JPEG or PNG, checked by their content (not their name),
size-limited, stored in the warehouse with the step they were reported with, and served only to
those who may see the order (``photo_for``)."""

from __future__ import annotations

import hashlib
import io
import warnings as py_warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

from PIL import Image
from sqlalchemy import Connection, insert, select

from cockpit.orders.access import may_see
from cockpit.orders.states import OrderError, load
from cockpit.scope import Scope
from cockpit.warehouse.schema import work_order_photo

TYPES = {"JPEG": "image/jpeg", "PNG": "image/png"}
_MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}
MAX_PIXELS = 40_000_000  # a phone photo is ≈ 12–50 MP; beyond this it is a decompression bomb


class PhotoRejected(OrderError):
    """A photo refused: ``key`` says why (type, size, count)."""

    key = "order.error.photo_type"

    def __init__(self, message: str, key: str = "order.error.photo_type") -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class Photo:
    content_type: str
    width: int
    height: int
    sha256: str
    data: bytes


def check_photo(data: bytes, max_bytes: int) -> Photo:
    """The photo if ``data`` is a whole JPEG or PNG of at most ``max_bytes``; else ``PhotoRejected``."""
    if len(data) > max_bytes:
        raise PhotoRejected(f"a photo is {len(data)} bytes, more than {max_bytes}", "order.error.photo_size")
    kind = next((k for magic, k in _MAGIC.items() if data.startswith(magic)), None)
    if kind is None:
        raise PhotoRejected("only JPEG and PNG photos are accepted")
    try:
        with py_warnings.catch_warnings():
            py_warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt, (width, height) = img.format, img.size
                if width * height > MAX_PIXELS:
                    raise PhotoRejected(f"a photo of {width}×{height} pixels is too large", "order.error.photo_size")
                img.verify()  # the structure (a PNG's chunks and their checksums)
            with Image.open(io.BytesIO(data)) as img:
                img.load()  # the pixels: a truncated JPEG fails only when decoded
    except PhotoRejected:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever Pillow raises for a broken file
        raise PhotoRejected(f"not a readable image: {exc}") from None
    if fmt != kind:
        raise PhotoRejected(f"the file says {kind} but holds {fmt}")
    return Photo(TYPES[kind], width, height, hashlib.sha256(data).hexdigest(), data)


def check_photos(items: Sequence[bytes], settings: Mapping[str, Any]) -> list[Photo]:
    """Every photo checked, and their number against ``orders.photo_max_count``."""
    if len(items) > int(settings["photo_max_count"]):
        raise PhotoRejected(f"{len(items)} photos, at most {settings['photo_max_count']}", "order.error.photo_count")
    return [check_photo(b, int(settings["photo_max_bytes"])) for b in items]


def store_photos(conn: Connection, order_id: int, log_id: int, photos: Sequence[Photo], uploaded_by: str,
                 now: datetime) -> list[int]:
    if not photos:
        return []
    ids = []
    for p in photos:
        ids.append(conn.execute(insert(work_order_photo).values(
            order_id=order_id, log_id=log_id, content_type=p.content_type, bytes=len(p.data), width=p.width,
            height=p.height, sha256=p.sha256, data=p.data, uploaded_by=uploaded_by[:64], uploaded_at=now,
        ).returning(work_order_photo.c.id)).scalar_one())
    return ids


def photo_for(conn: Connection, photo_id: int, scope: Scope) -> tuple[bytes, str] | None:
    """The photo's bytes and type if its order is in ``scope``; None otherwise (or if it does not exist)."""
    p = work_order_photo.c
    row = conn.execute(select(p.order_id, p.data, p.content_type).where(p.id == photo_id)).first()
    if row is None:
        return None
    try:
        order = load(conn, row.order_id)
    except OrderError:
        return None
    return (bytes(row.data), row.content_type) if may_see(scope, order) else None
