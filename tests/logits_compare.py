#!/usr/bin/env python3
"""Compares two float32 logits files [n][vocab]: max |diff|, mean/p99 KL(ref || test), top-1 agreement.
Usage: logits_compare.py REF TEST VOCAB [--max-abs X] [--max-kl X] [--min-top1 PERCENT] [--ref-dtype f16]
(exit 1 when a bound fails)
--ref-dtype f16: REF holds IEEE halves (tests/ref's llama.cpp logits)."""
import array, math, struct, sys

def load(path, vocab, dtype='f32'):
    with open(path, 'rb') as f:
        raw = f.read()
    if dtype == 'f16':
        a = struct.unpack('<%de' % (len(raw) // 2), raw)
    else:
        a = array.array('f')
        a.frombytes(raw)
        if sys.byteorder != 'little':
            a.byteswap()
    if len(a) == 0 or len(a) % vocab:
        sys.exit(f"{path}: {len(a)} floats is not a multiple of vocab {vocab}")
    return [a[i:i + vocab] for i in range(0, len(a), vocab)]

def log_softmax(row):
    m = max(row)
    s = math.log(sum(math.exp(x - m) for x in row))
    return [x - m - s for x in row]

def main():
    ref, test, vocab = sys.argv[1], sys.argv[2], int(sys.argv[3])
    opts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
    R, T = load(ref, vocab, opts.get('--ref-dtype', 'f32')), load(test, vocab)
    if len(R) != len(T):
        sys.exit(f"row count differs: {len(R)} vs {len(T)}")
    max_abs, kls, agree = 0.0, [], 0
    for r, t in zip(R, T):
        max_abs = max(max_abs, max(abs(a - b) for a, b in zip(r, t)))
        lr, lt = log_softmax(r), log_softmax(t)
        kls.append(sum(math.exp(a) * (a - b) for a, b in zip(lr, lt)))
        agree += max(range(vocab), key=r.__getitem__) == max(range(vocab), key=t.__getitem__)
    kls.sort()
    mean_kl = sum(kls) / len(kls)
    p99 = kls[min(len(kls) - 1, int(0.99 * len(kls)))]
    print(f"positions {len(R)}  max|diff| {max_abs:.3g}  mean KL {mean_kl:.5f}  p99 KL {p99:.5f}  "
          f"top-1 agreement {100.0 * agree / len(R):.1f}%")
    bad = False
    if '--max-abs' in opts and not max_abs <= float(opts['--max-abs']):
        print(f"FAIL: max|diff| {max_abs} > {opts['--max-abs']}"); bad = True
    if '--max-kl' in opts and not mean_kl <= float(opts['--max-kl']):
        print(f"FAIL: mean KL {mean_kl} > {opts['--max-kl']}"); bad = True
    if '--min-top1' in opts and not 100.0 * agree / len(R) >= float(opts['--min-top1']):
        print(f"FAIL: top-1 agreement {100.0 * agree / len(R):.1f}% < {opts['--min-top1']}%"); bad = True
    sys.exit(1 if bad else 0)

main()
