#!/usr/bin/env bash
# build.sh -- set up a fresh Debian machine, build MklRnn, and run its jobs.
#   ./build.sh          set up + build (native shim with CMake, .NET solution in Release)
#   ./build.sh test     set up + build + native ctest + xunit suite (conformance cases included)
#   ./build.sh demo     set up + build + train a character LM briefly, then sample from it
#   ./build.sh perf [--quick]            BenchmarkDotNet suite -> perf/results/<date>/
#   ./build.sh perf-compare BASE NEW     statistical comparison of two result sets
#   ./build.sh fuzz [--seconds N] [--target NAME]   fuzz every loader (default 60 s; docs/reliability.md)
# Idempotent: a second run on a set-up machine installs nothing and only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '\033[1m== %s\033[0m\n' "$*"; }

# Debian packages the build and the engine need at run time.
PACKAGES=(cmake gcc g++ make libmkl-rt libmkl-dev libomp-dev)
# A real English corpus present after set-up (the demo's default training text).
PACKAGES+=(fortunes)
# MPICH (the MPICH ABI, libmpi.so.12 family) for data-parallel training: `train --distributed` under mpirun.
PACKAGES+=(mpich)
# ONNX's backend node tests (LSTM, GRU, RNN), a peer's suite the ONNX importer is checked against.
PACKAGES+=(libonnx-testdata)

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

enable_non_free() {
    # MKL lives in Debian's non-free component; add it once, for the suites already configured.
    if grep -rqs "non-free" /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null; then
        return
    fi
    say "adding Debian's non-free component (for MKL)"
    local codename
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    cat > /etc/apt/sources.list.d/mklrnn-non-free.sources <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: ${codename} ${codename}-updates
Components: non-free
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

setup() {
    local missing
    missing=$(missing_packages)
    if [ -n "$missing" ]; then
        [ "$(id -u)" = 0 ] || { echo "build.sh: need root to install: $missing" >&2; exit 1; }
        enable_non_free
        say "installing: $(echo $missing)"
        apt-get update -q
        # MKL's package asks a debconf question (make it the default BLAS?); answer no, quietly.
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
    fi
    command -v dotnet >/dev/null || { echo "build.sh: the .NET 10 SDK (dotnet) is not on PATH" >&2; exit 1; }
}

build() {
    say "native shim (CMake, Release)"
    cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build/cmake -j "$(nproc)" >/dev/null
    say ".NET solution (Release)"
    dotnet build MklRnn.sln -c Release -nologo -v q -clp:ErrorsOnly
}

cli() { dotnet "$ROOT/src/MklRnn.Cli/bin/Release/net10.0/mklrnn.dll" "$@"; }
fuzz() { dotnet "$ROOT/fuzz/MklRnn.Fuzz/bin/Release/net10.0/mklrnn-fuzz.dll" "$@"; }

cmd=${1:-build}
[ $# -gt 0 ] && shift
case "$cmd" in
    build)
        setup; build ;;
    test)
        setup; build
        say "native kernel tests (ctest)"
        ctest --test-dir build/cmake --output-on-failure
        say "xunit suite"
        # minimal verbosity: only failures (with message and stack) and the summary are printed,
        # so a failure is what the last lines of a CI log show; the trx file keeps every result;
        # a test running over 5 minutes (every test takes seconds) ends the run, naming the test.
        dotnet test tests/MklRnn.Tests/MklRnn.Tests.csproj -c Release --no-build -nologo \
            --logger "console;verbosity=minimal" --logger "trx;LogFileName=results.trx" \
            --blame-hang-timeout 5min --blame-hang-dump-type none \
            --results-directory "$ROOT/build/test-results" "$@" </dev/null # no test reads input (mpirun would forward it)
        say "fuzz: a bounded pass over every loader (./build.sh fuzz runs longer)"
        fuzz --seconds 20 ;;
    fuzz)
        setup; build
        fuzz "$@" ;;
    demo)
        setup; build
        cli demo "$@" ;;
    perf)
        setup; build
        cli perf-run "$@" ;;
    perf-compare)
        setup; build
        cli perf-compare "$@" ;;
    *)
        echo "usage: ./build.sh [build|test|demo|perf [--quick]|perf-compare BASE NEW|fuzz [--seconds N]]" >&2; exit 2 ;;
esac
