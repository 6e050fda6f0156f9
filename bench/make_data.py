#!/usr/bin/python3
"""Write a dense synthetic regression/classification set as LIBSVM files, every feature stored.

    bench/make_data.py N D N_VAL SEED PREFIX    ->  PREFIX.train.svm, PREFIX.val.svm

x_ij ~ N(0, 1), y = x^T w_true + 0.1 N(0, 1) with w_true ~ N(0, 1) / sqrt(D) (logreg maps
y > 0 to +1).  Every entry is written (no zeros are dropped), so the files are a fully dense
matrix in a sparse format: the case storage=auto must read as fast as in-memory data.
Only the Python standard library and numpy (Debian's python3-numpy).
"""
import sys

import numpy as np


def write(path, X, y):
    with open(path, "w") as f:
        idx = [f"{j + 1}:" for j in range(X.shape[1])]
        for i in range(X.shape[0]):
            f.write(f"{y[i]:.17g} " + " ".join(a + f"{v:.17g}" for a, v in zip(idx, X[i])) + "\n")


def main():
    n, d, n_val, seed = (int(a) for a in sys.argv[1:5])
    prefix = sys.argv[5]
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(d) / np.sqrt(d)
    for part, rows in (("train", n), ("val", n_val)):
        X = rng.standard_normal((rows, d))
        y = X @ w + 0.1 * rng.standard_normal(rows)
        write(f"{prefix}.{part}.svm", X, y)


if __name__ == "__main__":
    main()
