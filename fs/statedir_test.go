package fs

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

func TestRecoverWritesCleansUpAfterADeadMount(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	base := t.TempDir()

	// A live mount and a dead one, each with an unfinished upload, and an
	// upload of another client.
	live, err := openStateDir(base)
	if err != nil {
		t.Fatal(err)
	}
	dead, err := openStateDir(base)
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := st.CreateUpload(ctx, "dead/big.bin", s3backend.Meta{})
	gone := s3backend.Upload{Key: "dead/finished.bin", ID: "no-longer-there"}
	_, _ = st.CreateUpload(ctx, "other/client.bin", s3backend.Meta{}) // another client's
	livesUp, _ := st.CreateUpload(ctx, "live/big.bin", s3backend.Meta{})
	for _, up := range []s3backend.Upload{mine, gone} {
		if err := dead.journal.started(up); err != nil {
			t.Fatal(err)
		}
	}
	if err := live.journal.started(livesUp); err != nil {
		t.Fatal(err)
	}
	staged := filepath.Join(dead.staging, "s1")
	os.WriteFile(staged, []byte("never uploaded"), 0o600)
	os.WriteFile(staged+".json", []byte(`{"key":"notes/draft.txt","size":14,"dirty":true}`), 0o600)
	dead.lock.Close() // the process died

	var logs bytes.Buffer
	opt := DefaultOptions()
	opt.Writes = WriteOptions{Enabled: true, StateDir: base}
	opt.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	st.ResetCounts()
	RecoverWrites(ctx, st, "", opt)
	if c := st.Counts(); c[memstore.OpListUploads] != 1 || c[memstore.OpAbort] != 1 || len(c) != 2 {
		t.Errorf("recovery sent %v; want 1 LISTUPLOADS, 1 ABORT", c)
	}

	ups, _ := st.ListUploads(ctx, "")
	var keys []string
	for _, up := range ups {
		keys = append(keys, up.Key)
	}
	if got := strings.Join(keys, " "); got != "live/big.bin other/client.bin" {
		t.Errorf("unfinished uploads after recovery: %s; want the live mount's and the other client's only", got)
	}
	if _, err := os.Stat(dead.dir); !os.IsNotExist(err) {
		t.Errorf("the dead mount's directory is still there: %v", err)
	}
	if _, err := os.Stat(live.dir); err != nil {
		t.Errorf("the live mount's directory: %v", err)
	}
	rec, _ := filepath.Glob(filepath.Join(base, "recovered", "*notes%2Fdraft.txt"))
	if len(rec) != 1 {
		t.Fatalf("recovered files: %v", rec)
	}
	if b, _ := os.ReadFile(rec[0]); string(b) != "never uploaded" {
		t.Errorf("recovered content %q", b)
	}
	if !strings.Contains(logs.String(), "notes/draft.txt") {
		t.Errorf("the log does not name the recovered file:\n%s", logs.String())
	}

	// Nothing left to do: no request.
	st.ResetCounts()
	RecoverWrites(ctx, st, "", opt)
	if c := st.Counts(); len(c) != 0 {
		t.Errorf("a second recovery sent %v", c)
	}
}
