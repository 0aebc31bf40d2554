"""Make the training data of the cycle emulator and train it (the shipped weights come from here).

Two steps, each resumable:

1. `data`: solve the diffrax `CycleModel` (Burgers half-space, default `AntiplaneMesh`, float64)
   at `--n-params` scrambled-Sobol parameter sets of the `EmulatorDomain` box (grown by 5%), each
   on a grid of 48 distances x 48 times, and write them in chunks to `--data`.  Rerun the same
   command after an interruption and it goes on from the last chunk written.  `--shard i/n`
   splits the chunks between `n` processes.
2. `train`: fit the network (optax Adam, warm-up + cosine schedule, validation on held-out
   parameter sets, early stopping, checkpoints in `--data/checkpoint.eqx`), then write the
   weights to `--out` (default: the package's `quakejax/visco/weights/burgers_cycle`).

    .venv/bin/python experiments/train_cycle_emulator.py data --data DIR --n-params 1024
    .venv/bin/python experiments/train_cycle_emulator.py train --data DIR

`data --layers N --sets-per-layer M` groups the sets by layer thickness
(`generate_layered_training_data`): the modal decomposition is computed once per layer, and with
`--batch all` the M rheologies of a layer are solved together (for a GPU). `--time-limit` stops a
data or training run in time (a data run before a new layer; a training run at the next
evaluation, keeping the best network), and `train --fit-steps-to-time` sizes the cosine schedule
to the time left. `pack` and `unpack` move a data set between machines in files of limited size.
`experiments/gpu_cycle_emulator.sh` is the GPU run that made the shipped weights.

Times on this project's 2-core CPU: about 3 s per parameter set with `data`, 0.85 s with
`data --layers`, and about 0.03 s per training step of 4096 points. On an H200: 0.011 s per set
(`--batch all`, 32 sets per layer) and 2.2 ms per training step of 8192 points.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data", help="solve the cycle model at Sobol parameter sets")
    d.add_argument("--data", required=True, type=pathlib.Path, help="output directory")
    d.add_argument("--n-params", type=int, default=1024)
    d.add_argument("--chunk-size", type=int, default=8)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--shard", default="0/1", help="i/n: do every n-th chunk from the i-th")
    d.add_argument(
        "--layers",
        type=int,
        default=None,
        help="group the sets in this many H/D layers (generate_layered_training_data): "
        "the modal decomposition is shared within a layer",
    )
    d.add_argument("--sets-per-layer", type=int, default=32)
    d.add_argument(
        "--batch",
        default="1",
        help="with --layers: rheologies solved at once ('all' on a GPU, 1 on a CPU)",
    )
    d.add_argument(
        "--time-limit", type=float, default=None, help="seconds; stop before a new layer after it"
    )
    d.add_argument(
        "--gradients",
        action="store_true",
        help="with --layers: also store d(v/V)/d(rheology) (forward mode; ~4x the cost)",
    )
    pk = sub.add_parser(
        "pack",
        help="pack the chunks of --data into a few files of at most --max-mib (v in float32)",
    )
    pk.add_argument("--data", required=True, type=pathlib.Path)
    pk.add_argument("--out", required=True, type=pathlib.Path)
    pk.add_argument("--max-mib", type=float, default=15.0)
    un = sub.add_parser("unpack", help="turn the files of `pack` back into chunks in --data")
    un.add_argument("--packs", required=True, type=pathlib.Path)
    un.add_argument("--data", required=True, type=pathlib.Path)
    t = sub.add_parser("train", help="train the emulator on the data written by `data`")
    t.add_argument("--data", required=True, type=pathlib.Path)
    t.add_argument(
        "--out", type=pathlib.Path, default=ROOT / "quakejax/visco/weights/burgers_cycle"
    )
    t.add_argument("--steps", type=int, default=30_000)
    t.add_argument("--width", type=int, default=128)
    t.add_argument("--depth", type=int, default=5)
    t.add_argument("--batch-size", type=int, default=4096)
    t.add_argument("--learning-rate", type=float, default=2e-3)
    t.add_argument("--patience", type=int, default=10)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--warmup", type=int, default=500)
    t.add_argument("--eval-every", type=int, default=500)
    t.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds; stop at the first evaluation after it (the best network is kept)",
    )
    t.add_argument(
        "--gradient-data",
        type=pathlib.Path,
        default=None,
        help="a data directory made with --gradients: train on its gradients too (Sobolev)",
    )
    t.add_argument("--gradient-weight", type=float, default=1e-2)
    t.add_argument("--gradient-batch-size", type=int, default=1024)
    t.add_argument(
        "--fit-steps-to-time",
        action="store_true",
        help="with --time-limit: time 300 steps first and set --steps to what fits",
    )
    t.add_argument(
        "--init",
        type=pathlib.Path,
        default=None,
        help="start from these weights (a saved emulator): a second, lower-rate phase",
    )
    args = parser.parse_args(argv)

    import time

    start = time.monotonic()
    if args.command == "pack":
        return pack(args.data, args.out, args.max_mib)
    if args.command == "unpack":
        return unpack(args.packs, args.data)

    import jax

    jax.config.update("jax_enable_x64", True)
    from quakejax.visco.emulator import (
        CycleEmulator,
        EmulatorDomain,
        generate_layered_training_data,
        generate_training_data,
        load_training_data,
        train_emulator,
    )

    if args.command == "data" and args.layers is not None:
        i, n = (int(s) for s in args.shard.split("/"))
        generate_layered_training_data(
            args.data,
            n_layers=args.layers,
            sets_per_layer=args.sets_per_layer,
            seed=args.seed,
            shard=(i, n),
            batch=None if args.batch == "all" else int(args.batch),
            deadline=None if args.time_limit is None else start + args.time_limit,
            gradients=args.gradients,
        )
        return 0
    if args.command == "data":
        i, n = (int(s) for s in args.shard.split("/"))
        generate_training_data(
            args.data,
            n_params=args.n_params,
            chunk_size=args.chunk_size,
            seed=args.seed,
            shard=(i, n),
        )
        return 0

    meta = json.loads((args.data / "meta.json").read_text())
    domain = EmulatorDomain.from_json(meta["domain"])
    data = load_training_data(args.data)
    print(f"{len(data['params'])} parameter sets of {meta['n_params']} in {args.data}")
    init = None if args.init is None else CycleEmulator.load(args.init).net
    tag = "" if args.init is None else f"_from_{args.init.stem}_lr{args.learning_rate:g}"
    gradient_data = None
    if args.gradient_data is not None:
        gradient_data = load_training_data(args.gradient_data)
        print(f"{len(gradient_data['params'])} parameter sets with gradients")
        tag += f"_sobolev{args.gradient_weight:g}"
    sobolev = dict(
        gradient_data=gradient_data,
        gradient_weight=args.gradient_weight,
        gradient_batch_size=args.gradient_batch_size,
    )
    deadline = None if args.time_limit is None else start + args.time_limit
    steps = args.steps
    if args.fit_steps_to_time and deadline is not None:
        probe_steps = 300
        _, probe = train_emulator(
            data,
            domain=domain,
            width=args.width,
            depth=args.depth,
            steps=probe_steps,
            warmup=100,
            batch_size=args.batch_size,
            eval_every=100,
            refit_last_layer=False,
            init=init,
            log=lambda *a: None,
            **sobolev,
        )
        # Steps 100-300 of the probe: without the compilation.
        per_step = (probe["history"][-1]["seconds"] - probe["history"][0]["seconds"]) / 200
        steps = max(1000, int(0.85 * (deadline - time.monotonic()) / per_step))
        steps = min(steps, args.steps) if args.steps > 0 else steps
        print(f"probe: {per_step * 1e3:.2f} ms per step; training for {steps} steps")
    emulator, history = train_emulator(
        data,
        domain=domain,
        width=args.width,
        depth=args.depth,
        steps=steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        seed=args.seed,
        warmup=args.warmup,
        eval_every=args.eval_every,
        init=init,
        deadline=deadline,
        **sobolev,
        checkpoint=args.data / f"checkpoint_w{args.width}_d{args.depth}_s{args.seed}{tag}.eqx",
    )
    card = json.loads(emulator.info)
    keys = ("n_params", "n_x", "n_t", "seed", "margin", "early_fraction")
    keys += ("design", "n_layers", "sets_per_layer") if meta.get("design") == "layers" else ()
    card["data"] = {k: meta[k] for k in keys}
    if gradient_data is not None:
        gmeta = json.loads((args.gradient_data / "meta.json").read_text())
        card["gradient_data"] = {k: gmeta[k] for k in keys if k in gmeta}
        card["gradient_data"]["n_sets_used"] = int(len(gradient_data["params"]))
    if (args.data / "packed.json").exists():
        card["data"]["transfer"] = json.loads((args.data / "packed.json").read_text())
    card["data"]["n_sets_used"] = int(len(data["params"]))
    card["history"] = history["history"]
    if args.init is not None:
        previous = json.loads(CycleEmulator.load(args.init).info)
        card["previous_phases"] = previous.get("previous_phases", []) + [
            {k: v for k, v in previous.items() if k != "previous_phases"}
        ]
    emulator = type(emulator)(emulator.net, domain, json.dumps(card))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for path in emulator.save(args.out):
        print(f"wrote {path}")
    return 0


def pack(data: pathlib.Path, out: pathlib.Path, max_mib: float) -> int:
    """Concatenate the chunks into `out/pack_##.npz` files of at most `max_mib` each.

    For moving a data set between machines with a limit on file sizes: `v` is stored in
    float32 (a relative rounding of 6e-8, far below the emulator's errors; the training casts
    to float32 anyway), everything else as it is. `meta.json` is copied along.
    """
    import numpy as np

    out.mkdir(parents=True, exist_ok=True)
    files = sorted(data.glob("chunk_*.npz"))
    if not files:
        print(f"{data}: no chunks to pack", file=sys.stderr)
        return 1
    packs, current, size = [], [], 0.0
    for f in files:
        with np.load(f) as z:
            chunk = {k: z[k] for k in z.files}
        chunk["v"] = chunk["v"].astype(np.float32)
        mib = sum(a.nbytes for a in chunk.values()) / 2**20
        if current and size + mib > max_mib:
            packs.append(current)
            current, size = [], 0.0
        current.append(chunk)
        size += mib
    packs.append(current)
    for i, group in enumerate(packs):
        np.savez(
            out / f"pack_{i:02d}.npz",
            **{k: np.concatenate([c[k] for c in group]) for k in group[0]},
            chunk_sizes=np.array([len(c["index"]) for c in group]),
        )
    (out / "meta.json").write_text((data / "meta.json").read_text())
    print(f"packed {len(files)} chunks into {len(packs)} files in {out}")
    return 0


def unpack(packs: pathlib.Path, data: pathlib.Path) -> int:
    """Write the chunks of `pack` files back into `data` (v as float64 of the float32 values)."""
    import numpy as np

    data.mkdir(parents=True, exist_ok=True)
    meta = json.loads((packs / "meta.json").read_text())
    n = 0
    for f in sorted(packs.glob("pack_*.npz")):
        with np.load(f) as z:
            arrays = {k: z[k] for k in z.files if k != "chunk_sizes"}
            sizes = z["chunk_sizes"]
        start = 0
        for size in sizes:
            part = {k: a[start : start + size] for k, a in arrays.items()}
            part["v"] = part["v"].astype(np.float64)
            k = int(part["index"][0]) // meta["chunk_size"]
            np.savez(data / f"chunk_{k:05d}.npz", **part)
            start += size
            n += 1
    (data / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    (data / "packed.json").write_text(
        json.dumps({"v_precision": "float32 (packed for transfer)"}) + "\n"
    )
    print(f"unpacked {n} chunks into {data}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
