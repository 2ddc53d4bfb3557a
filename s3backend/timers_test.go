package s3backend_test

import (
	"sync"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// hangBound is how long a call may take before the test calls it hung.
// Only a hang crosses it, never a slow or loaded machine: the calls it
// guards are bounded by timeouts and cancellations well under a second.
const hangBound = time.Minute

// noHang runs fn and fails the test if fn has not returned within
// hangBound. fn runs on another goroutine: it may use t.Error, not t.Fatal.
func noHang(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(hangBound):
		t.Fatalf("%s still running after %s: it hangs", what, hangBound)
	}
}

// manualTimers stand in for the GET watchdogs' timers: they never fire
// on their own; the test fires the running ones when it means to.
type manualTimers struct {
	mu     sync.Mutex      // guards all
	timers []*manualTimer  // every timer made
	armed  []time.Duration // each timer's first duration and every Reset's, in order
}

type manualTimer struct {
	m       *manualTimers
	f       func()
	running bool // guarded by m.mu
}

func withManualTimers(c testClient) *manualTimers {
	m := &manualTimers{}
	s3backend.SetAfterFunc(c.Client, m.afterFunc)
	return m
}

func (m *manualTimers) afterFunc(d time.Duration, f func()) s3backend.Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.armed = append(m.armed, d)
	t := &manualTimer{m: m, f: f, running: true}
	m.timers = append(m.timers, t)
	return t
}

func (t *manualTimer) Reset(d time.Duration) bool {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	t.m.armed = append(t.m.armed, d)
	was := t.running
	t.running = true
	return was
}

func (t *manualTimer) Stop() bool {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	was := t.running
	t.running = false
	return was
}

// durations returns every duration a timer was set to, in order.
func (m *manualTimers) durations() []time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]time.Duration(nil), m.armed...)
}

// fireWhenRunning waits until a timer is running, then fires every
// running timer and returns how many it fired.
func (m *manualTimers) fireWhenRunning(t *testing.T) int {
	t.Helper()
	var n int
	noHang(t, "waiting for a running watchdog", func() {
		for {
			var due []*manualTimer
			m.mu.Lock()
			for _, tm := range m.timers {
				if tm.running {
					tm.running = false
					due = append(due, tm)
				}
			}
			m.mu.Unlock()
			for _, tm := range due {
				tm.f()
			}
			if n = len(due); n > 0 {
				return
			}
			time.Sleep(time.Millisecond) // a condition to wait for, not a measurement
		}
	})
	return n
}
