"""The block model's misfit as a differentiable function of segment locking depths and dips.

For a chosen set of segments, `GeometryMisfit` keeps every operator that does not depend on
their geometry fixed and rebuilds, in JAX, the part that does: their Okada backslip
operators (`okada_to_velocities`) and their slip-rate projections (the dip-slip row scales as
1/|cos(dip)|).  Each evaluation re-solves the whole weighted least-squares problem: the
columns that do not change (mesh slip, strain, Mogi) are eliminated once with a Cholesky
factor of their normal block (a Schur complement), so one evaluation costs a few small dense
products however large the mesh.  The misfit is the weighted sum of squared residuals of all
rows at the solution, formed from the residuals themselves (the constraint weights make
d^T W d - x^T G^T W d cancel catastrophically); its gradient follows from differentiating
through the solves of the normal equations.

Needs float64 (`jax.config.update("jax_enable_x64", True)`): the constraint weights span 30
orders of magnitude.  A segment's vertical / dipping status (celeri switches fault-normal
motion from tensile to dip slip at exactly 90 degrees) is fixed at the starting dip.
"""

from __future__ import annotations

import types

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from . import _operators as ops
from ._model import BlockModel
from ._solve import LinearSystem, Operators


def _okada_columns(frames, azimuth, mu, lam):
    """`g(depth_km, dip_deg) -> (3 n, 3 k)` Okada operator of k segments, differentiable.

    Segment j's three columns depend only on its own depth and dip, so the whole Jacobian is
    two forward-mode products with all-ones tangents; the reverse rule contracts them with
    the cotangent.  (Reverse mode through the DC3D kernel itself would compile ~10x slower.)
    """

    def forward(depth, dip):
        return ops.okada_to_velocities(frames, depth, dip, azimuth, mu=mu, lam=lam)

    @jax.custom_vjp
    def g(depth, dip):
        return forward(depth, dip)

    def fwd(depth, dip):
        ones, zeros = jnp.ones_like(depth), jnp.zeros_like(depth)

        def tangent(td, tp):
            return jax.jvp(forward, (depth, dip), (td, tp))

        value, tangents = jax.vmap(tangent, out_axes=(None, 0))(
            jnp.stack([ones, zeros]), jnp.stack([zeros, ones])
        )
        return value, tangents

    def bwd(tangents, ct):
        k = tangents.shape[-1] // 3
        per = (tangents * ct[None]).reshape(2, -1, k, 3).sum(axis=(1, 3))
        return per[0], per[1]

    g.defvjp(fwd, bwd)
    return g


