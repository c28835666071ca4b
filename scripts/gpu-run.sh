#!/usr/bin/env bash
# Runs on a lent GPU machine, in the repository root, after scripts/gpu-pack.sh here (device tool: carry
# [".device"], a timeout that leaves time for a rerun). Builds the addon against the python's CUDA libtorch with
# distributed training (Gloo, NCCL), then writes under $OUT:
#   build.log        the build; its "tlearn:" lines say whether Gloo and NCCL are in
#   cuda-check.json  bench/cuda-check: ops and a loader batch on the GPU against the CPU, a ResNet50 bf16 step
#   ddp.txt          bench/ddp --ranks 1 --device cuda: NCCL on 1 GPU against the same steps without a group (issue 19)
#   backbones.txt    bench/backbones --device cuda --precision bf16 --channels-last beside PyTorch (issue 21)
# TLEARN_GPU_PYTHON (default python3) names the python; TLEARN_GPU_ROOT (default /) where Node is unpacked.
# Each step has its own time limit, so that one that hangs leaves the others' figures.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/.device/out}
PY=${TLEARN_GPU_PYTHON:-python3}
ROOT=${TLEARN_GPU_ROOT:-/}
mkdir -p "$OUT" "$ROOT" .device/include
tar xJf .device/node.tar.xz -C "$ROOT" && export PATH="$ROOT/usr/bin:$PATH"
tar xJf .device/node_modules.tar.xz && tar xJf .device/dist.tar.xz && tar xJf .device/gloo.tar.xz -C .device/include
TORCH_DIR=$("$PY" -c 'import os, torch; print(os.path.dirname(torch.__file__))') || { echo "gpu-run: no torch in $PY" >&2; exit 1; }
"$PY" -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' | tee "$OUT/torch.txt"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader >> "$OUT/torch.txt" 2>&1

# A wheel may keep nvrtc outside the CUDA toolkit, where TorchConfig does not look.
NVRTC=$(ls "$TORCH_DIR"/../nvidia/cu*/lib/libnvrtc.so.* "$TORCH_DIR"/../nvidia/cuda_nvrtc/lib/libnvrtc.so.* 2>/dev/null | grep -v builtins | head -1)
start=$SECONDS
LIBTORCH="$TORCH_DIR" GLOO_INCLUDE_DIR="$PWD/.device/include" TLEARN_BUILD_JOBS=$(nproc) \
  TLEARN_CMAKE_ARGS="${NVRTC:+-DCUDA_nvrtc_LIBRARY=$NVRTC}" timeout 420 node scripts/build-native.mjs > "$OUT/build.log" 2>&1
rc=$?
echo "build: rc $rc in $((SECONDS - start)) s" | tee -a "$OUT/torch.txt"
grep "tlearn:" "$OUT/build.log"
if [ $rc -ne 0 ]; then grep -E "error|Error" "$OUT/build.log" | head -30; exit 1; fi

timeout 150 node dist/bench/cuda-check.js > "$OUT/cuda-check.json" 2> "$OUT/cuda-check.err"; echo "cuda-check: rc $?"
timeout 150 node dist/bench/ddp.js --ranks 1 --device cuda > "$OUT/ddp.txt" 2>&1; echo "ddp: rc $?"
TLEARN_BENCH_PYTHON="$PY" timeout 240 node dist/bench/backbones.js --device cuda --precision bf16 --channels-last \
  > "$OUT/backbones.txt" 2>&1; echo "backbones: rc $?"
tail -n 3 "$OUT/cuda-check.json" "$OUT/ddp.txt" "$OUT/backbones.txt"
