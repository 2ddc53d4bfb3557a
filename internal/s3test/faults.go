package s3test

import (
	"errors"
	"fmt"
	"html"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Faults configures the failures a Proxy injects. The zero value injects
// nothing. Fractions are probabilities in [0,1] drawn from a math/rand
// source seeded with Seed, so a given sequence of requests always gets the
// same faults. The *FirstN counters are deterministic: they apply to the
// first N matching requests after SetFaults, before any fraction is drawn.
//
// A request gets at most one error answer; a request that is not failed may
// be stalled and then, if it is an object GET, cut.
type Faults struct {
	// Seed seeds the random source for the fractions. Default 1.
	Seed uint64

	// FailGET, FailLIST and FailHEAD are the fractions of object GETs,
	// listings and object HEADs answered with an error instead of being
	// forwarded.
	FailGET, FailLIST, FailHEAD float64
	// FailFirstN fails the first N requests whose op is in FailOps.
	FailFirstN int
	// FailOps limits FailFirstN to these ops (OpGet, OpList, ...).
	// Default: every op.
	FailOps []string
	// Status is the HTTP status of an injected error. Default 503.
	Status int
	// Code is the S3 error code in the XML body. Default "SlowDown" for
	// 503 and 429, "InternalError" for anything else.
	Code string
	// RetryAfter, when non-empty, is sent as the Retry-After header.
	RetryAfter string
	// RetryAfterEvery, when above 1, sends RetryAfter with every Nth
	// injected error only (the Nth, 2Nth, ...), so some errors carry it and
	// some do not. Deterministic: it draws no randomness.
	RetryAfterEvery int

	// CutGETFraction is the fraction of successful (2xx) object GETs whose
	// body is cut: the headers and the first CutAfterBytes bytes are sent,
	// then the connection is aborted, so the client sees an unexpected EOF.
	// A body no longer than CutAfterBytes passes intact.
	CutGETFraction float64
	// CutFirstN cuts the first N successful object GETs.
	CutFirstN int
	// CutAfterBytes is how many body bytes get through before the cut.
	// Default 0: the connection drops right after the headers.
	CutAfterBytes int64

	// StallFraction is the fraction of requests whose op is in StallOps
	// that are held for StallFor before anything is sent or forwarded.
	StallFraction float64
	// StallFirstN stalls the first N requests whose op is in StallOps.
	StallFirstN int
	// StallOps limits stalls to these ops. Default: every op.
	StallOps []string
	// StallFor is how long a stalled request is held before it is
	// forwarded. Default 0: held until the client gives up, the proxy goes
	// down or closes (it is then never forwarded).
	StallFor time.Duration
}

// validate checks ranges; it does not apply defaults.
func (f Faults) validate() error {
	for name, v := range map[string]float64{
		"FailGET": f.FailGET, "FailLIST": f.FailLIST, "FailHEAD": f.FailHEAD,
		"CutGETFraction": f.CutGETFraction, "StallFraction": f.StallFraction,
	} {
		if v < 0 || v > 1 {
			return fmt.Errorf("faults: %s = %v, want a fraction in [0,1]", name, v)
		}
	}
	if f.FailFirstN < 0 || f.CutFirstN < 0 || f.StallFirstN < 0 || f.CutAfterBytes < 0 || f.StallFor < 0 || f.RetryAfterEvery < 0 {
		return errors.New("faults: negative count, size or duration")
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return fmt.Errorf("faults: Status = %d, want 4xx or 5xx", f.Status)
	}
	return nil
}

// errorStatus returns the status and S3 code of an injected error.
func (f Faults) errorStatus() (int, string) {
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	code := f.Code
	if code == "" {
		switch status {
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			code = "SlowDown"
		default:
			code = "InternalError"
		}
	}
	return status, code
}

// faultState is the mutable side of Faults: the counters and the random
// source. It is owned by Proxy and guarded by Proxy.mu.
type faultState struct {
	cfg       Faults
	rng       *rand.Rand
	failLeft  int
	cutLeft   int
	stallLeft int
	failed    int // errors injected so far, for RetryAfterEvery
}

func newFaultState(f Faults) faultState {
	seed := f.Seed
	if seed == 0 {
		seed = 1
	}
	return faultState{
		cfg:       f,
		rng:       rand.New(rand.NewPCG(seed, seed)),
		failLeft:  f.FailFirstN,
		cutLeft:   f.CutFirstN,
		stallLeft: f.StallFirstN,
	}
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

// writeS3Error writes an S3-style XML error answer. HEAD answers carry no
// body, like S3's.
func writeS3Error(w http.ResponseWriter, r *http.Request, status int, code, retryAfter, requestID string) {
	msg := "Injected fault: " + http.StatusText(status)
	if code == "SlowDown" {
		msg = "Please reduce your request rate."
	}
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		"<Error><Code>" + html.EscapeString(code) + "</Code><Message>" + html.EscapeString(msg) +
		"</Message><Resource>" + html.EscapeString(r.URL.Path) + "</Resource><RequestId>" +
		requestID + "</RequestId></Error>"
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("X-Amz-Request-Id", requestID)
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
