"""Choosing the smoothing weight: ABIC and GCV over the whole range, from one decomposition."""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.linalg as sla


@dataclasses.dataclass(frozen=True)
class LCurve:
    """The trade-off between fit and roughness of the unconstrained, smoothed solution.

    **Fields** (NumPy arrays of equal length, one entry per trial weight):

    - `smoothing`: the weight lambda (1/m; see `invert_slip`), increasing.
    - `misfit`: chi^2 = sum ((G s - d) / sigma)^2 (dimensionless).
    - `roughness`: ||L s||^2 (m^2).
    - `abic`: Akaike's Bayesian information criterion (Yabuki & Matsu'ura 1992), up to a
      constant; `gcv`: the generalised cross-validation function (Craven & Wahba 1979).
    - `curvature`: signed curvature of the L-curve (log roughness, log misfit) against
      log lambda (Hansen & O'Leary 1993); its maximum is the L-curve corner.
    - `cv`: the spatially blocked cross-validation error (sum of squared weighted
      prediction errors at held-out stations), or None when not computed.
    - `method`: "abic", "gcv", "lcurve", "cv" or "given"; `chosen`: the weight it picks.
    """

    smoothing: np.ndarray
    misfit: np.ndarray
    roughness: np.ndarray
    abic: np.ndarray
    gcv: np.ndarray
    curvature: np.ndarray
    method: str
    chosen: float
    cv: np.ndarray | None = None

    @property
    def index(self) -> int:
        """Position of `chosen` in `smoothing`."""
        return int(np.argmin(np.abs(np.log(self.smoothing / self.chosen))))


class SmoothingPath:
    """Solutions of `min ||A x - b||^2 + lambda^2 x'Px` for every lambda at once.

    With the generalised eigen-decomposition `K V = (K + s P) V Theta`, `V'(K + s P)V = I`
    (K = A'A, s = tr K / tr P balances the pencil), every quantity below is a sum over the
    eigenvalues: one O(n^3) factorisation, then O(n) per lambda.
    """

    def __init__(self, k, p, c, btb: float, n_data: int):
        self.k, self.p, self.c = k, p, c
        self.btb, self.n_data = float(btb), int(n_data)
        tr_p = float(np.trace(p))
        self.s = float(np.trace(k)) / tr_p if tr_p > 0 else 1.0
        pencil = k + self.s * p
        pencil = pencil + 1e-13 * np.trace(pencil) / len(c) * np.eye(len(c))
        try:
            theta, v = sla.eigh(k, pencil, driver="gvd", check_finite=False)
        except np.linalg.LinAlgError as err:
            raise ValueError(
                "the data and the smoothing together do not constrain every slip "
                "component (K + P is singular): add data, or use edges='zero-bottom-sides'."
            ) from err
        self.theta = np.clip(theta, 0.0, 1.0)
        self.v = v
        self.y = v.T @ c
        self.rank_p = int(np.sum(1.0 - self.theta > 1e-9))

    def _q(self, lam):
        mu = np.asarray(lam, float) ** 2 / self.s
        return self.theta[None, :] + np.atleast_1d(mu)[:, None] * (1.0 - self.theta[None, :])

    def solution(self, lam: float) -> np.ndarray:
        return self.v @ (self.y / self._q(lam)[0])

    def curve(self, lams) -> dict[str, np.ndarray]:
        lams = np.asarray(lams, float)
        q = self._q(lams)
        y2 = self.y[None, :] ** 2
        misfit = (self.theta * y2 / q**2).sum(1) - 2 * (y2 / q).sum(1) + self.btb
        misfit = np.maximum(misfit, 0.0)
        rough = ((1.0 - self.theta) * y2 / q**2).sum(1) / self.s  # V'PV = (I - Theta) / s
        n, m = self.n_data, len(self.c)
        s = misfit + lams**2 * rough
        # Yabuki & Matsu'ura (1992), Fukahata & Wright (2008) eq. 8, sigma^2 estimated.
        abic = (
            (n + self.rank_p - m) * np.log(np.maximum(s, 1e-300))
            - self.rank_p * np.log(lams**2)
            + np.log(q).sum(1)
        )
        dof = np.sum(self.theta[None, :] / q, axis=1)
        # Undefined where the model fits every datum (dof -> n): +inf there, not a
        # spurious minimum (a floor of 1e-300 underflows to 0 once squared).
        rest = n - dof
        ok = rest > 1e-9 * n
        gcv = np.where(ok, n * misfit / np.where(ok, rest, 1.0) ** 2, np.inf)
        return {"misfit": misfit, "roughness": rough, "abic": abic, "gcv": gcv, "dof": dof}

    def resolution_diagonal(self, lam: float) -> np.ndarray:
        """Diagonal of R = (K + lambda^2 P)^-1 K."""
        w = self.theta / self._q(lam)[0]
        right = self.v.T @ (self.k + self.s * self.p)  # = V^-1
        return np.einsum("ik,k,ki->i", self.v, w, right)


