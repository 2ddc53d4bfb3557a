package s3test

import (
	"fmt"
	"time"
)

// DefaultRequestLogSize is how many requests a Proxy remembers for Requests.
const DefaultRequestLogSize = 1000

// Request is one entry of a Proxy's request log.
type Request struct {
	Seq     uint64 // arrival order since the proxy started, from 1
	Time    time.Time
	Op      string // OpGet, OpList, ...
	Method  string
	Path    string // escaped path as received
	Query   string // raw query as received
	Range   string // Range header
	IfMatch string // If-Match header
	// Status is the status sent to the client, 0 while none has been sent
	// (or never, for a request stalled until the client left).
	Status int
	// Size is the request body's size in bytes: Content-Length, or
	// X-Amz-Decoded-Content-Length for an aws-chunked body; -1 when
	// unknown. 0 for requests without a body.
	Size int64
	// Refused is B2's answer when the proxy refused the request under
	// B2's rules, "" otherwise: "<status> <code>: <message>".
	Refused string
	// Fault is the injected fault: "", "fail", "stall", "cut" (of the
	// answer for a GET, of the request body for an upload) or "stall+cut".
	Fault    string
	Duration time.Duration // 0 until the proxy is done with the request
}

// Counts returns a snapshot of the number of requests per Op since the last
// ResetCounts. Requests refused while down are not counted; those refused
// under B2's rules, failed, stalled and cut are.
func (p *Proxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// ResponseBytes returns how many response body bytes the proxy has sent
// to clients since the last ResetCounts, over all requests (object bodies,
// listings, errors). A cut or abandoned body counts what got through.
func (p *Proxy) ResponseBytes() int64 { return p.responseBytes.Load() }

// RequestBytes returns how many request body bytes the proxy has read
// from clients since the last ResetCounts, over all requests (uploaded
// objects and parts, XML bodies), refused and cut ones included.
func (p *Proxy) RequestBytes() int64 { return p.requestBytes.Load() }

// ResetCounts zeroes the counts and the byte counters, and empties the
// request log.
func (p *Proxy) ResetCounts() {
	p.responseBytes.Store(0)
	p.requestBytes.Store(0)
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.counts)
	clear(p.ring)
	p.ringLen = 0 // seq keeps counting so late updates of older requests match nothing
}

// SetRequestLogSize makes the request log keep the last n requests
// (default DefaultRequestLogSize), for tests that check more of them. It
// empties the log.
func (p *Proxy) SetRequestLogSize(n int) error {
	if n < 1 {
		return fmt.Errorf("request log size %d, want at least 1", n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ring = make([]Request, n)
	p.ringLen = 0
	return nil
}

// Requests returns a copy of the request log, oldest first: the last
// DefaultRequestLogSize (or SetRequestLogSize) requests since the last
// ResetCounts. An entry
// appears when the request arrives; Status is filled in before the client
// can see the answer, Duration when the proxy is done.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Request, 0, p.ringLen)
	for s := p.seq - uint64(p.ringLen) + 1; s <= p.seq; s++ {
		out = append(out, p.ring[(s-1)%uint64(len(p.ring))])
	}
	return out
}

// logArrival counts a request and adds it to the log; it returns its Seq.
func (p *Proxy) logArrival(entry Request) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[entry.Op]++
	p.seq++
	entry.Seq = p.seq
	p.ring[(p.seq-1)%uint64(len(p.ring))] = entry
	if p.ringLen < len(p.ring) {
		p.ringLen++
	}
	return p.seq
}

// update applies fn to the log entry seq if it is still in the ring.
func (p *Proxy) update(seq uint64, fn func(*Request)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := &p.ring[(seq-1)%uint64(len(p.ring))]
	if e.Seq == seq {
		fn(e)
	}
}
