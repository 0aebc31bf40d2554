"""The closed graph: rupture -> coseismic + viscoelastic stress -> classifier -> likelihood.

The relaxation goes through the 3D solver (`ViscoGrid`) or its emulator (`EmulatorGrid`).

`aftershock_log_likelihood(fault, rheology, grid, labels, t_window)` is one jitted, pure JAX
function.  The rupture's Okada stress at the cells and at the cuboid centres (differentiable
in slip and geometry), the 3D Burgers/Maxwell relaxation driven by it (diffrax, differentiable
in the rheology parameters), the window-mean stress at the cells, the pretrained aftershock
classifier and the Bernoulli log-likelihood of the observed labels.  Everything that does not
depend on the rupture or the rheology (the interaction matrix and the cuboid-to-cell kernel) is
assembled once in a `ViscoGrid`.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._fault import FaultModel
from .._types import Array, Float
from ._emulator3d import RelaxationEmulator3D
from ._relax3d import Postseismic3D, _relax, eigenstrain_fields
from .base import AbstractRheology


def _stress_only_classifier(classifier, owner: str):
    """`classifier`, or the pretrained DeVries et al. (2018) network when None; an error if it
    needs the rupture context (the graph gives it stress only)."""
    from ..aftershocks import AftershockClassifier

    if classifier is None:
        classifier = AftershockClassifier.pretrained("devries")
    if classifier.needs_context:
        raise ValueError(
            f"{owner}: the classifier needs the rupture context; use one that takes "
            "stress only (e.g. AftershockClassifier.pretrained('devries'))"
        )
    return classifier


class ViscoGrid(eqx.Module):
    """Cells, a 3D relaxation model and a classifier, with the rupture-independent kernels.

    **Fields:** `points (n, 3)`: cell centres (ENU, m); `model`: a built `Postseismic3D`;
    `cell_kernel (n, 3, 3, 5N)`: stress (Pa) at the cells per unit deviatoric eigenstrain
    coordinate of every cuboid; `classifier`: an `AftershockClassifier` that takes stress only
    (no rupture context).
    """

    points: Float[Array, "n 3"]
    model: Postseismic3D
    cell_kernel: Float[Array, "n 3 3 N5"]
    classifier: object

    @classmethod
    def build(
        cls, points, model: Postseismic3D, classifier=None, *, order: int | None = None
    ) -> ViscoGrid:
        """Evaluate the cuboid-to-cell kernel (one pass over the cell-cuboid pairs) with the
        stacking quadrature `order` (default: the model's; 3 errs by about 1e-2 of the largest
        relaxation stress on the Landers grid against order 8; see docs/visco-3d.md).

        `classifier` defaults to the pretrained DeVries et al. (2018) network
        (`AftershockClassifier.pretrained("devries")`)."""
        classifier = _stress_only_classifier(classifier, "ViscoGrid")
        points = jnp.asarray(points, model.interaction.dtype)
        n5 = 5 * model.mesh.n
        unit = jnp.eye(n5, dtype=points.dtype).reshape(n5, model.mesh.n, 5)
        _, sig = eigenstrain_fields(
            points,
            model.mesh,
            unit,
            mu=model.mu,
            lam=model.lam,
            order=model.order if order is None else order,
        )
        return cls(points, model, jnp.moveaxis(sig, 0, -1), classifier)


class EmulatorGrid(eqx.Module):
    """Cells, the 3D relaxation emulator and a classifier: the fast path of the closed graph.

    **Fields:** `points (n, 3)`: cell centres (ENU, m); `columns (m, 2)`, `column_of (n,)`:
    the distinct horizontal positions of the cells and each cell's (the probes below a
    column serve all its cells); `emulator`: a `RelaxationEmulator3D` (default: the
    pretrained one); `classifier`: as in `ViscoGrid`.
    Nothing is assembled: the emulator needs only Okada stresses at the cells and probes.
    """

    points: Float[Array, "n 3"]
    columns: Float[Array, "m 2"]
    column_of: Array
    emulator: RelaxationEmulator3D
    classifier: object

    @classmethod
    def build(cls, points, emulator=None, classifier=None) -> EmulatorGrid:
        if emulator is None:
            emulator = RelaxationEmulator3D.pretrained()
        classifier = _stress_only_classifier(classifier, "EmulatorGrid")
        columns, column_of = emulator.column_layout(points)
        return cls(
            jnp.asarray(points), jnp.asarray(columns), jnp.asarray(column_of), emulator, classifier
        )


def relaxed_stress(
    fault: FaultModel, rheology: AbstractRheology, grid: ViscoGrid | EmulatorGrid, t_window
) -> Float[Array, "n 3 3"]:
    """Stress (Pa, ENU, tension positive) at the cells averaged over [0, t_window] (s): the
    coseismic Okada stress plus the mean viscoelastic relaxation (t_window = 0: Okada).
    Through the 3D solver for a `ViscoGrid`, through the emulator for an `EmulatorGrid`."""
    if isinstance(grid, EmulatorGrid):
        pts = grid.points.astype(fault.centroid.dtype)
        layout = (grid.columns, grid.column_of)
        return grid.emulator.stress(fault, pts, rheology, t_window, mean=True, layout=layout)[0]
    model = eqx.tree_at(lambda m: m.rheology, grid.model, rheology)
    dtype = fault.centroid.dtype
    _, sig_co, drive = model._coseismic(fault, grid.points.astype(dtype), driving=True)
    t = jnp.reshape(jnp.asarray(t_window, dtype), (1,))
    rel = _relax(model, drive, t, t[0])
    return sig_co + grid.cell_kernel.astype(dtype) @ rel.window_mean.reshape(-1)


@eqx.filter_jit
def aftershock_log_likelihood(
    fault: FaultModel,
    rheology: AbstractRheology,
    grid: ViscoGrid | EmulatorGrid,
    labels,
    t_window,
    offset=0.0,
) -> Float[Array, ""]:
    """Bernoulli log-likelihood (nats) of the cell `labels` (1: hosted an aftershock in the
    window, 0: not) given the rupture `fault` (slip and geometry), the `rheology` and the
    aftershock window `t_window` (s): sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)] with
    p = sigmoid(classifier logit of the window-mean stress + offset).

    Differentiable (jax.grad, jax.jvp) with respect to every array in `fault` (slip, centroid,
    strike, dip, length, width), in `rheology` (e.g. Maxwell's eta) and `offset`.  `grid` is
    a `ViscoGrid` (the 3D solver) or an `EmulatorGrid` (the 3D emulator: Burgers rheologies
    in its training box; inside jit, out-of-box queries only raise with
    `emulator.with_on_outside("error")`)."""
    sigma = relaxed_stress(fault, rheology, grid, t_window)
    z = jax.vmap(grid.classifier.logit)(sigma) + offset
    y = jnp.asarray(labels, z.dtype)
    return jnp.sum(y * z - jax.nn.softplus(z))
