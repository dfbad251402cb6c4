#!/usr/bin/env bash
# Device check for the LM engine's CUDA path (issue 13): on a machine with an NVIDIA GPU and
# onnxruntime-node's CUDA provider, runs the in-graph decode loop and the worker loop on CUDA against
# transformers' tokens (tests/lm/cuda-device.test.ts), then the CPU proofs that both loops agree.
# On a machine without a GPU it says so and exits 2; any failing test exits non-zero too.
#
#   scripts/device-check.sh            (from anywhere; needs `npm run setup` done)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "device-check: no NVIDIA driver here (nvidia-smi not found). This check needs a CUDA GPU; on CPU-only machines run: npx vitest run tests/lm/decode-loop.test.ts" >&2
  exit 2
fi
if ! nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
  echo "device-check: nvidia-smi sees no GPU. This check needs a CUDA GPU." >&2
  exit 2
fi
echo "device-check: $(nvidia-smi -L | head -n 1)"
cuda_lib="$(find -L node_modules/onnxruntime-node/bin -name 'libonnxruntime_providers_cuda.so' 2>/dev/null | head -n 1 || true)"
if [ -z "$cuda_lib" ]; then
  echo "device-check: onnxruntime-node has no CUDA provider library (libonnxruntime_providers_cuda.so); reinstall it without ONNXRUNTIME_NODE_INSTALL=skip" >&2
  exit 3
fi
echo "device-check: CUDA provider at $cuda_lib"

SIGHTLINE_DEVICE_CHECK=1 npx vitest run tests/lm/cuda-device.test.ts tests/lm/decode-loop.test.ts
echo "device-check: CUDA path passed"
