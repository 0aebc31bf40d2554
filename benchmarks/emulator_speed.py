"""Accuracy, speed and gradients of the cycle emulator against the diffrax solver it emulates.

What it measures
----------------
A held-out test set: `--n-params` scrambled-Sobol parameter sets of the emulator's domain
(seed 20261126, not a training seed) times `--n-points` (x, t) points each, from a scrambled
Sobol sequence of its own per set (x/D log-uniform in [0.1, 20] with a random sign, t/T uniform
in [0, 1)).  Default: 100 x 100 = 10,000 points.  Each set is given in SI units: D = 15 km,
mu_M = layer_mu = 30 GPa, V = 30 mm/yr, T log-uniform in 100-300 yr (a fifth Sobol dimension),
and eta_M, eta_K, mu_K, H from the set's dimensionless groups.

- Solver: `cycle_surface_velocity(..., method="solver")` (diffrax `CycleModel`, default mesh,
  float64), one jitted call per set, after a warm-up call; the total over the sets.
- Emulator: `cycle_surface_velocity(..., method="emulator")`, vmapped over all points with
  their own parameters, jitted, median of `--repeats` after a warm-up; float64 and float32
  inputs.
- The numpy references on the same points: the Savage-Prescott series (a Maxwell half-space
  with each set's eta_M: it answers another question, but it is the classic fast code), and the
  semi-analytic Burgers series `reference.burgers_cycle_velocity` (the independent truth).
- Errors in units of V: emulator - solver (what the emulator was trained to reproduce),
  emulator - analytic, and solver - analytic.
- Gradients (`--gradient-sets` sets x `--gradient-points` points): d v / d log10(eta_M),
  d log10(eta_K), d log10(mu_K) of the emulator (jax.grad) and of the solver (reverse mode through
  diffrax, `RecursiveCheckpointAdjoint`), the distribution of the relative difference.

How to run
----------
    .venv/bin/python benchmarks/emulator_speed.py [--n-params 100 --n-points 100]

Output: a table, then one JSON line.  Takes about 15 minutes on a 2-core CPU (the solver).
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

YEAR = 365.25 * 86400.0
D_KM, MU, V_MM_YR = 15.0, 30e9, 30.0


def test_set(n_params: int, n_points: int, seed: int = 20261126):
    """Physical parameter sets (dict of arrays), and x, t of shape (n_params, n_points)."""
    from scipy.stats import qmc

    from quakejax.visco.emulator import EmulatorDomain

    domain = EmulatorDomain()
    unit = qmc.Sobol(d=5, scramble=True, seed=seed).random_base2(int(np.ceil(np.log2(n_params))))
    unit = unit[:n_params]
    lo, hi = domain.bounds.T
    groups = lo + unit[:, :4] * (hi - lo)
    T = 10 ** (2 + 0.5 * unit[:, 4] * np.log10(9)) * YEAR  # 100-300 yr, log-uniform
    D = D_KM * 1e3
    sets = dict(
        H=groups[:, 3] * D,
        T=T,
        eta_M=T * MU / (2 * 10 ** groups[:, 0]),
        eta_K=T * MU / (2 * 10 ** groups[:, 1]),
        mu_K=MU * 10 ** groups[:, 2],
        groups=groups,
    )
    lx = np.log10(domain.x_over_D)
    xs, ts = [], []
    for j in range(n_params):
        u = qmc.Sobol(d=3, scramble=True, seed=seed + 1 + j).random_base2(
            int(np.ceil(np.log2(n_points)))
        )[:n_points]
        sign = np.where(u[:, 2] < 0.5, -1.0, 1.0)
        xs.append(sign * D * 10 ** (lx[0] + u[:, 0] * (lx[1] - lx[0])))
        ts.append(u[:, 1] * T[j])
    return sets, np.stack(xs), np.stack(ts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-params", type=int, default=100)
    parser.add_argument("--n-points", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--gradient-sets", type=int, default=12)
    parser.add_argument("--gradient-points", type=int, default=8)
    parser.add_argument("--out", default=None, help="also write the JSON summary here")
    parser.add_argument(
        "--save",
        default=None,
        help="write the test set and every prediction here (.npz; for the accuracy maps)",
    )
    args = parser.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from quakejax.visco import Burgers, CycleEmulator, cycle_surface_velocity, reference

    sets, xs, ts = test_set(args.n_params, args.n_points)
    D, V = D_KM * 1e3, V_MM_YR * 1e-3 / YEAR
    n_sets, n_points = xs.shape

    def kwargs(j, dtype=np.float64):
        return dict(
            H=dtype(sets["H"][j]),
            D=dtype(D),
            T=dtype(sets["T"][j]),
            V=dtype(V),
            layer_mu=dtype(MU),
            rheology=Burgers(
                mu_M=dtype(MU),
                eta_M=dtype(sets["eta_M"][j]),
                mu_K=dtype(sets["mu_K"][j]),
                eta_K=dtype(sets["eta_K"][j]),
            ),
        )

    rows = []
    # ---- solver: one call per parameter set ------------------------------------------------
    start = time.perf_counter()
    jax.block_until_ready(cycle_surface_velocity(xs[0], ts[0], method="solver", **kwargs(0)))
    solver_first = time.perf_counter() - start
    v_solver = np.empty_like(xs)
    start = time.perf_counter()
    for j in range(n_sets):
        v_solver[j] = np.asarray(
            jax.block_until_ready(
                cycle_surface_velocity(xs[j], ts[j], method="solver", **kwargs(j))
            )
        )
    solver_time = time.perf_counter() - start
    rows.append(("diffrax solver (CycleModel), f64", solver_first, solver_time))

    # ---- emulator: every point with its own parameters ------------------------------------
    emulator = CycleEmulator.pretrained().with_on_outside("ignore")

    def point(x, t, H, T, mu_K, eta_M, eta_K):
        return cycle_surface_velocity(
            x,
            t,
            H=H,
            D=D,
            T=T,
            V=V,
            layer_mu=MU,
            rheology=Burgers(mu_M=MU, eta_M=eta_M, mu_K=mu_K, eta_K=eta_K),
            method="emulator",
            emulator=emulator,
            on_outside="ignore",
        )

    batched = jax.jit(jax.vmap(point))
    per_point = [np.repeat(sets[k], n_points) for k in ("H", "T", "mu_K", "eta_M", "eta_K")]
    results = {}
    for dtype in (np.float64, np.float32):
        inputs = [jnp.asarray(a.astype(dtype)) for a in (xs.ravel(), ts.ravel(), *per_point)]
        start = time.perf_counter()
        out = jax.block_until_ready(batched(*inputs))
        first = time.perf_counter() - start
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            jax.block_until_ready(batched(*inputs))
            times.append(time.perf_counter() - start)
        results[np.dtype(dtype).name] = (
            np.asarray(out, np.float64).reshape(xs.shape),
            float(np.median(times)),
        )
        rows.append((f"emulator, {np.dtype(dtype).name}", first, float(np.median(times))))
    v_emulator, emulator_time = results["float64"]

    # ---- numpy references --------------------------------------------------------------------
    def loop(fn):
        start = time.perf_counter()
        out = np.stack([fn(j) for j in range(n_sets)])
        return out, time.perf_counter() - start

    _, sp_time = loop(
        lambda j: reference.savage_prescott_velocity(
            xs[j], ts[j], H=sets["H"][j], D=D, T=sets["T"][j], V=V, mu=MU, eta=sets["eta_M"][j]
        )
    )
    rows.append(("numpy Savage-Prescott series (Maxwell)", sp_time, sp_time))
    v_exact, exact_time = loop(
        lambda j: reference.burgers_cycle_velocity(
            xs[j],
            ts[j],
            H=sets["H"][j],
            D=D,
            T=sets["T"][j],
            V=V,
            layer_mu=MU,
            mu_M=MU,
            eta_M=sets["eta_M"][j],
            mu_K=sets["mu_K"][j],
            eta_K=sets["eta_K"][j],
        )
    )
    rows.append(("numpy Burgers series (reference)", exact_time, exact_time))

    def stats(a, b):
        e = np.abs(a - b) / V
        return dict(max=float(e.max()), median=float(np.median(e)), p99=float(np.quantile(e, 0.99)))

    errors = {
        "emulator_vs_solver": stats(v_emulator, v_solver),
        "emulator_f32_vs_solver": stats(results["float32"][0], v_solver),
        "emulator_vs_analytic": stats(v_emulator, v_exact),
        "solver_vs_analytic": stats(v_solver, v_exact),
    }

    if args.save:
        np.savez(
            args.save,
            groups=sets["groups"],
            x_over_D=np.abs(xs) / D,
            t_over_T=ts / sets["T"][:, None],
            v_solver=v_solver / V,
            v_emulator=v_emulator / V,
            v_analytic=v_exact / V,
        )

    # ---- gradients with respect to the rheology -------------------------------------------
    def velocity(logs, x, t, j, method):
        rheology = Burgers(mu_M=MU, eta_M=10 ** logs[0], mu_K=10 ** logs[2], eta_K=10 ** logs[1])
        kw = kwargs(j)
        kw["rheology"] = rheology
        extra = dict(emulator=emulator, on_outside="ignore") if method == "emulator" else {}
        return cycle_surface_velocity(x, t, method=method, **kw, **extra) / V

    grad_rows = []
    start_grad = time.perf_counter()
    gsets = np.linspace(0, n_sets - 1, min(args.gradient_sets, n_sets)).astype(int)
    for j in gsets:
        logs = jnp.log10(jnp.array([sets["eta_M"][j], sets["eta_K"][j], sets["mu_K"][j]]))
        x, t = xs[j, : args.gradient_points], ts[j, : args.gradient_points]
        g_solver = np.asarray(jax.jacrev(velocity)(logs, x, t, j, "solver"))
        g_emulator = np.asarray(jax.jacrev(velocity)(logs, x, t, j, "emulator"))
        grad_rows.append((g_solver, g_emulator))
    grad_time = time.perf_counter() - start_grad
    gs = np.concatenate([g for g, _ in grad_rows])  # (n, 3): per unit log10, in V
    ge = np.concatenate([g for _, g in grad_rows])
    vector_rel = np.linalg.norm(ge - gs, axis=1) / np.linalg.norm(gs, axis=1)
    # Per component, where the component is not negligible (> 1% of V per decade).
    big = np.abs(gs) > 0.01
    comp_rel = np.abs(ge - gs)[big] / np.abs(gs)[big]
    # Against the typical sensitivity: |g_e - g_s| over the rms of |g_s| on the whole set.
    scaled = np.linalg.norm(ge - gs, axis=1) / np.sqrt(np.mean(np.sum(gs**2, axis=1)))
    quant = lambda a: {q: float(np.quantile(a, float(q))) for q in ("0.5", "0.9", "0.95", "1.0")}
    gradients = dict(
        n_points=int(len(gs)),
        vector_relative=quant(vector_rel),
        vector_within_5pct=float(np.mean(vector_rel <= 0.05)),
        component_relative=quant(comp_rel) if comp_rel.size else {},
        component_within_5pct=float(np.mean(comp_rel <= 0.05)) if comp_rel.size else None,
        n_components=int(big.sum()),
        rms_scaled=quant(scaled),
        rms_scaled_within_5pct=float(np.mean(scaled <= 0.05)),
        seconds=grad_time,
    )

    # ---- report ------------------------------------------------------------------------------
    print(f"# cycle emulator benchmark: {n_sets} parameter sets x {n_points} points = {xs.size}")
    print(
        f"# machine: {platform.processor() or platform.machine()}, "
        f"backend {jax.default_backend()}, devices {jax.devices()}"
    )
    print(f"{'method':44s} {'first call (s)':>15s} {'batch (s)':>12s} {'emulator speedup':>17s}")
    for name, first, t in rows:
        print(f"{name:44s} {first:15.4g} {t:12.4g} {t / emulator_time:17.4g}")
    print()
    print(f"{'error |dv|/V':34s} {'max':>10s} {'median':>10s} {'99%':>10s}")
    for name, e in errors.items():
        print(f"{name:34s} {e['max']:10.2e} {e['median']:10.2e} {e['p99']:10.2e}")
    print()
    print(f"gradients d(v/V)/d log10(eta_M, eta_K, mu_K), emulator vs solver, {len(gs)} points:")
    print(
        f"  |g_e - g_s| / |g_s| (vector): quantiles {gradients['vector_relative']}, "
        f"within 5%: {gradients['vector_within_5pct']:.1%}"
    )
    print(
        f"  per component > 0.01 V/decade ({big.sum()}): quantiles "
        f"{gradients['component_relative']}, within 5%: {gradients['component_within_5pct']}"
    )
    print(
        f"  |g_e - g_s| / rms|g_s| over the set: quantiles {gradients['rms_scaled']}, "
        f"within 5%: {gradients['rms_scaled_within_5pct']:.1%}"
    )
    summary = dict(
        benchmark="emulator_speed",
        n_points=int(xs.size),
        n_parameter_sets=int(n_sets),
        backend=jax.default_backend(),
        device=str(jax.devices()[0]),
        solver_seconds=solver_time,
        emulator_seconds=emulator_time,
        emulator_f32_seconds=results["float32"][1],
        speedup_vs_solver=solver_time / emulator_time,
        speedup_vs_savage_prescott=sp_time / emulator_time,
        speedup_vs_burgers_series=exact_time / emulator_time,
        errors=errors,
        gradients=gradients,
        target_met=dict(
            max_error=errors["emulator_vs_solver"]["max"] <= 0.01,
            median_error=errors["emulator_vs_solver"]["median"] <= 0.001,
            speedup=solver_time / emulator_time >= 1000,
        ),
    )
    line = json.dumps(summary)
    if args.out:
        with open(args.out, "w") as f:
            f.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
