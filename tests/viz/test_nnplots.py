"""Activation gallery, decision regions and the classifier grid."""

import numpy as np

from reglab.viz import nnplots


def test_activation_gallery_plots_f_and_its_derivative():
    from reglab.core.activations import ACTIVATIONS

    fig = nnplots.activation_gallery()
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(ACTIVATIONS)
    sig = visible[list(ACTIVATIONS).index("sigmoid")]
    x, f = sig.lines[0].get_data()
    _, df = sig.lines[1].get_data()
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(f, s, rtol=1e-12)
    np.testing.assert_allclose(df, s * (1 - s), rtol=1e-10)  # the lecture's s(1 - s)


class _Half:
    """P(class 1) = sigmoid(4 x1): the boundary is the line x1 = 0."""

    classes_ = np.array([0, 1])

    def predict_proba(self, X):
        p = 1 / (1 + np.exp(-4 * X[:, 0]))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (X[:, 0] > 0).astype(int)


def test_grid_proba_and_decision_regions():
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-0.5, 0.5], [0.5, -0.5]])
    y = np.array([0, 1, 0, 1])
    xx, yy, P = nnplots.grid_proba(_Half().predict_proba, X, resolution=11, pad=0.0)
    assert P.shape == (11, 11, 2)
    np.testing.assert_allclose(P[..., 1], 1 / (1 + np.exp(-4 * xx)))
    fig = nnplots.decision_regions({"half": _Half()}, X, y)
    assert fig.axes[0].get_title() == "half (train acc 1.00)"


def test_classifier_grid_reports_held_out_accuracy():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] > 0).astype(int)
    fig = nnplots.classifier_grid({"halfplane": (X, y)},
                                  lambda: {"logistic": LogisticRegression()})
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert len(texts) == 1 and float(texts[0]) >= 0.9
