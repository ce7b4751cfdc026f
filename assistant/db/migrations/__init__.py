"""Alembic migrations of the app database (assistant/store.py); run at start-up by ``Store.migrate``."""
