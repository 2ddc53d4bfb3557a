package main

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/metrics"
)

// How mount(8) runs the helper for an fstab line: every option of the
// table applies, mount(8)'s and systemd's change nothing, rw does not
// turn writes on, and the mount goes to the background.
func TestFstabOptionsOfTheHelper(t *testing.T) {
	envFile := writeEnvFile(t, "ENDPOINT=http://127.0.0.1:9\nKEY_ID=id\nAPPLICATION_KEY=secret\n", 0o600)
	for _, argv0 := range []string{"/sbin/mount.fuse.b2mount", "/usr/sbin/mount.b2mount", "mount.b2mount"} {
		c, err := parseInvocation(argv0, []string{"photos:2024", "/mnt/photos", "-o",
			"rw,_netdev,nofail,noauto,x-systemd.automount,x-systemd.mount-timeout=30,comment=x,defaults,nosuid,nodev,user," +
				"env_file=" + envFile + ",uid=1000,allow_other,metadata_ttl=5s,max_readahead=3,dev,suid"}, env(nil))
		if err != nil {
			t.Fatalf("%s: %v", argv0, err)
		}
		if !c.helper || !c.daemon || c.fake || c.s3.Endpoint != "http://127.0.0.1:9" || c.s3.KeyID != "id" ||
			c.fs.UID != 1000 || !c.allowOther || c.fs.MetadataTTL != 5*time.Second || c.fs.Prefetch.MaxWindow != 3<<20 ||
			c.fs.Writes.Enabled || c.s3.Bucket != "photos" || c.prefix != "2024/" || c.mountpoint != "/mnt/photos" {
			t.Errorf("%s: %+v", argv0, c)
		}
		if c.sources["uid"] != "-o uid" || c.sources["daemon"] != "mount helper" || c.sources["credentials"] != "KEY_ID/APPLICATION_KEY ("+envFile+")" {
			t.Errorf("%s: sources %v", argv0, c.sources)
		}
	}
}

// mount.fuse3 runs `b2mount SOURCE DIR -o OPTIONS`: that form is a
// helper's call too. Options before the bucket, and a plain command line,
// are not: they stay in the foreground.
func TestWhatMakesAHelper(t *testing.T) {
	base := []string{"--endpoint", "e"}
	for _, tc := range []struct {
		args           []string
		helper, daemon bool
	}{
		{[]string{"b", "/m", "-o", "dev,suid"}, true, true},
		{[]string{"b", "/m", "-o", "daemon=false"}, true, false},
		{[]string{"b", "/m", "-v", "-o", "ro"}, true, true},
		{[]string{"-o", "allow_other", "b", "/m"}, false, false},
		{[]string{"b", "/m"}, false, false},
		{[]string{"--daemon", "b", "/m"}, false, true},
	} {
		c, err := parseInvocation("b2mount", append(append([]string(nil), base...), tc.args...), env(nil))
		if err != nil || c.helper != tc.helper || c.daemon != tc.daemon {
			t.Errorf("%q: helper %v, daemon %v, %v; want helper %v, daemon %v", tc.args, c != nil && c.helper, c != nil && c.daemon, err, tc.helper, tc.daemon)
		}
	}
	c, err := parseInvocation("b2mount", []string{"b", "/m", "-f", "-n", "-o", "endpoint=e", "-t", "fuse.b2mount"}, env(nil))
	if err != nil || !c.fake {
		t.Errorf("mount -f: %+v, %v", c, err)
	}
}

