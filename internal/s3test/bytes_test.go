package s3test_test

import (
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
)

func TestProxyCountsResponseBytes(t *testing.T) {
	forEachServer(t, func(t *testing.T, s *s3test.Server) {
		setupObject(t, s, 100<<10)
		c := newClient(t, s)
		s.Proxy.ResetCounts()
		c.mustDo(200, "GET", "/bkt/obj", nil)
		c.mustDo(206, "GET", "/bkt/obj", nil, "Range", "bytes=10-4105")
		if got, want := s.Proxy.ResponseBytes(), int64(100<<10+4096); got != want {
			t.Errorf("ResponseBytes = %d after a whole and a 4 KiB GET, want %d", got, want)
		}
		// A cut body counts what got through.
		if err := s.Proxy.SetFaults(s3test.Faults{CutFirstN: 1, CutAfterBytes: 1000}); err != nil {
			t.Fatal(err)
		}
		s.Proxy.ResetCounts()
		if _, _, err := c.do("GET", "/bkt/obj", nil); err == nil {
			t.Fatal("cut GET: no error")
		}
		if got := s.Proxy.ResponseBytes(); got != 1000 {
			t.Errorf("ResponseBytes = %d after a body cut at 1000", got)
		}
	})
}
