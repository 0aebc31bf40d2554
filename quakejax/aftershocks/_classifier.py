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
from ._features import _IJ, COMPONENTS
from ._network import DeVriesNet

WEIGHTS_DIR = pathlib.Path(__file__).parent / "weights"

FEATURE_SETS = {
    "devries": 12,  # |sigma_ij| of xx, xy, xz, yy, yz, zz and their negatives, MPa
    "devries_asinh": 12,  # the same, compressed: asinh(|sigma_ij| / 0.01 MPa)
    "principal": 3,  # principal stresses s1 >= s2 >= s3, MPa (independent of the frame)
    "invariant": 4,  # log10 von Mises, pressure ratio, cos(3 Lode), log10 |mean stress|
    "invariant_context": 7,  # "invariant" plus the 3 rupture-context inputs
}
# Per-cell rupture context (grid-table columns of `context_features`), used by
# "invariant_context": km to the nearest slipping patch, its slip (m), the mean slip (m).
CONTEXT_COLUMNS = ("rupture_distance_km", "nearest_slip_m", "mean_slip_m")


def context_inputs(context: Float[ArrayLike, "*batch 3"]) -> Float[Array, "*batch 3"]:
    """log10(distance km + 0.1), log10(nearest slip m + 0.001), mean slip (m)."""
    c = jnp.asarray(context)
    return jnp.stack([jnp.log10(c[..., 0] + 0.1), jnp.log10(c[..., 1] + 1e-3), c[..., 2]], axis=-1)