class GeometryMisfit:
    """chi^2 of a block model as a function of the locking depths (km) and dips (degrees) of
    the segments `index`.

    Call it as `f(depth_km, dip_deg)` (arrays of `len(index)`); `solve(depth_km, dip_deg)`
    returns the state vector.  Both are jittable and differentiable.  `depth0`, `dip0` hold
    the model's own values.
    """

    def __init__(self, model: BlockModel, op: Operators, system: LinearSystem, index):
        index = np.atleast_1d(np.asarray(index, dtype=np.int64))
        if index.size == 0:
            raise ValueError("GeometryMisfit: `index` selects no segment")
        sg = model.segment
        if index.min() < 0 or index.max() >= len(sg):
            raise ValueError(f"GeometryMisfit: segment index out of range 0..{len(sg) - 1}")
        self.index = index
        self.depth0 = sg.locking_depth.to_numpy()[index].astype(float)
        self.dip0 = sg.dip.to_numpy()[index].astype(float)
        self.azimuth = sg.azimuth.to_numpy()[index].astype(float)
        cfg = model.config
        self._mu, self._lam = cfg.material_mu, cfg.material_lambda
        sub = types.SimpleNamespace(
            segment=sg.iloc[index].reset_index(drop=True), station=model.station
        )
        self._frames = ops.segment_frames(sub)
        self._okada = _okada_columns(
            self._frames, self.azimuth, cfg.material_mu, cfg.material_lambda
        )
        nb3 = 3 * model.n_blocks
        n = system.n_stations
        # Fixed part of the station rows' rotation columns: rotation minus the backslip of
        # every other segment.
        cols = np.ravel(3 * index[:, None] + np.arange(3))
        r2s = op.rotation_to_slip_rate
        own = np.asarray(self._okada(jnp.asarray(self.depth0), jnp.asarray(self.dip0)))
        self._rot_fixed = (
            op.rotation_to_velocities - op.rotation_to_okada_velocities + own @ r2s[cols]
        )
        # Slip-rate rows of the chosen segments, split into a dip-independent part (strike
        # slip, and tensile for vertical segments) and the fault-normal part scaled by
        # 1/|cos(dip)| for dipping ones.
        self._vertical = self.dip0 == 90.0
        rows = r2s[cols].reshape(-1, 3, nb3)
        scale0 = np.where(
            self._vertical,
            1.0,
            1.0 / np.abs(np.cos(np.radians(np.where(self._vertical, 0.0, self.dip0)))),
        )
        self._along = rows[:, 0]
        self._tensile = rows[:, 2]
        self._across = rows[:, 1] / scale0[:, None]
        # Everything else of the system is constant.
        station = system.rows[0]
        g_s, d_s, w_s = station[1], station[2], station[3]
        keep = w_s > 0
        self._w = w_s[keep]
        self._d = d_s[keep]
        self._keep = keep
        self._others = g_s[keep][:, nb3:]
        n_other = system.n_columns - nb3
        import scipy.sparse
        from jax.experimental import sparse as jsparse

        g_c = scipy.sparse.vstack(
            [scipy.sparse.csr_matrix(g) for _, g, _, _ in system.rows[1:]], format="csr"
        )
        self._d_c = np.concatenate([d for _, _, d, _ in system.rows[1:]])
        self._w_c = np.concatenate([w for _, _, _, w in system.rows[1:]])
        nc = (g_c.T @ g_c.multiply(self._w_c[:, None])).toarray()
        rhs_c = np.asarray(g_c.T @ (self._w_c * self._d_c)).reshape(-1)
        self._g_c = jsparse.BCOO.from_scipy_sparse(g_c)
        self._n_c, self._rhs_c = nc, rhs_c
        self._nb3 = nb3
        if n_other:
            m = self._others
            c_block = m.T @ (self._w[:, None] * m) + nc[nb3:, nb3:]
            self._c_factor = scipy.linalg.cho_factor(c_block, lower=True)
            self._rhs_m = m.T @ (self._w * self._d) + rhs_c[nb3:]
        else:
            self._c_factor = None
        self._n = n

    def _rotation_columns(self, depth_km, dip_deg):
        g = self._okada(depth_km, dip_deg)  # (3 n, 3 k)
        k = self.index.size
        scale = jnp.where(
            self._vertical,
            0.0,
            1.0 / jnp.abs(jnp.cos(jnp.radians(jnp.where(self._vertical, 0.0, dip_deg)))),
        )
        r2s = jnp.stack(
            [
                jnp.asarray(self._along),
                scale[:, None] * self._across,
                jnp.where(self._vertical[:, None], self._tensile, 0.0),
            ],
            1,
        ).reshape(3 * k, -1)
        return jnp.asarray(self._rot_fixed) - g @ r2s

    def _station_rotation(self, depth_km, dip_deg):
        """Rotation columns of the weighted station rows (the Okada kernels run here)."""
        depth_km = jnp.asarray(depth_km, dtype=float)
        dip_deg = jnp.asarray(dip_deg, dtype=float)
        return self._rotation_columns(depth_km, dip_deg)[self._keep]

    def solve(self, depth_km, dip_deg):
        """The state vector (celeri layout) for the given depths and dips."""
        return self._solve(self._station_rotation(depth_km, dip_deg))

    def _solve(self, rot):
        w, d, nb3 = self._w, self._d, self._nb3
        a = rot.T @ (w[:, None] * rot) + self._n_c[:nb3, :nb3]
        rhs_r = rot.T @ (w * d) + self._rhs_c[:nb3]
        if self._c_factor is None:
            return jnp.linalg.solve(a, rhs_r)
        b = rot.T @ (w[:, None] * self._others) + self._n_c[:nb3, nb3:]  # (nb3, n_other)
        low = jnp.asarray(self._c_factor[0])
        cinv_bt = jsl.cho_solve((low, True), b.T)
        cinv_rhs = jsl.cho_solve((low, True), jnp.asarray(self._rhs_m))
        x_r = jnp.linalg.solve(a - b @ cinv_bt, rhs_r - b @ cinv_rhs)
        x_m = cinv_rhs - cinv_bt @ x_r
        return jnp.concatenate([x_r, x_m])

    def __call__(self, depth_km, dip_deg):
        """chi^2 (weighted squared residuals of every row) at the least-squares solution."""
        rot = self._station_rotation(depth_km, dip_deg)  # one Okada evaluation per call
        x = self._solve(rot)
        nb3 = self._nb3
        r_s = rot @ x[:nb3] - self._d
        if self._c_factor is not None:
            r_s = r_s + self._others @ x[nb3:]
        r_c = self._g_c @ x - self._d_c
        return jnp.sum(self._w * r_s**2) + jnp.sum(self._w_c * r_c**2)
