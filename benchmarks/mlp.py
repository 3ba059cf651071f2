"""MLP training throughput: reglab vs scikit-learn's MLPClassifier vs PyTorch, on the CPU.

Two workloads (issue 3):
  large: 60,000 x 784 synthetic 10-class data, 784-256-256-10, ReLU, Adam, batch 256
  small: 10,000 x 20 synthetic 2-class data, (64, 64) tanh, Adam, batch 64

Every peer trains the same architecture for the same number of epochs with the same optimizer,
learning rate, batch size and BLAS/OpenMP thread count, in float32; we report training samples per
second (epochs x n / wall time of the fit, best of --repeats, after one untimed warm-up fit per
peer), the median over rounds of each peer's time / reglab's time in the same round, held-out
accuracy, and the fraction of this machine's measured float32 GEMM peak that its training reaches
(training FLOPs = 2 x (forward + weight-gradient + input-gradient multiply-adds) per sample).
The peak is re-measured right before every round of fits (the machine's speed drifts), and a
peer's fraction is taken against the peak of the round that gave its best time.
reglab's default initialisation matches the activation (He for ReLU); the rows reglab-ginit and
reglab-tinit are the same engine from scikit-learn's (init="glorot") and PyTorch's
(init="torch") schemes, for accuracy comparisons at equal initialisation; reglab-numpy is the
default without the compiled kernels (REGLAB_JIT=0: the NumPy route, the same numbers to
rounding) and reglab-layers the default with the kernels but without the fused route (every
step through the layers; on the small tanh workload that is the default's route anyway);
torch-fused is PyTorch with torch.optim.Adam(fused=True), its fastest CPU Adam (not the default).

    python benchmarks/mlp.py [--threads 2] [--epochs-large 2] [--epochs-small 5] [--repeats 2]

Writes benchmarks/results/mlp.json. On a shared machine run it when idle and compare ratios
from one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

RESULTS = Path(__file__).parent / "results" / "mlp.json"


def make_data(n: int, d: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels from a random two-layer teacher network (learnable, not linearly trivial)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    W1 = rng.normal(size=(d, 32)) / np.sqrt(d)
    W2 = rng.normal(size=(32, k))
    logits = np.tanh(X @ W1 * 2.0) @ W2
    y = np.argmax(logits + rng.gumbel(size=logits.shape) * 0.3, axis=1)
    return X, y.astype(np.int64)


def train_flops_per_sample(sizes: list[int]) -> float:
    """2 x multiply-adds: forward + weight gradients for every layer, input gradients except
    for the first layer (nobody computes dL/dX)."""
    macs = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2.0 * (3 * sum(macs) - macs[0])


def gemm_peak(threads: int, repeats: int = 5) -> float:
    """Best float32 GEMM rate (GFLOP/s) over square sizes and the workload's own shapes."""
    best = 0.0
    rng = np.random.default_rng(0)
    with threadpool_limits(threads):
        for m, k, n in [(2048, 2048, 2048), (1024, 1024, 1024), (256, 784, 256),
                        (784, 256, 256), (256, 256, 256)]:
            a = rng.random((m, k), dtype=np.float32)
            b = rng.random((k, n), dtype=np.float32)
            out = np.empty((m, n), np.float32)
            np.matmul(a, b, out=out)
            reps = max(3, int(2e9 / (2 * m * k * n)))
            for _ in range(repeats):
                t = time.perf_counter()
                for _ in range(reps):
                    np.matmul(a, b, out=out)
                best = max(best, 2 * m * k * n * reps / (time.perf_counter() - t) / 1e9)
    return best


# Throughput of a long training run: the epochs timed here are a sample of one, and a run long
# enough to repay loading numba's kernels (~0.8 s, paid in the warm-up fit) gets them in the
# default "auto" mode. REGLAB_JIT=0 in the environment measures the NumPy route instead.
os.environ.setdefault("REGLAB_JIT", "1")


def run_reglab_numpy(X, y, Xt, yt, spec, epochs, threads):
    """reglab without the compiled kernels (the NumPy route; the same numbers to rounding)."""
    from reglab.core import _jit

    before = os.environ["REGLAB_JIT"]
    os.environ["REGLAB_JIT"] = "0"
    _jit.reset()
    try:
        return run_reglab(X, y, Xt, yt, spec, epochs, threads)
    finally:
        os.environ["REGLAB_JIT"] = before
        _jit.reset()


