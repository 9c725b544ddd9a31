"""PyTorch peer for bench/dpo.ts: the same GPT-2-style policy (pre-LN, learned positions, separate q/k/v,
tanh-GELU MLP of 4d, causal mask, tied unembedding), the same DPO step (reference forward without
gradients, policy forward and backward over both sides, log-probs summed over completion tokens, DPO
loss with beta 0.1, Adam lr 1e-4) on the same token ids. Prints JSON.

    /usr/bin/python3 bench/peers/dpo_step.py <batch.json> <vocab> <d> <layers> <heads> <ctx> <steps> <threads>
"""
import json
import math
import resource
import sys
import time

import torch
from blas_info import blas_info, limit_threads

path, vocab, d, layers, heads, ctx, steps, threads = sys.argv[1:9]
vocab, d, layers, heads, ctx, steps, threads = map(int, (vocab, d, layers, heads, ctx, steps, threads))
limit_threads(threads)
torch.manual_seed(0)
data = json.load(open(path))
ids = torch.tensor(data["ids"], dtype=torch.long)  # [2B, T]: chosen rows then rejected rows
mask = torch.tensor(data["mask"], dtype=torch.float32)  # [2B, T]: position t counts when token t+1 is a completion token


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(d)
        self.q = torch.nn.Linear(d, d)
        self.k = torch.nn.Linear(d, d)
        self.v = torch.nn.Linear(d, d)
        self.o = torch.nn.Linear(d, d)
        self.ln2 = torch.nn.LayerNorm(d)
        self.fc = torch.nn.Linear(d, 4 * d)
        self.proj = torch.nn.Linear(4 * d, d)

    def forward(self, x, causal):
        bsz, t, _ = x.shape
        h = self.ln1(x)
        split = lambda z: z.view(bsz, t, heads, d // heads).transpose(1, 2)
        q, k, v = split(self.q(h)), split(self.k(h)), split(self.v(h))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // heads) + causal, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(bsz, t, d)
        x = x + self.o(y)
        return x + self.proj(torch.nn.functional.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Gpt(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, d)
        self.wpe = torch.nn.Parameter(torch.randn(ctx, d) * 0.01)
        self.blocks = torch.nn.ModuleList([Block() for _ in range(layers)])
        self.lnf = torch.nn.LayerNorm(d)
        torch.nn.init.normal_(self.wte.weight, std=0.02)

    def forward(self, x):
        t = x.shape[1]
        causal = torch.triu(torch.full((t, t), -1e9), diagonal=1)
        h = self.wte(x) + self.wpe[:t]
        for b in self.blocks:
            h = b(h, causal)
        return self.lnf(h) @ self.wte.weight.T


def seq_logps(model, x):
    logits = model(x)
    nxt = torch.cat([x[:, 1:], x[:, :1]], dim=1)
    lp = torch.gather(torch.log_softmax(logits, -1), 2, nxt.unsqueeze(2)).squeeze(2)
    return (lp * mask).sum(1)


policy = Gpt()
reference = Gpt()
reference.load_state_dict(policy.state_dict())
reference.eval()
params = sum(p.numel() for p in policy.parameters())
opt = torch.optim.Adam(policy.parameters(), lr=1e-4)
n = ids.shape[0] // 2
times = []
losses = []
for s in range(steps):
    t0 = time.perf_counter()
    with torch.no_grad():
        ref = seq_logps(reference, ids)
    lp = seq_logps(policy, ids)
    h = (lp[:n] - ref[:n]) - (lp[n:] - ref[n:])
    loss = torch.nn.functional.softplus(-0.1 * h).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    times.append(time.perf_counter() - t0)
    losses.append(loss.item())
print(json.dumps({"torch": torch.__version__, "blas": blas_info(torch.get_num_threads()), "params": params, "stepSeconds": times, "losses": losses, "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
