package fs

import "time"

// hangBound is how long a test waits for something that takes
// milliseconds, such as a release the kernel sends on its own time, or the
// fetches of a closed file ending: only a hang crosses it, however loaded
// the machine.
const hangBound = 30 * time.Second

// waitUntil polls cond until it holds, for at most hangBound, and reports
// whether it held.
func waitUntil(cond func() bool) bool {
	deadline := time.Now().Add(hangBound)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
