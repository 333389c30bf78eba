#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS [HARNESS...]: builds the libFuzzer harnesses (clang, ASan+UBSan, in
# $LMCC_FUZZ_BUILD, default build-fuzz next to tests/) and runs each for SECONDS from its seed
# corpus (tests/fuzz/corpus/HARNESS; new inputs go to a scratch copy).  Exit 1 on a crash, a leak,
# a sanitizer report or a timeout (the input is kept in $LMCC_FUZZ_OUT, default /tmp/lmcc-fuzz);
# exit 77 (skipped, said on stdout) when clang or its fuzzer runtime (libclang-rt-14-dev) is missing.
# LMCC_FUZZ_SEED=N fixes libFuzzer's random seed: a run is then the same sequence of inputs on every
# machine, cut off by time, so a longer local run with the same seed and a fresh LMCC_FUZZ_OUT covers
# what a CI run will try (CI sets it; campaigns leave it unset to explore).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
secs=${1:-30}
shift || true
build=${LMCC_FUZZ_BUILD:-$src/build-fuzz}
out=${LMCC_FUZZ_OUT:-/tmp/lmcc-fuzz}
harnesses=("$@")
[ ${#harnesses[@]} = 0 ] && harnesses=(fuzz_gguf fuzz_llama2c fuzz_target fuzz_options fuzz_tokenizer fuzz_zstd fuzz_api)
cc=${LMCC_FUZZ_CC:-clang}

probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; return (int)(n & 0); }' > "$probe/p.c"
if ! command -v "$cc" >/dev/null || ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null; then
  echo "SKIP: fuzzing needs clang with libFuzzer (apt-get install clang libclang-rt-14-dev)"
  exit 77
fi
CC=$cc cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLMCC_FUZZ=ON >"$probe/cmake.log" 2>&1 &&
  cmake --build "$build" -j"$(nproc)" --target "${harnesses[@]}" >>"$probe/cmake.log" 2>&1 ||
  { cat "$probe/cmake.log"; echo "FAIL: building the harnesses"; exit 1; }

export LMCC_FUZZ_VOCABS=${LMCC_FUZZ_VOCABS:-$src/../shared/vocab}
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
mkdir -p "$out"
fails=0
for h in "${harnesses[@]}"; do
  max_len=65536
  case $h in
    fuzz_llama2c) max_len=8192;;   # the file must match its header: small headers, fast executions
    fuzz_options|fuzz_tokenizer|fuzz_zstd) max_len=4096;;
    fuzz_api) max_len=1024;;       # at most 48 calls are decoded
  esac
  if [ "$h" = fuzz_zstd ] && grep -q "^LMCC_ZSTD_LIB:.*NOTFOUND" "$build/CMakeCache.txt"; then
    echo "SKIP: $h: lmcc built without libzstd"; continue
  fi
  if [ "$h" = fuzz_tokenizer ] && ! ls "$LMCC_FUZZ_VOCABS"/*.gguf >/dev/null 2>&1; then
    echo "SKIP: $h: no vocabularies in $LMCC_FUZZ_VOCABS"; continue
  fi
  work="$out/$h.corpus"
  mkdir -p "$work"
  seed=()
  [ -n "${LMCC_FUZZ_SEED:-}" ] && seed=(-seed="$LMCC_FUZZ_SEED")
  (cd "$out" && "$build/$h" "${seed[@]}" -max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$out/$h-" "$work" "$here/corpus/$h" >"$out/$h.log" 2>&1)
  st=$?
  runs=$(sed -n "s/^stat::number_of_executed_units: *//p" "$out/$h.log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$out/$h.log" | tail -1)
  if [ $st = 0 ]; then
    echo "ok: $h: ${runs:-?} executions in $secs s, $cov, corpus $(ls "$work" | wc -l) files"
  else
    fails=$((fails + 1))
    echo "FAIL: $h (exit $st, after ${runs:-?} executions): $(ls "$out/$h-"* 2>/dev/null | head -1)"
    grep -m5 -E "ERROR|runtime error|SUMMARY|decodes to|failed" "$out/$h.log"
  fi
done
[ $fails = 0 ]
