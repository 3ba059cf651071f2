"""Running NUTS, diagnostics in words, and the posterior summary table."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from reglab._warn import user_stacklevel

from . import _backend
from ._diagnostics import effective_sample_size, split_rhat

__all__ = ["SamplerConfig", "run_nuts", "diagnose", "summary_table", "SamplingWarning"]

# Compiled samplers keyed by (model key, sampler settings, sites): a second fit of data with the
# same shapes reuses the compiled NUTS loop (the data are traced arguments, not constants), which is
# what makes repeated-simulation coverage tests and the benchmark's "compile separately" cheap.
# NumPyro's MCMC class re-jits its sampling loop on every run(); hence this small driver over
# NumPyro's functional ``hmc`` kernels (same NUTS, same warmup adaptation).
_COMPILED: dict[tuple, Any] = {}
_CACHE_SIZE = 16
_PROGRESS: dict[str, Any] = {"bar": None}


class SamplingWarning(UserWarning):
    """NUTS diagnostics that call the posterior into question (R-hat, ESS, divergences)."""


@dataclass(frozen=True)
class SamplerConfig:
    num_warmup: int = 1000
    num_samples: int = 1000
    num_chains: int = 4
    chain_method: str = "auto"
    target_accept: float = 0.8
    max_tree_depth: int = 10
    progress_bar: bool = False

    def __post_init__(self) -> None:
        for name in ("num_warmup", "num_samples", "num_chains", "max_tree_depth"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0.5 <= self.target_accept < 1.0:
            raise ValueError(f"target_accept must be in [0.5, 1), got {self.target_accept}")


@dataclass
class NutsResult:
    samples: dict[str, np.ndarray]  # name -> (num_chains, num_samples, *shape)
    divergences: np.ndarray  # (num_chains, num_samples) bool
    num_steps: np.ndarray  # (num_chains, num_samples) leapfrog steps per draw
    moments: dict[str, tuple[np.ndarray, np.ndarray]]  # site -> (posterior mean, variance)
    seconds: float  # wall time of this run (includes compilation on the first run of a shape)
    chain_method: str
    extra: dict[str, Any] = field(default_factory=dict)


def _tick(i: Any, total: int) -> None:
    bar = _PROGRESS["bar"]
    if bar is not None:
        bar.update(int(i) + 1, total)


def _progress_hook(jax: Any, every: int, total: int, on: bool, i: Any) -> None:
    """Inside the compiled loop: every ``every`` iterations, call back to update the bar."""
    if on:
        jax.lax.cond(i % every == 0, lambda: jax.debug.callback(_tick, i, total), lambda: None)


def _chain_fn(model: Any, cfg: SamplerConfig, dense_mass: Any, keep: tuple, moments: tuple):
    """jit(run(rng_key, z0, model_kwargs)) for one chain: NUTS warmup then sampling in lax.scan."""
    b = _backend.load()
    jax, jnp = b.jax, b.jnp
    from numpyro.infer.hmc import hmc
    from numpyro.infer.util import constrain_fn, potential_energy

    def pe_gen(**kw):
        return lambda z: potential_energy(model, (), kw, z)

    init_kernel, sample_kernel = hmc(potential_fn_gen=pe_gen, algo="NUTS")
    total = cfg.num_warmup + cfg.num_samples
    progress = partial(_progress_hook, jax, max(total // 100, 1), total, cfg.progress_bar)

    def run(rng_key, z0, kw):
        dm = [tuple(sorted(z0))] if dense_mass is True else list(dense_mass or [])
        state = init_kernel(z0, cfg.num_warmup, dense_mass=dm, target_accept_prob=cfg.target_accept,
                            max_tree_depth=cfg.max_tree_depth, model_kwargs=kw, rng_key=rng_key)
        first = constrain_fn(model, (), kw, state.z, return_deterministic=True)
        zeros = {k: jnp.zeros_like(first[k]) for k in moments}

        # one scan over warmup and sampling: the NUTS kernel is traced and compiled once (two scans
        # doubled the compile time, which dominates small fits)
        def step(carry, i):
            st, m1, m2 = carry
            progress(i)
            st = sample_kernel(st, model_kwargs=kw)
            v = constrain_fn(model, (), kw, st.z, return_deterministic=True)
            on = i >= cfg.num_warmup
            m1 = {k: jnp.where(on, m1[k] + v[k], m1[k]) for k in moments}
            m2 = {k: jnp.where(on, m2[k] + v[k] ** 2, m2[k]) for k in moments}
            out = ({k: v[k] for k in keep if k in v}, st.diverging, st.num_steps)
            return (st, m1, m2), out

        (state, m1, m2), out = jax.lax.scan(step, (state, zeros, zeros), jnp.arange(total))
        out = jax.tree.map(lambda a: a[cfg.num_warmup:], out)
        n = cfg.num_samples
        mom = {k: (m1[k] / n, m2[k] / n - (m1[k] / n) ** 2) for k in moments}
        return out, mom

    return jax.jit(run)


def _runner(model: Any, key: tuple, cfg: SamplerConfig, chain_method: str, dense_mass: Any,
            keep: tuple, moments: tuple) -> Any:
    # sequential chains call one single-chain kernel: the chain count is not part of its identity
    n_key = 1 if chain_method == "sequential" else cfg.num_chains
    cache_key = (key, replace(cfg, chain_method=chain_method, num_chains=n_key), str(dense_mass),
                 keep, moments)
    fn = _COMPILED.get(cache_key)
    if fn is None:
        jax = _backend.load().jax
        one = _chain_fn(model, cfg, dense_mass, keep, moments)
        if chain_method == "parallel":
            fn = jax.pmap(one, in_axes=(0, 0, None))
        elif chain_method == "vectorized":
            fn = jax.jit(jax.vmap(one, in_axes=(0, 0, None)))
        else:
            fn = one
        if len(_COMPILED) >= _CACHE_SIZE:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[cache_key] = fn
    return fn


def run_nuts(model: Any, key: tuple, model_kwargs: dict, init: dict[str, np.ndarray],
             cfg: SamplerConfig, seed: int, dense_mass: Any = False, keep: tuple = (),
             moments: tuple = (), fixed: tuple = ()) -> NutsResult:
    """Run ``cfg.num_chains`` NUTS chains from ``init`` (unconstrained values, jittered per chain
    so that R-hat can see a chain stuck elsewhere; the per-point latent sites in ``fixed`` are not
    jittered, a bounded latent prior could reject the start) and collect the ``keep`` sites
    (constrained and deterministic) plus running posterior mean/variance of ``moments`` sites."""
    b = _backend.load()
    jax, jnp = b.jax, b.jnp
    chain_method = _backend.resolve_chain_method(cfg.chain_method, cfg.num_chains)
    fn = _runner(model, key, cfg, chain_method, dense_mass, tuple(keep), tuple(moments))
    rng = np.random.default_rng(seed)
    c = cfg.num_chains
    z0 = {k: np.asarray(v, float)[None]
          + (0.0 if k in fixed else 0.5) * rng.standard_normal((c, *np.shape(v)))
          for k, v in init.items()}
    keys = jax.random.split(jax.random.PRNGKey(seed), c)
    kw = jax.tree.map(jnp.asarray, model_kwargs)
    t0 = time.perf_counter()
    with _progress(cfg, c, chain_method):
        if chain_method == "sequential":
            runs = [fn(keys[i], {k: jnp.asarray(v[i]) for k, v in z0.items()}, kw)
                    for i in range(c)]
            out, mom = jax.tree.map(lambda *xs: jnp.stack(xs), *runs)
        else:
            out, mom = fn(keys, jax.tree.map(jnp.asarray, z0), kw)
        jax.block_until_ready(out)
    seconds = time.perf_counter() - t0
    draws, div, steps = jax.tree.map(np.asarray, out)
    moments_out = {k: (np.asarray(m).mean(0), np.asarray(v).mean(0) + np.asarray(m).var(0))
                   for k, (m, v) in mom.items()}
    return NutsResult(draws, div, steps, moments_out, seconds, chain_method)


class _progress:
    """Context manager holding a rich progress bar that the compiled loop updates."""

    def __init__(self, cfg: SamplerConfig, num_chains: int, chain_method: str):
        self.on = cfg.progress_bar
        self.label = f"NUTS ({num_chains} chain(s), {chain_method})"

    def __enter__(self):
        if self.on:
            from rich.progress import Progress

            self.progress = Progress(transient=True)
            self.task = self.progress.add_task(self.label, total=None)
            self.progress.start()
            _PROGRESS["bar"] = self
        return self

    def update(self, done: int, total: int) -> None:
        self.progress.update(self.task, completed=done, total=total)

    def __exit__(self, *exc):
        if self.on:
            self.progress.stop()
            _PROGRESS["bar"] = None
        return False


def _rhat_ess(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split R-hat and effective sample size (Geyer) per element; draws (chains, samples, ...).

    NumPy only (:mod:`._diagnostics`): a loaded model summarises without JAX."""
    if draws.shape[1] < 4:
        nan = np.full(draws.shape[2:], np.nan)
        return nan, nan
    return split_rhat(draws), effective_sample_size(draws)


