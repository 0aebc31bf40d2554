"""The cycle emulator: its domain, training data, training loop, and the pretrained network.

The pretrained network is checked against the independent semi-analytic Burgers cycle series
(`reference.burgers_cycle_velocity`), not against the solver it was trained on, and the scale-free
data set against `CycleModel` in SI units.  Speeds and the full accuracy figures are measured
in `benchmarks/emulator_speed.py`.
"""

import json
import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from quakejax.visco import (
    AntiplaneMesh,
    Burgers,
    CycleEmulator,
    CycleModel,
    Maxwell,
    cycle_surface_velocity,
    reference,
)
from quakejax.visco.emulator import (
    EmulatorDomain,
    OutsideDomainWarning,
    generate_layered_training_data,
    generate_training_data,
    layer_solver,
    load_training_data,
    sobol_parameters,
    train_emulator,
)

YEAR = 365.25 * 86400.0
SMALL = AntiplaneMesh(n_x=6, n_z=6, first=0.5, growth=1.8)
MU, D, V = 30e9, 15e3, 0.03 / YEAR


def si(groups, T_years=150.0):
    """SI model arguments for dimensionless groups (log tau_M, log tau_K, log ratio, H/D)."""
    T = T_years * YEAR
    return dict(
        H=groups[3] * D,
        D=D,
        T=T,
        V=V,
        layer_mu=MU,
        rheology=Burgers(
            mu_M=MU,
            eta_M=T * MU / (2 * 10 ** groups[0]),
            mu_K=MU * 10 ** groups[2],
            eta_K=T * MU / (2 * 10 ** groups[1]),
        ),
    )


@pytest.fixture(scope="module")
def emulator():
    return CycleEmulator.pretrained()


# ---- domain and sampling -------------------------------------------------------------------
def test_domain_round_trip_and_widening():
    domain = EmulatorDomain()
    assert EmulatorDomain.from_json(json.loads(json.dumps(domain.to_json()))) == domain
    wide = domain.widened(0.1)
    assert np.all(wide.bounds[:, 0] <= domain.bounds[:, 0])
    assert np.all(wide.bounds[:, 1] >= domain.bounds[:, 1])
    assert wide.H_over_D[0] >= 1.0  # never below the locking depth
    with pytest.raises(ValueError, match="log10_tau_M"):
        EmulatorDomain(log10_tau_M=(1.0, -1.0))
    with pytest.raises(ValueError, match="unknown"):
        EmulatorDomain.from_json({"bogus": 1})


def test_sobol_parameters_fill_the_box():
    domain = EmulatorDomain()
    p = sobol_parameters(256, domain, seed=3)
    assert p.shape == (256, 4)
    lo, hi = domain.bounds.T
    assert np.all((p >= lo) & (p <= hi))
    # Quasi-random: every half of every axis holds half the points, to within a few.
    mid = (lo + hi) / 2
    assert np.all(np.abs(np.sum(p < mid, axis=0) - 128) <= 4)
    np.testing.assert_array_equal(p, sobol_parameters(256, domain, seed=3))
    assert not np.allclose(p, sobol_parameters(256, domain, seed=4))


# ---- training data -----------------------------------------------------------------------------
def test_generated_data_is_the_si_model_and_resumes(tmp_path):
    kw = dict(n_params=3, n_x=3, n_t=4, chunk_size=2, seed=1, mesh=SMALL, progress=False)
    generate_training_data(tmp_path, **kw)
    data = load_training_data(tmp_path)
    assert data["v"].shape == (3, 4, 3)
    np.testing.assert_array_equal(data["index"], [0, 1, 2])
    # The scale-free solve equals CycleModel in SI units with the same groups.
    j = 2
    model = CycleModel(**si(data["params"][j]), mesh=SMALL)
    v_si = model.surface_velocity(data["x"][j][None, :] * D, data["t"][j][:, None] * model.T)
    # (to the solver tolerances, rtol 1e-7 and atol 1e-9 on states of different scales)
    np.testing.assert_allclose(data["v"][j], np.asarray(v_si) / V, atol=1e-5)
    # Resume: a missing chunk is solved again, identically; the others are left alone.
    first = (tmp_path / "chunk_00000.npz").stat().st_mtime_ns
    (tmp_path / "chunk_00001.npz").unlink()
    generate_training_data(tmp_path, **kw)
    assert (tmp_path / "chunk_00000.npz").stat().st_mtime_ns == first
    np.testing.assert_array_equal(load_training_data(tmp_path)["v"], data["v"])
    with pytest.raises(ValueError, match="other settings.*seed"):
        generate_training_data(tmp_path, **{**kw, "seed": 2})


