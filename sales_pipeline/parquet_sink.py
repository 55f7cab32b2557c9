"""Frames written batch by batch to one local Parquet file, so a large file is never whole in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import polars as pl
import pyarrow.parquet as pq
from polars.io.plugins import register_io_source


class ParquetSink:
    """One Parquet file written one frame at a time (each frame becomes a row group).

    Closing always leaves a readable file: with no rows written it holds just the schema.
    """

    def __init__(self, path: Path, schema: pl.Schema) -> None:
        self.path = path
        self.schema = schema
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pl.DataFrame) -> None:
        if frame.is_empty():
            return
        table = frame.select(self.schema.names()).cast(dict(self.schema)).to_arrow()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table)
        self.rows += frame.height

    def close(self) -> None:
        if self._writer is None:
            pl.DataFrame(schema=self.schema).write_parquet(self.path)
        else:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def sink_batches(batches: Iterator[pl.DataFrame], schema: pl.Schema, path: Path) -> None:
    """Polars' own Parquet writer fed by a generator: it encodes one batch while the next is made,
    about twice as fast as ``ParquetSink``. An exception raised by the generator propagates as is.
    """

    def source(*_: object) -> Iterator[pl.DataFrame]:
        # A bare sink plan: nothing is projected, filtered or limited, so the pushdown hints are unused.
        return batches

    register_io_source(source, schema=schema, validate_schema=True).sink_parquet(path)
