// Command lsexport compiles a pledgekit promise set with libseccomp
// (binary-tree optimisation, SCMP_FLTATR_CTL_OPTIMIZE = 2) and writes the
// resulting BPF (struct sock_filter records) to standard output. It is the
// only cgo program of the benchmark, kept apart so that libseccomp never
// links into what is measured.
//
//	lsexport -promises "stdio rpath" [-optimize 2] > prog.bpf
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"

	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/pledgekit/pledgekit/bench/internal/progs"
	"github.com/pledgekit/pledgekit/promises"
)

func main() {
	ps := flag.String("promises", "stdio", "promise string")
	opt := flag.Int("optimize", 2, "SCMP_FLTATR_CTL_OPTIMIZE (1 = priority order, 2 = binary tree)")
	version := flag.Bool("version", false, "print libseccomp's version")
	flag.Parse()
	if *version {
		a, b, c := libseccomp.GetLibraryVersion()
		fmt.Printf("%d.%d.%d\n", a, b, c)
		return
	}
	if err := run(*ps, *opt); err != nil {
		fmt.Fprintln(os.Stderr, "lsexport:", err)
		os.Exit(1)
	}
}

func run(ps string, opt int) error {
	rules, err := progs.Rules(ps, runtime.GOARCH)
	if err != nil {
		return err
	}
	f, err := libseccomp.NewFilter(libseccomp.ActErrno.SetReturnCode(progs.EPERM))
	if err != nil {
		return err
	}
	defer f.Release()
	if err := f.SetBadArchAction(libseccomp.ActKillProcess); err != nil {
		return err
	}
	if err := f.SetNoNewPrivsBit(false); err != nil {
		return err
	}
	if err := f.SetOptimize(opt); err != nil {
		return fmt.Errorf("SetOptimize(%d): %w", opt, err)
	}
	for _, r := range rules {
		sc, err := libseccomp.GetSyscallFromName(r.Syscall)
		if err != nil {
			fmt.Fprintf(os.Stderr, "lsexport: libseccomp does not know %s, skipped\n", r.Syscall)
			continue
		}
		act := libseccomp.ActAllow
		if r.Action == promises.Errno {
			act = libseccomp.ActErrno.SetReturnCode(int16(r.Errno))
		}
		if len(r.Args) == 0 {
			err = f.AddRule(sc, act)
		} else {
			var conds []libseccomp.ScmpCondition
			for _, c := range r.Args {
				m := c.EffectiveMask()
				var cond libseccomp.ScmpCondition
				if m == ^uint64(0) {
					cond, err = libseccomp.MakeCondition(uint(c.Arg), libseccomp.CompareEqual, c.Value)
				} else {
					cond, err = libseccomp.MakeCondition(uint(c.Arg), libseccomp.CompareMaskedEqual, m, c.Value&m)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", r, err)
				}
				conds = append(conds, cond)
			}
			err = f.AddRuleConditional(sc, act, conds)
		}
		if err != nil {
			return fmt.Errorf("adding %s: %w", r, err)
		}
	}
	return f.ExportBPF(os.Stdout)
}
