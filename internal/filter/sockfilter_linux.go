package filter

import "golang.org/x/sys/unix"

// SockFilters returns the program in the form seccomp(2) takes
// (struct sock_filter), for a unix.SockFprog.
func (p *Program) SockFilters() []unix.SockFilter {
	out := make([]unix.SockFilter, len(p.Raw))
	for i, ri := range p.Raw {
		out[i] = unix.SockFilter{Code: ri.Op, Jt: ri.Jt, Jf: ri.Jf, K: ri.K}
	}
	return out
}
