"""Speed and accuracy of the antiplane viscoelastic cycle model (the emulator's baseline).

What it measures
----------------
The PyLith Savage-Prescott case (H = 40 km, D = 20 km, T = 200 yr, eta = 2.36682e19 Pa s,
mu = 30 GPa, V = 2 cm/yr; tau0 = 4) on a batch of 100 x-points (1-200 km) x 50 times
(t/T in 0.01-0.99):

- `CycleModel.surface_velocity` (quakejax, Maxwell half-space on the default `AntiplaneMesh`),
  jitted, in float64 and float32: the first call (tracing + compilation + run) and the median
  of `--repeats` calls after it.  Every call is a full solve: the modal decomposition of the
  strain-volume interaction, the exact spin-up to cycle invariance (one integrated cycle per
  mode plus a linear solve) and the sampled cycle, all with diffrax Kvaerno5 + PID control.
- the same with a Burgers half-space (mu_K = mu_M, eta_K = eta_M / 10).
- the modal decomposition alone (kernel assembly and `eigh`: the part that depends only on
  the geometry and the mesh).
- the numpy Savage-Prescott series (`quakejax.visco.reference.savage_prescott_velocity`), the
  reference point, on the same batch.

Errors are max |v - v_SP| / V over the batch, for float64 and float32 (the float32 error
includes the mesh's discretisation error, which the float64 row isolates).

How to run
----------
    .venv/bin/python benchmarks/visco_speed.py [--repeats 5]

Output: a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np


def _median_time(fn, repeats):
    import jax

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from quakejax.visco import Burgers, CycleModel, Maxwell, reference

    year = 365.25 * 86400.0
    H, D, mu, eta, T, V = 40e3, 20e3, 30e9, 2.36682e19, 200 * year, 0.02 / year
    x = np.geomspace(1e3, 200e3, 100)
    t = np.linspace(0.01, 0.99, 50) * T

    rows = []
    # numpy reference
    start = time.perf_counter()
    expected = reference.savage_prescott_velocity(
        x[None], t[:, None], H=H, D=D, T=T, V=V, mu=mu, eta=eta
    )
    first = time.perf_counter() - start
    median = _median_time(
        lambda: reference.savage_prescott_velocity(
            x[None], t[:, None], H=H, D=D, T=T, V=V, mu=mu, eta=eta
        ),
        args.repeats,
    )
    rows.append(
        {
            "name": "Savage-Prescott series (numpy)",
            "dtype": "float64",
            "first_s": first,
            "median_s": median,
            "max_err_over_V": None,  # the reference itself
        }
    )

    def run(name, rheology_fn, dtype, compare):
        cast = lambda a: jnp.asarray(a, dtype)  # noqa: E731

        # The model is an argument (not closed over), as in a sweep over parameters.
        model = CycleModel(
            H=cast(H),
            D=cast(D),
            T=cast(T),
            V=cast(V),
            layer_mu=cast(mu),
            rheology=rheology_fn(cast),
        )
        jitted = jax.jit(lambda m, xx, tt: m.surface_velocity(xx[None], tt[:, None]))
        velocity = lambda xx, tt: jitted(model, xx, tt)  # noqa: E731
        xx, tt = cast(x), cast(t)
        start = time.perf_counter()
        v = np.asarray(jax.block_until_ready(velocity(xx, tt)), float)
        first = time.perf_counter() - start
        median = _median_time(lambda: velocity(xx, tt), args.repeats)
        err = float(np.abs(v - compare).max() / V) if compare is not None else None
        rows.append(
            {
                "name": name,
                "dtype": np.dtype(dtype).name,
                "first_s": first,
                "median_s": median,
                "max_err_over_V": err,
            }
        )
        return v

    maxwell = lambda c: Maxwell(mu=c(mu), eta=c(eta))  # noqa: E731
    v64 = run("CycleModel, Maxwell", maxwell, jnp.float64, expected)
    v32 = run("CycleModel, Maxwell", maxwell, jnp.float32, expected)
    rows[-1]["max_diff_vs_float64_over_V"] = float(np.abs(v32 - v64).max() / V)
    burgers = lambda c: Burgers(mu_M=c(mu), eta_M=c(eta), mu_K=c(mu), eta_K=c(eta / 10))  # noqa: E731
    b_expected = reference.burgers_cycle_velocity(
        x[None],
        t[:, None],
        H=H,
        D=D,
        T=T,
        V=V,
        layer_mu=mu,
        mu_M=mu,
        eta_M=eta,
        mu_K=mu,
        eta_K=eta / 10,
    )
    b64 = run("CycleModel, Burgers", burgers, jnp.float64, b_expected)
    b32 = run("CycleModel, Burgers", burgers, jnp.float32, b_expected)
    rows[-1]["max_diff_vs_float64_over_V"] = float(np.abs(b32 - b64).max() / V)

    # The geometry part alone (kernel assembly + eigh), which a sweep over rheologies shares.
    model = CycleModel(H=H, D=D, T=T, V=V, layer_mu=mu, rheology=Maxwell(mu=mu, eta=eta))
    modes = jax.jit(lambda m: m.modes().kappa)
    start = time.perf_counter()
    jax.block_until_ready(modes(model))
    first = time.perf_counter() - start
    rows.append(
        {
            "name": "  of which: modal decomposition",
            "dtype": "float64",
            "first_s": first,
            "median_s": _median_time(lambda: modes(model), args.repeats),
            "max_err_over_V": None,
        }
    )
    machine = platform.processor() or platform.machine()
    print(f"machine: {machine}, {jax.device_count()} x {jax.devices()[0].platform}")
    print(
        f"batch: {x.size} x-points x {t.size} times; median of {args.repeats} after a warm-up call"
    )
    header = (
        f"{'case':32s} {'dtype':8s} {'first (s)':>10s} {'median (s)':>11s} {'max |err|/V':>12s}"
    )
    print(header + f" {'f32-f64 /V':>11s}")
    for r in rows:
        diff = r.get("max_diff_vs_float64_over_V")
        print(
            f"{r['name']:32s} {r['dtype']:8s} {r['first_s']:10.3f} {r['median_s']:11.4f} "
            f"{'' if r['max_err_over_V'] is None else format(r['max_err_over_V'], '12.2e'):>12s} "
            f"{'' if diff is None else f'{diff:11.2e}'}"
        )
    print(
        json.dumps(
            {
                "machine": platform.processor() or platform.machine(),
                "backend": jax.devices()[0].platform,
                "batch": [int(x.size), int(t.size)],
                "cases": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
