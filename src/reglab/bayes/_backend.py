"""Lazy access to the optional JAX/NumPyro backend.

``import reglab`` must never need JAX, so nothing here imports it at module level: estimators call
:func:`load` the first time they fit. NumPyro runs in float64 here (``enable_x64``): the closed-form
marginal likelihood subtracts nearly equal quadratic forms, and the tests compare posterior means to
OLS to ~1e-3 of a standard error, which float32 cannot promise.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

__all__ = [
    "load", "use_cpu_cores", "enable_compilation_cache", "resolve_chain_method",
    "progress_bar_default",
]

_INSTALL_HINT = (
    "reglab.bayes needs the optional 'bayes' extra (NumPyro and JAX). Install it with\n"
    "    pip install 'reglab[bayes]'\n"
    "or  pip install numpyro jax"
)

_BACKEND: SimpleNamespace | None = None


def load() -> SimpleNamespace:
    """Import JAX and NumPyro once; ``ImportError`` with install instructions when missing.

    Returns a namespace with ``jax``, ``jnp``, ``numpyro``, ``dist`` (numpyro.distributions).
    """
    global _BACKEND
    if _BACKEND is not None:
        return _BACKEND
    try:
        import jax
        import jax.numpy as jnp
        import numpyro
        import numpyro.distributions as dist
    except ImportError as exc:  # the extra is not installed
        raise ImportError(_INSTALL_HINT) from exc
    numpyro.enable_x64()
    _BACKEND = SimpleNamespace(jax=jax, jnp=jnp, numpyro=numpyro, dist=dist)
    return _BACKEND


def use_cpu_cores(n: int | None = None) -> int:
    """Expose ``n`` CPU cores to JAX as separate devices so that chains run in parallel.

    Must be called before JAX is first imported in the process (XLA reads the flag once); after
    that it raises ``RuntimeError`` instead of silently doing nothing. Returns the device count.
    """
    n = (os.cpu_count() or 1) if n is None else int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if "jax" in sys.modules:
        raise RuntimeError(
            "use_cpu_cores() must run before JAX is imported (XLA reads the device count once); "
            "call it at the top of your script, before fitting any reglab.bayes model"
        )
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if "host_platform_device" not in f]
    flags.append(f"--xla_force_host_platform_device_count={n}")
    os.environ["XLA_FLAGS"] = " ".join(flags)
    return n


def enable_compilation_cache(path: str | None = None) -> str:
    """Keep JAX's compiled NUTS kernels on disk (``~/.cache/reglab/jax`` by default).

    Compiling the NUTS loop costs seconds (tens on a loaded 2-core machine) and is paid once per
    model configuration and data shape per process; with the cache a later process loads it in ~2 s.
    Returns the directory used.
    """
    path = path or os.path.join(os.path.expanduser("~"), ".cache", "reglab", "jax")
    os.makedirs(path, exist_ok=True)
    jax = load().jax
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    return path


def resolve_chain_method(chain_method: str, num_chains: int) -> str:
    """``"auto"`` -> ``"parallel"`` when JAX sees one device per chain, else ``"sequential"``.

    Sequential chains compile once and reuse the kernel; ``"vectorized"`` is also accepted (one
    vmapped kernel; every chain then waits for the longest NUTS tree at each step).
    """
    allowed = ("auto", "parallel", "sequential", "vectorized")
    if chain_method not in allowed:
        raise ValueError(f"chain_method must be one of {allowed}, got {chain_method!r}")
    if chain_method != "auto":
        return chain_method
    if num_chains == 1:
        return "sequential"
    jax = load().jax
    return "parallel" if jax.local_device_count() >= num_chains else "sequential"


def progress_bar_default(verbose: bool) -> bool:
    """Show NumPyro's progress bar only when asked and stderr is an interactive terminal."""
    return bool(verbose) and sys.stderr.isatty()
