"""Antiplane earthquake-cycle and postseismic models: elastic layer over a viscoelastic half-space.

An infinitely long vertical strike-slip fault at x = 0 cuts an elastic layer of thickness `H` and
shear modulus `layer_mu`, over a half-space of some `AbstractRheology`.  The fault slips on
`0 < z < D <= H`.  The half-space is divided into rectangular strain volumes (`AntiplaneMesh`);
the state is the inelastic (engineering) strain of each volume, and the stress that drives it is
the elastic stress of the fault slip plus that of all volumes' eigenstrains, from closed-form
half-space kernels (Lambert & Barbot 2016, GRL 43:10142; Barbot et al. 2017, BSSA 107:821).
The rheology ODEs are integrated with diffrax.

Where `layer_mu` differs from the half-space's instantaneous modulus `mu0`, the contrast is
represented by Eshelby's equivalent eigenstrain on the same volumes (the kernels are those of a
homogeneous half-space of modulus `layer_mu`): it is exact as the mesh refines and extends, like
the rest of the discretisation.

Frame and units: SI.  `x` (m) is the horizontal distance from the fault, `z` (m) depth, positive
down.  Displacement and velocity are along strike; a positive slip moves the x > 0 side in the
+strike direction, so surface fields are odd in x.
"""

import functools

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, ArrayLike, Float
from ._kelvin_voigt import KelvinVoigt
from ._kernels import antisymmetric_strain_volume_greens, screw_dislocation
from ._mesh import AntiplaneMesh
from .base import AbstractRheology


def _float(value) -> Array:
    array = jnp.asarray(value)
    if not jnp.issubdtype(array.dtype, jnp.floating):
        array = array.astype(float)  # the default float dtype (float32 unless x64 is on)
    return array


def _jit_on_arrays(method):
    """jit a public method, with its (x, z, t) arguments made arrays first.

    `eqx.filter_jit` would treat Python numbers and lists as static, and compile again for
    every new value.
    """
    jitted = eqx.filter_jit(method)

    @functools.wraps(method)
    def wrapper(self, *args):
        return jitted(self, *(_float(a) for a in args))

    return wrapper


def _broadcast_index(*arrays, names=("x", "t")) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """Broadcast shape of `arrays`, and for each the flat index of its element at every output.

    Fields are evaluated once per distinct input element (e.g. a kernel per x, a solve per t)
    and gathered, instead of once per element of the broadcast product.
    """
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays, strict=True))
        raise ValueError(f"the shapes of {shapes} do not broadcast together") from None
    index = [np.broadcast_to(np.arange(a.size).reshape(a.shape), shape).ravel() for a in arrays]
    return shape, index


def _check_positive(value, name: str) -> None:
    if isinstance(value, jax.core.Tracer):
        return
    if not bool(jnp.isfinite(value)) or not bool(value > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}")


