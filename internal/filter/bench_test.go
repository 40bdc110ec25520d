package filter

import (
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

func BenchmarkCompile(b *testing.B) {
	for _, c := range []struct {
		name string
		set  promises.Set
	}{{"stdio", promises.MustParse("stdio")}, {"all", allPromises()}} {
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
