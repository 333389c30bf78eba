# The emitted C is freestanding C11: it compiles with -ffreestanding -Wall
# -Wextra -Werror under gcc and clang, for every weight format and embed mode,
# and the object file needs no symbol from libc or libm.
. "$(dirname "$0")/lib.sh"
compilers=""
for c in gcc clang; do command -v $c >/dev/null && compilers="$compilers $c"; done
for w in f32 f16 q8 q4; do
  for embed in incbin array external; do
    d="$WORK/$w-$embed"
    if ! "$LMCC" compile "$MODEL_GGUF" -t generic -o "$d" --name m_$w --weights $w --embed $embed 2>"$WORK/err"; then
      fail "compile $w $embed"; cat "$WORK/err"; continue
    fi
    for cc in $compilers; do
      for opt in -O0 -O2; do
        if $cc -std=c11 -ffreestanding $opt -Wall -Wextra -Werror -Wshadow -c "$d/m_$w.c" -o "$d/m.o" 2>"$WORK/err"; then
          undef=$(nm -u "$d/m.o" | awk '{print $2}' | grep -v "^m_${w}_weights_blob$" | tr '\n' ' ')
          if [ -z "$undef" ]; then ok "$cc $opt $w $embed: freestanding, no undefined symbols"
          else fail "$cc $opt $w $embed: undefined symbols: $undef"; fi
        else
          fail "$cc $opt $w $embed: does not compile"; head -20 "$WORK/err"
        fi
      done
    done
    # the header and the emitted C include only freestanding system headers
    inc=$(grep -hoE '#include <[^>]+>' "$d/m_$w.c" "$d/m_$w.h" | sort -u | tr '\n' ' ')
    case "$inc" in
      "#include <stddef.h> #include <stdint.h> "|"#include <stdint.h> "|"#include <stddef.h> ") ok "$w $embed includes: $inc";;
      *) fail "$w $embed includes non-freestanding headers: $inc";;
    esac
  done
done
# the blob stubs assemble / compile
if cc -c -I "$WORK/q4-incbin" "$WORK/q4-incbin/m_q4_weights.S" -o "$WORK/s.o" 2>"$WORK/err"; then ok "incbin stub assembles"; else fail "incbin stub"; cat "$WORK/err"; fi
if cc -std=c11 -Wall -Wextra -Werror -c "$WORK/q4-array/m_q4_weights.c" -o "$WORK/a.o" 2>"$WORK/err"; then ok "array blob compiles"; else fail "array blob"; cat "$WORK/err"; fi
finish
