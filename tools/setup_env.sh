#!/usr/bin/env bash
# Set up (if needed) the pinned OpenMMLab environment, then run the given command inside it.
#
#   bash tools/setup_env.sh                      # set up only
#   bash tools/setup_env.sh python tools/train.py configs/semihand_synth.py
#   bash tools/setup_env.sh pytest tests
#
# The virtual environment lives outside the checkout, keyed by Python and torch version
# ($SEMIHAND_VENV overrides it), so a fresh clone on the same machine reuses it. mmcv 2.1.0 has no
# wheel for torch 2.14, so it is built from source once (10-25 min on 2 cores) and the wheel is
# cached in $SEMIHAND_CACHE/wheels/<python>-torch<version>/ : a wheel built against one torch is
# never reused with another (C++ ABI).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${SEMIHAND_PYTHON:-python3}"
TORCH_VERSION=2.14.1
PY_TAG="$("$PYTHON" -c 'import sys; print(f"py{sys.version_info[0]}.{sys.version_info[1]}")')"
CACHE="${SEMIHAND_CACHE:-$HOME/.cache/semihand_mmpose}"
VENV="${SEMIHAND_VENV:-$CACHE/venv-$PY_TAG-torch$TORCH_VERSION}"
WHEELS="$CACHE/wheels/$PY_TAG-torch$TORCH_VERSION"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
STAMP="$VENV/.semihand-stamp"

log() { printf '[setup_env] %s\n' "$*" >&2; }

# What the environment was built from: when this changes, the environment is brought up to date.
want_stamp() { cat "$CONSTRAINTS" "$ROOT/requirements/runtime.txt" "$ROOT/requirements/tests.txt" | sha1sum | cut -c1-16; }

build_mmcv_wheel() {
    # mmcv 2.1.0's setup.py passes -std=c++17; torch 2.14's headers need C++20.
    local work
    work="$(mktemp -d)"
    log "building mmcv 2.1.0 with its ops against torch $TORCH_VERSION (10 to 25 minutes on 2 cores)"
    "$VENV/bin/pip" download --quiet --no-deps --no-build-isolation --no-binary :all: -d "$work" mmcv==2.1.0
    tar -xzf "$work"/mmcv-2.1.0.tar.gz -C "$work"
    sed -i 's/-std=c++17/-std=c++20/g' "$work/mmcv-2.1.0/setup.py"
    grep -q -- '-std=c++20' "$work/mmcv-2.1.0/setup.py" || { log "mmcv setup.py has no C++ standard flag to patch"; exit 1; }
    (cd "$work/mmcv-2.1.0" && MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
        "$VENV/bin/pip" wheel --no-cache-dir --no-deps --no-build-isolation -w "$work/dist" .)
    mkdir -p "$WHEELS"
    local built
    built="$(ls "$work"/dist/mmcv-2.1.0-*.whl)"
    # Atomic publish: another set-up never sees a half-copied wheel.
    cp "$built" "$WHEELS/.$(basename "$built").tmp"
    mv "$WHEELS/.$(basename "$built").tmp" "$WHEELS/$(basename "$built")"
    rm -rf "$work"
}

setup() {
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ]; then
        return 0
    fi
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
    local pip=("$VENV/bin/pip" install --quiet --disable-pip-version-check -c "$CONSTRAINTS")
    "${pip[@]}" --upgrade pip wheel setuptools
    log "installing torch $TORCH_VERSION"
    "${pip[@]}" torch torchvision
    "${pip[@]}" -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" ninja psutil
    if ! ls "$WHEELS"/mmcv-2.1.0-*.whl >/dev/null 2>&1; then
        build_mmcv_wheel
    else
        log "reusing cached $(ls "$WHEELS"/mmcv-2.1.0-*.whl)"
    fi
    "${pip[@]}" "$(ls "$WHEELS"/mmcv-2.1.0-*.whl | head -n1)"
    "${pip[@]}" --no-deps mmpose==1.3.2
    "$VENV/bin/python" -c 'import mmcv.ops, mmpose.models, mmdet.models' \
        || { log "the OpenMMLab stack does not import; remove $VENV and run again"; exit 1; }
    want_stamp > "$STAMP"
}

setup
# The plugin itself: an editable install pointing at this checkout (seconds; redone when the
# environment is shared by another clone, which the log names: a command given to this script, and
# tools/train.py, tools/test.py and `python -m pytest` run from a checkout, use that checkout's code
# whichever one is installed; the other scripts under tools/, run in the activated venv, the
# installed one).
# (checked from / and with -E, so neither the current directory nor PYTHONPATH counts as installed)
INSTALLED="$(cd / && "$VENV/bin/python" -E -c 'import semihand_mmpose, os; print(os.path.dirname(os.path.dirname(semihand_mmpose.__file__)))' 2>/dev/null || true)"
if [ "$INSTALLED" != "$ROOT" ]; then
    if [ -n "$INSTALLED" ]; then
        log "pointing $VENV's semihand_mmpose at $ROOT (it was $INSTALLED)"
    fi
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT"
fi

if [ "$#" -gt 0 ]; then
    # this checkout's code first on the path, for the command and every process it starts: another
    # clone's set-up may re-point the shared editable install while it runs
    export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV" PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
    cd "$ROOT"
    exec "$@"
fi
