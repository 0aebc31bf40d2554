"""A trained aftershock classifier: stress tensor in, aftershock probability out.

`AftershockClassifier` wraps a `DeVriesNet` with the map from the stress-change tensor to
its inputs, so the whole thing is one differentiable function of sigma (and, through
`quakejax.okada`, of slip).  Weights are stored as an equinox leaf file next to a JSON
card that says how the network was built and trained.
"""

from __future__ import annotations

import json
import pathlib

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._types import Array, ArrayLike, Float
from ..stress import invariants, lode_angle
from ._features import COMPONENTS
from ._network import DeVriesNet

WEIGHTS_DIR = pathlib.Path(__file__).parent / "weights"
_IJ = {"xx": (0, 0), "xy": (0, 1), "xz": (0, 2), "yy": (1, 1), "yz": (1, 2), "zz": (2, 2)}

FEATURE_SETS = {
    "devries": 12,  # |sigma_ij| of xx, xy, xz, yy, yz, zz and their negatives, MPa
    "principal": 3,  # principal stresses s1 >= s2 >= s3, MPa (independent of the frame)
}


def _components(sigma):
    return jnp.stack([sigma[..., i, j] for i, j in (_IJ[c] for c in COMPONENTS)], axis=-1)


def principal_from_invariants(sigma: Float[ArrayLike, "*batch 3 3"]) -> Float[Array, "*batch 3"]:
    """Principal stresses (s1 >= s2 >= s3, units of sigma) from I1, J2 and the Lode angle.

    s_k = I1/3 + 2 sqrt(J2/3) cos(theta - 2 pi k / 3).  The same values as an eigen
    decomposition, but with finite gradients where eigenvalues coincide (zero or isotropic
    stress), where `jnp.linalg.eigvalsh` gives NaN.
    """
    sigma = jnp.asarray(sigma)
    i1, j2, _ = invariants(sigma)
    pos = j2 > 0.0
    r = jnp.where(pos, 2.0 * jnp.sqrt(jnp.where(pos, j2, 1.0) / 3.0), 0.0)
    theta = lode_angle(sigma)
    shift = jnp.broadcast_to(
        2.0 * jnp.pi / 3.0 * jnp.arange(3, dtype=sigma.dtype), (*theta.shape, 3)
    )
    return (i1 / 3.0)[..., None] + r[..., None] * jnp.cos(theta[..., None] - shift)


def stress_inputs(sigma: Float[ArrayLike, "*batch 3 3"], features: str = "devries"):
    """Network inputs from the stress change `sigma` (Pa, ENU, tension positive).

    `features`: "devries" (12: |sigma_ij| in MPa and their negatives, as DeVries et al.
    2018) or "principal" (3: principal stresses in MPa, frame independent).  Pure and
    differentiable; returns `(*batch, n_features)`.
    """
    sigma = jnp.asarray(sigma)
    if features == "devries":
        a = jnp.abs(_components(sigma)) / 1e6
        return jnp.concatenate([a, -a], axis=-1)
    if features == "principal":
        return principal_from_invariants(sigma) / 1e6
    raise ValueError(f"features must be one of {sorted(FEATURE_SETS)}, got {features!r}.")


def table_stress(table) -> np.ndarray:
    """The (n, 3, 3) stress tensors (Pa) from a grid table's `stresses_full_*` columns."""
    n = len(table)
    sigma = np.zeros((n, 3, 3), np.float64)
    for c in COMPONENTS:
        i, j = _IJ[c]
        v = np.asarray(table[f"stresses_full_{c}"], float)
        sigma[:, i, j] = v
        sigma[:, j, i] = v
    return sigma


