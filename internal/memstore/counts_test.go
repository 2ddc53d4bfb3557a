package memstore_test

import (
	"context"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

// The fake counts the requests the client sends for a copy: one COPY,
// and a HEAD before it when meta is given.
func TestCopyCountsTheClientsRequests(t *testing.T) {
	m := memstore.New()
	m.Set("src", []byte("data"))
	src, err := m.Stat(context.Background(), "src")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		meta  *s3backend.Meta
		heads int
	}{{nil, 0}, {&s3backend.Meta{}, 1}} {
		m.ResetCounts()
		if _, _, err := m.Copy(context.Background(), src, "dst", tc.meta); err != nil {
			t.Fatal(err)
		}
		if got := m.Counts(); got[memstore.OpCopy] != 1 || got[memstore.OpHead] != tc.heads || len(got) != 1+tc.heads {
			t.Errorf("copy with meta %v counted %v, want 1 COPY and %d HEAD", tc.meta, got, tc.heads)
		}
	}
}
