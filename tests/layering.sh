#!/usr/bin/env bash
# The folders depend one way: ir <- eval <- quant <- passes <- codegen <- compiler; runtime-min depends on
# nothing (it is stitched into generated files). Every quoted #include of a source file must name a header
# of its own folder or of a folder before it.
set -u
src=${LMCC_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
order="runtime-min ir eval quant passes codegen compiler"
fail=0
allowed() { # folder -> the folders it may include from
    local out="" f
    for f in $order; do
        out="$out $f"
        [ "$f" = "$1" ] && break
    done
    [ "$1" = runtime-min ] && out=" runtime-min"
    echo "$out"
}
for dir in $order; do
    ok=$(allowed "$dir")
    for file in "$src/$dir"/*.c "$src/$dir"/*.h; do
        [ -e "$file" ] || continue
        while IFS= read -r inc; do
            home=""
            for d in $order; do [ -e "$src/$d/$inc" ] && home=$d; done
            [ -z "$home" ] && continue # system or generated header
            case " $ok " in
            *" $home "*) ;;
            *) echo "FAIL: $dir/${file##*/} includes $home/$inc ($dir may include only from:$ok)"; fail=1 ;;
            esac
        done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
    done
done
[ $fail = 0 ] && echo "layering: ok (order: $order)"
exit $fail
