#!/usr/bin/env python3
"""
PyTorch peer of melbench's seed-000 ResNets ('resnet', 'dws-resnet'; src/graph/zoo/lim2021.ts),
for the training benchmarks (benchmarks/train-speed.ts, benchmarks/train-vs-torch.ts).

Architecture, exactly as melbench builds it:
  (x - mean) / std                      input standardisation (src/train/normalize.ts)
  stem   Conv3x3(C->64, pad 1, no bias) -> BN -> ReLU
  3x     MaxPool 2x2 (floor) -> h + Block(h)
           resnet      Block = ConvBlock 1x1 -> ConvBlock 3x3 (each Conv, no bias -> BN -> ReLU)
           dws-resnet  Block = depthwise Conv3x3 -> BN -> ReLU -> pointwise 1x1 -> BN -> ReLU
  head   global average pool -> Linear(64 -> classes)
BN: eps 1e-5, momentum 0.1 (ONNX 0.9), unbiased running variance, as in training-graph.ts.
Init: He-normal convs (std sqrt(2 / fan_in), fan_in = C/groups * kh * kw), Glorot-uniform
Linear (a = sqrt(6 / (in + out))), zero biases, BN gamma 1 beta 0, running mean 0 var 1.
Or --init: melbench's own initial tensors (a raw float32 file + their names and dims, in graph
order), so both start from the same weights.

Modes
  --speed   training steps/s on random data, SGD momentum 0.9 wd 1e-4; one JSON line
            {samples_per_s, step_ms, torch_version, threads}. With --serve it stays up and
            reads step counts from stdin, one per line, answering one JSON line each (for
            interleaved A/B rounds without re-importing torch).
  --train   trains on the features of --meta / --features, evaluates macro-F1 on val and test
            every epoch (eval mode, running BN statistics), one JSON line per epoch.
            The learning rate follows melbench's schedule per step (src/train/schedule.ts);
            AdamW / SGD updates are PyTorch's, which training-graph.ts reproduces.
"""
import argparse
import json
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FILTERS = 64


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-5, momentum=0.1)


