package filter

import (
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

func BenchmarkCompile(b *testing.B) {
	for _, c := range []struct {
		name string
		set  promises.Set
	}{{"stdio", promises.MustParse("stdio")}, {"downloader", promises.MustParse("stdio rpath wpath cpath inet dns")}, {"all", allPromises()}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Compile(Spec{Arch: "amd64", Promises: c.set, Deny: RetErrno | EPERM}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRun(b *testing.B) {
	p, err := Compile(Spec{Arch: "amd64", Promises: allPromises(), Deny: RetErrno | EPERM})
	if err != nil {
		b.Fatal(err)
	}
	d := Data{Nr: 54, Arch: 0xc000003e, Args: [6]uint64{1, 1, 2}} // setsockopt
	for b.Loop() {
		Run(p, d)
	}
}

// TestCompileAllocs guards the compiler's allocation count (deterministic,
// unlike its time): the downloader's promise set compiled in 49
// allocations when this bound was set; the compiler it replaced made 3455.
func TestCompileAllocs(t *testing.T) {
	set := promises.MustParse("stdio rpath wpath cpath inet dns")
	n := testing.AllocsPerRun(5, func() {
		if _, err := Compile(Spec{Arch: "amd64", Promises: set, Deny: RetKillProcess}); err != nil {
			t.Fatal(err)
		}
	})
	if n > 100 {
		t.Errorf("Compile allocates %v objects per call, want at most 100", n)
	}
	t.Logf("%v allocations per Compile", n)
}
