"""The peer a researcher would otherwise use for `sightline mine`: torch on CPU.

Run by hand beside `npm run bench:mine` (Python is never a test or runtime dependency):
    python scripts/bench/torch_mine.py [TOKENS] [BATCH] [THREADS]
Same shapes as scripts/bench/mine.ts: d_in 4096, d_sae 32768, ReLU encoder with random fp32 weights,
top-64 per token, per-feature fire counts and maxima. Prints tokens/s and GFLOP/s of the encoder
MatMul, so the figure sits next to the benchmark's "whole mine" and "bare MatMul" lines.
"""
import os
import platform
import sys
import time

import torch

D_IN, D_SAE, K = 4096, 32768, 64
tokens = int(sys.argv[1]) if len(sys.argv) > 1 else 40960
batch = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
torch.set_num_threads(threads)
g = torch.Generator().manual_seed(0)
w_enc = (torch.rand(D_IN, D_SAE, generator=g) - 0.5) * 0.04
b_enc = (torch.rand(D_SAE, generator=g) - 0.5) * 0.02
x_all = torch.randn(batch, D_IN, generator=g)

fire = torch.zeros(D_SAE, dtype=torch.int64)
maxima = torch.zeros(D_SAE)


def step(x):
    acts = torch.relu(x @ w_enc + b_enc)
    vals, idx = torch.topk(acts, K, dim=1)
    fire.add_(torch.bincount(idx[vals > 0], minlength=D_SAE))
    maxima.copy_(torch.maximum(maxima, acts.amax(dim=0)))


with torch.inference_mode():
    step(x_all)  # warm-up
    done = 0
    start = time.perf_counter()
    while done < tokens:
        step(x_all)
        done += batch
    elapsed = time.perf_counter() - start

cpu = platform.processor() or platform.machine()
print(f"machine: {cpu}, {os.cpu_count()} cpus, torch {torch.__version__}, threads {threads}")
print(f"shape: d_in {D_IN}, d_sae {D_SAE}, top-{K}, batch {batch}, tokens {done}")
print(f"torch CPU mine peer: {done / elapsed:.0f} tokens/s, {done * 2 * D_IN * D_SAE / elapsed / 1e9:.1f} GFLOP/s")
