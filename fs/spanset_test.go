package fs

import (
	"math/rand/v2"
	"testing"
)

// The set agrees with a bitmap under random adds and clips.
func TestStageSpanSetMatchesABitmap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const size = 200
	for round := 0; round < 200; round++ {
		var s spanSet
		var bits [size]bool
		for op := 0; op < 20; op++ {
			lo := rng.Int64N(size)
			hi := lo + rng.Int64N(size-lo+1)
			if rng.IntN(6) == 0 {
				s.clip(lo)
				for i := lo; i < size; i++ {
					bits[i] = false
				}
			} else {
				s.add(lo, hi)
				for i := lo; i < hi; i++ {
					bits[i] = true
				}
			}
			for i := 1; i < len(s); i++ {
				if s[i-1].hi >= s[i].lo || s[i].lo >= s[i].hi {
					t.Fatalf("set %v is not sorted, disjoint and merged", s)
				}
			}
			qlo := rng.Int64N(size)
			qhi := qlo + rng.Int64N(size-qlo+1)
			var want [size]bool
			for i := qlo; i < qhi; i++ {
				want[i] = !bits[i]
			}
			var got [size]bool
			for _, g := range s.gaps(qlo, qhi) {
				if g.lo >= g.hi {
					t.Fatalf("empty gap %v", g)
				}
				for i := g.lo; i < g.hi; i++ {
					got[i] = true
				}
			}
			if got != want {
				t.Fatalf("gaps(%d, %d) of %v disagree with the bitmap", qlo, qhi, s)
			}
		}
	}
}
