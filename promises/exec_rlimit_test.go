package promises

import "testing"

// Go restores the soft RLIMIT_NOFILE right before execve (syscall.Exec,
// os/exec) when the runtime raised it at start-up: exec allows exactly that
// call, not other limits or other processes.
func TestExecRestoresNofile(t *testing.T) {
	set := MustParse("stdio rpath exec")
	for _, arch := range []string{"amd64", "arm64"} {
		if _, ok := Decide(set, arch, "prlimit64", [6]uint64{0, rlimitNofile, 0xc000010000, 0}); !ok {
			t.Errorf("%s: prlimit64(0, RLIMIT_NOFILE, new, NULL) denied under exec", arch)
		}
		for _, args := range [][6]uint64{
			{0, 3 /* RLIMIT_STACK */, 0xc000010000},
			{1234, rlimitNofile, 0xc000010000},
		} {
			if _, ok := Decide(set, arch, "prlimit64", args); ok {
				t.Errorf("%s: prlimit64%v allowed under %q", arch, args, set)
			}
		}
		if _, ok := Decide(MustParse("stdio rpath"), arch, "prlimit64", [6]uint64{0, rlimitNofile, 0xc000010000}); ok {
			t.Errorf("%s: setting RLIMIT_NOFILE allowed without exec", arch)
		}
	}
}
