"""PyTorch peer for bench/llama.ts: the same Llama-family model (RMSNorm, rotary embeddings in
transformers' half-split layout, grouped-query attention with keys and values repeated as repeat_kv does,
SwiGLU, untied or tied head; written from transformers' modeling_llama.py, which is not installed here)
and the same three workloads on the same token ids: featurizing (forward, no gradients), a reward-model
step (a scalar head on the last token, the Bradley-Terry loss, Adam over every weight) and a DPO step
(reference forward without gradients, policy forward and backward, log-probs summed over completion
tokens, sigmoid DPO loss with beta 0.1, Adam). Prints JSON.

    /usr/bin/python3 bench/peers/llama_steps.py <data.json> <warmup> <steps> <threads>

With "lora" in data.json ({rank, alpha, targets}), the reward-model and DPO steps train LoRA adapters (A
[r, in] Kaiming-uniform, B [out, r] zero, scale alpha/r, as PEFT's LoraLayer) and the reward head, the base
frozen, as bench/lib/llama-steps.ts does.
"""
import json
import math
import resource
import sys
import time

import torch
from blas_info import blas_info, limit_threads

path, warmup, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
limit_threads(threads)
torch.manual_seed(0)
data = json.load(open(path))
c = data["config"]
V, d, L, H, Hkv, I = c["vocab"], c["d"], c["layers"], c["heads"], c["kvHeads"], c["intermediate"]
dh = d // H
ids = torch.tensor(data["ids"], dtype=torch.long)  # [2P, T]: chosen rows, then rejected rows
mask = torch.tensor(data["mask"], dtype=torch.float32)
P = ids.shape[0] // 2
T = ids.shape[1]
featurize_rows = data["featurizeRows"]


class RMSNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(d))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * self.weight


inv_freq = 1.0 / (100000 ** (torch.arange(0, dh, 2, dtype=torch.float32) / dh))
angles = torch.outer(torch.arange(T, dtype=torch.float32), inv_freq)
cos, sin = torch.cat([angles, angles], -1).cos(), torch.cat([angles, angles], -1).sin()


def rotate_half(x):
    x1, x2 = x[..., : dh // 2], x[..., dh // 2 :]
    return torch.cat([-x2, x1], -1)


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.input_layernorm = RMSNorm()
        self.q_proj = torch.nn.Linear(d, H * dh, bias=False)
        self.k_proj = torch.nn.Linear(d, Hkv * dh, bias=False)
        self.v_proj = torch.nn.Linear(d, Hkv * dh, bias=False)
        self.o_proj = torch.nn.Linear(H * dh, d, bias=False)
        self.post_attention_layernorm = RMSNorm()
        self.gate_proj = torch.nn.Linear(d, I, bias=False)
        self.up_proj = torch.nn.Linear(d, I, bias=False)
        self.down_proj = torch.nn.Linear(I, d, bias=False)

    def forward(self, x, causal):
        b, t, _ = x.shape
        h = self.input_layernorm(x)
        q = self.q_proj(h).view(b, t, H, dh).transpose(1, 2)
        k = self.k_proj(h).view(b, t, Hkv, dh).transpose(1, 2)
        v = self.v_proj(h).view(b, t, Hkv, dh).transpose(1, 2)
        q = q * cos[:t] + rotate_half(q) * sin[:t]
        k = k * cos[:t] + rotate_half(k) * sin[:t]
        k = k.repeat_interleave(H // Hkv, dim=1)
        v = v.repeat_interleave(H // Hkv, dim=1)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh) + causal, dim=-1)
        x = x + self.o_proj((att @ v).transpose(1, 2).reshape(b, t, H * dh))
        h2 = self.post_attention_layernorm(x)
        return x + self.down_proj(torch.nn.functional.silu(self.gate_proj(h2)) * self.up_proj(h2))


class Llama(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed_tokens = torch.nn.Embedding(V, d)
        self.layers = torch.nn.ModuleList([Layer() for _ in range(L)])
        self.norm = RMSNorm()
        self.lm_head = None if c["tied"] else torch.nn.Linear(d, V, bias=False)
        for p in self.parameters():
            if p.dim() > 1:
                torch.nn.init.normal_(p, std=0.02)

    def hidden(self, x):
        t = x.shape[1]
        causal = torch.triu(torch.full((t, t), -1e9), diagonal=1)
        h = self.embed_tokens(x)
        for layer in self.layers:
            h = layer(h, causal)
        return self.norm(h)

    def forward(self, x):
        h = self.hidden(x)
        return h @ self.embed_tokens.weight.T if self.lm_head is None else self.lm_head(h)


def seq_logps(model, x):
    logits = model(x)
    nxt = torch.cat([x[:, 1:], x[:, :1]], dim=1)
    lp = torch.gather(torch.log_softmax(logits, -1), 2, nxt.unsqueeze(2)).squeeze(2)
    return (lp * mask).sum(1)


def timed(run):
    times = []
    for k in range(warmup + steps):
        t0 = time.perf_counter()
        run()
        if k >= warmup:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


class LoraLinear(torch.nn.Module):
    def __init__(self, base, rank, alpha):
        super().__init__()
        self.base = base
        self.lora_A = torch.nn.Parameter(torch.empty(rank, base.in_features))
        torch.nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
        self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scale


def attach_lora(model, lora):
    for p in model.parameters():
        p.requires_grad_(False)
    for layer in model.layers:
        for name in lora["targets"]:
            setattr(layer, name, LoraLinear(getattr(layer, name), lora["rank"], lora["alpha"]))


policy = Llama()
params = sum(p.numel() for p in policy.parameters())
lora = data.get("lora")
if lora:
    attach_lora(policy, lora)
trainable = lambda: [p for p in policy.parameters() if p.requires_grad]

with torch.no_grad():
    featurize = timed(lambda: policy.hidden(ids[:featurize_rows]).numpy())

head = torch.nn.Linear(d, 1, bias=False)
rm_opt = torch.optim.Adam(trainable() + list(head.parameters()), lr=1e-5)


def rm_step():
    r = head(policy.hidden(ids)[:, -1]).squeeze(-1)
    loss = -torch.nn.functional.logsigmoid(r[:P] - r[P:]).mean()
    rm_opt.zero_grad()
    loss.backward()
    rm_opt.step()


reward = timed(rm_step)
reference = Llama()
if lora:
    attach_lora(reference, lora)
reference.load_state_dict(policy.state_dict())
reference.eval()
opt = torch.optim.Adam(trainable(), lr=1e-5)
losses = []


def dpo_step():
    with torch.no_grad():
        ref = seq_logps(reference, ids)
    lp = seq_logps(policy, ids)
    h = (lp[:P] - ref[:P]) - (lp[P:] - ref[P:])
    loss = torch.nn.functional.softplus(-0.1 * h).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())


dpo = timed(dpo_step)
print(json.dumps({"torch": torch.__version__, "blas": blas_info(torch.get_num_threads()), "params": params, "trainable": sum(p.numel() for p in trainable()), "seconds": {"featurize": featurize, "reward": reward, "dpo": dpo}, "firstDpoLoss": losses[0], "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
