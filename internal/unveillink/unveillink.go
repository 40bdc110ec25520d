// Package unveillink is what package pledge (and the unveil command) need
// from package unveil that users must not call: committing the pending
// unveils with a pledge, committing Options.Unveil knowing the promises,
// examining paths before a filter forbids it, whether unix sockets are
// restricted by path, and the "dns" port narrowing.
// Package unveil sets the functions from an init function (Linux only);
// pledge imports unveil, so they are set before pledge uses them. On
// other systems they stay nil and pledge does not call them.
package unveillink

import (
	"github.com/pledgekit/pledgekit/internal/pathres"
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

var (
	// CommitPending is called right before a filter that enforces ps
	// (enforced; otherwise the filter only logs, or there is none).
	// When ps lacks the "unveil" promise it commits the pending unveils,
	// if any, with the paths promises.ImpliedPaths implies for ps, and
	// locks Unveil (unveil.ErrLocked afterwards, as pledge forbids it on
	// OpenBSD); when no path can be restricted it fails as UnveilBlock
	// does. With "unveil" it commits nothing: the program may still
	// unveil. Knowing that a filter enforcing ps follows, the layer
	// leaves to it what it refuses anyway (truncation without "wpath").
	CommitPending func(ps promises.Set, enforced bool) (report.Report, error)

	// CommitPledged commits rs, an *unveil.Ruleset (pledge.Options.Unveil
	// or the "dns" pin), right before a filter that enforces ps: as
	// CommitPending, the layer leaves to that filter what it refuses
	// anyway, and it has the default scopes of a veil.
	CommitPledged func(rs any, ps promises.Set) (*report.Report, error)

	// Prepare is called right before a filter that enforces ps is
	// installed: it reads now what later commits read and the filter may
	// refuse (the MPTCP sysctl), and, when ps forbids examining paths
	// (examines false: no "rpath"), examines and opens what later commits
	// will name (see package unveil's doc, "When unveils take effect").
	Prepare func(ps promises.Set, examines bool)

	// UnixSocketsRestricted reports whether a whole-process Landlock
	// layer this process committed restricts connecting and sending to
	// pathname unix sockets (Landlock ABI 9).
	UnixSocketsRestricted func() bool

	// NarrowToDNS returns what Ruleset.OnlyDNS leaves of a port rule for
	// the network right access (one LANDLOCK_ACCESS_NET_* bit): the ports
	// allowed, every other denied. handled says whether the rule denied
	// every port but ports before; if not, every port was allowed. For
	// the unveil command, which keeps its own port rules.
	NarrowToDNS func(access uint64, handled bool, ports []uint16) []uint16

	// ShareLookups makes the commits of rs, an *unveil.Ruleset, look
	// paths up through c, the cache its caller planned the rules with
	// (the unveil command, which commits in the process that planned: the
	// paths it resolved are not looked up again).
	ShareLookups func(rs any, c *pathres.Cache)
)
