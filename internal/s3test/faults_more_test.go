package s3test_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
)

func TestRetryAfterEvery(t *testing.T) {
	s := startEmbedded(t)
	setupObject(t, s, 10)
	c := newClient(t, s)
	if err := s.Proxy.SetFaults(s3test.Faults{FailGET: 1, RetryAfter: "1", RetryAfterEvery: 3}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 6 {
		resp, _ := c.mustDo(503, "GET", "/bkt/obj", nil)
		got = append(got, resp.Header.Get("Retry-After"))
	}
	if want := []string{"", "", "1", "", "", "1"}; !equal(got, want) {
		t.Errorf("Retry-After of six errors %q, want %q", got, want)
	}
	if err := s.Proxy.SetFaults(s3test.Faults{RetryAfterEvery: -1}); err == nil {
		t.Error("negative RetryAfterEvery accepted")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSetRequestLogSize(t *testing.T) {
	p := bareProxy(t)
	if err := p.SetRequestLogSize(0); err == nil {
		t.Error("log size 0 accepted")
	}
	if err := p.SetRequestLogSize(3000); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	const n = 2500
	for i := range n {
		resp, err := client.Head(p.URL + "/b/k" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if reqs := p.Requests(); len(reqs) != n || reqs[0].Path != "/b/k0" || reqs[n-1].Path != "/b/k"+strconv.Itoa(n-1) {
		t.Errorf("log of %d requests: %d entries", n, len(reqs))
	}
}
