package fs

// The parts of the multipart uploads the writer sends. B2, like S3, takes
// at most 10,000 parts per upload, each but the last of 5 MB to 5 GB. The
// size of a part is a pure function of its number, so the part that holds
// a byte is known before the file's size is, and the sizes grow in tiers so
// that the last part ends past 10 TB:
//
//	parts          1..2,000   2,001..4,000   4,001..6,000   6,001..10,000
//	size of each   firstPart  64 MiB         512 MiB        4 GiB
//
// With the default firstPart of 5 MiB the tiers end at 10 GiB, 135 GiB,
// 1.1 TiB and 16.7 TiB (18.4 TB).
const (
	// defaultFirstPart is the size of the parts of the first tier.
	defaultFirstPart = 5 << 20
	// maxParts is the most parts one upload may have.
	maxParts = 10_000
	// memPartMax is the largest part the writer buffers in memory; larger
	// parts (past 10 GiB with the default tiers) are buffered in a file of
	// the staging directory, because a part must be kept until it is
	// uploaded, for the retries.
	memPartMax = 16 << 20
)

// partTiers are the tiers of parts, in order: how many parts each holds and
// their size (0: the layout's first).
var partTiers = [...]struct {
	count int
	size  int64
}{
	{2_000, 0},
	{2_000, 64 << 20},
	{2_000, 512 << 20},
	{4_000, 4 << 30},
}

// partLayout places the parts of an upload whose first tier has parts of
// first bytes. Parts are numbered from 1, as S3 numbers them.
type partLayout struct{ first int64 }

func (l partLayout) tierSize(i int) int64 {
	if partTiers[i].size == 0 {
		return l.first
	}
	return partTiers[i].size
}

// size is the size of part n, 0 outside 1..maxParts.
func (l partLayout) size(n int) int64 {
	if n < 1 {
		return 0
	}
	for i, t := range partTiers {
		if n <= t.count {
			return l.tierSize(i)
		}
		n -= t.count
	}
	return 0
}

// start is the offset of part n's first byte, for n in 1..maxParts+1
// (start(maxParts+1) is maxSize).
func (l partLayout) start(n int) int64 {
	var off int64
	n--
	for i, t := range partTiers {
		k := min(n, t.count)
		off += int64(k) * l.tierSize(i)
		n -= k
	}
	return off
}

// end is the offset just past part n.
func (l partLayout) end(n int) int64 { return l.start(n + 1) }

// of is the number of the part that holds byte off (maxParts+1 at or past
// maxSize).
func (l partLayout) of(off int64) int {
	n := 1
	for i, t := range partTiers {
		size := l.tierSize(i)
		if span := int64(t.count) * size; off >= span {
			off -= span
			n += t.count
			continue
		}
		return n + int(off/size)
	}
	return n
}

// maxSize is the largest object the parts can hold: a write or truncation
// past it fails with errFileTooBig (it would need part 10,001).
func (l partLayout) maxSize() int64 { return l.start(maxParts + 1) }

// putLimit is the largest content sent with one PutObject instead of a
// multipart upload: what parts 1 and 2 hold. A streamed file uploads its
// first part only once part 2 is full (part 1 is kept for patching), so
// anything up to this size costs one request; a staged file of the same
// size costs the same.
func (l partLayout) putLimit() int64 { return l.start(3) }
