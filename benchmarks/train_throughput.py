"""Training throughput of the aftershock networks (rows per second), on any JAX backend.

    python benchmarks/train_throughput.py [--rows 2000000] [--steps 300] [--batch 3500]

Synthetic inputs of the real dataset's size and class balance (0.7% positives), so no data
is needed.  Times `quakejax.aftershocks.train` (class-balanced batches, Adam, dropout 0.5)
for the 12-input DeVries network and the 7-input context network, after one warm-up run
that compiles the step.  Prints one JSON line per model.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=3500)
    args = ap.parse_args(argv)
    import jax

    from quakejax.aftershocks import TrainConfig, train

    rng = np.random.default_rng(0)
    y = (rng.random(args.rows) < 0.007).astype(np.int8)
    for name, n_features in (("devries", 12), ("invariant_context", 7)):
        x = rng.normal(size=(args.rows, n_features)).astype(np.float32)
        cfg = TrainConfig(steps=args.steps, batch_size=args.batch, n_features=n_features)
        train(
            x, y, TrainConfig(steps=2, batch_size=args.batch, n_features=n_features), progress=False
        )  # compile
        t0 = time.perf_counter()
        _, losses = train(x, y, cfg, progress=False)
        float(losses[-1])  # wait for the device
        wall = time.perf_counter() - t0
        print(
            json.dumps(
                {
                    "model": name,
                    "rows_per_s": round(args.steps * args.batch / wall),
                    "steps_per_s": round(args.steps / wall, 1),
                    "wall_s": round(wall, 2),
                    "batch": args.batch,
                    "backend": jax.default_backend(),
                    "device": str(jax.devices()[0]),
                    "machine": platform.processor() or platform.machine(),
                }
            )
        )


if __name__ == "__main__":
    main()
