"""The closed graph through the 3D emulator: slip and viscosities from aftershocks and GPS.

    QUAKEJAX_DATA=../shared/data .venv/bin/python experiments/end_to_end_emulator.py \
        [--model FSP --gps FILE|none --name TAG --smoothing LAMBDA] [--steps 600]

The issue's end-to-end inversion "from the aftershock locations (and from GPS where
available)".  By default on Parkfield 2004, the one crustal event of the data with both
coseismic GPS and a catalog; it was held out of the 3D emulator's training.  Landers 1992
(no GPS in the data), with the smoothing of `end_to_end.py`:

    ... end_to_end_emulator.py --model $QUAKEJAX_DATA/slip_models/srcmod/s1992LANDERwald.fsp \
        --gps none --name landers_emulator --smoothing 100

- **Rupture.** The geometry of a slip model (default: Custodio et al.'s (2005) SRCMOD model
  `s2004PARKFIcust`, 189 patches), kept fixed; its strike- and dip-slip on every patch are the
  unknowns.  Its own slip is the reference ("published").  mu = lambda = 30 GPa.
- **GPS** (`--gps`; default Houlie et al. (2014) offsets at 14 sites,
  `gps/parkfield2004/Houlie_et_al_2014.txt`, east, north, up), with assumed sigmas of 3 mm
  (horizontal) and 10 mm (vertical), as in `experiments/parkfield_maule_gps_inversion.py`;
  Okada displacement at the stations (z = 0), Gaussian log-likelihood.
- **Aftershocks.** The DeVries et al. (2018) grid (5 km cells within 100 km, 0-50 km deep)
  labelled with the best-covering catalog (events 1 s to 365 days after the mainshock); the
  window-mean stress over that year is Okada's plus the 3D Burgers relaxation below H = 30 km
  from the pretrained `RelaxationEmulator3D` (mu_K = mu); the pretrained stress-only classifier
  (`AftershockClassifier.pretrained("devries")`) plus an event-wide logit offset; Bernoulli
  log-likelihood.  The grid's columns are split at random (seed 0) in two halves: every cell
  of one half is fitted, the other half is only scored (AUC), so the AUCs of the second half
  are out of sample.
- **Prior.** A Laplacian roughness penalty lambda * s^T L s on each slip component (L: graph
  Laplacian of patches closer than 1.5 patch sizes, as in `end_to_end.py`), with lambda from
  the discrepancy principle on the GPS-only fit (chi^2 per datum closest to 1 on a grid of
  lambdas) unless `--smoothing` gives it (required without GPS); the same lambda in every
  fit.  The viscosities are bounded to the emulator's
  training box: log10 eta = lo + (hi - lo) sigmoid(u).
- **Fits** (L-BFGS, optax, `--steps` iterations):
  1. GPS only (linear: solved in closed form), with GPS;
  2. aftershocks only, from uniform 0.2 m of slip in the published model's mean rake (the
     mechanism is taken as known), eta_M = 1e19, eta_K = 1e18 Pa s;
  3. GPS and aftershocks jointly, from the GPS-only slip and the same viscosities, with GPS.
  Reported for each, for the published slip and for the uniform start: Mw (mu = 30 GPa),
  peak slip, the correlation of the slip components and of the slip magnitudes with the
  published model's, the weighted RMS GPS residual (1: fits to the sigmas), the Bernoulli
  log-likelihood and the AUC on the fitted cells and on the held-out half (with the
  Hanley-McNeil standard error of the held-out AUC), and the log10 viscosities.
- **The viscosity box**: at the joint slip (without GPS: the aftershocks-only slip) and at the
  published slip, the log-likelihood of the fitted and of the held-out cells (offset
  re-fitted on the fitted cells) and the held-out AUC on a 6 x 6 grid over the emulator's
  box; how much the aftershocks can say about the viscosities.
- **Relaxation's size**: for the published slip, the median |relative change| of von Mises
  stress that the window-mean relaxation makes, over the positive cells and over all cells,
  at the default and at the softest rheology of the box.
- **Sensitivity** at that solution: the derivative of the held-out cells'
  log-likelihood with respect to log10 eta_M and log10 eta_K, against central differences.

Writes `end_to_end_<name>.json` and `.png` to `--out`.  About 12 minutes on 2 cores for
Parkfield.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import time

import _scripts  # experiments/_scripts.py, beside this script
import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402

from quakejax import okada  # noqa: E402
from quakejax.aftershocks import AftershockClassifier, build_grid, roc_auc  # noqa: E402
from quakejax.inversion import slip_correlation  # noqa: E402
from quakejax.io import read_gps, read_slip_model  # noqa: E402
from quakejax.stress import von_mises  # noqa: E402
from quakejax.visco import Burgers, RelaxationEmulator3D  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[1]
YEAR = 365.0 * 86400.0  # s, the label window
MU = 3.0e10  # Pa
SIGMA = (3e-3, 3e-3, 10e-3)  # m, assumed GPS sigmas (east, north, up)
MODEL = "slip_models/srcmod/s2004PARKFIcust.fsp"
GPS = "gps/parkfield2004/Houlie_et_al_2014.txt"


def auc_standard_error(auc, n_pos, n_neg):
    """Hanley & McNeil (1982, Radiology 143:29) standard error of an AUC."""
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    var = auc * (1 - auc) + (n_pos - 1) * (q1 - auc**2) + (n_neg - 1) * (q2 - auc**2)
    return float(np.sqrt(var / (n_pos * n_neg)))


def best_offset(z0, labels):
    """The logit offset b that maximises the Bernoulli log-likelihood of `labels` given the
    logits `z0 + b` (Newton steps on a concave function of one variable)."""
    b = 0.0
    for _ in range(50):
        q = 1.0 / (1.0 + np.exp(-(z0 + b)))
        b += (np.sum(labels) - np.sum(q)) / np.sum(q * (1 - q))
    return b


def bernoulli(z, labels):
    """Bernoulli log-likelihood (nats) of `labels` given logits `z`."""
    return float(np.sum(labels * z - np.logaddexp(0.0, z)))


def gps_only(g, d, w, lap, lams):
    """Closed-form GPS-only fits for each smoothing weight: minimise
    0.5 |w (G s - d)|^2 + lam s^T L s per component; returns [(lam, s (m, 2), chi2/N)].

    Not `quakejax.inversion.invert_slip`: its prior is lambda^2 |L s|^2 with its own patch
    Laplacian (and slip bounds by default), while the GPS-only, aftershock and joint fits here
    must share one prior, the lam s^T L s of the L-BFGS objectives (graph Laplacian of
    `end_to_end.py`); `invert_aftershocks` has no relaxation or viscosity."""
    n, m = g.shape[0], lap.shape[0]
    a = g.reshape(n, 2 * m) * w[:, None]
    b = d * w
    ll = np.kron(lap, np.eye(2))  # the unknowns are ordered (patch, component)
    out = []
    for lam in lams:
        lhs = a.T @ a + 2.0 * lam * ll + 1e-10 * np.eye(2 * m)
        s = np.linalg.solve(lhs, a.T @ b)
        chi2 = float(np.sum((a @ s - b) ** 2)) / n
        out.append((float(lam), s.reshape(m, 2), chi2))
    return out


def main(argv=None):
    data = pathlib.Path(os.environ.get("QUAKEJAX_DATA") or REPO.parent / "shared" / "data")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=pathlib.Path, default=data / MODEL, help="slip model file")
    ap.add_argument("--gps", default=str(data / GPS), help="coseismic GPS file, or 'none'")
    ap.add_argument("--name", default="parkfield", help="output file stem: end_to_end_<name>")
    ap.add_argument("--smoothing", type=float, default=None, help="lambda (1/m^2)")
    ap.add_argument("--steps", type=int, default=600, help="L-BFGS iterations per fit")
    ap.add_argument("--out", type=pathlib.Path, default=REPO / "docs/figures")
    args = ap.parse_args(argv)
    if not args.model.exists():
        raise SystemExit(f"{args.model}: no such slip model (set QUAKEJAX_DATA)")
    use_gps = args.gps.lower() != "none"
    if use_gps and not pathlib.Path(args.gps).exists():
        raise SystemExit(f"{args.gps}: no such GPS file (set QUAKEJAX_DATA, or --gps none)")
    if not use_gps and args.smoothing is None:
        raise SystemExit("--smoothing is needed without GPS (it comes from the GPS fit)")
    e2e = _scripts.load("end_to_end")
    t_start = time.perf_counter()
    out = {}

    fault = read_slip_model(args.model)
    frame = fault.info.local_frame()
    m = fault.n_patches
    published = np.asarray(fault.slip[:, :2], float)

    # ---- GPS
    if use_gps:
        gps = read_gps(args.gps).with_sigma(SIGMA)
        sites = np.asarray(gps.enu(frame), float)
        obs = np.asarray(gps.observed)
        d = np.asarray(gps.displacement)[obs]
        w = 1.0 / np.asarray(gps.sigma)[obs]
        g_u = np.asarray(okada.displacement_greens(fault, sites, nu=0.25))  # (3 n, 2 m)
        g_u = g_u[obs.reshape(-1)].reshape(-1, m, 2)  # observed components: (N, m, 2)
        out["gps"] = {
            "file": str(args.gps),
            "sites": len(gps),
            "data": int(obs.sum()),
            "site_distance_to_rupture_km": (
                np.min(
                    np.linalg.norm(sites[:, None, :2] - np.asarray(fault.centroid)[:, :2], axis=-1),
                    1,
                )
                / 1e3
            ).tolist(),
        }
    else:
        g_u = np.zeros((0, m, 2))
        d = w = np.zeros(0)

    # ---- aftershock cells, labels, the column split
    grid = build_grid(fault)
    cells = np.asarray(grid.centroid, float)
    y, cat_name, n_events = e2e.labels_for(fault, grid, data)
    em = RelaxationEmulator3D.pretrained()
    columns, column_of = em.column_layout(cells)
    fit_col = np.random.default_rng(0).random(len(columns)) < 0.5
    fit = fit_col[column_of]
    out["aftershocks"] = {
        "catalog": cat_name,
        "window_events": n_events,
        "cells": len(cells),
        "positive_cells": int(y.sum()),
        "fit_cells": int(fit.sum()),
        "fit_positive": int(y[fit].sum()),
        "test_cells": int((~fit).sum()),
        "test_positive": int(y[~fit].sum()),
    }
    print(json.dumps(out["aftershocks"]), flush=True)

    # ---- Green's functions of the emulator's probe stresses at the fitted cells
    t0 = time.perf_counter()
    pts_fit = cells[fit]
    layout_fit = em.column_layout(pts_fit)
    probes = em.probe_points(pts_fit, layout_fit)
    g_s = okada.stress_greens(fault, probes, mu=MU, lam=MU)  # (N, 3, 3, m, 2)
    g_s = jax.block_until_ready(g_s.reshape(-1, 2 * m))  # a matrix: (9 N, 2 m)
    out["greens_s"] = time.perf_counter() - t0
    print(f"{probes.shape[0]} probe points: stress Green's in {out['greens_s']:.0f} s", flush=True)

    classifier = AftershockClassifier.pretrained("devries")
    lap = e2e.laplacian(fault)
    box = np.asarray(em.domain["rheology"], float)[:2]  # log10 eta_M, log10 eta_K
    lo, hi = jnp.asarray(box[:, 0]), jnp.asarray(box[:, 1])
    y_fit = jnp.asarray(y[fit])

    def log_eta(u):
        return lo + (hi - lo) * jax.nn.sigmoid(u)

    def u_of(log10_eta):
        q = (np.asarray(log10_eta) - box[:, 0]) / (box[:, 1] - box[:, 0])
        return jnp.asarray(np.log(q / (1 - q)))

    def rheology(p):
        """Burgers rheology of a parameter set: from "log_eta" (log10 Pa s) if given, else from
        the bounded "u"."""
        le = p["log_eta"] if "log_eta" in p else log_eta(p["u"])
        return Burgers(MU, 10.0 ** le[0], MU, 10.0 ** le[1])

    def with_slip(slip):
        return fault.with_slip(jnp.concatenate([slip, jnp.zeros((m, 1), slip.dtype)], axis=1))

    # Large arrays go into jitted functions as arguments, not as closed-over constants.
    consts = {"g_s": g_s, "g_u": jnp.asarray(g_u), "y": y_fit}

    def fit_logit(p, c=consts):
        stress = (c["g_s"] @ p["slip"].reshape(-1)).reshape(-1, 3, 3)
        co, rel = em.fields(
            with_slip(p["slip"]),
            pts_fit,
            rheology(p),
            YEAR,
            mean=True,
            layout=layout_fit,
            stress=stress,
        )
        return jax.vmap(classifier.logit)(co + rel[0]) + p["offset"]

    def ll_aft(p, c=consts):
        z = fit_logit(p, c)
        return jnp.sum(c["y"] * z - jax.nn.softplus(z))

    def ll_gps(slip, c=consts):
        r = (jnp.einsum("nmk,mk->n", c["g_u"], slip) - d) * w
        return -0.5 * jnp.sum(r**2)

    def rough(slip):
        return jnp.sum(slip * (lap @ slip))

    # ---- 1. GPS only, closed form; lambda by the discrepancy principle unless given
    if use_gps:
        lams = 10.0 ** np.arange(-2.0, 6.01, 0.25)
        sweep = gps_only(g_u, d, w, np.asarray(lap), lams)
        lam, s_gps, chi2 = min(sweep, key=lambda r: abs(np.log(r[2])))
        out["smoothing"] = {
            "rule": "discrepancy (GPS chi2 per datum closest to 1)",
            "lambda_per_m2": lam,
            "chi2_per_datum": chi2,
            "sweep": [(la, c) for la, _, c in sweep],
        }
        if args.smoothing is not None:
            lam, s_gps, chi2 = gps_only(g_u, d, w, np.asarray(lap), [args.smoothing])[0]
            out["smoothing"].update(rule="--smoothing", lambda_per_m2=lam, chi2_per_datum=chi2)
        print(f"GPS only: lambda {lam:.3g}, chi2/N {chi2:.2f}", flush=True)
    else:
        lam = float(args.smoothing)
        out["smoothing"] = {"rule": "--smoothing", "lambda_per_m2": lam}

    def run(loss, p0, label):
        """L-BFGS on `loss(params, consts)`."""
        opt = optax.lbfgs()

        @jax.jit
        def step(p, state, c):
            fn = lambda q: loss(q, c)  # noqa: E731
            val, g = optax.value_and_grad_from_state(fn)(p, state=state)
            upd, state = opt.update(g, state, p, value=val, grad=g, value_fn=fn)
            return optax.apply_updates(p, upd), state, val, optax.tree_utils.tree_norm(g)

        p, state, hist = p0, opt.init(p0), []
        t0 = time.perf_counter()
        for i in range(args.steps):
            p, state, val, gn = step(p, state, consts)
            hist.append(float(val))
            done = len(hist) > 20 and abs(hist[-21] - hist[-1]) < 1e-10 * abs(hist[-1])
            if i % 50 == 0 or i == args.steps - 1 or done:
                print(
                    f"  {label} {i}: loss {float(val):.4f}, |grad| {float(gn):.2e}, "
                    f"log10 eta {np.round(np.asarray(log_eta(p['u'])), 3)}, "
                    f"offset {float(p['offset']):.3f}",
                    flush=True,
                )
            if done:  # converged: the loss moved by less than 1e-10 in 20 iterations
                break
        return p, hist, float(gn), time.perf_counter() - t0

    u0 = u_of([19.0, 18.0])
    rake = np.sum(published * np.linalg.norm(published, axis=1, keepdims=True), axis=0)
    rake = rake / np.linalg.norm(rake)
    starts = {
        "aftershocks only": {
            "slip": jnp.tile(jnp.asarray(0.2 * rake)[None], (m, 1)),
            "u": u0,
            "offset": jnp.asarray(0.0),
        },
    }
    losses = {"aftershocks only": lambda p, c: -ll_aft(p, c) + lam * rough(p["slip"])}
    models = {
        "published": {"slip": jnp.asarray(published), "u": u0, "offset": jnp.asarray(0.0)},
        "uniform start": dict(starts["aftershocks only"]),
    }
    if use_gps:
        starts["GPS + aftershocks"] = {
            "slip": jnp.asarray(s_gps),
            "u": u0,
            "offset": jnp.asarray(0.0),
        }
        losses["GPS + aftershocks"] = lambda p, c: (
            -ll_aft(p, c) - ll_gps(p["slip"], c) + lam * rough(p["slip"])
        )
        models["GPS only"] = {"slip": jnp.asarray(s_gps), "u": u0, "offset": jnp.asarray(0.0)}
    # For the fixed-slip models only the offset is fitted (it does not change an AUC).
    fit_logit_jit = jax.jit(fit_logit)
    for name in list(models):
        z0 = np.asarray(fit_logit_jit({**models[name], "offset": 0.0}, consts))
        models[name]["offset"] = jnp.asarray(best_offset(z0, y[fit]))
    histories = {}
    out["fits"] = {}
    for name in losses:
        p, hist, gnorm, dt = run(losses[name], starts[name], name)
        models[name] = p
        histories[name] = hist
        out["fits"][name] = {
            "seconds": dt,
            "final_loss": hist[-1],
            "iterations": len(hist),
            "loss_change_last_20": hist[-21] - hist[-1] if len(hist) > 20 else None,
            "final_grad_norm": gnorm,
        }

    # ---- scores; the held-out half through the emulator's own Okada calls
    pts_test = cells[~fit]
    layout_test = em.column_layout(pts_test)

    @jax.jit
    def test_logit(p):
        sig = em.stress(
            with_slip(p["slip"]), pts_test, rheology(p), YEAR, mean=True, layout=layout_test
        )[0]
        return jax.vmap(classifier.logit)(sig) + p["offset"]

    out["models"] = {}
    for name, p in models.items():
        s = np.asarray(p["slip"])
        f = with_slip(jnp.asarray(s))
        z_fit = np.asarray(fit_logit_jit(p, consts))
        z_test = np.asarray(test_logit(p))
        row = {
            "mw": float(f.magnitude(MU)),
            "peak_slip_m": float(np.linalg.norm(s, axis=1).max()),
            "slip_correlation_with_published": float(
                np.corrcoef(s.ravel(), published.ravel())[0, 1]
            ),
            # of the slip magnitudes (None for uniform slip)
            "slip_magnitude_correlation_with_published": (
                slip_correlation(s, published) if np.ptp(np.linalg.norm(s, axis=1)) > 0 else None
            ),
            "gps_weighted_rms": (
                float(np.sqrt(-2.0 * ll_gps(jnp.asarray(s)) / len(d))) if use_gps else None
            ),
            "loglik_fit_cells": bernoulli(z_fit, y[fit]),
            "loglik_test_cells": bernoulli(z_test, y[~fit]),
            "auc_fit_cells": float(roc_auc(z_fit, y[fit])),
            "auc_test_cells": float(roc_auc(z_test, y[~fit])),
            "auc_test_cells_standard_error": auc_standard_error(
                float(roc_auc(z_test, y[~fit])), int(y[~fit].sum()), int((1 - y[~fit]).sum())
            ),
            "log10_eta": np.asarray(log_eta(p["u"])).tolist(),
            "offset": float(p["offset"]),
        }
        print(name, json.dumps(row), flush=True)
        if name != "published":  # the published slip stays in the data directory
            row["slip_m"] = s.tolist()  # (patches, 2): strike-slip, dip-slip
        out["models"][name] = row

    # ---- how much relaxation moves the classifier's main input: the window-mean relative
    # change of von Mises stress, published slip, at the default and the softest rheology
    out["relaxation_von_mises_change"] = {}
    for label, le in (("default", [19.0, 18.0]), ("softest", list(box[:, 0]))):
        co, rel = em.fields(
            fault,
            cells,
            Burgers(MU, 10.0 ** le[0], MU, 10.0 ** le[1]),
            YEAR,
            mean=True,
        )
        vm_co = np.asarray(von_mises(co))
        change = np.abs(np.asarray(von_mises(co + rel[0])) / vm_co - 1.0)
        out["relaxation_von_mises_change"][label] = {
            "log10_eta": [float(x) for x in le],
            "median_abs_relative_change_positive_cells": float(np.median(change[y > 0])),
            "median_abs_relative_change_all_cells": float(np.median(change)),
            "positive_cells_shallower_than_H": float(np.mean(cells[y > 0, 2] > -em.H)),
        }
    print("relaxation:", json.dumps(out["relaxation_von_mises_change"]), flush=True)

    # ---- the likelihood over the viscosity box, at the joint slip and at the published slip
    # (offset re-fitted on the fitted cells at every point): how much the aftershocks say
    # about the viscosities
    p_joint = models["GPS + aftershocks" if use_gps else "aftershocks only"]
    slip_j = p_joint["slip"]
    grid_m = np.linspace(box[0, 0], box[0, 1], 6)
    grid_k = np.linspace(box[1, 0], box[1, 1], 6)

    def profile(slip):
        prof = []
        for a in grid_m:
            for b in grid_k:
                q = {"slip": slip, "log_eta": jnp.asarray([a, b]), "offset": 0.0}
                z0 = np.asarray(fit_logit_jit(q, consts))
                off = best_offset(z0, y[fit])
                zt = np.asarray(test_logit({**q, "offset": off}))
                prof.append(
                    {
                        "log10_eta_M": float(a),
                        "log10_eta_K": float(b),
                        "loglik_fit_cells": bernoulli(z0 + off, y[fit]),
                        "loglik_test_cells": bernoulli(zt, y[~fit]),
                        "auc_test_cells": float(roc_auc(zt, y[~fit])),
                    }
                )
        ll = np.array([r["loglik_fit_cells"] for r in prof])
        lt = np.array([r["loglik_test_cells"] for r in prof])
        at = np.array([r["auc_test_cells"] for r in prof])
        return {
            "points": prof,
            "loglik_fit_cells_range_nats": float(ll.max() - ll.min()),
            "loglik_test_cells_range_nats": float(lt.max() - lt.min()),
            "auc_test_cells_range": [float(at.min()), float(at.max())],
            "best_fit_cells": prof[int(ll.argmax())],
            "best_test_cells": prof[int(lt.argmax())],
        }

    out["viscosity_profile"] = profile(slip_j)
    out["viscosity_profile_published_slip"] = profile(jnp.asarray(published))
    for key in ("viscosity_profile", "viscosity_profile_published_slip"):
        summary = {k: v for k, v in out[key].items() if k != "points"}
        print(key, json.dumps(summary), flush=True)

    # ---- sensitivity of the held-out log-likelihood to the viscosities, checked
    y_test = jnp.asarray(y[~fit])

    def test_ll(le):
        z = test_logit({"slip": slip_j, "log_eta": le, "offset": p_joint["offset"]})
        return jnp.sum(y_test * z - jax.nn.softplus(z))

    le0 = jnp.clip(jnp.asarray(log_eta(p_joint["u"])), lo + 0.05, hi - 0.05)  # room for FD
    grad = np.asarray(jax.grad(test_ll)(le0))
    h = 1e-3
    fd = [float((test_ll(le0.at[i].add(h)) - test_ll(le0.at[i].add(-h))) / (2 * h)) for i in (0, 1)]
    out["sensitivity"] = {
        "at_log10_eta": np.asarray(le0).tolist(),
        "d_test_loglik_d_log10_eta": grad.tolist(),
        "central_difference": fd,
    }
    print("held-out log-likelihood gradient in log10 eta:", grad, "FD:", fd, flush=True)
    out["total_s"] = time.perf_counter() - t_start
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"end_to_end_{args.name}.json").write_text(json.dumps(out, indent=1) + "\n")
    _figure(fault, models, histories, args.out / f"end_to_end_{args.name}.png")
    print(
        json.dumps(
            {k: {a: b for a, b in v.items() if a != "slip_m"} for k, v in out["models"].items()}
        )
    )


def _figure(fault, models, histories, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = np.asarray(fault.centroid)
    strike = np.deg2rad(float(np.mean(np.asarray(fault.strike))))
    along = (c[:, 0] * np.sin(strike) + c[:, 1] * np.cos(strike)) / 1e3
    depth = -c[:, 2] / 1e3
    names = [
        n for n in ("published", "GPS only", "aftershocks only", "GPS + aftershocks") if n in models
    ]
    fig, ax = plt.subplots(1, len(names) + 1, figsize=(4.2 * (len(names) + 1), 3.6))
    for a, n in zip(ax[:-1], names, strict=True):
        mag = np.linalg.norm(np.asarray(models[n]["slip"]), axis=1)
        # each panel its own colour scale: the slip sizes differ by up to 5x
        sc = a.scatter(along, depth, c=mag, s=30, marker="s", cmap="viridis", vmin=0)
        a.invert_yaxis()
        a.set_title(f"{n}: slip (m), peak {mag.max():.2f}")
        a.set_xlabel("along strike (km)")
        a.set_ylabel("depth (km)")
        fig.colorbar(sc, ax=a)
    for n, h in histories.items():
        ax[-1].plot(np.asarray(h) - min(h) + 1e-3, label=n)
    ax[-1].set_yscale("log")
    ax[-1].set_xlabel("L-BFGS iteration")
    ax[-1].set_ylabel("loss - final (+1e-3)")
    ax[-1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
