# Shared helpers for the script tests (sourced, not a test itself).
set -u
: "${LMCC:?LMCC must point at the lmcc binary}"
: "${LMCC_SOURCE_DIR:?}"
# functional tests do not measure quantization quality: plain rounding keeps their compiles fast
# (gptq's calibration and scale tuning take ~15 s per stories260K compile, minutes under ASan);
# quality.sh passes --quant on every run
export LMCC_QUANT="${LMCC_QUANT:-plain}"
# nor their code bytes: the size line's C compile of NAME.c costs more than the compile itself
# (budget.sh and bad_inputs.sh turn it back on where they check the size line)
export LMCC_CODE_SIZE="${LMCC_CODE_SIZE:-0}"
MODEL_GGUF="$LMCC_SOURCE_DIR/examples/models/stories260K.gguf"
MODEL_BIN="$LMCC_SOURCE_DIR/examples/models/stories260K.bin"
REF_TOKENS="461 461 401 401 401 461 378 455 473 456 435 299 362 409 283 264 283 452 288 13 431 431 431 431 431 431 431 431 431 431 431 431 431 293 430 417"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lmcc-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FAILS=0
PASSES=0
ok()   { PASSES=$((PASSES+1)); echo "ok: $*"; }
fail() { FAILS=$((FAILS+1)); echo "FAIL: $*"; }
finish() { echo "$PASSES passed, $FAILS failed"; if [ "$FAILS" = 0 ]; then exit 0; else exit 1; fi; }
