# cmake/lmcc.cmake and examples/cmake-app: the app builds and generates, a
# second build does nothing, and the model is recompiled exactly when the
# model file, an option or lmcc itself changes.  Then the same app against an
# installed lmcc found with find_package(lmcc).
. "$(dirname "$0")/lib.sh"
command -v cmake >/dev/null || { echo "SKIP: cmake not found"; exit 77; }
APP_SRC="$LMCC_SOURCE_DIR/examples/cmake-app"
if [ -n "${CMAKE_GENERATOR:-}" ]; then GEN=$CMAKE_GENERATOR; elif command -v ninja >/dev/null; then GEN=Ninja; else GEN="Unix Makefiles"; fi
echo "generator: $GEN"
COMMENT="lmcc: compiling model story"
# a copy of the model and of lmcc, so touching them leaves the tree alone
cp "$MODEL_GGUF" "$WORK/m.gguf"
mkdir -p "$WORK/bin" && cp "$LMCC" "$WORK/bin/lmcc"
B="$WORK/app"

build() { cmake --build "$B" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "build: $1"; finish; }; }
runs_lmcc() { grep -c "$COMMENT" "$WORK/log"; }
check_reran() {
  if [ "$(runs_lmcc)" = 1 ]; then ok "$1: lmcc reran"; else fail "$1: lmcc ran $(runs_lmcc) times"; cat "$WORK/log"; fi
}
check_no_work() {
  local busy
  if [ "$GEN" = Ninja ]; then grep -q "ninja: no work to do" "$WORK/log" && busy=0 || busy=1
  else busy=$(grep -cE "$COMMENT|Building|Linking" "$WORK/log"); fi
  if [ "$busy" = 0 ]; then ok "$1: nothing rebuilt"; else fail "$1: the build did work"; cat "$WORK/log"; fi
}
configure() {
  cmake -S "$APP_SRC" -B "$B" -G "$GEN" -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" -DLMCC_EXECUTABLE="$WORK/bin/lmcc" -DLMCC_MODEL="$WORK/m.gguf" "$@" \
    >"$WORK/cfg" 2>&1 || { cat "$WORK/cfg"; fail "configure $*"; finish; }
}

configure
build "first"
check_reran "first build"
got=$("$B/generate" --temp 0 --ids 1 -n 36 --print-ids 2>"$WORK/err")
if [ "$got" = "$REF_TOKENS" ]; then ok "app generates the 36 reference tokens"; else fail "app tokens: '$got'"; cat "$WORK/err"; fi
text=$("$B/generate" -n 20 --seed 7 2>"$WORK/err")
n=$(printf '%s' "$text" | grep -o '\[[0-9]*\]' | wc -l)
# the bundled model's vocabulary prints token i as [i]
if [ "$n" -ge 20 ]; then ok "app prints text for a prompt ($n pieces)"; else fail "app text: '$text'"; cat "$WORK/err"; fi

build "second"
check_no_work "second build"
configure
build "after a reconfigure with the same options"
check_no_work "reconfigure, same options"

sleep 1   # coarse timestamps (make)
touch "$WORK/m.gguf"
build "model touched"
check_reran "model file touched"
build "again"
check_no_work "after the model rebuild"

configure -DLMCC_WEIGHTS=q8
build "option changed"
check_reran "WEIGHTS q8"
if grep -q -- "--weights q8" "$B/lmcc/story/story.lmcc-options"; then ok "options stamp records --weights q8"; else fail "stamp: $(cat "$B/lmcc/story/story.lmcc-options")"; fi
got=$("$B/generate" --temp 0 --ids 1 -n 8 --print-ids 2>/dev/null)
want=$("$LMCC" run "$MODEL_GGUF" --weights q8 --temp 0 --ids 1 -n 8 --print-ids 2>/dev/null)
if [ -n "$got" ] && [ "$got" = "$want" ]; then ok "q8 app == lmcc run --weights q8 ($got)"; else fail "q8 app '$got' vs lmcc run '$want'"; fi
build "again"
check_no_work "after the option rebuild"

sleep 1
touch "$WORK/bin/lmcc"
build "lmcc touched"
check_reran "lmcc changed"
build "again"
check_no_work "after the lmcc rebuild"

# threads > 1 links with -pthread and still generates the same tokens
configure -DLMCC_WEIGHTS=f32 -DLMCC_THREADS=2
build "threads 2"
check_reran "THREADS 2"
got=$("$B/generate" --temp 0 --ids 1 -n 36 --print-ids 2>"$WORK/err")
if [ "$got" = "$REF_TOKENS" ]; then ok "threads=2 app: reference tokens"; else fail "threads=2 tokens '$got'"; cat "$WORK/err"; fi

# installed lmcc + find_package(lmcc)
if [ -z "${LMCC_BUILD_DIR:-}" ]; then
  fail "LMCC_BUILD_DIR not set: cannot test the install"
else
  P="$WORK/prefix"
  if cmake --install "$LMCC_BUILD_DIR" --prefix "$P" >"$WORK/log" 2>&1 && [ -f "$P/lib/cmake/lmcc/lmcc-config.cmake" ] \
     && [ -f "$P/lib/cmake/lmcc/lmcc-config-version.cmake" ] && [ -x "$P/bin/lmcc" ]; then
    ok "cmake --install: lmcc, lmcc.cmake, lmcc-config(-version).cmake"
  else
    fail "install"; cat "$WORK/log"
  fi
  B2="$WORK/app-installed"
  if cmake -S "$APP_SRC" -B "$B2" -G "$GEN" -DCMAKE_PREFIX_PATH="$P" >"$WORK/cfg" 2>&1; then
    ok "configure with find_package(lmcc)"
  else
    fail "configure with find_package"; cat "$WORK/cfg"
  fi
  if grep -q "^lmcc_DIR:PATH=$P/lib/cmake/lmcc" "$B2/CMakeCache.txt"; then ok "found the installed package"; else fail "lmcc_DIR: $(grep lmcc_DIR "$B2/CMakeCache.txt")"; fi
  cmake --build "$B2" >"$WORK/log" 2>&1 || { cat "$WORK/log"; fail "build with the installed lmcc"; }
  if grep -q "$COMMENT" "$WORK/log" && [ -x "$B2/generate" ]; then ok "built with the installed lmcc"; else fail "no lmcc run"; fi
  got=$("$B2/generate" --temp 0 --ids 1 -n 36 --print-ids 2>"$WORK/err")
  if [ "$got" = "$REF_TOKENS" ]; then ok "installed-lmcc app: reference tokens"; else fail "installed app tokens '$got'"; cat "$WORK/err"; fi
  # a version the package cannot satisfy is refused
  mkdir -p "$WORK/vt" && printf 'cmake_minimum_required(VERSION 3.16)\nproject(v LANGUAGES NONE)\nfind_package(lmcc 99 REQUIRED)\n' >"$WORK/vt/CMakeLists.txt"
  if cmake -S "$WORK/vt" -B "$WORK/vt/b" -DCMAKE_PREFIX_PATH="$P" >"$WORK/log" 2>&1; then fail "find_package(lmcc 99) succeeded"
  else ok "find_package(lmcc 99) refused"; fi
fi
finish
