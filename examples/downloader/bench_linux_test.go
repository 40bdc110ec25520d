package main

import (
	"os"
	"testing"
)

// The throughput benchmarks compare a download through the full design
// (user switch, Landlock, seccomp, pipe messages, parent hashing, signature
// child) with --disable-sandbox. They are not run by CI:
//
//	go test -run '^$' -bench Download ./examples/downloader
func benchmarkDownload(b *testing.B, disable bool) {
	r := newRepo(b)
	const size = 32 << 20
	data := testData(40, size)
	f := r.add("big", data, true)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir, err := os.MkdirTemp("", "dlbench-")
		if err != nil {
			b.Fatal(err)
		}
		os.Chmod(dir, 0o755)
		opts := testOptions(dir, r, f)
		opts.DisableSandbox = disable
		b.StartTimer()
		res, err := Run(b.Context(), opts)
		b.StopTimer()
		if err != nil {
			b.Fatalf("%v %+v", err, res.Files)
		}
		os.RemoveAll(dir)
		b.StartTimer()
	}
}

func BenchmarkDownloadSandboxed(b *testing.B)   { benchmarkDownload(b, false) }
func BenchmarkDownloadUnsandboxed(b *testing.B) { benchmarkDownload(b, true) }
