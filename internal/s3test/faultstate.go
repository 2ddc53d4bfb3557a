package s3test

import (
	"math/rand/v2"
	"slices"
	"time"
)

// faultState is the mutable side of Faults: the counters and the random
// source. It is owned by Proxy and guarded by Proxy.mu.
type faultState struct {
	cfg           Faults
	rng           *rand.Rand
	failLeft      int
	cutLeft       int
	cutUploadLeft int
	stallLeft     int
	failed        int // errors injected so far, for RetryAfterEvery
}

func newFaultState(f Faults) faultState {
	seed := f.Seed
	if seed == 0 {
		seed = 1
	}
	return faultState{
		cfg:           f,
		rng:           rand.New(rand.NewPCG(seed, seed)),
		failLeft:      f.FailFirstN,
		cutLeft:       f.CutFirstN,
		cutUploadLeft: f.CutUploadFirstN,
		stallLeft:     f.StallFirstN,
	}
}

// faultPlan is what the faults do to one request, decided when it arrives.
type faultPlan struct {
	fail       bool
	err        s3Error // the answer, when fail
	retryAfter string  // Retry-After of the answer, when fail

	stall    bool
	stallFor time.Duration // 0: until the client or the proxy goes
	stallAt  StallPoint

	cutUpload bool
	cutAfter  int64 // body bytes forwarded before the cut
}

// plan decides the faults of a request of op whose body has size bytes
// (-1 unknown). The decisions are drawn in a fixed order (fail, stall,
// upload cut), so a given sequence of requests gets the same faults.
func (s *faultState) plan(op string, size int64) faultPlan {
	var p faultPlan
	if s.decideFail(op) {
		status, code := s.cfg.errorStatus()
		return faultPlan{fail: true, err: injectedError(status, code), retryAfter: s.retryAfter()}
	}
	p.stall, p.stallFor = s.decideStall(op)
	p.stallAt = s.cfg.StallAt
	p.cutUpload, p.cutAfter = s.decideCutUpload(op, size)
	return p
}

// opMatches reports whether op is in ops; an empty ops matches everything.
func opMatches(ops []string, op string) bool {
	return len(ops) == 0 || slices.Contains(ops, op)
}

// draw returns true with probability frac. It consumes randomness only
// when frac > 0, so configs without fractions stay fully deterministic.
func (s *faultState) draw(frac float64) bool {
	return frac > 0 && s.rng.Float64() < frac
}

// decideFail reports whether a request of the given op is answered with an
// injected error.
func (s *faultState) decideFail(op string) bool {
	if s.failLeft > 0 && opMatches(s.cfg.FailOps, op) {
		s.failLeft--
		return true
	}
	switch op {
	case OpGet:
		return s.draw(s.cfg.FailGET)
	case OpList:
		return s.draw(s.cfg.FailLIST)
	case OpHead:
		return s.draw(s.cfg.FailHEAD)
	}
	writeOps := s.cfg.FailWriteOps
	if len(writeOps) == 0 {
		writeOps = WriteOps()
	}
	if slices.Contains(writeOps, op) {
		return s.draw(s.cfg.FailWrite)
	}
	return false
}

// retryAfter returns the Retry-After header for the next injected error
// ("" for none).
func (s *faultState) retryAfter() string {
	s.failed++
	if s.cfg.RetryAfterEvery > 1 && s.failed%s.cfg.RetryAfterEvery != 0 {
		return ""
	}
	return s.cfg.RetryAfter
}

// decideStall reports whether a request of the given op is stalled, and for
// how long (0 means until the request or the proxy ends).
func (s *faultState) decideStall(op string) (bool, time.Duration) {
	if !opMatches(s.cfg.StallOps, op) {
		return false, 0
	}
	if s.stallLeft > 0 {
		s.stallLeft--
		return true, s.cfg.StallFor
	}
	return s.draw(s.cfg.StallFraction), s.cfg.StallFor
}

// decideCut is called when a 2xx object GET response starts; it returns
// whether to cut it and after how many body bytes.
func (s *faultState) decideCut() (bool, int64) {
	if s.cutLeft > 0 {
		s.cutLeft--
		return true, s.cfg.CutAfterBytes
	}
	return s.draw(s.cfg.CutGETFraction), s.cfg.CutAfterBytes
}

// decideCutUpload reports whether the body of a request of op, of size
// bytes (-1 unknown), is cut, and after how many bytes.
func (s *faultState) decideCutUpload(op string, size int64) (bool, int64) {
	ops := s.cfg.CutUploadOps
	if len(ops) == 0 {
		ops = []string{OpPut, OpUploadPart}
	}
	after := s.cfg.CutUploadAfterBytes
	if !slices.Contains(ops, op) || (size >= 0 && size <= after) {
		return false, 0
	}
	if s.cutUploadLeft > 0 {
		s.cutUploadLeft--
		return true, after
	}
	return s.draw(s.cfg.CutUploadFraction), after
}