def lcurve_curvature(misfit, roughness, lams) -> np.ndarray:
    """Curvature of (log roughness, log misfit) as a curve parametrised by log lambda; the
    corner of the L is its maximum (Hansen & O'Leary 1993, SIAM J. Sci. Comput. 14:1487)."""
    t = np.log(lams)
    x = np.log(np.maximum(roughness, 1e-300))
    y = np.log(np.maximum(misfit, 1e-300))
    dx, dy = np.gradient(x, t), np.gradient(y, t)
    ddx, ddy = np.gradient(dx, t), np.gradient(dy, t)
    return (dx * ddy - ddx * dy) / np.maximum(dx * dx + dy * dy, 1e-300) ** 1.5


def blocked_cv(a, b, p, groups, lams) -> np.ndarray:
    """Cross-validation error of the unconstrained smoothed solution, one group held out at
    a time: `sum over groups of ||A_g x_(-g)(lambda) - b_g||^2` for each lambda.

    **Arguments:** weighted design `a (N, M)` and data `b (N,)`, smoothing `p = L'L`,
    `groups (N,)` integer fold of each datum, `lams` the weights.
    """
    err = np.zeros(len(lams))
    for k in np.unique(groups):
        test = groups == k
        at, bt = a[~test], b[~test]
        path = SmoothingPath(at.T @ at, p, at.T @ bt, float(bt @ bt), int((~test).sum()))
        q = path._q(lams)  # (n_lam, M)
        x = (path.y[None, :] / q) @ path.v.T  # solutions, one row per lambda
        r = x @ a[test].T - b[test][None, :]
        err += np.sum(r * r, axis=1)
    return err


def station_folds(xy, k: int, seed: int = 0) -> np.ndarray:
    """Split stations into `k` spatial blocks by k-means on their positions `xy (n, 2)`, so
    that held-out stations are not next to training ones (spatially correlated errors,
    which plain and generalised cross-validation ignore, then cannot be fitted away)."""
    from scipy.cluster.vq import kmeans2

    k = int(min(k, len(xy)))
    if k < 2:
        raise ValueError("smoothing='cv' needs at least 2 stations.")
    xy = np.asarray(xy, float)
    scale = max(float(np.std(xy)), 1.0)
    _, label = kmeans2(xy / scale, k, seed=seed, minit="++")
    return np.unique(label, return_inverse=True)[1]


def choose_smoothing(path: SmoothingPath, method: str, n: int = 241, cv_data=None) -> LCurve:
    """Pick lambda over 12 decades around the balance point: the minimum of ABIC, GCV or
    blocked cross-validation (`cv_data = (a, b, p, groups)`), or the L-curve corner."""
    if method not in ("abic", "gcv", "lcurve", "cv"):
        raise ValueError(
            f"smoothing: expected 'auto', 'abic', 'gcv', 'cv', 'lcurve' or a number, "
            f"got {method!r}."
        )
    centre = np.sqrt(path.s)
    lams = centre * np.logspace(-6, 6, n)
    cur = path.curve(lams)
    cur["curvature"] = lcurve_curvature(cur["misfit"], cur["roughness"], lams)
    cv = None
    if method == "cv":
        a, b, p, groups = cv_data
        cv = blocked_cv(a, b, p, groups, lams)
        i = int(np.argmin(cv))
    elif method == "lcurve":
        # Ignore the flat ends, where the curvature of a straight line is noise.
        inner = cur["curvature"].copy()
        inner[:3] = inner[-3:] = -np.inf
        i = int(np.argmax(inner))
    else:
        i = int(np.argmin(cur[method]))
    if i in (0, n - 1):
        import warnings

        warnings.warn(
            f"smoothing: the {method.upper()} minimum is at the end of the searched range "
            f"(lambda = {lams[i]:.3g}); the data may not constrain the smoothing.",
            stacklevel=3,
        )
    return LCurve(
        lams,
        cur["misfit"],
        cur["roughness"],
        cur["abic"],
        cur["gcv"],
        cur["curvature"],
        method,
        float(lams[i]),
        cv,
    )
