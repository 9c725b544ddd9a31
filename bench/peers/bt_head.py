"""PyTorch peer for bench/reward-head.ts: the same Bradley–Terry reward head (linear, or one ReLU hidden
layer), loss (−log σ(r_w − r_l) + 0.01·(r_w + r_l)² + 1e-5·‖W‖²), Adam, batch of pairs, on the same
features (written by the TypeScript side as a dense float32 matrix). Prints JSON: pairs/s per epoch.

    /usr/bin/python3 bench/peers/bt_head.py <features.f32> <rows> <dims> <pairs> <hidden> <lr> <batch> <epochs> <threads>
"""
import json
import sys
import time

import numpy as np
import torch
from blas_info import blas_info, limit_threads

path, rows, dims, pairs, hidden, lr, batch, epochs, threads = sys.argv[1:10]
rows, dims, pairs, hidden, batch, epochs, threads = map(int, (rows, dims, pairs, hidden, batch, epochs, threads))
lr = float(lr)
limit_threads(threads)
torch.manual_seed(0)
x = torch.from_numpy(np.fromfile(path, dtype=np.float32).reshape(rows, dims))
a_idx = torch.arange(0, 2 * pairs, 2)
b_idx = torch.arange(1, 2 * pairs, 2)
if hidden > 0:
    model = torch.nn.Sequential(torch.nn.Linear(dims, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))
else:
    model = torch.nn.Linear(dims, 1)
opt = torch.optim.Adam(model.parameters(), lr=lr)
weights = [p for n, p in model.named_parameters() if "weight" in n]
per_epoch = []
for epoch in range(epochs):
    order = torch.randperm(pairs)
    start = time.perf_counter()
    total = 0.0
    for k in range(0, pairs, batch):
        sel = order[k : k + batch]
        xa = x.index_select(0, a_idx[sel])
        xb = x.index_select(0, b_idx[sel])
        ra = model(xa).squeeze(1)
        rb = model(xb).squeeze(1)
        loss = -torch.nn.functional.logsigmoid(ra - rb).mean() + 0.01 * ((ra + rb) ** 2).mean() + 1e-5 * sum((w * w).sum() for w in weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += float(loss)
    per_epoch.append({"epoch": epoch + 1, "seconds": time.perf_counter() - start, "pairsPerSecond": pairs / (time.perf_counter() - start), "loss": total / ((pairs + batch - 1) // batch)})
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info(torch.get_num_threads()), "epochs": per_epoch}))
