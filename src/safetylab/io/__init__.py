"""Readers and writers: streaming rows from jsonl(.gz), csv, parquet and HF dataset directories."""

from safetylab.io.readers import Row, iter_rows
from safetylab.io.tables import read_table, write_table

__all__ = ["Row", "iter_rows", "read_table", "write_table"]
