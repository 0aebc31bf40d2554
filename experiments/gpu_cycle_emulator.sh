#!/usr/bin/env bash
# Cycle-emulator training data and training on a GPU machine, in one run of about 8 minutes.
#
#   OUT=gpu_out PYTHON=python3 PYTHONPATH=$PWD experiments/gpu_cycle_emulator.sh
#
# The defaults are the run that made the shipped weights (an H200, 2026-11-27, 453 s: 8,192
# sets in 108 s, then 320 s of training); LAYERS, SETS, DATA_SECONDS, TRAIN_SECONDS and WORK
# (a fresh scratch directory) override them.
#
# 1. `data --layers`: diffrax CycleModel solves (float64), SETS rheologies per H/D layer solved
#    at once (vmapped), layers in random order, for DATA_SECONDS.
# 2. `pack`: the chunks into files of at most 15 MiB in $OUT (v in float32), to copy back.
# 3. `train` twice at the same time (two processes sharing the GPU): width 128 and width 256,
#    5 hidden layers, each for TRAIN_SECONDS, steps fitted to the time.
# Weights and logs go to $OUT/weights.tar.  Back here: `unpack` the packs and go on training
# on the CPU with `train --init` if needed.
set -u
PY=${PYTHON:-python3}
OUT=${OUT:-gpu_out}
DATA_SECONDS=${DATA_SECONDS:-200}
TRAIN_SECONDS=${TRAIN_SECONDS:-320}
WORK=${WORK:-/tmp/cycle_emulator}
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
mkdir -p "$OUT" "$WORK/w"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
t0=$SECONDS
"$PY" experiments/train_cycle_emulator.py data --data "$WORK/data" --layers "${LAYERS:-256}" \
    --sets-per-layer "${SETS:-32}" --batch all --seed 11 --time-limit "$DATA_SECONDS" \
    >"$WORK/w/data.log" 2>&1
echo "data: rc $? in $((SECONDS - t0)) s, $(ls "$WORK"/data/chunk_*.npz | wc -l) layers"
tr '\r' '\n' <"$WORK/w/data.log" | grep -v '^$' | tail -n 3
# Half the layers (even indices; they span H/D) come back: the file limit of the transfer.
mkdir -p "$WORK/half"
cp "$WORK"/data/meta.json "$WORK"/data/chunk_*[02468].npz "$WORK/half/"
"$PY" experiments/train_cycle_emulator.py pack --data "$WORK/half" --out "$OUT"
for width in 128 256; do
    "$PY" experiments/train_cycle_emulator.py train --data "$WORK/data" \
        --out "$WORK/w/w$width" --width "$width" --depth 5 --batch-size 8192 \
        --learning-rate 3e-3 --patience 40 --eval-every 1000 --steps 400000 \
        --time-limit "$TRAIN_SECONDS" --fit-steps-to-time >"$WORK/w/train$width.log" 2>&1 &
done
wait
for width in 128 256; do
    echo "--- width $width"
    grep -E "probe|training points|early stop|stopped|refit" "$WORK/w/train$width.log"
    tail -n 4 "$WORK/w/train$width.log"
done
tar -C "$WORK/w" -cf "$OUT/weights.tar" .
echo "total $((SECONDS - t0)) s"
