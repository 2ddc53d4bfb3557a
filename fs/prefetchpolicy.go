package fs

// The window policy of a sequential stream: how big its window is and into
// how many parts it is split, given only whether the server is distant
// (latencyMeter.far). The prefetcher (prefetch.go) applies it; the parts
// (part.go) and the meter know nothing of it.
//
// A distant server answers each GET late and carries little on one
// connection (B2 from afar: tens of ms to the first byte, tens of MB/s per
// connection), so a stream is only as fast as the parts it has in flight:
// bandwidth = parts × one connection's rate. There the window is split into
// many small parts, all fetched at once, and jumps to its full size as soon
// as the first GET has shown the server to be distant. Nearby, fewer and
// larger parts cost less CPU on both ends for the same speed, and the
// window doubles from InitialWindow.

// nearParts and farParts are how many parts a full window is split into
// for a nearby and for a distant server: with the default 64 MiB window,
// 8 MiB parts (the default PartSize) and 2 MiB parts. On the wan profile
// (30 ms, 50 MB/s per connection) a 2 MiB part is in flight 72 ms, so a
// 64 MiB window carries up to about 0.9 GB/s. 1 MiB parts (51 ms) would
// carry more on the simulated link (BenchmarkPrefetcherWAN 815 MB/s
// against 680), but twice the GETs cost CPU on both ends: through the
// bench's shaping proxy on a shared 2-core machine a cold 1 GiB read ran
// at 351 and 276 MB/s with 1 MiB parts, 417 and 324 with 2 MiB parts (and
// 334 and 270 with 2 MiB parts and the window growing fourfold), runs
// interleaved, load average 3 to 8.
const (
	nearParts = 8
	farParts  = 32
)

// partsPerWindow is how many parts a full window is split into.
func partsPerWindow(far bool) int64 {
	if far {
		return farParts
	}
	return nearParts
}

// nextWindow is the window after cur grows, at most maxWindow: doubled
// nearby; for a distant server the whole maxWindow at once. While a stream
// ramps up, each step waits for a GET asked for one step earlier, so a
// step costs a round trip: nearby that is cheap, far away the 6 doublings
// from 1 MiB to 64 MiB would cost 6 round trips at a fraction of the
// speed. A 64 MiB file on the simulated wan link is read in 135 to 173 ms
// where growing fourfold per step took 252 to 264
// (BenchmarkPrefetcherWAN64MiB; 512 MiB: 627 to 685 MB/s against 596 to
// 620; interleaved runs on a shared machine).
func nextWindow(cur, maxWindow int64, far bool) int64 {
	if far {
		return maxWindow
	}
	return min(2*cur, maxWindow)
}
