"""Errors-in-variables regression: closed-form marginal model vs a plain NumPyro latent-x model.

Both models describe the same data (x_true ~ N(m, t^2), y = alpha + beta x_true + N(0, sigma^2),
Gaussian errors on x and y, same priors, standardised data) and run through the same NUTS driver
(reglab.bayes._mcmc.run_nuts: NumPyro's NUTS kernel, compiled once per shape). The plain model
samples the N latent x_true (the textbook NumPyro model); reglab integrates them out and samples
five global parameters. Reported per N: compile time (first call minus second call), sampling wall
time, minimum ESS over (alpha, beta, sigma), minimum ESS per second, and the ESS/s ratio.

    .venv/bin/python benchmarks/bayes.py [--n 500 5000] [--chains 2] [--warmup 500] [--samples 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from functools import partial

import numpy as np

from reglab.bayes import _backend
from reglab.bayes._mcmc import SamplerConfig, run_nuts
from reglab.bayes._models import eiv_marginal_model
from reglab.bayes.eiv import _initial_point, standardisation
from reglab.bayes.priors import Priors

SITES = ("intercept", "coef", "scatter")


def plain_latent_model(xt, yt, sxx, sxy, syy, s):
    """The textbook model: sample every latent x_true (centred), y_true integrated trivially."""
    import numpyro
    import numpyro.distributions as dist

    jnp = _backend.load().jnp
    a = numpyro.sample("intercept_std", dist.Normal(0.0, 10.0))
    b = numpyro.sample("coef_std", dist.Normal(0.0, 10.0))
    sig = numpyro.sample("scatter_std", dist.HalfCauchy(1.0))
    m = numpyro.sample("latent_mean", dist.Normal(0.0, 2.0))
    t = numpyro.sample("latent_sd", dist.HalfCauchy(1.0))
    with numpyro.plate("data", xt.shape[0]):
        xi = numpyro.sample("x_true", dist.Normal(m, t))
        numpyro.sample("x_obs", dist.Normal(xi, jnp.sqrt(sxx[:, 0])), obs=xt[:, 0])
        numpyro.sample("y_obs", dist.Normal(a + b * xi, jnp.sqrt(sig**2 + syy)), obs=yt)
    numpyro.deterministic("intercept", s["ybar"] + s["ysd"] * a - s["xbar"][0] * s["ysd"] * b
                          / s["xsd"][0])
    numpyro.deterministic("coef", s["ysd"] * b / s["xsd"][0])
    numpyro.deterministic("scatter", s["ysd"] * sig)


def simulate(n: int, seed: int):
    rng = np.random.default_rng(seed)
    xi = rng.normal(0.0, 1.0, n)
    x_err, y_err = rng.uniform(0.2, 0.5, n), rng.uniform(0.2, 0.5, n)
    x = xi + x_err * rng.standard_normal(n)
    y = 1.0 + 2.0 * xi + 0.4 * rng.standard_normal(n) + y_err * rng.standard_normal(n)
    X = x[:, None]
    s = standardisation(X, y, ["x"])
    xt, yt = (X - s["xbar"]) / s["xsd"], (y - s["ybar"]) / s["ysd"]
    kw = {"xt": xt, "yt": yt, "sxx": (x_err[:, None] / s["xsd"]) ** 2, "sxy": np.zeros((n, 1)),
          "syy": (y_err / s["ysd"]) ** 2, "s": s}
    return kw


def min_ess(samples: dict) -> float:
    from numpyro.diagnostics import effective_sample_size

    return float(min(np.min(effective_sample_size(samples[k].reshape(*samples[k].shape[:2], -1)))
                     for k in SITES))


def measure(name: str, n: int, cfg: SamplerConfig) -> dict:
    if name == "reglab (x integrated out)":
        model = partial(eiv_marginal_model, p=1, K=1, priors=Priors())

        def init_for(kw):
            return _initial_point(kw["xt"], kw["yt"], 1, True)

        dense = True
    else:
        model = plain_latent_model

        def init_for(kw):
            return {"intercept_std": 0.0, "coef_std": 0.0, "scatter_std": np.log(0.5),
                    "latent_mean": 0.0, "latent_sd": 0.0, "x_true": kw["xt"][:, 0].copy()}

        dense = False  # N + 5 dimensions: a dense mass matrix is not an option at N = 5000
    key = ("bench", name, n)
    kw = simulate(n, seed=0)
    first = run_nuts(model, key, kw, init_for(kw), cfg, 0, dense, SITES)
    kw = simulate(n, seed=1)
    second = run_nuts(model, key, kw, init_for(kw), cfg, 1, dense, SITES)
    ess = min_ess(second.samples)
    return {"model": name, "n": n, "compile_s": first.seconds - second.seconds,
            "sample_s": second.seconds, "min_ess": ess, "min_ess_per_s": ess / second.seconds,
            "divergences": int(second.divergences.sum()),
            "mean_leapfrog_steps": float(second.num_steps.mean()),
            "coef_mean": float(second.samples["coef"].mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--chains", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    _backend.load()
    cfg = SamplerConfig(num_warmup=args.warmup, num_samples=args.samples,
                        num_chains=args.chains, chain_method="sequential")
    rows = []
    for n in args.n:
        for name in ("reglab (x integrated out)", "plain NumPyro (latent x sampled)"):
            rows.append(measure(name, n, cfg))
            r = rows[-1]
            print(f"{r['model']:<34} N={n:>5}  compile {r['compile_s']:6.1f} s  "
                  f"sample {r['sample_s']:7.2f} s  min ESS {r['min_ess']:7.0f}  "
                  f"min ESS/s {r['min_ess_per_s']:9.1f}  steps/draw {r['mean_leapfrog_steps']:.1f}",
                  flush=True)
        ratio = rows[-2]["min_ess_per_s"] / rows[-1]["min_ess_per_s"]
        print(f"  -> ESS/s ratio at N={n}: {ratio:.1f}x")
        rows[-2]["ess_per_s_ratio_vs_plain"] = ratio
    out = {"benchmark": "bayes errors-in-variables", "config": vars(args),
           "machine": f"{platform.machine()}, {os.cpu_count()} cpu(s), "
                      f"load average {os.getloadavg()[0]:.1f} at the end",
           "timestamp": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": rows}
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    path = os.path.join(os.path.dirname(__file__), "results", "bayes.json")
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
