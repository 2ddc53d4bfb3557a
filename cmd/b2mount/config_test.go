package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeEnvFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "b2.env")
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// B2's sample .env, as backblaze-b2-samples/b2-python-s3-sample ships it
// (its published read-only key for the public sample bucket).
const b2SampleEnv = `# B2 API endpoint for buckets with sample data
ENDPOINT='https://s3.us-west-002.backblazeb2.com'

# Bucket with sample data and PUBLIC access
KEY_ID_RO='0027464dd94917b0000000001'
APPLICATION_KEY_RO='K002WU+TkHXkksxIqI6IDa/X7dsN9Cw'

# Bucket with sample data and PRIVATE access
KEY_ID_PRIVATE_RO='0027464dd94917b0000000002'
APPLICATION_KEY_PRIVATE_RO='K002ckrkS/KpaRA9IFzC3xyIn79ALw4'

ENDPOINT_URL_YOUR_BUCKET = '<ENTER YOUR B2 API ENDPOINT HERE!>'
KEY_ID_YOUR_ACCOUNT='<ENTER YOUR keyID HERE!>'
APPLICATION_KEY_YOUR_ACCOUNT='<ENTER YOUR applicationKey HERE!>'
`

func TestSettingsFromB2SampleEnvFile(t *testing.T) {
	p := writeEnvFile(t, b2SampleEnv, 0o600)
	c, err := parseArgs([]string{"--env-file", p, "developer-b2-quick-start", "/mnt/b2"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.endpoint != "https://s3.us-west-002.backblazeb2.com" || c.keyID != "0027464dd94917b0000000001" ||
		c.secret != "K002WU+TkHXkksxIqI6IDa/X7dsN9Cw" {
		t.Errorf("endpoint %q key %q: want the sample's endpoint and its read-only key", c.endpoint, c.keyID)
	}
	if c.sources["credentials"] != "KEY_ID_RO/APPLICATION_KEY_RO ("+p+")" || c.sources["endpoint"] != "ENDPOINT ("+p+")" {
		t.Errorf("sources = %v", c.sources)
	}
	if len(c.warnings) != 0 {
		t.Errorf("warnings for a 0600 file: %v", c.warnings)
	}
}

func TestPrecedenceFlagsThenEnvironmentThenEnvFile(t *testing.T) {
	p := writeEnvFile(t, b2SampleEnv, 0o600)
	environ := map[string]string{
		"AWS_ENDPOINT_URL":      "https://env.example",
		"AWS_ACCESS_KEY_ID":     "awsid",
		"AWS_SECRET_ACCESS_KEY": "awssecret",
		"AWS_REGION":            "eu-central-003",
	}
	c, err := parseArgs([]string{"--env-file", p, "--endpoint", "https://flag.example", "bkt:photos/2024", "/mnt/b2"}, env(environ), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.endpoint != "https://flag.example" {
		t.Errorf("endpoint %q, want the flag's", c.endpoint)
	}
	if c.keyID != "awsid" || c.secret != "awssecret" {
		t.Errorf("key %q, want the environment's over the .env file's", c.keyID)
	}
	if c.region != "eu-central-003" || c.bucket != "bkt" || c.prefix != "photos/2024" {
		t.Errorf("region %q bucket %q prefix %q", c.region, c.bucket, c.prefix)
	}
	// A key id without its secret in the environment does not pair with
	// the .env file's secret.
	c, err = parseArgs([]string{"--env-file", p, "bkt", "/mnt/b2"}, env(map[string]string{"B2_APPLICATION_KEY_ID": "lonely"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.keyID != "0027464dd94917b0000000001" {
		t.Errorf("key %q, want KEY_ID_RO from the .env file", c.keyID)
	}
	// The B2 command-line tool's names.
	c, err = parseArgs([]string{"--endpoint", "e", "bkt", "/mnt/b2"}, env(map[string]string{"B2_APPLICATION_KEY_ID": "cliid", "B2_APPLICATION_KEY": "clisecret"}), io.Discard)
	if err != nil || c.keyID != "cliid" || c.secret != "clisecret" {
		t.Errorf("B2 CLI names: %q %v", c.keyID, err)
	}
}

func TestFlagsAndTheirErrors(t *testing.T) {
	c, err := parseArgs([]string{"--endpoint", "e", "--metadata-ttl", "5s", "--uid", "7", "--gid", "8",
		"--file-mode", "0440", "--dir-mode", "0550", "--allow-other", "--debug",
		"--timeout", "3s", "--operation-timeout", "7s", "--retries", "9", "b", "/m"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.fs.MetadataTTL != 5*time.Second || c.fs.UID != 7 || c.fs.GID != 8 || c.fs.FileMode != 0o440 ||
		c.fs.DirMode != 0o550 || !c.allowOther || !c.debug ||
		c.timeout != 3*time.Second || c.opTimeout != 7*time.Second || c.retries != 9 {
		t.Errorf("flags not applied: %+v", c)
	}
	if c, err := parseArgs([]string{"--endpoint", "e", "b", "/m"}, env(nil), io.Discard); err != nil ||
		c.opTimeout != 30*time.Second || c.timeout != 20*time.Second || c.retries != 5 {
		t.Errorf("defaults: timeout %v, operation timeout %v, retries %d, %v; want 20s, 30s, 5", c.timeout, c.opTimeout, c.retries, err)
	}
	for _, args := range [][]string{
		{"--endpoint", "e", "onlybucket"},
		{"--endpoint", "e", "--file-mode", "999", "b", "/m"},
		{"--endpoint", "e", "--operation-timeout", "0s", "b", "/m"},
		{"--endpoint", "e", "--timeout", "-1s", "b", "/m"},
		{"--endpoint", "e", ":prefix", "/m"},
		{"b", "/m"}, // no endpoint anywhere
		{"--demo"},
	} {
		_, err := parseArgs(args, env(nil), io.Discard)
		var ue usageError
		if err == nil || !asUsage(err, &ue) {
			t.Errorf("%v: err %v, want a usage error", args, err)
		}
	}
}

func asUsage(err error, ue *usageError) bool {
	u, ok := err.(usageError)
	*ue = u
	return ok
}

func TestWorldReadableEnvFileWithKeyWarns(t *testing.T) {
	p := writeEnvFile(t, b2SampleEnv, 0o644)
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := parseArgs([]string{"--env-file", p, "b", "/m"}, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.warnings) != 1 || !strings.Contains(c.warnings[0], "chmod 600") {
		t.Errorf("warnings = %v, want one about chmod 600", c.warnings)
	}
}

func TestHelpNamesEverySource(t *testing.T) {
	var b strings.Builder
	_, err := parseArgs([]string{"--help"}, env(nil), &b)
	if err == nil {
		t.Fatal("--help returned no error")
	}
	for _, want := range []string{"KEY_ID_RO", "APPLICATION_KEY_RO", "ENDPOINT", "AWS_ACCESS_KEY_ID", "B2_APPLICATION_KEY_ID", "AWS_PROFILE", "-metadata-ttl", "-env-file"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("--help does not mention %s", want)
		}
	}
}
