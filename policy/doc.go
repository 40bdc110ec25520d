// Package policy reads sandbox policy files: Landlock Config files (the
// TOML/JSON format of landlock-lsm/landlockconfig, proposed for systemd's
// LandlockConfig= and for launchers), and pledgekit's own format, a
// superset that also carries pledge promises and OpenBSD-style unveils, so
// that one file can describe a whole sandbox. Several files, in either
// syntax and either format, compose into one policy.
//
// The package only reads and checks policies; it never calls the kernel
// and builds on every GOOS. A Resolved policy is meant to be applied with
// the pledge and unveil packages, as the unveil command does.
//
//	r, err := policy.Load("base.toml", "app.json") // parse, compose, resolve
//
// or step by step: Parse or ParseFile each file, Compose the results, then
// Resolve (or ResolveEnv) the composition.
//
// # Landlock Config
//
// A document has these keys (TOML spelling; JSON spells multi-word keys in
// camelCase: pathBeneath, netPort, handledAccessFs, handledAccessNet,
// allowedAccess):
//
//	abi = 5                                  # Landlock ABI the groups refer to: 1 to 2^31-1
//
//	[[variable]]                             # name: ASCII letter, then letters, digits, _
//	name = "rw"
//	literal = ["/tmp", "/var/tmp"]           # optional; values are united
//
//	[[ruleset]]                              # rights to restrict even without a rule
//	handled_access_fs = ["abi.all"]
//	handled_access_net = ["bind_tcp"]
//	scoped = ["signal"]
//
//	[[path_beneath]]                         # allow rights beneath each parent
//	allowed_access = ["abi.read_write"]
//	parent = ["${rw}", "/home/user/tmp"]
//
//	[[net_port]]                             # allow TCP rights on each port
//	allowed_access = ["bind_tcp"]
//	port = [80, 443]
//
// Filesystem rights are execute, write_file, read_file, read_dir,
// remove_dir, remove_file, make_char, make_dir, make_reg, make_sock,
// make_fifo, make_block, make_sym, refer, truncate and ioctl_dev; network
// rights bind_tcp and connect_tcp; scopes abstract_unix_socket and signal.
// An explicit name means that right whatever the abi. The groups depend on
// the abi, which must then be given:
//
//   - abi.all: every right of the vocabulary that Landlock ABI has (ABI 1:
//     the first 13 filesystem rights; 2 adds refer; 3 truncate; 4 the TCP
//     rights; 5 ioctl_dev; 6 the scopes). ABI 7 and 8 added no rights, and
//     later rights (resolve_unix, UDP) have no name in this revision of the
//     format, so an abi above MaxGroupABI counts as MaxGroupABI, as in the
//     reference implementation.
//   - abi.read_execute (filesystem): execute, read_file, read_dir, and
//     refer from ABI 2 on.
//   - abi.read_write (filesystem): abi.all without execute.
//
// The rights a path_beneath or net_port rule allows are added to the
// handled rights, so a rule always restricts. A rule whose group expands
// to no right (abi.all in net_port below ABI 4) adds nothing.
//
// Parents are templates: "${name}" stands for each value of the variable
// in turn (a parent naming several variables yields every combination),
// "$$" for a literal "$"; a "$" followed by anything else is literal. A
// variable must be defined in one of the composed files; one defined
// without literals yields no path. Paths are normalized (repeated and
// trailing slashes and "." components dropped; ".." is left to the
// kernel), and rules on the same path are united.
//
// Validation is strict: unknown keys, a key in the other syntax's
// spelling, wrong types, empty lists and tables, duplicate JSON keys,
// unknown right names, a group without abi, an abi out of range, a port
// outside 0-65535, a bad variable name or template, an empty parent, and a
// document with no rule at all are errors. Every error is an *Error naming
// the file, the line and column (exact for JSON, found from the table
// headers for TOML), and the key, e.g. "path_beneath[1].allowed_access[0]";
// its Err wraps one of the Err* kinds for errors.Is. Bad input never
// panics (FuzzParseTOML, FuzzParseJSON).
//
// Where this reader is stricter than the reference implementation: ports
// above 65535 are rejected when parsing (the reference fails later, when it
// builds the ruleset); an empty parent string is an error (the reference
// silently yields no rule); JSON numbers must be written as integers.
//
// # pledgekit sections
//
// A file may also hold, alone or next to Landlock Config keys:
//
//	promises = "stdio rpath inet dns"        # pledge(2) promises, checked by promises.Parse
//
//	[[unveil]]                               # unveil(2): a path and "rwxc" letters
//	path = "/etc/ssl"
//	perm = "r"
//
//	[[unveil]]
//	path = "${HOME}/downloads"
//	perm = "rwc"
//
//	[net]                                    # JSON: "net": {"connectTcp": [443], "bindTcp": []}
//	connect_tcp = [443]                      # restrict TCP connect to these ports
//	bind_tcp = []                            # an empty list: no port may be bound
//
//	[scope]                                  # JSON: "scope": {"signal": true, "abstractUnixSocket": true}
//	signal = true
//	abstract_unix_socket = true
//
// Unveil perm letters are OpenBSD's: r (read), w (write), x (execute), c
// (create/remove); "" hides the path. A relative path is relative to the
// working directory when the policy is applied, as with unveil(2). They reach Resolved.Unveils as
// written (normalized to "rwxc" order); turning them into Landlock rights
// is the unveil package's job. A [net] key, even with an empty list, makes
// that right handled; an absent key leaves it alone. A scope set to false
// is the same as an absent one.
//
// Unveil paths may use "${NAME}" for the environment variables in EnvVars
// (HOME, USER, TMPDIR and the XDG base directories), read when resolving;
// no other environment variable is substituted, and [[variable]] values
// apply to path_beneath parents only. "$$" is a literal "$".
//
// # Composition and precedence
//
// Compose (and Load) combine files; the result does not depend on their
// order, and composing a file with itself changes nothing. A Config is
// never modified after Parse or Compose, so it may be shared between
// goroutines.
//
// The Landlock Config parts of the files that have one (variable, ruleset,
// path_beneath or net_port keys) compose exactly as the reference
// implementation composes them: the abi is the lowest one given; variables
// are united; the handled filesystem and network rights and the scopes
// are intersected; every rule of every file is kept, clipped to the
// common handled rights, and dropped if nothing is left. Composition thus
// only ever loosens: every file's allowances survive, and a restriction
// survives only if every file makes it. In particular, a file that
// handles no filesystem right (one with only network rules, or only
// variables) removes every filesystem rule of the others; this is the
// reference's rule, kept for compatibility.
//
// pledgekit sections are united across files and added on top of the
// composed Landlock Config part, which they never clip: promises are the
// union of every file's promises (Resolved.HasPromises tells whether any
// file gave some, since promises = "" is the strictest pledge); unveils on
// the same path unite their letters; a [net] right is handled if any file
// lists it, and its ports join the Landlock Config ports (a port is
// allowed if any rule allows it); [scope] scopes are added. A file with
// only pledgekit sections therefore never empties the Landlock Config part
// of another. An abi in a file without Landlock Config keys is an error.
//
// Resolved.Paths and Resolved.Unveils are both allow rules, meant for the
// same Landlock ruleset, where an access is allowed if any rule allows it.
//
// # Not covered
//
// Landlock rights newer than ABI 6 cannot be named in this format revision;
// pledge's execpromises have no key; "deny inside an allowed tree" cannot
// be expressed, as Landlock only allows (what an unveil with perm ""
// beneath an allowed path does is the unveil package's business).
// Unlike OpenBSD, where unveil(2) calls accumulate at run time, a policy
// is a fixed set of rules applied once.
package policy