def run_reglab_layers(X, y, Xt, yt, spec, epochs, threads):
    """reglab with the compiled kernels but every step through the layers (the fused route of
    reglab.nn._fused, whole epochs in one compiled call for ReLU networks, switched off)."""
    from reglab.nn import _fused

    usable = _fused.usable
    _fused.usable = lambda *a: False
    try:
        return run_reglab(X, y, Xt, yt, spec, epochs, threads)
    finally:
        _fused.usable = usable


def run_reglab(X, y, Xt, yt, spec, epochs, threads, init=None):
    from reglab.models.mlp import MLPClassifier

    m = MLPClassifier(spec["hidden"], activation=spec["activation"], batch_size=spec["batch"],
                      learning_rate=spec["lr"], max_iter=epochs, tol=-np.inf, random_state=0,
                      verbose=False, init=init)
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        m.fit(X, y)
        dt = time.perf_counter() - t
        acc = m.score(Xt, yt)
    return dt, acc


def run_sklearn(X, y, Xt, yt, spec, epochs, threads):
    from sklearn.neural_network import MLPClassifier

    m = MLPClassifier(spec["hidden"], activation=spec["activation"], solver="adam",
                      batch_size=spec["batch"], learning_rate_init=spec["lr"], alpha=0.0,
                      max_iter=epochs, tol=0.0, n_iter_no_change=10**6, random_state=0)
    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        m.fit(X, y)
        dt = time.perf_counter() - t
        acc = m.score(Xt, yt)
    return dt, acc


