#!/bin/sh
# Smoke test of the benchmark harness (not a benchmark): vets and tests the
# bench module, then runs every section once with tiny iteration counts.
# The numbers it prints are meaningless; it fails if anything does not
# build or run. About a minute on 2 cores. Tools that are missing (wrk,
# hyperfine, bwrap, firejail, libseccomp-dev) are reported, not fatal.
set -eu
cd "$(dirname "$0")"
pkgs=$(go list ./... | grep -v /cmd/lsexport || true)
if pkg-config --exists libseccomp 2>/dev/null; then
	pkgs=$(go list ./...)
else
	echo "smoke: libseccomp-dev not installed: the libseccomp configuration is skipped" >&2
fi
test -z "$(gofmt -l .)" || { gofmt -l .; echo "smoke: gofmt" >&2; exit 1; }
go vet $pkgs
go test -count=1 $pkgs
go run ./cmd/benchall -quick >/dev/null
echo "smoke: ok"
