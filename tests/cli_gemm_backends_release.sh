#!/usr/bin/env bash
# cli_gemm_backends_release.sh — the parity tests on every GEMM backend (issue 13), not only the default oneDNN:
# builds test_gemm (validation against the double triple loop, no fallback taken, gemm_tiled bit-identical with 1
# and 2 threads), test_kernels (every fast op vs the reference op), test_encoder (forward / backward vs the HF
# fixtures) and test_train_steps (training steps vs PyTorch's) against GEMM=openblas and GEMM=blis, each in its
# own build folder (build/gemm-NAME), and runs them. Release build only (a build per backend takes minutes).
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
tests=(test_gemm test_kernels test_encoder test_train_steps)
for g in openblas blis; do
  bins=(); for t in "${tests[@]}"; do bins+=("build/gemm-$g/tests/$t"); done
  make --no-print-directory -j2 GEMM=$g "${bins[@]}" > "build/gemm-$g.build.log" 2>&1 \
    || { tail -20 "build/gemm-$g.build.log"; fail "GEMM=$g: build failed"; }
  for t in "${tests[@]}"; do
    log="build/gemm-$g.$t.log"
    OMP_NUM_THREADS=2 "build/gemm-$g/tests/$t" > "$log" 2>&1 || { tail -20 "$log"; fail "GEMM=$g: $t failed"; }
    grep -q "PASSED" "$log" || fail "GEMM=$g: $t printed no PASSED line"
    grep -q "FAILED" "$log" && fail "GEMM=$g: $t reports a failure"
  done
  grep -q "gemm backend $g:" "build/gemm-$g.test_gemm.log" || fail "GEMM=$g: test_gemm did not run on $g"
  echo "GEMM=$g: ${tests[*]} passed"
done
