package pledge

import (
	"github.com/pledgekit/pledgekit/promises"
	"github.com/pledgekit/pledgekit/report"
)

// TEMPORARY SHIM (replace with unveil.CommitPending when it lands): apply
// pending unveils (Landlock) with the paths ps implies; a no-op with an
// empty report when nothing is pending.
var commitPending = func(ps promises.Set) (report.Report, error) { return report.Report{}, nil }
