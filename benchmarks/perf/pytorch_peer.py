"""PyTorch peer of the benchmark suite (benchmarks/perf/peers.bench.ts spawns it).

Run with Debian's /usr/bin/python3 (python3-torch), OMP_WAIT_POLICY=PASSIVE. It rebuilds the
shipped MNIST MLP and CNN in torch from the same safetensors files, and times the same work
as the TypeScript suite, float32, torch.set_num_threads(2):

- Integrated Gradients with the quadrature nodes/weights the caller passes (all steps x images
  points in one forward/backward, as Captum does with no internal_batch_size),
- forward passes (no grad) at the batch sizes asked for,
- one training step per batch (batch 64, Adam 1e-3, cross-entropy),
- matmul n x n x n and conv2d (forward) at the shapes asked for,

and returns the logits and attributions so the caller can check both computed the same thing.
With `onnx_dir` it also exports both models to ONNX there (for onnxruntime-web).

usage: OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 pytorch_peer.py config.json > result.json
"""

import json
import os
import struct
import sys
import time

import torch
from torch import nn

DTYPES = {"F32": torch.float32, "F64": torch.float64}


def read_safetensors(path):
    """Minimal safetensors reader (8-byte header length, JSON header, raw little-endian data)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        dtype = DTYPES[meta["dtype"]]
        t = torch.frombuffer(bytearray(blob[8 + n + a : 8 + n + b]), dtype=dtype).reshape(meta["shape"])
        out[name] = t.to(torch.float32)
    return out


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(512, 64), nn.ReLU(), nn.Linear(64, 10),
    )


def load(name, path):
    sd = read_safetensors(path)
    if name == "mlp":
        # pathgrad's MLP names its layers 0, 2, 4 (the flatten is inside forward); here index 0 is nn.Flatten
        model = mlp()
        sd = {f"{int(k.split('.')[0]) + 1}.{k.split('.')[1]}": v for k, v in sd.items()}
    else:
        model = cnn()
    model.load_state_dict(sd)
    return model.eval()


def timeit(fn, budget_s, min_reps=3, max_reps=1000):
    """Median and median absolute deviation (ms) of `fn` after warm-up, within about `budget_s`."""
    t0 = time.perf_counter()
    fn()
    once = time.perf_counter() - t0
    for _ in range(2 if once < 0.2 else 0):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < budget_s and len(times) < max_reps):
        s = time.perf_counter()
        fn()
        times.append((time.perf_counter() - s) * 1000)
    times.sort()
    med = times[len(times) // 2]
    mad = sorted(abs(t - med) for t in times)[len(times) // 2]
    return {"medianMs": med, "madMs": mad, "minMs": times[0], "samples": len(times)}


def ig(model, x, target, alphas, weights):
    """IG with zero baseline: sum_k w_k * grad f_target(alpha_k x) * x, all points in one batch."""
    steps, n = alphas.shape[0], x.shape[0]
    pts = (alphas.view(steps, 1, 1, 1, 1) * x.unsqueeze(0)).reshape(steps * n, *x.shape[1:]).requires_grad_(True)
    out = model(pts)
    sel = out.gather(1, target.repeat(steps).view(-1, 1)).sum()
    (g,) = torch.autograd.grad(sel, pts)
    g = g.view(steps, n, *x.shape[1:])
    return (g * weights.view(steps, 1, 1, 1, 1)).sum(0) * x


def main():
    cfg = json.load(open(sys.argv[1]))
    torch.set_num_threads(int(cfg.get("threads", 2)))
    budget = float(cfg.get("budget_s", 1.0))
    n_all = int(cfg["images_count"])
    images = torch.frombuffer(bytearray(open(cfg["images"], "rb").read()), dtype=torch.float32).reshape(n_all, 1, 28, 28)
    labels = torch.tensor(cfg["labels"], dtype=torch.int64)
    alphas = torch.tensor(cfg["alphas"], dtype=torch.float32)
    qweights = torch.tensor(cfg["weights"], dtype=torch.float32)
    res = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY"),
        "models": {},
        "matmul": [],
        "conv2d": [],
    }
    for name, path in cfg["models"].items():
        model = load(name, path)
        r = {"ig": [], "forward": [], "train": None}
        with torch.no_grad():
            r["logits"] = model(images[: cfg["logits_count"]]).flatten().tolist()
        for n in cfg["ig_images"]:
            x, t = images[:n], labels[:n]
            attr = ig(model, x, t, alphas, qweights)
            row = {"images": n, "mode": "one batch of steps x images points", **timeit(lambda: ig(model, x, t, alphas, qweights), budget)}
            if n > 1:
                # large batches can fall out of cache: one call per image may be faster; keep the faster
                per = timeit(lambda: [ig(model, x[i : i + 1], t[i : i + 1], alphas, qweights) for i in range(n)], budget)
                if per["medianMs"] < row["medianMs"]:
                    row = {"images": n, "mode": "one call per image", **per}
            if n == 1:
                row["attributions"] = attr.flatten().tolist()
            r["ig"].append(row)
        for b in cfg["forward_batches"]:
            x = images[:b]

            def fwd():
                with torch.no_grad():
                    model(x)

            r["forward"].append({"batch": b, **timeit(fwd, budget)})
        if name in cfg.get("train_models", []):
            tm = cnn() if name == "cnn" else mlp()
            torch.manual_seed(0)
            tm.train()
            opt = torch.optim.Adam(tm.parameters(), lr=1e-3)
            bs = int(cfg["train_batch"])
            nb = max(1, n_all // bs)
            k = [0]

            def step():
                i = k[0] % nb
                k[0] += 1
                xb, yb = images[i * bs : (i + 1) * bs], labels[i * bs : (i + 1) * bs]
                opt.zero_grad()
                loss = nn.functional.cross_entropy(tm(xb), yb)
                loss.backward()
                opt.step()

            r["train"] = {"batch": bs, **timeit(step, budget * 2)}
        if cfg.get("onnx_dir"):
            dummy = torch.zeros(1, 1, 28, 28)
            f = os.path.join(cfg["onnx_dir"], f"{name}.onnx")
            torch.onnx.export(
                model, dummy, f, input_names=["input"], output_names=["logits"],
                dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13,
            )
            r["onnx"] = f
        res["models"][name] = r
    gen = torch.Generator().manual_seed(0)
    for n in cfg.get("matmul", []):
        a, b = torch.randn(n, n, generator=gen), torch.randn(n, n, generator=gen)
        t = timeit(lambda: torch.mm(a, b), budget)
        res["matmul"].append({"n": n, **t, "gflops": 2 * n**3 / (t["medianMs"] * 1e6)})
    for c in cfg.get("conv2d", []):
        x, w = torch.randn(*c["x"], generator=gen), torch.randn(*c["w"], generator=gen)
        with torch.no_grad():
            t = timeit(lambda: nn.functional.conv2d(x, w), budget)
        res["conv2d"].append({"id": c["id"], **t})
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
