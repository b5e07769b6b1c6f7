#!/usr/bin/env python3
"""A high-dimensional sparse LIBSVM dataset with a planted linear model, for the sparse benchmark
(submit/bench-data) and the 1 GB run in src/site/markdown/data-formats.md. Needs NumPy.

    python3 src/test/python/sparse_libsvm.py OUT_DIR [ROWS [FEATURES [NONZEROS [TEST_ROWS]]]]

Defaults: 200,000 training rows of 100,000 features with NONZEROS = 50 nonzeros each (distinct
indices drawn uniformly, values uniform in (0, 1] with 3 decimals), and 20,000 test rows from the
same distribution. A weight vector w ~ N(0, 1) over all features is drawn once (seed 25); a row's
label is 1 when w.x > 0, else 0, with 2% of labels flipped, so a linear model can reach about
98% and chance is 50%. Writes OUT_DIR/train.libsvm and OUT_DIR/test.libsvm (1-based indices);
files that exist are kept.
"""
import os
import sys

import numpy as np


def write(path, rows, features, nonzeros, w, rng):
    if os.path.exists(path):
        return
    tmp = path + ".partial"
    with open(tmp, "w") as f:
        for start in range(0, rows, 10_000):
            n = min(10_000, rows - start)
            # distinct indices per row: the smallest `nonzeros` of random keys would cost
            # n x features; drawing with replacement and redrawing duplicates is cheaper
            idx = np.sort(rng.integers(0, features, size=(n, nonzeros)), axis=1)
            dup = np.any(idx[:, 1:] == idx[:, :-1], axis=1)
            while dup.any():
                idx[dup] = np.sort(rng.integers(0, features, size=(dup.sum(), nonzeros)), axis=1)
                dup = np.any(idx[:, 1:] == idx[:, :-1], axis=1)
            val = rng.integers(1, 1001, size=(n, nonzeros)) / 1000.0
            label = (np.sum(w[idx] * val, axis=1) > 0).astype(int)
            flip = rng.random(n) < 0.02
            label[flip] = 1 - label[flip]
            lines = []
            for r in range(n):
                pairs = " ".join(f"{i + 1}:{v:g}" for i, v in zip(idx[r].tolist(), val[r].tolist()))
                lines.append(f"{label[r]} {pairs}")
            f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    features = int(sys.argv[3]) if len(sys.argv) > 3 else 100_000
    nonzeros = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    test_rows = int(sys.argv[5]) if len(sys.argv) > 5 else 20_000
    os.makedirs(out, exist_ok=True)
    w = np.random.default_rng(25).standard_normal(features)
    write(os.path.join(out, "train.libsvm"), rows, features, nonzeros, w,
          np.random.default_rng(26))
    write(os.path.join(out, "test.libsvm"), test_rows, features, nonzeros, w,
          np.random.default_rng(27))


if __name__ == "__main__":
    main()
