"""Strain-volume mesh of the viscoelastic half-space under an elastic layer (antiplane)."""

import equinox as eqx
import jax.numpy as jnp

from .._types import Array, ArrayLike, Float


class AntiplaneMesh(eqx.Module):
    """Geometrically graded rectangles covering `x > 0`, `z > H`, fine next to the fault tip.

    Column widths and row heights start at `first * D` next to the fault plane (x = 0) and the
    top of the half-space (z = H), and grow by `growth` from one cell to the next, so a few dozen
    cells reach thousands of kilometres: the viscous flow far from the fault matters at late times
    (the n-th image of the Nur & Mavko series samples depths near 2nH).  The x < 0 side is the
    mirror image and is not meshed (see `antisymmetric_strain_volume`).

    The counts are static, the sizes scale with the traced `D`, so a model can be vmapped over
    `H` and `D`.

    **Arguments:**

    - `n_x`, `n_z`: number of columns and rows.
    - `first`: size of the first column and row, as a fraction of the locking depth D.
    - `growth`: ratio of neighbouring cell sizes (>= 1).
    - `quadrature`: Gauss-Legendre order per direction for the cell-averaged strains (1 is
      collocation at the cell centres).
    """

    n_x: int = eqx.field(static=True, default=32)
    n_z: int = eqx.field(static=True, default=32)
    first: float = eqx.field(static=True, default=0.25)
    growth: float = eqx.field(static=True, default=1.18)
    quadrature: int = eqx.field(static=True, default=2)

    def __check_init__(self):
        if self.n_x < 1 or self.n_z < 1:
            raise ValueError(f"AntiplaneMesh: n_x and n_z must be >= 1, got {self.n_x}, {self.n_z}")
        if not self.first > 0:
            raise ValueError(f"AntiplaneMesh: first must be > 0, got {self.first}")
        if self.quadrature < 1:
            raise ValueError(f"AntiplaneMesh: quadrature must be >= 1, got {self.quadrature}")
        if not self.growth >= 1:
            raise ValueError(f"AntiplaneMesh: growth must be >= 1, got {self.growth}")

    @property
    def n_volumes(self) -> int:
        return self.n_x * self.n_z

    def _edges(self, n: int, start, size) -> Array:
        sizes = size * self.growth ** jnp.arange(n, dtype=jnp.result_type(size, float))
        return start + jnp.concatenate([jnp.zeros(1, sizes.dtype), jnp.cumsum(sizes)])

    def edges(
        self, H: Float[ArrayLike, ""], D: Float[ArrayLike, ""]
    ) -> tuple[Float[Array, " n_xedges"], Float[Array, " n_zedges"]]:
        """Column edges in x (from 0) and row edges in z (from H), m."""
        size = self.first * jnp.asarray(D)
        return self._edges(self.n_x, jnp.zeros_like(size), size), self._edges(
            self.n_z, jnp.asarray(H) + 0 * size, size
        )

    def bounds(
        self, H: Float[ArrayLike, ""], D: Float[ArrayLike, ""]
    ) -> Float[Array, "n_volumes 4"]:
        """`(x1, x2, z1, z2)` of every volume, m, row-major (depth rows, then columns)."""
        xe, ze = self.edges(H, D)
        x1, z1 = jnp.meshgrid(xe[:-1], ze[:-1])
        x2, z2 = jnp.meshgrid(xe[1:], ze[1:])
        return jnp.stack([x1.ravel(), x2.ravel(), z1.ravel(), z2.ravel()], axis=-1)
