"""Analytic and semi-analytic reference solutions for antiplane viscoelastic relaxation.

These are float64 references in numpy, scipy and mpmath, written independently of the JAX
strain-volume solver of `quakejax.visco`, for its tests and benchmarks. Nothing here is
traced, jitted or differentiated.

**Set-up.** An infinitely long vertical strike-slip fault at x = 0 cuts an elastic layer
(shear modulus mu1, thickness H) over a half-space (modulus mu2, elastic or viscoelastic).
z is depth (m, positive down). The fault slips over 0 < z < D <= H. x is the horizontal
distance from the fault (m). Displacement u and velocity v are along strike, in m and m/s.
Slip b > 0 moves the x > 0 side by +b/2 next to the fault; the plate rate V > 0 moves the
x > 0 plate at +V/2. All solutions are odd in x: for x < 0 the functions return the odd
continuation, and at x = 0 the limit x -> 0+ (u = b/2, v = 0). Engineering shear strain
(sigma = mu gamma); a Maxwell body relaxes its stress with time eta/mu.

**Image series.** With Gamma = (mu1 - mu2)/(mu1 + mu2) and the image kernel
c_n(x) = atan((2nH + D)/x) - atan((2nH - D)/x) = atan2(2Dx, x^2 + 4n^2H^2 - D^2),
the surface displacement is u = (b/pi)[atan(D/x) + sum_{n>=1} Gamma^n c_n(x)] (Rybicki 1971).
By the correspondence principle, replace mu2 by its Laplace-domain modulus mu2(s): for a
Maxwell half-space with mu2(inf) = mu1 = mu, Gamma(s) = 1/(1 + s t_R) with t_R = 2 eta/mu,
twice the Maxwell time; for a Burgers half-space
1/mu2(s) = 1/mu_M + 1/(eta_M s) + 1/(mu_K + eta_K s).

**Numerics.** c_n decays like D x/(2 H^2 n^2), so a slowly converging image sum (|Gamma| near
1) is summed directly up to N0 ~ 10 sqrt(x^2/(4H^2) + Dx/(2H^2)) + 20 and completed with its
asymptotic expansion in 1/n^2 (Hurwitz zeta functions). The relaxed sum (Gamma = 1) also has
the closed form sum_n c_n(x) = atan(tan(pi D/2H)/tanh(pi x/2H)) - atan(D/x), from the
Mittag-Leffler expansion of the period-2H image array.

**References.**
- Rybicki, K. (1971). The elastic residual field of a very long strike-slip fault in the
  presence of a discontinuity. BSSA 61(1), 79-92.
- Nur, A. & Mavko, G. (1974). Postseismic viscoelastic rebound. Science 183, 204-206.
- Savage, J. C. & Prescott, W. H. (1978). Asthenosphere readjustment and the earthquake
  cycle. JGR 83(B7), 3369-3376.
- de Hoog, F. R., Knight, J. H. & Stokes, A. N. (1982). An improved method for numerical
  inversion of Laplace transforms. SIAM J. Sci. Stat. Comput. 3(3), 357-366.
"""

from __future__ import annotations

import math
import warnings

import mpmath
import numpy as np
from scipy import special, stats

__all__ = [
    "burgers_cycle_velocity",
    "burgers_postseismic_displacement",
    "image_kernel",
    "nur_mavko_displacement",
    "rybicki_displacement",
    "savage_prescott_velocity",
]

# numpy.typing.ArrayLike relies on the numeric tower (int, float < complex), which the
# beartype checks of the test suite do not apply; spell the accepted inputs out instead.
ArrayInput = np.ndarray | np.number | float | int | list | tuple
Real = float | int | np.floating | np.integer

# Truncation target of the image sums, relative to atan(D/|x|).
_IMAGE_RTOL = 1e-14
# Orders j of the tail expansion c_n = sum_j g_j n^(-2j); with N0 >= 10 sqrt(|beta| + a),
# the first omitted order is below 1e-12 of the (already small) tail.
_TAIL_ORDER = 6
# Elements per block of the (n, x) work arrays.
_BLOCK = 1 << 18


# ----------------------------------------------------------------------------- helpers


def _check_layer(H, D):
    if not (np.isfinite(H) and H > 0.0):
        raise ValueError(f"layer thickness H must be finite and > 0, got {H}")
    if not (0.0 < D <= H):
        raise ValueError(f"need 0 < D <= H (the fault lies in the layer), got D={D}, H={H}")


def _head(x, D):
    """atan(D/x), odd in x, with its x -> 0+ limit pi/2 at x = 0."""
    return np.where(x < 0.0, -1.0, 1.0) * np.arctan2(D, np.abs(x))


def _kernel_block(n, x, H, D):
    """c_n(x) for n of shape (k,) and x of shape (m,): shape (k, m)."""
    n = np.asarray(n, dtype=np.float64)[:, None]
    return np.arctan2(2.0 * D * x[None, :], x[None, :] ** 2 + 4.0 * n * n * H * H - D * D)


def _unique(a):
    u, inv = np.unique(a.ravel(), return_inverse=True)
    return u, inv.ravel()


