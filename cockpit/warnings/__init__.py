"""Digital brain, part 1: warning rules and warnings (SPEC §9).

- ``model``: what a rule is (``Rule``), what it finds (``Match`` with its ``Evidence``), and the
  context it is evaluated in (``EvalContext``).
- ``kinds``: one module per kind of rule (cluster, threshold, inactivity, surge, join, count,
  overdue, lag), each evaluating its rules in SQL over the warehouse.
- ``rules``: the rules of the configuration (``[rules]``), defaults of ``defaults`` merged with it.
- ``states``: the warning's state machine as data, and ``transition``, the one path that writes a
  warning's state, its append-only history row and the audit row in one transaction.
- ``engine``: a rules pass (matches → new, joined, level raised, cleared; silences; escalation),
  run after every load and by ``python -m cockpit rules``.
- ``silences``: silences (mute without losing the record), created, matched and expired.

Nothing here imports Dash.
"""
