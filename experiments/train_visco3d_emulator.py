"""Train and test the 3D relaxation emulator (`quakejax.visco.RelaxationEmulator3D`).

    python experiments/visco3d_emulator_data.py          # the solver's data, ~20 min
    python experiments/train_visco3d_emulator.py [--steps 20000] [--no-save]
        [--relative-weight 0.1 --relative-floor 0.05] [--moment-term [--moment-source
        centroid|patches]] [--seed N] [--weights PATH] [--out FILE]
    python experiments/train_visco3d_emulator.py --evaluate quakejax/visco/weights/relaxation3d

Data: `visco3d_emulator_data.py`'s files, one per earthquake: the 3D Burgers solver's
relaxation stress at 3,000 random DeVries cells, for 9 rheologies (the default and 8 Halton
draws in the box), at 1, 10, 30, 100, 365 and 1,095 days and as the mean over the first
year.  Split by earthquake sequence: `HELD_OUT` (Landers with Joshua Tree, Northridge,
Parkfield) is never seen in training, `VALIDATION` (Morgan Hill) only picks the best step.

Test on the held-out events, against the solver:
- the error of the relaxation stress (Frobenius norm per cell, relative to the largest
  relaxation stress of that event, rheology and time), median, 95th percentile and max,
  beside the error of predicting no relaxation at all;
- the median relative error of the time-averaged von Mises stress (coseismic plus the window
  mean), and the correlation of the emulated and solved von Mises change;
- on the full grid of each held-out event, with the default rheology: ROC AUC of the
  time-averaged von Mises stress from the emulator and from the solver (the cached columns of
  `aftershocks_timedependent.py`), pooled and per event, and the median relative change of
  that von Mises stress from t = 0 (solver against emulator: the weakly stressed cells);
- on the slow test's synthetic two-segment rupture (`synthetic_check`): the window-mean
  error against the solver, median, p95 (the test requires below 0.25) and by distance.

Loss: the squared Frobenius error relative to each event's and rheology's 99th-percentile
relaxation stress, plus `--relative-weight` times the error relative to the local relaxation
stress, with a floor of `--relative-floor` times that 99th percentile.

Writes `quakejax/visco/weights/relaxation3d.{eqx,json}` (unless `--no-save`) and
`experiments/results/visco3d_emulator.json`; the last line printed is a JSON summary.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import time

import _scripts  # experiments/_scripts.py, beside this script
import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

REPO = pathlib.Path(__file__).resolve().parents[1]
HELD_OUT = ("s1992LANDER", "s1992JOSHUA", "s1994NORTHR", "s2004PARKFI")
VALIDATION = ("s1984MORGAN",)
MU = 3.0e10  # Pa
YEAR = 365.0 * 86400.0  # s, the label window
# The cell tables' six stress components (Pa, ENU) and their conversion to tensors.
_td = _scripts.load("aftershocks_timedependent")
COMPONENTS, six_to_tensor = _td.COMPONENTS, _td.from6


def load_events(args, emu):
    """Per event: probe stresses, geometry, rheology inputs, targets in spin parts."""
    from quakejax.visco._emulator3d import SPIN_NORM_WEIGHTS, spin_parts

    build = _scripts.load("build_dataset")
    files = {p.stem: p for p in build.slip_files(build.data_dir(args.data))}
    events = {}
    for npz in sorted(pathlib.Path(args.dataset).glob("*.npz")):
        if npz.name.endswith((".probes.npz", ".solver.npz")):
            continue
        d = np.load(npz)
        fault = build.read_model(files[npz.stem])
        cells = jnp.asarray(d["cells"])
        # The local probes' Okada stresses depend only on their layout: cache them beside
        # the data.  The moment probe costs no Okada call; it is computed each time.
        local = dataclasses.replace(emu, moment_term=False)
        key = json.dumps([emu.H, emu.probe_depths, emu.rings])
        probe_file = npz.with_suffix(".probes.npz")
        cached = np.load(probe_file) if probe_file.exists() else None
        if cached is not None and str(cached["key"]) == key:
            parts, geom = cached["parts"], cached["geom"]
        else:
            parts = np.asarray(local.probe_stress(fault, cells))
            geom = np.asarray(local.geometry(fault, cells))
            np.savez(probe_file, key=key, parts=parts, geom=geom)
        if emu.moment_term:  # as `probe_stress` and `geometry` append them
            moment, basis, moment_geom = (np.asarray(a) for a in emu.moment_probe(fault, cells))
            parts = np.concatenate([parts, moment[:, None]], axis=1)
            geom = np.concatenate([geom, moment_geom], axis=1)
        else:  # `predict` does not read it
            basis = np.zeros((len(cells), 1, 1))
        snap = np.asarray(spin_parts(jnp.asarray(six_to_tensor(d["snap"]))))  # (R, T, n, 6)
        mean = np.asarray(spin_parts(jnp.asarray(six_to_tensor(d["mean"]))))  # (R, n, 6)
        target = np.concatenate([snap, mean[:, None]], axis=1)  # (R, K, n, 6)
        rheo = d["rheology"]
        rin = np.column_stack(
            [np.log10(rheo[:, 0]), np.log10(rheo[:, 1]), np.log10(rheo[:, 2] / MU)]
        )
        norm = np.sqrt(np.sum(np.asarray(SPIN_NORM_WEIGHTS) * target**2, axis=-1))  # (R, K, n)
        events[npz.stem] = dict(
            fault=fault,
            cells=np.asarray(d["cells"]),
            pick=d["pick"],
            parts=parts,
            geom=geom,
            basis=basis,
            target=target,
            norm=norm,
            scale=np.percentile(norm, 99, axis=(1, 2)),  # (R,)
            rin=rin,
            times=d["times"],
            solve_s=d["solve_s"],
            assembly_s=float(d["assembly_s"]),
        )
        print(f"{npz.stem}: {len(cells)} cells, {len(rin)} rheologies", flush=True)
    return events


def factors_of(emu, times, window):
    from quakejax.visco._emulator3d import time_factors, window_factors

    return jnp.concatenate(
        [time_factors(emu.tau, jnp.asarray(times)), window_factors(emu.tau, window)[None]]
    )


def stack(events, names):
    parts, geom, target, rin, scale, basis = [], [], [], [], [], []
    for n in names:
        e = events[n]
        r = len(e["rin"])
        c = len(e["cells"])
        parts.append(np.repeat(e["parts"][None], r, 0).reshape(r * c, *e["parts"].shape[1:]))
        geom.append(np.repeat(e["geom"][None], r, 0).reshape(r * c, e["geom"].shape[1]))
        basis.append(np.repeat(e["basis"][None], r, 0).reshape(r * c, *e["basis"].shape[1:]))
        target.append(np.moveaxis(e["target"], 2, 1).reshape(r * c, *e["target"].shape[1:2], 6))
        rin.append(np.repeat(e["rin"], c, 0))
        scale.append(np.repeat(e["scale"], c, 0))
    return tuple(
        jnp.asarray(np.concatenate(a)) for a in (parts, geom, target, rin, scale, basis)
    )  # target (S, K, 6)


def train(emu, events, train_names, val_names, args):
    import equinox as eqx
    import optax

    from quakejax.visco._emulator3d import SPIN_NORM_WEIGHTS

    tr = stack(events, train_names)
    va = stack(events, val_names)
    rms = np.sqrt(np.mean(np.asarray(tr[0]) ** 2 * np.asarray(SPIN_NORM_WEIGHTS), axis=(0, 2)))
    emu = eqx.tree_at(lambda e: e.scale, emu, jnp.asarray(rms))
    factors = factors_of(emu, next(iter(events.values()))["times"], YEAR)
    wts = jnp.asarray(SPIN_NORM_WEIGHTS)

    def loss_fn(e, parts, geom, target, rin, scale, basis):
        z = e.inputs(geom, parts, rin)
        pred = e.predict(parts, z, factors, basis if e.moment_term else None)  # (K, B, 6)
        diff = jnp.moveaxis(pred, 0, 1) - target
        sq = jnp.sum(wts * diff**2, axis=-1)  # (B, K)
        loss = jnp.mean(sq / scale[:, None] ** 2)
        if args.relative_weight > 0:  # error relative to the local relaxation stress
            floor = args.relative_floor * scale[:, None]
            local = jnp.sum(wts * target**2, axis=-1) + floor**2
            loss = loss + args.relative_weight * jnp.mean(sq / local)
        return loss

    warm = min(200, args.steps // 10)
    sched = optax.warmup_cosine_decay_schedule(0.0, args.lr, warm, args.steps, args.lr * 1e-3)
    opt = optax.adam(sched)
    # only the network trains; the probe scales and the time constants stay fixed
    spec = jax.tree_util.tree_map(lambda _: False, emu)
    spec = eqx.tree_at(
        lambda e: e.net, spec, replace=jax.tree_util.tree_map(eqx.is_inexact_array, emu.net)
    )
    params, static = eqx.partition(emu, spec)
    state = opt.init(params)

    @jax.jit
    def step(p, s, idx):
        val, g = jax.value_and_grad(
            lambda pp: loss_fn(eqx.combine(pp, static), *(a[idx] for a in tr))
        )(p)
        upd, s = opt.update(g, s, p)
        return optax.apply_updates(p, upd), s, val

    @jax.jit
    def val_loss(p):
        return loss_fn(eqx.combine(p, static), *va)

    rng = np.random.default_rng(args.seed)
    n = tr[0].shape[0]
    best, best_p, history = np.inf, params, []
    p, t0 = params, time.perf_counter()
    for i in range(1, args.steps + 1):
        idx = jnp.asarray(rng.integers(0, n, args.batch))
        p, state, lv = step(p, state, idx)
        if i % args.every == 0 or i == args.steps:
            v = float(val_loss(p))
            history.append((i, float(lv), v))
            if v < best:
                best, best_p = v, p
            print(
                f"step {i}: train {float(lv):.4g} validation {v:.4g} "
                f"({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
    return eqx.combine(best_p, static), history, time.perf_counter() - t0


def von_mises_np(sig):
    from quakejax.stress import von_mises

    return np.asarray(von_mises(jnp.asarray(sig)))


def evaluate(emu, e, co_cells):
    """Errors of the emulator against the solver on one event's sampled cells."""
    from quakejax.visco._emulator3d import SPIN_NORM_WEIGHTS, from_spin_parts

    factors = factors_of(emu, e["times"], YEAR)
    wts = np.asarray(SPIN_NORM_WEIGHTS)
    vm_co = von_mises_np(co_cells)
    rel_mean, rel_end, zero_mean, vm_err, vm_corr = [], [], [], [], []
    for r in range(len(e["rin"])):
        z = emu.inputs(jnp.asarray(e["geom"]), jnp.asarray(e["parts"]), jnp.asarray(e["rin"][r]))
        pred = np.asarray(
            emu.predict(
                jnp.asarray(e["parts"]),
                z,
                factors,
                jnp.asarray(e["basis"]) if emu.moment_term else None,
            )
        )  # (K, n, 6)
        tgt = e["target"][r]  # (K, n, 6)
        err = np.sqrt(np.sum(wts * (pred - tgt) ** 2, -1))
        big = e["norm"][r].max(axis=1)  # (K,)
        rel_mean.append(err[-1] / big[-1])
        rel_end.append(err[-2] / big[-2])
        zero_mean.append(e["norm"][r][-1] / big[-1])
        vm_true = von_mises_np(co_cells + np.asarray(from_spin_parts(jnp.asarray(tgt[-1]))))
        vm_pred = von_mises_np(co_cells + np.asarray(from_spin_parts(jnp.asarray(pred[-1]))))
        vm_err.append(np.abs(vm_pred - vm_true) / vm_true)
        vm_corr.append(np.corrcoef(vm_pred - vm_co, vm_true - vm_co)[0, 1])
        if r == 0:  # the default rheology
            change = {
                "von_mises_change_median_solver": float(np.median((vm_true - vm_co) / vm_co)),
                "von_mises_change_median_emulator": float(np.median((vm_pred - vm_co) / vm_co)),
            }
    rel_mean, rel_end, zero_mean = (np.concatenate(a) for a in (rel_mean, rel_end, zero_mean))
    vm_err = np.concatenate(vm_err)

    def q(a):
        return {
            "median": float(np.median(a)),
            "p95": float(np.percentile(a, 95)),
            "max": float(a.max()),
        }

    return {
        "window_mean_error": q(rel_mean),
        "one_year_error": q(rel_end),
        "no_relaxation_error": q(zero_mean),
        "time_averaged_von_mises_rel_error": q(vm_err),
        "von_mises_change_corr_min": float(np.min(vm_corr)),
        "von_mises_change_corr_median": float(np.median(vm_corr)),
        **change,
    }