class AftershockClassifier(eqx.Module):
    """Aftershock probability of a cell from its coseismic stress change (final).

    **Fields:** `net` (a `DeVriesNet`); `features`, the input map ("devries" or
    "principal", see `stress_inputs`); `card`, JSON text describing the training.

    `logit(sigma)` takes one cell's stress `(3, 3)` in Pa and returns the logit: jit, vmap
    and grad it freely.  `probability(sigma)` is the batched, jitted sigmoid of it.
    """

    net: DeVriesNet
    features: str = eqx.field(static=True)
    card: str = eqx.field(static=True, default="{}")

    def __check_init__(self):
        if self.features not in FEATURE_SETS:
            raise ValueError(
                f"features must be one of {sorted(FEATURE_SETS)}, got {self.features!r}."
            )
        if self.net.n_features != FEATURE_SETS[self.features]:
            raise ValueError(
                f"the network takes {self.net.n_features} inputs but features "
                f"{self.features!r} gives {FEATURE_SETS[self.features]}."
            )

    @property
    def info(self) -> dict:
        """The training card (data, settings, measured held-out AUC) as a dict."""
        return json.loads(self.card)

    def logit(self, sigma: Float[ArrayLike, "3 3"]) -> Float[Array, ""]:
        return self.net(stress_inputs(sigma, self.features))

    def probability(self, sigma: Float[ArrayLike, "n 3 3"]) -> Float[Array, " n"]:
        """Aftershock probability (0..1) of each cell from its stress `(n, 3, 3)` in Pa."""
        return _probability(self, jnp.asarray(sigma))

    def probability_from_table(self, table, *, chunk: int = 262_144) -> np.ndarray:
        """Probabilities for every row of a grid table (numpy, in chunks of `chunk` cells)."""
        sigma = table_stress(table).astype(np.float32)
        out = [
            np.asarray(self.probability(sigma[i : i + chunk]))
            for i in range(0, max(len(sigma), 1), chunk)
        ]
        return np.concatenate(out)[: len(sigma)] if len(sigma) else np.zeros(0, np.float32)

    # ---- storage -------------------------------------------------------------------------
    def save(self, path) -> tuple[pathlib.Path, pathlib.Path]:
        """Write `<path>.eqx` (weights) and `<path>.json` (architecture and card)."""
        path = pathlib.Path(path)
        first = self.net.layers[0]
        header = {
            "format": 1,
            "features": self.features,
            "n_features": self.net.n_features,
            "width": first.out_features,
            "depth": len(self.net.layers) - 1,
            "dropout": self.net.dropout,
            "dtype": str(first.weight.dtype),
            "card": self.info,
        }
        weights, meta = path.with_suffix(".eqx"), path.with_suffix(".json")
        eqx.tree_serialise_leaves(weights, self.net)
        meta.write_text(json.dumps(header, indent=1) + "\n")
        return weights, meta

    @classmethod
    def load(cls, path) -> AftershockClassifier:
        """Read a classifier written by `save` (give the path with or without suffix)."""
        path = pathlib.Path(path)
        meta, weights = path.with_suffix(".json"), path.with_suffix(".eqx")
        for p in (meta, weights):
            if not p.exists():
                raise FileNotFoundError(f"{p}: no such classifier file.")
        try:
            header = json.loads(meta.read_text())
            like = DeVriesNet(
                jax.random.PRNGKey(0),
                width=int(header["width"]),
                depth=int(header["depth"]),
                dropout=float(header["dropout"]),
                n_features=int(header["n_features"]),
            )
            dtype = np.dtype(header.get("dtype", "float32"))
        except (KeyError, ValueError, TypeError) as err:
            raise ValueError(f"{meta}: not a quakejax classifier card ({err}).") from err
        # The stored precision, whatever the global x64 setting of this process.
        like = jax.tree_util.tree_map(lambda a: a.astype(dtype) if eqx.is_array(a) else a, like)
        try:
            net = eqx.tree_deserialise_leaves(weights, like)
        except Exception as err:  # equinox raises several types for a wrong file
            raise ValueError(f"{weights}: weights do not match {meta} ({err}).") from err
        return cls(net, header["features"], json.dumps(header.get("card", {})))

    @classmethod
    def pretrained(cls, name: str = "devries") -> AftershockClassifier:
        """The classifier shipped with quakejax.

        `name`: "devries", the DeVries et al. (2018) network (12 inputs) trained on every
        event of the real dataset built by `experiments/build_dataset.py`; its `info` says
        on what, how, and with which held-out AUC.
        """
        path = WEIGHTS_DIR / name
        if not path.with_suffix(".json").exists():
            have = sorted(p.stem for p in WEIGHTS_DIR.glob("*.json"))
            raise ValueError(f"no pretrained classifier {name!r}; available: {have}.")
        return cls.load(path)


@eqx.filter_jit
def _probability(model: AftershockClassifier, sigma):
    return jax.nn.sigmoid(jax.vmap(model.logit)(sigma))
