#!/usr/bin/env python3
"""A real CUDA training job, run while samlabel stays open with its model
unloaded (samlabel-gpu-check session --then ...): the situation the
"Unload & Train" button and POST /api/v1/unload exist for.

It first takes as much of the GPU as is free now (all but a 1 GiB margin) in
one allocation, proving the memory samlabel gave back is really usable by
another process, frees it, then trains a convolutional detector-sized network
(torchvision ResNet-50, bf16 autocast, SGD) for a few steps with a batch that
uses several GB, and prints one JSON line.

Usage: training_step.py [--steps N] [--batch N]
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import torch


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"error": "no CUDA device"}))
        return 1
    free, total = torch.cuda.mem_get_info()
    margin = 1 << 30
    grab = torch.empty(free - margin, dtype=torch.uint8, device="cuda")
    grabbed = grab.numel()
    del grab
    torch.cuda.empty_cache()

    import torchvision

    model = torchvision.models.resnet50(num_classes=80).cuda().train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    images = torch.randn(args.batch, 3, 224, 224, device="cuda")
    labels = torch.randint(0, 80, (args.batch,), device="cuda")
    torch.cuda.reset_peak_memory_stats()
    losses = []
    t0 = time.perf_counter()
    for step in range(args.steps):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = torch.nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    print(json.dumps({
        "free_at_start_mb": free / 2**20,
        "total_mb": total / 2**20,
        "grabbed_in_one_allocation_mb": grabbed / 2**20,
        "train_steps": args.steps,
        "batch": args.batch,
        "step_ms": elapsed / args.steps * 1e3,
        "images_per_s": args.steps * args.batch / elapsed,
        "peak_allocated_mb": torch.cuda.max_memory_allocated() / 2**20,
        "first_loss": losses[0],
        "last_loss": losses[-1],
    }), flush=True)
    return 0 if all(l == l for l in losses) else 1  # NaN loss: fail


if __name__ == "__main__":
    sys.exit(main())
