"""What does the aftershock network compute?  Tools to answer it with gradients.

- `idealised_fault`: the test ruptures of the interpretation (uniform slip on one plane).
- `explained_variance`: how much of the network's output one scalar metric explains, both
  linearly and through the best function of the metric (binned means).
- `stress_sensitivity`: d logit / d sigma at every cell (`jax.grad` through the network and
  its input map).
- `integrated_gradients`: attributions of the logit to each stress component along the
  straight path from a baseline stress (zero by default); they sum to the change of logit.
- `invariant_terms` and `stepwise_regression`: a library of functions of the invariants
  (I1, J2, Lode angle) and a greedy sparse regression that picks the few terms that best
  reproduce the network's logit.

Stress in Pa throughout (ENU, tension positive); sensitivities are per Pa.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._fault import EventInfo, FaultModel
from .._types import Array, ArrayLike, Float
from ..stress import invariants, lode_angle


def idealised_fault(kind: str = "strike-slip", *, slip: float = 1.0) -> FaultModel:
    """One uniform-slip rectangle with a geographic origin at (0 E, 0 N).

    `kind`: "strike-slip" (vertical, strike 0, 40 km x 15 km, top at 0.5 km, right-lateral)
    or "thrust" (strike 0, dip 30, 40 km x 20 km, top at 2 km, pure reverse).  `slip` in m.
    """
    if kind == "strike-slip":
        dip, width, top, rake = 90.0, 15e3, 0.5e3, 180.0
    elif kind == "thrust":
        dip, width, top, rake = 30.0, 20e3, 2e3, 90.0
    else:
        raise ValueError(f"kind must be 'strike-slip' or 'thrust', got {kind!r}.")
    d = np.radians(dip)
    centroid = [0.5 * width * np.cos(d), 0.0, -(top + 0.5 * width * np.sin(d))]
    info = EventInfo(
        name=f"idealised {kind}",
        tag=f"IDEAL_{kind.upper()}",
        time="2000-01-01T00:00:00",
        origin=(0.0, 0.0),
        source="quakejax.aftershocks.interpret.idealised_fault",
    )
    return FaultModel.from_rake(
        np.array([centroid]), 0.0, dip, 40e3, width, slip, rake=rake, info=info
    )


def explained_variance(
    output: ArrayLike, metric: ArrayLike, *, bins: int = 50, log: bool = True
) -> dict[str, float]:
    """Share of the variance of `output` explained by `metric` (numpy, per cell).

    - `linear`: squared Pearson correlation of output with the metric (with log10 of the
      metric when `log`, for positive metrics spanning decades).
    - `function`: 1 - var(output - f(metric)) / var(output), where f is the mean of the
      output in each of `bins` quantile bins of the metric (the correlation ratio): how
      much any function of the metric can explain.
    """
    out = np.asarray(output, float).ravel()
    m = np.asarray(metric, float).ravel()
    if out.shape != m.shape or out.size < 2 * bins:
        raise ValueError(
            f"explained_variance: need equal sizes >= {2 * bins}, got {out.size} and {m.size}."
        )
    x = np.log10(np.maximum(m, np.finfo(float).tiny)) if log and (m > 0).all() else m
    var = out.var()
    if var == 0:
        return {"linear": float("nan"), "function": float("nan")}
    r = np.corrcoef(out, x)[0, 1]
    edges = np.unique(np.quantile(x, np.linspace(0, 1, bins + 1)))
    which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    sums = np.bincount(which, weights=out, minlength=len(edges) - 1)
    counts = np.bincount(which, minlength=len(edges) - 1)
    fitted = (sums / np.maximum(counts, 1))[which]
    return {"linear": float(r**2), "function": float(1.0 - np.var(out - fitted) / var)}


def stress_sensitivity(
    model, sigma: Float[ArrayLike, "n 3 3"], context: Float[ArrayLike, "n 3"] | None = None
) -> Float[Array, "n 3 3"]:
    """d logit / d sigma_ij (per Pa) at each cell, for an `AftershockClassifier` `model`
    (a context model takes each cell's `context`, held fixed).

    The gradient is taken with respect to the symmetric tensor as a 3 x 3 array, so an
    off-diagonal pair (ij, ji) together carries the derivative for a change of the
    physical shear component sigma_ij: use `g[ij] + g[ji]`."""
    sigma = jnp.asarray(sigma)
    if context is None:
        return jax.jit(jax.vmap(jax.grad(model.logit)))(sigma)
    return jax.jit(jax.vmap(jax.grad(model.logit)))(sigma, jnp.asarray(context))


def integrated_gradients(
    model,
    sigma: Float[ArrayLike, "n 3 3"],
    baseline: Float[ArrayLike, "3 3"] | None = None,
    *,
    context: Float[ArrayLike, "n 3"] | None = None,
    steps: int = 64,
) -> Float[Array, "n 3 3"]:
    """Integrated gradients (Sundararajan et al. 2017) of the logit, per stress component.

    attribution_ij = (sigma - baseline)_ij * mean over the path of d logit / d sigma_ij,
    with the path integral evaluated by the midpoint rule on `steps` points.  Their sum over
    i, j equals logit(sigma) - logit(baseline) up to the quadrature error.  For a context
    model, each cell's `context` is held fixed along the path (stress attributions only).
    """
    sigma = jnp.asarray(sigma)
    base = jnp.zeros((3, 3), sigma.dtype) if baseline is None else jnp.asarray(baseline)
    alphas = (jnp.arange(steps, dtype=sigma.dtype) + 0.5) / steps
    grad = jax.grad(model.logit)
    if context is None:
        context = jnp.zeros((sigma.shape[0], 3), sigma.dtype)
        with_context = False
    else:
        context = jnp.asarray(context)
        with_context = True

    def one(s, c):
        path = base[None] + alphas[:, None, None] * (s - base)[None]
        if with_context:
            g = jax.vmap(grad, in_axes=(0, None))(path, c)
        else:
            g = jax.vmap(grad)(path)
        return (s - base) * jnp.mean(g, axis=0)

    return jax.jit(jax.vmap(one))(sigma, context)


def invariant_terms(sigma: Float[ArrayLike, "n 3 3"]) -> dict[str, np.ndarray]:
    """A library of candidate terms built from the invariants of `sigma` (Pa), numpy.

    With q = sqrt(3 J2) (von Mises, MPa), p = I1 / 3 (mean stress, MPa, tension positive),
    eta = p / q (pressure ratio) and c = cos(3 theta) (Lode):
    `log_q`, `log_q^2`, `eta`, `eta*log_q`, `c`, `c*log_q`, `abs_p_log` (log10 |p|),
    `log_q^3`.  Terms in log10 because stress changes span many decades.
    """
    sigma = jnp.asarray(sigma)
    i1, j2, _ = invariants(sigma)
    q = np.sqrt(3.0 * np.maximum(np.asarray(j2, float), 0.0)) / 1e6
    p = np.asarray(i1, float) / 3e6
    tiny = 1e-9
    log_q = np.log10(q + tiny)
    eta = p / (q + tiny)
    c = np.cos(3.0 * np.asarray(lode_angle(sigma), float))
    return {
        "log_q": log_q,
        "log_q^2": log_q**2,
        "log_q^3": log_q**3,
        "eta": eta,
        "eta*log_q": eta * log_q,
        "c": c,
        "c*log_q": c * log_q,
        "abs_p_log": np.log10(np.abs(p) + tiny),
    }


def stepwise_regression(
    target: ArrayLike, terms: dict[str, ArrayLike], *, max_terms: int = 5
) -> list[dict]:
    """Greedy forward selection: add, one at a time, the term that most raises R^2.

    Ordinary least squares with an intercept on standardised terms.  Returns one entry per
    step: `{"terms": [...], "r2": ..., "coef": {term: coefficient in the term's units}}`.
    A short list that reaches a high R^2 is a sparse closed form for the target.
    """
    y = np.asarray(target, float).ravel()
    names = list(terms)
    x = np.stack([np.asarray(terms[k], float).ravel() for k in names], axis=1)
    if x.shape[0] != y.size:
        raise ValueError("stepwise_regression: terms and target differ in length.")
    chosen: list[int] = []
    steps = []
    tss = np.sum((y - y.mean()) ** 2)
    for _ in range(min(max_terms, len(names))):
        best = None
        for j in range(len(names)):
            if j in chosen:
                continue
            cols = chosen + [j]
            a = np.c_[np.ones(y.size), x[:, cols]]
            coef, *_ = np.linalg.lstsq(a, y, rcond=None)
            r2 = 1.0 - np.sum((y - a @ coef) ** 2) / tss
            if best is None or r2 > best[0]:
                best = (r2, j, coef)
        r2, j, coef = best
        chosen.append(j)
        steps.append(
            {
                "terms": [names[k] for k in chosen],
                "r2": float(r2),
                "coef": {"intercept": float(coef[0])}
                | {names[k]: float(c) for k, c in zip(chosen, coef[1:], strict=True)},
            }
        )
    return steps