class _Modes(eqx.Module):
    """Eigen-decomposition of the strain-volume interaction, independent of the rheology.

    `K` maps the eigenstrain of every volume to the strain averaged over every volume (2N x 2N
    for the two components of N volumes).  By reciprocity `W K` is symmetric for exact volume
    averages, with `W` the volume areas; the Gauss-point averages make it so only approximately,
    and we use its symmetric part, `S = sym(W^1/2 K W^-1/2) = Q diag(kappa) Q^T`.  In the modal
    coordinates `xi = Q^T W^1/2 gamma` the volumes decouple: every linear, local rheology then
    gives one small independent ODE per mode.

    Strains are in units of `slip_scale / D`, displacements in units of `slip_scale`.
    """

    bounds: Array  # (N, 4), m
    D: Array  # m
    kappa: Array  # (2N,) eigenvalues of the strain-from-eigenstrain map
    from_modal: Array  # (2N, 2N) W^-1/2 Q: modal -> volume eigenstrain
    g_hat: Array  # (2N,) modal strain of unit fault slip

    def surface_greens(self, x: Array) -> tuple[Array, Array]:
        """Surface displacement per unit slip (n,), and per unit modal eigenstrain (n, 2N)."""
        ax = jnp.abs(x)
        sign = jnp.sign(x)

        def one(xi):
            obs = jnp.stack([xi, jnp.zeros_like(xi)])
            u_fault = screw_dislocation(obs, jnp.zeros_like(self.D), self.D)[0]

            def volume(b):
                return antisymmetric_strain_volume_greens(obs, b)[0]

            g = jax.vmap(volume)(self.bounds)  # (N, 2)
            return u_fault, (g.T.reshape(-1) / self.D) @ self.from_modal

        u_fault, g_volumes = jax.vmap(one)(ax)
        return sign * u_fault, sign[:, None] * g_volumes

    def stress_greens(self, x: Array, z: Array) -> tuple[Array, Array, Array]:
        """Strain minus eigenstrain at (x, z): per unit slip (n, 2), per unit modal e* (n, 2, 2N).

        Also returns whether each point lies in a meshed volume.
        """
        ax, sign = jnp.abs(x), jnp.sign(x)
        n = self.bounds.shape[0]

        def one(xi, zi):
            obs = jnp.stack([xi, zi])
            g_fault = screw_dislocation(obs, jnp.zeros_like(self.D), self.D)[1] * self.D

            def volume(b):
                return antisymmetric_strain_volume_greens(obs, b)[1]  # (2 out, 2 in)

            k_obs = jnp.transpose(jax.vmap(volume)(self.bounds), (1, 2, 0)).reshape(2, 2 * n)
            b = self.bounds
            inside = (b[:, 0] <= xi) & (xi < b[:, 1]) & (b[:, 2] <= zi) & (zi < b[:, 3])
            own = jnp.zeros((2, 2 * n), k_obs.dtype)
            own = (
                own.at[0, :n]
                .set(inside.astype(k_obs.dtype))
                .at[1, n:]
                .set(inside.astype(k_obs.dtype))
            )
            return g_fault, (k_obs - own) @ self.from_modal, jnp.any(inside)

        g_fault, per_e, meshed = jax.vmap(one)(ax, z)
        # The displacement is odd in x: du/dx is even, du/dz odd.
        parity = jnp.stack([jnp.ones_like(sign), sign], axis=-1)
        return parity * g_fault, parity[..., None] * per_e, meshed


def _modes(H, D, mesh: AntiplaneMesh) -> _Modes:
    bounds = mesh.bounds(H, D)
    # Receiver strains are cell averages by Gauss-Legendre quadrature (order 1 is collocation at
    # the centres); averaging makes the interaction a Galerkin one, nearly symmetric in W K.
    nodes, weights = np.polynomial.legendre.leggauss(mesh.quadrature)
    nodes = jnp.asarray(nodes / 2 + 0.5, bounds.dtype)
    weights = jnp.asarray(weights / 2, bounds.dtype)
    px = bounds[:, 0, None] + (bounds[:, 1] - bounds[:, 0])[:, None] * nodes[None, :]  # (N, q)
    pz = bounds[:, 2, None] + (bounds[:, 3] - bounds[:, 2])[:, None] * nodes[None, :]
    points = jnp.stack(jnp.broadcast_arrays(px[:, :, None], pz[:, None, :]), -1)  # (N, q, q, 2)
    w2 = weights[:, None] * weights[None, :]

    def averaged(field):
        # Cell average of field(point), for every receiver cell: (N, *field shape).
        values = jax.vmap(jax.vmap(jax.vmap(field)))(points)  # (N, q, q, ...)
        return jnp.einsum("nab...,ab->n...", values, w2)

    def column(b):
        # Strain averaged over every cell from unit eigenstrain in volume b: (N obs, 2 out, 2 in).
        return averaged(lambda c: antisymmetric_strain_volume_greens(c, b)[1])

    n = bounds.shape[0]
    blocks = jax.vmap(column)(bounds)  # (N src, N obs, 2 out, 2 in)
    K = jnp.transpose(blocks, (2, 1, 3, 0)).reshape(2 * n, 2 * n)  # rows (out, obs), cols (in, src)
    area = (bounds[:, 1] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 2])
    sqrt_w = jnp.sqrt(jnp.concatenate([area, area]) / area[0])
    S = sqrt_w[:, None] * K / sqrt_w[None, :]
    kappa, Q = jnp.linalg.eigh(0.5 * (S + S.T))
    fault = averaged(lambda c: screw_dislocation(c, jnp.zeros_like(D), D)[1])  # (N, 2), 1/m
    g_f = fault.T.reshape(-1) * D
    return _Modes(
        bounds=bounds,
        D=jnp.asarray(D),
        kappa=kappa,
        from_modal=Q / sqrt_w[:, None],
        g_hat=Q.T @ (sqrt_w * g_f),
    )


