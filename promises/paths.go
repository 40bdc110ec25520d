package promises

// ImpliedPath is a file or directory a promise needs reachable when unveil
// (Landlock) is in force, with the unveil permissions it needs.
type ImpliedPath struct {
	Path string
	Perm string // subset of "rwxc", as for unveil
}

var impliedPaths = [numPromises][]ImpliedPath{
	Stdio: {
		{"/dev/null", "rw"},
		{"/dev/zero", "r"},
		{"/dev/full", "rw"},
		{"/dev/random", "r"},
		{"/dev/urandom", "r"},
		{"/etc/localtime", "r"},
		// Go's time package looks for zoneinfo in these places.
		{"/usr/share/zoneinfo", "r"},
		{"/usr/share/lib/zoneinfo", "r"},
		{"/usr/lib/locale/TZ", "r"},
		{"/etc/zoneinfo", "r"},
	},
	Rpath: {
		{"/proc/filesystems", "r"},
	},
	Inet: {
		// CA certificates, where Go's crypto/x509 and OpenSSL look.
		{"/etc/ssl/certs", "r"},
		{"/etc/ssl/cert.pem", "r"},
		{"/etc/ssl/ca-bundle.pem", "r"},
		{"/etc/pki/tls/certs", "r"},
		{"/etc/pki/tls/cacert.pem", "r"},
		{"/etc/pki/ca-trust/extracted", "r"},
		{"/usr/share/ca-certificates", "r"},
		{"/usr/local/share/ca-certificates", "r"},
	},
	DNS: {
		{"/etc/resolv.conf", "r"},
		{"/etc/hosts", "r"},
		{"/etc/nsswitch.conf", "r"},
		{"/etc/services", "r"},
		{"/etc/protocols", "r"},
		{"/etc/gai.conf", "r"},
		{"/etc/host.conf", "r"},
	},
	Getpw: {
		{"/etc/passwd", "r"},
		{"/etc/group", "r"},
		{"/etc/nsswitch.conf", "r"},
	},
	TTY: {
		{"/dev/tty", "rw"},
		{"/etc/terminfo", "r"},
		{"/lib/terminfo", "r"},
		{"/usr/share/terminfo", "r"},
		{"/usr/lib/terminfo", "r"},
	},
	Exec: {
		// The dynamic loader and shared libraries of exec'd programs.
		{"/lib", "rx"},
		{"/lib64", "rx"},
		{"/usr/lib", "rx"},
		{"/usr/lib64", "rx"},
		{"/usr/local/lib", "rx"},
		{"/etc/ld.so.cache", "r"},
		{"/etc/ld.so.conf", "r"},
		{"/etc/ld.so.conf.d", "r"},
		{"/etc/ld.so.preload", "r"},
	},
	Vminfo: {
		{"/proc/meminfo", "r"},
		{"/proc/stat", "r"},
		{"/proc/cpuinfo", "r"},
		{"/proc/loadavg", "r"},
		{"/proc/uptime", "r"},
		{"/proc/vmstat", "r"},
		{"/proc/swaps", "r"},
		{"/proc/diskstats", "r"},
		{"/sys/devices/system/cpu", "r"},
	},
}

// ImpliedPaths returns the files and directories p needs reachable when
// unveil (Landlock) is in force, as Cosmopolitan's pledge command unveils
// them: a pledge together with unveil should add these (skipping paths that
// do not exist). They widen only Landlock, never seccomp: opening any of
// them still needs rpath/wpath. The slice is a copy.
func ImpliedPaths(p Promise) []ImpliedPath {
	if p >= numPromises || len(impliedPaths[p]) == 0 {
		return nil
	}
	return append([]ImpliedPath(nil), impliedPaths[p]...)
}
