#!/usr/bin/env bash
# The accelerator figures of the benchmarks, in one run (the step limits add up to about 16 minutes; before quakejax
# picked larger vectorised steps on accelerators the visco3d step did not finish its grid pass
# within its limit on an H100; on an H200 with them the Landers run took 245 s in all).
#
#   PYTHON=python3 OUT=gpu_results QUAKEJAX_DATA=../shared/data benchmarks/gpu_suite.sh
#
# quakejax must be importable (PYTHONPATH=$PWD); on a machine without pyproj and beartype, unpack
# their wheels into a folder on PYTHONPATH (the 2026-11-27 run carried them in .bench/deps, with
# the Landers slip model, since the device had no copy of the data).
#
# Each step has its own time limit and writes its log (and JSON where the script makes one)
# to $OUT; a step that fails or times out does not stop the others.  The Okada and TDE
# throughput, the cycle emulator's speed and the 3D relaxation of Landers 1992 all run on
# JAX's default backend (the GPU when one is visible).  Reference codes (pyrocko, cutde,
# okada-wrapper) are CPU-only and are skipped here: their figures come from the CPU runs.
set -u
PY=${PYTHON:-python3}
OUT=${OUT:-gpu_results}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1

step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    echo "=== $name (limit ${limit} s) ==="
    timeout "$limit" "$@" >"$OUT/$name.log" 2>&1
    local rc=$?
    tail -n 25 "$OUT/$name.log"
    echo "=== $name: rc $rc, $((SECONDS - t0)) s ==="
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
"$PY" -c "import jax; print('jax', jax.__version__, jax.devices())"

step okada 240 "$PY" benchmarks/okada_throughput.py --skip-reference --repeats 3 \
    --accel-cases AC --accel-pairs-per-block 4194304 --accel-large 100 1000000 \
    --accel-pallas 256x8 128x4
step tde 50 "$PY" benchmarks/tde_throughput.py --points 10000 --triangles 1000 --json
step emulator 80 "$PY" benchmarks/emulator_speed.py --n-params 4 --n-points 100 \
    --gradient-sets 2 --gradient-points 4 --out "$OUT/emulator.json"
step visco3d_emulator 300 "$PY" benchmarks/visco3d_emulator_speed.py --solver assembly \
    --okada-implementations pallas xla --dtypes float32 float64
step visco3d_landers 300 "$PY" experiments/visco3d_landers.py --out "$OUT/visco3d_landers.json"
