"""make predict: a file of raw rows (CSV, as preprocess reads CSV, or Parquet) of any size scored
through the bundle's scorer a block at a time, into a CSV or Parquet file of predictions, one row
per input row in the same order. The output appears only once every block is scored."""

import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.errors import PipelineError
from ..core.files import atomic_path
from ..dataset import check_header, main_table_parts, read_part, reading_params
from ..scoring.score import Scorer

SUFFIXES = (".csv", ".parquet")
PARQUET_BATCH_ROWS = 100_000  # a Parquet file is read this many rows at a time (a CSV file by serve.block_mb)


def blocks(path: Path, reading: dict, block_bytes: int):
    """(first row's number, rows) of each block of the file, its source named as the file."""
    if path.suffix == ".parquet":
        first = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=PARQUET_BATCH_ROWS):
            frame = batch.to_pandas(types_mapper=pd.ArrowDtype)
            frame.attrs["source"] = str(path)
            yield first, frame
            first += len(frame)
        return
    check_header(path, reading["encoding"])
    first = 0
    for part in main_table_parts(path, block_bytes):
        frame = read_part(part, reading)
        frame.attrs["source"] = str(path)
        yield first, frame
        first += len(frame)


def predictions_table(scorer: Scorer, outputs) -> pd.DataFrame:
    """One row per scored row: the prediction, and each class's probability for a classifier."""
    answer = scorer.answer(outputs)
    table = pd.DataFrame({"prediction": answer["predictions"]})
    for index, name in enumerate(answer.get("classes", [])):
        table[f"probability_{name}"] = outputs[:, index]
    return table


def predict_file(scorer: Scorer, source: Path, destination: Path, block_mb: float) -> int:
    """Score `source` into `destination`; the number of rows scored."""
    for path in (source, destination):
        if path.suffix not in SUFFIXES:
            raise PipelineError(f"{path}: give a .csv or .parquet file")
    if not source.is_file():
        raise PipelineError(f"{source}: file not found")
    reading = reading_params(scorer.bundle.manifest["reading"])  # as preprocess read its CSV files
    rows, writer = 0, None
    with atomic_path(destination) as temporary:
        try:
            for first, frame in blocks(source, reading, int(block_mb * 1024 * 1024)):
                try:
                    outputs = scorer.score(frame).outputs
                except PipelineError as error:  # rows counted from the file's first, not the block's
                    raise PipelineError(_counted_from(str(error), first)) from None
                table = predictions_table(scorer, outputs)
                if destination.suffix == ".csv":
                    table.to_csv(temporary, mode="a", header=rows == 0, index=False)
                else:
                    arrow = pa.Table.from_pandas(table, preserve_index=False)
                    writer = writer or pq.ParquetWriter(temporary, arrow.schema)
                    writer.write_table(arrow)
                rows += len(table)
        finally:
            if writer is not None:
                writer.close()
        if rows == 0:
            raise PipelineError(f"{source}: has no rows to score")
    return rows


def _counted_from(message: str, first: int) -> str:
    match = re.search(r"at data row (\d+)", message)
    return message.replace(match.group(0), f"at data row {int(match.group(1)) + first}", 1) if match else message
