#!/usr/bin/env bash
# The long robustness checks, run before resolving any issue that touches a parser or the core (they are too
# slow for CI; docs/robustness.md has their results):
#   1. a clang build with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/), and every non-GUI suite
#      in it, the fuzz replays included;
#   2. every libFuzzer harness for SECONDS (default 600), seeded from fuzz/corpus/ and our own files;
#   3. what they grew merged into fuzz/corpus/ (inputs that add coverage, at most 16 KB each), so that CI
#      replays it from then on. Findings stop the script; once fixed, copy each into fuzz/corpus/HARNESS/.
#   scripts/nightly.sh [SECONDS]      FUZZ_JOBS=N runs N harnesses at once (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
start=$(date +%s)
step() { echo "== nightly: $1 done at $(($(date +%s) - start)) s"; }
bash fuzz/run.sh sanitize
step "sanitizer build and suites"
bash fuzz/run.sh fuzz "$seconds"
step "fuzzing, $seconds s per harness"
bash fuzz/run.sh keep
step "corpus merged into fuzz/corpus"
