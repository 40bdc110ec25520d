#!/bin/sh
# Runs every benchmark and writes the result tables into
# docs/PERFORMANCE.md (and the raw per-round data into
# bench/results/raw.json). Takes about 15 minutes on 2 cores. Extra
# arguments go to benchall, e.g. ./run.sh -only syscalls -rounds 21.
# Needs Linux with seccomp and Landlock; for every comparison: hyperfine,
# bubblewrap, firejail, wrk, libseccomp-dev, util-linux (setpriv). Run as
# root for bwrap/firejail and the downloader's user switch.
set -eu
cd "$(dirname "$0")"
mkdir -p results
exec go run ./cmd/benchall -out ../docs/PERFORMANCE.md -raw results/raw.json "$@"