def run_torch(X, y, Xt, yt, spec, epochs, threads, fused=False):
    """PyTorch as its tutorials write it; ``fused=True`` is ``Adam(fused=True)``, the one-kernel
    multithreaded Adam step (CPU support since 2.4; not the default, which steps each tensor in
    a Python loop of elementwise ops)."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[spec["activation"]]
    sizes = [X.shape[1], *spec["hidden"], int(y.max()) + 1]
    layers = []
    for a, b in zip(sizes[:-2], sizes[1:-1]):
        layers += [torch.nn.Linear(a, b), act()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-2], sizes[-1]))
    opt = torch.optim.Adam(net.parameters(), lr=spec["lr"], **({"fused": True} if fused else {}))
    Xtr, ytr = torch.from_numpy(X), torch.from_numpy(y)
    bs, n = spec["batch"], X.shape[0]
    loss_fn = torch.nn.CrossEntropyLoss()
    t = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            loss = loss_fn(net(Xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    dt = time.perf_counter() - t
    with torch.no_grad():
        acc = float((net(torch.from_numpy(Xt)).argmax(1) == torch.from_numpy(yt)).float().mean())
    return dt, acc


WORKLOADS = {
    "large": {"n": 60000, "d": 784, "k": 10, "hidden": (256, 256), "activation": "relu",
              "batch": 256, "lr": 1e-3},
    "small": {"n": 10000, "d": 20, "k": 2, "hidden": (64, 64), "activation": "tanh",
              "batch": 64, "lr": 1e-3},
}
# reglab from each peer's initialisation scheme (its default matches the activation: He for
# ReLU), so that accuracy is compared from the same starting distribution; the speed is the same
PEERS = {"reglab": run_reglab, "reglab-ginit": partial(run_reglab, init="glorot"),
         "reglab-tinit": partial(run_reglab, init="torch"), "reglab-layers": run_reglab_layers,
         "reglab-numpy": run_reglab_numpy,
         "sklearn": run_sklearn, "torch": run_torch,
         "torch-fused": partial(run_torch, fused=True)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--epochs-large", type=int, default=2)
    ap.add_argument("--epochs-small", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--peers", default="reglab,reglab-ginit,reglab-tinit,reglab-layers,"
                                       "reglab-numpy,sklearn,torch,torch-fused")
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args()
    peers = args.peers.split(",")
    load_before = os.getloadavg()
    peak = gemm_peak(args.threads)
    blas = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '')}"
            for i in threadpool_info() if i.get("user_api") == "blas"]
    report = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
              "threads": args.threads, "gemm_peak_gflops": peak, "blas": blas,
              "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
              "workloads": {}}
    print(f"float32 GEMM peak with {args.threads} threads: {peak:.1f} GFLOP/s  ({blas})")
    for name, spec in WORKLOADS.items():
        epochs = args.epochs_large if name == "large" else args.epochs_small
        X, y = make_data(spec["n"] + 5000, spec["d"], spec["k"], seed=1)
        X, Xt, y, yt = X[:spec["n"]], X[spec["n"]:], y[:spec["n"]], y[spec["n"]:]
        flops = train_flops_per_sample([spec["d"], *spec["hidden"], spec["k"]])
        rows = {}
        times: dict[str, list[float]] = {peer: [] for peer in peers}
        accs: dict[str, float] = {}
        round_peaks: list[float] = []
        # repeats interleaved across peers, so that a burst of load on a shared machine hits
        # every peer's best-of-repeats alike rather than all repeats of one peer; the GEMM peak
        # is measured again in every round, and a peer's fraction of it uses the peak of the
        # round of its best time (this machine's speed drifts by 1.5x within minutes)
        # one untimed warm-up fit per peer on a few batches: one-time costs (imports, reglab's
        # numba kernels loading from their disk cache, ~0.8 s; PyTorch's lazy init) stay out
        warm = slice(0, 4 * spec["batch"])
        for peer in peers:
            PEERS[peer](X[warm], y[warm], Xt[:10], yt[:10], spec, 1, args.threads)
        for r in range(args.repeats):
            round_peaks.append(gemm_peak(args.threads, repeats=2))
            # the peer order rotates from round to round: the fit right after the peak's
            # 2048^3 GEMMs measured up to 25% slower, and no peer should always take that slot
            for peer in peers[r % len(peers):] + peers[:r % len(peers)]:
                dt, accs[peer] = PEERS[peer](X, y, Xt, yt, spec, epochs, args.threads)
                times[peer].append(dt)
        for peer in peers:
            acc = accs[peer]
            best = int(np.argmin(times[peer]))
            sps = epochs * spec["n"] / times[peer][best]
            rows[peer] = {"samples_per_s": sps, "accuracy": acc, "seconds": times[peer][best],
                          "gflops": sps * flops / 1e9,
                          "peak_fraction": sps * flops / 1e9 / round_peaks[best],
                          "round_peak_gflops": round_peaks[best], "seconds_by_round": times[peer]}
        if "reglab" in times:
            # the speed ratio within each round (both fits minutes apart at most), median over
            # rounds: steadier than the ratio of two best-of-repeats on a drifting machine
            for peer in peers:
                rows[peer]["median_round_ratio"] = float(np.median(
                    np.array(times[peer]) / np.array(times["reglab"])))
        report["workloads"][name] = {"spec": {**spec, "hidden": list(spec["hidden"])},
                                     "epochs": epochs, "train_flops_per_sample": flops,
                                     "round_peaks_gflops": round_peaks, "peers": rows}
        print(f"\n{name}: {spec['n']} x {spec['d']}, hidden {spec['hidden']} {spec['activation']},"
              f" batch {spec['batch']}, {epochs} epochs; GEMM peak by round "
              + ", ".join(f"{p:.0f}" for p in round_peaks) + " GFLOP/s")
        print(f"{'peer':<12} {'samples/s':>11} {'vs reglab':>9} {'by round':>9} {'accuracy':>9}"
              f" {'GFLOP/s':>8} {'% peak':>7}")
        base = rows.get("reglab", {}).get("samples_per_s")
        for peer, r in rows.items():
            ratio = f"{base / r['samples_per_s']:.2f}x" if base else "-"
            by_round = f"{r['median_round_ratio']:.2f}x" if "median_round_ratio" in r else "-"
            print(f"{peer:<12} {r['samples_per_s']:>11.0f} {ratio:>9} {by_round:>9} "
                  f"{r['accuracy']:>9.4f} {r['gflops']:>8.1f} {100 * r['peak_fraction']:>6.1f}%")
    report["loadavg_before_after"] = [list(load_before), list(os.getloadavg())]
    print(f"load average (1, 5, 15 min) before {load_before}, after {os.getloadavg()}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}  ('vs reglab' = reglab's best throughput / the peer's best; "
          "'by round' = the median over rounds of the same ratio within a round; reglab-ginit / "
          "-tinit = reglab with init='glorot' (scikit-learn's) / 'torch'; reglab-layers = "
          "without the fused route; reglab-numpy = without the compiled kernels; torch-fused = "
          "PyTorch with Adam(fused=True))")


if __name__ == "__main__":
    main()
