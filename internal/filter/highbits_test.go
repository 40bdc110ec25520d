package filter

import (
	"testing"

	"github.com/pledgekit/pledgekit/promises"
)

const (
	afUnix    = 1
	afInet    = 2
	afNetlink = 16
)

func runBoth(t *testing.T, p *Program, s Spec, d Data) uint32 {
	t.Helper()
	agree(t, newVM(t, p), p, s, d)
	got, _, _ := Run(p, d)
	return got
}

// TestHighBits checks that int-typed (W32) arguments are compared on their
// low 32 bits only, as the kernel reads them, while W64 arguments are
// compared in full.
func TestHighBits(t *testing.T) {
	w32 := func(arg uint8, v uint64) promises.Cond { return promises.Cond{Arg: arg, Width: promises.W32, Value: v} }
	for _, arch := range arches {
		tab := table(t, arch)
		socket, _ := tab.Number("socket")
		ioctl, _ := tab.Number("ioctl")
		call := func(nr uint32, args ...uint64) Data {
			d := Data{Nr: int32(nr), Arch: tab.AuditArch}
			copy(d.Args[:], args)
			return d
		}

		// A rule allowing socket(AF_INET) allows AF_INET|1<<32: the kernel
		// ignores the upper half of an int, so that call IS socket(AF_INET).
		s := Spec{Arch: arch, Deny: RetErrno | EPERM, Extra: []promises.Rule{{Syscall: "socket", Args: []promises.Cond{w32(0, afInet)}}}}
		p, err := Compile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, dom := range []uint64{afInet, afInet | 1<<32, afInet | 0xffffffff00000000} {
			if got := runBoth(t, p, s, call(socket, dom, 1, 0)); got != RetAllow {
				t.Errorf("%s: socket(%#x) = %s, want ALLOW", arch, dom, ActionString(got))
			}
		}
		for _, dom := range []uint64{afUnix, afInet6(), afInet + 1<<31, 0} {
			if got := runBoth(t, p, s, call(socket, dom, 1, 0)); got != RetErrno|EPERM {
				t.Errorf("%s: socket(%#x) = %s, want ERRNO(EPERM)", arch, dom, ActionString(got))
			}
		}

		// A rule allowing only AF_UNIX denies AF_NETLINK|1<<32 (which the
		// kernel would read as AF_NETLINK); a 64-bit compare of "domain !=
		// AF_NETLINK" is exactly the hole this closes.
		s = Spec{Arch: arch, Deny: RetErrno | EPERM, Extra: []promises.Rule{{Syscall: "socket", Args: []promises.Cond{w32(0, afUnix)}}}}
		if p, err = Compile(s); err != nil {
			t.Fatal(err)
		}
		for _, dom := range []uint64{afNetlink | 1<<32, afNetlink, afUnix | 2<<32 | afNetlink} {
			if got := runBoth(t, p, s, call(socket, dom)); got != RetErrno|EPERM {
				t.Errorf("%s: only-AF_UNIX rule: socket(%#x) = %s, want ERRNO(EPERM)", arch, dom, ActionString(got))
			}
		}
		if got := runBoth(t, p, s, call(socket, afUnix|1<<32)); got != RetAllow {
			t.Errorf("%s: only-AF_UNIX rule: socket(AF_UNIX|1<<32) = %s, want ALLOW", arch, ActionString(got))
		}

		// W64: the upper half matters, with and without a mask.
		s = Spec{Arch: arch, Deny: RetErrno | EPERM, Extra: []promises.Rule{
			{Syscall: "ioctl", Args: []promises.Cond{{Arg: 1, Width: promises.W64, Value: 0x5421}}},
			{Syscall: "ioctl", Args: []promises.Cond{{Arg: 2, Width: promises.W64, Mask: 0xff00000000, Value: 0x4200000000}}},
		}}
		if p, err = Compile(s); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			a1, a2 uint64
			want   uint32
		}{
			{0x5421, 0, RetAllow},
			{0x5421 | 1<<32, 0, RetErrno | EPERM},
			{0x5421 | 1<<63, 0, RetErrno | EPERM},
			{0, 0x4200000000, RetAllow},
			{0, 0x42ffffffff, RetAllow},
			{0, 0x4100000000, RetErrno | EPERM},
			{0, 0x42, RetErrno | EPERM},
		} {
			if got := runBoth(t, p, s, call(ioctl, 0, c.a1, c.a2)); got != c.want {
				t.Errorf("%s: ioctl(0, %#x, %#x) = %s, want %s", arch, c.a1, c.a2, ActionString(got), ActionString(c.want))
			}
		}
	}
}

func afInet6() uint64 { return 10 }

// TestW32LoadsLowWordOnly checks the shape: a W32 condition loads only the
// low word of its argument (offset 16+8*i), a W64 condition both.
func TestW32LoadsLowWordOnly(t *testing.T) {
	w := func(width promises.Width) *Program {
		p, err := Compile(Spec{Arch: "amd64", Extra: []promises.Rule{{Syscall: "socket", Args: []promises.Cond{{Arg: 3, Width: width, Value: 7}}}}})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	loads := func(p *Program) map[uint32]bool {
		m := map[uint32]bool{}
		for _, ri := range p.Raw {
			if ri.Op == opLdAbsW {
				m[ri.K] = true
			}
		}
		return m
	}
	if l := loads(w(promises.W32)); !l[16+8*3] || l[20+8*3] {
		t.Errorf("W32 condition on arg3: loads %v, want [40] and not [44]", l)
	}
	if l := loads(w(promises.W64)); !l[16+8*3] || !l[20+8*3] {
		t.Errorf("W64 condition on arg3: loads %v, want [40] and [44]", l)
	}
}
