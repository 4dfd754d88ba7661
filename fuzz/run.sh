#!/usr/bin/env bash
# The robustness checks of docs/robustness.md, in a build folder of their own (build-asan/ by default);
# scripts/nightly.sh runs all three:
#   fuzz/run.sh sanitize         clang build of the core, CLI, their tests and the fuzzers with ASan + UBSan;
#                                runs the non-GUI test suites (fuzz replays included) under the sanitizers
#   fuzz/run.sh fuzz [SECONDS]   seeds each harness from fuzz/corpus/ and our own files and fuzzes it SECONDS
#                                (default 60) seconds; FUZZ_JOBS=N runs N harnesses at once (default 1)
#   fuzz/run.sh keep             merges what the fuzzers grew into fuzz/corpus/HARNESS/ (only inputs that add
#                                coverage, at most 16 KB each): CI replays that folder (the replay_* tests)
# Findings (crash-*, leak-*, timeout-*) are written to build-asan/fuzz-findings/HARNESS/; once fixed, copy
# each into fuzz/corpus/HARNESS/ so that it stays fixed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
SHARED=../shared/data/hf-reference
HARNESSES=(fuzz_safetensors fuzz_config fuzz_tokenizer fuzz_tokenizer_pipeline fuzz_train_config fuzz_trace_hdf5
           fuzz_checkpoint_index)
# Debian's LibTorch is not built with ASan: its allocations at exit (static registries, thread pools) would
# read as leaks that are not ours, so leak detection is off; every other ASan check stays on.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

install_clang() {
    command -v clang++ > /dev/null && return
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q clang
}

sanitize() {
    install_clang
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        # No GUI (the widget suites need a display stack the sanitizers add little to), no hardening
        # (_FORTIFY_SOURCE and ASan replace the same functions), no benchmarks.
        cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
            -DHEADLIGHT_BUILD_GUI=OFF -DHEADLIGHT_BUILD_BENCH=OFF -DHEADLIGHT_HARDENING=OFF -DHEADLIGHT_FUZZ=ON
    fi
    cmake --build "$BUILD_DIR" --parallel "$(nproc)"
    (cd "$BUILD_DIR" && ctest -j "$(nproc)" --output-on-failure --timeout 1800)
}

