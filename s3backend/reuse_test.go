package s3backend_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
)

// A reader that got every byte it asked for gives its connection back: the
// next GET reuses it (a new connection to B2 is a TLS handshake).
func TestRangeReaderReadToItsEndReusesTheConnection(t *testing.T) {
	f := newFake(t)
	f.put("obj", make([]byte, 1<<20))
	c := newClient(t, f.srv.URL, nil)
	var mu sync.Mutex
	conns := map[string]int{}
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mu.Lock()
		conns[r.RemoteAddr]++
		mu.Unlock()
		next.ServeHTTP(w, r)
	})
	buf := make([]byte, 64<<10)
	for i := range 5 {
		rc, err := c.OpenRange(context.Background(), "obj", "", int64(i)*4096, int64(len(buf)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(rc, buf); err != nil { // exactly the bytes asked for, no read of EOF
			t.Fatal(err)
		}
		rc.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(conns) != 1 {
		t.Errorf("5 GETs, each read to its last byte, used %d connections, want 1: %v", len(conns), conns)
	}
}
