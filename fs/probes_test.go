package fs

import (
	"fmt"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/testenv"
)

// A directory that is never listed but looked up under many names (a
// program probing for files that are not there) keeps its memory bounded:
// expired answers go once maxProbes is reached.
func TestRememberedProbesStayBounded(t *testing.T) {
	clock := testenv.NewClock()
	opt := DefaultOptions()
	opt.Clock = clock.Now
	root, err := NewRoot(memstore.New(), "", opt)
	if err != nil {
		t.Fatal(err)
	}
	d := root.(*dirNode).cache
	for i := range maxProbes {
		d.remember(fmt.Sprintf("old%d", i), probe{at: clock.Now()})
	}
	clock.Advance(opt.MetadataTTL + time.Second)
	d.remember("new", probe{at: clock.Now()})
	if len(d.probes) != 1 {
		t.Errorf("%d probes remembered after the TTL, want 1", len(d.probes))
	}
	for i := range maxProbes {
		d.remember(fmt.Sprintf("fresh%d", i), probe{at: clock.Now()})
	}
	if len(d.probes) != maxProbes+1 {
		t.Errorf("%d probes, want all %d fresh ones kept", len(d.probes), maxProbes+1)
	}
}
