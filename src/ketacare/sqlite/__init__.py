"""The SQLite database backend KetaCare uses for the embedded default (settings.py)."""
