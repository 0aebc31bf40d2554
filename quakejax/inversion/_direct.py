"""Exact bounded least squares: a primal-dual active-set method on the normal equations.

NumPy/SciPy in float64 whatever JAX's precision: the direct solver is not differentiated
(`_gradient.py` is the JAX path), and its answer is the reference the gradient path is
checked against.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla


def _masked_solve(q, c, free, fixed_value):
    """Solve for the free variables with the others held at `fixed_value`."""
    x = np.where(free, 0.0, fixed_value)
    f = np.flatnonzero(free)
    if f.size:
        rhs = c[f] - q[np.ix_(f, ~free)] @ x[~free]
        x[f] = sla.cho_solve(sla.cho_factor(q[np.ix_(f, f)], check_finite=False), rhs)
    return x


def kkt_residual(q, c, x, lower, upper) -> float:
    """Largest violation of the optimality conditions of `min 1/2 x'Qx - c'x` on the box,
    relative to the size of `c`: the length of the projected-gradient step
    `x - clip(x - g / max diag Q, lower, upper)`, times max diag Q."""
    g = q @ x - c
    h = float(np.max(np.diag(q)))
    step = x - np.clip(x - g / h, lower, upper)
    return float(np.max(np.abs(step)) * h / max(float(np.max(np.abs(c))), 1e-300))


def solve_box_qp(q, c, lower, upper, *, max_iter: int = 50) -> tuple[np.ndarray, int, bool]:
    """Minimise `1/2 x'Qx - c'x` subject to `lower <= x <= upper` (bounds may be +-inf).

    Primal-dual active-set iteration (Bergounioux, Ito & Kunisch 1999, SIAM J. Control
    Optim. 37:1176; Hintermueller, Ito & Kunisch 2002, SIAM J. Optim. 13:865): predict the
    active bounds from the multiplier `g = Qx - c` and the primal point, solve exactly on the
    free set (Cholesky), and repeat until the active set no longer changes, which is then
    the exact solution.  On the well-conditioned, smoothed problems of slip inversion it
    takes a handful of iterations.  If it has not settled after `max_iter` (it can cycle on
    unfavourable matrices), SciPy's bounded-variable least squares finishes the job.

    **Arguments:** `q (n, n)` symmetric positive definite, `c (n,)`, `lower`, `upper (n,)`.

    **Returns:** `(x, iterations, converged)`: `x` satisfies the bounds exactly; `converged`
    is True when the active set settled or the fallback converged.
    """
    q = np.asarray(q, float)
    c = np.asarray(c, float)
    lower = np.broadcast_to(np.asarray(lower, float), c.shape)
    upper = np.broadcast_to(np.asarray(upper, float), c.shape)
    if np.any(lower > upper):
        i = int(np.argmax(lower > upper))
        raise ValueError(f"solve_box_qp: lower[{i}] = {lower[i]} > upper[{i}] = {upper[i]}.")
    diag = np.diag(q).copy()
    fixed = lower == upper
    x = np.clip(_masked_solve(q, c, ~fixed, lower), lower, upper)
    g = q @ x - c
    at_lo = fixed | (g - diag * (x - lower) > 0.0)
    at_hi = ~at_lo & (g + diag * (upper - x) < 0.0)
    for it in range(1, max_iter + 1):
        free = ~(at_lo | at_hi)
        x = _masked_solve(q, c, free, np.where(at_lo, lower, upper))
        g = q @ x - c
        new_lo = fixed | (g - diag * (x - lower) > 0.0)
        new_hi = ~new_lo & (g + diag * (upper - x) < 0.0)
        if np.array_equal(new_lo, at_lo) and np.array_equal(new_hi, at_hi):
            return np.clip(x, lower, upper), it, True
        at_lo, at_hi = new_lo, new_hi
    # The active set did not settle (PDAS can cycle when Q is far from an M-matrix): finish
    # with SciPy's bounded-variable least squares (Stark & Parker 1995) on the equivalent
    # problem min ||R x - R^-T c||^2, Q = R'R, over the variables that are not fixed.
    import scipy.optimize as so

    x = np.clip(x, lower, upper)
    f = ~fixed
    qf = q[np.ix_(f, f)]
    cf = c[f] - q[np.ix_(f, fixed)] @ lower[fixed]
    r = sla.cholesky(qf, lower=False, check_finite=False)
    rhs = sla.solve_triangular(r, cf, trans="T", check_finite=False)
    sol = so.lsq_linear(r, rhs, bounds=(lower[f], upper[f]), method="bvls", tol=1e-12)
    x[f] = np.clip(sol.x, lower[f], upper[f])
    x[fixed] = lower[fixed]
    ok = bool(sol.status > 0) or kkt_residual(q, c, x, lower, upper) < 1e-9
    return x, max_iter + int(sol.nit), ok
