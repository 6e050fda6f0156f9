#!/usr/bin/python3
"""The PyTorch baseline of `hgbench bench --vs-torch` (issue 19): ridge and logistic regression
with per-feature regularization weights e^theta, and the hypergradient by itd, aid-fp and aid-cg
written the way a PyTorch user writes them (hypertorch's style: autograd through the unrolled
loop for itd, autograd Hessian-vector products for the implicit methods), float64, one thread.

    torch_baseline.py PROBLEM TRAIN VAL STEP T K REPEAT METHOD[,METHOD...]

PROBLEM is ridge or logreg; TRAIN and VAL are the LIBSVM files hgbench read (the same d: the
largest feature index of both; logreg maps labels > 0 to +1, others to -1, as hgbench does);
STEP is hgbench's eta (it prints it); theta = -1 on every feature (hgbench's theta0), w0 = 0.
Prints one JSON object per method: {"method", "seconds" (median of REPEAT runs), "grad"}.
Exit 77 (CTest's skip) with a message on stderr when torch cannot be imported.
"""
import json
import sys
import time

try:
    import torch
except ImportError as e:  # pragma: no cover - the skip path
    print(f"torch_baseline.py: PyTorch is not importable by {sys.executable} ({e}); "
          "install Debian's python3-torch", file=sys.stderr)
    sys.exit(77)


def read_libsvm(path):
    """(row indices, column indices, values, labels, largest feature index) of a LIBSVM file."""
    ri, ci, vals, labels, d = [], [], [], [], 0
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            i = len(labels)
            labels.append(float(parts[0]))
            for tok in parts[1:]:
                j, v = tok.split(":")
                ri.append(i)
                ci.append(int(j) - 1)
                vals.append(float(v))
    d = max(ci) + 1 if ci else 0
    return ri, ci, vals, labels, d


def dense(entries, d):
    ri, ci, vals, labels, _ = entries
    X = torch.zeros(len(labels), d, dtype=torch.float64)
    if vals:
        X[torch.tensor(ri), torch.tensor(ci)] = torch.tensor(vals, dtype=torch.float64)
    return X


def make_problem(name, train, val):
    tr, va = read_libsvm(train), read_libsvm(val)
    d = max(tr[4], va[4])
    X, Xv = dense(tr, d), dense(va, d)
    y = torch.tensor(tr[3], dtype=torch.float64)
    y_v = torch.tensor(va[3], dtype=torch.float64)
    if name == "logreg":
        y = torch.where(y > 0, 1.0, -1.0).to(torch.float64)
        y_v = torch.where(y_v > 0, 1.0, -1.0).to(torch.float64)

        def loss(w, X, y):
            return torch.nn.functional.softplus(-y * (X @ w)).mean()
    else:
        def loss(w, X, y):
            r = X @ w - y
            return 0.5 * (r @ r) / X.shape[0]

    def g(w, theta):  # the lower objective
        return loss(w, X, y) + 0.5 * (torch.exp(theta) * w * w).sum()

    def E(w):  # the upper objective
        return loss(w, Xv, y_v)

    return d, g, E


def run(method, d, g, E, eta, t, k):
    theta = torch.full((d,), -1.0, dtype=torch.float64, requires_grad=True)
    w = torch.zeros(d, dtype=torch.float64, requires_grad=True)

    def phi(w, theta, create_graph):
        gw = torch.autograd.grad(g(w, theta), w, create_graph=create_graph)[0]
        return w - eta * gw

    if method == "itd":  # reverse mode through the unrolled loop
        for _ in range(t):
            w = phi(w, theta, True)
        return torch.autograd.grad(E(w), theta)[0]

    for _ in range(t):  # the lower loop, no graph kept
        w = phi(w, theta, False).detach().requires_grad_(True)
    gE = torch.autograd.grad(E(w), w)[0]
    Phi = phi(w, theta, True)  # one graph at w_t for the Jacobian products

    def JT(v):  # d_w Phi^T v by autograd
        return torch.autograd.grad(Phi, w, v, retain_graph=True)[0]

    if method == "aid-fp":
        v = torch.zeros_like(gE)
        for _ in range(k):
            v = JT(v) + gE
    elif method == "aid-cg":  # (I - J^T) v = gE by conjugate gradients from 0
        v = torch.zeros_like(gE)
        r = gE.clone()
        p = r.clone()
        rr = r @ r
        for _ in range(k):
            if rr == 0:
                break
            Ap = p - JT(p)
            alpha = rr / (p @ Ap)
            v = v + alpha * p
            r = r - alpha * Ap
            rr_new = r @ r
            p = r + (rr_new / rr) * p
            rr = rr_new
    else:
        raise SystemExit(f"torch_baseline.py: unknown method '{method}' (itd, aid-fp, aid-cg)")
    return torch.autograd.grad(Phi, theta, v)[0]


def main():
    if len(sys.argv) != 9:
        raise SystemExit(__doc__)
    name, train, val = sys.argv[1:4]
    eta, t, k, repeat = float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    if name not in ("ridge", "logreg"):
        raise SystemExit(f"torch_baseline.py: problem '{name}' is not ridge or logreg")
    torch.set_num_threads(1)
    d, g, E = make_problem(name, train, val)
    for method in sys.argv[8].split(","):
        times, grad = [], None
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            grad = run(method, d, g, E, eta, t, k)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(json.dumps({"method": method, "seconds": times[len(times) // 2],
                          "grad": [float(x) for x in grad]}), flush=True)


if __name__ == "__main__":
    main()
