#!/usr/bin/env bash
# GPU readiness check in ONE call on a GPU machine without Node.js or network (docs/gpu-check.md):
# sets up Node and the Vulkan loader from .gpu-carry/ (bench/gpu-prepare.sh), writes the
# real-shape checkpoints, runs the golden numerics on webgpu, `nepenthe bench --backend webgpu`
# at the Qwen2.5-0.5B and Llama-3.2-1B shapes and the PyTorch CUDA peer, and prints one table.
#
#   bash bench/gpu-check.sh            the real shapes (a GPU machine)
#   NEPENTHE_SWIFTSHADER=1 bash bench/gpu-check.sh --tiny
#                                      SmolLM2's widths with 1 layer, 1 step of 8 tokens: shows the
#                                      script end to end on SwiftShader (no GPU)
set -uo pipefail
cd "$(dirname "$0")/.."
carry=$PWD/.gpu-carry
work=${NEPENTHE_GPU_WORK:-/tmp/nepenthe-gpu}
mkdir -p "$work"
if [ "${1:-}" = --tiny ]; then
  shapes=(smollm2-135m) layers=(--layers 1) bench=(--steps 1 --batch 1 --seq 8) peer=(--steps 1 --batch 1 --seq 8)
else
  shapes=(qwen2.5-0.5b llama3.2-1b) layers=() bench=(--steps 3 --batch 2 --seq 128) peer=(--steps 3 --batch 2 --seq 128)
fi

# Node and the bundles from the carry when this machine has no Node or no node_modules.
if ! command -v node >/dev/null; then
  mkdir -p "$work/bin" && gunzip -c "$carry/node.gz" > "$work/bin/node" && chmod +x "$work/bin/node"
  export PATH="$work/bin:$PATH"
fi
node --version || { echo "no node: run bench/gpu-prepare.sh and carry .gpu-carry" >&2; exit 1; }
if [ -e node_modules/@tensorflow ]; then
  cli=(node bin/nepenthe.mjs) shapes_cmd=(node --import tsx scripts/make-real-shape.ts)
  tests=(npx vitest run tests/golden/webgpu.test.ts tests/golden/webgpu-128k.test.ts tests/engine/webgpu-device.test.ts)
else
  [ -e node_modules/webgpu ] || tar -xzf "$carry/webgpu.tar.gz" || exit 1
  cli=(node "$carry/cli.mjs") shapes_cmd=(node "$carry/make-real-shape.mjs") tests=(node "$carry/gpu-tests.mjs")
fi
if [ "${NEPENTHE_SWIFTSHADER:-0}" != 1 ]; then
  export NEPENTHE_SWIFTSHADER=0 # the golden tests would otherwise pick SwiftShader
  if ! ldconfig -p | grep -q libvulkan.so.1; then
    for f in "$carry"/gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  fi
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
fi

rows=()
row() { rows+=("$(printf '| %s | %s | %s | %s |' "$@")"); }

"${tests[@]}" > "$work/golden.log" 2>&1
golden=$?
row "golden + device tests (webgpu)" "-" "$([ $golden = 0 ] && echo pass || echo FAIL)" "$(grep -E '^ *Tests +[0-9]' "$work/golden.log" | tr -s ' ' | head -1)"

have_cuda=$(/usr/bin/env python3 -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)
for shape in "${shapes[@]}"; do
  dir="$work/$shape"
  [ -e "$dir/config.json" ] || "${shapes_cmd[@]}" "$shape" "$dir" "${layers[@]}" >&2
  if "${cli[@]}" bench --backend webgpu --model "$dir" "${bench[@]}" --json > "$work/bench-$shape.json" 2> "$work/bench-$shape.err"; then
    row "nepenthe webgpu" "$shape" "$(node -p "JSON.parse(require('fs').readFileSync('$work/bench-$shape.json','utf8')).trainTokensPerSecond")" \
      "eval $(node -p "JSON.parse(require('fs').readFileSync('$work/bench-$shape.json','utf8')).evalTokensPerSecond") tok/s"
  else
    row "nepenthe webgpu" "$shape" FAIL "$(tail -1 "$work/bench-$shape.err")"
  fi
  if [ "$have_cuda" = 1 ] && [ ${#layers[@]} = 0 ]; then
    if python3 bench/torch_llama_peer.py --shape "$shape" --mode full --device cuda "${peer[@]}" > "$work/peer-$shape.json" 2> "$work/peer-$shape.err"; then
      row "pytorch cuda (peer)" "$shape" "$(python3 -c "import json;print(json.load(open('$work/peer-$shape.json'))['tokensPerSecond'])" 2>/dev/null || cat "$work/peer-$shape.json")" "full GradDiff"
    else
      row "pytorch cuda (peer)" "$shape" FAIL "$(tail -1 "$work/peer-$shape.err")"
    fi
  else
    row "pytorch cuda (peer)" "$shape" "not run" "$([ "$have_cuda" = 1 ] && echo 'tiny shape: the peer has real shapes only' || echo 'no torch with CUDA here')"
  fi
done

echo
echo "| check | shape | train tok/s or result | detail |"
echo "|---|---|---:|---|"
printf '%s\n' "${rows[@]}"
[ $golden = 0 ]
