#!/usr/bin/env python3
"""MNIST's 60,000 training rows repeated `scale` times, as raw IDX and as CSV, for the data
benchmark (submit/bench-data). Standard library only.

    python3 src/test/python/scaled_mnist.py SCALE OUT_DIR [--csv]

Writes OUT_DIR/train-images-idx3-ubyte, OUT_DIR/train-labels-idx1-ubyte (raw IDX: splittable by
record) and, with --csv, OUT_DIR/train.csv (label first, then the 784 pixel values, no header).
Files that exist with the right size are kept.
"""
import gzip
import os
import struct
import sys


def main():
    scale = int(sys.argv[1])
    out = sys.argv[2]
    csv = "--csv" in sys.argv[3:]
    home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    with gzip.open(os.path.join(home, "data/mnist/train-images-idx3-ubyte.gz")) as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        pixels = f.read()
    with gzip.open(os.path.join(home, "data/mnist/train-labels-idx1-ubyte.gz")) as f:
        f.read(8)
        labels = f.read()
    os.makedirs(out, exist_ok=True)
    images = os.path.join(out, "train-images-idx3-ubyte")
    if not os.path.exists(images) or os.path.getsize(images) != 16 + scale * len(pixels):
        with open(images + ".tmp", "wb") as f:
            f.write(struct.pack(">IIII", magic, n * scale, rows, cols))
            for _ in range(scale):
                f.write(pixels)
        os.replace(images + ".tmp", images)
    label_file = os.path.join(out, "train-labels-idx1-ubyte")
    if not os.path.exists(label_file) or os.path.getsize(label_file) != 8 + scale * n:
        with open(label_file + ".tmp", "wb") as f:
            f.write(struct.pack(">II", 0x801, n * scale))
            for _ in range(scale):
                f.write(labels)
        os.replace(label_file + ".tmp", label_file)
    if csv:
        path = os.path.join(out, "train.csv")
        size = rows * cols
        text = "".join(
            str(labels[i]) + "," + ",".join(map(str, pixels[i * size:(i + 1) * size])) + "\n"
            for i in range(n)).encode()
        if not os.path.exists(path) or os.path.getsize(path) != scale * len(text):
            with open(path + ".tmp", "wb") as f:
                for _ in range(scale):
                    f.write(text)
            os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