def summary_table(samples: dict[str, np.ndarray], names: dict[str, list[str]],
                  level: float = 0.9) -> pd.DataFrame:
    """One row per scalar parameter: mean, sd, equal-tailed ``level`` interval, R-hat, ESS.

    ``names`` maps a site to the row labels of its flattened elements (in order)."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    lo_q, hi_q = (1 - level) / 2, (1 + level) / 2
    rows = []
    for site, labels in names.items():
        draws = samples[site]
        flat = draws.reshape(draws.shape[0], draws.shape[1], -1)
        rhat, ess = _rhat_ess(flat)
        pooled = flat.reshape(-1, flat.shape[-1])
        for j, label in enumerate(labels):
            v = pooled[:, j]
            rows.append({"parameter": label, "mean": v.mean(), "sd": v.std(ddof=1),
                         f"{100 * lo_q:g}%": np.quantile(v, lo_q),
                         f"{100 * hi_q:g}%": np.quantile(v, hi_q),
                         "r_hat": float(rhat[j]), "ess": float(ess[j])})
    return pd.DataFrame(rows).set_index("parameter")


def diagnose(table: pd.DataFrame, divergences: np.ndarray, num_chains: int,
             rhat_max: float = 1.01, ess_min: float = 100.0) -> list[str]:
    """Problems in words (empty when none); each is also emitted as a :class:`SamplingWarning`."""
    problems = []
    n_div = int(np.sum(divergences))
    if n_div:
        problems.append(
            f"{n_div} divergent transition(s) after warmup: the posterior has regions NUTS cannot "
            "explore; raise target_accept (e.g. 0.95) or reconsider the priors"
        )
    if num_chains > 1:
        bad = table.index[table["r_hat"] > rhat_max].tolist()
        if bad:
            worst = table["r_hat"].max()
            problems.append(
                f"R-hat above {rhat_max} for {', '.join(bad)} (worst {worst:.3f}): the chains "
                "disagree; run longer (num_warmup/num_samples) before trusting the estimates"
            )
    low = table.index[table["ess"] < ess_min].tolist()
    if low:
        problems.append(
            f"effective sample size below {ess_min:g} for {', '.join(low)} "
            f"(lowest {table['ess'].min():.0f}): intervals are noisy; draw more samples"
        )
    problems += _undefined(table)
    for msg in problems:
        warnings.warn(msg, SamplingWarning, stacklevel=user_stacklevel())
    return problems


def _undefined(table: pd.DataFrame) -> list[str]:
    """NaN R-hat or ESS (``x > limit`` is False for NaN, so the checks above pass it silently):
    constant draws, a chain that never left its start; or fewer than 4 draws per chain."""
    nan = table["r_hat"].isna() | table["ess"].isna()
    if not nan.any():
        return []
    sd = table["sd"] if "sd" in table else pd.Series(0.0, index=table.index)
    stuck = nan & ~(sd > 0)  # sd 0 (or NaN for a single draw): the draws never changed
    out = []
    if stuck.any():
        out.append(
            f"R-hat and ESS are undefined (NaN) for {', '.join(table.index[stuck])}: their draws "
            "are constant, the chain(s) never moved from the starting point, so the summary "
            "describes that point, not the posterior; check the data against the priors' supports"
        )
    if (nan & ~stuck).any():
        out.append(
            f"R-hat or ESS is undefined (NaN) for {', '.join(table.index[nan & ~stuck])}: too few "
            "draws per chain (at least 4 are needed); draw more samples"
        )
    return out
