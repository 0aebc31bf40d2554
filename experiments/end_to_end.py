"""The closed graph on Landers 1992: slip and viscosity from aftershocks, and sensitivities.

    QUAKEJAX_DATA=../shared/data .venv/bin/python experiments/end_to_end.py

Graph: `FaultModel` -> Okada stress on the DeVries et al. (2018) cells and at the cuboid
centres -> 3D Burgers relaxation below a 30 km elastic layer (`Postseismic3D`, diffrax) ->
window-mean stress over the one-year aftershock window -> the pretrained stress-only classifier
(`AftershockClassifier.pretrained("devries")`) -> Bernoulli log-likelihood of the cells'
labels (`quakejax.visco.aftershock_log_likelihood`).  Labels: a cell is positive when an
event of the best-covering catalog fell in it between 1 s and 365 days after the mainshock.

1. **Joint inversion** of the strike- and dip-slip on every patch, log10 of the Maxwell and
   Kelvin viscosities and an event-wide logit offset, by Adam on the negative log-likelihood
   of all positive cells and a random 10% of the negative ones (weighted by 10), with a
   Laplacian slip smoothing; start: uniform 1 m right-lateral slip, eta_M = 1e19 and
   eta_K = 1e18 Pa s.  Reported: log-likelihood, AUC on those cells (unbiased under sampling
   of the negatives; in-sample), slip correlation with the published model, the fitted
   viscosities.  Mesh: octree cubes of 10 km below H = 30 km (alpha 2, +-100 km, 120 km
   deep); cell kernels with stacking order 3.
2. **Sensitivity** of the mean aftershock probability of two places (cells within 10 km of
   Big Bear (34.2 N, 116.83 W) at 0-15 km depth, and the deep cells at 30-50 km below the
   rupture) to the slip on every patch and to log10 eta_M and log10 eta_K, for the published
   slip.

Writes `docs/figures/end_to_end_landers.json` and `.png`.  About 10-15 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

from quakejax import okada  # noqa: E402
from quakejax.aftershocks import (  # noqa: E402
    LabelSpec,
    build_grid,
    choose_catalog,
    match_mainshock,
    roc_auc,  # noqa: E402
)
from quakejax.io import read_catalog, read_slip_model  # noqa: E402
from quakejax.visco import Burgers, CuboidMesh, Postseismic3D, ViscoGrid  # noqa: E402
from quakejax.visco._graph import relaxed_stress  # noqa: E402
from quakejax.visco._relax3d import _relax, to_basis  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
YEAR = 365.0 * 86400.0
MU = 3.0e10


def labels_for(fault, grid, data):
    cats = {
        name: read_catalog(data / "catalogs" / name)
        for name in ("california_ncedc_sample_1968-2012.csv", "global_neic_m45_1990-2014.csv")
    }
    name, scores = choose_catalog(fault, cats)
    spec = LabelSpec()
    t0, *_ = match_mainshock(fault, cats[name], spec)
    win = cats[name].select(
        start=t0 + np.timedelta64(1, "s"), end=t0 + np.timedelta64(int(spec.end), "s")
    )
    counts = grid.count(win.enu(fault.info.local_frame()))
    return (counts > 0).astype(float), name, len(win)


def laplacian(fault):
    """Neighbour differences of patches closer than 1.5 patch sizes (a graph Laplacian)."""
    c = np.asarray(fault.centroid)
    size = np.sqrt(np.asarray(fault.length) * np.asarray(fault.width))
    d = np.linalg.norm(c[:, None] - c[None], axis=-1)
    adj = (d < 1.5 * np.maximum(size[:, None], size[None])) & (d > 0)
    return jnp.asarray(np.diag(adj.sum(1)) - adj, float)


def main(argv=None):
    data = pathlib.Path(os.environ.get("QUAKEJAX_DATA") or REPO.parent / "shared" / "data")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(data / "slip_models/srcmod/s1992LANDERwald.fsp"))
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--h0", type=float, default=10e3)
    ap.add_argument("--rate", type=float, default=0.1, help="negative-cell sampling rate")
    ap.add_argument("--out", type=pathlib.Path, default=REPO / "docs/figures")
    args = ap.parse_args(argv)
    if not pathlib.Path(args.model).exists():
        raise SystemExit(f"{args.model}: no such slip model (set QUAKEJAX_DATA)")
    out = {}
    fault = read_slip_model(args.model)
    grid = build_grid(fault)
    cells = np.asarray(grid.centroid, float)
    y, cat_name, n_events = labels_for(fault, grid, data)
    out.update(
        catalog=cat_name, window_events=n_events, cells=len(cells), positive_cells=int(y.sum())
    )
    print(f"{len(cells)} cells, {int(y.sum())} positive ({cat_name}, {n_events} events)")

    rng = np.random.default_rng(0)
    keep = (y > 0) | (rng.random(len(y)) < args.rate)
    weight = np.where(y[keep] > 0, 1.0, 1.0 / args.rate)

    t0 = time.perf_counter()
    mesh = CuboidMesh.octree(fault, 30e3, args.h0, 2.0, 100e3, 120e3)
    model = Postseismic3D.build(mesh, Burgers(MU, 1e19, MU, 1e18), mu=MU, lam=MU)
    vg_fit = ViscoGrid.build(cells[keep], model, order=3)
    out.update(cuboids=mesh.n, fit_cells=int(keep.sum()), setup_s=time.perf_counter() - t0)
    print(
        f"{mesh.n} cuboids; kernels for {keep.sum()} cells in {out['setup_s']:.0f} s",
        flush=True,
    )

    lap = laplacian(fault)
    m = fault.n_patches
    y_fit = jnp.asarray(y[keep])
    w_fit = jnp.asarray(weight)

    def with_params(p):
        slip = jnp.concatenate([p["slip"], jnp.zeros((m, 1))], axis=1)
        f = eqx.tree_at(lambda q: q.slip, fault, slip)
        rheo = Burgers(MU, 10.0 ** p["log_eta"][0], MU, 10.0 ** p["log_eta"][1])
        return f, rheo

    # The geometry is fixed during the fit, so the Okada stress is linear in slip: precompute
    # its Green's functions at the cells and at the cuboid centres (the same numbers
    # `relaxed_stress` computes from the FaultModel, about 10x faster per step).
    g_cells = okada.stress_greens(fault, cells[keep], mu=MU, lam=MU)  # (n, 3, 3, m, 2)
    g_centres = okada.stress_greens(fault, np.asarray(mesh.centre), mu=MU, lam=MU)

    def fit_stress(p):
        _, rheo = with_params(p)
        sig_co = jnp.einsum("nijmk,mk->nij", g_cells, p["slip"])
        drive = to_basis(jnp.einsum("nijmk,mk->nij", g_centres, p["slip"]))
        rel = _relax(
            eqx.tree_at(lambda q: q.rheology, model, rheo),
            drive,
            jnp.array([YEAR]),
            jnp.asarray(YEAR),
        )
        return sig_co + vg_fit.cell_kernel @ rel.window_mean.reshape(-1)

    def loglik(p, vg, labels, w):
        z = jax.vmap(vg.classifier.logit)(fit_stress(p)) + p["offset"]
        return jnp.sum(w * (labels * z - jax.nn.softplus(z)))

    smooth = 1e2

    def loss(p):
        rough = jnp.sum(p["slip"] * (lap @ p["slip"]))
        return -loglik(p, vg_fit, y_fit, w_fit) + smooth * rough

    p = {
        "slip": jnp.tile(jnp.array([[-1.0, 0.0]]), (m, 1)),  # 1 m right-lateral
        "log_eta": jnp.array([19.0, 18.0]),
        "offset": jnp.array(0.0),
    }
    published = {
        "slip": fault.slip[:, :2],
        "log_eta": jnp.array([19.0, 18.0]),
        "offset": jnp.array(0.0),
    }
    f0, r0 = with_params(p)
    check = np.abs(np.asarray(fit_stress(p) - relaxed_stress(f0, r0, vg_fit, YEAR))).max()
    out["fit_stress_vs_relaxed_stress_max_abs_Pa"] = float(check)
    print(f"precomputed-Green's stress vs relaxed_stress: max difference {check:.2e} Pa")
    opt = optax.adam(0.05)
    state = opt.init(p)
    step = jax.jit(lambda p, s: _step(p, s, loss, opt))
    hist = []
    t0 = time.perf_counter()
    for i in range(args.steps):
        p, state, val = step(p, state)
        hist.append(float(val))
        if i % 25 == 0 or i == args.steps - 1:
            print(
                f"step {i}: loss {float(val):.2f}, log10 eta {np.asarray(p['log_eta'])}, "
                f"offset {float(p['offset']):.2f}",
                flush=True,
            )
    out["fit_s"] = time.perf_counter() - t0

    # AUC on the sampled cells: every positive and a random fraction of the negatives
    # (the AUC is unbiased under sampling of one class).
    prob_fit = jax.jit(
        lambda p: jax.nn.sigmoid(
            jax.vmap(vg_fit.classifier.logit)(relaxed_stress(*with_params(p), vg_fit, YEAR))
            + p["offset"]
        )
    )
    start = {
        "slip": jnp.tile(jnp.array([[-1.0, 0.0]]), (m, 1)),
        "log_eta": jnp.array([19.0, 18.0]),
        "offset": jnp.array(0.0),
    }
    for name, q in (("start", start), ("fitted", p), ("published", published)):
        pr = np.asarray(prob_fit(q))
        out[f"auc_{name}"] = float(roc_auc(pr, y[keep]))
        out[f"loglik_fit_cells_{name}"] = float(loglik(q, vg_fit, y_fit, w_fit))
        print(
            f"{name}: AUC {out[f'auc_{name}']:.3f}, weighted log-likelihood "
            f"{out[f'loglik_fit_cells_{name}']:.1f}"
        )
    s_fit = np.asarray(p["slip"]).ravel()
    s_pub = np.asarray(fault.slip[:, :2]).ravel()
    out["slip_correlation_with_published"] = float(np.corrcoef(s_fit, s_pub)[0, 1])
    out["fitted_log10_eta"] = np.asarray(p["log_eta"]).tolist()
    out["fitted_offset"] = float(p["offset"])
    out["loss_history"] = hist

    # ---- sensitivities at two places, for the published slip
    frame = fault.info.local_frame()
    bb = np.asarray(frame.to_local(-116.83, 34.2), float)
    places = {
        "Big Bear, 0-15 km": (np.hypot(cells[:, 0] - bb[0], cells[:, 1] - bb[1]) < 10e3)
        & (cells[:, 2] > -15e3),
        "below the rupture, 30-50 km": (cells[:, 2] < -30e3)
        & (
            np.min(
                np.hypot(*(cells[:, None, :2] - np.asarray(fault.centroid)[None, :, :2]).T), axis=0
            )
            < 10e3
        ),
    }
    out["sensitivity"] = {}
    grads = {}
    for name, mask in places.items():
        vg = ViscoGrid.build(cells[mask], model, order=3)

        def mean_prob(q, vg=vg):
            f, rheo = with_params(q)
            sig = relaxed_stress(f, rheo, vg, YEAR)
            return jnp.mean(jax.nn.sigmoid(jax.vmap(vg.classifier.logit)(sig)))

        val, g = jax.jit(jax.value_and_grad(mean_prob))(published)
        grads[name] = np.asarray(g["slip"])
        out["sensitivity"][name] = {
            "cells": int(mask.sum()),
            "mean_probability": float(val),
            "d_dlog10_eta_M": float(g["log_eta"][0]),
            "d_dlog10_eta_K": float(g["log_eta"][1]),
            "max_abs_d_dslip_per_m": float(np.abs(grads[name]).max()),
        }
        print(name, json.dumps(out["sensitivity"][name]), flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "end_to_end_landers.json").write_text(json.dumps(out, indent=1) + "\n")
    _figure(fault, np.asarray(p["slip"]), grads, hist, args.out / "end_to_end_landers.png")


def _step(p, state, loss, opt):
    val, g = jax.value_and_grad(loss)(p)
    upd, state = opt.update(g, state, p)
    return optax.apply_updates(p, upd), state, val


def _figure(fault, slip_fit, grads, hist, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = np.asarray(fault.centroid) / 1e3
    fig, ax = plt.subplots(1, 4, figsize=(17, 4))
    pub = np.linalg.norm(np.asarray(fault.slip[:, :2]), axis=1)
    fit = np.linalg.norm(slip_fit, axis=1)
    for a, v, title in ((ax[0], pub, "published slip (m)"), (ax[1], fit, "fitted slip (m)")):
        sc = a.scatter(c[:, 0], c[:, 1], c=v, s=12, cmap="viridis")
        fig.colorbar(sc, ax=a)
        a.set_title(title)
        a.set_aspect("equal")
        a.set_xlabel("east (km)")
    name = next(iter(grads))
    g = grads[name]
    sl = np.asarray(fault.slip[:, :2])
    proj = (g * sl).sum(1) / np.maximum(np.linalg.norm(sl, axis=1), 1e-9)
    lim = np.abs(proj).max()
    sc = ax[2].scatter(c[:, 0], c[:, 1], c=proj, s=12, cmap="RdBu_r", vmin=-lim, vmax=lim)
    fig.colorbar(sc, ax=ax[2])
    ax[2].set_title(f"d P({name}) / d slip (1/m)")
    ax[2].set_aspect("equal")
    ax[3].plot(hist)
    ax[3].set_xlabel("Adam step")
    ax[3].set_ylabel("loss")
    ax[3].set_title("joint fit")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
