#!/usr/bin/env python3
"""The PyTorch twin of Gradspark's MNIST configs, run by hand (not by CI), for the README's
performance table. It trains what the config trains, on the same data:

- data: data/mnist, the first 50,000 training images (the config holds out the last 10,000 for
  validation; --holdout 0 trains on all 60,000), pixels x 1/255, the 10,000 test images;
- network: 784-H-10, ReLU, softmax cross-entropy (mean over the batch);
- init: he-normal, weights N(0, 2 / fan_in), biases 0 (every layer, as Gradspark's he-normal);
- optimizer: torch.optim.SGD with momentum (heavy-ball, Gradspark's default form: v = mu v + g,
  w -= lr v), no weight decay (the configs' 0);
- schedule: Gradspark's, per step t of T in all: a linear warmup over W steps,
  peak x (t + 1) / W, then the cosine min + (peak - min)(1 + cos(pi (t - W) / (T - W))) / 2 over
  the rest, the linear scaling rule applied to both rates;
- batches: a new random order every epoch, the last short batch kept.

Batch orders and initial values come from PyTorch's generator, not Gradspark's, so accuracies
agree in distribution, not digit for digit. Seconds per epoch count the training steps only;
the test set is evaluated after each epoch, untimed, and "s to 97%" sums the epochs' seconds up to
the first epoch whose test accuracy reaches the target, as `gradspark bench` does.

  /usr/bin/python3 src/test/python/mnist_twin.py --preset mnist --threads 2
  /usr/bin/python3 src/test/python/mnist_twin.py --preset mnist-fast --threads 2 --seeds 42,43,44

Needs NumPy and PyTorch (Debian: apt-get install python3-torch).
"""
import argparse
import gzip
import json
import math
import os
import struct
import time

import numpy as np
import torch

# The optimizer settings of the shipped configs (conf/mnist.conf, conf/mnist-fast.conf).
PRESETS = {
    "mnist": dict(layers=[784, 64, 10], batch=256, lr=0.3, min_lr=0.0, momentum=0.9,
                  epochs=4, warmup_steps=0, warmup_epochs=0, base_batch=0),
    "mnist-fast": dict(layers=[784, 192, 10], batch=512, lr=0.8, min_lr=0.0, momentum=0.9,
                       epochs=2, warmup_steps=0, warmup_epochs=1, base_batch=0),
}


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows * cols)
    return np.frombuffer(data, np.uint8, offset=8)


def rate(t, total, steps_per_epoch, s):
    """Gradspark's LearningRateSchedule: Warmup(Scaled(Cosine)) at global step t of total."""
    factor = s["batch"] / s["base_batch"] if s["base_batch"] else 1.0
    peak, low = s["lr"] * factor, s["min_lr"] * factor
    w = s["warmup_steps"] or s["warmup_epochs"] * steps_per_epoch
    w = min(w, total)
    if t < w:
        return peak * (t + 1) / w
    progress = (t - w) / (total - w)
    return low + (peak - low) * (1 + math.cos(math.pi * progress)) / 2


def train(s, seed, threads, dtype, holdout, target, data_dir):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x = idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    y = idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    n = len(x) - holdout
    xt = torch.tensor(x[:n], dtype=dtype) / 255.0
    yt = torch.tensor(y[:n], dtype=torch.long)
    xs = torch.tensor(idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz")), dtype=dtype) / 255.0
    ys = torch.tensor(idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz")), dtype=torch.long)
    layers = []
    for a, b in zip(s["layers"][:-1], s["layers"][1:]):
        lin = torch.nn.Linear(a, b).to(dtype)
        torch.nn.init.normal_(lin.weight, 0.0, math.sqrt(2.0 / a))
        torch.nn.init.zeros_(lin.bias)
        layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    opt = torch.optim.SGD(model.parameters(), lr=s["lr"], momentum=s["momentum"])
    loss_fn = torch.nn.CrossEntropyLoss()
    steps_per_epoch = (n + s["batch"] - 1) // s["batch"]
    total = steps_per_epoch * s["epochs"]
    history, t, seconds, reached = [], 0, 0.0, None
    for epoch in range(s["epochs"]):
        order = torch.randperm(n)
        start = time.perf_counter()
        for k in range(steps_per_epoch):
            ids = order[k * s["batch"]:(k + 1) * s["batch"]]
            for g in opt.param_groups:
                g["lr"] = rate(t, total, steps_per_epoch, s)
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xt[ids]), yt[ids]).backward()
            opt.step()
            t += 1
        epoch_seconds = time.perf_counter() - start
        seconds += epoch_seconds
        with torch.no_grad():
            acc = (model(xs).argmax(1) == ys).double().mean().item()
        if reached is None and acc >= target:
            reached = seconds
        history.append({"epoch": epoch + 1, "seconds": epoch_seconds, "test_accuracy": acc})
        print(f"  seed {seed} epoch {epoch + 1}: {epoch_seconds:.3f} s, test accuracy {100 * acc:.2f}%")
    return {"seed": seed, "history": history, "seconds_to_target": reached,
            "steps_per_epoch": steps_per_epoch,
            "epoch_seconds_median": float(np.median([h["seconds"] for h in history])),
            "final_test_accuracy": history[-1]["test_accuracy"]}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="mnist")
    ap.add_argument("--seeds", default="42", help="comma-separated, one training each")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--holdout", type=int, default=10000)
    ap.add_argument("--target-accuracy", type=float, default=0.97)
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "..", "data", "mnist"))
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    s = PRESETS[a.preset]
    dtype = torch.float32 if a.dtype == "float32" else torch.float64
    print(f"PyTorch {torch.__version__}, {a.threads} threads, {a.dtype}, preset {a.preset}: {s}")
    runs = [train(s, int(seed), a.threads, dtype, a.holdout, a.target_accuracy, a.data)
            for seed in a.seeds.split(",")]
    for r in runs:
        to = r["seconds_to_target"]
        print(f"seed {r['seed']}: {r['epoch_seconds_median']:.3f} s/epoch (median), "
              f"{'-' if to is None else f'{to:.2f}'} s to {100 * a.target_accuracy:g}%, "
              f"final test accuracy {100 * r['final_test_accuracy']:.2f}%")
    accs = [r["final_test_accuracy"] for r in runs]
    print(f"mean final test accuracy {100 * np.mean(accs):.2f}% over {len(runs)} seed(s)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": a.threads, "dtype": a.dtype,
                       "preset": a.preset, "settings": s, "runs": runs}, f, indent=2)


if __name__ == "__main__":
    main()
