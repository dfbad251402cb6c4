"""The peer a researcher would otherwise use for `sightline generate`: transformers + torch on CPU.

Run by hand beside `npm run bench:generate` (Python is never a test or runtime dependency):
    BENCH_LAYERS=4 python scripts/bench/transformers_generate.py
Same shape and schedule as scripts/bench/generate.ts: a LlamaForCausalLM with TinyLlama's shape
(d_model 2048, 32 heads, 4 KV heads, FFN 5632, vocab 32000; BENCH_LAYERS layers, 22 by default) and
random weights (transformers' own initialisation, std 0.02), fp32, BENCH_THREADS threads (2):
  - prefill: one BENCH_PROMPT-token prompt (512) at batch 1, tokens/s;
  - decode at batch 1: BENCH_DECODE_STEPS (8) greedy cached steps after that prefill, tokens/s;
  - decode at batch 8: 8 prompts of BENCH_BATCH8_PROMPT (64) tokens, then the same number of steps.
Greedy with use_cache, one step per forward (what `generate` does inside), so the decode figure is
the step time alone, comparable line by line with bench:generate's.
"""
import os
import platform
import time

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

LAYERS = int(os.environ.get('BENCH_LAYERS', 22))
THREADS = int(os.environ.get('BENCH_THREADS', 2))
STEPS = int(os.environ.get('BENCH_DECODE_STEPS', 8))
PROMPT = int(os.environ.get('BENCH_PROMPT', 512))
BATCH8_PROMPT = int(os.environ.get('BENCH_BATCH8_PROMPT', 64))
VOCAB = 32000

torch.set_num_threads(THREADS)
torch.manual_seed(0)
shape = f'd_model 2048, {LAYERS} layers, 32 heads, 4 KV heads, FFN 5632, vocab {VOCAB}'
config = LlamaConfig(
    hidden_size=2048,
    intermediate_size=5632,
    num_hidden_layers=LAYERS,
    num_attention_heads=32,
    num_key_value_heads=4,
    vocab_size=VOCAB,
    rms_norm_eps=1e-5,
    rope_theta=10000.0,
    max_position_embeddings=2048,
    tie_word_embeddings=False,
)
# sdpa is transformers' default attention on CPU; named so the line says what ran.
model = LlamaForCausalLM(config).to(torch.float32).eval()
model.config._attn_implementation = 'sdpa'


def figure(name, value, unit='', note=''):
    print(f'bench transformers: {name} = {value:.2f}{" " + unit if unit else ""}{f" ({note})" if note else ""}')


def prompt(n, r):
    return [(31 * i + 17 * r + 5) % VOCAB for i in range(n)]


def decode_rate(prompts, steps):
    """Prefill, then `steps` greedy cached steps; (prefill tokens/s, decode tokens/s)."""
    ids = torch.tensor(prompts, dtype=torch.int64)
    mask = torch.ones_like(ids)
    with torch.inference_mode():
        t0 = time.perf_counter()
        out = model(input_ids=ids, attention_mask=mask, use_cache=True)
        t1 = time.perf_counter()
        past = out.past_key_values
        token = out.logits[:, -1].argmax(-1, keepdim=True)
        for _ in range(steps):
            mask = torch.cat([mask, torch.ones_like(token)], dim=1)
            out = model(input_ids=token, attention_mask=mask, past_key_values=past, use_cache=True)
            past = out.past_key_values
            token = out.logits[:, -1].argmax(-1, keepdim=True)
        t2 = time.perf_counter()
    return ids.numel() / (t1 - t0), steps * len(prompts) / (t2 - t1)


print(
    f'bench transformers: {platform.processor() or platform.machine()} x{os.cpu_count()}, python {platform.python_version()}, '
    f'torch {torch.__version__}, transformers {transformers.__version__}, {THREADS} threads, '
    f'load average {os.getloadavg()[0]:.1f}'
)
print(f'bench transformers: model {shape}, random fp32 weights (transformers init, std 0.02), sdpa attention')
weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
print(f'bench transformers: {weight_bytes / 2**30:.2f} GiB of fp32 weights')
decode_rate([prompt(8, 0)], 1)  # warm-up: first-run allocations are not timed
prefill, decode1 = decode_rate([prompt(PROMPT, 0)], STEPS)
_, decode8 = decode_rate([prompt(BATCH8_PROMPT, r) for r in range(8)], STEPS)
figure('fp32 prefill', prefill, 'tokens/s', f'{PROMPT} tokens, batch 1')
figure('fp32 decode batch 1', decode1, 'tokens/s', f'{STEPS} steps after the {PROMPT}-token prompt')
figure('fp32 decode batch 8', decode8, 'tokens/s', f'{STEPS} steps after {BATCH8_PROMPT}-token prompts')
