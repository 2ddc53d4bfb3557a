package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/fs"
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
	c, err := parseArgs([]string{"--env-file", p, "developer-b2-quick-start", "/mnt/b2"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.s3.Endpoint != "https://s3.us-west-002.backblazeb2.com" || c.s3.KeyID != "0027464dd94917b0000000001" ||
		c.s3.SecretKey != "K002WU+TkHXkksxIqI6IDa/X7dsN9Cw" {
		t.Errorf("endpoint %q key %q: want the sample's endpoint and its read-only key", c.s3.Endpoint, c.s3.KeyID)
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
	c, err := parseArgs([]string{"--env-file", p, "--endpoint", "https://flag.example", "bkt:photos/2024", "/mnt/b2"}, env(environ))
	if err != nil {
		t.Fatal(err)
	}
	if c.s3.Endpoint != "https://flag.example" {
		t.Errorf("endpoint %q, want the flag's", c.s3.Endpoint)
	}
	if c.s3.KeyID != "awsid" || c.s3.SecretKey != "awssecret" {
		t.Errorf("key %q, want the environment's over the .env file's", c.s3.KeyID)
	}
	if c.s3.Region != "eu-central-003" || c.s3.Bucket != "bkt" || c.prefix != "photos/2024/" {
		t.Errorf("region %q bucket %q prefix %q", c.s3.Region, c.s3.Bucket, c.prefix)
	}
	// A key id without its secret in the environment does not pair with
	// the .env file's secret.
	c, err = parseArgs([]string{"--env-file", p, "bkt", "/mnt/b2"}, env(map[string]string{"B2_APPLICATION_KEY_ID": "lonely"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.s3.KeyID != "0027464dd94917b0000000001" {
		t.Errorf("key %q, want KEY_ID_RO from the .env file", c.s3.KeyID)
	}
	// The B2 command-line tool's names.
	c, err = parseArgs([]string{"--endpoint", "e", "bkt", "/mnt/b2"}, env(map[string]string{"B2_APPLICATION_KEY_ID": "cliid", "B2_APPLICATION_KEY": "clisecret"}))
	if err != nil || c.s3.KeyID != "cliid" || c.s3.SecretKey != "clisecret" {
		t.Errorf("B2 CLI names: %q %v", c.s3.KeyID, err)
	}
}

func TestFlagsAndTheirErrors(t *testing.T) {
	c, err := parseArgs([]string{"--endpoint", "e", "--metadata-ttl", "5s", "--uid", "4294967295", "--gid", "8",
		"--file-mode", "0", "--dir-mode", "0550", "--allow-other", "--debug", "--virtual-host", "--profile", "p",
		"--timeout", "3s", "--operation-timeout", "7s", "--retries", "9",
		"--memory-limit", "0", "--max-readahead", "1", "--part-size", "2", "b", "/m"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.fs.MetadataTTL != 5*time.Second || c.fs.UID != 1<<32-1 || c.fs.GID != 8 || c.fs.FileMode != 0 ||
		c.fs.DirMode != 0o550 || !c.allowOther || !c.debug || !c.s3.VirtualHostStyle || c.s3.Profile != "p" ||
		c.s3.RequestTimeout != 3*time.Second || c.s3.ReadIdleTimeout != 3*time.Second ||
		c.s3.OperationTimeout != 7*time.Second || c.s3.MaxAttempts != 9 || c.fs.Prefetch.MemoryBudget != 0 ||
		c.fs.Prefetch.MaxWindow != 1<<20 || c.fs.Prefetch.InitialWindow != 1<<20 || c.fs.Prefetch.PartSize != 2<<20 {
		t.Errorf("flags not applied: %+v", c)
	}
	c, err = parseArgs([]string{"--endpoint", "e", "--max-prefetch", "3", "b", "/m"}, env(nil))
	if err != nil || c.fs.Prefetch.MaxWindow != 3<<20 {
		t.Errorf("--max-prefetch 3: %v, %v", c.fs.Prefetch.MaxWindow, err)
	}
	c, err = parseArgs([]string{"--endpoint", "e", "b", "/m"}, env(nil))
	if err != nil || c.s3.OperationTimeout != 30*time.Second || c.s3.RequestTimeout != 20*time.Second || c.s3.MaxAttempts != 5 ||
		c.fs.UID != uint32(os.Getuid()) || c.fs.GID != uint32(os.Getgid()) || c.fs.FileMode != 0o444 || c.fs.DirMode != 0o555 ||
		c.fs.MetadataTTL != time.Minute || c.fs.Prefetch != fs.DefaultOptions().Prefetch {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	// Each mistake is one usage error that names the flag and what it
	// wants, in MiB for the MiB flags.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"onlybucket"}, "want BUCKET[:PREFIX] MOUNTPOINT"},
		{[]string{":prefix", "/m"}, "the bucket name is empty"},
		{[]string{"b", ""}, "the mount point is empty"},
		{[]string{"--nosuch", "b", "/m"}, "flag provided but not defined: --nosuch"},
		{[]string{"b", "/m", "--uid"}, "want BUCKET[:PREFIX] MOUNTPOINT"},
		{[]string{"--uid"}, "flag needs an argument: --uid"},
		{[]string{"--file-mode", "999", "b", "/m"}, `--file-mode "999": want octal permission bits from 0 to 0777`},
		{[]string{"--operation-timeout", "0s", "b", "/m"}, `--operation-timeout "0s": want a duration like 30s or 5m, more than 0`},
		{[]string{"--timeout", "-1s", "b", "/m"}, `--timeout "-1s": want a duration`},
		{[]string{"--metadata-ttl", "-1s", "b", "/m"}, `--metadata-ttl "-1s": want a duration`},
		{[]string{"--retries", "0", "b", "/m"}, `--retries "0": want a whole number of at least 1`},
		{[]string{"--uid", "4294967296", "b", "/m"}, `--uid "4294967296": want a number from 0 to 4294967295`},
		{[]string{"--gid", "-1", "b", "/m"}, `--gid "-1": want a number from 0 to 4294967295`},
		{[]string{"--memory-limit", "99999999999999", "b", "/m"}, `--memory-limit "99999999999999": want whole MiB from 0 to 1048576`},
		{[]string{"--memory-limit", "-1", "b", "/m"}, `--memory-limit "-1": want whole MiB from 0 to 1048576`},
		{[]string{"--max-readahead", "0", "b", "/m"}, `--max-prefetch "0": want whole MiB from 1 to 1048576`},
		{[]string{"--max-prefetch", "1048577", "b", "/m"}, `--max-prefetch "1048577": want whole MiB from 1 to 1048576`},
		{[]string{"--part-size", "0", "b", "/m"}, `--part-size "0": want whole MiB from 1 to 1048576`},
		{[]string{"--debug=maybe", "b", "/m"}, `--debug "maybe": want true or false`},
	} {
		_, err := parseArgs(append([]string{"--endpoint", "e"}, tc.args...), env(nil))
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: err %v, want one usage error line with %q", tc.args, err, tc.want)
		}
	}
	for _, args := range [][]string{{"b", "/m"}, {"--demo"}, {"--demo", "a", "b"}} {
		if _, err := parseArgs(args, env(nil)); !errors.As(err, new(usageError)) {
			t.Errorf("%q: err %v, want a usage error", args, err)
		}
	}
}

// A prefix is normalised once, here: leading and trailing slashes go and
// one trailing slash is implied.
func TestBucketAndPrefix(t *testing.T) {
	for arg, want := range map[string]string{"b": "", "b:": "", "b:/": "", "b:photos": "photos/", "b:/photos/2024/": "photos/2024/"} {
		c, err := parseArgs([]string{"--endpoint", "e", arg, "/m"}, env(nil))
		if err != nil {
			t.Errorf("%q: %v", arg, err)
		} else if c.s3.Bucket != "b" || c.prefix != want {
			t.Errorf("%q: bucket %q prefix %q; want b and %q", arg, c.s3.Bucket, c.prefix, want)
		}
	}
}

// --debug says where the region came from, also when it is the B2 host's.
func TestRegionSource(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--endpoint", "https://s3.eu-central-003.backblazeb2.com"}, nil, "the endpoint's host"},
		{[]string{"--endpoint", "http://127.0.0.1:9000"}, nil, "default"},
		{[]string{"--endpoint", "s3.eu-central-003.backblazeb2.com", "--region", "r"}, nil, "--region"},
		{[]string{"--endpoint", "s3.eu-central-003.backblazeb2.com"}, map[string]string{"AWS_REGION": "r"}, "AWS_REGION (environment)"},
	} {
		c, err := parseArgs(append(tc.args, "b", "/m"), env(tc.env))
		if err != nil {
			t.Errorf("%q %v: %v", tc.args, tc.env, err)
		} else if c.sources["region"] != tc.want {
			t.Errorf("%q %v: region from %q; want %q", tc.args, tc.env, c.sources["region"], tc.want)
		}
	}
}

func TestWorldReadableEnvFileWithKeyWarns(t *testing.T) {
	p := writeEnvFile(t, b2SampleEnv, 0o644)
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := parseArgs([]string{"--env-file", p, "b", "/m"}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.warnings) != 1 || !strings.Contains(c.warnings[0], "chmod 600") {
		t.Errorf("warnings = %v, want one about chmod 600", c.warnings)
	}
}