def test_layer_solver_equals_one_solve_per_set():
    """Sharing the modal decomposition across rheologies (and vmapping them) changes nothing."""
    from quakejax.visco._emulator_data import solver_velocity

    rheologies = np.array([[1.4, 1.3, -0.66], [-1.2, 0.4, 0.9], [0.2, -1.4, 0.0]])
    x = np.array([[0.3, 2.0, 11.0]] * 3)
    t = np.array([[0.0, 0.003, 0.4, 0.97]] * 3)
    h = 1.3
    for batch in (1, None):
        v = np.asarray(layer_solver(SMALL, batch)(np.float64(h), rheologies, x, t))
        assert v.shape == (3, 4, 3)
        for j in range(3):
            ref = solver_velocity(np.r_[rheologies[j], h], x[j], t[j], SMALL)
            np.testing.assert_allclose(v[j], ref, rtol=1e-9, atol=1e-12)


def test_layered_data_spans_the_box_resumes_and_stops_at_a_deadline(tmp_path):
    import time

    kw = dict(n_layers=4, sets_per_layer=2, n_x=3, n_t=4, seed=1, mesh=SMALL, progress=False)
    # A deadline already past: the directory is set up, no layer is solved.
    generate_layered_training_data(tmp_path, deadline=time.monotonic() - 1, **kw)
    assert not list(tmp_path.glob("chunk_*.npz"))
    generate_layered_training_data(tmp_path, **kw)
    data = load_training_data(tmp_path)
    assert data["v"].shape == (8, 4, 3)
    np.testing.assert_array_equal(np.sort(data["index"]), np.arange(8))
    box = EmulatorDomain().widened(0.05)
    lo, hi = box.bounds.T
    assert np.all((data["params"] >= lo) & (data["params"] <= hi))
    # One H/D per layer, one in each quarter of the range; rheologies differ within a layer.
    h = data["params"][::2, 3]
    np.testing.assert_array_equal(data["params"][1::2, 3], h)
    quarter = np.floor((h - lo[3]) / (hi[3] - lo[3]) * 4)
    np.testing.assert_array_equal(np.sort(quarter), [0, 1, 2, 3])
    assert not np.allclose(data["params"][0, :3], data["params"][1, :3])
    # The values are the solver's, in scale-free units.
    from quakejax.visco._emulator_data import solver_velocity

    ref = solver_velocity(data["params"][5], data["x"][5], data["t"][5], SMALL)
    np.testing.assert_allclose(data["v"][5], ref, rtol=1e-9, atol=1e-12)
    first = (tmp_path / "chunk_00000.npz").stat().st_mtime_ns
    (tmp_path / "chunk_00002.npz").unlink()
    generate_layered_training_data(tmp_path, **kw)
    assert (tmp_path / "chunk_00000.npz").stat().st_mtime_ns == first
    again = load_training_data(tmp_path)
    np.testing.assert_array_equal(again["v"], data["v"])
    with pytest.raises(ValueError, match="other settings.*sets_per_layer"):
        generate_layered_training_data(tmp_path, **{**kw, "sets_per_layer": 3})
    with pytest.raises(ValueError, match="other settings.*design"):
        generate_training_data(tmp_path, n_params=8, n_x=3, n_t=4, seed=1, mesh=SMALL)
    with pytest.raises(ValueError, match="n_layers"):
        generate_layered_training_data(tmp_path / "new", **{**kw, "n_layers": 0})


