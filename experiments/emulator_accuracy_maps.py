"""Accuracy maps of the pretrained cycle emulator over its parameter box.

Two sources of truth:

1. The independent semi-analytic Burgers series (`reference.burgers_cycle_velocity`), which is
   cheap, on dense slices of the box: the maximum and the median of |v_emulator - v_exact| / V over
   40 distances (x/D log-spaced in [0.1, 20]) x 40 times (t/T uniform in [0, 1)) for every cell
   of a 21 x 21 grid in (log10 tau_M, log10 tau_K) at mu_K/mu_M = 1 and H/D = 2.5, and in
   (log10 mu_K/mu_M, H/D) at tau_M = tau_K = 1; and the error field over (x/D, t/T) at the centre
   of the box.  These errors include the solver's own discretisation error, which the emulator
   learnt with the rest.
2. With `--benchmark FILE` (written by `benchmarks/emulator_speed.py --save FILE`): the held-out
   test set against the diffrax solver, binned over (log10 tau_M, log10 tau_K) and (x/D, t/T).

Writes `docs/figures/emulator_accuracy.png` and `.json`.

    .venv/bin/python experiments/emulator_accuracy_maps.py [--benchmark /tmp/emulator_test.npz]
"""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benchmark", type=pathlib.Path, default=None)
    parser.add_argument("--n", type=int, default=21, help="grid cells per axis")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs/figures")
    args = parser.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakejax.visco import Burgers, CycleEmulator, reference
    from quakejax.visco.emulator import EmulatorDomain

    domain = EmulatorDomain()
    emulator = CycleEmulator.pretrained().with_on_outside("ignore")
    xd = np.geomspace(*domain.x_over_D, 40)
    td = (np.arange(40) + 0.5) / 40

    # Scale-free units: D = T = V = mu_M = 1.
    @jax.jit
    def emulate(groups):
        lt_M, lt_K, lr, h = groups
        rheology = Burgers(mu_M=1.0, eta_M=0.5 / 10**lt_M, mu_K=10**lr, eta_K=0.5 / 10**lt_K)
        e = emulator.bind(H=h, D=1.0, T=1.0, V=1.0, layer_mu=1.0, rheology=rheology)
        return e.surface_velocity(jnp.asarray(xd)[None, :], jnp.asarray(td)[:, None])

    def exact(groups):
        lt_M, lt_K, lr, h = (float(g) for g in groups)
        return reference.burgers_cycle_velocity(
            xd[None, :],
            td[:, None],
            H=h,
            D=1.0,
            T=1.0,
            V=1.0,
            layer_mu=1.0,
            mu_M=1.0,
            eta_M=0.5 / 10**lt_M,
            mu_K=10**lr,
            eta_K=0.5 / 10**lt_K,
        )

    def error(groups):
        return np.abs(np.asarray(emulate(jnp.asarray(groups))) - exact(groups))

    n = args.n
    a_M = np.linspace(*domain.log10_tau_M, n)
    a_K = np.linspace(*domain.log10_tau_K, n)
    a_r = np.linspace(*domain.log10_mu_ratio, n)
    a_h = np.linspace(*domain.H_over_D, n)
    taus = np.array([[error([m, k, 0.0, 2.5]) for k in a_K] for m in a_M])  # (n, n, 40, 40)
    others = np.array([[error([0.0, 0.0, r, h]) for h in a_h] for r in a_r])
    centre = error([0.0, 0.0, 0.0, 2.5])

    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    panels = [
        (
            axes[0, 0],
            a_M,
            a_K,
            taus.max(axis=(2, 3)),
            "log10 tau_M",
            "log10 tau_K",
            "max |error| / V vs analytic\n(mu_K/mu_M = 1, H/D = 2.5)",
        ),
        (
            axes[0, 1],
            a_r,
            a_h,
            others.max(axis=(2, 3)),
            "log10 mu_K/mu_M",
            "H/D",
            "max |error| / V vs analytic\n(tau_M = tau_K = 1)",
        ),
        (axes[0, 2], xd, td, centre.T, "x/D", "t/T", "|error| / V vs analytic\n(box centre)"),
    ]
    for ax, a, b, field, xl, yl, title in panels:
        c = ax.pcolormesh(
            a,
            b,
            np.log10(np.maximum(field.T, 1e-6)),
            shading="nearest",
            vmin=-5,
            vmax=-1.5,
            cmap="magma",
        )
        fig.colorbar(c, ax=ax, label="log10 error / V")
        ax.set(xlabel=xl, ylabel=yl, title=title)
    axes[0, 2].set_xscale("log")
    summary = dict(
        analytic_tau_slice=dict(max=float(taus.max()), median=float(np.median(taus))),
        analytic_ratio_H_slice=dict(max=float(others.max()), median=float(np.median(others))),
        analytic_centre=dict(max=float(centre.max()), median=float(np.median(centre))),
    )
    if args.benchmark is not None:
        data = np.load(args.benchmark)
        err = np.abs(data["v_emulator"] - data["v_solver"])  # (sets, points)
        groups = data["groups"]
        bins = 6

        def binned(u, w, values, ranges):
            out = np.full((bins, bins), np.nan)
            iu = np.clip(
                ((u - ranges[0][0]) / (ranges[0][1] - ranges[0][0]) * bins).astype(int), 0, bins - 1
            )
            iw = np.clip(
                ((w - ranges[1][0]) / (ranges[1][1] - ranges[1][0]) * bins).astype(int), 0, bins - 1
            )
            for i in range(bins):
                for j in range(bins):
                    sel = (iu == i) & (iw == j)
                    if sel.any():
                        out[i, j] = values[sel].max()
            return out

        m1 = binned(
            np.repeat(groups[:, 0], err.shape[1]),
            np.repeat(groups[:, 1], err.shape[1]),
            err.ravel(),
            (domain.log10_tau_M, domain.log10_tau_K),
        )
        lx = np.log10(data["x_over_D"]).ravel()
        m2 = binned(
            lx, data["t_over_T"].ravel(), err.ravel(), (np.log10(domain.x_over_D), (0.0, 1.0))
        )
        for ax, field, r, xl, yl in (
            (
                axes[1, 0],
                m1,
                (domain.log10_tau_M, domain.log10_tau_K),
                "log10 tau_M",
                "log10 tau_K",
            ),
            (axes[1, 1], m2, (np.log10(domain.x_over_D), (0.0, 1.0)), "log10 x/D", "t/T"),
        ):
            c = ax.imshow(
                np.log10(field.T),
                origin="lower",
                aspect="auto",
                vmin=-5,
                vmax=-1.5,
                extent=(*r[0], *r[1]),
                cmap="magma",
            )
            fig.colorbar(c, ax=ax, label="log10 max error / V")
            ax.set(xlabel=xl, ylabel=yl, title="held-out test set vs diffrax solver\n(max per bin)")
        axes[1, 2].hist(np.log10(np.maximum(err.ravel(), 1e-8)), bins=60, color="C0")
        axes[1, 2].axvline(-3, color="k", ls="--", label="0.1% V")
        axes[1, 2].axvline(-2, color="r", ls="--", label="1% V")
        axes[1, 2].set(
            xlabel="log10 |error| / V",
            ylabel="points",
            title=f"held-out errors ({err.size} points)",
        )
        axes[1, 2].legend()
        summary["test_set_vs_solver"] = dict(max=float(err.max()), median=float(np.median(err)))
    else:
        for ax in axes[1]:
            ax.set_visible(False)
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "emulator_accuracy.png", dpi=110)
    (args.out / "emulator_accuracy.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