def _gather(A, it, C, ix):
    """out[i] = sum_n A[n, it[i]] C[n, ix[i]], through A^T C when that is not wasteful."""
    n_t, n_x = A.shape[1], C.shape[1]
    if n_t * n_x <= 4 * it.size + 1024:
        return (A.T @ C)[it, ix]
    out = np.empty(it.size, dtype=np.result_type(A, C))
    step = max(1, _BLOCK // max(1, A.shape[0]))
    for s in range(0, it.size, step):
        sl = slice(s, s + step)
        out[sl] = np.einsum("ni,ni->i", A[:, it[sl]], C[:, ix[sl]])
    return out


def _tail_start(x, H, D):
    """N0 from which c_n(x) is summed through its expansion in 1/n^2 (same for all x)."""
    xm = float(np.max(np.abs(x))) if np.size(x) else 0.0
    a = D * xm / (2.0 * H * H)
    beta = abs(xm * xm - D * D) / (4.0 * H * H)
    return int(math.ceil(10.0 * math.sqrt(a + beta))) + 20


def _tail_coeffs(x, H, D, order=_TAIL_ORDER):
    """g_j(x), j = 1..order, with c_n(x) = sum_j g_j(x) n^(-2j) + O(n^(-2 order - 2)).

    c_n = atan(w), w = a y/(1 + beta y), y = 1/n^2, a = Dx/(2H^2), beta = (x^2 - D^2)/(4H^2):
    a power series in y, composed with the series of atan.
    """
    a = D * x / (2.0 * H * H)
    beta = (x * x - D * D) / (4.0 * H * H)
    w = np.zeros((order + 1,) + np.shape(x))
    for j in range(1, order + 1):
        w[j] = a * (-beta) ** (j - 1)
    w2 = _series_mul(w, w, order)
    out = w.copy()
    power = w
    for m in range(1, order // 2 + 1):
        power = _series_mul(power, w2, order)
        out = out + (-1.0) ** m * power / (2 * m + 1)
    return out[1:]


def _series_mul(p, q, order):
    """Truncated product of two power series (coefficients along axis 0)."""
    r = np.zeros(np.broadcast_shapes(p.shape, q.shape), dtype=np.result_type(p, q))
    for i in range(order + 1):
        r[i:] += p[i] * q[: order + 1 - i]
    return r


def _series_div(p, q, order):
    """Truncated quotient p/q of two power series with q[0] != 0."""
    r = np.zeros(np.broadcast_shapes(p.shape, q.shape), dtype=np.result_type(p, q))
    for k in range(order + 1):
        acc = p[k] - sum(q[i] * r[k - i] for i in range(1, k + 1))
        r[k] = acc / q[0]
    return r


def _power_tail_sums(G, N0, order, rtol):
    """L_j = sum_{n > N0} G^n n^(-2j), j = 1..order, for a scalar |G| <= 1."""
    s = 2.0 * np.arange(1, order + 1)
    if G == 1.0:
        return special.zeta(s, N0 + 1.0)
    if G == -1.0:
        # Alternating Hurwitz sum: pair the terms by parity.
        sign = -1.0 if (N0 + 1) % 2 else 1.0
        return sign * 2.0**-s * (special.zeta(s, (N0 + 1) / 2.0) - special.zeta(s, (N0 + 2) / 2.0))
    absG = abs(G)
    n_end = N0 + _geometric_terms(absG, rtol * (N0 + 1.0) ** -2)
    out = np.zeros(order, dtype=np.result_type(G, 1.0))
    for start in range(N0 + 1, n_end + 1, _BLOCK):
        n = np.arange(start, min(start + _BLOCK, n_end + 1), dtype=np.float64)
        g = np.exp(n * np.log(G + 0j)) if np.iscomplexobj(G) else np.sign(G) ** n * absG**n
        out = out + (g[None, :] * n[None, :] ** -s[:, None]).sum(axis=1)
    return out


def _geometric_terms(absG, rtol):
    """Smallest N with 2 |G|^(N+1)/(1 - |G|) <= rtol (c_n <= 2 atan(D/x) for n >= 1)."""
    if absG == 0.0:
        return 0
    if absG >= 1.0:
        return np.iinfo(np.int64).max
    return max(1, int(math.ceil(math.log(rtol * (1.0 - absG) / 2.0) / math.log(absG))))


def _image_direct(G, x, H, D, N):
    """sum_{n=1}^{N} G^n c_n(x), G a scalar (real or complex)."""
    acc = np.zeros(x.shape, dtype=np.result_type(G, 1.0))
    step = max(1, _BLOCK // max(1, x.size))
    for start in range(1, N + 1, step):
        n = np.arange(start, min(start + step, N + 1))
        acc = acc + np.power(G, n) @ _kernel_block(n, x, H, D)
    return acc


def _image_sum(G, x, H, D, n_terms=None, rtol=_IMAGE_RTOL):
    """R(G, x) = sum_{n>=1} G^n c_n(x) for a scalar |G| <= 1 and x of shape (m,).

    Direct sum while the geometric bound needs few terms; otherwise N0 direct terms and
    the expansion of the tail in 1/n^2. Error <= rtol atan(D/|x|) plus rounding.
    """
    if n_terms is not None:
        return _image_direct(G, x, H, D, int(n_terms))
    if G == 0:
        return np.zeros(x.shape, dtype=np.result_type(G, 1.0))
    N0 = _tail_start(x, H, D)
    Ng = _geometric_terms(abs(G), rtol)
    if Ng <= N0:
        return _image_direct(G, x, H, D, Ng)
    g = _tail_coeffs(x, H, D)
    L = _power_tail_sums(G, N0, _TAIL_ORDER, rtol)
    return _image_direct(G, x, H, D, N0) + np.tensordot(L, g, axes=(0, 0))


def _relaxed_image_sum(x, H, D):
    """sum_{n>=1} c_n(x) in closed form (Gamma = 1), odd in x."""
    q = 0.5 * np.pi * D / H
    ax = np.abs(x)
    total = np.arctan2(np.sin(q), np.cos(q) * np.tanh(0.5 * np.pi * ax / H))
    return np.where(x < 0.0, -1.0, 1.0) * (total - np.arctan2(D, ax))


def _relaxed_tail(x, H, D, N):
    """sum_{n > N} c_n(x) for N >= _tail_start(x, H, D)."""
    s = 2.0 * np.arange(1, _TAIL_ORDER + 1)
    return np.tensordot(special.zeta(s, N + 1.0), _tail_coeffs(x, H, D), axes=(0, 0))


# ----------------------------------------------------------------------------- elastic


def image_kernel(x: ArrayInput, n: ArrayInput, *, H: Real, D: Real) -> np.ndarray:
    """Image kernel c_n(x) of the layered antiplane problem.

    **Arguments:**

    - `x`: horizontal distance from the fault (m), any shape; broadcast against `n`.
    - `n`: image order (integer >= 0), broadcast against `x`.
    - `H`: layer thickness (m).
    - `D`: locking or rupture depth (m), 0 < D <= H.

    **Returns:**

    c_n(x) = atan((2nH + D)/x) - atan((2nH - D)/x) = atan2(2Dx, x^2 + 4n^2H^2 - D^2)
    (radians), the angle subtended at (x, 0) by the n-th pair of images of the fault
    (odd in x; c_0 = 2 atan(D/x)). Rybicki (1971).
    """
    _check_layer(H, D)
    x = np.asarray(x, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    return np.arctan2(2.0 * D * x, x * x + 4.0 * n * n * H * H - D * D)


def rybicki_displacement(
    x: ArrayInput,
    *,
    H: Real,
    D: Real,
    slip: Real,
    mu1: Real,
    mu2: Real,
    n_terms: int | None = None,
) -> np.ndarray:
    """Coseismic (elastic) surface displacement of a strike-slip fault in a layer over a half-space.

    u(x) = (b/pi)[atan(D/x) + sum_{n>=1} Gamma^n c_n(x)], Gamma = (mu1 - mu2)/(mu1 + mu2).

    **Arguments:**

    - `x`: distance from the fault (m), any shape (odd continuation for x < 0).
    - `H`, `D`: layer thickness and rupture depth (m), 0 < D <= H.
    - `slip`: slip b (m) over 0 < z < D.
    - `mu1`, `mu2`: shear moduli of the layer and the half-space (Pa); mu2 = 0 is a free
      base (Gamma = 1), mu2 = inf a rigid one (Gamma = -1).
    - `n_terms`: number of images; None chooses it (see below).

    **Returns:**

    u (m), the shape of `x`.

    With `n_terms=None` the truncation error is below 1e-14 (b/pi) atan(D/|x|) (c_n <= 2
    atan(D/x) bounds the geometric tail). For |Gamma| near 1 (more than N0 terms needed,
    N0 ~ 10 x/(2H) + 20), the sum runs directly to N0 and the rest comes from the
    expansion c_n = sum_j g_j(x) n^(-2j) (6 orders; Hurwitz zeta functions for
    |Gamma| = 1), accurate to ~1e-15 relative: the float64 rounding of the sum dominates.
    Rybicki (1971), BSSA 61(1), 79-92.
    """
    _check_layer(H, D)
    x = np.asarray(x, dtype=np.float64)
    if not (mu1 > 0.0 and np.isfinite(mu1) and mu2 >= 0.0):
        raise ValueError(f"need mu1 > 0 finite and mu2 >= 0, got mu1={mu1}, mu2={mu2}")
    G = -1.0 if np.isinf(mu2) else (mu1 - mu2) / (mu1 + mu2)
    xu, ix = _unique(x)
    R = _image_sum(G, xu, H, D, n_terms)
    return np.asarray((slip / np.pi) * (_head(x, D) + R[ix].reshape(x.shape)))


# ----------------------------------------------------------------------------- Maxwell


def nur_mavko_displacement(
    x: ArrayInput,
    t: ArrayInput,
    *,
    H: Real,
    D: Real,
    slip: Real,
    mu: Real,
    eta: Real,
    n_terms: int | None = None,
) -> np.ndarray:
    """Postseismic surface displacement over a Maxwell half-space (Nur & Mavko 1974).

    u(x, t) = (b/pi)[atan(D/x) + sum_{n>=1} P_n(t/t_R) c_n(x)], t_R = 2 eta/mu,
    P_n(tau) = scipy.special.gammainc(n, tau) (regularised lower incomplete gamma): the
    inverse Laplace transform of Gamma(s)^n/s with Gamma(s) = 1/(1 + s t_R). The layer and
    the half-space have the same instantaneous modulus mu.

    **Arguments:**

    - `x`: distance from the fault (m); `t`: time since the rupture (s), t >= 0 (np.inf
      allowed: the fully relaxed state). Broadcast together.
    - `H`, `D`: layer thickness and rupture depth (m), 0 < D <= H.
    - `slip`: slip b (m); `mu`: shear modulus (Pa); `eta`: half-space viscosity (Pa s).
    - `n_terms`: number of images; None chooses it.

    **Returns:**

    u (m), the broadcast shape of `x` and `t`. u(x, 0) = (b/pi) atan(D/x), and u tends to
    the relaxed Rybicki solution (Gamma = 1) as t -> inf.

    With `n_terms=None` the error is below 1e-13 b. P_n(tau) < 1e-30 for
    n > tau + 12 sqrt(tau) + 40, which ends the sum. When that is more than
    max(N0, 4000) terms (tau >~ 3000), the sum is rewritten as
    sum_n c_n - sum_n Q_n c_n (Q_n = 1 - P_n): the first is the closed form minus the
    asymptotic tail beyond the window, the second runs over the window
    |n - tau| < 12 sqrt(tau) + 40 only (Q_n < 1e-30 below it), so the cost grows like
    sqrt(tau). Nur & Mavko (1974), Science 183, 204-206.
    """
    _check_layer(H, D)
    x, t = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64))
    if np.any(t < 0.0) or np.any(np.isnan(t)):
        raise ValueError("t must be >= 0 (time since the rupture)")
    tau = t / (2.0 * eta / mu)
    xu, ix = _unique(x)
    tu, it = _unique(tau)
    S = np.zeros((xu.size, tu.size))
    if n_terms is not None:
        n = np.arange(1, int(n_terms) + 1)
        S = _kernel_block(n, xu, H, D).T @ special.gammainc(n[:, None], tu[None, :])
    else:
        N0 = _tail_start(xu, H, D)
        n_hi = np.ceil(tu + 12.0 * np.sqrt(tu) + 40.0)
        direct = np.isfinite(tu) & (n_hi <= max(N0, 4000))
        if np.any(direct & (tu > 0.0)):
            N = int(n_hi[direct].max())
            step = max(1, _BLOCK // max(xu.size, int(direct.sum())))
            acc = np.zeros((xu.size, int(direct.sum())))
            for start in range(1, N + 1, step):
                n = np.arange(start, min(start + step, N + 1))
                P = special.gammainc(n[:, None], tu[direct][None, :])
                acc += _kernel_block(n, xu, H, D).T @ P
            S[:, direct] = acc
        relaxed = _relaxed_image_sum(xu, H, D)
        for k in np.flatnonzero(~direct):
            if np.isinf(tu[k]):
                S[:, k] = relaxed
                continue
            hi = int(n_hi[k])
            lo = max(1, int(tu[k] - 12.0 * math.sqrt(tu[k]) - 40.0))
            window = np.zeros(xu.size)
            step = max(1, _BLOCK // max(1, xu.size))
            for start in range(lo, hi + 1, step):
                n = np.arange(start, min(start + step, hi + 1))
                window += special.gammaincc(n, tu[k]) @ _kernel_block(n, xu, H, D)
            S[:, k] = relaxed - _relaxed_tail(xu, H, D, hi) - window
    return np.asarray((slip / np.pi) * (_head(x, D) + S[ix, it].reshape(x.shape)))


def _sp_n_terms(tau0, xu, H, D, tol):
    """Smallest N with max_x c_{N+1}(x) * B(N) <= tol, B(N) >= sum_{n>N} |C_n - 1|.

    From the Poisson form C_n(tau) = sum_m (1 + i w_m)^(-n) exp(i w_m tau), w_m = 2 pi m/tau0:
    |C_n - 1| <= 2 sum_{m>=1} r_m^n, r_m = |1 + i w_m|^-1, so B(N) = 2 sum_m r_m^(N+1)/(1 - r_m);
    c_n(x) decreases with n.
    """
    M = 20000
    lr = -0.5 * np.log1p((2.0 * np.pi * np.arange(1, M + 1) / tau0) ** 2)  # log r_m
    inv = 1.0 / -np.expm1(lr)
    ax = np.abs(xu)

    def err(N):
        c = float(np.max(_kernel_block([N + 1], ax, H, D))) if ax.size else 0.0
        # Beyond M: r_m <= tau0/(2 pi m) and 1/(1 - r_m) <= 1/(1 - r_M), integral bound.
        log_rest = (N + 1) * math.log(tau0 / (2.0 * np.pi)) - N * math.log(M) - math.log(N)
        bound = np.exp((N + 1) * lr) @ inv + math.exp(min(log_rest, 700.0)) * inv[-1]
        return c * 2.0 * bound

    lo, hi = 0, 1
    while err(hi) > tol:
        lo, hi = hi, 2 * hi
        if hi > 10**7:
            raise ValueError(f"tau0 = {tau0} needs more than 1e7 images")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if err(mid) > tol else (lo, mid)
    return hi


def _sp_c_minus_one(N, tau, tau0, k_terms):
    """C_n(tau) - 1 for n = 1..N (rows) and the values tau (columns), by the k-sum.

    C_n = tau0 sum_{k>=0} y_k^(n-1) exp(-y_k)/(n-1)!, y_k = tau + k tau0, evaluated in log
    space. For each n the k-sum stops where y > Q^-1(n, 1e-17) + tau0: what is left is
    below tau0 sum pdf <= Q(n, y - tau0) <= 1e-17 (the Gamma(n) density decreases there).
    """
    n_all = np.arange(1, N + 1)
    if k_terms is None:
        y_max = special.gammainccinv(n_all, 1e-17) + tau0
        K_all = np.maximum(1, np.ceil((y_max - tau.min()) / tau0).astype(np.int64) + 1)
    else:
        K_all = np.full(N, int(k_terms))
    y = tau[None, :] + tau0 * np.arange(int(K_all.max()), dtype=np.float64)[:, None]
    # y = 0 only at tau = k = 0: there y^(n-1) is 1 for n = 1 and 0 otherwise, which the
    # floor 1e-300 reproduces ((n-1) log y -> 0 or <= -690) without 0 * log 0.
    logy = np.log(np.maximum(y, 1e-300))
    out = np.empty((N, tau.size))
    start = 0
    while start < N:
        # Rows share the k-range of their last (largest) n: keep blocks within _BLOCK.
        stop = start + 1
        while stop < N and (stop + 1 - start) * K_all[stop] * tau.size <= _BLOCK:
            stop += 1
        K = int(K_all[stop - 1])
        n = n_all[start:stop, None, None].astype(np.float64)
        logterm = (n - 1.0) * logy[None, :K] - y[None, :K] - special.gammaln(n)
        out[start:stop] = tau0 * np.exp(logterm).sum(axis=1) - 1.0
        start = stop
    return out


def savage_prescott_velocity(
    x: ArrayInput,
    t: ArrayInput,
    *,
    H: Real,
    D: Real,
    T: Real,
    V: Real,
    mu: Real,
    eta: Real,
    n_terms: int | None = None,
    k_terms: int | None = None,
) -> np.ndarray:
    """Cycle-invariant interseismic velocity over a Maxwell half-space (Savage & Prescott 1978).

    Ruptures of slip V T over 0 < z < D repeat every T; below D the fault creeps steadily
    at the plate rate V. With tau = mu t/(2 eta) and tau0 = mu T/(2 eta):

    v(x, t) = (V/pi)[atan(x/D) + sum_{n>=1} (C_n(tau) - 1) c_n(x)],
    C_n(tau) = tau0/(n-1)! sum_{k>=0} exp(-(tau + k tau0)) (tau + k tau0)^(n-1),

    i.e. C_n = T sum_k p_n(t + kT), with p_n = t^(n-1) exp(-t/t_R)/(t_R^n (n-1)!) the inverse
    Laplace transform of Gamma(s)^n. The layer and half-space share the modulus mu.

    **Arguments:**

    - `x`: distance from the fault (m); `t`: time since the last rupture (s), reduced
      modulo T into [0, T) (t = 0 is just after the rupture). Broadcast together.
    - `H`, `D`: layer thickness and locking depth (m), 0 < D <= H.
    - `T`: recurrence interval (s); `V`: full plate rate (m/s).
    - `mu`: shear modulus (Pa); `eta`: half-space viscosity (Pa s).
    - `n_terms`, `k_terms`: fixed truncations of the image and k sums; None chooses them.

    **Returns:**

    v (m/s), the broadcast shape of `x` and `t`. v -> V/2 as x -> inf, and v averages to
    (V/pi) atan(x/D) over a cycle.

    With the defaults the error is below 1e-12 V (measured: <= 6e-13 V against
    `burgers_cycle_velocity`, an independent Fourier route, for tau0 = 0.01 to 50): N is the
    smallest order for which max_x c_{N+1}(x) * 2 sum_m r_m^(N+1)/(1 - r_m) <= 1e-12 pi (a
    bound on the omitted images from the Poisson form of C_n, r_m = |1 + 2 pi i m/tau0|^-1),
    and each k-sum is cut 1e-17 from its end. The terms are evaluated in log space
    (gammaln), vectorised over k, n and t; cost ~ N * K * n_t with N = 3 (tau0 = 0.01),
    34 (tau0 = 4), ~2200 (tau0 = 50) for x up to 10 H, and
    K ~ (N + 10 sqrt N + 40)/tau0; 100 x 50 points at tau0 = 4 take ~3.5 ms of one CPU core.
    Savage & Prescott (1978), JGR 83(B7), 3369-3376.
    """
    _check_layer(H, D)
    if not (T > 0.0 and mu > 0.0 and eta > 0.0 and np.isfinite(eta)):
        raise ValueError("need T > 0, mu > 0 and 0 < eta < inf")
    x, t = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64))
    tau0 = mu * T / (2.0 * eta)
    tau = np.mod(t, T) / T * tau0
    xu, ix = _unique(x)
    tu, it = _unique(tau)
    N = int(n_terms) if n_terms is not None else _sp_n_terms(tau0, xu, H, D, 1e-12 * np.pi)
    cm1 = _sp_c_minus_one(N, tu, tau0, k_terms)
    c = _kernel_block(np.arange(1, N + 1), xu, H, D)
    S = _gather(cm1, it, c, ix).reshape(x.shape)
    return np.asarray((V / np.pi) * (np.arctan(x / D) + S))


# ----------------------------------------------------------------------------- Burgers


def _check_burgers(layer_mu, mu_M, eta_M, mu_K, eta_K):
    if not (0.0 < layer_mu < np.inf and 0.0 < mu_M < np.inf):
        raise ValueError("layer_mu and mu_M must be finite and > 0")
    if not (eta_M > 0.0 and mu_K > 0.0):
        raise ValueError("eta_M and mu_K must be > 0 (np.inf switches the element off)")
    if np.isfinite(mu_K) and not eta_K > 0.0:
        raise ValueError("eta_K must be > 0 when mu_K is finite")
    return np.isfinite(mu_K) and np.isfinite(eta_K)


def burgers_postseismic_displacement(
    x: ArrayInput,
    t: ArrayInput,
    *,
    H: Real,
    D: Real,
    slip: Real,
    layer_mu: Real,
    mu_M: Real,
    eta_M: Real,
    mu_K: Real,
    eta_K: Real,
    n_terms: int | None = None,
    dps: int = 30,
) -> np.ndarray:
    """Postseismic surface displacement over a Burgers half-space, by numerical Laplace inversion.

    u(x, t) = L^-1[F](t), F(s) = (b/pi)(1/s)[atan(D/x) + sum_{n>=1} Gamma(s)^n c_n(x)],
    Gamma(s) = (mu1 - mu2(s))/(mu1 + mu2(s)),
    1/mu2(s) = 1/mu_M + 1/(eta_M s) + 1/(mu_K + eta_K s)
    (correspondence principle applied to Rybicki's image series, summed inside F). F is
    inverted along the Bromwich line with mpmath.invertlaplace(method="dehoog") at `dps`
    digits, one point at a time: meant for a handful of points.

    **Arguments:**

    - `x`: distance from the fault (m); `t`: time since the rupture (s), t >= 0; broadcast.
    - `H`, `D`: layer thickness and rupture depth (m), 0 < D <= H.
    - `slip`: slip b (m). `layer_mu`: layer modulus mu1 (Pa).
    - `mu_M`, `eta_M`: Maxwell spring (Pa) and dashpot (Pa s); eta_M = inf gives a standard
      linear solid. `mu_K`, `eta_K`: Kelvin-Voigt element; mu_K = inf gives a Maxwell body.
      mu_M may differ from layer_mu.
    - `n_terms`: images summed inside F; None (default) sums until |Gamma(s)|^n < 10^-dps,
      which stays exact at late times, where |Gamma(s)| -> 1 on the de Hoog abscissa
      (Re s ~ 22/t for dps = 30). A fixed 60 is exact only while |Gamma(s)| <~ 0.3 there
      (t <~ 10 t_R for a Maxwell body).
    - `dps`: working decimal digits of mpmath.

    **Returns:**

    u (m), the broadcast shape. At t = 0 it is the coseismic Rybicki solution with
    mu2 = mu_M (the instantaneous modulus).

    Accuracy: with dps = 30 the inversion agrees with Nur & Mavko (mu_K = inf,
    mu_M = layer_mu) to ~1e-16 b, i.e. to float64 rounding. de Hoog, Knight & Stokes
    (1982); Rybicki (1971); Nur & Mavko (1974).
    """
    _check_layer(H, D)
    kelvin = _check_burgers(layer_mu, mu_M, eta_M, mu_K, eta_K)
    x, t = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64))
    if np.any(t < 0.0) or not np.all(np.isfinite(t)):
        raise ValueError("t must be finite and >= 0 (time since the rupture)")
    out = np.empty(x.shape)
    flat_x, flat_t, flat_out = x.ravel(), t.ravel(), out.reshape(-1)
    with mpmath.workdps(dps):
        mu1, muM = mpmath.mpf(layer_mu), mpmath.mpf(mu_M)
        etaM = mpmath.mpf(eta_M) if np.isfinite(eta_M) else None
        muK, etaK = (mpmath.mpf(mu_K), mpmath.mpf(eta_K)) if kelvin else (None, None)
        eps = mpmath.mpf(10) ** (-dps)
        Hm, Dm = mpmath.mpf(H), mpmath.mpf(D)

        def gamma(s):
            inv = 1 / muM
            if etaM is not None:
                inv += 1 / (etaM * s)
            if muK is not None:
                inv += 1 / (muK + etaK * s)
            mu2 = 1 / inv
            return (mu1 - mu2) / (mu1 + mu2)

        for i, (xi, ti) in enumerate(zip(flat_x, flat_t, strict=True)):
            if ti == 0.0:
                flat_out[i] = rybicki_displacement(
                    xi, H=H, D=D, slip=slip, mu1=layer_mu, mu2=mu_M
                ).item()
                continue
            xm, sign = mpmath.mpf(abs(xi)), (-1.0 if xi < 0 else 1.0)
            head = mpmath.atan2(Dm, xm)
            kernel = []  # c_n(|x|), grown on demand and shared by all abscissae

            def c(n, xm=xm, kernel=kernel):
                while len(kernel) < n:
                    k = len(kernel) + 1
                    kernel.append(mpmath.atan2(2 * Dm * xm, xm**2 + 4 * k * k * Hm**2 - Dm**2))
                return kernel[n - 1]

            def F(s, head=head, c=c):
                G = gamma(s)
                acc, g, n = head, mpmath.mpf(1), 0
                while True:
                    n += 1
                    g *= G
                    acc += g * c(n)
                    if n_terms is not None:
                        if n >= n_terms:
                            break
                    elif abs(g) < eps or n > 10**6:
                        break
                return acc / s

            val = mpmath.invertlaplace(F, mpmath.mpf(ti), method="dehoog")
            flat_out[i] = sign * (slip / np.pi) * float(val)
    return out