def test_pack_and_unpack_round_trip(tmp_path):
    """The transfer format of experiments/train_cycle_emulator.py: v rounded to float32 only."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[1] / "experiments" / "train_cycle_emulator.py"
    spec = importlib.util.spec_from_file_location("train_cycle_emulator", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    src = tmp_path / "src"
    kw = dict(n_layers=3, sets_per_layer=2, n_x=3, n_t=4, seed=2, mesh=SMALL, progress=False)
    generate_layered_training_data(src, **kw)
    assert (
        script.main(["pack", "--data", str(src), "--out", str(tmp_path / "p"), "--max-mib", "1e-4"])
        == 0
    )
    assert len(list((tmp_path / "p").glob("pack_*.npz"))) == 3  # one chunk each at this size
    assert (
        script.main(["unpack", "--packs", str(tmp_path / "p"), "--data", str(tmp_path / "d")]) == 0
    )
    a, b = load_training_data(src), load_training_data(tmp_path / "d")
    for key in ("index", "params", "x", "t"):
        np.testing.assert_array_equal(a[key], b[key])
    np.testing.assert_array_equal(b["v"], a["v"].astype(np.float32).astype(np.float64))
    assert json.loads((tmp_path / "d" / "meta.json").read_text()) == json.loads(
        (src / "meta.json").read_text()
    )


def test_load_training_data_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no chunk"):
        load_training_data(tmp_path)
    (tmp_path / "chunk_00000.npz").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="chunk_00000.npz"):
        load_training_data(tmp_path)


def _synthetic_data(n_sets=12, n=6, seed=0):
    rng = np.random.default_rng(seed)
    domain = EmulatorDomain()
    params = sobol_parameters(n_sets, domain, seed)
    x = np.sort(rng.uniform(0.1, 20, (n_sets, n)), axis=1)
    t = np.sort(rng.uniform(0, 1, (n_sets, n)), axis=1)
    v = np.arctan(x[:, None, :]) / np.pi + 0.1 * np.exp(-t[:, :, None]) * params[:, 3, None, None]
    return dict(index=np.arange(n_sets), params=params, x=x, t=t, v=v), domain


def test_training_checkpoints_resume_and_early_stop(tmp_path):
    data, domain = _synthetic_data()
    ckpt = tmp_path / "ckpt.eqx"
    kw = dict(
        domain=domain,
        width=8,
        depth=2,
        batch_size=64,
        eval_every=10,
        warmup=5,
        checkpoint=ckpt,
        log=lambda *a: None,
    )
    emu, hist = train_emulator(data, steps=30, **kw)
    assert ckpt.exists() and len(hist["history"]) == 3
    assert hist["history"][-1]["val_rms"] < hist["history"][0]["val_rms"]
    logs = []
    again, hist2 = train_emulator(data, steps=30, **{**kw, "log": logs.append})
    assert any("resumed" in line for line in logs)
    assert len(hist2["history"]) == 3  # nothing left to do
    with pytest.raises(ValueError, match="other settings"):
        train_emulator(data, steps=40, **kw)
    # A learning rate of ~0 never improves on the first evaluation: early stop.
    _, hist3 = train_emulator(
        data,
        steps=1000,
        learning_rate=1e-12,
        patience=2,
        **{**kw, "checkpoint": None, "eval_every": 5},
    )
    assert json.loads(_.info)["steps_done"] < 1000 and len(hist3["history"]) <= 4
    # A deadline already past: stop at the first evaluation, and say so in the card.
    import time

    late, hist4 = train_emulator(
        data, steps=1000, deadline=time.monotonic(), **{**kw, "checkpoint": None}
    )
    card = json.loads(late.info)
    assert card["steps_done"] == 10 and card["stopped_by_deadline"]
    assert len(hist4["history"]) == 1


def test_sobolev_training_fits_the_gradients():
    """With gradient data, the loss includes the derivatives with respect to the rheology."""
    data, domain = _synthetic_data(n_sets=16, seed=3)
    p0 = data["params"][:, 0, None, None]
    decay = np.exp(-data["t"][:, :, None]) + 0 * data["x"][:, None, :]
    data["v"] = np.arctan(data["x"][:, None, :]) / np.pi + 0.1 * decay * np.sin(p0)
    data["g"] = np.zeros((16, 3) + data["v"].shape[1:])
    data["g"][:, 0] = 0.1 * decay * np.cos(p0)
    kw = dict(domain=domain, width=16, depth=2, batch_size=64, eval_every=100, warmup=5)
    sobolev = dict(gradient_data=data, gradient_batch_size=64, learning_rate=3e-3, steps=400)
    runs = {}
    for weight in (0.0, 10.0):  # weight 0: the same run, fitted to the values alone
        runs[weight] = train_emulator(
            data, gradient_weight=weight, log=lambda *a: None, **sobolev, **kw
        )
    h0, h10 = (runs[w][1]["history"] for w in (0.0, 10.0))
    assert "val_gradient_rms" in h10[0]
    assert h10[-1]["val_gradient_rms"] < 0.85 * h0[-1]["val_gradient_rms"]
    assert json.loads(runs[10.0][0].info)["settings"]["gradient_weight"] == 10.0
    with pytest.raises(ValueError, match="no gradients"):
        train_emulator(
            data, steps=10, gradient_data={k: v for k, v in data.items() if k != "g"}, **kw
        )


def test_layer_solver_gradients_match_finite_differences():
    rheologies = np.array([[0.2, 0.4, 0.1], [1.3, -1.0, -0.5]])
    x = np.array([[0.5, 2.0]] * 2)
    t = np.array([[0.01, 0.5, 0.9]] * 2)
    h = np.float64(1.5)
    v, g = layer_solver(SMALL, 1, gradients=True)(h, rheologies, x, t)
    plain = layer_solver(SMALL, 1)
    np.testing.assert_allclose(v, plain(h, rheologies, x, t), rtol=1e-12, atol=1e-14)
    step = 1e-5
    for i in range(3):
        e = np.zeros(3)
        e[i] = step
        fd = (plain(h, rheologies + e, x, t) - plain(h, rheologies - e, x, t)) / (2 * step)
        # (finite differences of a solve with rtol 1e-7: agreement to ~1e-6 of the scale)
        np.testing.assert_allclose(g[:, i], fd, atol=1e-5 * max(1.0, float(np.abs(fd).max())))


# ---- the pretrained emulator ---------------------------------------------------------------------
def test_pretrained_card_and_domain(emulator):
    card = json.loads(emulator.info)
    assert card["data"]["n_sets_used"] >= 100
    assert emulator.domain == EmulatorDomain()


def test_pretrained_matches_the_analytic_burgers_cycle(emulator):
    """Against the independent semi-analytic series, at quasi-random points inside the box."""
    from scipy.stats import qmc

    groups = sobol_parameters(8, EmulatorDomain(), seed=777)
    errors = []
    for j, g in enumerate(groups):
        kw = si(g, T_years=100 + 25 * j)
        u = qmc.Sobol(d=2, scramble=True, seed=j).random_base2(5)
        x = D * 10 ** (-1 + u[:, 0] * np.log10(200))
        t = u[:, 1] * kw["T"]
        v = cycle_surface_velocity(x, t, method="emulator", **kw)
        r = kw["rheology"]
        exact = reference.burgers_cycle_velocity(
            x,
            t,
            H=kw["H"],
            D=D,
            T=kw["T"],
            V=V,
            layer_mu=MU,
            mu_M=MU,
            eta_M=float(r.eta_M),
            mu_K=float(r.mu_K),
            eta_K=float(r.eta_K),
        )
        errors.append(np.abs(np.asarray(v) - exact) / V)
    errors = np.concatenate(errors)
    assert np.median(errors) < 3e-3, np.median(errors)
    assert errors.max() < 2e-2, errors.max()


def test_emulator_symmetries(emulator):
    kw = si(np.array([0.3, 0.8, 0.2, 2.0]))
    e = emulator.bind(**kw)
    x = np.array([3e3, 20e3, 100e3])
    t = 0.3 * kw["T"]
    v = np.asarray(e.surface_velocity(x, t))
    np.testing.assert_allclose(np.asarray(e.surface_velocity(-x, t)), -v, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(e.surface_velocity(x, t + 2 * kw["T"])), v, rtol=1e-9)
    assert float(e.with_on_outside("ignore").surface_velocity(0.0, t)) == 0.0
    # Scale-free: lengths x2 (x, D, H) and the same groups give the same velocity.
    e2 = emulator.bind(**{**kw, "D": 2 * D, "H": 2 * kw["H"]})
    np.testing.assert_allclose(np.asarray(e2.surface_velocity(2 * x, t)), v, rtol=1e-10)
    # Broadcasting as CycleModel: x (1, 3) with t (2, 1).
    assert e.surface_velocity(x[None, :], np.array([[1.0], [2.0]]) * YEAR).shape == (2, 3)
    # Far from the fault the velocity tends to +V/2.
    assert abs(float(e.surface_velocity(19.9 * D, t)) / V - 0.5) < 0.05


def test_emulator_jit_vmap_grad(emulator):
    g = np.array([0.3, 0.8, 0.2, 2.0])
    kw = si(g)
    x = np.array([5e3, 30e3])

    def v_of(log_eta_M, t):
        r = kw["rheology"]
        rh = Burgers(mu_M=r.mu_M, eta_M=10**log_eta_M, mu_K=r.mu_K, eta_K=r.eta_K)
        return cycle_surface_velocity(
            x, t, **{**kw, "rheology": rh}, method="emulator", emulator=emulator
        )

    le = jnp.log10(kw["rheology"].eta_M)
    ts = jnp.array([0.1, 0.5]) * kw["T"]
    batched = jax.jit(jax.vmap(v_of, in_axes=(None, 0)))(le, ts)
    for i in range(2):
        np.testing.assert_allclose(np.asarray(batched[i]), np.asarray(v_of(le, ts[i])), rtol=1e-12)
    grad = jax.jacfwd(v_of)(le, ts[0])
    h = 1e-5
    fd = (v_of(le + h, ts[0]) - v_of(le - h, ts[0])) / (2 * h)
    np.testing.assert_allclose(np.asarray(grad), np.asarray(fd), rtol=1e-6, atol=1e-8 * V)
    # vmap over a rheology field inside cycle_surface_velocity
    etas = jnp.array([1e19, 1e20, 1e21])
    f = jax.vmap(
        lambda e: cycle_surface_velocity(
            x,
            ts[0],
            **{**kw, "rheology": Burgers(mu_M=MU, eta_M=e, mu_K=MU, eta_K=1e20)},
            method="emulator",
            emulator=emulator,
        )
    )
    out = f(etas)
    assert out.shape == (3, 2) and np.all(np.isfinite(np.asarray(out)))


def test_emulator_float32(emulator):
    kw = si(np.array([0.0, 0.5, -0.3, 1.5]))
    x = np.geomspace(2e3, 250e3, 12)
    t = 0.2 * kw["T"]
    v64 = np.asarray(emulator.bind(**kw).surface_velocity(x, t))
    kw32 = {k: (np.float32(v) if k != "rheology" else v) for k, v in kw.items()}
    r = kw["rheology"]
    kw32["rheology"] = Burgers(
        *(np.float32(getattr(r, f)) for f in ("mu_M", "eta_M", "mu_K", "eta_K"))
    )
    v32 = emulator.bind(**kw32).surface_velocity(x.astype(np.float32), np.float32(t))
    assert v32.dtype == jnp.float32
    assert np.max(np.abs(np.asarray(v32) - v64)) / V < 1e-4


def test_outside_domain_warns_or_raises(emulator):
    kw = si(np.array([0.0, 0.0, 0.0, 2.0]))
    e = emulator.bind(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jax.block_until_ready(e.surface_velocity(np.array([5e3, 50e3]), 1.0 * YEAR))
    with pytest.warns(OutsideDomainWarning):
        jax.block_until_ready(e.surface_velocity(np.array([100.0]), 1.0 * YEAR))  # x/D < 0.1
    far = si(np.array([2.5, 0.0, 0.0, 2.0]))  # tau_M = 300, beyond the box
    with pytest.warns(OutsideDomainWarning):
        jax.block_until_ready(emulator.bind(**far).surface_velocity(5e3, YEAR))
    with pytest.raises(Exception, match="outside the training domain"):
        cycle_surface_velocity(
            np.array([100.0]), YEAR, **kw, method="emulator", on_outside="error"
        ).block_until_ready()
    assert bool(e.outside(np.array([100.0]))[0]) and not bool(e.outside(np.array([5e3]))[0])
    assert bool(e.outside(np.array([np.nan]))[0])  # NaN is never inside
    bad_layer = {**kw, "layer_mu": 2 * MU}
    assert bool(emulator.bind(**bad_layer).outside(np.array([5e3]))[0])


def test_bad_arguments(emulator, tmp_path):
    kw = si(np.array([0.0, 0.0, 0.0, 2.0]))
    with pytest.raises(TypeError, match="Burgers"):
        cycle_surface_velocity(
            1e3, 0.0, **{**kw, "rheology": Maxwell(mu=MU, eta=1e19)}, method="emulator"
        )
    with pytest.raises(ValueError, match="method"):
        cycle_surface_velocity(1e3, 0.0, **kw, method="magic")
    with pytest.raises(ValueError, match="bind"):
        emulator.surface_velocity(1e3, 0.0)
    with pytest.raises(ValueError, match="on_outside"):
        emulator.with_on_outside("maybe")
    with pytest.raises(ValueError, match="no pretrained emulator"):
        CycleEmulator.pretrained("nope")
    with pytest.raises(FileNotFoundError, match="x.json"):
        CycleEmulator.load(tmp_path / "x")
    (tmp_path / "y.json").write_text(json.dumps({"kind": "something else"}))
    (tmp_path / "y.eqx").write_bytes(b"")
    with pytest.raises(ValueError, match="y.json"):
        CycleEmulator.load(tmp_path / "y")
    e, _ = emulator.save(tmp_path / "copy")
    e.write_bytes(b"truncated")
    with pytest.raises(ValueError, match="copy.eqx"):
        CycleEmulator.load(tmp_path / "copy")


def test_solver_path_is_cycle_model_and_vmaps():
    kw = si(np.array([0.3, 0.8, 0.2, 2.0]))
    x, t = np.array([4e3, 40e3]), 0.25 * kw["T"]
    v = cycle_surface_velocity(x, t, **kw, mesh=SMALL)
    expected = CycleModel(**kw, mesh=SMALL).surface_velocity(x, t)
    np.testing.assert_array_equal(np.asarray(v), np.asarray(expected))
    r = kw["rheology"]
    etas = jnp.array([1.0, 3.0]) * r.eta_M
    batched = eqx.filter_jit(
        jax.vmap(
            lambda e: cycle_surface_velocity(
                x,
                t,
                **{**kw, "rheology": Burgers(mu_M=r.mu_M, eta_M=e, mu_K=r.mu_K, eta_K=r.eta_K)},
                mesh=SMALL,
            )
        )
    )(etas)
    np.testing.assert_allclose(
        np.asarray(batched[1]),
        np.asarray(
            CycleModel(
                **{
                    **kw,
                    "rheology": Burgers(mu_M=r.mu_M, eta_M=etas[1], mu_K=r.mu_K, eta_K=r.eta_K),
                },
                mesh=SMALL,
            ).surface_velocity(x, t)
        ),
        rtol=1e-8,
        atol=1e-8 * V,
    )


def test_forward_mode_cycle_model_gives_the_reverse_mode_gradient():
    """`CycleModel(forward_mode=True)`: jacfwd works and equals the default jacrev."""
    kw = si(np.array([0.3, 0.8, 0.2, 2.0]))
    r = kw["rheology"]
    x, t = jnp.array([4e3, 40e3]), jnp.array([0.01, 0.5]) * kw["T"]

    def velocity(log_etas, forward_mode):
        rheology = Burgers(
            mu_M=r.mu_M, eta_M=10 ** log_etas[0], mu_K=r.mu_K, eta_K=10 ** log_etas[1]
        )
        model = CycleModel(**{**kw, "rheology": rheology}, mesh=SMALL, forward_mode=forward_mode)
        return model.surface_velocity(x, t) / V

    log_etas = jnp.log10(jnp.array([r.eta_M, r.eta_K]))
    forward = jax.jacfwd(lambda p: velocity(p, True))(log_etas)
    reverse = jax.jacrev(lambda p: velocity(p, False))(log_etas)
    np.testing.assert_allclose(np.asarray(forward), np.asarray(reverse), rtol=1e-6, atol=1e-9)
    assert np.abs(np.asarray(reverse)).max() > 1e-3  # a test that can fail
    with pytest.raises(TypeError, match="custom_vjp"):
        jax.jacfwd(lambda p: velocity(p, False))(log_etas)


@pytest.mark.slow  # compiles the solver's eigendecomposition under vmap
def test_vmap_over_layer_thickness_both_paths(emulator):
    kw = si(np.array([0.3, 0.8, 0.2, 2.0]))
    x, t = np.array([4e3, 40e3]), 0.25 * kw["T"]
    Hs = jnp.array([1.5, 3.0]) * D
    for method, extra in (("emulator", {"emulator": emulator}), ("solver", {"mesh": SMALL})):
        f = jax.vmap(
            lambda H, m=method, e=extra: cycle_surface_velocity(
                x, t, **{**kw, "H": H}, method=m, **e
            )
        )
        out = f(Hs)
        single = cycle_surface_velocity(x, t, **{**kw, "H": Hs[1]}, method=method, **extra)
        np.testing.assert_allclose(np.asarray(out[1]), np.asarray(single), rtol=1e-8, atol=1e-9 * V)
