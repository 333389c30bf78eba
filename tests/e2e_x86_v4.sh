# e2e_x86.sh for the x86-64-v4 target (AVX-512 VNNI kernels); skipped on CPUs without them
X86_TARGET=x86-64-v4 exec bash "$(dirname "$0")/e2e_x86.sh"
