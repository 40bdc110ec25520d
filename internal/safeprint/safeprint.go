// Package safeprint makes text a confined process chose safe to print on a
// terminal: its command name (/proc/PID/comm), the paths and strings of its
// system calls. Such text may hold escape sequences that move the cursor,
// rewrite earlier lines or set the window title, and newlines that forge
// whole messages; the supervisors of package pledge and of cmd/unveil pass
// it through String before it reaches their output.
package safeprint

import "strings"

// String replaces every character that is not printable ASCII (control
// characters including ESC, CR and LF, DEL, anything above '~', and bytes
// that are not valid UTF-8) with '?'.
func String(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}
