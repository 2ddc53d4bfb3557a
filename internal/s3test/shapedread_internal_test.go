package s3test

import (
	"testing"
	"time"
)

// hangBound is a bound only a hang crosses.
const hangBound = 30 * time.Second

// waits runs r.wait in a goroutine and returns a channel closed when it
// returns.
func waits(r *readPacer) <-chan struct{} {
	done := make(chan struct{})
	go func() { r.wait(); close(done) }()
	return done
}

func TestReadPacerEndsWaits(t *testing.T) {
	r := newReadPacer(1) // one byte a second
	select {
	case <-waits(r):
	case <-time.After(hangBound):
		t.Fatal("the first read waits")
	}
	r.account(1 << 20) // due in twelve days

	// A deadline in the past ends the wait, so a read can fail as due.
	done := waits(r)
	r.setDeadline(time.Now().Add(-time.Second))
	select {
	case <-done:
	case <-time.After(hangBound):
		t.Fatal("a past deadline did not end the wait")
	}

	// stop ends waits, this one and every later one.
	r.setDeadline(time.Time{})
	done = waits(r)
	r.stop()
	r.stop()
	for _, d := range []<-chan struct{}{done, waits(r)} {
		select {
		case <-d:
		case <-time.After(hangBound):
			t.Fatal("stop did not end a wait")
		}
	}
}

func TestReadPacerCharges(t *testing.T) {
	r := newReadPacer(1 << 20) // 1 MiB/s: slack of a quarter second
	before := time.Now()
	r.account(1 << 20)
	r.account(1 << 20)
	if r.next.Sub(before) < 2*time.Second {
		t.Errorf("2 MiB at 1 MiB/s due after %v", r.next.Sub(before))
	}
	start := time.Now()
	r.mu.Lock()
	r.next = start.Add(300 * time.Millisecond) // 50 ms beyond the slack
	r.mu.Unlock()
	r.wait()
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("a read 50 ms beyond the slack went after %v", d)
	}
}
