#!/usr/bin/python3
"""Tiny recurrent models exported by PyTorch, for the cost model's parameter and MAC counts.

Writes test/data/tiny-<name>.onnx for each model below and test/data/tiny-rnns.json with, per
model, PyTorch's own parameter count, sum(p.numel() for p in module.parameters()), and what the
export was fed (input 'x' [seq, 1, features], sequence-first). CI has no torch: the files are
committed, and regenerated with
    /usr/bin/python3 test/data/make_tiny_rnns.py   (torch 1.13, onnx 1.12)
Each model is one nn.LSTM / nn.GRU / nn.RNN followed by nothing, so ONNX's W, R and B are all the
parameters there are (PyTorch's b_ih + b_hh are ONNX's B).
"""
import json
import os

import torch

SEQ = 7
FEATURES = 5
HIDDEN = 6

MODELS = {
    "lstm": lambda: torch.nn.LSTM(FEATURES, HIDDEN),
    "lstm-bidirectional": lambda: torch.nn.LSTM(FEATURES, HIDDEN, bidirectional=True),
    "lstm-2layer": lambda: torch.nn.LSTM(FEATURES, HIDDEN, num_layers=2),
    "gru": lambda: torch.nn.GRU(FEATURES, HIDDEN),
    "gru-bidirectional-2layer": lambda: torch.nn.GRU(FEATURES, HIDDEN, num_layers=2, bidirectional=True),
    "rnn": lambda: torch.nn.RNN(FEATURES, HIDDEN),
}


class Outputs(torch.nn.Module):
    """The recurrent module's sequence output only (its final states are not needed)."""

    def __init__(self, rnn: torch.nn.Module):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        return self.rnn(x)[0]


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    counts = {}
    for i, (name, make) in enumerate(MODELS.items()):
        torch.manual_seed(20261207 + i)
        module = Outputs(make()).eval()
        x = torch.randn(SEQ, 1, FEATURES)
        path = os.path.join(here, f"tiny-{name}.onnx")
        torch.onnx.export(module, (x,), path, input_names=["x"], output_names=["y"], opset_version=14, dynamic_axes={"x": {0: "seq"}, "y": {0: "seq"}})
        rnn = module.rnn
        counts[name] = {
            "params": sum(p.numel() for p in module.parameters()),
            "input": [SEQ, 1, FEATURES],
            "hidden": HIDDEN,
            "layers": rnn.num_layers,
            "directions": 2 if rnn.bidirectional else 1,
        }
        print(f"wrote {path} ({os.path.getsize(path)} bytes), {counts[name]['params']} params")
    with open(os.path.join(here, "tiny-rnns.json"), "w") as f:
        json.dump(counts, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
