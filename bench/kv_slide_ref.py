#!/usr/bin/env python3
"""An independent check of --kv-policy slide (a measurement aid, not in ctest): the llama2.c forward
pass of a llama2.c checkpoint (stories260K.bin) in plain Python, one token at a time, where a query at
position P >= NC sees the first SINK positions, scored with its query rotated to position NC - 1, and
the last NC - SINK positions (SINK -1: every position, the stop build within its context).
Usage: kv_slide_ref.py MODEL.bin IDS_FILE N NC SINK OUT.f32  (logits [N][vocab] as float32; compare
with `lmcc eval MODEL --ctx NC --kv-policy slide:SINK` by tests/logits_compare.py)."""
import array, math, struct, sys
b = open(sys.argv[1], 'rb').read()
dim, hid, L, H, Hkv, V, seq = struct.unpack('7i', b[:28])
shared = V > 0; V = abs(V)
a = array.array('f'); a.frombytes(b[28:])
off = 0
def take(n):
    global off
    r = a[off:off + n]; off += n; return r
hd = dim // H; kvd = Hkv * hd
emb = take(V * dim); rms_att = take(L * dim); wq = take(L * dim * dim); wk = take(L * kvd * dim); wv = take(L * kvd * dim)
wo = take(L * dim * dim); rms_ffn = take(L * dim); w1 = take(L * hid * dim); w2 = take(L * dim * hid); w3 = take(L * hid * dim)
rms_f = take(dim)
def mv(w, o, rows, cols, x):
    return [sum(w[o + r * cols + c] * x[c] for c in range(cols)) for r in range(rows)]
def rms(x, w, o):
    s = 1 / math.sqrt(sum(v * v for v in x) / len(x) + 1e-5)
    return [x[i] * s * w[o + i] for i in range(len(x))]
def rope(v, pos, heads):
    v = list(v)
    for h in range(heads):
        for i in range(0, hd, 2):
            f = 1.0 / (10000.0 ** (i / hd)); ang = pos * f; c, s = math.cos(ang), math.sin(ang)
            x0, x1 = v[h * hd + i], v[h * hd + i + 1]
            v[h * hd + i], v[h * hd + i + 1] = x0 * c - x1 * s, x0 * s + x1 * c
    return v
def run(ids, nc, sink):  # sink < 0: every position
    K = [[] for _ in range(L)]; Vv = [[] for _ in range(L)]; out = []
    for P, t in enumerate(ids):
        x = list(emb[t * dim:(t + 1) * dim])
        for l in range(L):
            xb = rms(x, rms_att, l * dim)
            q = mv(wq, l * dim * dim, dim, dim, xb); k = mv(wk, l * kvd * dim, kvd, dim, xb); v = mv(wv, l * kvd * dim, kvd, dim, xb)
            qr = rope(q, P, H); kr = rope(k, P, Hkv)
            K[l].append(kr); Vv[l].append(v)
            wrapped = sink >= 0 and P >= nc
            keys = list(range(P + 1)) if not wrapped else list(range(sink)) + list(range(P - (nc - sink) + 1, P + 1))
            qs = rope(q, nc - 1, H) if wrapped else qr
            att = [0.0] * dim
            for h in range(H):
                g = h // (H // Hkv)
                sc = []
                for j in keys:
                    qq = qs if (wrapped and j < sink) else qr
                    sc.append(sum(qq[h * hd + i] * K[l][j][g * hd + i] for i in range(hd)) / math.sqrt(hd))
                m = max(sc); e = [math.exp(s - m) for s in sc]; z = sum(e)
                for i in range(hd):
                    att[h * hd + i] = sum(e[n] / z * Vv[l][j][g * hd + i] for n, j in enumerate(keys))
            o = mv(wo, l * dim * dim, dim, dim, att); x = [x[i] + o[i] for i in range(dim)]
            xb = rms(x, rms_ffn, l * dim)
            h1 = mv(w1, l * hid * dim, hid, dim, xb); h3 = mv(w3, l * hid * dim, hid, dim, xb)
            hh = [h1[i] / (1 + math.exp(-h1[i])) * h3[i] for i in range(hid)]
            o = mv(w2, l * dim * hid, dim, hid, hh); x = [x[i] + o[i] for i in range(dim)]
        x = rms(x, rms_f, 0)
        out.append(mv(emb, 0, V, dim, x))
    return out
ids = [int(v) for v in open(sys.argv[2]).read().split()][:int(sys.argv[3])]
nc, sink = int(sys.argv[4]), int(sys.argv[5])
lg = run(ids, nc, sink)
arr = array.array('f', [v for r in lg for v in r]); open(sys.argv[6], 'wb').write(arr.tobytes())
