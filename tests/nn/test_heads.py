"""Output heads: every link must keep mu = link^-1(eta) a valid mean for every real eta."""

import numpy as np
import pytest
import statsmodels.api as sm

from reglab import MLPRegressor
from reglab.core.families import get_family
from reglab.nn import DivergenceError, Trainer, build_network, check_gradients, get_head

RNG = np.random.default_rng(5)
X = RNG.normal(size=(40, 3))
Y = RNG.gamma(2.0, np.exp(X[:, 0] / 2))

GAMMA_MSG = ("the gamma family with the inverse link cannot be a network's output: "
             "mu = link^-1(eta) leaves the family's means (mu > 0) for some real eta, which a "
             "network can output; use link='log', e.g. get_family('gamma', link='log')")


def _net(seed=0):
    return build_network(3, (4,), 1, activation="tanh", random_state=seed, dtype="float64")


@pytest.mark.parametrize("name", ["gamma", "inverse_gaussian"])
def test_names_get_the_log_link_everywhere(name):
    assert get_head(name).link.name == "log"
    assert get_head({"name": name}).link.name == "log"
    assert Trainer(_net(), loss=name).head.link.name == "log"
    res = check_gradients(_net(), X[:9], Y[:9], loss=name, alpha=0.1)
    ref = check_gradients(_net(), X[:9], Y[:9], loss=get_family(name, link="log"), alpha=0.1)
    assert res["relative_error"] < 1e-6 and res["relative_error"] == ref["relative_error"]
    assert MLPRegressor(family=name)._head().link.name == "log"


@pytest.mark.parametrize("name", ["gamma", "inverse_gaussian"])
def test_log_link_loss_is_statsmodels_half_mean_deviance(name):
    """Reference: statsmodels' family deviance with its Log link; tolerance 1e-12 relative."""
    net = _net(1)
    trainer = Trainer(net, loss=name)
    mu = np.exp(net.predict_eta(X)[:, 0])
    fam = {"gamma": sm.families.Gamma, "inverse_gaussian": sm.families.InverseGaussian}[name]
    ref = fam(sm.families.links.Log()).deviance(Y, mu) / (2 * len(Y))
    assert trainer.evaluate(X, Y) == pytest.approx(ref, rel=1e-12)


def test_family_object_with_a_partial_link_is_refused_everywhere():
    fam = get_family("gamma")  # canonical inverse link: mu = 1/eta < 0 for eta < 0
    for call in (lambda: get_head(fam), lambda: Trainer(_net(), loss=fam),
                 lambda: check_gradients(_net(), X, Y, loss=fam),
                 lambda: MLPRegressor((4,), family=fam, max_iter=5).fit(X, Y),
                 lambda: get_head("gamma", link="inverse"),
                 lambda: get_head({"name": "gamma", "link": "inverse"})):
        with pytest.raises(ValueError) as err:
            call()
        assert str(err.value) == GAMMA_MSG
    with pytest.raises(ValueError, match="the inverse_gaussian family with the inverse_squared "
                                         "link cannot be a network's output"):
        get_head(get_family("inverse_gaussian"))
    with pytest.raises(ValueError, match=r"poisson family with the identity link .* use "
                                         r"link='log'"):
        get_head(get_family("poisson", link="identity"))
    with pytest.raises(ValueError, match=r"poisson family with the sqrt link"):
        get_head(get_family("poisson", link="sqrt"))  # mu = eta^2 = 0 at eta = 0
    with pytest.raises(ValueError, match=r"gaussian family with the inverse link .* "
                                         r"use link='identity'"):
        get_head(get_family("gaussian", link="inverse"))


@pytest.mark.parametrize("fam", [get_family("gaussian", link="log"),
                                 get_family("binomial", link="probit"),
                                 get_family("binomial", link="cloglog"),
                                 get_family("tweedie", power=0.0),
                                 get_family("negative_binomial", alpha=0.5)])
def test_links_that_reach_only_valid_means_pass(fam):
    assert get_head(fam) is fam


def test_divergence_from_a_mean_outside_its_range_says_so():
    """A head that bypasses get_head (set on the trainer) with mu = 1/eta: the NaN loss comes
    from mu < 0, and the message says so instead of blaming the learning rate."""
    trainer = Trainer(_net(), loss=get_family("gamma", link="log"), optimizer="sgd",
                      learning_rate=1e-3, batch_size=40)
    trainer.head, trainer._fast = get_family("gamma"), None
    with pytest.raises(DivergenceError) as err:
        trainer.fit(X, Y, epochs=3)
    msg = str(err.value)
    assert "The mean left the gamma family's range at eta = -" in msg
    assert "with the inverse link): a smaller learning rate does not fix that" in msg
    assert "Try a smaller learning rate" not in msg
    big = Trainer(_net(), loss="gaussian", optimizer="sgd", learning_rate=1e3, batch_size=40)
    with pytest.raises(DivergenceError, match=r"Try a smaller learning rate \(now 1000.0\)"):
        big.fit(X, Y * 1e3, epochs=300)
