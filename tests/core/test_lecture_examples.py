"""The lecture's worked examples (seeds 001 and 003), checked exactly and against its rounding.

Where the lecture's printed digits differ from the exact computation, both are tested and the
discrepancy is spelled out (also in docs/core.md).
"""

from __future__ import annotations

import numpy as np

from reglab.core.activations import get_activation
from reglab.core.softmax import cross_entropy, softmax

from ._helpers import asx, npy


def test_softmax_6_m2_3(xp):
    s = npy(softmax(asx(xp, [6.0, -2.0, 3.0])))
    # exact: e^6, e^-2, e^3 = 403.429, 0.135335, 20.0855; sum 423.650
    np.testing.assert_allclose(s, [0.9522698261, 0.0003194509383, 0.0474107229], rtol=1e-9)
    lecture = np.array([0.952, 0.00037, 0.048])
    # 0.952 is right to the printed 3 decimals ...
    assert round(s[0], 3) == lecture[0]
    # ... but 0.00037 is a slip (exact 0.000319) and 0.048 is 0.0474 rounded up (the lecture
    # used the rounded sum 423.5); every printed value is still within 1e-3 of the truth.
    assert round(s[1], 5) == 0.00032 and round(s[2], 3) == 0.047
    np.testing.assert_allclose(s, lecture, atol=1e-3)


def test_softmax_2_3_5_1(xp):
    s = npy(softmax(asx(xp, [2.0, 3.0, 5.0, 1.0])))
    np.testing.assert_allclose(s, [0.04137070, 0.11245721, 0.83095266, 0.01521943], rtol=1e-7)
    # The lecture prints [0.041, 0.1124, 0.831, 0.0152]: 0.041, 0.831 and 0.0152 are correctly
    # rounded, but 0.1124 is truncated (0.112457 rounds to 0.1125); every printed value is within
    # one unit of its last printed digit.
    lecture = [0.041, 0.1124, 0.831, 0.0152]
    for exact, shown in zip(s, lecture):
        decimals = len(repr(shown).split(".")[1])
        assert abs(exact - shown) < 10.0**-decimals
    assert round(s[1], 4) == 0.1125 and [round(s[i], d) for i, d in ((0, 3), (2, 3), (3, 4))] == [
        0.041, 0.831, 0.0152]
    np.testing.assert_allclose(s.sum(), 1.0, rtol=1e-15)


# Three inputs, three sigmoid hidden neurons, one sigmoid output, every bias 0.1 (seed 001).
X = np.array([[0.2, 0.5, -0.9]])  # one sample, batch-first (1, 3)
W_HIDDEN = np.array([[1.2, 0.9, 0.3], [0.2, 0.3, 0.1], [1.3, 1.9, 0.1]]).T  # (inputs, hidden)
W_OUT = np.array([[0.2], [0.6], [0.2]])  # (hidden, 1)


def test_three_input_sigmoid_network_exact(xp):
    sig = get_activation("sigmoid")
    eta_hidden = asx(xp, X) @ asx(xp, W_HIDDEN) + 0.1
    np.testing.assert_allclose(npy(eta_hidden), [[0.52, 0.20, 1.22]], rtol=1e-12)
    h = sig(eta_hidden)
    np.testing.assert_allclose(npy(h), [[0.6271478, 0.5498340, 0.7720636]], rtol=1e-6)
    out = sig(h @ asx(xp, W_OUT) + 0.1)
    np.testing.assert_allclose(npy(out), [[0.6703443]], rtol=1e-6)


def test_three_input_sigmoid_network_as_printed():
    sig = get_activation("sigmoid")
    # The lecture's second neuron: 0.04 + 0.15 - 0.09 + 0.1 = 0.20, printed as 0.55, which is
    # sigmoid(0.20) (a sigmoid applied twice); sigmoid(0.55) = 0.634 is then printed as 0.63.
    assert abs(0.2 * 0.2 + 0.5 * 0.3 - 0.9 * 0.1 + 0.1 - 0.20) < 1e-12
    assert round(float(sig(np.array(0.20))), 2) == 0.55
    assert round(float(sig(np.array(0.55))), 2) == 0.63
    # sigmoid(0.52) = 0.627 is printed truncated as 0.62; sigmoid(1.22) = 0.772 as 0.77.
    # From the printed hidden outputs the output neuron is exactly the lecture's 0.756 -> 0.68:
    h_printed = np.array([[0.62, 0.63, 0.77]])
    eta = h_printed @ W_OUT + 0.1
    np.testing.assert_allclose(eta, [[0.756]], rtol=1e-12)
    out = float(sig(eta)[0, 0])
    assert round(out, 2) == 0.68 and abs(out - 0.6804847) < 1e-6
    # the exact forward pass ends at 0.670, not 0.68
    assert abs(out - 0.6703443) > 0.01


def test_cross_entropy_of_the_softmax_prediction():
    p = np.array([[0.952, 0.00037, 0.048]])
    first, third = np.array([[1.0, 0, 0]]), np.array([[0, 0, 1.0]])
    # reglab: natural logarithm (nats)
    np.testing.assert_allclose(cross_entropy(first, p), [0.0491902], rtol=1e-6)
    np.testing.assert_allclose(cross_entropy(third, p), [3.0365543], rtol=1e-6)
    # the lecture's "0.021" and "1.31" are base-10 logs: -log10 0.952 = 0.02136 (printed with a
    # stray minus sign) and -log10 0.048 = 1.3188 (truncated to 1.31)
    np.testing.assert_allclose(cross_entropy(first, p, base=10), [0.0213630], rtol=1e-5)
    np.testing.assert_allclose(cross_entropy(third, p, base=10), [1.3187588], rtol=1e-6)
    assert round(float(cross_entropy(first, p, base=10)[0]), 3) == 0.021
    assert np.floor(float(cross_entropy(third, p, base=10)[0]) * 100) / 100 == 1.31