class ConvBlock(nn.Module):
    def __init__(self, cin, cout, k=3):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, padding=k // 2, bias=False)
        self.bn = bn(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class DwsBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.bn1 = bn(cin)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn2 = bn(cout)

    def forward(self, x):
        return F.relu(self.bn2(self.pointwise(F.relu(self.bn1(self.depthwise(x))))))


class Bottleneck(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1x1 = ConvBlock(FILTERS, FILTERS, 1)
        self.conv3x3 = ConvBlock(FILTERS, FILTERS, 3)

    def forward(self, x):
        return self.conv3x3(self.conv1x1(x))


class Stage(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.block = Bottleneck() if kind == 'conv' else DwsBlock(FILTERS, FILTERS)

    def forward(self, x):
        h = F.max_pool2d(x, 2)
        return h + self.block(h)


class Lim2021ResNet(nn.Module):
    def __init__(self, kind, channels, classes, mean=0.0, std=1.0):
        super().__init__()
        self.register_buffer('in_mean', torch.tensor(float(mean)), persistent=False)
        self.register_buffer('in_std', torch.tensor(float(std)), persistent=False)
        self.stem = ConvBlock(channels, FILTERS, 3)
        self.stages = nn.ModuleList([Stage(kind) for _ in range(3)])
        self.head = nn.Linear(FILTERS, classes)
        self.reset_parameters()

    def reset_parameters(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_in))
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
                m.reset_running_stats()
            elif isinstance(m, nn.Linear):
                a = math.sqrt(6.0 / (m.in_features + m.out_features))
                nn.init.uniform_(m.weight, -a, a)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        h = self.stem((x - self.in_mean) / self.in_std)
        for s in self.stages:
            h = s(h)
        return self.head(torch.flatten(F.adaptive_avg_pool2d(h, 1), 1))

    def ordered_tensors(self):
        """Parameters and BN running statistics in melbench's initializer order."""
        return [(k, v) for k, v in self.state_dict(keep_vars=True).items() if not k.endswith('num_batches_tracked')]


KINDS = {'resnet': 'conv', 'dws-resnet': 'dws'}


def build(model, channels, classes, mean=0.0, std=1.0):
    if model not in KINDS:
        raise SystemExit(f"resnet_peer.py: unknown --model '{model}'; choose from {', '.join(KINDS)}")
    return Lim2021ResNet(KINDS[model], channels, classes, mean, std)


def load_init(net, spec):
    """Copies melbench's initial tensors (spec: {file, tensors: [{name, dims}]}) into net, by order."""
    raw = np.fromfile(spec['file'], dtype='<f4')
    ours = net.ordered_tensors()
    theirs = spec['tensors']
    if len(ours) != len(theirs):
        raise SystemExit(f'resnet_peer.py: --init has {len(theirs)} tensors, the model has {len(ours)}')
    off = 0
    with torch.no_grad():
        for (k, v), t in zip(ours, theirs):
            n = int(np.prod(t['dims'])) if t['dims'] else 1
            if list(v.shape) != list(t['dims']):
                raise SystemExit(f"resnet_peer.py: init tensor {t['name']} {t['dims']} does not match {k} {list(v.shape)}")
            v.copy_(torch.from_numpy(raw[off:off + n].reshape(t['dims']).copy()))
            off += n
    if off != raw.size:
        raise SystemExit(f'resnet_peer.py: --init file holds {raw.size} floats, the tensors need {off}')


def make_optimizer(kind, params, lr, momentum, beta2, eps, wd):
    if kind == 'sgd':
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)
    if kind == 'adamw':
        return torch.optim.AdamW(params, lr=lr, betas=(momentum, beta2), eps=eps, weight_decay=wd)
    if kind == 'adam':
        return torch.optim.Adam(params, lr=lr, betas=(momentum, beta2), eps=eps, weight_decay=wd)
    raise SystemExit(f"resnet_peer.py: unknown --optimizer '{kind}'")


def learning_rate(kind, base, epoch, epochs):
    """src/train/schedule.ts, evaluated per step with fractional epochs."""
    t = epoch / epochs if epochs > 0 else 0.0
    if kind == 'constant':
        return base
    if kind == 'cosine':
        return base * (1 + math.cos(math.pi * t)) / 2
    if kind == 'step':
        return base * 0.1 ** math.floor(epoch / max(1, round(epochs / 3)))
    if kind == 'sigmoid':
        return base / (1 + math.exp(10 * (t - 0.5)))
    raise SystemExit(f"resnet_peer.py: unknown --schedule '{kind}'")


def macro_f1(truth, pred, k):
    """src/train/metrics.ts: mean over all k classes, F1 0 where P + R = 0."""
    c = np.zeros((k, k), dtype=np.int64)
    np.add.at(c, (truth, pred), 1)
    tp = np.diag(c).astype(np.float64)
    predicted = c.sum(axis=0)
    actual = c.sum(axis=1)
    p = np.divide(tp, predicted, out=np.zeros(k), where=predicted > 0)
    r = np.divide(tp, actual, out=np.zeros(k), where=actual > 0)
    f = np.divide(2 * p * r, p + r, out=np.zeros(k), where=(p + r) > 0)
    return float(f.mean()), float(tp.sum() / max(1, c.sum()))


def evaluate(net, x, y, k, chunk=64):
    net.eval()
    preds = []
    with torch.no_grad():
        for s in range(0, x.shape[0], chunk):
            preds.append(net(x[s:s + chunk]).argmax(dim=1).numpy())
    net.train()
    return macro_f1(y, np.concatenate(preds), k)


def speed(a):
    c, m, t = a.input
    net = build(a.model, c, a.classes)
    net.train()
    opt = make_optimizer('sgd', net.parameters(), 0.01, 0.9, 0.999, 1e-8, 1e-4)
    g = torch.Generator().manual_seed(a.seed)
    x = torch.randn(a.batch, c, m, t, generator=g)
    y = torch.randint(0, a.classes, (a.batch,), generator=g)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss

    def timed(n):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        dt = (time.perf_counter() - t0) / n
        return {'samples_per_s': a.batch / dt, 'step_ms': dt * 1000, 'steps': n, 'torch_version': torch.__version__, 'threads': torch.get_num_threads()}

    for _ in range(a.warmup):
        step()
    if not a.serve:
        print(json.dumps(timed(a.steps)), flush=True)
        return
    print(json.dumps({'ready': True, 'torch_version': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line or line == 'quit':
            break
        print(json.dumps(timed(int(line))), flush=True)


def train(a):
    with open(a.meta) as f:
        meta = json.load(f)
    dims = meta['dims']
    k = len(meta['classes'])
    per = int(np.prod(dims))
    raw = np.fromfile(a.features, dtype='<f4')
    splits = {}
    off = 0
    for name in ('train', 'val', 'test'):
        n = len(meta['labels'][name])
        splits[name] = (torch.from_numpy(raw[off:off + n * per].reshape([n] + dims).copy()), np.asarray(meta['labels'][name], dtype=np.int64))
        off += n * per
    if off != raw.size:
        raise SystemExit(f'resnet_peer.py: {a.features} holds {raw.size} floats, the meta says {off}')

    torch.manual_seed(a.seed)
    net = build(a.model, dims[0], k, meta['mean'], meta['std'])
    if meta.get('init'):
        load_init(net, meta['init'])
    net.train()
    opt = make_optimizer(a.optimizer, net.parameters(), a.lr, a.momentum, a.beta2, a.eps, a.weight_decay)
    xtr, ytr = splits['train']
    ytr_t = torch.from_numpy(ytr)
    n = ytr.shape[0]
    steps_per_epoch = n // a.batch
    orders = meta.get('orders')
    g = torch.Generator().manual_seed(a.seed)
    for epoch in range(a.epochs):
        t0 = time.perf_counter()
        order = torch.tensor(orders[epoch]) if orders and epoch < len(orders) else torch.randperm(n, generator=g)
        losses = []
        for st in range(steps_per_epoch):
            idx = order[st * a.batch:(st + 1) * a.batch]
            lr = learning_rate(a.schedule, a.lr, epoch + st / steps_per_epoch, a.epochs)
            for group in opt.param_groups:
                group['lr'] = lr
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(xtr[idx]), ytr_t[idx])
            loss.backward()
            opt.step()
            losses.append(float(loss))
        secs = time.perf_counter() - t0
        vf1, vacc = evaluate(net, *splits['val'], k)
        tf1, tacc = evaluate(net, *splits['test'], k)
        rec = {'epoch': epoch + 1, 'loss': float(np.mean(losses)), 'lr': learning_rate(a.schedule, a.lr, epoch + 1, a.epochs),
               'val_macro_f1': vf1, 'val_accuracy': vacc, 'test_macro_f1': tf1, 'test_accuracy': tacc, 'seconds': secs}
        if a.step_losses:
            rec['step_losses'] = losses
        print(json.dumps(rec), flush=True)


def main():
    p = argparse.ArgumentParser(description='PyTorch peer of melbench seed-000 ResNets')
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument('--speed', action='store_true')
    mode.add_argument('--train', action='store_true')
    p.add_argument('--model', default='resnet', choices=sorted(KINDS))
    p.add_argument('--threads', type=int, default=0, help='intra-op threads (0: torch default)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--batch', type=int, default=32)
    # --speed
    p.add_argument('--input', default='1,64,126', help='C,M,T of one clip')
    p.add_argument('--classes', type=int, default=12)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--serve', action='store_true', help='read step counts from stdin, one JSON line per count')
    # --train
    p.add_argument('--features')
    p.add_argument('--meta')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--schedule', default='cosine')
    p.add_argument('--optimizer', default='adamw', choices=['sgd', 'adam', 'adamw'])
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--beta2', type=float, default=0.999)
    p.add_argument('--eps', type=float, default=1e-8)
    p.add_argument('--weight-decay', type=float, default=1e-4)
    p.add_argument('--step-losses', action='store_true', help='add each step\'s loss to the epoch lines')
    a = p.parse_args()
    a.input = [int(v) for v in a.input.split(',')]
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.speed:
        speed(a)
    else:
        if not a.features or not a.meta:
            raise SystemExit('resnet_peer.py: --train needs --features and --meta')
        train(a)


if __name__ == '__main__':
    main()
