package fs

import "testing"

// The tiers keep B2's rules: every part within 5 MB..5 GB, at most 10,000
// of them, and at least 10 TB in all.
func TestPartSizesKeepB2Rules(t *testing.T) {
	l := partLayout{first: defaultFirstPart}
	var total int64
	for n := 1; n <= maxParts; n++ {
		size := l.size(n)
		if size < 5_000_000 || size > 5_000_000_000 {
			t.Fatalf("part %d holds %d bytes, outside 5 MB..5 GB", n, size)
		}
		if n > 1 && size < l.size(n-1) {
			t.Fatalf("part %d (%d bytes) is smaller than part %d", n, size, n-1)
		}
		if got := l.start(n); got != total {
			t.Fatalf("start(%d) = %d, want %d", n, got, total)
		}
		total += size
	}
	if total < 10_000_000_000_000 {
		t.Errorf("10,000 parts hold %d bytes, less than 10 TB", total)
	}
	if l.maxSize() != total {
		t.Errorf("maxSize = %d, want the parts' total %d", l.maxSize(), total)
	}
	if l.size(0) != 0 || l.size(maxParts+1) != 0 {
		t.Errorf("sizes of parts 0 and %d: %d, %d, want 0", maxParts+1, l.size(0), l.size(maxParts+1))
	}
	for n, want := range map[int]int64{1: 5 << 20, 2_000: 5 << 20, 2_001: 64 << 20, 4_001: 512 << 20, 6_001: 4 << 30, 10_000: 4 << 30} {
		if got := l.size(n); got != want {
			t.Errorf("size(%d) = %d, want %d", n, got, want)
		}
	}
}

// of is the inverse of start: the part holding each byte, at every tier's
// edges and past the last part.
func TestPartOfOffset(t *testing.T) {
	for _, first := range []int64{defaultFirstPart, 1000} {
		l := partLayout{first: first}
		for _, n := range []int{1, 2, 3, 1_999, 2_000, 2_001, 2_002, 4_000, 4_001, 6_000, 6_001, 9_999, maxParts} {
			start, end := l.start(n), l.end(n)
			if end-start != l.size(n) {
				t.Fatalf("first %d: part %d spans %d..%d, not its size %d", first, n, start, end, l.size(n))
			}
			for _, off := range []int64{start, start + 1, end - 1} {
				if got := l.of(off); got != n {
					t.Errorf("first %d: of(%d) = %d, want %d", first, off, got, n)
				}
			}
		}
		if got := l.of(l.maxSize()); got != maxParts+1 {
			t.Errorf("first %d: of(maxSize) = %d, want %d", first, got, maxParts+1)
		}
		if l.putLimit() != 2*first {
			t.Errorf("first %d: putLimit = %d, want two parts", first, l.putLimit())
		}
	}
}