def grid_auc(emu, name, e, cache):
    """Default rheology on the whole grid: AUC of time-averaged von Mises, emulator vs solver."""
    import pandas as pd

    from quakejax.aftershocks import roc_auc
    from quakejax.visco import Burgers

    df = pd.read_parquet(pathlib.Path(cache) / f"{name}.parquet")
    cells = jnp.asarray(df[["x", "y", "z"]].to_numpy(float))
    co = six_to_tensor(df[[f"co_{c}" for c in COMPONENTS]].to_numpy())
    solver = six_to_tensor(df[[f"mean_{c}" for c in COMPONENTS]].to_numpy())
    rheo = Burgers(MU, 1e19, MU, 1e18)
    layout = emu.column_layout(cells)
    f = jax.jit(
        lambda pts, c, o: emu.relaxation_stress(
            e["fault"], pts, rheo, YEAR, mean=True, layout=(c, o)
        )[0]
    )
    emul = np.asarray(f(cells, *layout))  # warm-up (compiles)
    t0 = time.perf_counter()
    emul = np.asarray(jax.block_until_ready(f(cells, *layout)))
    wall = time.perf_counter() - t0
    y = df["label"].to_numpy()
    vm = {k: von_mises_np(co + s) for k, s in (("solver", solver), ("emulator", emul))}
    vm["t0"] = von_mises_np(co)
    ch_s, ch_e = ((vm[k] - vm["t0"]) / vm["t0"] for k in ("solver", "emulator"))
    big = np.sqrt(np.sum(solver**2, axis=(1, 2))).max()
    err = np.sqrt(np.sum((emul - solver) ** 2, axis=(1, 2))) / big
    return {
        "cells": len(df),
        "positives": int(y.sum()),
        "auc_solver": float(roc_auc(vm["solver"], y)),
        "auc_emulator": float(roc_auc(vm["emulator"], y)),
        "auc_t0": float(roc_auc(vm["t0"], y)),
        "window_mean_error_median": float(np.median(err)),
        "window_mean_error_max": float(err.max()),
        "von_mises_change_median_solver": float(np.median(ch_s)),
        "von_mises_change_median_emulator": float(np.median(ch_e)),
        # The signed median above mixes cells where relaxation raises von Mises stress (in
        # the layer) with cells where it lowers it (below H), so it sits near zero and is
        # fragile.  These compare the sizes and the fit instead:
        "von_mises_change_abs_median_solver": float(np.median(np.abs(ch_s))),
        "von_mises_change_abs_median_emulator": float(np.median(np.abs(ch_e))),
        "von_mises_change_corr": float(np.corrcoef(ch_s, ch_e)[0, 1]),
        # least-squares slope through 0 of the solver's change on the emulator's: 1 when
        # the emulator is calibrated, above 1 when it predicts too little
        "von_mises_change_slope_solver_on_emulator": float(
            np.sum(ch_s * ch_e) / np.sum(ch_e * ch_e)
        ),
        "von_mises_change_same_sign": float(np.mean(np.sign(ch_s) == np.sign(ch_e))),
        "emulator_wall_s": wall,
    }, (vm, y)


