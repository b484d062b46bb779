#!/usr/bin/python3
"""Independent check of a chatforge checkpoint: nanoGPT's unmodified model.py loads its
model.safetensors the way Hugging Face GPT-2 layouts are loaded (Conv1D weights transposed,
'transformer.' prefix optional, attn.bias buffers skipped) and scores a chatforge token split
over the windows `chatforge eval` uses (non-overlapping windows of the context length, the last
one shorter), counting only trained tokens when the file has a loss mask, as `chatforge eval` does.

Usage: NANOGPT=/path/to/nanoGPT /usr/bin/python3 tools/nanogpt_hub_eval.py CHECKPOINT_DIR TOKENS_DIR [--split val]
Prints one JSON line: val loss (masked when the file has a mask) and the all-token loss.
Needs python3-torch and python3-numpy (Debian); nanoGPT's model.py (MIT) from ../shared/peer/nanoGPT.
"""
import argparse, json, math, os, struct, sys
import numpy as np
import torch

sys.path.insert(0, os.environ.get('NANOGPT', os.path.join(os.path.dirname(__file__), '../../shared/peer/nanoGPT')))
from model import GPT, GPTConfig  # noqa: E402


def read_tokens(path):
    raw = open(path, 'rb').read()
    assert raw[:8] == b'CFTOKENS', f'{path}: bad magic'
    version, vocab, elem, flags, n = struct.unpack('<iiiiq', raw[8:32])
    dt = {2: np.uint16, 4: np.int32}[elem]
    ids = np.frombuffer(raw, dtype=dt, count=n, offset=32).astype(np.int64)
    mask = None
    if flags & 1:
        mask = np.frombuffer(raw, dtype=np.uint8, count=n, offset=32 + n * elem).astype(np.float64)
    return torch.from_numpy(ids), mask, vocab


def read_safetensors(path):
    raw = open(path, 'rb').read()
    hl = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + hl])
    base = 8 + hl
    out = {}
    for name, meta in header.items():
        if name == '__metadata__':
            continue
        a, b = meta['data_offsets']
        if meta['dtype'] == 'BF16':  # numpy has no bfloat16: widen the bits
            bits = np.frombuffer(raw[base + a:base + b], dtype=np.uint16).astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            arr = np.frombuffer(raw[base + a:base + b], dtype={'F32': np.float32, 'F16': np.float16}[meta['dtype']])
        out[name] = torch.from_numpy(arr.astype(np.float32).copy()).reshape(meta['shape'])
    return out


ap = argparse.ArgumentParser()
ap.add_argument('checkpoint')
ap.add_argument('tokens')
ap.add_argument('--split', default='val')
ap.add_argument('--threads', type=int, default=2)
args = ap.parse_args()
torch.set_num_threads(args.threads)

cfg = json.load(open(os.path.join(args.checkpoint, 'config.json')))
model = GPT(GPTConfig(block_size=cfg['n_positions'], vocab_size=cfg['vocab_size'], n_layer=cfg['n_layer'],
                      n_head=cfg['n_head'], n_embd=cfg['n_embd'], dropout=0.0, bias=True))
act = cfg.get('activation_function', 'gelu_new')
if act in ('gelu_new', 'gelu_pytorch_tanh', 'gelu_fast'):  # nanoGPT's nn.GELU() is the exact (erf) form
    for block in model.transformer.h:
        block.mlp.gelu = torch.nn.GELU(approximate='tanh')
sd = read_safetensors(os.path.join(args.checkpoint, 'model.safetensors'))
sd = {k[len('transformer.'):] if k.startswith('transformer.') else k: v for k, v in sd.items()}
mine = model.state_dict()
conv1d = ['attn.c_attn.weight', 'attn.c_proj.weight', 'mlp.c_fc.weight', 'mlp.c_proj.weight']
loaded = 0
with torch.no_grad():
    for k, v in sd.items():
        tk = 'transformer.' + k
        if tk not in mine:
            continue  # attn.bias / attn.masked_bias buffers, lm_head (tied to wte in nanoGPT)
        if any(k.endswith(w) for w in conv1d):
            v = v.t()  # HF GPT-2 Conv1D stores (in, out); nanoGPT's Linear (out, in)
        assert mine[tk].shape == v.shape, (k, mine[tk].shape, v.shape)
        mine[tk].copy_(v)
        loaded += 1
print(f'loaded {loaded} tensors from {args.checkpoint} ({act})', file=sys.stderr)
model.eval()

ids, mask, vocab = read_tokens(os.path.join(args.tokens, args.split + '.bin'))
T = cfg['n_positions']
n = len(ids)
weighted, weights, total, count = 0.0, 0.0, 0.0, 0
with torch.no_grad():
    for begin in range(0, n - 1, T):  # chatforge eval's windows: inputs begin..end-1 predict begin+1..end
        end = min(begin + T, n - 1)
        x = ids[begin:end].unsqueeze(0)
        y = ids[begin + 1:end + 1]
        logits, _ = model(x, y.unsqueeze(0))  # with targets nanoGPT returns logits for every position
        nll = torch.nn.functional.cross_entropy(logits[0].double(), y, reduction='none').numpy()
        total += nll.sum()
        count += len(nll)
        w = mask[begin + 1:end + 1] if mask is not None else np.ones(len(nll))
        weighted += (nll * w).sum()
        weights += w.sum()
print(json.dumps(dict(checkpoint=args.checkpoint, tokens=args.tokens, split=args.split, vocab=cfg['vocab_size'],
                      context=T, tokens_scored=int(weights), loss=round(weighted / weights, 6),
                      all_tokens_loss=round(total / count, 6), perplexity=round(math.exp(weighted / weights), 4))))
