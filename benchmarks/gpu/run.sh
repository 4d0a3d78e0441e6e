#!/bin/bash
# Run on the GPU machine from the repository root, after benchmarks/gpu/make-bundle.sh here:
#   run(command="bash benchmarks/gpu/run.sh", carry=[".gpu", ".gl"]); results land in $OUT.
# GPU checks for melbench on the device machine: unpack the bundle, then time and profile.
set -u
T0=$(date +%s)
log() { echo "[$(( $(date +%s) - T0 ))s] $*" | tee -a "$OUT/log.txt"; }
mkdir -p /tmp/b && tar xJf .gpu/bundle.tar.xz -C /tmp/b
for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export PATH=/tmp/b/bin:$PATH
ln -sfn /tmp/b/node_modules node_modules
log "unpacked; node $(node --version)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/nvidia-smi.txt" 2>&1
lscpu > "$OUT/lscpu.txt" 2>&1
timeout 120 node bin/melbench.mjs doctor > "$OUT/doctor.txt" 2>&1; log "doctor rc=$?"
# 1. --profile of a QOperator int8 model on the real GPU: providers per node, fallback count.
timeout 150 node bin/melbench.mjs bench --models .gpu/qop.onnx --runtimes cpu,webgpu,webgpu-web --profile --no-report -o "$OUT/qop.csv" > "$OUT/qop.txt" 2>&1; log "qop profile rc=$?"
# 2. harness p50 / bare-loop p50 on the native runtimes (fresh processes, interleaved pairs).
timeout 200 node --import tsx benchmarks/harness-vs-bare.ts --models resnet,fast --runtimes cpu,webgpu --pairs 4 > "$OUT/hvb-native.txt" 2>&1; log "hvb native rc=$?"
# 3. the same for ORT-web's WebGPU (each process pays ORT-web's ~32 s first-session cost).
timeout 240 node --import tsx benchmarks/harness-vs-bare.ts --models resnet,fast --runtimes webgpu-web --pairs 2 > "$OUT/hvb-web.txt" 2>&1; log "hvb web rc=$?"
log done
