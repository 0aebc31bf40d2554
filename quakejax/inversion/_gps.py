"""Slip on a fixed fault geometry from coseismic GPS offsets."""

from __future__ import annotations

import dataclasses
import time
import warnings

import equinox as eqx
import numpy as np

from .._fault import FaultModel
from ..io._geo import LocalFrame
from ..io._gps import GPSData
from ._direct import kkt_residual, solve_box_qp
from ._laplacian import laplacian
from ._smoothing import LCurve, SmoothingPath, choose_smoothing, station_folds


def _unit(rake_deg):
    r = np.radians(rake_deg)
    return np.stack([np.cos(r), np.sin(r)], axis=-1)


def slip_basis(
    fault: FaultModel, positivity: bool, rake
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-patch 2x2 bases and bounds that turn slip constraints into box constraints.

    Slip `(strike, dip)` of patch i is `B[i] @ x[i]`, with `lower <= x <= upper`:

    - no constraint: B = I, x free;
    - `rake=(a, b)` with `0 < b - a < 180`: x >= 0 on the unit vectors at rakes a and b,
      so the slip lies in the cone between them;
    - `b - a == 180` (also `positivity` with `rake=None`, about the rake of the fault's own
      slip): x[0] >= 0 along the middle rake and x[1] free across it (a half-plane);
    - `a == b`: slip along rake a only, >= 0.

    **Returns:** `B (m, 2, 2)`, `lower (m, 2)`, `upper (m, 2)`.
    """
    m = fault.n_patches
    inf = np.inf
    if rake is None and not positivity:
        return (
            np.broadcast_to(np.eye(2), (m, 2, 2)).copy(),
            np.full((m, 2), -inf),
            np.full((m, 2), inf),
        )
    if rake is None:
        s = np.asarray(fault.slip, float)[:, :2]
        if np.any(np.hypot(s[:, 0], s[:, 1]) == 0.0):
            raise ValueError(
                "positivity=True with rake=None takes the slip direction from the fault's own "
                "slip, but some patches have none: give rake=(min, max) in degrees."
            )
        mid = np.degrees(np.arctan2(s[:, 1], s[:, 0]))
        lo_r, hi_r = mid - 90.0, mid + 90.0
    else:
        if not positivity:
            raise ValueError(
                "rake bounds need positivity=True (slip within a rake range, or its "
                "opposite, is not a convex set)."
            )
        try:
            lo_r, hi_r = (float(v) for v in rake)
        except (TypeError, ValueError) as err:
            raise ValueError(f"rake: expected (min, max) in degrees, got {rake!r}.") from err
        if not (np.isfinite(lo_r) and np.isfinite(hi_r)) or not 0.0 <= hi_r - lo_r <= 180.0:
            raise ValueError(f"rake: need min <= max <= min + 180 (degrees), got {rake!r}.")
        lo_r, hi_r = np.full(m, lo_r), np.full(m, hi_r)
    width = hi_r - lo_r
    half = np.isclose(width, 180.0, atol=1e-9)
    single = np.isclose(width, 0.0, atol=1e-9)
    mid = 0.5 * (lo_r + hi_r)
    b = np.stack([_unit(lo_r), _unit(hi_r)], axis=-1)
    b[half] = np.stack([_unit(mid[half]), _unit(mid[half] + 90.0)], axis=-1)
    b[single] = np.stack([_unit(lo_r[single]), _unit(lo_r[single] + 90.0)], axis=-1)
    lower = np.zeros((m, 2))
    upper = np.full((m, 2), inf)
    lower[half, 1] = -inf
    upper[single, 1] = 0.0
    return b, lower, upper


class SlipInversion(eqx.Module):
    """The result of `invert_slip` (final).  Arrays are NumPy float64.

    **Fields:**

    - `fault`: the fault with the estimated slip (strike, dip, 0) in metres.
    - `gps`: the data inverted; `points (n, 3)`: the stations in the fault's ENU frame (m).
    - `predicted (n, 3)`: modelled ENU displacement at every station (m), observed or not.
    - `sigma (n, 3)`: the standard deviations used (m); NaN for components not inverted.
    - `smoothing`: the weight lambda (1/m) of the Laplacian term.
    - `resolution (m, 2)`: diagonal of the model resolution matrix `(G'WG + lambda^2 L'L)^-1
      G'WG` of the unconstrained problem at that weight, per (strike, dip) component.
    - `lcurve`: the `LCurve` (None when `smoothing` was given as a number and no curve asked
      for).
    - `mu`: the rigidity (Pa) used for moment and Mw; `nu` the Poisson ratio of the Green's
      functions.
    - `info`: solver diagnostics (dict): solver, iterations, converged, KKT residual, timings.
    """

    fault: FaultModel
    gps: GPSData
    points: np.ndarray
    predicted: np.ndarray
    sigma: np.ndarray
    smoothing: float
    resolution: np.ndarray
    lcurve: LCurve | None
    mu: float
    nu: float
    info: dict

    @property
    def slip(self) -> np.ndarray:
        """Slip `(m, 2)`: strike slip (> 0 left-lateral) and dip slip (> 0 reverse), metres."""
        return np.asarray(self.fault.slip, float)[:, :2]

    @property
    def rake(self) -> np.ndarray:
        """Rake `(m,)` in degrees, (-180, 180]."""
        return np.degrees(np.arctan2(self.slip[:, 1], self.slip[:, 0]))

    @property
    def observed(self) -> np.ndarray:
        """Boolean `(n, 3)`: the components that were inverted."""
        return np.isfinite(self.sigma)

    @property
    def residual(self) -> np.ndarray:
        """Observed minus predicted `(n, 3)` in metres; NaN where not inverted."""
        return np.where(self.observed, self.gps.displacement - self.predicted, np.nan)

    @property
    def n_data(self) -> int:
        return int(self.observed.sum())

    @property
    def chi2(self) -> float:
        """sum((residual / sigma)^2) over the inverted components."""
        r = self.residual[self.observed] / self.sigma[self.observed]
        return float(r @ r)

    @property
    def wrms(self) -> float:
        """Weighted RMS residual sqrt(chi2 / n_data) (dimensionless; 1 = fit to the sigmas)."""
        return float(np.sqrt(self.chi2 / self.n_data))

    def rms(self, components: str = "horizontal") -> float:
        """Unweighted RMS residual in metres over the inverted "horizontal" (east and north
        components pooled), "vertical" or "all" components."""
        cols = {"horizontal": [0, 1], "vertical": [2], "all": [0, 1, 2]}[components]
        r = self.residual[:, cols][self.observed[:, cols]]
        return float(np.sqrt(np.mean(r**2))) if r.size else float("nan")

    def data_rms(self, components: str = "horizontal") -> float:
        """RMS of the observed offsets themselves (m), for comparison with `rms`."""
        cols = {"horizontal": [0, 1], "vertical": [2], "all": [0, 1, 2]}[components]
        d = self.gps.displacement[:, cols][self.observed[:, cols]]
        return float(np.sqrt(np.mean(d**2))) if d.size else float("nan")

    def moment(self, mu: float | None = None) -> float:
        """Scalar moment (N m) for rigidity `mu` (Pa; default the one given to
        `invert_slip`)."""
        return float(self.fault.moment(self.mu if mu is None else mu))

    def mw(self, mu: float | None = None) -> float:
        """Moment magnitude (2/3)(log10 M0 - 9.1)."""
        return float(self.fault.magnitude(self.mu if mu is None else mu))

    def summary(self) -> dict:
        """The headline numbers as plain Python values."""
        return {
            "mw": self.mw(),
            "moment_nm": self.moment(),
            "wrms": self.wrms,
            "chi2": self.chi2,
            "rms_horizontal_m": self.rms("horizontal"),
            "rms_vertical_m": self.rms("vertical"),
            "smoothing": self.smoothing,
            "peak_slip_m": float(np.hypot(*self.slip.T).max()),
            "n_sites": len(self.gps),
            "n_data": self.n_data,
            "n_patches": self.fault.n_patches,
        }

    def plot(self, fig=None, *, scale: float | None = None, margin: float | None = None):
        """Slip map with observed (black) and predicted (red) horizontal arrows, and the
        L-curve when there is one.  Returns the matplotlib figure.

        `scale`: metres of offset per km of map (default: the largest offset spans 50 km);
        `margin`: km of map around the fault (default its largest dimension; far-field
        stations outside are not drawn)."""
        import matplotlib.pyplot as plt

        from ..plot import plot_slip

        n_ax = 2 if self.lcurve is not None else 1
        fig = fig or plt.figure(figsize=(6.5 * n_ax, 6.0))
        ax = fig.add_subplot(1, n_ax, 1)
        plot_slip(self.fault, ax, view="map")
        xy = self.points[:, :2] / 1e3
        obs = self.gps.displacement[:, :2]
        pred = self.predicted[:, :2]
        horiz = self.observed[:, 0] & self.observed[:, 1]
        big = np.nanmax(np.hypot(*obs[horiz].T)) if horiz.any() else 1.0
        scale = scale or big / 50.0  # metres of offset per km of map
        kw = dict(angles="xy", scale_units="xy", scale=scale, width=0.002)
        ax.quiver(*xy[horiz].T, *obs[horiz].T, color="k", label="observed", **kw)
        ax.quiver(*xy[horiz].T, *pred[horiz].T, color="r", label="predicted", **kw)
        ax.legend(loc="lower right", fontsize=8)
        corners = np.asarray(self.fault.corners, float).reshape(-1, 3)[:, :2] / 1e3
        lo, hi = corners.min(0), corners.max(0)
        pad = float(np.max(hi - lo)) if margin is None else float(margin)
        ax.set_xlim(lo[0] - pad, hi[0] + pad)
        ax.set_ylim(lo[1] - pad, hi[1] + pad)
        ax.set_aspect("equal")
        ax.set_title(
            f"Mw {self.mw():.2f}, wrms {self.wrms:.2f}, "
            f"rms {100 * self.rms():.1f} cm of {100 * self.data_rms():.0f} cm"
        )
        if self.lcurve is not None:
            lc = self.lcurve
            ax2 = fig.add_subplot(1, 2, 2)
            ax2.loglog(lc.roughness, lc.misfit, "-", color="0.4")
            ax2.loglog(lc.roughness[lc.index], lc.misfit[lc.index], "o", color="r")
            ax2.set_xlabel("roughness ||L s||^2 (m^2)")
            ax2.set_ylabel("misfit chi^2")
            ax2.set_title(f"L-curve; {lc.method.upper()} picks lambda = {lc.chosen:.3g} / m")
        fig.tight_layout()
        return fig


def _station_points(fault: FaultModel, gps: GPSData, frame: LocalFrame | None) -> np.ndarray:
    frame = frame if frame is not None else (fault.info.local_frame() if fault.info else None)
    if frame is None:
        raise ValueError(
            "invert_slip: the fault has no geographic frame (fault.info.origin is None), so "
            "the GPS stations cannot be placed on it: pass frame=LocalFrame(lon, lat) or read "
            "the fault with an origin."
        )
    return gps.enu(frame)


def _weights(gps: GPSData, default_sigma: float) -> np.ndarray:
    sigma = np.where(gps.observed, gps.sigma, np.nan)
    fill = gps.observed & ~np.isfinite(sigma)
    sigma = np.where(fill, default_sigma, sigma)
    zero = gps.observed & (sigma <= 0.0)
    if zero.any():
        i, j = np.argwhere(zero)[0]
        raise ValueError(
            f"invert_slip: station {gps.names[i]!r} has sigma 0 in its "
            f"{'ENU'[j]} component; give it a positive uncertainty."
        )
    return sigma


def _weighted_system(fault, gps, frame, default_sigma, nu, greens, name="greens"):
    """Stations in the fault's frame, the sigmas used, the Green's matrix `(3 n, 2 m)` (m of
    displacement per m of slip) and the sigma-weighted rows of the observed components:
    `(points, sigma, g, rows, a, b)` with `a = G[rows] / sigma` and `b = d[rows] / sigma`."""
    from ..okada import displacement_greens

    m = fault.n_patches
    points = _station_points(fault, gps, frame)
    sigma = _weights(gps, default_sigma)
    if greens is None:
        g = np.asarray(displacement_greens(fault, points, nu=nu), float)
    else:
        g = np.asarray(greens, float)
        if g.shape != (3 * len(gps), 2 * m):
            raise ValueError(
                f"{name}: expected shape ({3 * len(gps)}, {2 * m}) for {len(gps)} stations and "
                f"{m} patches, got {g.shape}."
            )
    rows = gps.observed.reshape(-1)
    w = 1.0 / sigma.reshape(-1)[rows]
    return points, sigma, g, rows, g[rows] * w[:, None], gps.displacement.reshape(-1)[rows] * w


def invert_slip(
    fault: FaultModel,
    gps: GPSData,
    *,
    smoothing: str | float = "auto",
    positivity: bool = True,
    rake=None,
    edges: str = "free",
    solver: str = "direct",
    frame: LocalFrame | None = None,
    default_sigma: float = 0.01,
    mu: float = 3.0e10,
    nu: float = 0.25,
    lcurve: bool | None = None,
    greens: np.ndarray | None = None,
    cv_folds: int = 10,
) -> SlipInversion:
    """Estimate strike and dip slip on every patch of a fixed fault from GPS offsets.

    Minimises `sum(((G s - d) / sigma)^2) + lambda^2 ||L s||^2` over the slip `s` (m),
    subject to the slip constraints, where `G` are Okada (1992) half-space Green's functions
    (`quakejax.okada.displacement_greens`), `d` the observed ENU offsets (m) and `L` the
    dimensionless patch Laplacian (`laplacian`), applied to strike and dip slip separately.

    **Arguments:**

    - `fault`: the geometry (ENU metres; its slip is used only for `positivity` without
      `rake`).  Its `info` must give a geographic frame, or pass `frame`.
    - `gps`: the offsets; components not observed (NaN) are left out.  Missing sigmas
      become `default_sigma` (m).
    - `smoothing`: lambda in 1/m, or a rule to choose it on the unconstrained problem
      (reported in `lcurve`): `"auto"` / `"abic"` (minimum of ABIC, Yabuki & Matsu'ura
      1992), `"gcv"` (generalised cross-validation, Craven & Wahba 1979), `"cv"`
      (cross-validation over `cv_folds` spatial blocks of stations) or `"lcurve"` (corner of
      maximum curvature).  ABIC and GCV assume independent errors; with real data, whose
      model errors are spatially correlated, they can pick far too little smoothing (Tohoku:
      `docs/inversion.md`), and blocked cross-validation is the safer choice.
    - `positivity`, `rake`: slip constraints; `rake=(min, max)` in degrees keeps the rake in
      that range (needs `positivity`); `positivity` alone keeps slip within 90 degrees of the
      rake of the fault's own slip.  See `slip_basis`.
    - `edges`: `"free"` or `"zero-bottom-sides"`: boundary condition of the smoothing (see
      `laplacian`).
    - `solver`: `"direct"` (exact: Cholesky, or a primal-dual active-set method when bounded;
      float64 NumPy) or `"optax"` (projected accelerated gradient in JAX).
    - `mu` (Pa) for moment and Mw; `nu` Poisson's ratio of the half-space.
    - `lcurve`: also compute the L-curve when `smoothing` is a number.
    - `greens`: a precomputed design matrix `(3 n, 2 m)` from `displacement_greens` for
      these stations and patches (to invert several data sets or settings on one geometry).

    **Returns:** a `SlipInversion`.

    The Green's functions are computed in JAX's precision (float32 unless x64 is enabled: a
    relative error of about 1e-6, far below GPS noise); the linear algebra is float64.
    """

    t0 = time.perf_counter()
    if solver not in ("direct", "optax"):
        raise ValueError(f"solver: expected 'direct' or 'optax', got {solver!r}.")
    if fault.n_patches == 0 or len(gps) == 0:
        raise ValueError("invert_slip: need at least one patch and one station.")
    if np.any(np.asarray(fault.length) <= 0) or np.any(np.asarray(fault.width) <= 0):
        raise ValueError("invert_slip: the fault has patches of zero length or width.")
    if not (np.isfinite(default_sigma) and default_sigma > 0):
        raise ValueError(
            f"default_sigma: expected a positive number of metres, got {default_sigma}."
        )
    m = fault.n_patches
    obs = gps.observed
    if obs.sum() == 0:
        raise ValueError(f"invert_slip: {gps.source or 'the GPS data'} has no observed component.")
    points, sigma, g, rows, a, b = _weighted_system(fault, gps, frame, default_sigma, nu, greens)
    t_green = time.perf_counter() - t0
    k = a.T @ a
    c = a.T @ b
    lap = laplacian(fault, edges=edges)
    l2 = np.kron(lap, np.eye(2))  # acts on (strike, dip) of each patch separately
    p = l2.T @ l2

    want_curve = isinstance(smoothing, str) or bool(lcurve)
    path = SmoothingPath(k, p, c, float(b @ b), int(rows.sum())) if want_curve else None
    if isinstance(smoothing, str):
        method = "abic" if smoothing == "auto" else smoothing
        cv_data = None
        if method == "cv":
            folds = station_folds(points[:, :2], cv_folds)
            groups = np.repeat(folds, 3)[rows]
            cv_data = (a, b, p, groups)
        curve = choose_smoothing(path, method, cv_data=cv_data)
        lam = curve.chosen
    else:
        lam = float(smoothing)
        if not (np.isfinite(lam) and lam >= 0):
            raise ValueError(
                f"smoothing: expected a number >= 0 (1/m) or 'auto', got {smoothing!r}."
            )
        curve = None
        if path is not None:
            curve = dataclasses.replace(choose_smoothing(path, "abic"), method="given", chosen=lam)

    basis, lower, upper = slip_basis(fault, positivity, rake)
    big_b = np.zeros((2 * m, 2 * m))
    for i in range(2):
        for j in range(2):
            big_b[i::2, j::2] = np.diag(basis[:, i, j])
    q = big_b.T @ (k + lam**2 * p) @ big_b
    cb = big_b.T @ c
    lo, hi = lower.reshape(-1), upper.reshape(-1)
    unbounded = bool(np.all(np.isinf(lo)) and np.all(np.isinf(hi)))
    if solver == "direct":
        if unbounded:
            x = sla_solve(q, cb)
            iters, converged = 0, True
        else:
            x, iters, converged = solve_box_qp(q, cb, lo, hi)
    else:
        import jax.numpy as jnp

        from ._gradient import solve_box_qp_gradient

        xj, iters, converged = solve_box_qp_gradient(
            jnp.asarray(q), jnp.asarray(cb), jnp.asarray(lo), jnp.asarray(hi)
        )
        x, iters, converged = np.asarray(xj, float), int(iters), bool(converged)
    if not converged:
        warnings.warn(f"invert_slip: the {solver} solver did not converge.", stacklevel=2)
    slip = (big_b @ x).reshape(m, 2)
    if path is not None:
        res = path.resolution_diagonal(lam)
    else:
        res = np.diag(sla_solve(k + lam**2 * p, k))
    pred = (g @ slip.reshape(-1)).reshape(-1, 3)
    info = {
        "solver": solver,
        "iterations": int(iters),
        "converged": bool(converged),
        "kkt_residual": kkt_residual(q, cb, x, lo, hi),
        "greens_s": t_green,
        "total_s": time.perf_counter() - t0,
        "filled_sigmas": int((obs & ~np.isfinite(gps.sigma)).sum()),
        "positivity": bool(positivity),
        "rake": None if rake is None else tuple(float(v) for v in rake),
        "edges": edges,
    }
    return SlipInversion(
        fault=fault.with_slip(np.c_[slip, np.zeros(m)]),
        gps=gps,
        points=points,
        predicted=pred,
        sigma=np.where(obs, sigma, np.nan),
        smoothing=float(lam),
        resolution=res.reshape(m, 2),
        lcurve=curve,
        mu=float(mu),
        nu=float(nu),
        info=info,
    )


def sla_solve(q, rhs):
    """Solve with the symmetric positive definite q (Cholesky), with a clear error."""
    import scipy.linalg as sla

    try:
        return sla.cho_solve(sla.cho_factor(q, check_finite=False), rhs, check_finite=False)
    except np.linalg.LinAlgError as err:
        raise ValueError(
            "invert_slip: the normal equations are singular: the data and smoothing do not "
            "determine every slip component (use smoothing > 0 or more data)."
        ) from err
