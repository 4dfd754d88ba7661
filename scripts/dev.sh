#!/usr/bin/env bash
# Headlight's set-up in one place: installs what is missing (Debian 12, as root or with sudo), configures,
# builds, then runs the main job (`run`) or the tests (`test`).
#   scripts/dev.sh run  [MODEL_DIR] build the app alone, then open it on a sample model (default: induction-gates)
#   scripts/dev.sh test          build everything (app, CLI, suites, benchmarks), then run every test with ctest
#   scripts/dev.sh build         install and build everything, run nothing
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(cmake ninja-build g++ pkg-config help2man librsvg2-bin
          qt6-base-dev qt6-svg-dev libqcustomplot-dev
          libtorch-dev libopenblas0-pthread
          libhdf5-dev nlohmann-json3-dev libpcre2-dev libutf8proc-dev libsentencepiece-dev)
BUILD_DIR=${HEADLIGHT_BUILD_DIR:-build}

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "Installing: ${missing[*]}"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
}

# build [TARGET...]: configures once, then builds the targets named (default: everything). ccache, when
# installed, keeps compiled files across build folders and branches (it is not installed for you).
build() {
    install_missing
    if [ ! -f "$BUILD_DIR/build.ninja" ]; then
        local launcher=()
        command -v ccache > /dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
        # HEADLIGHT_BUILD_BENCH=OFF leaves the benchmark programs out (CI: they are never run there).
        cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHEADLIGHT_BUILD_BENCH="${HEADLIGHT_BUILD_BENCH:-ON}" "${launcher[@]}"
    fi
    local targets=()
    for t in "$@"; do targets+=(--target "$t"); done
    cmake --build "$BUILD_DIR" --parallel "$(nproc)" "${targets[@]}"
}

case "${1:-}" in
    run)
        build headlight   # the window alone: the suites and benchmarks wait for `test`
        model=${2:-sample_models/induction-gates}
        if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
            "$BUILD_DIR/bin/headlight" "$model"
        else
            # No display: run the app once under Xvfb and keep a picture of its first screen.
            if ! command -v xvfb-run > /dev/null; then PACKAGES=(xvfb xauth); install_missing; fi
            echo "No display: running under Xvfb, screenshot in $BUILD_DIR/headlight-screenshot.png"
            xvfb-run -a -s '-screen 0 1600x1000x24' "$BUILD_DIR/bin/headlight" "$model" \
                --size 1600x1000 --screenshot "$BUILD_DIR/headlight-screenshot.png"
        fi
        ;;
    test)
        build
        cd "$BUILD_DIR" && ctest --parallel "$(nproc)" --output-on-failure --timeout 900
        ;;
    build)
        build
        ;;
    *)
        echo "usage: scripts/dev.sh run [MODEL_DIR] | test | build" >&2
        exit 2
        ;;
esac
