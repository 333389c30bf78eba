#!/usr/bin/env python3
"""Crafts hostile model files (GGUF, llama2.c) of about SIZE bytes for tests/hostile_inputs.sh: each
one is small on disk but carries a metadata value, a count or a structure that would make a careless
reader allocate or compute far more than the file's size.  An independent writer (no lmcc code).

usage: hostile_gguf.py KIND OUT [SIZE]   (SIZE in bytes, default 5 MiB)
kinds: ctx layers tensors u8array strarray vocab merges collide nested keys dims llama2c_seq
       llama2c_vocab sections (writes OUT.N for N = every section boundary of a valid file)
       hostile_gguf.py fnv_pairs N: prints N block pairs for FNV_PAIRS (a birthday search)"""
import random, struct, sys

ALIGN = 32
SCAL = {'u8': (0, 'B'), 'i8': (1, 'b'), 'u16': (2, 'H'), 'u32': (4, 'I'), 'i32': (5, 'i'), 'f32': (6, 'f'),
        'bool': (7, '?'), 'u64': (10, 'Q'), 'i64': (11, 'q'), 'f64': (12, 'd')}


class Writer:
    """GGUF v3: header, key/values, tensor infos, data at ALIGN. Records where each section starts."""

    def __init__(self):
        self.kvs, self.tensors = [], []

    def kv(self, key, ty, val):
        self.kvs.append((key, ty, val))

    def tensor(self, name, ne, ty, data):
        self.tensors.append((name, ne, ty, data))

    @staticmethod
    def _val(out, ty, v):
        if ty == 'str':
            s = v.encode() if isinstance(v, str) else v
            out += struct.pack('<Q', len(s)) + s
        elif ty == 'raw':  # (type id, pre-packed bytes): an array body written as is
            out += v
        elif isinstance(ty, tuple):  # ('arr', element type)
            et = ty[1]
            etid = 8 if et == 'str' else 9 if isinstance(et, tuple) else SCAL[et][0]
            if et in SCAL and isinstance(v, (bytes, bytearray)):  # packed elements
                n = len(v) // struct.calcsize('<' + SCAL[et][1])
                out += struct.pack('<IQ', etid, n) + v
            else:
                out += struct.pack('<IQ', etid, len(v))
                for it in v:
                    Writer._val(out, et, it)
        else:
            out += struct.pack('<' + SCAL[ty][1], v)

    def write(self, path):
        out = bytearray(b'GGUF') + struct.pack('<IQQ', 3, len(self.tensors), len(self.kvs))
        marks = [len(out)]
        for key, ty, val in self.kvs:
            out += struct.pack('<Q', len(key)) + key.encode()
            tid = 8 if ty == 'str' else 9 if isinstance(ty, tuple) else SCAL[ty][0]
            out += struct.pack('<I', tid)
            Writer._val(out, ty, val)
            marks.append(len(out))
        offs, off = [], 0
        for _, _, _, data in self.tensors:
            offs.append(off)
            off = (off + len(data) + ALIGN - 1) // ALIGN * ALIGN
        for (name, ne, ty, _), o in zip(self.tensors, offs):
            out += struct.pack('<Q', len(name)) + name.encode() + struct.pack('<I', len(ne))
            for d in ne:
                out += struct.pack('<Q', d)
            out += struct.pack('<IQ', ty, o)
            marks.append(len(out))
        while len(out) % ALIGN:
            out.append(0)
        base = len(out)
        for (_, _, _, data), o in zip(self.tensors, offs):
            out += bytes(base + o - len(out))
            out += data
            marks.append(len(out))
        open(path, 'wb').write(out)
        return out, marks


def f32(n, v=0.01):
    return struct.pack('<f', v) * n


