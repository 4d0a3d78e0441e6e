#!/usr/bin/python3
"""Tiny CNN fixture for the runner tests: Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> Softmax.

Input 'x' [N,1,16,20] float32 (a 16-mel x 20-frame patch), output 'probs' [N,4].
Weights are drawn from a seeded generator, so the file is byte-for-byte reproducible:
    /usr/bin/python3 test/data/make_tiny_cnn.py   (Debian python3-onnx 1.12; numpy is not needed)
"""
import os
import random

import onnx
from onnx import TensorProto, helper

SEED = 20261101
CHANNELS = 8
CLASSES = 4


def weights(rng: random.Random, name: str, dims: list, scale: float) -> onnx.TensorProto:
    count = 1
    for d in dims:
        count *= d
    return helper.make_tensor(name, TensorProto.FLOAT, dims, [rng.gauss(0.0, scale) for _ in range(count)])


def main() -> None:
    rng = random.Random(SEED)
    conv_w = weights(rng, "conv_w", [CHANNELS, 1, 3, 3], 0.5)
    conv_b = weights(rng, "conv_b", [CHANNELS], 0.1)
    fc_w = weights(rng, "fc_w", [CLASSES, CHANNELS], 0.5)
    fc_b = weights(rng, "fc_b", [CLASSES], 0.1)

    nodes = [
        helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["conv"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv"], ["relu"], name="relu"),
        helper.make_node("GlobalAveragePool", ["relu"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        # NOTE: transB=1 so fc_w keeps the [out, in] layout of a PyTorch Linear.
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 16, 20])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", CLASSES])],
        initializer=[conv_w, conv_b, fc_w, fc_b],
    )
    model = helper.make_model(graph, producer_name="melbench-test", opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny-cnn.onnx")
    onnx.save(model, out)
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