ASINH_SCALE = 1e4  # Pa: stress changes above ~0.01 MPa are compressed logarithmically


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
    2018), "devries_asinh" (the same 12 with asinh(|sigma_ij| / 0.01 MPa) in place of
    |sigma_ij|: stress changes span five decades over a grid, and raw MPa leave the far field
    in the flat part of tanh), "principal" (3: principal stresses in MPa, frame
    independent) or "invariant" (4, frame independent: log10 q, p / q, cos 3 theta and
    log10 |p|, with q = sqrt(3 J2) the von Mises stress and p = I1 / 3 the mean stress, in
    MPa, floored at 1 Pa inside the logarithms and the ratio).  Pure and differentiable,
    also where the stress vanishes; returns `(*batch, n)`.  ("invariant_context" gives the
    same 4 stress inputs; its 3 context inputs come from `context_inputs`.)
    """
    sigma = jnp.asarray(sigma)
    if features == "devries":
        a = jnp.abs(_components(sigma)) / 1e6
        return jnp.concatenate([a, -a], axis=-1)
    if features == "devries_asinh":
        a = jnp.arcsinh(jnp.abs(_components(sigma)) / ASINH_SCALE)
        return jnp.concatenate([a, -a], axis=-1)
    if features == "principal":
        return principal_from_invariants(sigma) / 1e6
    if features in ("invariant", "invariant_context"):
        i1, j2, _ = invariants(sigma)
        pos = j2 > 0.0
        q = jnp.where(pos, jnp.sqrt(3.0 * jnp.where(pos, j2, 1.0)), 0.0)
        p = i1 / 3.0
        return jnp.stack(
            [
                jnp.log10(q / 1e6 + 1e-6),
                p / (q + 1.0),
                jnp.cos(3.0 * lode_angle(sigma)),
                jnp.log10(jnp.abs(p) / 1e6 + 1e-6),
            ],
            axis=-1,
        )
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


def _optional_array(x):
    return None if x is None else jnp.asarray(x)


class AftershockClassifier(eqx.Module):
    """Aftershock probability of a cell from its coseismic stress change (final).

    **Fields:** `net` (a `DeVriesNet`); `features`, the input map (see `stress_inputs`);
    `shift`, `scale` `(n_features,)`: the inputs are standardised as (x - shift) / scale
    before the network (zeros and ones by default); `card`, JSON text describing the
    training.

    `logit(sigma, context=None)` takes one cell's stress `(3, 3)` in Pa (and, for a context
    model, its `(3,)` context: distance to the nearest slipping patch in km, that patch's
    slip in m, the model's mean slip in m) and returns the logit: jit, vmap and grad it
    freely, with respect to stress and context.  `probability(sigma, context=None)` is the
    batched, jitted sigmoid of it.
    """

    net: DeVriesNet
    features: str = eqx.field(static=True)
    card: str = eqx.field(static=True, default="{}")
    shift: ArrayLike | None = eqx.field(default=None, converter=_optional_array)
    scale: ArrayLike | None = eqx.field(default=None, converter=_optional_array)

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

    @property
    def needs_context(self) -> bool:
        """Whether the model also takes the rupture context (`CONTEXT_COLUMNS`)."""
        return self.features.endswith("_context")

    def inputs(
        self,
        sigma: Float[ArrayLike, "*batch 3 3"],
        context: Float[ArrayLike, "*batch 3"] | None = None,
    ) -> Float[Array, "*batch features"]:
        """The standardised network inputs of `sigma` (Pa) and, for a context model,
        `context` (distance km, nearest slip m, mean slip m; see `CONTEXT_COLUMNS`)."""
        x = stress_inputs(sigma, self.features)
        if self.needs_context:
            if context is None:
                raise ValueError(
                    f"the {self.features!r} classifier needs the rupture context "
                    f"{CONTEXT_COLUMNS} of each cell."
                )
            x = jnp.concatenate([x, context_inputs(context).astype(x.dtype)], axis=-1)
        if self.shift is not None:
            x = x - jnp.broadcast_to(jnp.asarray(self.shift, x.dtype), x.shape)
        if self.scale is not None:
            x = x / jnp.broadcast_to(jnp.asarray(self.scale, x.dtype), x.shape)
        return x

    def logit(
        self, sigma: Float[ArrayLike, "3 3"], context: Float[ArrayLike, " 3"] | None = None
    ) -> Float[Array, ""]:
        return self.net(self.inputs(sigma, context))

    def probability(
        self, sigma: Float[ArrayLike, "n 3 3"], context: Float[ArrayLike, "n 3"] | None = None
    ) -> Float[Array, " n"]:
        """Aftershock probability (0..1) of each cell from its stress `(n, 3, 3)` in Pa
        (and its context `(n, 3)` for a context model)."""
        sigma = jnp.asarray(sigma)
        if context is None:
            if self.needs_context:
                self.inputs(sigma[:1])  # raises the explanatory error
            return _probability(self, sigma)
        return _probability_context(self, sigma, jnp.asarray(context))

    def probability_from_table(self, table, *, chunk: int = 262_144) -> np.ndarray:
        """Probabilities for every row of a grid table (numpy, in chunks of `chunk` cells)."""
        sigma = table_stress(table).astype(np.float32)
        context = None
        if self.needs_context:
            missing = [c for c in CONTEXT_COLUMNS if c not in table]
            if missing:
                raise ValueError(
                    f"the grid table lacks the context column(s) {missing} that the "
                    f"{self.features!r} classifier needs (build it with build_event_table)."
                )
            context = np.stack([np.asarray(table[c], np.float32) for c in CONTEXT_COLUMNS], 1)
        out = [
            np.asarray(
                self.probability(
                    sigma[i : i + chunk], None if context is None else context[i : i + chunk]
                )
            )
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
            "shift": None if self.shift is None else np.asarray(self.shift).tolist(),
            "scale": None if self.scale is None else np.asarray(self.scale).tolist(),
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
        shift, scale = header.get("shift"), header.get("scale")
        return cls(
            net,
            header["features"],
            json.dumps(header.get("card", {})),
            None if shift is None else np.asarray(shift, np.float32),
            None if scale is None else np.asarray(scale, np.float32),
        )

    @classmethod
    def pretrained(cls, name: str = "invariant_context") -> AftershockClassifier:
        """A classifier shipped with quakejax, trained on every event of the real dataset
        built by `experiments/build_dataset.py` (`experiments/train_classifier.py`).

        `name`: "invariant_context" (default: the DeVries architecture on 4
        frame-independent stress inputs plus the rupture context, distance and slip; the
        best network on held-out earthquakes, see docs/aftershock-classifier.md) or
        "devries" (the published 12 stress inputs only: use it where the forecast must
        depend on stress alone).  Its `info` says on what data, how, and with which
        held-out AUC it was trained.
        """
        path = WEIGHTS_DIR / name
        if not path.with_suffix(".json").exists():
            have = sorted(p.stem for p in WEIGHTS_DIR.glob("*.json"))
            raise ValueError(f"no pretrained classifier {name!r}; available: {have}.")
        return cls.load(path)


@eqx.filter_jit
def _probability(model: AftershockClassifier, sigma):
    return jax.nn.sigmoid(jax.vmap(model.logit)(sigma))


@eqx.filter_jit
def _probability_context(model: AftershockClassifier, sigma, context):
    return jax.nn.sigmoid(jax.vmap(model.logit)(sigma, context))
