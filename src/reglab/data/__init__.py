"""reglab.data: reading and checking tables, and the built-in data sets."""

from reglab.data import synthetic
from reglab.data._errors import row_label
from reglab.data.builtin import BUILTIN_PREFIX, DATASETS, DatasetInfo, load_dataset
from reglab.data.tabular import (
    TASKS,
    DataError,
    Prepared,
    detect_task,
    encode,
    prepare,
    read_table,
)

__all__ = ["BUILTIN_PREFIX", "DATASETS", "DataError", "DatasetInfo", "Prepared", "TASKS",
           "detect_task", "encode", "load_dataset", "prepare", "read_table", "row_label",
           "synthetic", "load_data"]


def load_data(source: str, n_samples: int | None = None, seed: int = 0):
    """A DataFrame from a file path or ``builtin:NAME`` (see :data:`DATASETS`)."""
    if source.startswith(BUILTIN_PREFIX):
        return load_dataset(source, n_samples=n_samples, seed=seed)
    return read_table(source)
