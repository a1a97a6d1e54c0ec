#!/usr/bin/env python3
"""Per-op profile of the PyTorch peer's GradDiff step (bench/torch_peer.py), to set beside ours
(bench/profile.ts): which ATen ops take the time, self CPU ms per step.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch_profile.py [--shape cpu-small] [--threads 2] [--steps 3]
"""
import argparse, json, time
import torch
from torch.profiler import profile, ProfilerActivity
from torch_peer import GPT, SHAPES, nll


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="cpu-small", choices=sorted(SHAPES))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    s = SHAPES[a.shape]
    torch.manual_seed(0)
    model = GPT(s)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, weight_decay=0.01)
    rand = lambda: torch.randint(0, s["vocab"], (s["batch"], s["seq"]))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = -nll(model, rand()) + nll(model, rand())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    step()
    t = time.perf_counter()
    for _ in range(a.steps):
        step()
    plain_ms = (time.perf_counter() - t) * 1000 / a.steps
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(a.steps):
            step()
    rows = []
    for e in prof.key_averages():
        rows.append((e.key, e.self_cpu_time_total / 1000 / a.steps, e.count // a.steps))
    rows.sort(key=lambda r: -r[1])
    profiled = sum(r[1] for r in rows)
    if a.json:
        print(json.dumps({"shape": a.shape, "threads": a.threads, "msPerStep": plain_ms,
                          "ops": [{"op": k, "ms": ms, "calls": c} for k, ms, c in rows]}))
        return
    print(f"PyTorch {torch.__version__}, {a.shape}, {a.threads} threads: {plain_ms:.1f} ms/step unprofiled, "
          f"{profiled:.1f} ms/step self time under the profiler")
    print(f"{'op':40s}{'ms/step':>10s}{'calls':>8s}{'%':>7s}")
    for k, ms, c in rows[: a.top]:
        print(f"{k:40s}{ms:10.1f}{c:8d}{100 * ms / profiled:7.1f}")


if __name__ == "__main__":
    main()
