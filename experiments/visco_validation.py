"""Validate the antiplane strain-volume models against analytic solutions, with mesh convergence.

Cases (all with H = 40 km, D = 20 km, mu = 30 GPa):

- Nur & Mavko (1974): postseismic displacement over a Maxwell half-space (eta = 2.36682e19 Pa s,
  t_R = 2 eta / mu = 50 yr), unit slip, on a sequence of `AntiplaneMesh` refinements; error
  against `reference.nur_mavko_displacement` at x = 1-200 km and t/t_R = 0.1, 1, 3, 5, 10.
- Savage & Prescott (1978): PyLith's benchmark cycle (T = 200 yr, V = 2 cm/yr, tau0 = 4),
  error in % of V at x = 5-160 km and t/T = 0.05-0.95, per mesh.
- Burgers postseismic (mu_K = mu_M, eta_K = eta_M / 10): error against the correspondence-
  principle series inverted along the Bromwich line (mpmath de Hoog).

Writes `<out>/visco_validation.png` (error curves and convergence), `<out>/visco_validation.json`
and prints a table.  Run: `.venv/bin/python experiments/visco_validation.py --out docs/figures`
(about 3 minutes on 2 CPU cores).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import numpy as np

MESHES = [
    dict(n_x=12, n_z=12, first=0.25, growth=1.4),
    dict(n_x=16, n_z=16, first=0.25, growth=1.3),
    dict(n_x=24, n_z=24, first=0.25, growth=1.2),
    dict(n_x=32, n_z=32, first=0.25, growth=1.18),
    dict(n_x=40, n_z=40, first=0.2, growth=1.15),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=pathlib.Path("visco_validation"))
    parser.add_argument("--quick", action="store_true", help="first three meshes only")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    import jax

    jax.config.update("jax_enable_x64", True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from quakejax.visco import (
        AntiplaneMesh,
        Burgers,
        CycleModel,
        Maxwell,
        PostseismicModel,
        reference,
    )

    year = 365.25 * 86400.0
    H, D, mu, eta = 40e3, 20e3, 30e9, 2.36682e19
    T, V = 200 * year, 0.02 / year
    t_R = 2 * eta / mu
    x = np.geomspace(1e3, 200e3, 40)
    t_nm = np.array([0.1, 1.0, 3.0, 5.0, 10.0]) * t_R
    nm = np.stack(
        [reference.nur_mavko_displacement(x, t, H=H, D=D, slip=1.0, mu=mu, eta=eta) for t in t_nm]
    )
    x_sp = np.geomspace(5e3, 160e3, 30)
    t_sp = np.linspace(0.05, 0.95, 10) * T
    sp = reference.savage_prescott_velocity(
        x_sp[None], t_sp[:, None], H=H, D=D, T=T, V=V, mu=mu, eta=eta
    )
    burgers = dict(mu_M=mu, eta_M=eta, mu_K=mu, eta_K=eta / 10)
    x_b = np.array([5e3, 20e3, 40e3, 80e3, 160e3])
    t_b = np.array([1.0, 10.0, 50.0]) * year
    bref = np.stack(
        [
            reference.burgers_postseismic_displacement(
                x_b, t, H=H, D=D, slip=1.0, layer_mu=mu, **burgers
            )
            for t in t_b
        ]
    )

    results = []
    meshes = MESHES[:3] if args.quick else MESHES
    for spec in meshes:
        mesh = AntiplaneMesh(**spec)
        post = PostseismicModel(
            H=H, D=D, slip=1.0, layer_mu=mu, rheology=Maxwell(mu=mu, eta=eta), mesh=mesh
        )
        start = time.perf_counter()
        u = np.asarray(post.surface_displacement(x[None], t_nm[:, None]))
        wall = time.perf_counter() - start
        cycle = CycleModel(
            H=H, D=D, T=T, V=V, layer_mu=mu, rheology=Maxwell(mu=mu, eta=eta), mesh=mesh
        )
        v = np.asarray(cycle.surface_velocity(x_sp[None], t_sp[:, None]))
        bmodel = PostseismicModel(
            H=H, D=D, slip=1.0, layer_mu=mu, rheology=Burgers(**burgers), mesh=mesh
        )
        ub = np.asarray(bmodel.surface_displacement(x_b[None], t_b[:, None]))
        row = {
            "mesh": spec,
            "n_volumes": mesh.n_volumes,
            "extent_km": float(mesh.edges(H, D)[0][-1]) / 1e3,
            "nur_mavko_err_by_t": np.abs(u - nm).max(axis=1).tolist(),
            "nur_mavko_err_curves": (u - nm).tolist(),
            "savage_prescott_err_pct": float(np.abs(v - sp).max() / V * 100),
            "savage_prescott_err_curves_pct": ((v - sp) / V * 100).tolist(),
            "burgers_err": float(np.abs(ub - bref).max()),
            "postseismic_first_call_s": wall,
        }
        results.append(row)
        print(
            f"N = {mesh.n_volumes:5d} (extent {row['extent_km']:7.0f} km): "
            "Nur-Mavko max|err|/b by t/t_R "
            f"{', '.join(f'{e:.1e}' for e in row['nur_mavko_err_by_t'])}; Savage-Prescott "
            f"{row['savage_prescott_err_pct']:.3f}% of V; Burgers {row['burgers_err']:.1e} b",
            flush=True,
        )

    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    ax = axes[0, 0]
    best = results[-1]
    for i, t in enumerate(t_nm):
        ax.semilogx(
            x / 1e3,
            np.asarray(best["nur_mavko_err_curves"][i]) * 1e3,
            label=f"t = {t / t_R:g} $t_R$",
        )
    ax.axhline(1, color="k", lw=0.5, ls=":")
    ax.axhline(-1, color="k", lw=0.5, ls=":")
    ax.set(xlabel="x (km)", ylabel="error (1e-3 b)", title=f"Nur & Mavko, N = {best['n_volumes']}")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    n = [r["n_volumes"] for r in results]
    for i, t in enumerate(t_nm):
        ax.loglog(
            n, [r["nur_mavko_err_by_t"][i] for r in results], "o-", label=f"t = {t / t_R:g} $t_R$"
        )
    ax.axhline(1e-3, color="k", lw=0.5, ls=":")
    ax.set(
        xlabel="number of strain volumes",
        ylabel="max |error| / b",
        title="Nur & Mavko: convergence",
    )
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    for i, t in enumerate(t_sp[::2]):
        ax.semilogx(
            x_sp / 1e3,
            np.asarray(best["savage_prescott_err_curves_pct"][2 * i]),
            label=f"t/T = {t / T:.2f}",
        )
    ax.set(xlabel="x (km)", ylabel="error (% of V)", title="Savage & Prescott (PyLith case)")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    ax.loglog(
        n, [r["savage_prescott_err_pct"] / 100 for r in results], "o-", label="Savage-Prescott (/V)"
    )
    ax.loglog(n, [r["burgers_err"] for r in results], "s-", label="Burgers postseismic (/b)")
    ax.set(xlabel="number of strain volumes", ylabel="max |error|", title="convergence")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out / "visco_validation.png", dpi=120)
    (args.out / "visco_validation.json").write_text(
        json.dumps(
            [
                {
                    k: v
                    for k, v in r.items()
                    if not k.endswith("curves") and not k.endswith("curves_pct")
                }
                for r in results
            ],
            indent=1,
        )
    )
    print(f"wrote {args.out / 'visco_validation.png'}")


if __name__ == "__main__":
    main()
