"""Notifications of dispatch, escalation and overdue (SPEC §9): the in-app notice list, and an outbox
that sends them through the configured channels (``cockpit.notify.outbox``).

``enqueue`` is what the workflows call, in their own transaction (a transactional outbox): the
notice exists exactly when the change that caused it committed.
"""

from cockpit.notify.notices import enqueue

__all__ = ["enqueue"]
