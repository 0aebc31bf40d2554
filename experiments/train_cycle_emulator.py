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

Times on this project's 2-core CPU: about 5 s per parameter set for the data, and about
0.03 s per training step of 4096 points.
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
        "--init",
        type=pathlib.Path,
        default=None,
        help="start from these weights (a saved emulator): a second, lower-rate phase",
    )
    args = parser.parse_args(argv)

    import jax

    jax.config.update("jax_enable_x64", True)
    from quakejax.visco.emulator import (
        CycleEmulator,
        EmulatorDomain,
        generate_training_data,
        load_training_data,
        train_emulator,
    )

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
    emulator, history = train_emulator(
        data,
        domain=domain,
        width=args.width,
        depth=args.depth,
        steps=args.steps,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        patience=args.patience,
        seed=args.seed,
        warmup=args.warmup,
        eval_every=args.eval_every,
        init=init,
        checkpoint=args.data / f"checkpoint_w{args.width}_d{args.depth}_s{args.seed}{tag}.eqx",
    )
    card = json.loads(emulator.info)
    card["data"] = {
        k: meta[k] for k in ("n_params", "n_x", "n_t", "seed", "margin", "early_fraction")
    }
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


if __name__ == "__main__":
    sys.exit(main())