def _burgers_gamma_scaled(sp, T, layer_mu, mu_M, eta_M, mu_K, eta_K, kelvin):
    """Gamma at s = sp/T (sp dimensionless, complex), via J = mu1/mu2: Gamma = (J-1)/(J+1)."""
    J = layer_mu / mu_M + 0j * sp
    if np.isfinite(eta_M):
        J = J + layer_mu * T / (eta_M * sp)
    if kelvin:
        J = J + layer_mu * T / (mu_K * T + eta_K * sp)
    return (J - 1.0) / (J + 1.0)


def _burgers_rates(T, layer_mu, mu_M, eta_M, mu_K, eta_K, kelvin):
    """Magnitudes of the singular points of R(Gamma(s')) (s' = sT), all on s' <= 0.

    Poles of Gamma (J = -1) and the points where Gamma = 1 (mu2 = 0: s' = 0 with a
    Maxwell dashpot, s' = -mu_K T/eta_K with a Kelvin element).
    """
    A = layer_mu / mu_M + 1.0
    Bm = layer_mu * T / eta_M if np.isfinite(eta_M) else 0.0
    rates = [0.0]
    if kelvin:
        kap, Kc = mu_K * T / eta_K, layer_mu * T / eta_K
        rates.append(kap)
        rates.extend(np.abs(np.roots([A, A * kap + Bm + Kc, Bm * kap])))
    elif Bm > 0.0:
        rates.append(Bm / A)
    return float(max(rates))