# Seed corpora from the project's own files (and the Hugging Face reference files when ../shared has them).
seed() {
    local corpus=$BUILD_DIR/fuzz-corpus
    rm -rf "$corpus"
    mkdir -p "$corpus"/{fuzz_safetensors,fuzz_config,fuzz_tokenizer,fuzz_tokenizer_pipeline,fuzz_train_config,fuzz_trace_hdf5,fuzz_checkpoint_index}
    local n=0
    for f in sample_models/*/model.safetensors $SHARED/models/*/model.safetensors; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        cp "$f" "$corpus/fuzz_safetensors/$n"
        # The header alone (with 64 data bytes): small inputs that reach the validation quickly.
        head -c "$((8 + $(od -An -tu8 -N8 "$f" | tr -d ' ') + 64))" "$f" > "$corpus/fuzz_safetensors/$n-header"
    done
    for f in sample_models/*/config.json $SHARED/models/*/config.json; do
        [ -f "$f" ] && cp "$f" "$corpus/fuzz_config/$((n = n + 1))"
    done
    for f in sample_models/*/train*.json; do cp "$f" "$corpus/fuzz_train_config/$((n = n + 1))"; done
    for t in assign induction mixed-range lookup; do
        printf '{"model": {"n_layer": 1, "n_head": 1, "n_embd": 8}, "task": {"name": "%s"}, "steps": 2}' "$t" \
            > "$corpus/fuzz_train_config/$t"
    done
    # fuzz_tokenizer: a format byte, then the file(s) (fuzz/fuzz_tokenizer.cpp).
    # tokenizer.json seeds under 1 MB: GPT-2's 3.5 MB file takes seconds per run under ASan, too slow to mutate.
    for f in $SHARED/tokenizer-files/*/tokenizer.json; do
        [ -f "$f" ] && [ "$(stat -c %s "$f")" -lt 1000000 ] && { printf '\x00'; cat "$f"; } > "$corpus/fuzz_tokenizer/json-$((n = n + 1))"
    done
    { printf '\x01'; printf '{"a": 0, "b": 1, "ab": 2, "\\u0120": 3, "\\u0120a": 4}'; printf '\x00'; printf '#version: 0.2\na b\n\xc4\xa0 a\n'; } \
        > "$corpus/fuzz_tokenizer/bpe"
    for f in $SHARED/tokenizer-files/*/vocab.txt; do
        [ -f "$f" ] && { printf '\x02'; head -n 3000 "$f"; } > "$corpus/fuzz_tokenizer/wordpiece-$((n = n + 1))"
    done
    for f in sample_models/*/vocab.json; do { printf '\x03'; cat "$f"; } > "$corpus/fuzz_tokenizer/chars-$((n = n + 1))"; done
    # fuzz_tokenizer_pipeline: tokenizer.json, a NUL byte, a text (fuzz/fuzz_tokenizer_pipeline.cpp). Small pipelines
    # with added tokens of every kind and normalizers, and the SentencePiece-style reference files with texts.
    local p=$corpus/fuzz_tokenizer_pipeline
    local added='[{"id": 5, "content": "<s>", "special": true, "lstrip": true, "rstrip": true},
        {"id": 6, "content": "AB", "normalized": true, "single_word": true}, {"id": 1, "content": "b"}, {"id": 7, "content": " x", "rstrip": true}]'
    local bpe='"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, " ": 2, "ab": 3, "x": 4}, "merges": ["a b"]}'
    { printf '{%s, "added_tokens": %s, "normalizer": {"type": "Sequence", "normalizers": [{"type": "Lowercase"},
        {"type": "Replace", "pattern": {"String": "a"}, "content": "aa"}, {"type": "Prepend", "prepend": " "}]}}' "$bpe" "$added"
      printf '\x00Ab <s>  x ab AB abAB<s>'; } > "$p/sequence"
    { printf '{%s, "added_tokens": %s, "normalizer": {"type": "NFKC"}, "pre_tokenizer": {"type": "Split",
        "pattern": {"Regex": "\\\\s+|\\\\p{L}+"}, "behavior": "Isolated"}, "decoder": {"type": "Replace",
        "pattern": {"String": "a"}, "content": "A"}}' "$bpe" "$added"
      printf '\x00\xef\xac\x81 a  b<s>x'; } > "$p/split"
    { printf '{"model": {"type": "WordPiece", "max_input_chars_per_word": 1000000, "vocab": {"[UNK]": 0, "a": 1, "##a": 2, "ab": 3, "##b": 4}},
        "added_tokens": [{"id": 5, "content": "[CLS]", "special": true}], "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {"type": "BertProcessing", "cls": ["[CLS]", 5], "sep": ["[CLS]", 5]}}'
      printf '\x00aaab ab [CLS]aa'; } > "$p/wordpiece"
    for f in $SHARED/tokenizer-files/sp-bpe-*/tokenizer.json; do
        [ -f "$f" ] && { cat "$f"; printf '\x00<s>Hello world\n  caf\xc3\xa9 </s>'; } > "$p/sp-$((n = n + 1))"
    done
    # fuzz_trace_hdf5 builds a trace from the bytes themselves: any bytes will do.
    head -c 512 /dev/urandom > "$corpus/fuzz_trace_hdf5/random"
    # What earlier runs kept (and every past finding).
    for h in "${HARNESSES[@]}"; do
        [ -d "fuzz/corpus/$h" ] && cp fuzz/corpus/"$h"/* "$corpus/$h/" 2> /dev/null || true
    done
}

keep() {
    for h in "${HARNESSES[@]}"; do
        mkdir -p "fuzz/corpus/$h"
        local before
        before=$(ls "fuzz/corpus/$h" | wc -l)
        "$BUILD_DIR/bin/$h" -merge=1 -max_len=16384 -timeout=60 -rss_limit_mb=4096 \
            "fuzz/corpus/$h" "$BUILD_DIR/fuzz-work/$h" "$BUILD_DIR/fuzz-corpus/$h" > "$BUILD_DIR/keep-$h.log" 2>&1
        echo "$h: $before -> $(ls "fuzz/corpus/$h" | wc -l) inputs in fuzz/corpus/$h"
    done
}

fuzz() {
    local seconds=${1:-60} jobs=${FUZZ_JOBS:-1}
    seed
    local pids=() failed=0
    for h in "${HARNESSES[@]}"; do
        local findings=$BUILD_DIR/fuzz-findings/$h
        mkdir -p "$findings" "$BUILD_DIR/fuzz-work/$h"
        # Work corpus separate from the seeds; -max_len fits the largest seeds (model files). Every harness
        # stops at its first finding.
        "$BUILD_DIR/bin/$h" -max_total_time="$seconds" -max_len=4000000 -timeout=60 -rss_limit_mb=4096 \
            -artifact_prefix="$findings/" -print_final_stats=1 \
            "$BUILD_DIR/fuzz-work/$h" "$BUILD_DIR/fuzz-corpus/$h" > "$BUILD_DIR/fuzz-$h.log" 2>&1 &
        pids+=($!)
        if [ ${#pids[@]} -ge "$jobs" ]; then
            wait "${pids[0]}" || failed=1
            pids=("${pids[@]:1}")
        fi
    done
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    for h in "${HARNESSES[@]}"; do
        # The last "#N" status line: executions.
        local runs
        runs=$(grep -oE '^#[0-9]+' "$BUILD_DIR/fuzz-$h.log" | tail -n 1 | tr -d '#')
        echo "$h: ${runs:-0} executions, $(ls "$BUILD_DIR/fuzz-findings/$h" | wc -l) findings (log: $BUILD_DIR/fuzz-$h.log)"
    done
    return $failed
}

case "${1:-}" in
    sanitize) sanitize ;;
    fuzz) fuzz "${2:-60}" ;;
    keep) keep ;;
    *)
        echo "usage: fuzz/run.sh sanitize | fuzz [SECONDS] | keep" >&2
        exit 2
        ;;
esac
