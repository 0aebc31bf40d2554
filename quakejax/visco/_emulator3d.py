"""An emulator of 3D Burgers relaxation around a finite rupture, exact at t = 0.

`Postseismic3D` needs a cuboid mesh, an interaction matrix and a cuboid-to-cell pass for
each rupture: minutes on a CPU.  `RelaxationEmulator3D` predicts the relaxation stress at a
cell from the rupture's coseismic Okada stress at the cell and at a few probe points below it
in the viscous region, the depth of the cell, its distance to the rupture, the rheology and
the time (docs/visco-3d-design.md §7, docs/visco-3d.md):

    delta sigma(x, t) = sum_m phi_m(t) sum_p W_pm(z(x), rheology) [sigma_co(x_p)]

with `phi_m(t) = 1 - exp(-t / tau_m)` on a fixed dictionary of relaxation times `tau_m`
(so `delta sigma(x, 0) = 0` exactly and window means are closed form), probe points `x_p`
(the cell itself, points straight below it in the relaxing region and rings around that
column; cells that share a column share these), and `W_pm` a linear map per probe and time
scale that commutes with rotations about the vertical: one weight on the horizontal
deviatoric pair `((s_xx - s_yy)/2, s_xy)`, one on the vertical shear pair `(s_xz, s_yz)`
and a 2 x 2 matrix on `((s_xx + s_yy)/2, s_zz)`.  A small MLP maps the invariant inputs
`z(x)` (depth / H, log distance to the nearest patch centroid / H, the scaled rheology, and
the scale-free shape of the probe stresses: their norms over their mean) to the `W_pm`.
With `moment_term` (an option; the shipped weights do not use it), one more term maps the
rupture's moment tensor, turned into the frame that points from the source to the cell and
scaled by the distance, through a 4 x 4 and a 2 x 2 map per time scale (`moment_probe`): far
from the rupture, the flow under the whole rupture drives the relaxation, which the probes
below the cell sample only weakly.  The source is the rupture's centroid, or every patch
(`moment_source`).  Measured results of both are in docs/visco-3d.md.
The emulator is therefore homogeneous of degree one in slip (scaling the slip scales the
output), independent of the map frame's orientation, and exact at t = 0 by construction.
Its accuracy on held-out earthquakes is measured by `experiments/train_visco3d_emulator.py`.

Valid for the set-up it was trained on: elastic layer of thickness `H` over a Burgers
half-space, homogeneous `mu = lambda`, rheology and time inside `domain`.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._fault import FaultModel
from .._types import Array, Float
from ..okada import stress as okada_stress
from ..okada._fields import IMPLEMENTATIONS
from ._burgers import Burgers

WEIGHTS_DIR = pathlib.Path(__file__).parent / "weights"
DAY = 86400.0  # s
YEAR = 365.0 * DAY  # s
#: Rheology inputs: log10 eta_M (Pa s), log10 eta_K (Pa s), log10 (mu_K / mu_M).
RHEOLOGY_NAMES = ("log10_eta_M", "log10_eta_K", "log10_muK_over_muM")
_N_GEOMETRY = 2  # depth / H, log10(0.05 + distance / H)
_N_COEF = 6  # per probe and time scale: horizontal deviatoric, vertical shear, 2 x 2 isotropic
_N_MOMENT_GEOMETRY = 3  # log10(0.05 + rho / H), horizontal share of rho, centroid depth / H
_N_MOMENT_COEF = 20  # per time scale: 4 x 4 on the mirror-even parts, 2 x 2 on the odd ones
#: Where the moment term's source sits: the rupture's slip-weighted centroid (one point
#: source, tapered near the patches), or every patch (one point source each, untapered, or
#: each tapered near the cell).
MOMENT_SOURCES = ("centroid", "patches", "tapered_patches")


def _turn_spin(v: Array, cos: Array, sin: Array) -> Array:
    """Spin parts `(..., 6)` of a tensor in a frame turned by the angle (cos, sin) about the
    vertical, from its spin parts in the original frame (`R T R^T`, the rows of `R` the new
    axes): order 0 parts unchanged, the order 1 pair turned by minus the angle, the order 2
    pair by minus twice the angle.  `v` broadcasts against `cos`, `sin`."""
    c2, s2 = cos**2 - sin**2, 2 * cos * sin
    v = jnp.broadcast_to(v, cos.shape + v.shape[-1:])
    return jnp.stack(
        [
            v[..., 0],
            v[..., 1],
            cos * v[..., 2] + sin * v[..., 3],
            -sin * v[..., 2] + cos * v[..., 3],
            c2 * v[..., 4] + s2 * v[..., 5],
            -s2 * v[..., 4] + c2 * v[..., 5],
        ],
        axis=-1,
    )


def _moment_basis(q: Array, cos: Array, sin: Array) -> Array:
    """`(n, 20, 6)`: for each of the moment map's 20 weights (the 4 x 4 map on the mirror-even
    parts (0, 1, 2, 4) then the 2 x 2 map on the odd parts (3, 5), each row-major: output
    part, input part), the ENU spin parts of the output that weight alone gives, summed over
    the sources.  `q (n, S, 6)`: each source's probe in its own frame, whose x axis is
    `(cos, sin)` `(n, S)` from east.  The map acts in each source's frame and its output is
    turned back to ENU, so `sum_a w_a basis_a` is the moment term for weights `w`."""
    c2, s2 = cos**2 - sin**2, 2 * cos * sin

    def tot(wgt):  # (n, S) x (n, S, 6) -> (n, 6)
        return jnp.einsum("ns,nsj->nj", wgt, q)

    one = jnp.sum(q, axis=1)
    sc, ss, sc2, ss2 = tot(cos), tot(sin), tot(c2), tot(s2)
    zero = jnp.zeros_like(one)

    def vec(slots):  # output spin parts from {slot: (n, 6) sums over the input part}
        return jnp.stack([slots.get(k, zero) for k in range(6)], axis=-1)  # (n, 6 in, 6 out)

    # output part k of the map, turned back from the source's frame to ENU
    out = {
        0: vec({0: one}),
        1: vec({1: one}),
        2: vec({2: sc, 3: ss}),
        3: vec({2: -ss, 3: sc}),
        4: vec({4: sc2, 5: ss2}),
        5: vec({4: -ss2, 5: sc2}),
    }
    even, odd = (0, 1, 2, 4), (3, 5)
    rows = [out[k][:, j] for k in even for j in even] + [out[k][:, j] for k in odd for j in odd]
    return jnp.stack(rows, axis=1)


class OutsideDomain3DWarning(UserWarning):
    """A `RelaxationEmulator3D` query outside the rheology or time box it was trained on."""


def spin_parts(sigma: Float[Array, "... 3 3"]) -> Float[Array, "... 6"]:
    """Split symmetric tensors into parts that rotate with order 0, 1 and 2 about the vertical:
    `[(s_xx + s_yy)/2, s_zz, s_xz, s_yz, (s_xx - s_yy)/2, s_xy]`."""
    sxx, syy, szz = sigma[..., 0, 0], sigma[..., 1, 1], sigma[..., 2, 2]
    return jnp.stack(
        [
            0.5 * (sxx + syy),
            szz,
            sigma[..., 0, 2],
            sigma[..., 1, 2],
            0.5 * (sxx - syy),
            sigma[..., 0, 1],
        ],
        axis=-1,
    )


def from_spin_parts(p: Float[Array, "... 6"]) -> Float[Array, "... 3 3"]:
    """Inverse of `spin_parts`."""
    a, b, xz, yz, d, xy = (p[..., k] for k in range(6))
    row0 = jnp.stack([a + d, xy, xz], axis=-1)
    row1 = jnp.stack([xy, a - d, yz], axis=-1)
    row2 = jnp.stack([xz, yz, b], axis=-1)
    return jnp.stack([row0, row1, row2], axis=-2)


#: Weights that make the squared Euclidean norm of `spin_parts` the squared Frobenius norm.
SPIN_NORM_WEIGHTS = (2.0, 1.0, 2.0, 2.0, 2.0, 2.0)


def apply_weights(w: Float[Array, "... P 6"], parts: Float[Array, "... P 6"]) -> Array:
    """`sum_p W_p [parts_p]` in spin parts: `w[..., p, :]` = (a00, a01, a10, a11, c1, c2)."""
    iso = parts[..., 0:2]
    out_a = jnp.sum(w[..., 0] * iso[..., 0] + w[..., 1] * iso[..., 1], axis=-1)
    out_b = jnp.sum(w[..., 2] * iso[..., 0] + w[..., 3] * iso[..., 1], axis=-1)
    one = jnp.sum(w[..., 4:5] * parts[..., 2:4], axis=-2)
    two = jnp.sum(w[..., 5:6] * parts[..., 4:6], axis=-2)
    return jnp.concatenate([out_a[..., None], out_b[..., None], one, two], axis=-1)


def time_factors(tau: Float[Array, " M"], t) -> Float[Array, "*t M"]:
    """`phi_m(t) = 1 - exp(-t / tau_m)` (exactly 0 at t = 0)."""
    t = jnp.asarray(t)[..., None]
    return -jnp.expm1(-t / tau.reshape((1,) * (t.ndim - 1) + tau.shape))


def window_factors(tau: Float[Array, " M"], window) -> Float[Array, "*w M"]:
    """Mean of `phi_m` over [0, window]: `1 + (tau/T) expm1(-T/tau)`, and 0 at T = 0
    (double `where`, so that gradients stay finite there)."""
    w = jnp.asarray(window)[..., None]
    tau = tau.reshape((1,) * (w.ndim - 1) + tau.shape)
    pos = w > 0
    ws = jnp.where(pos, w, 1.0)
    return jnp.where(pos, 1.0 + (tau / ws) * jnp.expm1(-ws / tau), 0.0)


class RelaxationEmulator3D(eqx.Module):
    """Emulated 3D Burgers relaxation stress (final); see the module docstring.

    **Fields:** `net`: MLP from the `5 + P` invariant inputs to `P * M * 6` weights; `tau (M,)`:
    relaxation times, s; `H`: elastic layer thickness, m; `mu`: shear modulus (= lambda), Pa;
    `probe_depths`: depths below the layer top of the column probes, in units of H;
    `rings`: (depth, radius) pairs, in units of H, of the rings of 8 probes around the
    cell's column whose mean stress is a probe; `domain`: dict with `rheology`
    (3 x 2 box of `RHEOLOGY_NAMES`) and `t_max` (s); `scale (P,)`: fixed input scales of
    the probes (one more with `moment_term`); `on_outside`: "warn", "error" or "ignore";
    `okada_implementation`: "xla" or "pallas", the Okada kernel for the probe stresses
    (`quakejax.okada.displacement_gradient`'s `implementation`: "pallas" is faster on NVIDIA
    GPUs in float32, gradients unchanged);
    `moment_term`: whether the rupture's moment tensor, seen from the cell, is one more probe
    (`moment_probe`; its map has 20 weights per time scale); `moment_source`: one of
    `MOMENT_SOURCES`, the rupture as one point source at its centroid or one per patch
    (tapered near the cell or not).
    """

    net: eqx.nn.MLP
    tau: Float[Array, " M"]
    scale: Float[Array, " P"]
    H: float = eqx.field(static=True)
    mu: float = eqx.field(static=True)
    probe_depths: tuple[float, ...] = eqx.field(static=True)
    rings: tuple[tuple[float, float], ...] = eqx.field(static=True)
    domain: dict = eqx.field(static=True)
    on_outside: str = eqx.field(static=True, default="warn")
    okada_implementation: str = eqx.field(static=True, default="xla")
    moment_term: bool = eqx.field(static=True, default=False)
    moment_source: str = eqx.field(static=True, default="centroid")

    @classmethod
    def init(
        cls,
        key,
        *,
        H: float = 30e3,
        mu: float = 3.0e10,
        tau_days=(0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 1e4, 3e4, 1e5),
        probe_depths=(1.1, 1.3, 1.7, 2.5),
        rings=((1.2, 0.5), (1.5, 1.0), (2.0, 2.0)),
        width: int = 64,
        depth: int = 3,
        domain: dict | None = None,
        moment_term: bool = False,
        moment_source: str = "centroid",
        dtype=None,
    ) -> RelaxationEmulator3D:
        """An untrained emulator (small final layer, so that it starts near zero).  `dtype`:
        of its arrays; by default JAX's default float (float64 only with x64 enabled).
        `moment_term`: add the rupture's moment tensor as a probe (see `moment_probe`), with
        its source at the centroid or at every patch (`moment_source`)."""
        if dtype is None:
            dtype = jnp.result_type(float)
        n_probes = 1 + len(probe_depths) + len(rings)
        m = len(tau_days)
        extra_in = (1 + _N_MOMENT_GEOMETRY) if moment_term else 0
        extra_out = m * _N_MOMENT_COEF if moment_term else 0
        net = eqx.nn.MLP(
            3 + _N_GEOMETRY + n_probes + extra_in,
            n_probes * m * _N_COEF + extra_out,
            width,
            depth,
            activation=jnp.tanh,
            key=key,
            dtype=dtype,
        )
        last = net.layers[-1]
        net = eqx.tree_at(lambda n: n.layers[-1].weight, net, last.weight * 1e-2)
        net = eqx.tree_at(lambda n: n.layers[-1].bias, net, last.bias * 0.0)
        if domain is None:
            domain = {"rheology": ((18.0, 20.5), (17.0, 19.5), (-0.3, 0.3)), "t_max": 3 * YEAR}
        return cls(
            net,
            jnp.asarray(tau_days, dtype) * DAY,
            jnp.ones(n_probes + int(moment_term), dtype),
            float(H),
            float(mu),
            tuple(float(v) for v in probe_depths),
            tuple((float(d), float(r)) for d, r in rings),
            domain,
            moment_term=bool(moment_term),
            moment_source=moment_source,
        )

    def __check_init__(self):
        if self.moment_source not in MOMENT_SOURCES:
            raise ValueError(
                f"RelaxationEmulator3D: moment_source must be one of {MOMENT_SOURCES}, got "
                f"{self.moment_source!r}"
            )
        if self.on_outside not in ("warn", "error", "ignore"):
            raise ValueError(
                f"RelaxationEmulator3D: on_outside must be 'warn', 'error' or 'ignore', "
                f"got {self.on_outside!r}"
            )
        if self.okada_implementation not in IMPLEMENTATIONS:
            raise ValueError(
                f"RelaxationEmulator3D: okada_implementation must be one of {IMPLEMENTATIONS}, "
                f"got {self.okada_implementation!r}"
            )

    @property
    def n_probes(self) -> int:
        """The local probes: the cell, the column probes and the rings (not the moment)."""
        return 1 + len(self.probe_depths) + len(self.rings)

    def with_on_outside(self, on_outside: str) -> RelaxationEmulator3D:
        """The same emulator with another out-of-domain policy."""
        return dataclasses.replace(self, on_outside=on_outside)

    def with_okada_implementation(self, implementation: str) -> RelaxationEmulator3D:
        """The same emulator with another Okada kernel for its probes ("xla" or "pallas")."""
        return dataclasses.replace(self, okada_implementation=implementation)

    # --------------------------------------------------------------------------- inputs
    def deep_points(self, columns: Float[Array, "m 2"]) -> Float[Array, "m Q 3"]:
        """The probes below each column (x, y) (m, ENU): the column probes, then the rings (8
        points each).  They do not depend on the cell's depth, so cells that share a column
        (the layers of the DeVries grid) share them."""
        columns = jnp.asarray(columns)
        h = self.H
        out = [
            jnp.concatenate([columns, jnp.full_like(columns[:, :1], -d * h)], axis=1)
            for d in self.probe_depths
        ]
        ang = np.arange(8) * (np.pi / 4)
        for d, radius in self.rings:
            base = jnp.concatenate([columns, jnp.full_like(columns[:, :1], -d * h)], axis=1)
            for c, sn in zip(np.cos(ang), np.sin(ang), strict=True):
                off = jnp.asarray([c * radius * h, sn * radius * h, 0.0], columns.dtype)
                out.append(base + off[None])
        return jnp.stack(out, axis=1)

    @staticmethod
    def column_layout(points) -> tuple[np.ndarray, np.ndarray]:
        """The distinct horizontal positions `(m, 2)` of `points` (m, to 1 micrometre) and the
        column of each point `(n,)` (numpy; `points` must be concrete)."""
        xy = np.round(np.asarray(points, dtype=np.float64)[:, :2], 6)
        columns, column_of = np.unique(xy, axis=0, return_inverse=True)
        return columns, column_of.reshape(-1)

    def _layout(self, points, layout):
        if layout is None:
            if isinstance(points, jax.core.Tracer):
                return points[:, :2], jnp.arange(points.shape[0])
            return self.column_layout(points)
        return layout

    def probe_points(self, points, layout=None) -> Float[Array, "N 3"]:
        """Every point where `probe_fields` needs the Okada stress (m, ENU): the `n` cells
        first, then `deep_points` of each column, flattened (`N = n + m Q`).  `layout`: see
        `probe_fields`.  With a fixed fault geometry, `okada.stress_greens` at these points
        gives the `stress` argument of `probe_fields` and `fields` for any slip."""
        points = jnp.asarray(points)
        columns = jnp.asarray(self._layout(points, layout)[0], points.dtype)
        return jnp.concatenate([points, self.deep_points(columns).reshape(-1, 3)])

    def probe_fields(
        self, fault: FaultModel, points, layout=None, stress=None
    ) -> tuple[Float[Array, "n 3 3"], Float[Array, "n P 6"]]:
        """Coseismic Okada stress (Pa, ENU) at the cells, and at all probes in `spin_parts`
        with the rings averaged (then `moment_probe`'s, with `moment_term`).  `layout`:
        `(columns, column_of)` as `column_layout` gives; by default computed from concrete
        `points`, or one column per point under jit.  `stress`: the Okada stress (Pa, ENU)
        of `fault` at `probe_points(points, layout)`, if already known (for instance from
        Green's functions when only the slip changes); by default computed here."""
        points = jnp.asarray(points)
        layout = self._layout(points, layout)
        columns = jnp.asarray(layout[0], points.dtype)
        column_of = jnp.asarray(layout[1])
        m, q = columns.shape[0], len(self.probe_depths) + 8 * len(self.rings)
        n = points.shape[0]
        if stress is None:
            stress = okada_stress(
                fault,
                self.probe_points(points, layout),
                mu=self.mu,
                lam=self.mu,
                implementation=self.okada_implementation,
            )
        elif stress.shape != (n + m * q, 3, 3):
            raise ValueError(
                f"RelaxationEmulator3D.probe_fields: stress must be ({n + m * q}, 3, 3), the "
                f"stress at probe_points(points, layout), got {stress.shape}"
            )
        cell = stress[:n]
        parts = spin_parts(stress[n:]).reshape(m, q, 6)
        k = len(self.probe_depths)
        rings = parts[:, k:].reshape(m, len(self.rings), 8, 6).mean(axis=2)
        below = jnp.concatenate([parts[:, :k], rings], axis=1)[column_of]
        out = [spin_parts(cell)[:, None], below]
        if self.moment_term:
            out.append(self.moment_probe(fault, points)[0][:, None])
        return cell, jnp.concatenate(out, axis=1)

    def moment_probe(
        self, fault: FaultModel, points
    ) -> tuple[Float[Array, "n 6"], Float[Array, "n 20 6"], Float[Array, "n 3"]]:
        """The rupture's moment tensor seen from each point, for a `moment_term` emulator.

        `M_i = A_i (n_i b_i^T + b_i n_i^T)` (m^3; `b_i` the slip vector of the hanging wall
        relative to the footwall, `n_i` the normal into the hanging wall, `A_i` the patch
        area).  With `moment_source="centroid"`, one source: `M = sum_i M_i` at the rupture's
        centroid `c` (patch centroids weighted by area x slip), scaled to a stress
        `mu M s^2 / ((s^2 + H^2) rho^3)` (Pa) with `rho = sqrt(|x - c|^2 + H^2)` and `s` the
        distance to the nearest patch centroid (the taper leaves the near field, where one
        point source describes the rupture poorly, to the local probes).  With
        `moment_source="patches"`, one source per patch, `mu M_i / rho_i^3` at its centroid
        `c_i`, untapered; with "tapered_patches" each times `s_i^2 / (s_i^2 + H^2)`, `s_i =
        |x - c_i|` (m).  Each source is turned into the frame whose x axis points
        horizontally from it to the point; there the mirror y -> -y maps the source-point
        geometry onto itself, so the emulator's map keeps the mirror-even and mirror-odd
        parts apart, and with the frame following the point its output turns with the map.
        Straight above or below a source the direction is undefined and the frame is east (a
        choice; the emulator's output can jump there).

        Returns the probe (spin parts, Pa): for "centroid" the source in its frame, for the
        patch sources the sum of the scaled `M_i` in ENU (both have the norm the network
        sees); `_moment_basis` of the sources (`(n, 20, 6)`, Pa, ENU: what each of the map's 20
        weights gives); and the extra geometry inputs `(log10(0.05 + rho / H),
        |x - c|_horizontal / rho, -c_z / H)` of the centroid."""
        points = jnp.asarray(points)
        dtype = points.dtype
        b = (
            fault.slip[:, 0:1] * fault.strike_vector
            - fault.slip[:, 1:2] * fault.down_dip_vector
            + fault.slip[:, 2:3] * fault.normal_vector
        ).astype(dtype)
        nrm = fault.normal_vector.astype(dtype)
        area = fault.area.astype(dtype)
        cents = fault.centroid.astype(dtype)
        m_i = area[:, None, None] * nrm[:, :, None] * b[:, None, :]
        m_i = spin_parts(m_i + jnp.swapaxes(m_i, -1, -2))  # (P, 6), ENU
        b2 = jnp.sum(b**2, axis=-1)
        slipping = b2 > 0
        w = area * jnp.where(slipping, jnp.sqrt(jnp.where(slipping, b2, 1.0)), 0.0)
        total = jnp.sum(w)
        w = jnp.where(total > 0, w, area)  # no slip at all: the area-weighted centre
        c = jnp.sum(w[:, None] * cents, axis=0) / jnp.sum(w)
        n = points.shape[0]
        if self.moment_source == "centroid":
            src = c[None]
            m_src = jnp.sum(m_i, axis=0)[None]
            # Near the rupture one point source describes it poorly: taper the probe there,
            # by s^2 / (s^2 + H^2) with s the distance to the nearest patch centroid.
            s2 = jnp.min(jnp.sum((points[:, None, :] - cents[None]) ** 2, -1), 1)
            taper = s2 / (s2 + self.H**2)
        else:
            src, m_src, taper = cents, m_i, jnp.ones((n,), dtype)

        def one(args):  # one point: its sources' probes (S, 6) in their frames, the basis
            x, tp = args
            d = x[None] - src  # (S, 3)
            rh2 = d[:, 0] ** 2 + d[:, 1] ** 2
            off = rh2 > 0
            safe = jnp.where(off, jnp.sqrt(jnp.where(off, rh2, 1.0)), 1.0)
            cos = jnp.where(off, d[:, 0] / safe, 1.0)
            sin = jnp.where(off, d[:, 1] / safe, 0.0)
            rho = jnp.sqrt(rh2 + d[:, 2] ** 2 + self.H**2)
            amp = self.mu * tp / rho**3  # (S,), Pa / m^3
            if self.moment_source == "tapered_patches":
                s2 = jnp.sum(d**2, axis=-1)
                amp = amp * s2 / (s2 + self.H**2)
            q = _turn_spin(m_src, cos, sin) * amp[:, None]
            basis = _moment_basis(q[None], cos[None], sin[None])[0]
            probe = q[0] if self.moment_source == "centroid" else amp @ m_src
            return probe, basis

        # in blocks of points, so that memory stays bounded for many patches and cells
        probe, basis = jax.lax.map(one, (points, taper), batch_size=min(512, max(n, 1)))
        dc = points - c[None]
        rhc2 = dc[:, 0] ** 2 + dc[:, 1] ** 2
        offc = rhc2 > 0
        rhc = jnp.where(offc, jnp.sqrt(jnp.where(offc, rhc2, 1.0)), 0.0)
        rhoc = jnp.sqrt(rhc2 + dc[:, 2] ** 2 + self.H**2)
        geom = jnp.stack(
            [
                jnp.log10(0.05 + rhoc / self.H),
                rhc / rhoc,
                jnp.broadcast_to(-c[2] / self.H, rhoc.shape),
            ],
            axis=-1,
        )
        return probe, basis, geom

    def probe_stress(self, fault: FaultModel, points, layout=None) -> Float[Array, "n P 6"]:
        """Coseismic Okada stress (Pa) at the probes, in `spin_parts`, rings averaged: the
        cell itself, the column probes, the rings (see `probe_fields`)."""
        return self.probe_fields(fault, points, layout)[1]

    def geometry(self, fault: FaultModel, points) -> Float[Array, "n G"]:
        """Invariant geometry inputs: depth / H and log10(0.05 + d / H), d the distance (m)
        to the nearest patch centroid; with `moment_term`, also `moment_probe`'s three."""
        points = jnp.asarray(points)
        d2 = jnp.sum((points[:, None, :] - fault.centroid[None, :, :]) ** 2, axis=-1)
        dmin = jnp.sqrt(jnp.min(d2, axis=1) + (1e-3 * self.H) ** 2)
        geom = jnp.stack([-points[:, 2] / self.H, jnp.log10(0.05 + dmin / self.H)], axis=-1)
        if self.moment_term:
            geom = jnp.concatenate([geom, self.moment_probe(fault, points)[2]], axis=-1)
        return geom

    def rheology_inputs(self, rheology: Burgers) -> Float[Array, " 3"]:
        """`RHEOLOGY_NAMES` of a Burgers rheology (the emulator's Maxwell modulus is `mu`)."""
        if not isinstance(rheology, Burgers):
            raise TypeError(
                "RelaxationEmulator3D: trained for Burgers rheologies only, got "
                f"{type(rheology).__name__}"
            )
        return jnp.stack(
            [
                jnp.log10(rheology.eta_M),
                jnp.log10(rheology.eta_K),
                jnp.log10(rheology.mu_K / rheology.mu_M),
            ]
        )

    def outside(self, rheo_inputs, t_max, t_min=0.0, mu_M=None) -> Array:
        """True where the rheology inputs or the times leave the training box ([0, t_max]
        s), or the rheology's Maxwell modulus `mu_M` (Pa) is not the emulator's `mu`."""
        box = jnp.asarray(self.domain["rheology"], rheo_inputs.dtype)
        bad = jnp.any((rheo_inputs < box[:, 0] - 1e-9) | (rheo_inputs > box[:, 1] + 1e-9))
        bad = bad | (t_max > self.domain["t_max"] * (1 + 1e-9)) | (t_min < 0)
        if mu_M is not None:
            bad = bad | (jnp.abs(mu_M / self.mu - 1) > 1e-6)
        return bad

    def inputs(
        self,
        geometry: Float[Array, "n G"],
        parts: Float[Array, "n P 6"],
        rheo_inputs: Float[Array, "*r 3"],
    ) -> Array:
        """Network inputs `(n, 5 + P)`: the geometry, the rheology scaled to [-1, 1] on the
        training box (`rheo_inputs` one row, or one per cell), and the scale-free shape of the
        probe stresses, `log10(|s_p| / mean_p |s_p| + 1e-6)` (Frobenius norms of the scaled
        probes; 0 where the rupture stresses no probe)."""
        box = jnp.asarray(self.domain["rheology"], geometry.dtype)
        lo = box[:, 0].reshape((1,) * (rheo_inputs.ndim - 1) + (3,))
        hi = box[:, 1].reshape((1,) * (rheo_inputs.ndim - 1) + (3,))
        r = 2 * (rheo_inputs - lo) / (hi - lo) - 1
        w = jnp.asarray(SPIN_NORM_WEIGHTS, parts.dtype)[None, None, :]
        sq = jnp.sum(w * (parts / self.scale[None, :, None]) ** 2, axis=-1)  # (n, P)
        pos = sq > 0
        norm = jnp.where(pos, jnp.sqrt(jnp.where(pos, sq, 1.0)), 0.0)
        ref = jnp.mean(norm, axis=-1, keepdims=True)
        ok = ref > 0
        shape = jnp.where(ok, jnp.log10(norm / jnp.where(ok, ref, 1.0) + 1e-6), 0.0)
        n = geometry.shape[0]
        return jnp.concatenate([geometry, jnp.broadcast_to(r, (n, 3)), shape], axis=-1)

    def predict(
        self,
        parts: Float[Array, "n P 6"],
        z: Float[Array, "n F"],
        factors: Float[Array, "K M"],
        basis: Float[Array, "n 20 6"] | None = None,
    ) -> Float[Array, "K n 6"]:
        """Relaxation stress in `spin_parts` from the probe stresses `parts` (Pa), the network
        inputs `z` and the time factors (`time_factors` or `window_factors`).  `basis`:
        `moment_probe`'s basis (Pa), needed with `moment_term`."""
        n, m, p = z.shape[0], self.tau.shape[0], self.n_probes
        out = jax.vmap(self.net)(z)
        w = out[:, : p * m * _N_COEF].reshape(n, m, p, _N_COEF)
        scaled = parts / self.scale[None, :, None]
        per_mode = apply_weights(w, scaled[:, None, :p])  # (n, M, 6)
        local = jnp.einsum("km,nmc->knc", factors, per_mode)
        if not self.moment_term:
            return local
        if basis is None:
            raise ValueError("RelaxationEmulator3D.predict: a moment_term emulator needs basis")
        wm = out[:, p * m * _N_COEF :].reshape(n, m, _N_MOMENT_COEF)
        scaled_basis = basis / self.scale[p]
        return local + jnp.einsum("km,nma,nac->knc", factors, wm, scaled_basis)

    # -------------------------------------------------------------------------- outputs
    def _check(self, rheo_inputs, t, mu_M):
        if self.on_outside == "ignore":
            return rheo_inputs
        t_max = jnp.max(t)
        flag = self.outside(rheo_inputs, t_max, jnp.min(t), mu_M)
        if self.on_outside == "error":
            # survives jit: a runtime error naming the box
            return eqx.error_if(
                rheo_inputs,
                flag,
                f"RelaxationEmulator3D: rheology, times or mu_M outside the training domain "
                f"{self.domain} (mu = {self.mu:.4g} Pa)",
            )
        if not isinstance(flag, jax.core.Tracer) and bool(flag):
            warnings.warn(
                f"RelaxationEmulator3D: rheology {np.asarray(rheo_inputs)} "
                f"({', '.join(RHEOLOGY_NAMES)}), times up to {float(t_max):.3g} s or mu_M "
                f"{float(mu_M):.4g} Pa outside the training domain {self.domain} "
                f"(mu = {self.mu:.4g} Pa)",
                OutsideDomain3DWarning,
                stacklevel=3,
            )
        return rheo_inputs

    def fields(
        self,
        fault: FaultModel,
        points,
        rheology: Burgers,
        t,
        *,
        mean: bool = False,
        layout=None,
        stress=None,
    ) -> tuple[Float[Array, "n 3 3"], Float[Array, "n_t n 3 3"]]:
        """(coseismic Okada stress `(n, 3, 3)`, relaxation stress change `(n_t, n, 3, 3)`), Pa,
        ENU, tension positive, at `points` (ENU, m, below the surface) and times `t` (s,
        >= 0), or with `mean=True` the relaxation's mean over [0, t] for each t.  The
        relaxation is exactly zero at t = 0.  `layout`, `stress`: see `probe_fields`."""
        points = jnp.asarray(points, fault.centroid.dtype)
        if points.ndim != 2 or points.shape[1] != 3:
            raise ValueError(
                f"RelaxationEmulator3D: points must be (n, 3) ENU m, got {points.shape}"
            )
        t = jnp.atleast_1d(jnp.asarray(t, points.dtype))
        rin = self._check(
            self.rheology_inputs(rheology).astype(points.dtype),
            t,
            jnp.asarray(rheology.mu_M, points.dtype),
        )
        tau = self.tau.astype(points.dtype)
        f = window_factors(tau, t) if mean else time_factors(tau, t)
        cell, parts = self.probe_fields(fault, points, layout, stress)
        z = self.inputs(self.geometry(fault, points), parts, rin)
        basis = self.moment_probe(fault, points)[1] if self.moment_term else None
        return cell, from_spin_parts(self.predict(parts, z, f, basis))

    def relaxation_stress(
        self, fault: FaultModel, points, rheology: Burgers, t, *, mean=False, layout=None
    ) -> Float[Array, "n_t n 3 3"]:
        """The relaxation stress change alone (Pa); see `fields`."""
        return self.fields(fault, points, rheology, t, mean=mean, layout=layout)[1]

    def stress(
        self, fault: FaultModel, points, rheology: Burgers, t, *, mean=False, layout=None
    ) -> Float[Array, "n_t n 3 3"]:
        """Total stress (Pa): Okada's coseismic stress plus the relaxation; see `fields`."""
        co, rel = self.fields(fault, points, rheology, t, mean=mean, layout=layout)
        return co[None] + rel

    # ------------------------------------------------------------------------------ I/O
    def save(self, path, **info) -> tuple[pathlib.Path, pathlib.Path]:
        """Write `path.eqx` (arrays) and `path.json` (hyper-parameters, domain, `info`)."""
        path = pathlib.Path(path)
        hyper = {
            "H": self.H,
            "mu": self.mu,
            "tau_days": [float(v) for v in np.asarray(self.tau) / DAY],
            "probe_depths": list(self.probe_depths),
            "rings": [list(r) for r in self.rings],
            "width": self.net.width_size,
            "depth": self.net.depth,
            "moment_term": self.moment_term,
            "moment_source": self.moment_source,
            "domain": {
                "rheology": [list(b) for b in self.domain["rheology"]],
                "t_max": self.domain["t_max"],
            },
        }
        js = path.with_suffix(".json")
        js.write_text(json.dumps({"hyper": hyper, "info": info}, indent=1))
        eq = path.with_suffix(".eqx")
        eqx.tree_serialise_leaves(eq, self)
        return eq, js

    @classmethod
    def load(cls, path, *, on_outside: str = "warn") -> RelaxationEmulator3D:
        """Read what `save` wrote (in JAX's default float: float64 with x64 enabled)."""
        path = pathlib.Path(path)
        js = path.with_suffix(".json")
        try:
            hyper = json.loads(js.read_text())["hyper"]
        except (OSError, KeyError, json.JSONDecodeError) as err:
            raise ValueError(f"RelaxationEmulator3D.load: cannot read {js}: {err}") from err
        dom = hyper["domain"]
        like = cls.init(
            jax.random.PRNGKey(0),
            H=hyper["H"],
            mu=hyper["mu"],
            tau_days=hyper["tau_days"],
            probe_depths=hyper["probe_depths"],
            rings=tuple(tuple(r) for r in hyper["rings"]),
            width=hyper["width"],
            depth=hyper["depth"],
            moment_term=bool(hyper.get("moment_term", False)),
            moment_source=hyper.get("moment_source", "centroid"),
            domain={"rheology": tuple(tuple(b) for b in dom["rheology"]), "t_max": dom["t_max"]},
        )
        emu = eqx.tree_deserialise_leaves(path.with_suffix(".eqx"), like)
        return emu.with_on_outside(on_outside)

    @classmethod
    def pretrained(cls, name: str = "relaxation3d", **kw) -> RelaxationEmulator3D:
        """The shipped weights (`quakejax/visco/weights/<name>.eqx`), trained by
        `experiments/train_visco3d_emulator.py`."""
        return cls.load(WEIGHTS_DIR / name, **kw)