def _image_sum_many(Gs, x, H, D, rtol=_IMAGE_RTOL):
    """R(G_i, x_j) for complex |G_i| < 1 (shape (k,)) and x (shape (m,)): shape (k, m)."""
    out = np.zeros((Gs.size, x.size), dtype=complex)
    Ng = np.array([_geometric_terms(abs(G), rtol) for G in Gs])
    N0 = _tail_start(x, H, D)
    n_direct = np.minimum(Ng, N0)
    N = int(n_direct.max()) if Gs.size else 0
    step = max(1, _BLOCK // max(1, x.size, Gs.size))
    for start in range(1, N + 1, step):
        n = np.arange(start, min(start + step, N + 1))
        w = np.power(Gs[:, None], n[None, :])
        w[n[None, :] > n_direct[:, None]] = 0.0
        out += w @ _kernel_block(n, x, H, D)
    slow = np.flatnonzero(Ng > N0)
    if slow.size:
        g = _tail_coeffs(x, H, D)
        for i in slow:
            out[i] += np.tensordot(_power_tail_sums(Gs[i], N0, _TAIL_ORDER, rtol), g, (0, 0))
    return out


def burgers_cycle_velocity(
    x: ArrayInput,
    t: ArrayInput,
    *,
    H: Real,
    D: Real,
    T: Real,
    V: Real,
    layer_mu: Real,
    mu_M: Real,
    eta_M: Real,
    mu_K: Real,
    eta_K: Real,
    order: int = 24,
    tol: float = 1e-12,
) -> np.ndarray:
    """Cycle-invariant interseismic surface velocity over a Burgers half-space.

    Ruptures of slip V T over 0 < z < D every T, steady creep at V below D. By the
    correspondence principle (the impulse response of image n is p_n = L^-1[Gamma(s)^n],
    whose instantaneous part Gamma(inf)^n delta(t) falls at the ruptures):

    v = (V/pi)[atan(x/D) + sum_n c_n(x) (T sum_{k>=0} p_n(t + kT) - Gamma(0)^n)]
      = (V/pi)[atan(x/D) - R(Gamma_inf) + sum_{m != 0} F_m exp(i w_m t)],

    by Poisson summation, with R(G) = sum_n G^n c_n(x) (the image series summed first),
    F_m = R(Gamma(i w_m)) - R(Gamma_inf), w_m = 2 pi m/T; the m = 0 terms cancel against
    Gamma(0)^n. For a Maxwell half-space with mu_M = layer_mu this is Savage & Prescott
    (1978): T sum_k p_n(t + kT) = C_n(tau).

    The Fourier series converges like 1/m (the response jumps at t = 0), so the expansion
    of F in w = 1/(s' + a) (s' = sT, a = max(2 pi, rho/2), rho the largest |s'| at which
    R(Gamma) is singular) is subtracted to `order` terms, and added back through its exact
    periodic inverse: sum_m (a/(2 pi i m + a))^j exp(2 pi i m t/T) =
    a sum_{k>=0} Poisson_pmf(j - 1; a (t/T + k)). What remains decays like
    (a/|2 pi m + a|)^(order+1); the number of harmonics is chosen so that it is below
    `tol`, then checked on the computed terms.

    **Arguments:**

    - `x`: distance from the fault (m); `t`: time since the last rupture (s), reduced
      modulo T. Broadcast together.
    - `H`, `D`: layer thickness and locking depth (m), 0 < D <= H.
    - `T`: recurrence interval (s); `V`: plate rate (m/s).
    - `layer_mu`: layer modulus (Pa). `mu_M`, `eta_M`, `mu_K`, `eta_K`: Burgers half-space as
      in `burgers_postseismic_displacement` (mu_K = inf: Maxwell; eta_M = inf: standard
      linear solid). mu_M may differ from layer_mu: the cycle then also carries the
      instantaneous elastic contrast, and the cycle average is the elastic layered
      interseismic velocity V/2 - (V/pi)[atan(D/x) + R(Gamma_inf)].
    - `order`: number of subtracted terms; `tol`: target error in units of V/pi.

    **Returns:**

    v (m/s), the broadcast shape. v -> V/2 as x -> inf.

    Accuracy: ~1e-14 V. It agrees with `savage_prescott_velocity` (given extra images) to
    <= 1e-14 V for tau0 = 0.01 to 50, with 8 to 12 harmonics; a Kelvin element 1000 times
    faster than the cycle needs ~700. For a standard linear solid with mu_M != layer_mu
    it agrees to ~1e-16 V with a de Hoog inversion superposed over past cycles.
    """
    _check_layer(H, D)
    kelvin = _check_burgers(layer_mu, mu_M, eta_M, mu_K, eta_K)
    if not T > 0.0:
        raise ValueError("T must be > 0")
    x, t = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64))
    theta = np.mod(t, T) / T
    xu, ix = _unique(x)
    thu, it = _unique(theta)
    g_inf = (layer_mu - mu_M) / (layer_mu + mu_M)
    R_inf = np.real(_image_sum(g_inf, xu, H, D))
    bracket = np.arctan(xu / D)[:, None] - R_inf[:, None] + np.zeros((1, thu.size))
    if np.isfinite(eta_M) or kelvin:
        bracket = bracket + _cycle_transient(
            xu, thu, H, D, T, layer_mu, mu_M, eta_M, mu_K, eta_K, kelvin, g_inf, order, tol
        )
    return np.asarray((V / np.pi) * bracket[ix, it].reshape(x.shape))


