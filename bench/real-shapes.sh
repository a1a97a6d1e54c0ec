#!/usr/bin/env bash
# Real-shape benchmark (bench/RESULTS.md "Real shapes"): every method through `nepenthe unlearn`
# on a random-weight checkpoint with a real model's shapes, and the PyTorch peer at the same
# shape, batch and length, one after the other (never two at once on the 2 cores).
#
#   bash bench/real-shapes.sh [shape] [methods]     default qwen2.5-0.5b, every method
#
# Appends to bench/results/real-shapes-<shape>.jsonl: one line per run with the steady-state step
# (the last of two; the first includes warm-up), tokens/s and peak RSS (GNU time).
set -euo pipefail
cd "$(dirname "$0")/.."
shape=${1:-qwen2.5-0.5b}
methods=${2:-graddiff ga kl npo simnpo sga bounded sau}
work=${NEPENTHE_BENCH_DIR:-/tmp/nepenthe-real-shapes}
out=bench/results/real-shapes-$shape.jsonl
mkdir -p "$work" bench/results
[ -e "$work/$shape/config.json" ] || node --import tsx scripts/make-real-shape.ts "$shape" "$work/$shape"
head -4 resources/testbed/corpus/forget10.jsonl > "$work/forget.jsonl"
head -4 resources/testbed/corpus/retain.jsonl > "$work/retain.jsonl"
echo '{"epochs": 1, "batchSize": 2, "maxLength": 128}' > "$work/config.json"
# Lines are appended: each run of the script adds its own.
peak() { sed -n 's/^peakKiB=//p' "$1"; }
for method in $methods; do
  model="$work/$shape"
  if [ "$method" = sau ]; then
    [ -e "$work/$shape-pruned/config.json" ] ||
      node bin/nepenthe.mjs prune "$model" --method magnitude --sparsity 0.5 --out "$work/$shape-pruned" >&2
    model="$work/$shape-pruned"
  fi
  rm -rf "$work/out-$method"
  set +e
  /usr/bin/time -f 'peakKiB=%M' -o "$work/time-$method" node bin/nepenthe.mjs unlearn "$model" \
    --forget "$work/forget.jsonl" --retain "$work/retain.jsonl" --method "$method" \
    --config "$work/config.json" --out "$work/out-$method" --json > "$work/report-$method.json" 2> "$work/stderr-$method"
  code=$?
  set -e
  if [ $code -ne 0 ]; then
    msg=$(tail -1 "$work/stderr-$method" | sed 's/"/\\"/g')
    echo "{\"shape\":\"$shape\",\"method\":\"$method\",\"exit\":$code,\"message\":\"$msg\"}" >> "$out"
    continue
  fi
  node -e '
    const [log, peakKiB, shape, method] = process.argv.slice(1);
    const t = JSON.parse(require("fs").readFileSync(log, "utf8"));
    const last = t.steps.at(-1);
    console.log(JSON.stringify({ shape, method, exit: 0, steps: t.steps.length, secondsPerStep: +last.seconds.toFixed(2),
      tokensPerStep: last.tokens, tokensPerSecond: +last.tokensPerSecond.toFixed(1), peakRssGiB: +(peakKiB / 2 ** 20).toFixed(2) }));
  ' "$work/out-$method/training.json" "$(peak "$work/time-$method")" "$shape" "$method" >> "$out"
  tail -1 "$out" >&2
done
# The peer loads the same OpenBLAS: give it the kernel set our addon names (native/blas.c), or
# on a CPU its DYNAMIC_ARCH does not know it runs SSE3 kernels at a quarter of the speed.
if [ -z "${OPENBLAS_CORETYPE-}" ]; then
  if grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo && grep -qw avx512dq /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=SkylakeX
  elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    export OPENBLAS_CORETYPE=Haswell
  fi
fi
for mode in ${PEER_MODES-full lora eval}; do
  /usr/bin/python3 bench/torch_llama_peer.py --shape "$shape" --mode "$mode" --steps 2 --threads 2 >> "$out" 2>/dev/null ||
    echo "{\"peer\":\"pytorch\",\"mode\":\"$mode\",\"error\":true}" >> "$out"
  tail -1 "$out" >&2
done
