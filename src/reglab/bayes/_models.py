"""NumPyro models, written in standardised coordinates (imported only once JAX is available).

Every model samples *free real* sites (``ImproperUniform``) in standardised units
``x~ = (x - xbar) / sd(x)``, ``y~ = (y - ybar) / sd(y)`` and adds the prior as a ``factor``
evaluated on the original scale (plus the log-Jacobian where the map is non-linear). Why: NUTS
then adapts on order-one quantities whatever the data units (M-sigma masses are ~1e8), the chains
start from a data-based point, and a user prior on the original intercept still means exactly what
it says (the linear map (a~, b~) -> (alpha, beta) has a constant Jacobian).

Defaults on the standardised scale: a~ ~ N(0, 10), b~_j ~ N(0, 10), sigma~ ~ HalfCauchy(1); latent
mixture means ~ N(0, 2), widths ~ HalfCauchy(1), weights ~ Dirichlet(1); NB alpha ~ HalfCauchy(1).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpyro
import numpyro.distributions as dist
from jax.nn import log_sigmoid, log_softmax, sigmoid
from jax.scipy.linalg import solve_triangular
from jax.scipy.special import logsumexp

from .priors import Prior, Priors

LOG2PI = math.log(2.0 * math.pi)
SCATTER_POWER = {"sd": 1.0, "variance": 2.0, "precision": -2.0}
DISPERSION_POWER = {"alpha": 1.0, "size": -1.0}


def free(name: str, shape: tuple[int, ...] = ()) -> jnp.ndarray:
    """A real-valued site with a flat density; its prior is added separately with ``factor``."""
    return numpyro.sample(name, dist.ImproperUniform(dist.constraints.real, (), shape))


def log_prior(prior: Prior, value: jnp.ndarray) -> jnp.ndarray:
    """Elementwise log density of ``prior`` at ``value``, ``-inf`` outside its support (NumPyro
    does not check supports unless validation is on, and a Uniform would otherwise be flat)."""
    lp = prior.to_numpyro(dist).log_prob(value)
    if prior.support == "interval":
        low, high = prior.params
        lp = jnp.where((value > low) & (value < high), lp, -jnp.inf)
    elif prior.support == "positive":
        lp = jnp.where(value > 0, lp, -jnp.inf)
    return lp


def regression_block(p: int, s: dict, priors: Priors) -> tuple[jnp.ndarray, jnp.ndarray]:
    """Sample (a~, b~) and record ``intercept`` alpha and ``coef`` beta (p,) on the data scale:
    beta = sd(y) b~ / sd(x), alpha = ybar + sd(y) a~ - xbar . beta."""
    a = free("intercept_std")
    b = free("coef_std", (p,))
    beta = s["ysd"] * b / s["xsd"]
    alpha = s["ybar"] + s["ysd"] * a - jnp.dot(s["xbar"], beta)
    std_normal = dist.Normal(0.0, 10.0)
    lp_a = (std_normal.log_prob(a) if priors.intercept is None
            else log_prior(priors.intercept, alpha))
    lp_b = std_normal.log_prob(b) if priors.coef is None else log_prior(priors.coef, beta)
    numpyro.factor("prior_regression", lp_a + jnp.sum(lp_b))
    numpyro.deterministic("intercept", alpha)
    numpyro.deterministic("coef", beta)
    return a, b


def positive_block(name: str, unit: jnp.ndarray, prior: Prior | None, power: float) -> jnp.ndarray:
    """Sample r = log(v~), v = unit * exp(r); the prior sits on q = v**power (sd, variance,
    precision, ...): log p(q) + log|dq/dr| = log p(q) + log|power| + log q. Returns v~."""
    r = free(f"log_{name}_std")
    v_std = jnp.exp(r)
    if prior is None:
        lp = dist.HalfCauchy(1.0).log_prob(v_std) + r
    else:
        log_q = power * (jnp.log(unit) + r)
        lp = log_prior(prior, jnp.exp(log_q)) + math.log(abs(power)) + log_q
    numpyro.factor(f"prior_{name}", lp)
    numpyro.deterministic(name, unit * v_std)
    return v_std


def latent_mixture(p: int, K: int, priors: Priors, s: dict):
    """Prior of the latent true x in standardised units: weights (K,), means (K, p), covariances
    (K, p, p). A fixed Normal ``priors.latent_x`` is one component; otherwise a learned mixture
    whose first-coordinate means are ordered (removes label switching)."""
    if priors.latent_x is not None:
        loc, sd = priors.latent_x.params
        mu = ((loc - s["xbar"]) / s["xsd"])[None, :]
        return jnp.ones(1), mu, jnp.diag((sd / s["xsd"]) ** 2)[None]
    lp = 0.0
    log_w = jnp.zeros(1)
    if K > 1:
        # additive-logistic weights; sum(log w) is the Dirichlet(1) density times the Jacobian
        log_w = log_softmax(jnp.concatenate([jnp.zeros(1), free("mix_logits_std", (K - 1,))]))
        lp = lp + jnp.sum(log_w)
    raw = free("mix_means_std", (K, p))
    first = raw[0, 0] + jnp.concatenate([jnp.zeros(1), jnp.cumsum(jnp.exp(raw[1:, 0]))])
    mu = raw.at[:, 0].set(first)
    lp = lp + jnp.sum(raw[1:, 0]) + jnp.sum(dist.Normal(0.0, 2.0).log_prob(mu))
    r = free("log_mix_sds_std", (K, p))
    tau = jnp.exp(r)
    lp = lp + jnp.sum(dist.HalfCauchy(1.0).log_prob(tau) + r)
    numpyro.factor("prior_latent", lp)
    if p > 1:
        chol = numpyro.sample("mix_corr_chol", dist.LKJCholesky(p, 2.0).expand([K]))
        scaled = tau[:, :, None] * chol
        cov = scaled @ jnp.swapaxes(scaled, -1, -2)
    else:
        cov = (tau**2)[:, :, None]
    numpyro.deterministic("mix_weights", jnp.exp(log_w))
    numpyro.deterministic("mix_means", s["xbar"] + s["xsd"] * mu)
    numpyro.deterministic("mix_sds", s["xsd"] * tau)
    return jnp.exp(log_w), mu, cov


def marginal_loglik(xt, yt, sxx, sxy, syy, a, b, sig, w, mu, T) -> jnp.ndarray:
    """sum_i log sum_k w_k N((x_i, y_i); m_k, V_k + S_i) with the latent x integrated out.

    m_k = (mu_k, a + mu_k . b); V_k = [[T_k, T_k b], [b' T_k, b' T_k b + sig^2]];
    S_i = [[diag(sxx_i), sxy_i], [sxy_i', syy_i]] (measurement errors). Shapes: xt (n, p),
    yt (n,), sxx, sxy (n, p), syy (n,), mu (K, p), T (K, p, p), w (K,).
    """
    if b.shape[0] == 1:
        logn = _bivariate_logpdf(xt[:, 0], yt, sxx[:, 0], sxy[:, 0], syy, a, b[0], sig,
                                 mu[:, 0], T[:, 0, 0])
    else:
        logn = _multivariate_logpdf(xt, yt, sxx, sxy, syy, a, b, sig, mu, T).T
    if w.shape[0] == 1:  # one component: no logsumexp needed
        return jnp.sum(logn)
    return jnp.sum(logsumexp(jnp.log(w)[:, None] + logn, axis=0))


def _bivariate_logpdf(x, y, sxx, sxy, syy, a, b, sig, mu, t) -> jnp.ndarray:
    """p = 1 in closed form, (K, n); x, y, sxx, sxy, syy (n,); mu, t (K,). The points run along
    the last (contiguous) axis: with (n, K) arrays and K = 1, XLA on CPU was 5x slower."""
    c11 = t[:, None] + sxx[None]
    c12 = (t * b)[:, None] + sxy[None]
    c22 = (t * b * b)[:, None] + sig**2 + syy[None]
    r1 = x[None] - mu[:, None]
    r2 = y[None] - (a + mu * b)[:, None]
    det = c11 * c22 - c12**2
    quad = (c22 * r1**2 - 2.0 * c12 * r1 * r2 + c11 * r2**2) / det
    return -0.5 * (quad + jnp.log(det) + 2.0 * LOG2PI)


def _multivariate_logpdf(xt, yt, sxx, sxy, syy, a, b, sig, mu, T) -> jnp.ndarray:
    """General p by a batched Cholesky of the (p+1)x(p+1) covariances: (n, K)."""
    Tb = jnp.einsum("kpq,q->kp", T, b)
    cxx = T[None] + sxx[:, None, :, None] * jnp.eye(b.shape[0])  # (n, K, p, p)
    cxy = Tb[None] + sxy[:, None, :]  # (n, K, p)
    cyy = (Tb @ b)[None] + sig**2 + syy[:, None]  # (n, K)
    rx = xt[:, None, :] - mu[None]  # (n, K, p)
    ry = yt[:, None] - (a + mu @ b)[None]  # (n, K)
    top = jnp.concatenate([cxx, cxy[..., None]], axis=-1)
    bottom = jnp.concatenate([cxy, cyy[..., None]], axis=-1)[..., None, :]
    chol = jnp.linalg.cholesky(jnp.concatenate([top, bottom], axis=-2))
    r = jnp.concatenate([rx, ry[..., None]], axis=-1)[..., None]
    sol = solve_triangular(chol, r, lower=True)[..., 0]
    logdet = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * (jnp.sum(sol**2, axis=-1) + logdet + r.shape[-2] * LOG2PI)


def eiv_marginal_model(xt, yt, sxx, sxy, syy, s, *, p: int, K: int, priors: Priors) -> None:
    """Errors-in-variables regression with the latent true x integrated out analytically."""
    a, b = regression_block(p, s, priors)
    power = SCATTER_POWER[priors.scatter_on]
    sig = positive_block("scatter", s["ysd"], priors.scatter, power)
    w, mu, T = latent_mixture(p, K, priors, s)
    numpyro.factor("loglik", marginal_loglik(xt, yt, sxx, sxy, syy, a, b, sig, w, mu, T))


def _latent_x(xt, xerr_t, s, priors: Priors) -> jnp.ndarray:
    """Latent standardised x = x~ + err~ * z with z ~ N(0, 1): in these coordinates the Gaussian
    measurement density of x is exactly N(z; 0, 1), and the posterior of z is order one whenever the
    errors are informative, the case where a centred latent x is worst for NUTS.

    Covariates are stored transposed, (p, n): points on the contiguous axis (XLA on CPU handles
    (n, 1) arrays several times slower)."""
    p, n = xt.shape
    if priors.latent_x is not None and priors.latent_x.support != "real":
        return _bounded_latent_x(xt, xerr_t, s, priors.latent_x)
    z = numpyro.sample("x_noise", dist.Normal(0.0, 1.0).expand([p, n]).to_event(2))
    xi = xt + xerr_t * z
    if priors.latent_x is not None:
        lp = jnp.sum(log_prior(priors.latent_x, s["xbar"][:, None] + s["xsd"][:, None] * xi))
    else:
        m = free("latent_mean_std", (p,))
        r = free("log_latent_sd_std", (p,))
        tau = jnp.exp(r)
        lp = jnp.sum(dist.Normal(0.0, 2.0).log_prob(m) + dist.HalfCauchy(1.0).log_prob(tau) + r)
        lp = lp + jnp.sum(dist.Normal(m[:, None], tau[:, None]).log_prob(xi))
    numpyro.factor("prior_latent", lp)
    return xi


def _bounded_latent_x(xt, xerr_t, s, prior: Prior) -> jnp.ndarray:
    """Latent x under a bounded prior (Uniform(low, high), or one on (0, inf)), sampled as a free
    u with x_true = low + (high - low) sigmoid(u) (x_true = exp(u)): NUTS never meets the prior's
    wall, where the z of :func:`_latent_x` has log prior -inf and every trajectory that reaches it
    diverges (hundreds of divergences for one observation near or beyond the edge).

    Density in u: log N(x_obs; x_true, x_err) + log prior(x_true) + log |dx_true / du|. A row
    measured exactly (x_err = 0) keeps x_true = x_obs (inside the support, checked before
    sampling); its u, unused, is a standard normal nuisance. ``x_noise`` records
    z = (x_true - x_obs) / x_err, as in the unbounded model. Shapes (p, n)."""
    p, n = xt.shape
    u = free("x_latent_u", (p, n))
    xbar, xsd = s["xbar"][:, None], s["xsd"][:, None]
    if prior.support == "interval":
        low, high = prior.params
        x_true = low + (high - low) * sigmoid(u)
        log_jac = math.log(high - low) + log_sigmoid(u) + log_sigmoid(-u)
    else:
        x_true = jnp.exp(u)
        log_jac = u
    x_obs = xbar + xsd * xt
    err = xsd * xerr_t
    measured = err > 0
    z = jnp.where(measured, (x_true - x_obs) / jnp.where(measured, err, 1.0), 0.0)
    x_true = jnp.where(measured, x_true, x_obs)
    # the prior's density without its support mask: x_true is inside by construction (sigmoid
    # can round to exactly 1 far out in u, where a mask would be a wall again). A row measured
    # exactly does not use its u: a standard normal keeps that u proper (the Jacobian alone
    # would be e^u on (0, inf), improper, and every transition diverged).
    lp = jnp.where(measured, log_jac - 0.5 * z**2, -0.5 * u**2) \
        + prior.to_numpyro(dist).log_prob(x_true)
    numpyro.factor("prior_latent", jnp.sum(lp))
    numpyro.deterministic("x_noise", z)
    return (x_true - xbar) / xsd


def _count_mean(eta, yerr, has_y_err: bool) -> jnp.ndarray:
    """exp(eta), perturbed as in de Souza et al. (2015) when the counts carry errors e_i.

    The paper's eps_i ~ Binomial(2 e_i, 1/2) - e_i is discrete (NUTS cannot sample it); we use the
    continuous eps_i = e_i (2 u_i - 1), u_i ~ Beta(a_i, a_i), a_i = max(e_i - 1/2, 1/2): same
    support [-e_i, e_i], mean 0 and variance e_i / 2 (for e_i >= 1). mu is floored at 1e-6 because
    exp(eta) + eps can cross zero; eta is clipped to [-30, 30] (the paper's JAGS code clips too).
    """
    mu = jnp.exp(jnp.clip(eta, -30.0, 30.0))
    if not has_y_err:
        return mu
    conc = jnp.maximum(yerr - 0.5, 0.5)
    u = numpyro.sample("count_noise", dist.Beta(conc, conc).to_event(1))
    return jnp.maximum(mu + yerr * (2.0 * u - 1.0), 1e-6)


def glm_model(xt, y, xerr_t, yerr, offset, s, *, p: int, family: str, priors: Priors,
              has_x_err: bool, has_y_err: bool) -> None:
    """Bayesian GLM, eta = offset + alpha + x_true . beta, latent x sampled when x carries errors.
    xt, xerr_t: standardised covariates and errors, transposed (p, n); y, yerr, offset (n,)
    (log exposure for counts, else zeros)."""
    a, b = regression_block(p, s, priors)
    xi = _latent_x(xt, xerr_t, s, priors) if has_x_err else xt
    eta = offset + s["ybar"] + s["ysd"] * (a + b @ xi)
    if family == "gaussian":
        sig = s["ysd"] * positive_block("scatter", s["ysd"], priors.scatter,
                                        SCATTER_POWER[priors.scatter_on])
        numpyro.sample("y", dist.Normal(eta, jnp.sqrt(sig**2 + yerr**2)).to_event(1), obs=y)
    elif family == "bernoulli":
        numpyro.sample("y", dist.Bernoulli(logits=eta).to_event(1), obs=y)
    elif family == "poisson":
        numpyro.sample("y", dist.Poisson(_count_mean(eta, yerr, has_y_err)).to_event(1), obs=y)
    else:  # negative_binomial (NB2): variance mu + alpha mu^2, size k = 1 / alpha
        power = DISPERSION_POWER[priors.dispersion_on]
        alpha = positive_block("dispersion", jnp.ones(()), priors.dispersion, power)
        numpyro.deterministic("size", 1.0 / alpha)
        mu = _count_mean(eta, yerr, has_y_err)
        numpyro.sample("y", dist.NegativeBinomial2(mu, 1.0 / alpha).to_event(1), obs=y)