// read_write turns writes on, rw does not, and ro wins over both, in any
// order; "\," is a comma inside a value.
func TestReadWriteAndReadOnlyAndEscapes(t *testing.T) {
	for opts, writes := range map[string]bool{
		"rw": false, "read_write": true, "read-write": true, "read_write=true": true, "read_write=false": false,
		"read_write,ro": false, "ro,read_write": false, "rw,read_write": true,
	} {
		c, err := parseInvocation("mount.b2mount", []string{"b", "/m", "-o", "endpoint=e,state_dir=/s," + opts}, env(nil))
		if err != nil || c.fs.Writes.Enabled != writes {
			t.Errorf("-o %s: writes %v, %v; want %v", opts, c != nil && c.fs.Writes.Enabled, err, writes)
		}
	}
	c, err := parseInvocation("mount.b2mount", []string{"b", "/m", "-o", `endpoint=e,b2_prices=B=1/1\,C=10/1\,free=0,log_file=/var/log/a\\b`}, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := metrics.ParsePrices("B=1/1,C=10/1,free=0"); c.prices != want || c.logFile != `/var/log/a\b` {
		t.Errorf("escaped commas: prices %v, log file %q", c.prices, c.logFile)
	}
}

// A wrong option is a usage error of one line that names it (exit 2),
// before anything happens; mount -s lets unknown ones through with a
// warning.
func TestBadMountOptions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"b", "/m", "-o", "nosuch"}, `unknown mount option "nosuch"`},
		{[]string{"b", "/m", "-o", "ro,sync"}, `unknown mount option "sync"`},
		{[]string{"b", "/m", "-o", "demo"}, `"demo" is not a mount option`},
		{[]string{"b", "/m", "-o", "help"}, `"help" is not a mount option`},
		{[]string{"b", "/m", "-o", "metadata_ttl"}, "mount option metadata_ttl needs a value (metadata_ttl=DURATION)"},
		{[]string{"b", "/m", "-o", "uid=root"}, `-o uid "root": want a number`},
		{[]string{"b", "/m", "-o", "b2_prices=B=1/1,C=2"}, `unknown mount option "C"`},
		{[]string{"b", "/m", "-o"}, "mount option -o needs an argument"},
		{[]string{"b", "/m", "-N", "/proc/1/ns/mnt"}, "not supported"},
		{[]string{"b", "/m", "-o", "ro", "extra"}, `unexpected argument "extra"`},
	} {
		_, err := parseInvocation("b2mount", append([]string{"--endpoint", "e"}, tc.args...), env(nil))
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: err %v, want one usage error line with %q", tc.args, err, tc.want)
		}
	}
	c, err := parseInvocation("mount.b2mount", []string{"b", "/m", "-s", "-o", "endpoint=e,nosuch=1"}, env(nil))
	if err != nil || len(c.warnings) != 1 || !strings.Contains(c.warnings[0], `"nosuch" ignored`) {
		t.Errorf("mount -s: %v, warnings %q", err, c.warnings)
	}
}

// The bad-option error reaches the user as the foreground would say it,
// with the pointer to --help and exit status 2.
func TestBadMountOptionExitsTwo(t *testing.T) {
	var stdout, stderr strings.Builder
	code := runAs(t.Context(), "/sbin/mount.fuse.b2mount", []string{"b", t.TempDir(), "-o", "endpoint=e,bogus"}, env(nil), &stdout, &stderr, nil)
	if code != 2 || stderr.String() != "b2mount: unknown mount option \"bogus\"\nRun 'b2mount --help' for the flags and settings.\n" || stdout.Len() != 0 {
		t.Errorf("exit %d, stderr %q, stdout %q", code, stderr.String(), stdout.String())
	}
}

// Only an autofs mount point may be mounted over: it is how autofs and
// x-systemd.automount wait for the real mount.
func TestMountableOverAutofsOnly(t *testing.T) {
	for fstype, ok := range map[string]bool{"autofs": true, "fuse.b2mount": false, "ext4": false, "tmpfs": false} {
		if got := mountableOver(fs.MountInfo{MountPoint: "/mnt", FSType: fstype}); got != ok {
			t.Errorf("over %s: %v, want %v", fstype, got, ok)
		}
	}
}

// At boot there is no HOME: a read-write mount without --state-dir says
// how to give it one.
func TestStateDirWithoutHome(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	_, err := stateDirFor("", "e", "b", "")
	if err == nil || !strings.Contains(err.Error(), "no HOME") || !strings.Contains(err.Error(), "state_dir=DIR") {
		t.Errorf("err %v", err)
	}
	dir, err := stateDirFor("/var/lib/b2mount", "e", "b", "")
	if err != nil || filepath.Dir(dir) != "/var/lib/b2mount" {
		t.Errorf("with --state-dir: %q, %v", dir, err)
	}
}
