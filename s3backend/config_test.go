package s3backend_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

// recordingTransport records each request and fails it: no network.
type recordingTransport struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.reqs = append(rt.reqs, r.Clone(context.Background()))
	return nil, errors.New("recording transport: no network")
}

func TestAddressingAndSigningRegion(t *testing.T) {
	for _, tc := range []struct {
		virtual    bool
		host, path string
	}{
		{false, "s3.us-west-002.backblazeb2.com", "/bkt"},
		{true, "bkt.s3.us-west-002.backblazeb2.com", "/"},
	} {
		rt := &recordingTransport{}
		c := newClient(t, "https://s3.us-west-002.backblazeb2.com", func(cfg *s3backend.Config) {
			cfg.VirtualHostStyle = tc.virtual
			cfg.MaxAttempts = 1
			cfg.HTTPClient = &http.Client{Transport: rt}
		})
		if _, err := c.List(context.Background(), "x/"); !errors.Is(err, s3backend.ErrUnavailable) {
			t.Errorf("virtual=%v: %v", tc.virtual, err)
		}
		if len(rt.reqs) != 1 {
			t.Fatalf("virtual=%v: %d requests", tc.virtual, len(rt.reqs))
		}
		r := rt.reqs[0]
		if r.URL.Host != tc.host || r.URL.Path != tc.path {
			t.Errorf("virtual=%v: %s %s, want %s %s", tc.virtual, r.URL.Host, r.URL.Path, tc.host, tc.path)
		}
		auth := r.Header.Get("Authorization")
		if !strings.Contains(auth, "Credential="+testKeyID+"/") || !strings.Contains(auth, "/us-west-002/s3/aws4_request") {
			t.Errorf("Authorization %q: want key %s and region us-west-002", auth, testKeyID)
		}
		if strings.Contains(auth, testSecret) {
			t.Error("secret in Authorization header")
		}
		if got := r.Header.Get("Amz-Sdk-Request"); got != "" && !strings.Contains(got, "max=1") {
			t.Errorf("SDK retries enabled: amz-sdk-request %q", got)
		}
	}
}

func TestSharedProfileCredentials(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[b2]\naws_access_key_id = PROFILEKEY\naws_secret_access_key = profilesecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", creds)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.KeyID, cfg.SecretKey, cfg.Profile = "", "", "b2"
	})
	if err := c.Check(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 1 || !strings.Contains(reqs[0].Header.Get("Authorization"), "Credential=PROFILEKEY/") {
		t.Errorf("profile credentials not used: %+v", reqs)
	}
	if c.Region() != "us-east-1" {
		t.Errorf("region %q", c.Region())
	}

	_, err := s3backend.New(context.Background(), s3backend.Config{Endpoint: f.srv.URL, Bucket: testBucket, Profile: "nope"})
	if err == nil {
		t.Error("unknown profile accepted")
	}
}

// At boot there is no HOME: the shared credentials and config files can
// be named in the Config, and are read even where the environment names
// no file at all.
func TestSharedFilesFromConfig(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	if err := os.WriteFile(creds, []byte("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "conf")
	if err := os.WriteFile(conf, []byte("[default]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"HOME", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) {
		cfg.KeyID, cfg.SecretKey, cfg.CredentialsFile, cfg.ConfigFile = "", "", creds, conf
	})
	if err := c.Check(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	if reqs := f.requests(); len(reqs) != 1 || !strings.Contains(reqs[0].Header.Get("Authorization"), "Credential=FILEKEY/") {
		t.Errorf("the credentials file was not used: %+v", reqs)
	}
}

// Without a key and with nothing for the SDK's chain to find (no
// variables, no files, no instance metadata), Check says so before any
// request, instead of blaming the bucket.
func TestCheckWithoutAnyCredentials(t *testing.T) {
	dir := t.TempDir()
	for _, v := range []string{"HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	f := newFake(t)
	c := newClient(t, f.srv.URL, func(cfg *s3backend.Config) { cfg.KeyID, cfg.SecretKey = "", "" })
	err := c.Check(context.Background(), "")
	if !errors.Is(err, s3backend.ErrNoCredentials) || !strings.HasPrefix(err.Error(), "no key was given, and the AWS SDK found none: ") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("Check: %v, want ErrNoCredentials in one line", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent without credentials", n)
	}
}
