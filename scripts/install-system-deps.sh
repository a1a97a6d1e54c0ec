#!/usr/bin/env bash
# Installs the Debian packages the tests need, when they are missing (CI runs as root):
#   chromium       SwiftShader (Vulkan on the CPU) for the webgpu backend, and browser tests
#   libvulkan1     the Vulkan loader Dawn opens (no-install-recommends: Mesa's lavapipe, which
#                  Dawn rejects, is not wanted)
#   poppler-utils  pdfsig / pdftotext for report tests
#   python3-torch  PyTorch 1.13 for golden fixtures and the benchmark peer (+ OpenBLAS for speed)
#   python3-nltk   nltk's Porter stemmer for the metric fixtures (tests/fixtures/metrics-standard)
#   gcc            builds the native CPU kernels (native/, scripts/build-native.mjs)
#   libopenblas0-pthread  the BLAS those kernels open at run time (and PyTorch's)
set -euo pipefail
need=()
[ -e /usr/lib/chromium/libvk_swiftshader.so ] || need+=(chromium)
ldconfig -p | grep -q 'libvulkan.so.1 ' || need+=(libvulkan1)
command -v pdfsig >/dev/null || need+=(poppler-utils)
/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
/usr/bin/python3 -c 'import nltk' 2>/dev/null || need+=(python3-nltk)
dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
command -v cc >/dev/null || need+=(gcc libc6-dev)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "tests need these Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
echo "installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
