package main

import (
	"fmt"
	"os"
	"os/user"
	"sort"
	"strconv"
)

// plan is the validated work for one run.
type plan struct {
	opts     Options
	files    []FileSpec
	urls     [][]string
	pubKey   []byte
	caPEM    []byte
	switchTo bool
	uid, gid int
	userName string
	// releaseUID frees a dynamic download user at the end of the run.
	releaseUID func()
	ports      []uint16
	udpPorts   []uint16
	eps        []string
	readOnly   []string
}

func makePlan(opts Options) (*plan, error) {
	p := &plan{opts: opts}
	for _, m := range opts.Mirrors {
		if _, err := parseMirrorURL(m); err != nil {
			return nil, fmt.Errorf("%w: --mirror %q: %w", ErrUsage, m, err)
		}
	}
	if opts.DisableSandbox && opts.RequireSandbox {
		return nil, fmt.Errorf("%w: --disable-sandbox and --require-sandbox contradict each other", ErrUsage)
	}
	if opts.Parallel < 1 || opts.Parallel > 64 {
		return nil, fmt.Errorf("%w: --parallel %d out of range 1..64", ErrUsage, opts.Parallel)
	}
	l := opts.List
	if l == nil {
		if opts.ListFile == "" {
			return nil, fmt.Errorf("%w: --list FILE is required (or --demo)", ErrUsage)
		}
		data, err := os.ReadFile(opts.ListFile)
		if err != nil {
			return nil, fmt.Errorf("reading the download list: %w", err)
		}
		if l, err = ParseList(data); err != nil {
			return nil, fmt.Errorf("%s: %w", opts.ListFile, err)
		}
	} else if err := l.validate(); err != nil {
		return nil, err
	}
	p.files = l.Files
	needDNS := false
	ports := map[uint16]bool{}
	eps := map[string]bool{}
	anySigned := false
	for i := range l.Files {
		f := &l.Files[i]
		us := l.URLsFor(f, opts.Mirrors)
		if len(us) == 0 {
			return nil, fmt.Errorf("%w: file %q has no URL and there is no mirror (--mirror URL)", ErrUsage, f.Name)
		}
		for _, s := range us {
			u, err := parseFileURL(s)
			if err != nil {
				return nil, fmt.Errorf("%w: %q: %w", ErrBadList, s, err)
			}
			port, _ := urlPort(u)
			ports[port] = true
			eps[endpoint(u)] = true
			if !hostIsIP(u) {
				needDNS = true
			}
		}
		p.urls = append(p.urls, us)
		anySigned = anySigned || f.Signed
	}
	if needDNS {
		ports[53] = true // DNS over TCP; over UDP: udpPorts
		p.udpPorts = []uint16{53}
		for _, f := range []string{"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf"} {
			if _, err := os.Stat(f); err == nil {
				p.readOnly = append(p.readOnly, f)
			}
		}
	}
	for port := range ports {
		p.ports = append(p.ports, port)
	}
	sort.Slice(p.ports, func(i, j int) bool { return p.ports[i] < p.ports[j] })
	for e := range eps {
		p.eps = append(p.eps, e)
	}
	sort.Strings(p.eps)

	switch {
	case len(opts.PublicKey) > 0:
		k, err := parsePublicKey(opts.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		p.pubKey = k
	case opts.KeyFile != "":
		b, err := os.ReadFile(opts.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		if p.pubKey, err = parsePublicKey(b); err != nil {
			return nil, fmt.Errorf("--key %s: %w", opts.KeyFile, err)
		}
	case l.PublicKey != "":
		p.pubKey, _ = parsePublicKey([]byte(l.PublicKey))
	}
	if anySigned && p.pubKey == nil {
		return nil, fmt.Errorf("%w: the list has signed files; give the public key with --key FILE or public_key in the list", ErrNoKey)
	}
	switch {
	case len(opts.CAPEM) > 0:
		p.caPEM = opts.CAPEM
	case opts.CAFile != "":
		b, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		p.caPEM = b
	}
	if err := p.resolveUser(); err != nil {
		return nil, err
	}
	return p, nil
}

// resolveUser decides whether and to whom the child switches. Only root
// switches (pacman 7.0 broke non-root use by always trying). --user equal
// to the current user, or root, means no switch.
func (p *plan) resolveUser() error {
	euid := os.Geteuid()
	name := p.opts.User
	explicit := name != ""
	if euid != 0 {
		if !explicit {
			p.uid, p.gid = euid, os.Getegid()
			return nil
		}
		uid, gid, err := lookupUser(name)
		if err != nil {
			return err
		}
		if uid != euid {
			return fmt.Errorf("%w: --user %s (uid %d) while running as uid %d; run as root or drop --user", ErrNeedRoot, name, uid, euid)
		}
		p.uid, p.gid = uid, gid
		return nil
	}
	if !explicit {
		uid, release, err := allocateUID()
		if err != nil {
			return err
		}
		p.uid, p.gid, p.userName, p.releaseUID = uid, uid, fmt.Sprintf("dynamic uid %d", uid), release
		p.switchTo = true
		return nil
	}
	uid, gid, err := lookupUser(name)
	if err != nil {
		return err
	}
	p.uid, p.gid, p.userName = uid, gid, name
	p.switchTo = uid != 0
	return nil
}

func lookupUser(name string) (uid, gid int, err error) {
	var u *user.User
	if n, perr := strconv.Atoi(name); perr == nil {
		if n < 0 || n > 1<<31-2 {
			return 0, 0, fmt.Errorf("%w: --user %s out of range", ErrUsage, name)
		}
		u, err = user.LookupId(name)
		if err != nil {
			// A bare uid with no passwd entry: use it as its own group.
			return n, n, nil
		}
	} else if u, err = user.Lookup(name); err != nil {
		return 0, 0, fmt.Errorf("%w: download user %q: %w (create it, or pass --user UID)", ErrUsage, name, err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}
