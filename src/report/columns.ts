/**
 * The CSV schema: one row per (model, variant, runtime, batch). Columns are appended, never
 * renamed or reordered silently: `SCHEMA_VERSION` changes when they do, and docs/reference.md's
 * column table is checked against this list by a test.
 */
export const SCHEMA_VERSION = 6;

export const COLUMNS = [
  // identity
  ['schema', 'CSV schema version'],
  ['run_id', 'id of the run (also the report file name)'],
  ['time', 'ISO time the row was measured'],
  ['suite', "suite name ('adhoc' for a plain `bench`)"],
  ['model', 'zoo entry, or the file name of a user ONNX model'],
  ['variant', "'fp32' as built, 'trained-fp32' as trained, or the compressed variant's name (e.g. 'qdq-u8s8-pc-entropy', 'prune-l1-0.5-ft')"],
  ['quant_mode', "'none', or the quantization mode"],
  ['calibration', "calibration method of static quantization, or 'none'"],
  ['prune_method', "'none', or the pruning method"],
  ['prune_ratio', 'pruning ratio in [0, 1)'],
  ['runtime', 'cpu | wasm | webgpu | webgpu-web | browser-wasm | browser-webgpu | browser-webnn'],
  ['provider', 'ORT execution provider asked for'],
  ['fallback_nodes', 'nodes that ran on another provider than asked (from ORT profiling); empty when unknown'],
  ['threads', 'intra-op threads (0 = ORT default)'],
  ['batch', 'batch size N'],
  ['preset', 'features preset the input was computed with'],
  ['input_shape', 'input tensor shape, e.g. 1x1x64x126; a model with several inputs names each: `input=[1,512] state=[2,1,128] sr=[]`'],
  ['input_sha256', "sha256 of the input tensor bytes: identical across runtimes of a run; with several inputs, sha256 over each input's name, dtype, dims and bytes in input order"],
  // size and cost
  ['params', 'learned parameters, each tensor once wherever the model reads it (subgraphs included): Conv/Gemm/MatMul weights and biases, BN scale and shift, LSTM/GRU/RNN W, R, B (src/export/cost.ts)'],
  ['nonzero_params', 'parameters not exactly zero'],
  ['macs', 'multiply-accumulates per sample at batch-1 shapes (Conv, Gemm, MatMul, LSTM/GRU/RNN per time step x sequence length, If/Loop/Scan bodies); empty when any shape is unknown'],
  ['model_bytes', 'bytes of the ONNX file'],
  ['gzip_bytes', 'bytes of the ONNX file after gzip -9'],
  // quality
  ['macro_f1', 'held-out macro-F1 (empty for an untrained model)'],
  ['accuracy', 'held-out accuracy (empty for an untrained model)'],
  ['precision', 'held-out macro precision (empty for an untrained model)'],
  ['recall', 'held-out macro recall (empty for an untrained model)'],
  ['agreement_fp32', 'fraction of samples whose top-1 class agrees with the fp32 model on cpu (tie-aware: within close_atol + close_rtol of the top score): over the whole test split for a trained model, else over the timed batch; empty when the first output is not class scores (agreement_note)'],
  ['max_abs_diff', 'max |output - fp32 cpu reference| over all outputs'],
  // speed
  ['session_create_ms', 'time to create the session from bytes'],
  ['first_run_ms', 'latency of the first run (includes lazy initialisation, shader compilation)'],
  ['mean_ms', 'mean latency of the timed samples'],
  ['p50_ms', 'median latency'],
  ['p90_ms', '90th percentile latency'],
  ['p99_ms', '99th percentile latency'],
  ['min_ms', 'fastest sample'],
  ['std_ms', 'standard deviation of the samples'],
  ['rme_pct', 'relative margin of error of the mean at 95% confidence, %'],
  ['samples', 'number of timed runs'],
  ['warmup', 'number of warm-up runs before timing'],
  ['throughput_per_s', 'clips per second at the median: batch / p50'],
  ['test_set_ms', 'time to evaluate the whole held-out set (empty for an untrained model)'],
  // outcome and environment
  ['status', 'ok | unavailable | unsupported | crashed | timeout | error | nonfinite'],
  ['error', 'one-line reason when status is not ok'],
  ['device', "adapter or CPU the runtime used; 'software' adapters are correctness checks, never speed claims"],
  ['software_adapter', 'true when the GPU is emulated on the CPU (SwiftShader)'],
  ['cpu', 'CPU model'],
  ['cores', 'logical cores'],
  ['node', 'Node.js version'],
  ['ort_version', 'onnxruntime package version of this runtime'],
  ['os', 'platform and kernel'],
  // added in schema 2
  ['kept_fp32', "nodes a compression pass left in float32 and why, '; '-separated, e.g. 'probs (Softmax): no quantized form'"],
  // added in schema 3
  ['runtime_init_ms', "the runtime's one-off initialisation in its process (availability check, then a one-node model opened and run once, e.g. ORT-web compiling its WebAssembly); session_create_ms no longer includes it"],
  ['warmup_converged', 'true: the warm-up reached steady state (three window medians in a row within 3%, after at least 2 s); false: it hit its cap (8 s or 1M runs); empty: a fixed --warmup'],
  ['cpu_flags', 'kernel-relevant CPU flags from /proc/cpuinfo (avx2, fma, avx512*, *vnni, amx_*, Arm asimd/i8mm/sve), space-separated'],
  ['mem_gib', 'total memory, GiB'],
  ['ort_node_version', 'onnxruntime-node package version'],
  ['ort_web_version', 'onnxruntime-web package version'],
  ['adapter_vendor', 'WebGPU adapter vendor (webgpu runtimes only)'],
  ['adapter_architecture', 'WebGPU adapter architecture (webgpu runtimes only)'],
  ['adapter_driver', "WebGPU adapter description, on Vulkan the driver's name and version (webgpu runtimes only)"],
  ['git_commit', "melbench's git commit (`git rev-parse HEAD`, '-dirty' when tracked files differ); empty when not a git checkout"],
  // added in schema 4: fidelity of a model file's compressed variant to the file (src/report/fidelity.ts)
  ['fidelity_inputs', "evaluation samples the fidelity columns are computed over, on cpu, disjoint from calibration (a model file's variants in `ablate --models file.onnx`; empty otherwise)"],
  ['fidelity_agreement', 'argmax agreement with the fp32 file over those samples, lowest over its classifier-like outputs ([rows, K], K >= 2); empty when it has none'],
  ['snr_db', 'signal-to-noise ratio of the outputs vs the fp32 file, 10 log10(sum r^2 / sum (y - r)^2), lowest over the outputs; Infinity when identical'],
  ['fidelity_max_abs_diff', 'max |y - r| over every output and sample vs the fp32 file'],
  ['sessions', 'independent sessions the cell was measured in (`--sessions`, default 1); the latency columns are over all their samples, the one-off costs and warmup the median over sessions'],
  // added in schema 5: agreement that survives ties, and a fidelity figure for every output (src/runners/output-diff.ts)
  ['close_fraction', 'fraction of all output elements within tolerance of the fp32 cpu reference: |y - y_ref| <= close_atol + close_rtol * |y_ref| (numpy.allclose, element by element); filled for every model'],
  ['close_atol', 'absolute tolerance of close_fraction and of the tie-aware agreement (`--atol`)'],
  ['close_rtol', 'relative tolerance of close_fraction and of the tie-aware agreement (`--rtol`)'],
  ['achieved', "what the variant's compression achieved against what was asked, e.g. '18 of 20 Conv/Gemm/MatMul node(s) quantized', 'sparsity 0.498 of 10,570 weights'; empty for a model as built"],
  ['agreement_note', 'why agreement_fp32 is empty: the first output is not class scores (a map of rank > 2, a last dim of 1, an integer output)'],
  // added in schema 6: what was in force while a row was timed, read from inside the runtime (src/runners/validity.ts)
  ['threads_used', "threads in force, read from the runtime once it started: ORT-web's env.wasm.numThreads (1 in Node, and in a page that is not cross-origin isolated); empty where the runtime does not report it (onnxruntime-node)"],
  ['cross_origin_isolated', 'browser runtimes: whether the page was crossOriginIsolated (SharedArrayBuffer, so WASM threads, and 5 us timers); empty for Node runtimes'],
  ['simd', 'WebAssembly SIMD available to the wasm build (WebAssembly.validate of a SIMD module); empty for runtimes that are not WebAssembly'],
  ['timer_resolution_us', 'smallest non-zero step of performance.now() seen in a short probe where the row was timed, microseconds'],
  ['runs_per_sample', 'runs timed together per sample (each sample is their mean); above 1 when a run is under 20x the timer resolution, so no sample is mostly clock quantisation'],
  ['browser', "browser runtimes: the browser and its version, e.g. 'chromium 156.0.8078.129'"],
] as const satisfies readonly (readonly [string, string])[];

export type Column = (typeof COLUMNS)[number][0];
export type Cell = string | number | boolean | null;
export type Row = Record<Column, Cell>;

export const COLUMN_NAMES: readonly Column[] = COLUMNS.map(([name]) => name);

/** A row with every column empty except the given ones. */
export function makeRow(values: Partial<Row>): Row {
  const row = Object.fromEntries(COLUMN_NAMES.map((c) => [c, null])) as Row;
  return Object.assign(row, { schema: SCHEMA_VERSION }, values);
}
