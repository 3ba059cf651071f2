"""The lecture's worked examples, recomputed with reglab.core (printed by ``reglab demo``).

Each example is a row ``(name, reglab's value, the lecture's printed value, comment)``. The
network example is written batch-first: ``H1 = act(X W1^T + b1)`` with ``X`` of shape ``(1, 3)``,
the transpose of the lecture's column convention ``A = W X + b``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["worked_examples", "SIGMOID_NETWORK"]

# The lecture's 3-3-1 sigmoid network: input <0.2, 0.5, -0.9>, every bias 0.1.
SIGMOID_NETWORK = {
    "x": [[0.2, 0.5, -0.9]],
    "W1": [[1.2, 0.9, 0.3], [0.2, 0.3, 0.1], [1.3, 1.9, 0.1]],
    "b1": [0.1, 0.1, 0.1],
    "W2": [[0.2, 0.6, 0.2]],
    "b2": [0.1],
}


def _vec(a: np.ndarray, digits: int = 4) -> str:
    return "[" + ", ".join(f"{v:.{digits}g}" for v in np.ravel(a)) + "]"


def _network() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(a1, h1, out, out_from_lecture_h1)``: pre-activations (1, 3), hidden (1, 3), outputs."""
    from reglab.core.activations import get_activation

    act = get_activation("sigmoid")
    net = {k: np.asarray(v, dtype=float) for k, v in SIGMOID_NETWORK.items()}
    a1 = net["x"] @ net["W1"].T + net["b1"]  # (1, 3)
    h1 = act(a1)

    def head(h: np.ndarray) -> np.ndarray:
        return act(h @ net["W2"].T + net["b2"])  # (1, 1)

    return a1, h1, head(h1), head(np.array([[0.62, 0.63, 0.77]]))


def worked_examples() -> list[tuple[str, str, str, str]]:
    """``[(example, reglab, lecture, comment), ...]`` for the softmax, network and loss examples."""
    from reglab.core.softmax import cross_entropy, softmax

    s1 = softmax(np.array([6.0, -2.0, 3.0]))
    s2 = softmax(np.array([2.0, 3.0, 5.0, 1.0]))
    a1, h1, out, out_lecture = _network()
    p = np.array([0.952, 0.00037, 0.048])
    first, third = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    ce = {(y, b): float(cross_entropy(t, p, base=b))
          for y, t in (("first", first), ("third", third)) for b in (None, 10)}
    return [
        ("softmax([6, -2, 3])", _vec(s1, 4), "[0.952, 0.00037, 0.048]",
         "e^-2 / 423.6 = 0.00032: the lecture's 0.00037 is a slip"),
        ("softmax([2, 3, 5, 1])", _vec(s2, 4), "[0.041, 0.1124, 0.831, 0.0152]", "matches"),
        ("sigmoid network: pre-activations", _vec(a1, 3), "[0.52, 0.55, 1.22]",
         "neuron 2: 0.04 + 0.15 - 0.09 + 0.1 = 0.20; the lecture's 0.55 is sigmoid(0.20)"),
        ("sigmoid network: hidden layer", _vec(h1, 3), "[0.62, 0.63, 0.77]",
         "the lecture applied the sigmoid twice to neuron 2 (sigmoid(0.55) = 0.63)"),
        ("sigmoid network: output", f"{float(out[0, 0]):.4f}", "0.68",
         "the exact forward pass of the stated weights"),
        ("sigmoid network: output from [0.62, 0.63, 0.77]", f"{float(out_lecture[0, 0]):.4f}",
         "0.68", "the lecture's hidden values reproduce its 0.756 -> 0.68"),
        ("cross-entropy, true class 1 (nats)", f"{ce[('first', None)]:.4f}", "-0.021",
         "the lecture used log10 (0.0214) and dropped the minus sign"),
        ("cross-entropy, true class 1 (log10)", f"{ce[('first', 10)]:.4f}", "-0.021",
         "log10 reproduces the lecture's magnitude"),
        ("cross-entropy, true class 3 (nats)", f"{ce[('third', None)]:.4f}", "1.31",
         "reglab reports nats (natural log) everywhere"),
        ("cross-entropy, true class 3 (log10)", f"{ce[('third', 10)]:.4f}", "1.31",
         "-log10(0.048) = 1.319, printed truncated as 1.31"),
    ]
