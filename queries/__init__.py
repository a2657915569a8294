"""The read side: every read of the warehouse that a page or a report makes.

Functions of ``(db, scope, filters)`` returning small DataFrames, aggregated in SQL built with
SQLAlchemy Core. ``scope`` (``cockpit.scope.Scope``) is enforced here, in SQL.
"""
