package fs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/testenv"
)

// While a directory is being listed, looking up a name the pages so far
// decide sends nothing: a file on the first page is found, and a name the
// listing has gone past without seeing is missing. A name further on
// costs its own lookup's LIST.
func TestLookupWhileListingAnswersFromThePagesSoFar(t *testing.T) {
	st := memstore.New()
	for i := range 2500 {
		st.Set(fmt.Sprintf("photos/img%05d.jpg", i), []byte("x"))
	}
	open := make(chan struct{})
	var once atomic.Bool
	release := func() {
		if once.CompareAndSwap(false, true) {
			close(open)
		}
	}
	defer release()
	st.SetBeforePage(gatedPages("photos/", 1, open))
	mnt := testMount(t, st, "", DefaultOptions(), true)
	names(t, mnt)

	f, err := os.Open(filepath.Join(mnt, "photos"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ents, err := f.ReadDir(1); err != nil || len(ents) != 1 {
		t.Fatalf("first name while page 2 is held back: %v, %v", ents, err)
	}
	st.ResetCounts()
	// Far enough into the first page that readdir has not handed it out.
	if info, err := os.Stat(filepath.Join(mnt, "photos", "img00900.jpg")); err != nil || info.Size() != 1 {
		t.Errorf("stat of a name on the first page: %v, %v", info, err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "photos", "img00500.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of a name the listing went past: %v, want ENOENT", err)
	}
	if c := st.Counts(); len(c) != 0 {
		t.Errorf("lookups the first page answers sent %v, want nothing", c)
	}
	if info, err := os.Stat(filepath.Join(mnt, "photos", "img02400.jpg")); err != nil || info.Size() != 1 {
		t.Errorf("stat of a name on a held-back page: %v, %v", info, err)
	}
	if c := st.Counts(); c["LIST"] != 1 || len(c) != 1 {
		t.Errorf("a name beyond the pages so far sent %v, want one LIST from just below it", c)
	}
	release()
}

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
	d := root.(*dirNode).dc()
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

// During an outage a directory whose listing has expired still shows its
// last listing: ls lists it, a name in it is found and a photo already
// read opens from the kernel's cache, while a name not in it is EIO (never
// ENOENT). Once the store answers again, the next ls lists afresh.
func TestOutageShowsTheExpiredListing(t *testing.T) {
	st := &downStore{Store: memstore.New()}
	st.Set("photos/a.jpg", []byte("photo a"))
	st.Set("photos/b.jpg", []byte("photo b"))
	clock := testenv.NewClock()
	opt := DefaultOptions()
	opt.Clock = clock.Now
	mnt := testMount(t, st, "", opt, false) // no kernel entry cache: every stat asks b2mount
	p := func(name string) string { return filepath.Join(mnt, "photos", name) }
	if got := names(t, filepath.Join(mnt, "photos")); fmt.Sprint(got) != "[a.jpg b.jpg]" {
		t.Fatalf("ls photos: %v", got)
	}
	if data, err := os.ReadFile(p("a.jpg")); err != nil || string(data) != "photo a" {
		t.Fatalf("read a.jpg: %q, %v", data, err)
	}

	clock.Advance(opt.MetadataTTL + time.Second)
	st.down.Store(true)
	if got := names(t, filepath.Join(mnt, "photos")); fmt.Sprint(got) != "[a.jpg b.jpg]" {
		t.Errorf("ls photos during the outage: %v, want the expired listing", got)
	}
	if info, err := os.Stat(p("b.jpg")); err != nil || info.Size() != 7 {
		t.Errorf("stat b.jpg during the outage: %v, %v", info, err)
	}
	if _, err := os.Stat(p("c.jpg")); !errors.Is(err, syscall.EIO) {
		t.Errorf("stat of a name the expired listing lacks: %v, want EIO", err)
	}
	if data, err := os.ReadFile(p("a.jpg")); err != nil || string(data) != "photo a" {
		t.Errorf("read a.jpg (cached) during the outage: %q, %v", data, err)
	}
	if _, err := os.ReadFile(p("b.jpg")); !errors.Is(err, syscall.EIO) {
		t.Errorf("read b.jpg (never read) during the outage: %v, want EIO", err)
	}

	st.down.Store(false)
	st.Set("photos/c.jpg", []byte("photo c"))
	if got := names(t, filepath.Join(mnt, "photos")); fmt.Sprint(got) != "[a.jpg b.jpg c.jpg]" {
		t.Errorf("ls photos after the outage: %v, want a fresh listing", got)
	}
}
