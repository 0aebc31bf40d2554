"""Western North America block model: quakejax against celeri, cold and warm, same machine.

    python benchmarks/blocks_wna.py [--data DIR] [--repeat 3] [--celeri-python PATH | --no-celeri]

quakejax is run as the command line a user runs, in fresh processes (Python start-up and
imports included):

- `first run`: empty operator cache and empty JAX compilation cache (a new installation);
- `cold`: empty operator cache (`--no-cache`), compiled kernels kept on disk from earlier runs;
- `warm`: operators read from the on-disk cache.

celeri (brendanjmeade/celeri, PyPI 0.0.6; needs Python >= 3.13) runs in its own virtual
environment, created under `.bench/celeri-venv` on first use (`pip install celeri==0.0.6`),
on a temporary copy of the data (it writes caches and run folders next to its inputs).  Its
timed part is `build_model` + `assemble_and_solve_dense(eigen=False, tde=True)` (what its
`celeri-solve` command runs for this config) from an empty elastic-operator cache; its
process wall time (imports included) is reported too.  Residual statistics of both codes
are over the horizontal components of all stations, mm/yr.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("QUAKEJAX_DATA", ROOT / ".." / "shared" / "data"))

CELERI_RUNNER = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import celeri
t1 = time.perf_counter()
config = celeri.get_config(sys.argv[1])
model = celeri.build_model(config)
est = celeri.assemble_and_solve_dense(model, eigen=False, tde=True)
t2 = time.perf_counter()
r = np.concatenate([np.asarray(est.east_vel_residual), np.asarray(est.north_vel_residual)])
print(json.dumps({
    "n_stations": int(len(model.station)),
    "residual_rms_mm_per_yr": float(np.sqrt(np.mean(r ** 2))),
    "residual_mean_abs_mm_per_yr": float(np.mean(np.abs(r))),
    "solve_s": t2 - t1,
    "import_s": t1 - t0,
    "celeri_version": getattr(celeri, "__version__", "?"),
}))
"""


def _timed_json(name: str, cmd: list[str], **kwargs) -> dict:
    """Run `cmd`, parse the JSON object on its last stdout line and add its wall time (s)."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    wall = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(f"{name} failed:\n{p.stderr[-3000:]}")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["process_s"] = wall
    return res


def run_quakejax(config: Path, *, cache_root: Path, no_cache: bool) -> dict:
    env = dict(os.environ, QUAKEJAX_CACHE=str(cache_root))
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "quakejax", "blocks", "solve", str(config), "--json"]
        cmd += ["--out", out] + (["--no-cache"] if no_cache else [])
        return _timed_json("quakejax", cmd, env=env)


def _python313() -> str | None:
    """A Python 3.13 that runs: on PATH, or any pyenv 3.13 (a pyenv shim exists on PATH even
    when the selected pyenv version has no python3.13, so each candidate is tried)."""
    candidates = [shutil.which("python3.13")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.13*/bin/python3.13"))
    for c in candidates:
        if c and subprocess.run([c, "--version"], capture_output=True).returncode == 0:
            return c
    return None


def celeri_python(args) -> Path | None:
    if args.no_celeri:
        return None
    if args.celeri_python:
        return Path(args.celeri_python)
    venv = ROOT / ".bench" / "celeri-venv"
    py = venv / "bin" / "python"
    if py.exists():
        return py
    base = _python313()
    if base is None:
        print("no working python3.13 found; skipping celeri", file=sys.stderr)
        return None
    print(f"creating {venv} with {base} and installing celeri==0.0.6 ...", file=sys.stderr)
    try:
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "celeri==0.0.6"], check=True)
    except (subprocess.CalledProcessError, FileNotFoundError) as err:
        print(f"celeri could not be installed ({err}); skipping it", file=sys.stderr)
        return None
    return py


def run_celeri(py: Path, data: Path, config_rel: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "celeri"
        shutil.copytree(data, copy)
        runner = Path(tmp) / "runner.py"
        runner.write_text(CELERI_RUNNER)
        config = copy / config_rel
        return _timed_json("celeri", [str(py), str(runner), str(config)], cwd=config.parent)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA / "blocks" / "celeri")
    ap.add_argument("--config", default="data/config/wna_config.json")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--celeri-python", default=None, help="python of an environment with celeri")
    ap.add_argument("--no-celeri", action="store_true")
    ap.add_argument("--celeri-repeat", type=int, default=1)
    args = ap.parse_args(argv)
    config = args.data / args.config
    if not config.is_file():
        print(f"config not found: {config} (set QUAKEJAX_DATA or --data)", file=sys.stderr)
        return 2
    out = {"config": str(config), "machine": f"{os.cpu_count()} CPU cores"}
    with tempfile.TemporaryDirectory() as cache:
        cache = Path(cache)
        first = run_quakejax(config, cache_root=cache, no_cache=True)
        cold = [run_quakejax(config, cache_root=cache, no_cache=True) for _ in range(args.repeat)]
        run_quakejax(config, cache_root=cache, no_cache=False)  # fills the operator cache
        warm = [run_quakejax(config, cache_root=cache, no_cache=False) for _ in range(args.repeat)]

    def summary(runs):
        return {
            "wall_s_median": statistics.median(r["wall_s"] for r in runs),
            "process_s_median": statistics.median(r["process_s"] for r in runs),
            "wall_s_all": [round(r["wall_s"], 2) for r in runs],
        }

    out["quakejax"] = {
        "n_stations": first["n_stations"],
        "residual_rms_mm_per_yr": first["residual_rms_mm_per_yr"],
        "residual_mean_abs_mm_per_yr": first["residual_mean_abs_mm_per_yr"],
        "first_run": summary([first]),
        "cold_operator_cache": summary(cold),
        "warm_operator_cache": summary(warm),
    }
    py = celeri_python(args)
    if py is not None:
        runs = [run_celeri(py, args.data, args.config) for _ in range(args.celeri_repeat)]
        out["celeri"] = {
            k: runs[0][k]
            for k in (
                "n_stations",
                "residual_rms_mm_per_yr",
                "residual_mean_abs_mm_per_yr",
                "celeri_version",
            )
        }
        out["celeri"]["solve_s_all"] = [round(r["solve_s"], 2) for r in runs]
        out["celeri"]["process_s_all"] = [round(r["process_s"], 2) for r in runs]
        c = statistics.median(r["solve_s"] for r in runs)
        q = out["quakejax"]["cold_operator_cache"]["wall_s_median"]
        out["speedup_cold_vs_celeri"] = c / q
        out["speedup_first_run_vs_celeri"] = c / first["wall_s"]
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
