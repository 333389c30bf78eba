/* kv_att_cases.h - the attention shapes a kernel set is checked on against the portable kernels
 * (test_kernels_x86.c, kernels_aarch64_check.c call their test_attention on each row, once per KV
 * kind of its mask: 1 f32, 2 f16, 4 q8): query heads, KV heads, head_dim, tokens, position, slots
 * (0: a cache of every position), window (0: none), softcap (0: none).  The sinks of --kv-policy
 * slide have their own cases (kv_sink_check.h). */
#ifndef KV_ATT_CASES_H
#define KV_ATT_CASES_H

static const struct kv_att_case {
    int kinds, H, Hkv, hd, n, pos, S, win;
    float cap;
} kv_att_cases[] = {
    /* whole heads, 8 keys per reduction and their tails, head_dim tails (12, 40, 42, 6, 3), GQA */
    {1 | 4, 4, 2, 64, 3, 0, 0, 0, 0.0f},
    {2, 4, 2, 64, 1, 40, 0, 0, 0.0f},
    {1 | 4, 8, 8, 12, 16, 7, 0, 0, 0.0f},
    {2 | 4, 6, 2, 8, 2, 30, 0, 0, 0.0f},
    {1 | 4, 4, 1, 96, 2, 50, 0, 0, 0.0f},
    {2 | 4, 2, 2, 40, 4, 17, 0, 0, 0.0f},
    {2 | 4, 2, 1, 42, 4, 17, 0, 0, 0.0f},
    {1 | 4, 2, 1, 6, 3, 5, 0, 0, 0.0f},
    {2, 2, 1, 3, 2, 4, 0, 0, 0.0f},
    /* sliding windows: rings of window + n - 1 slots (wrapped), a window on a full cache, softcaps */
    {1 | 4, 4, 2, 64, 4, 37, 16 + 3, 16, 0.0f},
    {2, 4, 2, 64, 1, 50, 12, 12, 0.0f},
    {2 | 4, 4, 2, 16, 1, 50, 12, 12, 0.0f},
    {1, 8, 2, 12, 9, 30, 13 + 8, 13, 0.0f},
    {2, 4, 4, 40, 3, 20, 0, 9, 0.0f},
    {1, 4, 2, 12, 3, 20, 0, 9, 0.0f},
    {1 | 4, 4, 2, 64, 5, 33, 8 + 4, 8, 1.5f},
    {2 | 4, 2, 1, 8, 2, 12, 0, 0, 0.5f},
    /* narrow heads (hd 8, 16, 24: x86 spreads their keys over 4 or 2 chain sets), whole and in a wrapped ring */
    {1, 4, 2, 16, 3, 21, 0, 0, 0.0f},
    {4, 4, 2, 24, 4, 29, 9 + 4, 9, 0.0f},
    {1, 8, 4, 8, 5, 40, 11 + 5, 11, 0.0f},
    {2, 4, 4, 16, 2, 35, 7 + 2, 7, 0.0f},
};

#endif
