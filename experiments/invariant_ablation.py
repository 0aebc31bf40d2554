"""Does anything beyond von Mises stress help on held-out earthquakes?  An ablation.

    python experiments/invariant_ablation.py --dataset DIR [--splits 10] [--out DIR]

The same event-grouped splits as `experiments/aftershocks_auc.py` (30% of earthquakes held
out, seeds 1000 + split).  For each subset of frame-independent terms - log10 von Mises q,
the pressure ratio p / sqrt(J2), cos(3 theta) of the Lode angle, log10 |p|, and log10 of
the distance to the rupture - a histogram gradient-boosted classifier (flexible, so a term
that carries signal will be used; constrained to be non-decreasing in q and non-increasing
in distance) is trained on the training earthquakes and scored on the held-out ones:
pooled ROC AUC, and the mean of the per-event AUCs (which no cross-event calibration can
improve).  Writes `ablation.json` and
`ablation.md` to `--out` and prints the table.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import time

import _scripts  # experiments/_scripts.py, beside this script
import numpy as np
import pandas as pd

SUBSETS = {
    "q": ["log_q"],
    "q + pressure ratio": ["log_q", "eta"],
    "q + Lode": ["log_q", "cos3theta"],
    "q + |p|": ["log_q", "log_abs_p"],
    "q + pressure ratio + Lode + |p|": ["log_q", "eta", "cos3theta", "log_abs_p"],
    "distance": ["log_distance"],
    "q + distance": ["log_q", "log_distance"],
    "all invariants + distance": ["log_q", "eta", "cos3theta", "log_abs_p", "log_distance"],
}
ROWS = 150_000
# More stress change: not less likely; farther away: not more likely.  With these
# constraints a model of q alone ranks cells exactly as von Mises does, so every gain
# below is a gain over von Mises itself, not over a badly fitted function of it.
MONOTONE = {"log_q": 1, "log_distance": -1}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--out", default="auc_results")
    args = ap.parse_args(argv)
    from sklearn.ensemble import HistGradientBoostingClassifier

    auc_mod = _scripts.load("aftershocks_auc")
    t0 = time.perf_counter()
    d = auc_mod.Data(pathlib.Path(args.dataset))
    cols = {
        "log_q": d.inv[:, 0],
        "eta": d.inv[:, 1],
        "cos3theta": d.inv[:, 2],
        "log_abs_p": d.inv[:, 3],
        "log_distance": d.ctx[:, 0],
    }
    uniq = np.unique(d.quakes)
    rows = {k: {"pooled": [], "per_event": []} for k in SUBSETS}
    for s in range(args.splits):
        rng = np.random.default_rng(1000 + s)
        held = set(rng.choice(uniq, size=max(1, int(round(0.3 * len(uniq)))), replace=False))
        test = np.flatnonzero([q in held for q in d.quakes])
        te = np.isin(d.mid, test)
        tr = np.flatnonzero(~te)
        sub = np.random.default_rng(s).choice(tr, size=min(ROWS, len(tr)), replace=False)
        for name, terms in SUBSETS.items():
            x = np.stack([cols[t] for t in terms], axis=1)
            gb = HistGradientBoostingClassifier(
                max_iter=100,
                class_weight="balanced",
                random_state=s,
                monotonic_cst=[MONOTONE.get(t, 0) for t in terms],
            )
            gb.fit(x[sub], d.y[sub])
            score = gb.predict_proba(x[te])[:, 1]
            pooled, per_event = auc_mod.summarise({"m": score}, d.y[te], d.mid[te])
            rows[name]["pooled"].append(pooled["m"])
            rows[name]["per_event"].append(float(np.mean([e["m"] for e in per_event.values()])))
        print(
            f"split {s}: "
            + ", ".join(f"{k} {v['pooled'][-1]:.3f}" for k, v in rows.items())
            + f" ({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
    table = pd.DataFrame(
        [
            {
                "terms": k,
                "pooled_mean": np.mean(v["pooled"]),
                "pooled_std": np.std(v["pooled"], ddof=1) if args.splits > 1 else 0.0,
                "per_event_mean": np.mean(v["per_event"]),
                "per_event_std": np.std(v["per_event"], ddof=1) if args.splits > 1 else 0.0,
                # Paired against q alone, split by split (same held-out cells).
                "pooled_gain_over_q": np.mean(np.subtract(v["pooled"], rows["q"]["pooled"])),
                "pooled_gain_std": np.std(np.subtract(v["pooled"], rows["q"]["pooled"]), ddof=1)
                if args.splits > 1
                else 0.0,
                "per_event_gain_over_q": np.mean(
                    np.subtract(v["per_event"], rows["q"]["per_event"])
                ),
            }
            for k, v in rows.items()
        ]
    )
    md = table.to_markdown(index=False, floatfmt=".3f")
    print(md)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ablation.md").write_text(md + "\n")
    (out / "ablation.json").write_text(
        json.dumps(
            {
                "splits": args.splits,
                "table": table.to_dict("records"),
                "raw": rows,
                "wall_s": round(time.perf_counter() - t0, 1),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