def q4_0(n):  # n elements, n % 32 == 0: scale 1/64, nibbles 8 (value 0) and 9
    return (struct.pack('<H', 0x2400) + bytes([0x98] * 16)) * (n // 32)


def fnv1a(h, data):  # lmcc's token text hash (runtime-min/lmrt_tokenizer.h), from state h
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


FNV_INIT = 2166136261
FNV_BITS = 20
# FNV-1a multicollisions in the low FNV_BITS bits, which alone pick a slot in any table of up to
# 2^20 slots (the low bits of a product depend only on the low bits of its factors): from the state
# the pairs before it leave, both 3-letter blocks of a pair lead to states with the same low bits,
# so the 2^16 texts that take one block of every pair share them.  `hostile_gguf.py fnv_pairs 16`.
FNV_PAIRS = [('2Sw', 'S3F'), ('0u4', 'QYE'), ('g1x', 'tl4'), ('ax6', 'TKr'), ('yPe', 'jm9'), ('pbp', 'eE4'),
             ('2HQ', 'XWB'), ('L8v', 'YK2'), ('x66', 'mqr'), ('82G', 'lIJ'), ('4a7', 'wsN'), ('0Mp', 'Q9A'),
             ('4B5', '9aq'), ('6Z9', 'Z1D'), ('Shz', '9uk'), ('TvH', 'a9t')]


def fnv_pairs(n):
    """Random blocks until two lead to the same low bits (a birthday search, ~1300 blocks a pair)."""
    rng = random.Random(1)
    alpha = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
    h, pairs, mask = FNV_INIT, [], (1 << FNV_BITS) - 1
    for _ in range(n):
        seen = {}
        while True:
            blk = ''.join(rng.choice(alpha) for _ in range(3))
            hb = fnv1a(h, blk.encode())
            if hb & mask in seen and seen[hb & mask] != blk:
                pairs.append((seen[hb & mask], blk))
                h = hb
                break
            seen[hb & mask] = blk
    return pairs


def llama(w, dim, layers, heads, ffn, vocab, ctx, tokens=None, q4=False, extra_kv=()):
    """A well-formed llama model (every check of the builder passes) plus what the caller adds."""
    w.kv('general.architecture', 'str', 'llama')
    for k, ty, v in [('embedding_length', 'u32', dim), ('block_count', 'u32', layers),
                     ('feed_forward_length', 'u32', ffn), ('attention.head_count', 'u32', heads),
                     ('context_length', 'u32', ctx)]:
        w.kv('llama.' + k, ty, v)
    for k in extra_kv:
        w.kv(*k)
    w.kv('tokenizer.ggml.model', 'str', 'llama')
    toks = tokens if tokens is not None else ['<unk>', '<s>', '</s>'] + ['t%d' % i for i in range(vocab - 3)]
    w.kv('tokenizer.ggml.tokens', ('arr', 'str'), toks)

    def mat(name, rows, cols):
        if q4 and cols % 32 == 0:
            w.tensor(name, [cols, rows], 2, q4_0(rows * cols))
        else:
            w.tensor(name, [cols, rows], 0, f32(rows * cols))
    mat('token_embd.weight', vocab, dim)
    for L in range(layers):
        w.tensor('blk.%d.attn_norm.weight' % L, [dim], 0, f32(dim, 1.0))
        for nm in ('attn_q', 'attn_k', 'attn_v', 'attn_output'):
            mat('blk.%d.%s.weight' % (L, nm), dim, dim)
        w.tensor('blk.%d.ffn_norm.weight' % L, [dim], 0, f32(dim, 1.0))
        mat('blk.%d.ffn_gate.weight' % L, ffn, dim)
        mat('blk.%d.ffn_up.weight' % L, ffn, dim)
        mat('blk.%d.ffn_down.weight' % L, dim, ffn)
    w.tensor('output_norm.weight', [dim], 0, f32(dim, 1.0))


def main():
    if sys.argv[1] == 'fnv_pairs':
        print(fnv_pairs(int(sys.argv[2])))
        return
    kind, path = sys.argv[1], sys.argv[2]
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 5 << 20
    w = Writer()
    if kind == 'ctx':  # the file: dim 1024, one head, context_length 2^20, q4_0 weights
        llama(w, 1024, 1, 1, 64, 64, 1 << 20, q4=True)
    elif kind == 'layers':  # as many layers as fit: every pass walks a long graph
        per = 9 * 60 + 9 * 16
        llama(w, 2, max(1, size // per), 1, 2, 8, 64)
    elif kind == 'tensors':  # a valid tiny model plus unused tensor infos (duplicate-name checks, lookups)
        llama(w, 8, 1, 1, 8, 8, 64)
        for i in range(size // 80):
            w.tensor('x%07d' % i, [1], 0, f32(1))
    elif kind == 'u8array':  # one byte per element in the file, a value struct per element in memory
        llama(w, 8, 1, 1, 8, 8, 64, extra_kv=[('junk.bytes', ('arr', 'u8'), bytes(size))])
    elif kind == 'strarray':  # empty strings: 8 bytes each
        llama(w, 8, 1, 1, 8, 8, 64, extra_kv=[('junk.strings', ('arr', 'str'), [b''] * (size // 8))])
    elif kind == 'vocab':  # a vocabulary of most of the file, embedding f32 [vocab][2]
        n = size // 20
        llama(w, 2, 1, 1, 2, n, 64, tokens=['<unk>', '<s>', '</s>'] + ['%x' % i for i in range(n - 3)])
    elif kind == 'merges':  # BPE merges of tokens that exist: every merge is looked up
        n = size // 12
        toks = ['a', 'b'] + ['%x' % i for i in range(1, 4096)]
        w.kv('tokenizer.ggml.pre', 'str', 'gpt-2')
        llama(w, 8, 1, 1, 8, len(toks), 64, tokens=toks,
              extra_kv=[('tokenizer.ggml.merges', ('arr', 'str'), ['%x %x' % (i % 4095 + 1, i % 13 + 1) for i in range(n)])])
        w.kvs = [kv if kv[0] != 'tokenizer.ggml.model' else ('tokenizer.ggml.model', 'str', 'gpt2') for kv in w.kvs]
    elif kind == 'collide':  # 65536 token texts in one hash slot: one probe chain through all of them
        h, mask = FNV_INIT, (1 << FNV_BITS) - 1
        for a, b in FNV_PAIRS:
            assert (fnv1a(h, a.encode()) ^ fnv1a(h, b.encode())) & mask == 0, 'FNV_PAIRS do not collide'
            h = fnv1a(h, a.encode())
        toks = [''.join(FNV_PAIRS[j][i >> j & 1] for j in range(16)) for i in range(1 << 16)]
        llama(w, 2, 1, 1, 2, len(toks), 64, tokens=toks)
    elif kind == 'nested':  # arrays of arrays of arrays of empty arrays
        inner = [[[[]] * 4] * 4] * 4
        n = size // (12 * (1 + 4 + 16 + 64))
        llama(w, 8, 1, 1, 8, 8, 64, extra_kv=[('junk.nested', ('arr', ('arr', ('arr', ('arr', 'u8')))), [inner[0]] * n)])
    elif kind == 'keys':  # many keys: every lookup of a key
        llama(w, 8, 1, 1, 8, 8, 64, extra_kv=[('k%07d' % i, 'u8', 0) for i in range(size // 24)])
    elif kind == 'dims':  # a tensor info whose element count overflows 64 bits, and one of 2^40 rows
        llama(w, 8, 1, 1, 8, 8, 64)
        w.tensor('huge', [1 << 40, 1 << 40, 1 << 40, 1 << 40], 0, b'')
    elif kind == 'sections':  # a valid small model cut at every section boundary
        llama(w, 8, 2, 2, 16, 16, 64)
        data, marks = w.write(path)
        for i, m in enumerate(sorted(set(marks[:-1]))):
            open('%s.%d' % (path, i), 'wb').write(data[:m])
        return
    elif kind in ('llama2c_seq', 'llama2c_vocab'):  # llama2.c header: dim, hidden, layers, heads, kv, vocab, seq
        dim, hidden, layers, heads, vocab, seq = 8, 8, 1, 1, 8, 8
        if kind == 'llama2c_seq':
            seq = 1 << 30
        else:
            vocab = -(1 << 30)  # negative: shared classifier flag, huge vocab
        hdr = struct.pack('<7i', dim, hidden, layers, heads, heads, vocab, seq)
        open(path, 'wb').write(hdr + bytes(size - len(hdr)))
        return
    else:
        sys.exit('unknown kind ' + kind)
    w.write(path)


if __name__ == '__main__':
    main()