class _ModalSystem(eqx.Module):
    """The rheology-dependent coefficients of the decoupled modal ODEs.

    With the modulus contrast `r = mu0 / layer_mu` represented by Eshelby's equivalent eigenstrain
    `e* = (I - (1 - r) K)^-1 ((1 - r) g_f delta + r gamma)`, mode k has
    `e*_k = e_k gamma_k + f_k delta` and stress `sigma_k / mu0 = m_k gamma_k + s_k delta`.
    """

    e: Array
    f: Array
    m: Array
    s: Array

    @classmethod
    def build(cls, modes: _Modes, r) -> "_ModalSystem":
        denominator = 1 - (1 - r) * modes.kappa
        e = r / denominator
        f = (1 - r) * modes.g_hat / denominator
        return cls(e=e, f=f, m=modes.kappa * e - 1, s=modes.g_hat + modes.kappa * f)


class _AbstractAntiplaneModel(eqx.Module):
    H: eqx.AbstractVar[Array]
    D: eqx.AbstractVar[Array]
    layer_mu: eqx.AbstractVar[Array]
    rheology: eqx.AbstractVar[AbstractRheology]
    mesh: eqx.AbstractVar[AntiplaneMesh]
    rtol: eqx.AbstractVar[float]
    atol: eqx.AbstractVar[float]
    max_steps: eqx.AbstractVar[int]

    def _check(self):
        if not isinstance(self.rheology, AbstractRheology):
            raise TypeError(
                f"rheology must be a quakejax.visco rheology, got {type(self.rheology)}"
            )
        if isinstance(self.rheology, KelvinVoigt):
            raise TypeError(
                "rheology: a Kelvin-Voigt solid has no instantaneous elastic response, so it "
                "cannot be the half-space of a strain-volume model; use StandardLinearSolid "
                "or Burgers"
            )
        for name in ("H", "D", "layer_mu"):
            _check_positive(getattr(self, name), name)
        H, D = self.H, self.D
        if (
            not isinstance(H, jax.core.Tracer)
            and not isinstance(D, jax.core.Tracer)
            and bool(D > H)
        ):
            raise ValueError(
                f"D (locking depth {float(D)} m) must not exceed H (layer {float(H)} m)"
            )

    def modes(self) -> _Modes:
        """The rheology-independent modal decomposition (the expensive part: O(N^3))."""
        return _modes(self.H, self.D, self.mesh)

    def _system(self, modes: _Modes) -> _ModalSystem:
        return _ModalSystem.build(modes, self.rheology.mu0 / self.layer_mu)

    def _mode_rate(self, y, m_k, s_k, delta):
        """d y / dt of one mode's rheology state y (n_state, *cols) at fault slip `delta`."""
        sigma = m_k * self.rheology.inelastic_strain(y) + s_k * delta
        return self.rheology.state_rate(y, self.rheology.mu0 * sigma)

    def _solve_mode(self, y0, m_k, s_k, t0, t1, delta_fn, saveat):
        term = diffrax.ODETerm(lambda t, y, args: self._mode_rate(y, m_k, s_k, delta_fn(t)))
        controller = diffrax.PIDController(rtol=self.rtol, atol=self.atol, pcoeff=0.3, icoeff=0.3)
        return diffrax.diffeqsolve(
            term,
            diffrax.Kvaerno5(),
            t0=t0,
            t1=t1,
            dt0=None,
            y0=y0,
            saveat=saveat,
            stepsize_controller=controller,
            max_steps=self.max_steps,
            adjoint=diffrax.ForwardMode()
            if getattr(self, "forward_mode", False)
            else diffrax.RecursiveCheckpointAdjoint(),
        )


