package fs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// rsync -a of a folder into the mount, then again: the second run finds
// every file the same (size and the modification time rsync set, which
// the mount keeps for the version it wrote) and uploads nothing, on the
// same mount and on a new mount of the same state directory. What the
// runs send is logged for the report. Folders keep no time of their own
// (README), so rsync sets theirs again each time, which sends nothing.
func TestRsyncTwiceThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			b := newRWBucket(t, kind)
			src := filepath.Join(t.TempDir(), "src")
			smallTree(t, src, 30)
			old := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			for _, d := range []string{src, filepath.Join(src, "sub")} {
				if err := os.Chtimes(d, old, old); err != nil {
					t.Fatal(err)
				}
			}
			state := t.TempDir()
			mnt := b.mount(mountSpec{stateDir: state})

			b.srv.Proxy.ResetCounts()
			shIn(t, mnt, `rsync -a "$1"/ rs/`, src)
			first := b.counts()
			t.Logf("first rsync -a of 30 files in 2 folders sent %v", first)
			// Each file: a PUT of its temporary name, then the rename, a
			// COPY with the time rsync set and the DELETEs: no HEAD, since
			// the mount knows the metadata it wrote.
			if first[s3test.OpHead] != 0 || first[s3test.OpCopy] != 30 {
				t.Errorf("the first rsync sent %d HEAD and %d COPY, want none and 30", first[s3test.OpHead], first[s3test.OpCopy])
			}
			b.sameTree("rs/", src)
			if got := b.keys("rs/"); len(got) != 30+2 {
				t.Errorf("after rsync, rs/ holds %d keys, want 30 files and 2 placeholders: %q", len(got), got)
			}

			again := func(what, mnt string) {
				t.Helper()
				b.srv.Proxy.ResetCounts()
				out := shIn(t, mnt, `rsync -a --itemize-changes "$1"/ rs/`, src)
				t.Logf("%s sent %v", what, b.counts())
				if w := b.writesSent(); len(w) != 0 {
					t.Errorf("%s sent writes %v", what, w)
					b.logRequests()
				}
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					if line != "" && !strings.HasPrefix(line, ".d..t...... ") {
						t.Errorf("%s changed more than a folder's time: %q", what, line)
					}
				}
			}
			again("the second rsync -a, same mount", mnt)
			again("a third rsync -a, on a new mount of the same state directory", b.mount(mountSpec{stateDir: state}))
			b.noUploads()
		})
	}
}
