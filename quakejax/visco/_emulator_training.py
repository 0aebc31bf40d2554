"""Training the cycle emulator with optax: schedule, validation split, early stop, checkpoints."""

from __future__ import annotations

import json
import os
import pathlib
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from ._emulator import CycleEmulator, EmulatorNet, network_velocity
from ._emulator_data import EmulatorDomain


def flatten_data(data: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points of `load_training_data` output as `(inputs (n, 6), v (n,), set index (n,))`.

    `inputs` columns: `x/D`, `t/T`, then the four parameters.
    """
    params, x, t, v = data["params"], data["x"], data["t"], data["v"]
    n_sets, n_t, n_x = v.shape
    xs = np.broadcast_to(x[:, None, :], v.shape)
    ts = np.broadcast_to(t[:, :, None], v.shape)
    ps = np.broadcast_to(params[:, None, None, :], v.shape + (params.shape[1],))
    inputs = np.concatenate([xs[..., None], ts[..., None], ps], axis=-1).reshape(-1, 6)
    sets = np.broadcast_to(data["index"][:, None, None], v.shape).reshape(-1)
    return inputs, v.reshape(-1), sets


def _predict(net, domain, inputs):
    return jax.vmap(network_velocity, in_axes=(None, None, 0, 0, 0))(
        net, domain, inputs[:, 0], inputs[:, 1], inputs[:, 2:]
    )


def _save_checkpoint(path: pathlib.Path, state: dict, meta: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    eqx.tree_serialise_leaves(tmp, state)
    os.replace(tmp, path)
    path.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")


def train_emulator(
    data: dict[str, np.ndarray],
    *,
    domain: EmulatorDomain,
    width: int = 128,
    depth: int = 5,
    steps: int = 20_000,
    batch_size: int = 4096,
    learning_rate: float = 2e-3,
    warmup: int = 500,
    validation_fraction: float = 0.1,
    eval_every: int = 500,
    patience: int = 8,
    seed: int = 0,
    checkpoint: str | os.PathLike | None = None,
    refit_last_layer: bool = True,
    init: EmulatorNet | None = None,
    deadline: float | None = None,
    gradient_data: dict[str, np.ndarray] | None = None,
    gradient_weight: float = 1e-2,
    gradient_batch_size: int = 1024,
    log=print,
) -> tuple[CycleEmulator, dict]:
    """Fit an `EmulatorNet` to `v/V` by Adam on the mean squared error, in float32.

    - Validation: a fraction `validation_fraction` of the parameter *sets* (whole solves) is held
      out, so the score measures generalisation to new rheologies and geometries.
    - Schedule: linear warm-up over `warmup` steps to `learning_rate`, then cosine decay to
      1e-3 of it at `steps`.
    - Early stopping: evaluated every `eval_every` steps; training stops after `patience`
      evaluations without a better validation error, and the best network is returned.
    - Checkpoints: with `checkpoint` (a file path), the state (network, best network, optimiser
      state, step, history) is written there at every evaluation, and a rerun with the same
      data and settings resumes from it.

    - Refit: with `refit_last_layer`, the output layer of the best network is then solved for
      by linear least squares on all training points (float64 normal equations), and kept if
      the validation error drops: Adam leaves the last layer short of its optimum.

    - `init`: a network to start from (a second, lower-rate phase of training).
    - `deadline`: a `time.monotonic()` value after which training stops at the next
      evaluation, as if early-stopped (the best network so far is returned).
    - `gradient_data`: data with gradients (`generate_layered_training_data(gradients=True)`)
      for Sobolev training: each step adds `gradient_weight` times the mean squared error of
      the network's derivatives with respect to the three rheology parameters, on
      `gradient_batch_size` points of this data.  Its sets are split for validation like the
      values', and the validation score becomes `sqrt(rms_v^2 + gradient_weight rms_g^2)`.

    **Returns:** the `CycleEmulator` (unbound; `info` holds the training card) and the history.
    """
    inputs, target, sets = flatten_data(data)
    inputs, target = inputs.astype(np.float32), target.astype(np.float32)
    rng = np.random.default_rng(seed)
    unique = np.unique(sets)
    n_val = max(1, int(round(validation_fraction * len(unique))))
    val_sets = rng.choice(unique, n_val, replace=False)
    is_val = np.isin(sets, val_sets)
    x_train, y_train = jnp.asarray(inputs[~is_val]), jnp.asarray(target[~is_val])
    x_val, y_val = jnp.asarray(inputs[is_val]), jnp.asarray(target[is_val])
    log(
        f"training points {len(y_train)} ({len(unique) - n_val} sets), "
        f"validation points {len(y_val)} ({n_val} sets)"
    )

    use_g = gradient_data is not None
    if use_g:
        assert gradient_data is not None
        if "g" not in gradient_data:
            raise ValueError("gradient_data: no gradients (g); make it with gradients=True")
        g_inputs, _, g_sets = flatten_data(gradient_data)
        g_target = np.moveaxis(gradient_data["g"], 1, -1).reshape(-1, 3)
        g_unique = np.unique(g_sets)
        g_val_sets = rng.choice(
            g_unique, max(1, int(round(validation_fraction * len(g_unique)))), replace=False
        )
        g_is_val = np.isin(g_sets, g_val_sets)
        as32 = lambda a: jnp.asarray(a.astype(np.float32))  # noqa: E731
        xg_train, g_train = as32(g_inputs[~g_is_val]), as32(g_target[~g_is_val])
        xg_val, g_val = as32(g_inputs[g_is_val]), as32(g_target[g_is_val])
        log(f"gradient points {len(g_train)} for training, {len(g_val)} for validation")
    else:
        xg_train = g_train = xg_val = g_val = jnp.zeros((1, 6), jnp.float32)

    schedule = optax.warmup_cosine_decay_schedule(
        0.0, learning_rate, warmup, steps, end_value=learning_rate * 1e-3
    )
    optimiser = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(schedule))
    net = EmulatorNet(jax.random.PRNGKey(seed), width=width, depth=depth, dtype=jnp.float32)
    if init is not None:
        shapes = lambda n: [a.shape for a in jax.tree.leaves(n)]
        if jax.tree.structure(init) != jax.tree.structure(net) or shapes(init) != shapes(net):
            raise ValueError(
                f"init: a network of another architecture than width={width}, depth={depth}"
            )
        net = jax.tree_util.tree_map(
            lambda a: a.astype(jnp.float32) if eqx.is_array(a) else a, init
        )
    state = {
        "net": net,
        "best": net,
        "opt": optimiser.init(eqx.filter(net, eqx.is_array)),
        "step": jnp.asarray(0),
        "best_val": jnp.asarray(np.inf, jnp.float32),
        "stale": jnp.asarray(0),
    }
    settings = dict(
        width=width,
        depth=depth,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        warmup=warmup,
        validation_fraction=validation_fraction,
        eval_every=eval_every,
        patience=patience,
        seed=seed,
        n_sets=int(len(unique)),
    )
    if use_g:
        settings.update(
            gradient_weight=gradient_weight,
            gradient_batch_size=gradient_batch_size,
            n_gradient_sets=int(len(g_unique)),
        )
    history: list[dict] = []
    if checkpoint is not None:
        checkpoint = pathlib.Path(checkpoint)
        if checkpoint.exists():
            meta = json.loads(checkpoint.with_suffix(".json").read_text())
            if meta["settings"] != settings:
                raise ValueError(
                    f"{checkpoint}: a checkpoint of other settings; delete it or use another path"
                )
            state = eqx.tree_deserialise_leaves(checkpoint, state)
            history = meta["history"]
            log(f"resumed from {checkpoint} at step {int(state['step'])}")

    def loss_fn(net, xb, yb, xg, gb):
        loss = jnp.mean((_predict(net, domain, xb) - yb) ** 2)
        if use_g:
            loss = loss + gradient_weight * jnp.mean(
                jnp.sum((_parameter_gradient(net, domain, xg) - gb) ** 2, axis=-1)
            )
        return loss

    @eqx.filter_jit
    def train_step(net, opt, key):
        idx = jax.random.randint(key, (batch_size,), 0, y_train.shape[0])
        jdx = jax.random.randint(
            jax.random.fold_in(key, 1), (gradient_batch_size if use_g else 1,), 0, g_train.shape[0]
        )
        loss, grads = eqx.filter_value_and_grad(loss_fn)(
            net, x_train[idx], y_train[idx], xg_train[jdx], g_train[jdx]
        )
        updates, opt = optimiser.update(grads, opt, eqx.filter(net, eqx.is_array))
        return eqx.apply_updates(net, updates), opt, loss

    @eqx.filter_jit
    def errors(net, xs, ys):
        err = jnp.abs(_predict(net, domain, xs) - ys)
        return jnp.sqrt(jnp.mean(err**2)), jnp.max(err)

    @eqx.filter_jit
    def gradient_errors(net, xs, gs):
        err = jnp.linalg.norm(_parameter_gradient(net, domain, xs) - gs, axis=-1)
        return jnp.sqrt(jnp.mean(err**2)), jnp.max(err)

    def evaluate(net, xs, ys, chunk=65536, fn=errors):
        parts = [fn(net, xs[i : i + chunk], ys[i : i + chunk]) for i in range(0, len(ys), chunk)]
        sizes = np.array([min(chunk, len(ys) - i) for i in range(0, len(ys), chunk)])
        rms = float(np.sqrt(np.sum(sizes * np.array([p[0] for p in parts]) ** 2) / sizes.sum()))
        return rms, float(max(p[1] for p in parts))

    key = jax.random.PRNGKey(seed + 1)
    net, opt = state["net"], state["opt"]
    step = int(state["step"])
    best, best_val, stale = state["best"], float(state["best_val"]), int(state["stale"])
    start = time.perf_counter()
    losses = []
    timed_out = False
    while step < steps and stale < patience and not timed_out:
        net, opt, loss = train_step(net, opt, jax.random.fold_in(key, step))
        losses.append(loss)
        step += 1
        if step % eval_every == 0 or step == steps:
            val_rms, val_max = evaluate(net, x_val, y_val)
            score, extra = val_rms, {}
            if use_g:
                g_rms, g_max = evaluate(net, xg_val, g_val, 8192, gradient_errors)
                score = float(np.sqrt(val_rms**2 + gradient_weight * g_rms**2))
                extra = dict(val_gradient_rms=g_rms, val_gradient_max=g_max, val_score=score)
            train_loss = float(np.mean(np.asarray(losses)))
            losses = []
            if score < best_val:
                best, best_val, stale = net, score, 0
            else:
                stale += 1
            history.append(
                dict(
                    step=step,
                    train_rms=float(np.sqrt(train_loss)),
                    val_rms=val_rms,
                    val_max=val_max,
                    lr=float(schedule(step)),
                    seconds=time.perf_counter() - start,
                    **extra,
                )
            )
            log(
                f"step {step:6d}  train rms {np.sqrt(train_loss):.2e}  val rms {val_rms:.2e}  "
                f"val max {val_max:.2e}  lr {float(schedule(step)):.1e}"
                + (
                    f"  val grad rms {extra['val_gradient_rms']:.2e} "
                    f"max {extra['val_gradient_max']:.2e}"
                    if use_g
                    else ""
                )
            )
            timed_out = deadline is not None and time.monotonic() > deadline
            if checkpoint is not None:
                state = {
                    "net": net,
                    "best": best,
                    "opt": opt,
                    "step": jnp.asarray(step),
                    "best_val": jnp.asarray(best_val, jnp.float32),
                    "stale": jnp.asarray(stale),
                }
                _save_checkpoint(checkpoint, state, {"settings": settings, "history": history})
    if stale >= patience:
        log(f"early stop at step {step}: no better validation error in {patience} evaluations")
    if timed_out:
        log(f"stopped at step {step}: past the deadline")
    refit = None
    if refit_last_layer and not use_g:  # the refit fits values only
        candidate = _refit_last_layer(best, domain, x_train, y_train)
        before, after = evaluate(best, x_val, y_val), evaluate(candidate, x_val, y_val)
        log(
            f"least-squares refit of the output layer: validation rms {before[0]:.2e} -> "
            f"{after[0]:.2e}, max {before[1]:.2e} -> {after[1]:.2e}"
        )
        refit = dict(
            val_rms_before=before[0],
            val_rms_after=after[0],
            val_max_before=before[1],
            val_max_after=after[1],
            kept=after[0] < before[0],
        )
        if after[0] < before[0]:
            best, best_val = candidate, after[0]
    card = {
        "trained_on": "diffrax CycleModel (default AntiplaneMesh) solves, Sobol parameter sets",
        "settings": settings,
        # With gradients, the score is sqrt(rms_v^2 + gradient_weight rms_g^2) (see above).
        ("best_val_score" if use_g else "best_val_rms"): best_val,
        "validation_sets": int(n_val),
        "steps_done": step,
        "stopped_by_deadline": timed_out,
        "least_squares_refit": refit,
    }
    return CycleEmulator(best, domain, json.dumps(card)), {"history": history}


def _parameter_gradient(net, domain, inputs):
    """d(v/V)/d(first three parameters) of the network at `inputs (n, 6)`: shape (n, 3), in
    units of V per unit of log10 of `tau_M`, `tau_K` and `mu_K/mu_M` (the order of
    `PARAMETERS`), the units of the `g` of `generate_layered_training_data`."""

    def one(row):
        f = lambda p: network_velocity(net, domain, row[0], row[1], p)  # noqa: E731
        return jax.grad(f)(row[2:])[:3]

    return jax.vmap(one)(inputs)


def _refit_last_layer(net: EmulatorNet, domain, xs, ys, chunk: int = 65536, ridge: float = 1e-10):
    """`net` with its output layer the least-squares fit to `ys` given the hidden features."""
    last = net.layers[-1]

    @jax.jit
    def hidden(xb):
        def one(x):
            from ._emulator import features

            z = features(x[0], x[1], x[2:], domain).astype(last.weight.dtype)
            for layer in net.layers[:-1]:
                z = jax.nn.silu(layer(z))
            return z, jnp.arctan(x[0]) / jnp.pi

        return jax.vmap(one)(xb)

    width = last.in_features
    gram = np.zeros((width + 1, width + 1))
    rhs = np.zeros(width + 1)
    for i in range(0, ys.shape[0], chunk):
        h, base = (np.asarray(a, np.float64) for a in hidden(xs[i : i + chunk]))
        h = np.concatenate([h, np.ones((h.shape[0], 1))], axis=1)
        r = np.asarray(ys[i : i + chunk], np.float64) - base
        gram += h.T @ h
        rhs += h.T @ r
    scale = np.trace(gram) / (width + 1)
    solution = np.linalg.solve(gram + ridge * scale * np.eye(width + 1), rhs)
    weight = jnp.asarray(solution[None, :width], last.weight.dtype)
    bias = jnp.asarray(solution[width:], last.bias.dtype)  # type: ignore[union-attr]
    return eqx.tree_at(lambda n: (n.layers[-1].weight, n.layers[-1].bias), net, (weight, bias))
