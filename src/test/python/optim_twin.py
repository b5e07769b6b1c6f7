#!/usr/bin/env python3
"""Gradspark's optimizers against torch.optim, run by hand (not by CI): max parameter difference.

For each method (sgd with heavy-ball momentum, adam, adamw, rmsprop, adagrad), all with weight
decay on the weights (not the biases: two torch parameter groups) and gradient clipping, this
script trains the same small network twice from the same initial model.npz on the same batches:

- once with `submit/gradspark train` (float64, training.engine as --engine says),
- once with torch.optim in float64: the batch-mean cross-entropy, backward,
  torch.nn.utils.clip_grad_norm_, then optimizer.step(),

and prints max |w_gradspark - w_torch| over all parameters. The batches are exactly reproducible
without exporting any ids: training.shuffle = false makes every epoch take the rows in file
order, batch k = rows [k B, (k + 1) B), the last short batch kept, which is what the loop below
does. The data (a CSV of Gaussian features and labels) and the initial model (model.npz in
Gradspark's format: W1, b1, ... plus model.json, loaded with model.init-from) are written by this
script from a fixed NumPy seed; a checkpoint-free run with no validation or test set.

  /usr/bin/python3 src/test/python/optim_twin.py            # every method, local engine
  /usr/bin/python3 src/test/python/optim_twin.py --engine spark --methods adam,adamw

Needs NumPy and PyTorch (Debian: apt-get install python3-torch).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import torch

LAYERS = [5, 8, 3]
ROWS = 203  # with batch 16: 12 full batches and a short one of 11
BATCH = 16
EPOCHS = 3
WEIGHT_DECAY = 0.01
CLIP = 0.5

# method -> (Gradspark settings, torch optimizer factory over the two parameter groups)
METHODS = {
    "sgd": (dict(lr=0.1, extra=["optimizer.momentum=0.9", "optimizer.form=heavy-ball"]),
            lambda groups: torch.optim.SGD(groups, lr=0.1, momentum=0.9)),
    "adam": (dict(lr=0.01, extra=["optimizer.beta1=0.85", "optimizer.beta2=0.99"]),
             lambda groups: torch.optim.Adam(groups, lr=0.01, betas=(0.85, 0.99), eps=1e-8)),
    "adamw": (dict(lr=0.01, extra=[]),
              lambda groups: torch.optim.AdamW(groups, lr=0.01, betas=(0.9, 0.999), eps=1e-8)),
    "rmsprop": (dict(lr=0.005, extra=["optimizer.alpha=0.95"]),
                lambda groups: torch.optim.RMSprop(groups, lr=0.005, alpha=0.95, eps=1e-8)),
    "adagrad": (dict(lr=0.05, extra=[]),
                lambda groups: torch.optim.Adagrad(groups, lr=0.05, eps=1e-10)),
}


def write_data(path, rng):
    x = rng.normal(size=(ROWS, LAYERS[0]))
    centers = rng.normal(size=(LAYERS[-1], LAYERS[0]))
    y = np.argmin(((x[:, None, :] - centers[None]) ** 2).sum(-1)
                  + rng.normal(scale=0.5, size=(ROWS, LAYERS[-1])), axis=1)
    with open(path, "w") as f:
        for row, label in zip(x, y):
            # repr: the shortest text that reads back as the same double in Java and Python
            f.write(",".join([str(int(label))] + [repr(float(v)) for v in row]) + "\n")
    return np.array([[float(repr(float(v))) for v in row] for row in x]), y


def write_model(path, params):
    """Gradspark's model.npz: W1, b1, ... as .npy entries (stored) plus model.json."""
    np.savez(path, **params)
    description = {"format": "gradspark-model", "version": 1, "layers": LAYERS,
                   "activations": ["tanh"] * (len(LAYERS) - 2),
                   "leaky_slopes": [0.01] * (len(LAYERS) - 2), "head": "softmax",
                   "input_scale": 1.0, "one_vs_all": -1}
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as z:
        z.writestr("model.json", json.dumps(description))


def initial_params(rng):
    p = {}
    for l, (a, b) in enumerate(zip(LAYERS[:-1], LAYERS[1:]), start=1):
        p[f"W{l}"] = rng.normal(scale=1 / np.sqrt(a), size=(b, a))
        p[f"b{l}"] = rng.normal(scale=0.1, size=b)  # non-zero: decay must leave them alone
    return p


