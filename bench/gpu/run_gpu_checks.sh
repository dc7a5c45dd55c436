#!/usr/bin/env bash
# The CUDA checks of issues 4, 5 and 6, in one pass on a machine with an NVIDIA
# GPU, libtorch (PyTorch's wheel), CMake and ninja, but no Qt (engine-only build).
#
#   bench/gpu/run_gpu_checks.sh SRC_DIR OUT_DIR [NLOHMANN_JSON_DIR] [HUB_TSV]
#
# SRC_DIR: a samlabel source tree. NLOHMANN_JSON_DIR: its CMake package folder
# when the machine has none. HUB_TSV: ../shared/reference/sam3-hub-tensors.tsv.
# Steps (each time-boxed, all output in OUT_DIR/gpu-checks.log):
#   1. engine-only build of samlabel-gpu-check and samlabel-bench-sam3; at the
#      same time a full-size random checkpoint with the hub's exact tensor table
#   2. parity on CUDA: the transformers fixtures in fp32, fp16, bf16
#   3. the app's lifecycle (ModelSession) in fp16: load, encodes, clicks, VRAM
#      with one cached image, Unload, then a real training job in another
#      process while this one stays open; bf16 likewise without the training
#   4. samlabel vs transformers on the same GPU (fp16), when transformers loads
set -uo pipefail
SRC=$(cd "$1" && pwd)
OUT=$(mkdir -p "$2" && cd "$2" && pwd)
JSON_DIR=${3:-}
TSV=${4:-$SRC/../shared/reference/sam3-hub-tensors.tsv}
PY=${PYTHON:-python3}
WORK=${WORK:-/tmp/samlabel-gpu}
LOG=$OUT/gpu-checks.log
mkdir -p "$WORK"
exec > >(tee -a "$LOG") 2>&1

step() { echo; echo "=== $* ($(date +%T))"; }

step "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
$PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
cmake --version | head -1
nproc

step "build (engine only) + checkpoint"
TORCH_PREFIX=$($PY -c 'import torch.utils; print(torch.utils.cmake_prefix_path)')
(
  cmake -S "$SRC" -B "$WORK/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSAMLABEL_ENGINE_ONLY=ON \
    -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" ${JSON_DIR:+-Dnlohmann_json_DIR=$JSON_DIR} >"$WORK/configure.log" 2>&1 &&
    cmake --build "$WORK/build" --target samlabel-gpu-check samlabel-bench-sam3 -- -j"$(nproc)" >"$WORK/build.log" 2>&1
  echo "build exit $?"
) &
BUILD_PID=$!
CKPT=$WORK/sam3-hub-shaped
timeout 300 $PY "$SRC/bench/gpu/make_hub_shaped_checkpoint.py" "$TSV" "$SRC/tests/data/sam3/hub_config.json" "$CKPT"
$PY "$SRC/bench/gpu/fixtures_to_pnm.py" "$SRC/tests/data/sam3/tiny224" "$SRC/tests/data/sam3/tiny280" "$WORK/fixtures"
wait $BUILD_PID
CHECK=$WORK/build/bench/samlabel-gpu-check
if [ ! -x "$CHECK" ]; then
  tail -40 "$WORK/configure.log" "$WORK/build.log"
  exit 1
fi
grep -E "libtorch|CUDA" "$WORK/configure.log" | head -5

step "parity on CUDA (transformers fixtures)"
for dtype in fp32 fp16 bf16; do
  for fixture in tiny224 tiny280; do
    timeout 120 "$CHECK" parity "$WORK/fixtures/$fixture" --device cuda:0 --dtype $dtype
  done
done

step "lifecycle fp16, then training in another process"
timeout 300 "$CHECK" session "$CKPT" --device cuda:0 --dtype fp16 --encodes 5 --clicks 100 \
  --then "$PY $SRC/bench/gpu/training_step.py --steps 20 --batch 128"

step "lifecycle bf16"
timeout 200 "$CHECK" session "$CKPT" --device cuda:0 --dtype bf16 --encodes 5 --clicks 100

step "samlabel vs transformers, fp16, same GPU"
timeout 300 $PY "$SRC/bench/sam3_vs_transformers.py" --checkpoint "$CKPT" \
  --bench-binary "$WORK/build/bench/samlabel-bench-sam3" --device cuda --dtype fp16 --threads 4 --clicks 100
echo "done $(date +%T)"
