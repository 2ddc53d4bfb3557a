package s3test_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
)

// A versitygw user that owns no bucket is refused with 403 AccessDenied:
// the stand-in for a B2 key without listFiles/readFiles.
func TestVersityUserWithoutTheBucketIsDenied(t *testing.T) {
	s := startVersity(t, s3test.WithIAM())
	data := setupObject(t, s, 100)
	if err := s.CreateUser("LIMITEDUSERKEY", "limited-user-secret", s3test.RoleUser); err != nil {
		t.Fatal(err)
	}
	// The root key still works.
	root := newClient(t, s)
	if _, body := root.mustDo(200, "GET", "/bkt/obj", nil); string(body) != string(data) {
		t.Error("root GET differs")
	}
	for _, path := range []string{"/bkt?list-type=2&max-keys=1", "/bkt/obj"} {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		if err := s3test.SignAs(req, "LIMITEDUSERKEY", "limited-user-secret", s.Region, nil); err != nil {
			t.Fatal(err)
		}
		resp, err := root.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 403 || !strings.Contains(string(body), "<Code>AccessDenied</Code>") {
			t.Errorf("user GET %s: %d %s, want 403 AccessDenied", path, resp.StatusCode, body)
		}
	}
	if err := startEmbedded(t).CreateUser("K", "S", s3test.RoleUser); err == nil {
		t.Error("embedded server created a user")
	}
}
