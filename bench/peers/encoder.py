"""PyTorch peer for bench/encoder.ts: the same transformer-encoder reward model (pre-LN blocks, learned
positions, multi-head self-attention with a padding mask, tanh-GELU MLP of 4d, mean pooling over real
tokens, linear head), Bradley–Terry loss, Adam, the same token sequences and batch. Prints JSON.

    /usr/bin/python3 bench/peers/encoder.py <tokens.json> <vocab> <d> <layers> <heads> <maxLen> <batch> <epochs> <lr> <threads>
"""
import json
import math
import sys
import time

import torch
from blas_info import blas_info, limit_threads

path, vocab, d, layers, heads, max_len, batch, epochs, lr, threads = sys.argv[1:11]
vocab, d, layers, heads, max_len, batch, epochs, threads = map(int, (vocab, d, layers, heads, max_len, batch, epochs, threads))
lr = float(lr)
limit_threads(threads)
torch.manual_seed(0)
data = json.load(open(path))
A, B = data["a"], data["b"]


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(d)
        self.q = torch.nn.Linear(d, d, bias=False)
        self.k = torch.nn.Linear(d, d, bias=False)
        self.v = torch.nn.Linear(d, d, bias=False)
        self.o = torch.nn.Linear(d, d, bias=False)
        self.ln2 = torch.nn.LayerNorm(d)
        self.fc1 = torch.nn.Linear(d, 4 * d)
        self.fc2 = torch.nn.Linear(4 * d, d)

    def forward(self, x, key_bias):
        bsz, t, _ = x.shape
        h = self.ln1(x)
        split = lambda z: z.view(bsz, t, heads, d // heads).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads) + key_bias, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(bsz, t, d)
        x = x + self.o(y)
        return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class Encoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = torch.nn.Embedding(vocab, d)
        self.pos = torch.nn.Parameter(torch.randn(max_len, d) * 0.01)
        self.blocks = torch.nn.ModuleList([Block() for _ in range(layers)])
        self.lnf = torch.nn.LayerNorm(d)
        self.head = torch.nn.Linear(d, 1, bias=False)

    def forward(self, seqs):
        t = min(max_len, max(1, max(len(s) for s in seqs)))
        ids = torch.zeros(len(seqs), t, dtype=torch.long)
        mask = torch.zeros(len(seqs), t)
        for i, s in enumerate(seqs):
            cut = s[:t]
            ids[i, : len(cut)] = torch.tensor(cut, dtype=torch.long)
            mask[i, : len(cut)] = 1
        x = self.tok(ids) + self.pos[:t]
        key_bias = ((mask - 1) * 1e9).view(len(seqs), 1, 1, t)
        for b in self.blocks:
            x = b(x, key_bias)
        x = self.lnf(x)
        pooled = (x * mask.unsqueeze(2)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return self.head(pooled).squeeze(1)


model = Encoder()
opt = torch.optim.Adam(model.parameters(), lr=lr)
n = len(A)
per_epoch = []
for epoch in range(epochs):
    order = torch.randperm(n).tolist()
    start = time.perf_counter()
    total = 0.0
    steps = 0
    for k in range(0, n, batch):
        idx = order[k : k + batch]
        r = model([A[i] for i in idx] + [B[i] for i in idx])
        loss = -torch.nn.functional.logsigmoid(r[: len(idx)] - r[len(idx) :]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += float(loss)
        steps += 1
    seconds = time.perf_counter() - start
    per_epoch.append({"epoch": epoch + 1, "seconds": seconds, "pairsPerSecond": n / seconds, "loss": total / steps})
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas_info(torch.get_num_threads()), "epochs": per_epoch}))
