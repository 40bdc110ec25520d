package supervise

import "strconv"

// ipString formats an IPv4 (4 bytes) or IPv6 (16 bytes) address as
// net/netip does: dotted decimal; RFC 5952 for IPv6 (lower-case hex
// without leading zeros, the longest run of two or more zero groups, the
// first of equal runs, written "::"), and an IPv4-mapped address as
// "::ffff:" and dotted decimal. Written here so that the supervisor's
// decoder does not link net/netip, whose package initialisation every
// launch of the command paid.
func ipString(b []byte) string {
	switch len(b) {
	case 4:
		return ipv4String(b)
	case 16:
	default:
		return ""
	}
	mapped := b[10] == 0xff && b[11] == 0xff
	for _, x := range b[:10] {
		mapped = mapped && x == 0
	}
	if mapped {
		return "::ffff:" + ipv4String(b[12:])
	}
	// The longest run of zero groups (at least two).
	best, bestLen := -1, 1
	for i := 0; i < 8; {
		if b[2*i] != 0 || b[2*i+1] != 0 {
			i++
			continue
		}
		j := i
		for j < 8 && b[2*j] == 0 && b[2*j+1] == 0 {
			j++
		}
		if j-i > bestLen {
			best, bestLen = i, j-i
		}
		i = j
	}
	out := make([]byte, 0, 39)
	for i := 0; i < 8; i++ {
		if i == best {
			out = append(out, ':', ':')
			i += bestLen - 1
			continue
		}
		if i > 0 && out[len(out)-1] != ':' {
			out = append(out, ':')
		}
		out = strconv.AppendUint(out, uint64(b[2*i])<<8|uint64(b[2*i+1]), 16)
	}
	return string(out)
}

func ipv4String(b []byte) string {
	out := make([]byte, 0, 15)
	for i, x := range b[:4] {
		if i > 0 {
			out = append(out, '.')
		}
		out = strconv.AppendUint(out, uint64(x), 10)
	}
	return string(out)
}
