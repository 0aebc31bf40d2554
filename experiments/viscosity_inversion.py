"""Recover log10 eta_M and log10 eta_K from noisy interseismic velocity profiles, twice.

Synthetic truth: an antiplane strike-slip fault (D = 15 km, H = 30 km, T = 200 yr,
V = 30 mm/yr, mu_M = mu_K = layer_mu = 30 GPa) over a Burgers half-space with
log10 eta_M = 19.8 and log10 eta_K = 19.0 (Pa s).  Velocities at 40 stations (2-250 km from the
fault, both sides) at three stages of the cycle (t/T = 0.05, 0.25, 0.6), computed with the
diffrax solver (`method="solver"`), plus Gaussian noise of 0.5 mm/yr.

The two log-viscosities are then fitted by minimising chi^2 with optax's L-BFGS (gradients by
autodiff) from the same start (20.5, 18.5), once with `method="emulator"` and once with
`method="solver"` (gradients through diffrax), stopping when the gradient norm is below 1e-6
of its first value or after `--iterations`.  (A start with eta_K far above the truth stalls:
there the Kelvin element barely relaxes in a cycle and chi^2 is flat in eta_K.)  Printed: both
answers, their 1-sigma errors from the Gauss-Newton curvature, chi^2 per datum, iterations and
wall time.  The chi^2 landscape (emulator) and both paths go to
`docs/figures/viscosity_inversion.png`, the numbers to `docs/figures/viscosity_inversion.json`.

    .venv/bin/python experiments/viscosity_inversion.py [--iterations 25]

About 10 minutes on a 2-core CPU, nearly all of it the solver's run.  Each iteration is one
jitted step (line search included); wall times are for the optimisation after compiling it.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
YEAR = 365.25 * 86400.0
MU = 30e9
SETUP = dict(H=30e3, D=15e3, T=200 * YEAR, V=0.03 / YEAR, layer_mu=MU)
TRUTH = np.array([19.8, 19.0])
START = np.array([20.5, 18.5])
SIGMA = 0.5e-3 / YEAR  # m/s
EPOCHS = np.array([0.05, 0.25, 0.6])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", default="emulator,solver")
    parser.add_argument("--start", type=float, nargs=2, default=START.tolist())
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs/figures")
    args = parser.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    from quakejax.visco import Burgers, cycle_surface_velocity

    side = np.geomspace(2e3, 250e3, 20)
    x = np.concatenate([-side[::-1], side])
    t = EPOCHS * SETUP["T"]

    def forward(logs, method):
        rheology = Burgers(mu_M=MU, eta_M=10 ** logs[0], mu_K=MU, eta_K=10 ** logs[1])
        return cycle_surface_velocity(
            x[None, :], t[:, None], **SETUP, rheology=rheology, method=method
        )

    observed = np.asarray(forward(jnp.asarray(TRUTH), "solver"))
    rng = np.random.default_rng(args.seed)
    observed = observed + SIGMA * rng.standard_normal(observed.shape)

    def chi2(logs, method):
        return jnp.sum(((forward(logs, method) - observed) / SIGMA) ** 2)

    results = {}
    for method in args.methods.split(","):
        objective = lambda p, m=method: chi2(p, m)
        solver = optax.lbfgs()

        @jax.jit
        def step(params, state, value, grad, objective=objective, solver=solver):
            # One L-BFGS iteration (zoom line search included), then the new value and gradient.
            updates, state = solver.update(
                grad, state, params, value=value, grad=grad, value_fn=objective
            )
            params = optax.apply_updates(params, updates)
            value, grad = jax.value_and_grad(objective)(params)
            return params, state, value, grad

        value_and_grad = jax.jit(jax.value_and_grad(objective))
        params = jnp.asarray(args.start)
        state = solver.init(params)
        # Compile first: the objective's gradient, and one step (discarded).
        start = time.perf_counter()
        value, grad = value_and_grad(params)
        jax.block_until_ready(step(params, state, value, grad))
        compile_seconds = time.perf_counter() - start
        start = time.perf_counter()
        value, grad = value_and_grad(params)
        g0 = float(jnp.linalg.norm(grad))
        path = [np.asarray(params).tolist()]
        for _ in range(args.iterations):
            params, state, value, grad = step(params, state, value, grad)
            path.append(np.asarray(params).tolist())
            if float(jnp.linalg.norm(grad)) < 1e-6 * g0:
                break
        wall = time.perf_counter() - start
        # 1-sigma from the Gauss-Newton curvature J^T J / sigma^2 at the optimum.
        # Central differences (0.001 decade): diffrax's checkpointed adjoint has no forward mode.
        h = 1e-3
        J = np.stack(
            [
                (
                    np.asarray(forward(params + h * e, method))
                    - np.asarray(forward(params - h * e, method))
                ).ravel()
                / (2 * h * SIGMA)
                for e in jnp.eye(2)
            ],
            axis=1,
        )
        cov = np.linalg.inv(J.T @ J)
        results[method] = dict(
            estimate=np.asarray(params).tolist(),
            sigma=np.sqrt(np.diag(cov)).tolist(),
            chi2_per_datum=float(value) / observed.size,
            iterations=len(path) - 1,
            seconds=wall,
            compile_seconds=compile_seconds,
            path=path,
        )
        print(
            f"{method:8s}: log10 eta_M = {params[0]:.3f} +- {np.sqrt(cov[0, 0]):.3f}, "
            f"log10 eta_K = {params[1]:.3f} +- {np.sqrt(cov[1, 1]):.3f}, "
            f"chi2/N = {float(value) / observed.size:.3f}, {len(path) - 1} iterations, "
            f"{wall:.1f} s (+ {compile_seconds:.1f} s to compile and run a first step)",
            flush=True,
        )
    if len(results) < 2:
        return
    e, s = results["emulator"], results["solver"]
    difference = np.abs(np.subtract(e["estimate"], s["estimate"]))
    print(f"truth   : log10 eta_M = {TRUTH[0]:.3f}, log10 eta_K = {TRUTH[1]:.3f}")
    print(
        f"emulator - solver: {difference.round(4).tolist()} decades "
        f"({(difference / np.asarray(s['sigma'])).round(2).tolist()} sigma); "
        f"wall time {s['seconds'] / e['seconds']:.0f}x shorter with the emulator"
    )

    # chi^2 landscape through the emulator, both paths.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gm, gk = np.linspace(18.6, 20.6, 61), np.linspace(18.4, 20.8, 61)
    grid = jnp.stack(np.meshgrid(gm, gk, indexing="ij"), axis=-1).reshape(-1, 2)
    landscape = np.asarray(jax.jit(jax.vmap(lambda p: chi2(p, "emulator")))(grid))
    landscape = landscape.reshape(len(gm), len(gk)) / observed.size
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.5))
    c = ax0.contourf(gm, gk, np.log10(landscape.T), 30, cmap="viridis")
    fig.colorbar(c, ax=ax0, label="log10 chi^2 / N (emulator)")
    for method, style in (("emulator", "w.-"), ("solver", "r.--")):
        p = np.asarray(results[method]["path"])
        ax0.plot(p[:, 0], p[:, 1], style, label=method)
    ax0.plot(*TRUTH, "k*", ms=14, label="truth")
    ax0.set(xlabel="log10 eta_M (Pa s)", ylabel="log10 eta_K (Pa s)", title="L-BFGS paths")
    ax0.legend(loc="upper right")
    best_e = np.asarray(forward(jnp.asarray(e["estimate"]), "emulator"))
    for i, tt in enumerate(EPOCHS):
        ax1.errorbar(
            x / 1e3,
            observed[i] * YEAR * 1e3,
            SIGMA * YEAR * 1e3,
            fmt=".",
            color=f"C{i}",
            label=f"data t/T = {tt}",
        )
        ax1.plot(x / 1e3, best_e[i] * YEAR * 1e3, "-", color=f"C{i}")
    ax1.set(
        xlabel="x (km)",
        ylabel="velocity (mm/yr)",
        xscale="symlog",
        title="profiles and the emulator's fit",
    )
    ax1.legend(fontsize=8)
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "viscosity_inversion.png", dpi=120)
    summary = dict(
        truth=TRUTH.tolist(),
        start=START.tolist(),
        noise_mm_yr=0.5,
        epochs_t_over_T=EPOCHS.tolist(),
        n_data=int(observed.size),
        **results,
    )
    (args.out / "viscosity_inversion.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(
        json.dumps(
            {
                k: {kk: vv for kk, vv in v.items() if kk != "path"} if isinstance(v, dict) else v
                for k, v in summary.items()
            }
        )
    )


if __name__ == "__main__":
    main()
