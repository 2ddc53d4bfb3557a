package fs

// span is the byte range [lo, hi).
type span struct{ lo, hi int64 }

// spanSet is a set of byte ranges, kept sorted, disjoint and merged: the
// ranges of a base object a staged file holds. Not safe for concurrent use.
type spanSet []span

// add puts [lo, hi) in the set.
func (s *spanSet) add(lo, hi int64) {
	if lo >= hi {
		return
	}
	out := (*s)[:0:0]
	for _, r := range *s {
		switch {
		case r.hi < lo || r.lo > hi: // apart (touching ranges merge)
			out = append(out, r)
		default:
			lo, hi = min(lo, r.lo), max(hi, r.hi)
		}
	}
	i := 0
	for i < len(out) && out[i].lo < lo {
		i++
	}
	out = append(out, span{})
	copy(out[i+1:], out[i:])
	out[i] = span{lo, hi}
	*s = out
}

// gaps returns the parts of [lo, hi) that are not in the set, in order.
func (s spanSet) gaps(lo, hi int64) []span {
	var out []span
	for _, r := range s {
		if r.hi <= lo {
			continue
		}
		if r.lo >= hi {
			break
		}
		if r.lo > lo {
			out = append(out, span{lo, r.lo})
		}
		lo = max(lo, r.hi)
	}
	if lo < hi {
		out = append(out, span{lo, hi})
	}
	return out
}

// clip drops everything at or past limit.
func (s *spanSet) clip(limit int64) {
	out := (*s)[:0]
	for _, r := range *s {
		if r.lo >= limit {
			break
		}
		r.hi = min(r.hi, limit)
		out = append(out, r)
	}
	*s = out
}
