// Package hooks connects packages that cannot import each other without a
// cycle. Package pledge imports unveil (a pledge commits pending unveils);
// unveil must still let pledge prepare before Landlock restricts the
// process, because pledge's violation supervisor is this program's binary
// re-executed, which a Landlock domain that does not grant it "x" would
// forbid. The hooks are set once, from init functions; users never touch
// them.
package hooks

import "sync/atomic"

var beforeLandlock atomic.Pointer[func()]

// SetBeforeLandlock registers f to run before a Landlock domain is
// enforced on the whole process.
func SetBeforeLandlock(f func()) { beforeLandlock.Store(&f) }

// BeforeLandlock runs the registered function, if any.
func BeforeLandlock() {
	if f := beforeLandlock.Load(); f != nil {
		(*f)()
	}
}