def synthetic_rupture():
    """The rupture of the slow test `test_pretrained_against_the_3d_solver_on_a_synthetic_
    rupture` (two strike-slip segments to 15 km, in no training set) and its 450 cells."""
    from quakejax import FaultModel

    fault = FaultModel.from_top_centre(
        [[-12e3, -3e3, 0.0], [14e3, 4e3, 0.0]],
        [340.0, 355.0],
        [88.0, 80.0],
        [26e3, 28e3],
        [15e3, 15e3],
        [[3.0, 0.2, 0.0], [2.0, -0.4, 0.0]],
    )
    rng = np.random.default_rng(11)
    xy = rng.uniform(-60e3, 60e3, (150, 2))
    cells = np.concatenate(
        [np.column_stack([xy, np.full(150, -d)]) for d in (7.5e3, 22.5e3, 37.5e3)]
    )
    return fault, cells


def synthetic_check(emu, dataset):
    """The emulator's window-mean error on `synthetic_rupture` against the solver (the
    training set-up's mesh; cached as `<dataset>/synthetic_rupture.solver.npz`, 2 min the
    first time): per cell, the Frobenius error over the largest solver stress; median, p95
    and medians by distance to the nearest patch centre."""
    from quakejax.visco import Burgers
    from quakejax.visco._relax3d import CuboidMesh, Postseismic3D, eigenstrain_fields

    fault, cells = synthetic_rupture()
    rheo = Burgers(MU, 1e19, MU, 1e18)
    path = pathlib.Path(dataset) / "synthetic_rupture.solver.npz"
    if path.exists():
        solver = np.load(path)["mean"]
    else:
        mesh = CuboidMesh.octree(fault, 30e3, 10e3, 1.0, 150e3, 160e3)
        model = Postseismic3D.build(mesh, rheo, mu=MU, lam=MU)
        rel = model.relax(fault, [YEAR], window=YEAR)
        _, sol = eigenstrain_fields(cells, mesh, rel.window_mean[None], mu=MU, lam=MU, order=2)
        solver = np.asarray(sol[0])
        np.savez(path, mean=solver, cells=cells)
    emul = np.asarray(emu.relaxation_stress(fault, cells, rheo, YEAR, mean=True)[0])
    norm = np.sqrt(np.sum(solver**2, axis=(1, 2)))
    err = np.sqrt(np.sum((emul - solver) ** 2, axis=(1, 2))) / norm.max()
    dist = np.sqrt(np.min(np.sum((cells[:, None] - np.asarray(fault.centroid)[None]) ** 2, -1), 1))
    bands = {}
    for lo, hi in ((0, 10e3), (10e3, 20e3), (20e3, 40e3), (40e3, np.inf)):
        sel = (dist >= lo) & (dist < hi)
        key = f"{lo / 1e3:.0f}-{hi / 1e3:.0f}km" if np.isfinite(hi) else f">{lo / 1e3:.0f}km"
        bands[key] = {"cells": int(sel.sum()), "median": float(np.median(err[sel]))}
    return {
        "median": float(np.median(err)),
        "p95": float(np.percentile(err, 95)),
        "max": float(err.max()),
        "no_relaxation_median": float(np.median(norm / norm.max())),
        "median_by_distance": bands,
    }


