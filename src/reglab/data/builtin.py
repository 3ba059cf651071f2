"""Built-in data sets by name: the lecture's synthetic sets and real sets shipped inside installed
packages (scikit-learn, statsmodels); nothing is downloaded.

``load_dataset(name)`` returns a DataFrame; ``DATASETS[name]`` says its target, task, the error
columns (for errors-in-variables models) and where it comes from. On the command line a built-in
set is written ``builtin:NAME``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from reglab.data import synthetic
from reglab.data.tabular import DataError

__all__ = ["DatasetInfo", "DATASETS", "load_dataset", "BUILTIN_PREFIX"]

BUILTIN_PREFIX = "builtin:"


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    loader: Callable[..., pd.DataFrame]
    target: str
    task: str
    description: str
    synthetic: bool
    x_err: tuple[str, ...] = ()
    y_err: str | None = None


def _sklearn(fn_name: str, target_names: bool = False) -> Callable[..., pd.DataFrame]:
    def load(n_samples: int | None = None, seed: int = 0) -> pd.DataFrame:
        import sklearn.datasets as skd

        bunch = getattr(skd, fn_name)(as_frame=True)
        df = bunch.frame.copy()
        if target_names:  # class labels as their names, so the task reads as classification
            df["target"] = [str(bunch.target_names[i]) for i in bunch.target]
        return _subsample(df, n_samples, seed)

    return load


def _statsmodels(module: str, drop: tuple[str, ...] = ()) -> Callable[..., pd.DataFrame]:
    def load(n_samples: int | None = None, seed: int = 0) -> pd.DataFrame:
        import importlib

        mod = importlib.import_module(f"statsmodels.datasets.{module}")
        df = mod.load_pandas().data.drop(columns=list(drop)).reset_index(drop=True)
        return _subsample(df, n_samples, seed)

    return load


def _subsample(df: pd.DataFrame, n_samples: int | None, seed: int) -> pd.DataFrame:
    if n_samples is None or n_samples >= len(df):
        return df
    return df.sample(n_samples, random_state=seed).reset_index(drop=True)


_S = synthetic
DATASETS: dict[str, DatasetInfo] = {d.name: d for d in [
    DatasetInfo("line", _S.line, "y", "continuous",
                "straight line y = 0.5 x + 2 with N(0, 1) noise", True),
    DatasetInfo("surface", _S.surface, "y", "continuous",
                "y = b0 + b1 x1 + b2 x2 + b3 x1^2 + b4 x2^2 + b5 sin(x1^2 x2) + noise", True),
    DatasetInfo("circle", _S.circle, "label", "binary", "2-D: inside or outside a circle", True),
    DatasetInfo("xor", _S.xor, "label", "binary", "2-D: XOR of the signs of x1 and x2", True),
    DatasetInfo("blobs", _S.blobs, "label", "multiclass", "2-D: three Gaussian blobs", True),
    DatasetInfo("spiral", _S.spiral, "label", "binary", "2-D: two interleaved spirals", True),
    DatasetInfo("moons", _S.moons, "label", "binary", "2-D: two interleaved half moons", True),
    DatasetInfo("msigma", _S.msigma, "log_M", "continuous",
                "M-sigma-like relation with errors on both axes", True,
                ("log_sigma_err",), "log_M_err"),
    DatasetInfo("globular", _S.globular_clusters, "N_GC", "counts",
                "globular-cluster-like over-dispersed counts vs M_V", True,
                ("M_V_err",), None),
    DatasetInfo("diabetes", _sklearn("load_diabetes"), "target", "continuous",
                "scikit-learn diabetes progression (442 patients, 10 features)", False),
    DatasetInfo("breast_cancer", _sklearn("load_breast_cancer", True), "target", "binary",
                "scikit-learn Wisconsin breast cancer (569 samples, 30 features)", False),
    DatasetInfo("iris", _sklearn("load_iris", True), "target", "multiclass",
                "scikit-learn iris (150 flowers, 3 species)", False),
    DatasetInfo("wine", _sklearn("load_wine", True), "target", "multiclass",
                "scikit-learn wine cultivars (178 samples, 13 features)", False),
    DatasetInfo("stackloss", _statsmodels("stackloss"), "STACKLOSS", "positive",
                "statsmodels stack loss (21 plant days)", False),
    DatasetInfo("scotland", _statsmodels("scotland"), "YES", "positive",
                "statsmodels Scottish vote (32 councils; the Gamma GLM example)", False),
    DatasetInfo("cpunish", _statsmodels("cpunish"), "EXECUTIONS", "counts",
                "statsmodels US executions 1997 (17 states; the Poisson GLM example)", False),
    DatasetInfo("randhie", _statsmodels("randhie"), "mdvis", "counts",
                "statsmodels RAND health insurance doctor visits (20190 people)", False),
    DatasetInfo("spector", _statsmodels("spector"), "GRADE", "binary",
                "statsmodels Spector & Mazzeo grades (32 students; the logit example)", False),
    DatasetInfo("fair", _statsmodels("fair"), "affairs", "continuous",
                "statsmodels Fair's affairs (6366 women; time spent, many zeros)", False),
]}


def load_dataset(name: str, n_samples: int | None = None, seed: int = 0) -> pd.DataFrame:
    """The built-in data set ``name`` (``builtin:`` prefix allowed) as a DataFrame.

    ``n_samples`` sets the size of a synthetic set, or subsamples a real one (without
    replacement, reproducibly with ``seed``).
    """
    key = name.removeprefix(BUILTIN_PREFIX)
    if key not in DATASETS:
        raise DataError(f"unknown built-in data set {key!r}; available: " + ", ".join(DATASETS))
    info = DATASETS[key]
    if info.synthetic:
        return info.loader(n_samples, seed) if n_samples else info.loader(seed=seed)
    return info.loader(n_samples, seed)