def train_torch(method, x, y, init):
    torch.manual_seed(0)
    linears = []
    for l, (a, b) in enumerate(zip(LAYERS[:-1], LAYERS[1:]), start=1):
        lin = torch.nn.Linear(a, b).double()
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(init[f"W{l}"]))
            lin.bias.copy_(torch.tensor(init[f"b{l}"]))
        linears.append(lin)
    layers = []
    for lin in linears[:-1]:
        layers += [lin, torch.nn.Tanh()]
    model = torch.nn.Sequential(*layers, linears[-1])
    decay = WEIGHT_DECAY
    groups = [{"params": [lin.weight for lin in linears], "weight_decay": decay},
              {"params": [lin.bias for lin in linears], "weight_decay": 0.0}]
    opt = METHODS[method][1](groups)
    xt = torch.tensor(x, dtype=torch.float64)
    yt = torch.tensor(y, dtype=torch.long)
    loss_fn = torch.nn.CrossEntropyLoss()
    clipped = 0
    for _ in range(EPOCHS):
        for start in range(0, ROWS, BATCH):
            opt.zero_grad(set_to_none=True)
            loss_fn(model(xt[start:start + BATCH]), yt[start:start + BATCH]).backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            clipped += int(norm > CLIP)
            opt.step()
    out = {}
    for l, lin in enumerate(linears, start=1):
        out[f"W{l}"] = lin.weight.detach().numpy()
        out[f"b{l}"] = lin.bias.detach().numpy()
    return out, clipped


def train_gradspark(method, launcher, work, data, init, engine):
    lr = METHODS[method][0]["lr"]
    out = os.path.join(work, "run-" + method)
    settings = [
        "data.train.format=csv", f"data.train.path=\"{data}\"", "data.train.label-column=0",
        f"model.layers={json.dumps(LAYERS)}", "model.activation=tanh", "model.head=softmax",
        f"model.init-from=\"{init}\"", f"training.epochs={EPOCHS}", f"training.batch-size={BATCH}",
        "training.shuffle=false", "training.checkpoint-every=off", f"training.engine={engine}",
        "training.partitions=2", f"optimizer.method={method}", f"optimizer.learning-rate={lr}",
        f"optimizer.weight-decay={WEIGHT_DECAY}", f"optimizer.clip-norm={CLIP}",
    ] + METHODS[method][0]["extra"]
    config = os.path.join(work, method + ".conf")
    with open(config, "w") as f:
        f.write("\n".join(settings) + "\n")
    cmd = [launcher, "train", "--config", config, "--out", out]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"gradspark failed for {method}:\n{r.stdout}\n{r.stderr}")
    first = r.stdout.splitlines()[0] if r.stdout else ""
    print(f"  {first}")
    with np.load(os.path.join(out, "model.npz")) as z:
        return {k: z[k] for k in z.files}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    home = os.path.normpath(os.path.join(here, "..", "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--engine", choices=["local", "spark"], default="local")
    ap.add_argument("--launcher", default=os.path.join(home, "submit", "gradspark"))
    a = ap.parse_args()
    torch.set_default_dtype(torch.float64)
    print(f"PyTorch {torch.__version__}, NumPy {np.__version__}; network {LAYERS} tanh/softmax, "
          f"{ROWS} rows, batch {BATCH}, {EPOCHS} epochs in file order, weight decay "
          f"{WEIGHT_DECAY} (weights only), clip-norm {CLIP}, engine {a.engine}")
    rng = np.random.default_rng(2024)
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="optim-twin-") as work:
        data = os.path.join(work, "train.csv")
        x, y = write_data(data, rng)
        init = initial_params(rng)
        init_file = os.path.join(work, "init.npz")
        write_model(init_file, init)
        for method in a.methods.split(","):
            theirs, clipped = train_torch(method, x, y, init)
            ours = train_gradspark(method, a.launcher, work, data, init_file, a.engine)
            diff = max(float(np.max(np.abs(ours[k] - theirs[k]))) for k in theirs)
            moved = max(float(np.max(np.abs(theirs[k] - init[k]))) for k in theirs)
            worst = max(worst, diff)
            print(f"{method:8s} max |w_gradspark - w_torch| = {diff:.3e} "
                  f"(parameters moved up to {moved:.3f} from the start; {clipped} of "
                  f"{EPOCHS * -(-ROWS // BATCH)} steps clipped)")
    print(f"worst over the methods: {worst:.3e}")


if __name__ == "__main__":
    main()
