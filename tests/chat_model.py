#!/usr/bin/env python3
"""A llama model whose greedy generation is known, for the end-of-generation tests.
usage: chat_model.py VOCAB.gguf OUT.gguf END_TEXT   (prints "X END": the two ids it generates)

Every block writes zeros (attention and FFN output projections are zero), so the
residual stream is the embedding of the current token and the logits depend on
it alone: the embedding of every token but X is e0, X's is e1; the classifier
maps e0 to X and e1 to END (the token whose text is END_TEXT).  From any prompt
greedy decoding gives X, then END, then (without a stop) X again."""
import os, struct, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gguf_edit import read, write

DIM, FFN, HEADS, KV_HEADS = 8, 16, 2, 1

def main():
    vocab_path, out_path, end_text = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    _, kvs, _, _, _, _ = read(vocab_path)
    toks = [v for k, t, v in kvs if k == b'tokenizer.ggml.tokens'][0][1]
    types = [v for k, t, v in kvs if k == b'tokenizer.ggml.token_type'][0][1]
    n, end = len(toks), toks.index(end_text)
    x = next(i for i in range(300, n) if types[i] == 1)  # a normal token
    f32 = lambda vals: struct.pack('<%df' % len(vals), *vals)
    def rows(r, c, fill):  # r rows of c columns, fill(row) -> list
        return b''.join(f32(fill(i)) for i in range(r))
    unit = lambda j: [1.0 if k == j else 0.0 for k in range(DIM)]
    zero = lambda r, c: bytes(4 * r * c)
    head = DIM // HEADS
    tensors, blobs = [], []
    def add(name, ne, blob):
        tensors.append([name.encode(), ne, 0, 0]); blobs.append(blob)
    add('token_embd.weight', [DIM, n], rows(n, DIM, lambda i: unit(1 if i == x else 0)))
    add('blk.0.attn_norm.weight', [DIM], f32([1.0] * DIM))
    add('blk.0.attn_q.weight', [DIM, DIM], zero(DIM, DIM))
    add('blk.0.attn_k.weight', [DIM, head * KV_HEADS], zero(head * KV_HEADS, DIM))
    add('blk.0.attn_v.weight', [DIM, head * KV_HEADS], zero(head * KV_HEADS, DIM))
    add('blk.0.attn_output.weight', [DIM, DIM], zero(DIM, DIM))
    add('blk.0.ffn_norm.weight', [DIM], f32([1.0] * DIM))
    add('blk.0.ffn_gate.weight', [DIM, FFN], zero(FFN, DIM))
    add('blk.0.ffn_up.weight', [DIM, FFN], zero(FFN, DIM))
    add('blk.0.ffn_down.weight', [FFN, DIM], zero(DIM, FFN))
    add('output_norm.weight', [DIM], f32([1.0] * DIM))
    add('output.weight', [DIM, n], rows(n, DIM, lambda i: [4.0 * v for v in unit(0)] if i == x else
                                         [4.0 * v for v in unit(1)] if i == end else [0.0] * DIM))
    meta = [(b'general.architecture', 8, b'llama'), (b'general.name', 8, b'chat-test'),
            (b'llama.context_length', 4, 64), (b'llama.embedding_length', 4, DIM), (b'llama.block_count', 4, 1),
            (b'llama.feed_forward_length', 4, FFN), (b'llama.attention.head_count', 4, HEADS),
            (b'llama.attention.head_count_kv', 4, KV_HEADS), (b'llama.rope.dimension_count', 4, head),
            (b'llama.rope.freq_base', 6, 10000.0), (b'llama.attention.layer_norm_rms_epsilon', 6, 1e-5)]
    kvs = [list(m) for m in meta] + [kv for kv in kvs if kv[0].startswith(b'tokenizer.')]
    write(out_path, 3, kvs, tensors, blobs, 32)
    print(x, end)

main()