def main(argv=None):
    from quakejax.aftershocks import roc_auc
    from quakejax.visco._emulator3d import MOMENT_SOURCES, WEIGHTS_DIR, RelaxationEmulator3D

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=None)
    ap.add_argument("--dataset", default=str(REPO / "visco3d_emulator_cache"))
    ap.add_argument("--cache", default=str(REPO / "timedependent_cache"))
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=1024)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--held-out", nargs="*", default=list(HELD_OUT), help="name prefixes")
    ap.add_argument("--validation", nargs="*", default=list(VALIDATION), help="name prefixes")
    ap.add_argument(
        "--relative-weight",
        type=float,
        default=0.1,
        help="weight of a loss term relative to the local relaxation stress",
    )
    ap.add_argument(
        "--relative-floor",
        type=float,
        default=0.05,
        help="floor of that local stress, as a fraction of the event's 99th-percentile scale",
    )
    ap.add_argument(
        "--weights",
        default=None,
        help="where to save the weights (default quakejax/visco/weights/relaxation3d)",
    )
    ap.add_argument(
        "--moment-term",
        action="store_true",
        help="add the rupture's moment tensor as a probe (RelaxationEmulator3D.init)",
    )
    ap.add_argument(
        "--moment-source",
        choices=MOMENT_SOURCES,
        default="centroid",
        help="with --moment-term: one point source at the centroid, or one per patch "
        "(tapered near the cell or not)",
    )
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument(
        "--evaluate",
        default=None,
        metavar="WEIGHTS",
        help="skip training: test saved weights (a path without suffix) on the same split",
    )
    ap.add_argument("--out", default=str(REPO / "experiments/results/visco3d_emulator.json"))
    args = ap.parse_args(argv)

    if args.evaluate:  # its own probe layout gives the probe stresses
        emu = RelaxationEmulator3D.load(args.evaluate)
    else:
        emu = RelaxationEmulator3D.init(
            jax.random.PRNGKey(args.seed),
            width=args.width,
            depth=args.depth,
            moment_term=args.moment_term,
            moment_source=args.moment_source,
        )
    events = load_events(args, emu)
    names = sorted(events)
    held = [n for n in names if n.startswith(tuple(args.held_out))]
    val = [n for n in names if n.startswith(tuple(args.validation))]
    trn = [n for n in names if n not in held and n not in val]
    print(f"train {len(trn)}, validation {val}, held out {held}", flush=True)
    if args.evaluate:
        history, train_s = [], 0.0
    else:
        emu, history, train_s = train(emu, events, trn, val, args)

    import pandas as pd

    report = {
        "train": trn,
        "validation": val,
        "held_out": held,
        "train_s": train_s,
        "history": history,
        "events": {},
    }
    pooled = {"solver": [], "emulator": [], "t0": [], "y": []}
    for n in names:
        e = events[n]
        df = pd.read_parquet(pathlib.Path(args.cache) / f"{n}.parquet")
        co = six_to_tensor(df[[f"co_{c}" for c in COMPONENTS]].to_numpy()[e["pick"]])
        res = evaluate(emu, e, co)
        res["split"] = "held_out" if n in held else ("validation" if n in val else "train")
        if n in held:
            g, (vm, y) = grid_auc(emu, n, e, args.cache)
            res["grid"] = g
            for k in ("solver", "emulator", "t0"):
                pooled[k].append(vm[k])
            pooled["y"].append(y)
            res["solver_solve_s_median"] = float(np.median(e["solve_s"]))
            res["solver_assembly_s"] = e["assembly_s"]
        report["events"][n] = res
        print(
            f"{n} [{res['split']}]: window-mean error median "
            f"{res['window_mean_error']['median']:.3f}, p95 {res['window_mean_error']['p95']:.3f}"
            f" (no relaxation: median {res['no_relaxation_error']['median']:.3f}); "
            f"vm rel error median {res['time_averaged_von_mises_rel_error']['median']:.2e}"
            + (
                f"; AUC solver {res['grid']['auc_solver']:.4f} emulator "
                f"{res['grid']['auc_emulator']:.4f} t0 {res['grid']['auc_t0']:.4f}"
                if "grid" in res
                else ""
            ),
            flush=True,
        )
    report["synthetic_rupture"] = synthetic_check(emu, args.dataset)
    print(f"synthetic rupture: {json.dumps(report['synthetic_rupture'])}", flush=True)
    y = np.concatenate(pooled["y"])
    report["held_out_pooled_auc"] = {
        k: float(roc_auc(np.concatenate(pooled[k]), y)) for k in ("solver", "emulator", "t0")
    }
    h = [report["events"][n] for n in held]
    report["held_out_summary"] = {
        "window_mean_error_median": float(np.median([r["window_mean_error"]["median"] for r in h])),
        "window_mean_error_p95_max": float(max(r["window_mean_error"]["p95"] for r in h)),
        "no_relaxation_error_median": float(
            np.median([r["no_relaxation_error"]["median"] for r in h])
        ),
        "von_mises_rel_error_median": float(
            np.median([r["time_averaged_von_mises_rel_error"]["median"] for r in h])
        ),
        "von_mises_change_corr_min": float(min(r["von_mises_change_corr_min"] for r in h)),
        # the weak-cell check: relative change of time-averaged von Mises stress over each
        # held-out event's full grid (default rheology), solver and emulator; median over
        # the events of the per-event figures
        **{
            f"grid_{m}": float(np.median([r["grid"][m] for r in h]))
            for m in (
                "von_mises_change_median_solver",
                "von_mises_change_median_emulator",
                "von_mises_change_abs_median_solver",
                "von_mises_change_abs_median_emulator",
                "von_mises_change_corr",
                "von_mises_change_slope_solver_on_emulator",
                "von_mises_change_same_sign",
            )
        },
    }
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    if not (args.no_save or args.evaluate):
        emu.save(
            pathlib.Path(args.weights) if args.weights else WEIGHTS_DIR / "relaxation3d",
            train=trn,
            validation=val,
            held_out=held,
            held_out_summary=report["held_out_summary"],
            held_out_pooled_auc=report["held_out_pooled_auc"],
        )
    synth = {f"synthetic_{k}": report["synthetic_rupture"][k] for k in ("median", "p95")}
    print(
        json.dumps(
            {
                **report["held_out_summary"],
                **report["held_out_pooled_auc"],
                **synth,
                "train_s": train_s,
            }
        )
    )


if __name__ == "__main__":
    main()
