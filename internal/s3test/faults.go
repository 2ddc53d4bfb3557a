package s3test

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Faults configures the failures a Proxy injects. The zero value injects
// nothing. Fractions are probabilities in [0,1] drawn from a math/rand
// source seeded with Seed, so a given sequence of requests always gets the
// same faults. The *FirstN counters are deterministic: they apply to the
// first N matching requests after SetFaults, before any fraction is drawn.
//
// A request gets at most one error answer; a request that is not failed may
// be stalled and then, if it is an object GET, have its answer cut, or if
// it uploads (CutUploadOps), have its request body cut.
//
// Faults come after B2's rules (Proxy.SetB2Rules): a request the rules
// refuse is neither failed, stalled nor cut, and uses up no counter.
type Faults struct {
	// Seed seeds the random source for the fractions. Default 1.
	Seed uint64

	// FailGET, FailLIST and FailHEAD are the fractions of object GETs,
	// listings and object HEADs answered with an error instead of being
	// forwarded.
	FailGET, FailLIST, FailHEAD float64
	// FailWrite is the fraction of writes (requests whose op is in
	// FailWriteOps) answered with an error before anything is forwarded,
	// e.g. 0.3 with Status 503 for "30% 503s on writes".
	FailWrite float64
	// FailWriteOps are the ops FailWrite applies to. Default: WriteOps().
	FailWriteOps []string
	// FailFirstN fails the first N requests whose op is in FailOps.
	FailFirstN int
	// FailOps limits FailFirstN to these ops (OpGet, OpPut, OpUploadPart,
	// ...). Default: every op.
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

	// CutUploadFraction is the fraction of requests whose op is in
	// CutUploadOps whose request body is cut: the proxy forwards the first
	// CutUploadAfterBytes bytes of it, then drops the connection to the
	// server (which sees a truncated request) and the client's (which sees
	// a broken connection mid-upload, and no answer). A body known to be
	// no longer than CutUploadAfterBytes is never chosen.
	CutUploadFraction float64
	// CutUploadFirstN cuts the bodies of the first N requests whose op is
	// in CutUploadOps.
	CutUploadFirstN int
	// CutUploadOps are the ops whose bodies may be cut. Default: OpPut and
	// OpUploadPart.
	CutUploadOps []string
	// CutUploadAfterBytes is how many body bytes get through before the
	// cut. Default 0.
	CutUploadAfterBytes int64

	// StallFraction is the fraction of requests whose op is in StallOps
	// that are held for StallFor at StallAt.
	StallFraction float64
	// StallFirstN stalls the first N requests whose op is in StallOps.
	StallFirstN int
	// StallOps limits stalls to these ops. Default: every op.
	StallOps []string
	// StallFor is how long a stalled request is held. Default 0: held until
	// the client gives up, the proxy goes down or closes (it then goes no
	// further).
	StallFor time.Duration
	// StallAt is where a stalled request is held. Default StallBeforeBody.
	StallAt StallPoint
}

// StallPoint is where in a request's life the Proxy holds a stalled
// request.
type StallPoint int

const (
	// StallBeforeBody holds the request before the proxy reads its body or
	// forwards anything (a client that sent Expect: 100-continue is still
	// waiting to send its body).
	StallBeforeBody StallPoint = iota
	// StallAfterBody reads the whole request body first (into memory),
	// then holds the request before forwarding it: the client has sent
	// everything and waits for an answer; the server has seen nothing.
	StallAfterBody
	// StallBeforeAnswer forwards the request and holds the server's answer
	// before sending it: the server has done the write, the client does not
	// know. If the stall ends with the client or the proxy gone, the
	// answer is never sent.
	StallBeforeAnswer
)

func (s StallPoint) String() string {
	switch s {
	case StallBeforeBody:
		return "before-body"
	case StallAfterBody:
		return "after-body"
	case StallBeforeAnswer:
		return "before-answer"
	}
	return fmt.Sprintf("StallPoint(%d)", int(s))
}

// validate checks ranges; it does not apply defaults.
func (f Faults) validate() error {
	for name, v := range map[string]float64{
		"FailGET": f.FailGET, "FailLIST": f.FailLIST, "FailHEAD": f.FailHEAD, "FailWrite": f.FailWrite,
		"CutGETFraction": f.CutGETFraction, "CutUploadFraction": f.CutUploadFraction, "StallFraction": f.StallFraction,
	} {
		if v < 0 || v > 1 {
			return fmt.Errorf("faults: %s = %v, want a fraction in [0,1]", name, v)
		}
	}
	if f.FailFirstN < 0 || f.CutFirstN < 0 || f.CutUploadFirstN < 0 || f.StallFirstN < 0 ||
		f.CutAfterBytes < 0 || f.CutUploadAfterBytes < 0 || f.StallFor < 0 || f.RetryAfterEvery < 0 {
		return errors.New("faults: negative count, size or duration")
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return fmt.Errorf("faults: Status = %d, want 4xx or 5xx", f.Status)
	}
	if f.StallAt < StallBeforeBody || f.StallAt > StallBeforeAnswer {
		return fmt.Errorf("faults: StallAt = %v, want one of the StallPoint constants", f.StallAt)
	}
	return nil
}

// clone returns f with its own copies of the op lists.
func (f Faults) clone() Faults {
	f.FailOps = append([]string(nil), f.FailOps...)
	f.FailWriteOps = append([]string(nil), f.FailWriteOps...)
	f.CutUploadOps = append([]string(nil), f.CutUploadOps...)
	f.StallOps = append([]string(nil), f.StallOps...)
	return f
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
