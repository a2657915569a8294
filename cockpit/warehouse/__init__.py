"""Warehouse: schema (SQLAlchemy Core), engine, ETL load targets."""
