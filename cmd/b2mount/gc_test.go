package main

import (
	"runtime/debug"
	"testing"
)

// b2mount collects at GOGC=50 unless the user set GOGC, which wins.
func TestTuneGCKeepsAUsersGOGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	if got := tuneGC(func(string) string { return "" }); got != gcPercent {
		t.Errorf("without GOGC the target is %d, want %d", got, gcPercent)
	}
	if now := debug.SetGCPercent(100); now != gcPercent {
		t.Errorf("the runtime's target is %d, want %d", now, gcPercent)
	}
	debug.SetGCPercent(200) // what the runtime took from GOGC=200 at start
	if got := tuneGC(func(k string) string { return map[string]string{"GOGC": "200"}[k] }); got != 200 {
		t.Errorf("with GOGC=200 the target is %d, want 200", got)
	}
	if now := debug.SetGCPercent(100); now != 200 {
		t.Errorf("with GOGC=200 the runtime's target became %d", now)
	}
}
