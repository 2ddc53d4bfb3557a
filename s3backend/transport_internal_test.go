package s3backend

import "testing"

// The SDK's default pool keeps 10 idle connections per host; a few
// sequential readers keep more ranged GETs than that in flight, and every
// connection over the pool would be closed and opened again per part.
func TestTransportKeepsEnoughIdleConnections(t *testing.T) {
	tr := newHTTPClient().GetTransport()
	if tr.MaxIdleConnsPerHost < 32 || tr.MaxIdleConns < tr.MaxIdleConnsPerHost {
		t.Errorf("idle pool: %d per host, %d in all; want at least 32 per host", tr.MaxIdleConnsPerHost, tr.MaxIdleConns)
	}
	if tr.MaxConnsPerHost != 0 && tr.MaxConnsPerHost < 64 {
		t.Errorf("MaxConnsPerHost %d would queue parallel GETs", tr.MaxConnsPerHost)
	}
}