def _gamma_series_in_w(a, order, T, layer_mu, mu_M, eta_M, mu_K, eta_K, kelvin):
    """Taylor coefficients of Gamma in w = 1/(s' + a), s' = sT (u = 1/s' = w/(1 - a w))."""
    k = np.arange(order + 1)
    J = np.zeros(order + 1)
    J[0] = layer_mu / mu_M
    if np.isfinite(eta_M):
        # (mu1 T/eta_M) u = (mu1 T/eta_M) w/(1 - a w)
        J[1:] += layer_mu * T / eta_M * a ** (k[1:] - 1.0)
    if kelvin:
        # mu1 T/(mu_K T + eta_K s') = (mu1 T/eta_K) u/(1 + kap u)
        #                           = (mu1 T/eta_K) w/(1 - (a - kap) w)
        kap = mu_K * T / eta_K
        J[1:] += layer_mu * T / eta_K * (a - kap) ** (k[1:] - 1.0)
    one = np.zeros(order + 1)
    one[0] = 1.0
    return _series_div(J - one, J + one, order)


def _cycle_transient(
    xu, thu, H, D, T, layer_mu, mu_M, eta_M, mu_K, eta_K, kelvin, g_inf, order, tol
):
    """sum_{m != 0} F_m(x) exp(2 pi i m theta), shape (n_x, n_theta); see burgers_cycle_velocity."""
    args = (T, layer_mu, mu_M, eta_M, mu_K, eta_K, kelvin)
    rho = _burgers_rates(*args)
    a = max(2.0 * np.pi, 0.5 * rho)
    # Expansion of F = R(Gamma) - R(Gamma_inf) in (a w)^j: compose the series of Gamma
    # (scaled to the variable a w) with R, summing c_n [Gamma^n - Gamma_inf^n] over n.
    J = order
    gam = _gamma_series_in_w(a, J, *args) / a ** np.arange(J + 1)
    e = np.zeros((J + 1, xu.size))
    power = np.zeros(J + 1)
    power[0] = 1.0
    n = 0
    while True:
        n += 1
        power = _series_mul(power, gam, J)
        cn = _kernel_block([n], xu, H, D)[0]
        e[1:] += power[1:, None] * cn[None, :]
        # [Gamma^n]_j ~ C(n, j) |Gamma_inf|^(n-j): stop once that is negligible for j <= J.
        if n >= J and (
            g_inf == 0.0
            or special.gammaln(n + 1.0)
            - special.gammaln(J + 1.0)
            - special.gammaln(n - J + 1.0)
            + (n - J) * math.log(abs(g_inf))
            < -45.0
        ):
            break
        if n > 10**6:
            raise ValueError("|Gamma(inf)| too close to 1: layer_mu/mu_M is too extreme")
    e = e[1:]  # (J, n_x), coefficients of (a w)^j, j = 1..J
    scale = max(1.0, float(np.max(np.abs(e))))
    # Harmonics: (a/|2 pi m + i a|)^(J+1) * scale * m/J <= tol, then checked below.
    q = (tol / scale) ** (1.0 / (J + 1))
    M = max(8, int(math.ceil(a * math.sqrt(max(q**-2 - 1.0, 0.0)) / (2.0 * np.pi))))
    jj = np.arange(1, J + 1)
    R_inf = _image_sum(g_inf, xu, H, D)
    while True:
        m = np.arange(1, M + 1, dtype=np.float64)
        sp = 2j * np.pi * m
        G = _burgers_gamma_scaled(sp, *args)
        F = _image_sum_many(G, xu, H, D) - R_inf[None, :]
        aw = a / (sp + a)
        r = F - np.power(aw[:, None], jj[None, :]) @ e  # (M, n_x)
        tail = float(np.max(np.abs(r[-max(1, M // 8) :]))) * M / J
        if tail <= tol:
            break
        if M > 100000:
            warnings.warn(
                f"burgers_cycle_velocity: {M} harmonics leave ~{tail:.1e} (V/pi)",
                RuntimeWarning,
                stacklevel=3,
            )
            break
        M *= 2
    phase = np.exp(2j * np.pi * np.outer(m, thu))
    out = 2.0 * (r.T @ phase).real
    # Periodic inverse of (a w)^j minus its m = 0 term 1.
    kmax = int(math.ceil((J + 10.0 * math.sqrt(J) + 40.0) / a)) + 2
    y = a * (thu[None, :] + np.arange(kmax)[:, None])  # (k, n_theta)
    basis = a * stats.poisson.pmf(jj[:, None, None] - 1, y[None]).sum(axis=1) - 1.0
    return out + e.T @ basis
