"""How each column of a parquet file is encoded: dictionary or plain, compressed or not.

pyarrow tries a dictionary on every column: it hashes each value into a dictionary until the
dictionary passes 1 MiB, then falls back to plain encoding for the rest of the column chunk. On
a column whose values hardly repeat (measurements, random floats, ids, timestamps) the attempt
is wasted: it costs the hashing of the first ~131,000 values of each column (about half the
CPU time of writing a 1,000,000 x 10 float frame), several MiB of memory per column while it
lasts, and it leaves a dictionary page that makes the file larger than plain encoding would.
Likewise snappy, run over every page, saves nothing on values that look random (the mantissas
of measured floats) and costs a fifth of what is left of the write.

So before writing, each flat column of a large table is sampled: a run of consecutive values
and values spread over the whole column. A column whose sampled values are (nearly) all
distinct in both is written plain from the start; and if it holds numbers or times and snappy
saves next to nothing on the sampled run, its pages are left uncompressed. Every other column
gets pyarrow's defaults, as before (a dictionary attempt, snappy). Only the encoding differs:
the file is standard parquet and every value, type and piece of metadata reads back as it went
in. The sample looks at a run as well as a spread so that a sorted column with repeats (each
value many times in a row, which a dictionary and its run-length encoded indices store in
almost nothing) keeps its dictionary.
"""

from __future__ import annotations

from typing import Any

SAMPLE = 4096  # values sampled per column, half consecutive, half spread; smaller tables: as is
DISTINCT = 0.99  # at least this share of the sampled values distinct: no dictionary
INCOMPRESSIBLE = 0.97  # snappy leaves at least this share of the sampled bytes: no compression
CODEC = "snappy"

# Flat types whose values pyarrow may dictionary-encode (by `pyarrow.types` predicate name),
# and those among them whose values, as a numpy array, are the bytes parquet stores.
_NUMBERS = ("is_integer", "is_floating", "is_timestamp", "is_duration")
_SAMPLED = (
    *_NUMBERS,
    "is_temporal",
    "is_decimal",
    "is_string",
    "is_large_string",
    "is_binary",
    "is_large_binary",
)


def write_options(table: Any) -> dict[str, Any]:
    """`use_dictionary` and `compression` for `pyarrow.parquet.write_table(table, ...)`."""
    if table.num_rows < SAMPLE:
        return {"use_dictionary": True, "compression": CODEC}
    plain: set[str] = set()
    raw: set[str] = set()
    for field in table.schema:
        samples = _samples(table, field)
        if samples is not None and all(_hardly_repeats(sample) for sample in samples):
            plain.add(field.name)
            if _is(field.type, _NUMBERS) and _incompressible(samples[0]):
                raw.add(field.name)
    if not plain:
        return {"use_dictionary": True, "compression": CODEC}
    paths = _leaf_paths(table)
    return {
        "use_dictionary": [path for path in paths if path not in plain],
        "compression": {path: "none" if path in raw else CODEC for path in paths},
    }


def _is(kind: Any, predicates: tuple[str, ...]) -> bool:
    import pyarrow.types

    return any(getattr(pyarrow.types, predicate)(kind) for predicate in predicates)


def _samples(table: Any, field: Any) -> tuple[Any, Any] | None:
    """A run of consecutive values from the start of the column and values spread over all
    of it; None for a column that is not sampled."""
    import numpy
    import pyarrow

    if not _is(field.type, _SAMPLED):
        return None
    if len(table.schema.get_all_field_indices(field.name)) != 1:
        return None  # two columns of one name: parquet paths cannot tell them apart
    column = table.column(field.name)
    half = SAMPLE // 2
    spread = numpy.linspace(0, table.num_rows - 1, half, dtype=numpy.int64)
    return column.slice(0, half).combine_chunks(), column.take(pyarrow.array(spread))


def _hardly_repeats(sample: Any) -> bool:
    import pyarrow.compute

    values = len(sample) - sample.null_count
    if values < len(sample) // 2:  # mostly nulls: nothing to judge by, leave it to pyarrow
        return False
    distinct = pyarrow.compute.count_distinct(sample, mode="only_valid").as_py()
    return bool(distinct >= DISTINCT * values)


def _incompressible(run: Any) -> bool:
    import numpy
    import pyarrow

    values = run.to_numpy(zero_copy_only=False)
    if values.dtype.hasobject:
        return False
    data = numpy.ascontiguousarray(values).tobytes()
    return len(pyarrow.compress(data, CODEC, asbytes=True)) >= INCOMPRESSIBLE * len(data)


def _leaf_paths(table: Any) -> list[str]:
    """The paths of the table's parquet columns (`tags.list.element` for a list column),
    as pyarrow's writer names them: asked of the writer itself, on an empty table."""
    import pyarrow
    import pyarrow.parquet

    if not any(_nested(field.type) for field in table.schema):
        return list(table.schema.names)
    sink = pyarrow.BufferOutputStream()
    pyarrow.parquet.write_table(table.slice(0, 0), sink)
    metadata = pyarrow.parquet.read_metadata(pyarrow.BufferReader(sink.getvalue()))
    return [metadata.schema.column(i).path for i in range(len(metadata.schema))]


def _nested(kind: Any) -> bool:
    """Whether the type is stored as more than one parquet column, or under another path."""
    import pyarrow.types

    return bool(kind.num_fields) or (pyarrow.types.is_dictionary(kind) and _nested(kind.value_type))
