#!/bin/bash
# Builds what benchmarks/gpu/run.sh needs on an offline GPU machine (ENVIRONMENT.md, "On a real GPU"):
#   .gpu/bundle.tar.xz  the Node binary and node_modules trimmed to what runs (about 60 MB)
#   .gpu/qop.onnx       a QOperator int8 model (benchmarks/gpu/make-qop.ts)
#   .gl/*.deb           the Vulkan loader and libglvnd, unpacked there at the start of each run
# Both folders are git-ignored (.git/info/exclude); carry them: run(carry=[".gpu", ".gl"]).
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p .gpu .gl /tmp/melbench-gpu-bundle/bin /tmp/amd64/partial
B=/tmp/melbench-gpu-bundle
cp "$(command -v node)" $B/bin/
(cd node_modules && tar cf - --exclude=./typescript --exclude=./vitest --exclude=./@vitest --exclude=./vite \
  --exclude=./@rolldown --exclude=./rolldown --exclude='./lightningcss*' --exclude=./@types \
  --exclude=./supersonic-scsynth-samples --exclude=./playwright-core .) | (mkdir -p $B/node_modules && tar xf - -C $B/node_modules)
rm -rf $B/node_modules/onnxruntime-node/bin/napi-v6/{darwin,win32,linux/arm64} \
  $B/node_modules/webgpu/dist/{darwin-universal,linux-arm64,win32-arm64,win32-x64}
(cd $B/node_modules/onnxruntime-web/dist && ls | grep -v -E '^(ort\.node\.min\.mjs|ort\.webgpu\.bundle\.min\.mjs|ort-wasm-simd-threaded(\.asyncify)?\.(mjs|wasm))$' | xargs rm -f)
tar cf - -C $B . | xz -6 -T0 > .gpu/bundle.tar.xz
npx tsx benchmarks/gpu/make-qop.ts .gpu/qop.onnx
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update >/dev/null && (cd .gl && apt-get $o download libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2)
ls -la .gpu .gl
