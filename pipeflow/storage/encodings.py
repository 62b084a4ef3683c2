"""Which columns of a parquet file get dictionary encoding.

pyarrow tries a dictionary on every column: it hashes each value into a dictionary until the
dictionary passes 1 MiB, then falls back to plain encoding for the rest of the column chunk. On
a column whose values hardly repeat (measurements, random floats, ids, timestamps) the attempt
is wasted: it costs the hashing of the first ~131,000 values of each column (about a third of
the CPU time of writing a 1,000,000 x 10 float frame), several MiB of memory per column while
it lasts, and it leaves a dictionary page in the file that makes it larger than plain encoding.

So before writing, each flat column of a large table is sampled: a run of consecutive values
and values spread over the whole column. A column whose sampled values are (nearly) all
distinct in both is written plain from the start; every other column keeps pyarrow's dictionary
attempt, as before. Only the encoding differs: the file is standard parquet and every value,
type and piece of metadata reads back as it went in. The sample looks at both a run and a
spread so that a sorted column with repeats (each value many times in a row, which a dictionary
and its run-length encoded indices store in almost nothing) keeps its dictionary.
"""

from __future__ import annotations

from typing import Any

SAMPLE = 4096  # values sampled per column, half consecutive, half spread; smaller tables: as is
DISTINCT = 0.99  # at least this share of the sampled values distinct: no dictionary

# Flat types whose values pyarrow may dictionary-encode (by `pyarrow.types` predicate name).
_SAMPLED_KINDS = (
    "is_integer",
    "is_floating",
    "is_temporal",
    "is_decimal",
    "is_string",
    "is_large_string",
    "is_binary",
    "is_large_binary",
)


def dictionary_columns(table: Any) -> bool | list[str]:
    """pyarrow's `use_dictionary` for `table`: True (try a dictionary on every column) or the
    parquet column paths to try one on, leaving out the flat columns whose values hardly
    repeat."""
    if table.num_rows < SAMPLE:
        return True
    plain = {field.name for field in table.schema if _hardly_repeats(table, field)}
    if not plain:
        return True
    return [path for path in _leaf_paths(table) if path not in plain]


def _hardly_repeats(table: Any, field: Any) -> bool:
    import numpy
    import pyarrow
    import pyarrow.compute
    import pyarrow.types

    if not any(getattr(pyarrow.types, kind)(field.type) for kind in _SAMPLED_KINDS):
        return False
    if len(table.schema.get_all_field_indices(field.name)) != 1:
        return False  # two columns of one name: parquet paths cannot tell them apart
    column = table.column(field.name)
    rows = table.num_rows
    half = SAMPLE // 2
    spread = numpy.linspace(0, rows - 1, half, dtype=numpy.int64)
    for sample in (column.slice(0, half), column.take(pyarrow.array(spread))):
        values = len(sample) - sample.null_count
        if values < half // 2:  # mostly nulls: nothing to judge by, leave it to pyarrow
            return False
        distinct = pyarrow.compute.count_distinct(sample, mode="only_valid").as_py()
        if distinct < DISTINCT * values:
            return False
    return True


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
