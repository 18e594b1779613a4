"""Manual annotation: web workbench (FastAPI + SQLite), agreement, literature coding."""
