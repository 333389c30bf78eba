# examples/ci/lmcc-per-device.yml: the matrix names real targets and agrees
# with their target files (compiler, emulator, hosted or bare metal), the
# paths it uses exist, and its reference tokens are the project's.  PyYAML is
# optional: without it a minimal line parser reads the matrix.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: python3 not found"; exit 77; }
if python3 - "$LMCC_SOURCE_DIR" "$REF_TOKENS" <<'PY'; then ok "workflow checks"; else fail "workflow checks"; fi
import os, re, sys
src, ref = sys.argv[1], sys.argv[2]
path = os.path.join(src, "examples/ci/lmcc-per-device.yml")
text = open(path).read()
bad = 0
def ok(m): print("ok:", m)
def fail(m):
    global bad; bad += 1; print("FAIL:", m)

# minimal parser: the entries of the `include:` list under `matrix:`
def parse_matrix(text):
    entries, cur, inside, ind = [], None, False, None
    for line in text.splitlines():
        if re.match(r"^\s*include:\s*$", line): inside = True; continue
        if not inside or not line.strip() or line.strip().startswith("#"): continue
        m = re.match(r"^(\s*)- (\w+):\s*(.*)$", line)
        if m and (ind is None or len(m.group(1)) == ind):
            ind = len(m.group(1)); cur = {}; entries.append(cur)
            cur[m.group(2)] = m.group(3).strip().strip('"'); continue
        m = re.match(r"^(\s*)(\w+):\s*(.*)$", line)
        if m and cur is not None and len(m.group(1)) > ind:
            cur[m.group(2)] = m.group(3).strip().strip('"'); continue
        break  # dedent: the list is over
    return entries
entries = parse_matrix(text)
if not entries: fail("no matrix include entries found"); sys.exit(1)
try:
    import yaml
except ImportError:
    yaml = None
    print("note: PyYAML not installed; checked with the minimal parser only")
if yaml:
    doc = yaml.safe_load(text)
    inc = doc["jobs"]["device"]["strategy"]["matrix"]["include"]
    norm = [{k: ("" if v is None else str(v)) for k, v in e.items()} for e in inc]
    if norm == entries: ok("PyYAML and the minimal parser read the same %d matrix entries" % len(inc))
    else: fail("PyYAML reads %r, minimal parser %r" % (norm, entries))
    if doc["jobs"]["device"].get("needs") == "lmcc" and "lmcc" in doc["jobs"]: ok("device job needs the lmcc job")
    else: fail("device job does not depend on the lmcc build job")

names = [e.get("target") for e in entries]
for want in ["generic", "x86-64-v3", "aarch64", "aarch64-dotprod", "cortex-m4", "cortex-m55"]:
    if want in names: ok("matrix has %s" % want)
    else: fail("matrix lacks %s" % want)
if len(set(names)) != len(names): fail("duplicate targets in the matrix: %s" % names)

def read_target(p):
    t = {}
    for line in open(p):
        line = line.split("#", 1)[0]
        if "=" in line:
            k, v = line.split("=", 1); t[k.strip()] = v.strip()
    return t

checked = 0
for e in entries:
    name = e.get("target", "?")
    tf = os.path.join(src, "targets", name + ".target")
    if not os.path.exists(tf):
        print("SKIP: %s: targets/%s.target does not exist yet; not checked" % (name, name)); continue
    t = read_target(tf); checked += 1
    tcc = t.get("cc", "cc")
    if (tcc == "cc" and e.get("cc") in ("gcc", "cc", "clang")) or e.get("cc") == tcc: ok("%s: compiler %s" % (name, e.get("cc")))
    else: fail("%s: matrix cc %r, target file cc %r" % (name, e.get("cc"), tcc))
    emu, temu = e.get("emulator", ""), t.get("emulator", "")
    if (not emu and not temu) or (emu and temu.startswith(emu)): ok("%s: emulator %r" % (name, emu or "native"))
    else: fail("%s: matrix emulator %r, target file %r" % (name, emu, temu))
    bare = t.get("hosted", "yes") == "no"
    if bare == (e.get("system") == "Generic"): ok("%s: %s" % (name, "bare metal" if bare else "hosted"))
    else: fail("%s: system %r but hosted = %s" % (name, e.get("system"), t.get("hosted")))
    for pkg in {"aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu", "arm-none-eabi-gcc": "gcc-arm-none-eabi",
                "qemu-aarch64": "qemu-user", "qemu-system-arm": "qemu-system-arm"}.items():
        if (tcc == pkg[0] or temu.startswith(pkg[0])) and pkg[1] not in e.get("packages", "").split():
            fail("%s: needs %s but the matrix does not install %s" % (name, pkg[0], pkg[1]))
if checked == 0: fail("no matrix target has a target file")

env = dict(re.findall(r"^  (MODEL|APP|REF_TOKENS):\s*\"?([^\"\n]*)\"?\s*$", text, re.M))
for k in ("MODEL", "APP"):
    if k in env and os.path.exists(os.path.join(src, env[k])): ok("%s = %s exists" % (k, env[k]))
    else: fail("%s missing or not in the tree: %r" % (k, env.get(k)))
if env.get("REF_TOKENS") == ref: ok("REF_TOKENS are the project's reference tokens")
else: fail("REF_TOKENS differ from tests/lib.sh")
if os.path.exists(os.path.join(src, env.get("APP", "-"), "CMakeLists.txt")): ok("the app has a CMakeLists.txt")
else: fail("no CMakeLists.txt in the app")
print("python checks: %d failed" % bad)
sys.exit(1 if bad else 0)
PY
finish