class PostseismicModel(_AbstractAntiplaneModel):
    """Postseismic relaxation after one rupture of slip `slip` on `0 < z < D`.

    The elastic layer (thickness `H`, shear modulus `layer_mu`) lies over a half-space of
    `rheology`.  At t = 0 the response is elastic; the inelastic strain of the half-space then
    evolves by the rheology's ODE, integrated with diffrax (Kvaerno5, PID step-size control).

    For a Maxwell half-space with `mu = layer_mu` this is the problem of Nur & Mavko (1974); for a
    Burgers half-space that of e.g. Hetland & Hager (2005).

    **Arguments** (SI):

    - `H`: elastic layer thickness, m.
    - `D`: depth of the rupture's bottom edge, m, `0 < D <= H`.
    - `slip`: coseismic slip, m (positive moves the x > 0 side in +strike).
    - `layer_mu`: shear modulus of the layer, Pa.
    - `rheology`: the half-space's `AbstractRheology` (not `KelvinVoigt`).
    - `mesh`: the strain-volume mesh (`AntiplaneMesh`).
    - `rtol`, `atol`: diffrax tolerances on the inelastic strain in units of slip/D.
    """

    H: Array = eqx.field(converter=jnp.asarray)
    D: Array = eqx.field(converter=jnp.asarray)
    slip: Array = eqx.field(converter=jnp.asarray)
    layer_mu: Array = eqx.field(converter=jnp.asarray)
    rheology: AbstractRheology
    mesh: AntiplaneMesh = AntiplaneMesh()
    rtol: float = eqx.field(static=True, default=1e-7)
    atol: float = eqx.field(static=True, default=1e-9)
    max_steps: int = eqx.field(static=True, default=4096)

    def __check_init__(self):
        self._check()

    def _modal_strain(self, modes: _Modes, system: _ModalSystem, t: Array) -> Array:
        """Modal inelastic strain at each time of `t` (any order), shape (n_t, 2N)."""
        n_modes = modes.kappa.shape[0]
        dtype = modes.kappa.dtype
        if self.rheology.n_state == 0:
            return jnp.zeros((t.shape[0], n_modes), dtype)
        y0 = self.rheology.init_state((), dtype)
        order = jnp.argsort(t)
        ts = jnp.maximum(t[order], 0)
        t1 = jnp.maximum(ts[-1], jnp.finfo(dtype).tiny)

        def one(m_k, s_k):
            sol = self._solve_mode(
                y0, m_k, s_k, jnp.zeros_like(t1), t1, lambda _: 1.0, diffrax.SaveAt(ts=ts)
            )
            return jax.vmap(self.rheology.inelastic_strain)(sol.ys)  # (n_t,)

        gamma = jax.vmap(one)(system.m, system.s)  # (2N, n_t)
        return jnp.empty_like(gamma.T).at[order].set(gamma.T)

    @_jit_on_arrays
    def surface_displacement(
        self, x: Float[ArrayLike, "*x"], t: Float[ArrayLike, "*t"]
    ) -> Float[Array, "*shape"]:
        """Along-strike surface displacement, m, at `x` (m) and time `t` (s) after the rupture.

        `x` and `t` broadcast against each other; one solve serves all times.  The field is odd in
        x (x = 0 gives 0, the mean of the two sides); t < 0 gives 0, t = 0 the coseismic (elastic)
        displacement.
        """
        x, t = _float(x), _float(t)
        shape, (ix, it) = _broadcast_index(x, t)
        x, t = x.reshape(-1), t.reshape(-1)
        modes = self.modes()
        system = self._system(modes)
        eigenstrain = system.e[None, :] * self._modal_strain(modes, system, t) + system.f[None, :]
        u_fault, greens = modes.surface_greens(x)
        u = self.slip * (u_fault[ix] + jnp.sum(greens[ix] * eigenstrain[it], axis=-1))
        return jnp.where(t[it] < 0, 0.0, u).reshape(shape)

    @_jit_on_arrays
    def stress(
        self, x: Float[ArrayLike, "..."], z: Float[ArrayLike, "..."], t: Float[ArrayLike, "..."]
    ):
        """Shear stress change `(sigma_xs, sigma_zs)`, Pa, at `(x, z)` (m) and time `t` (s).

        `sigma_xs = mu (du/dx - gamma_x)` acts on planes normal to x, `sigma_zs` on horizontal
        planes, both along strike.  Shape `(*broadcast, 2)`.
        """
        x, z = jnp.broadcast_arrays(_float(x), _float(z))
        t = _float(t)
        shape, (ip, it) = _broadcast_index(x, t)
        x, z, t = x.reshape(-1), z.reshape(-1), t.reshape(-1)
        modes = self.modes()
        system = self._system(modes)
        eigenstrain = system.e[None, :] * self._modal_strain(modes, system, t) + system.f[None, :]
        delta = jnp.ones((t.shape[0], 1), eigenstrain.dtype)
        sigma = _stress(self, modes, x, z, ip, it, delta, eigenstrain, self.slip)
        return jnp.where((t[it] < 0)[:, None], 0.0, sigma).reshape(shape + (2,))


