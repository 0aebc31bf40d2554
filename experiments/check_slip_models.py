"""Parse every slip model in the real-data folder and compare its moment with its header.

Usage: `python experiments/check_slip_models.py [--data ../shared/data] [--notes]`

Prints one row per file (format, patches, segments, header Mw, model Mw, status), then a
summary: how many parse, which fail and why, and the models whose Mw differs from their
header's by more than 0.2.  Model Mw = 2/3 (log10 M0 - 9.1) with M0 = mu sum(|slip| area),
mu = the file's rigidity (`info.mu`) where it gives one, else 3e10 Pa.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

# Documented frames of the `.flt` tables (data README, published_flt/*readme*).
FLT_ORIGINS = {
    "japan__tohoku11__": {"origin": (142.369, 38.322), "utm_zone": 54},
    "japan__kumamoto16__": {"origin": (130.726, 32.782), "utm_zone": 52},
}
MU_DEFAULT = 3.0e10
MW_TOLERANCE = 0.2


def options_for(path: Path) -> dict:
    """Reader options for a file: the documented origin of the `.flt` tables."""
    for prefix, opts in FLT_ORIGINS.items():
        if path.name.startswith(prefix) and path.suffix == ".flt":
            return dict(opts)
    return {}


def model_mw(model) -> tuple[float, str]:
    """Mw of a model with its file's rigidity (or 3e10 Pa), computed in numpy."""
    mu = model.info.mu if model.info is not None and model.info.mu else MU_DEFAULT
    slip = np.hypot(np.asarray(model.slip)[:, 0], np.asarray(model.slip)[:, 1])
    m0 = mu * float(np.sum(slip * np.asarray(model.length) * np.asarray(model.width)))
    mw = (2.0 / 3.0) * (math.log10(m0) - 9.1) if m0 > 0 else math.nan
    return mw, "file" if model.info is not None and model.info.mu else "3e10"


def header_mw(info) -> float | None:
    if info is None:
        return None
    if info.mw is not None:
        return info.mw
    if info.m0 is not None and info.m0 > 0:
        return (2.0 / 3.0) * (math.log10(info.m0) - 9.1)
    return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get(
        "QUAKEJAX_DATA", str(Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
    )
    parser.add_argument(
        "--data", default=default, help="data folder (default: $QUAKEJAX_DATA or ../shared/data)"
    )
    parser.add_argument("--notes", action="store_true", help="print every model's notes")
    args = parser.parse_args(argv)

    from quakejax.io._slip import detect_slip_format, read_slip_model

    root = Path(args.data) / "slip_models"
    if not root.is_dir():
        print(f"no slip_models folder under {args.data}", file=sys.stderr)
        return 2
    files = sorted(p for p in root.rglob("*") if p.is_file())
    ok, failed, skipped, mismatched = [], [], [], []
    t0 = time.perf_counter()
    cols = ("patches", "segs", "Mw hdr", "Mw mod", "mu")
    print(f"{'file':72s} {'format':10s} " + " ".join(f"{c:>7s}" for c in cols) + "  status")
    blank = " ".join(f"{'':>7s}" for _ in cols)
    for path in files:
        rel = str(path.relative_to(root))
        try:
            fmt = detect_slip_format(path)
        except ValueError as e:
            skipped.append((rel, str(e)))
            print(f"{rel:72s} {'-':10s} {blank}  skip: not a slip model")
            continue
        try:
            model = read_slip_model(path, **options_for(path))
        except ValueError as e:
            failed.append((rel, str(e)))
            print(f"{rel:72s} {fmt:10s} {blank}  FAIL: {e}")
            continue
        ok.append(rel)
        mw_h = header_mw(model.info)
        mw_m, mu_from = model_mw(model)
        status = "ok"
        if mw_h is not None and abs(mw_m - mw_h) > MW_TOLERANCE:
            status = f"Mw differs by {mw_m - mw_h:+.2f}"
            mismatched.append((rel, mw_h, mw_m, mu_from))
        nseg = len(set(model.segment)) if model.segment is not None else 1
        hdr = f"{mw_h:7.2f}" if mw_h is not None else f"{'-':>7s}"
        row = f"{model.n_patches:7d} {nseg:7d} {hdr} {mw_m:7.2f} {mu_from:>7s}"
        print(f"{rel:72s} {fmt:10s} {row}  {status}")
        if args.notes:
            for note in model.info.notes:
                print(f"{'':8s}- {note}")
    elapsed = time.perf_counter() - t0
    n_slip = len(ok) + len(failed)
    print()
    print(
        f"Summary: {len(ok)} of {n_slip} slip-model files parse; {len(failed)} fail; "
        f"{len(skipped)} other files skipped ({elapsed:.1f} s)."
    )
    if failed:
        print("Failures:")
        for _, err in failed:
            print(f"  {err}")
    print(
        f"Mw(model) - Mw(header) beyond {MW_TOLERANCE} ({len(mismatched)}; mu 'file' = the "
        "file's rigidity, '3e10' = default):"
    )
    for rel, mw_h, mw_m, mu_from in mismatched:
        print(f"  {rel}: header {mw_h:.2f}, model {mw_m:.2f} (mu: {mu_from})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