def _stress(model, modes, x, z, ip, it, delta, eigenstrain, slip_scale):
    """Shear stress, Pa, (n_out, 2): points (x, z)[ip] at the fault slips `delta[it]` and modal
    equivalent eigenstrains `eigenstrain[it]`, both in units of `slip_scale` (m)."""
    per_slip, per_e, meshed = modes.stress_greens(x, z)
    sigma = per_slip[ip] * delta[it] + jnp.einsum("nck,nk->nc", per_e[ip], eigenstrain[it])
    # stress = layer_mu (g - e*) with the reference modulus; in the half-space beyond the mesh
    # neither eigenstrain nor the contrast is modelled, and the stress is mu0 g.
    beyond = (z > model.H) & ~meshed
    modulus = jnp.where(beyond, model.rheology.mu0, model.layer_mu)[:, None]
    return modulus[ip] * slip_scale / model.D * sigma


class CycleModel(_AbstractAntiplaneModel):
    """Cycle-invariant earthquake cycle: ruptures of slip `V T` on `0 < z < D` every `T`.

    Below the locking depth the fault creeps steadily at the full plate rate `V`.  By linearity
    the motion is rigid plate motion `+-V/2` plus the response to a zero-mean sawtooth slip
    deficit on `0 < z < D` (back-slip at rate `-V` and a jump of `V T` at each rupture).  The
    spin-up to cycle invariance is done exactly: the one-cycle map of each mode is affine, and its
    fixed point is the state after infinitely many cycles.

    For a Maxwell half-space with `mu = layer_mu` this is Savage & Prescott (1978).

    **Arguments** (SI):

    - `H`, `D`, `layer_mu`, `rheology`, `mesh`, `rtol`, `atol`: as `PostseismicModel`.
    - `T`: recurrence time, s.
    - `V`: full (far-field) plate rate, m/s.
    - `forward_mode`: differentiate the ODE solves in forward mode (`diffrax.ForwardMode`), so
      that `jax.jvp` and `jax.jacfwd` work; reverse mode (`jax.grad`) then does not. The
      default is reverse mode (`diffrax.RecursiveCheckpointAdjoint`).
    """

    H: Array = eqx.field(converter=jnp.asarray)
    D: Array = eqx.field(converter=jnp.asarray)
    T: Array = eqx.field(converter=jnp.asarray)
    V: Array = eqx.field(converter=jnp.asarray)
    layer_mu: Array = eqx.field(converter=jnp.asarray)
    rheology: AbstractRheology
    mesh: AntiplaneMesh = AntiplaneMesh()
    rtol: float = eqx.field(static=True, default=1e-7)
    atol: float = eqx.field(static=True, default=1e-9)
    max_steps: int = eqx.field(static=True, default=4096)
    forward_mode: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        self._check()
        _check_positive(self.T, "T")

    def _delta(self, t):
        # Zero-mean slip deficit on 0 < z < D, in units of V T, t since the last rupture.
        return 0.5 - t / self.T

    def _cycle_states(self, modes: _Modes, system: _ModalSystem, t: Array) -> Array:
        """Cycle-invariant state of every mode at times `t` (any order), (n_t, 2N, n_state).

        Each mode's flow over the cycle is affine in its state just after a rupture,
        `y(t) = Phi(t) y0 + c(t)`.  One diffrax integration of the `n_state` homogeneous solutions
        and the forced one gives `Phi` and `c` at the sampled times and at `T`; the invariant
        state solves `(I - Phi(T)) y0 = c(T)`, the limit of infinitely many spin-up cycles.
        Modes that barely relax (`I - Phi(T)` singular: compatible eigenstrains, which carry no
        stress) keep the mean state 0.
        """
        n_state = self.rheology.n_state
        dtype = modes.kappa.dtype
        eye = jnp.eye(n_state, dtype=dtype)
        Y0 = jnp.concatenate([eye, jnp.zeros((n_state, 1), dtype)], axis=1)
        weights = jnp.zeros(n_state + 1, dtype).at[-1].set(1.0)
        order = jnp.argsort(t)
        ts = jnp.concatenate([t[order], self.T[None].astype(dtype)])

        def one(m_k, s_k):
            sol = self._solve_mode(
                Y0,
                m_k,
                s_k,
                jnp.zeros_like(self.T),
                self.T,
                lambda tt: self._delta(tt) * weights,
                diffrax.SaveAt(ts=ts),
            )
            Y = sol.ys  # (n_t + 1, n_state, n_state + 1)
            A = eye - Y[-1, :, :n_state]
            ok = jnp.abs(jnp.linalg.det(A)) > jnp.sqrt(jnp.finfo(dtype).eps)
            y0 = jnp.where(ok, jnp.linalg.solve(jnp.where(ok, A, eye), Y[-1, :, n_state]), 0.0)
            return Y[:-1, :, :n_state] @ y0 + Y[:-1, :, n_state]  # (n_t, n_state)

        ys = jnp.transpose(jax.vmap(one)(system.m, system.s), (1, 0, 2))  # (n_t, 2N, n_state)
        return jnp.empty_like(ys).at[order].set(ys)

    @_jit_on_arrays
    def surface_velocity(
        self, x: Float[ArrayLike, "*x"], t: Float[ArrayLike, "*t"]
    ) -> Float[Array, "*shape"]:
        """Cycle-invariant surface velocity, m/s, at `x` (m), `t` (s) since the last rupture.

        `x` and `t` broadcast; `t` is taken modulo `T`.  Velocities are relative to the fault
        (`+V/2` far away on the x > 0 side, `-V/2` on the other).
        """
        x, t = _float(x), _float(t)
        shape, (ix, it) = _broadcast_index(x, t)
        x, t = x.reshape(-1), jnp.mod(t.reshape(-1), self.T)
        return self.velocity_from_modes(self.modes(), x, t, ix, it).reshape(shape)

    def velocity_from_modes(
        self, modes: _Modes, x: Float[Array, " n_x"], t: Float[Array, " n_t"], ix, it
    ) -> Float[Array, " n"]:
        """`surface_velocity` (m/s) from a precomputed `modes()`, at the pairs `(x[ix], t[it])`.

        The modal decomposition depends only on `H`, `D` and the mesh, so models that differ
        only in their rheology, `T` or `V` can share it (the emulator's training data does).
        `x` (m) and `t` (s, already reduced modulo `T`) are flat; `ix` and `it` are integer
        index arrays of the same length.
        """
        system = self._system(modes)
        u_fault, greens = modes.surface_greens(x)
        # e* = e gamma + f delta, with d delta/dt = -1/T in units of V T; rigid motion +-V/2.
        v = 0.5 * self.V * jnp.sign(x) - self.V * (u_fault + greens @ system.f)
        if self.rheology.n_state == 0:
            return v[ix]
        states = self._cycle_states(modes, system, t)
        per_mode = jax.vmap(self._mode_rate, in_axes=(0, 0, 0, None))
        rates = jax.vmap(per_mode, in_axes=(0, None, None, 0))(
            states, system.m, system.s, self._delta(t)
        )
        gamma_rate = jax.vmap(jax.vmap(self.rheology.inelastic_strain))(rates)  # (n_t, 2N)
        eigenstrain_rate = system.e[None, :] * gamma_rate
        return v[ix] + self.V * self.T * jnp.sum(greens[ix] * eigenstrain_rate[it], axis=-1)

    @_jit_on_arrays
    def stress(
        self, x: Float[ArrayLike, "..."], z: Float[ArrayLike, "..."], t: Float[ArrayLike, "..."]
    ):
        """Shear stress `(sigma_xs, sigma_zs)`, Pa, at `(x, z)` (m), `t` (s) since the last rupture.

        The stress relative to its cycle average (the constant loading stress of a linear model
        is not determined by its cycle).  Shape `(*broadcast, 2)`.
        """
        x, z = jnp.broadcast_arrays(_float(x), _float(z))
        t = _float(t)
        shape, (ip, it) = _broadcast_index(x, t)
        x, z, t = x.reshape(-1), z.reshape(-1), jnp.mod(t.reshape(-1), self.T)
        modes = self.modes()
        system = self._system(modes)
        if self.rheology.n_state == 0:
            gamma = jnp.zeros((t.shape[0], modes.kappa.shape[0]), modes.kappa.dtype)
        else:
            states = self._cycle_states(modes, system, t)
            gamma = jax.vmap(jax.vmap(self.rheology.inelastic_strain))(states)
        delta = self._delta(t)[:, None]
        eigenstrain = system.e[None, :] * gamma + system.f[None, :] * delta
        sigma = _stress(self, modes, x, z, ip, it, delta, eigenstrain, self.V * self.T)
        return sigma.reshape(shape + (2,))
