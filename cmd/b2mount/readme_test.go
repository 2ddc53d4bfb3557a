package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// readmeBlock returns the body of the README's fenced code block that
// starts with "```"+lang and whose text contains marker.
func readmeBlock(t *testing.T, lang, marker string) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?ms)^```"+regexp.QuoteMeta(lang)+"\n(.*?)^```$").FindAllStringSubmatch(string(data), -1) {
		if strings.Contains(m[1], marker) {
			return m[1]
		}
	}
	t.Fatalf("README.md has no ```%s block with %q", lang, marker)
	return ""
}

// replaceAll applies the pairs old, new to s, each of which must occur.
func replaceAll(t *testing.T, s string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("README example %q lacks %q", s, pairs[i])
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	return s
}

// The README's install, env file and fstab examples, run as written but
// for the paths and the key: the helper link, `mount` of the fstab line
// (with an fstab of the test's own), the same mount by hand, umount, and
// the daemon's exit status 0.
func TestREADMEInstallAndFstabExamples(t *testing.T) {
	requireMount8(t)
	srv, _ := bucketWithPhotos(t, s3test.KindEmbedded)
	tmp := t.TempDir()

	// Install: the module is not fetched from the network here; the
	// same command builds this checkout.
	gobin := filepath.Join(tmp, "bin")
	install := replaceAll(t, readmeBlock(t, "sh", "go install"),
		"github.com/b2mount/b2mount/cmd/b2mount@latest", "./cmd/b2mount",
		"$(go env GOPATH)/bin", gobin)
	removeStaleLink(t, "/sbin/mount.fuse.b2mount")
	t.Cleanup(func() { os.Remove("/sbin/mount.fuse.b2mount") })
	environ := append(os.Environ(), "GOBIN="+gobin)
	if code, out, errOut := command(t, environ, "sh", "-ec", "cd ../.. && "+install); code != 0 {
		t.Fatalf("install: exit %d\n%s%s", code, out, errOut)
	}
	if to, err := os.Readlink("/sbin/mount.fuse.b2mount"); err != nil || to != filepath.Join(gobin, "b2mount") {
		t.Fatalf("the helper link points to %q (%v)", to, err)
	}

	envFile := filepath.Join(tmp, "photos.env")
	envText := replaceAll(t, readmeBlock(t, "sh", "# /etc/b2mount/photos.env"),
		"https://s3.us-west-002.backblazeb2.com", srv.URL, "<your key id>", srv.KeyID, "<your application key>", srv.SecretKey)
	if err := os.WriteFile(envFile, []byte(envText), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "photos")
	os.Mkdir(dir, 0o755)
	t.Cleanup(func() {
		if mounted(dir) {
			command(t, nil, "umount", "-l", dir)
		}
	})
	fstab := filepath.Join(tmp, "fstab")
	line := replaceAll(t, strings.TrimSpace(readmeBlock(t, "fstab", "fuse.b2mount")),
		"/etc/b2mount/photos.env", envFile, "/mnt/photos", dir)
	if err := os.WriteFile(fstab, []byte(line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("../../README.md")
	byHand := regexp.MustCompile("`(mount -t fuse.b2mount [^`]*)`").FindStringSubmatch(strings.Join(strings.Fields(string(data)), " "))
	if byHand == nil {
		t.Fatal("README.md lacks the mount(8) command line")
	}
	for _, mount := range [][]string{
		{"mount", "--fstab", fstab, dir},
		strings.Fields(replaceAll(t, byHand[1], "/etc/b2mount/photos.env", envFile, "/mnt/photos", dir)),
	} {
		// No syslog here, and the examples name no log file: the
		// warning says the daemon's log is lost.
		code, stdout, stderr := command(t, nil, mount[0], mount[1:]...)
		if code != 0 || stdout != "" || (stderr != "" && !strings.HasPrefix(stderr, "b2mount: warning: no syslog")) {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q", mount, code, stdout, stderr)
		}
		_, ls, _ := command(t, nil, "ls", "-ln", dir)
		if !strings.Contains(ls, " 1000 ") && slices.Contains(mount, "--fstab") || !strings.Contains(ls, "beach.jpg") {
			t.Errorf("%q: ls -ln:\n%s", mount, ls)
		}
		pid := 0
		for p, cmdline := range processesOf(t, filepath.Join(gobin, "b2mount")) {
			if strings.Contains(cmdline, dir) {
				pid = p
			}
		}
		if pid == 0 {
			t.Fatalf("%q: no daemon serves %s", mount, dir)
		}
		if code, out, errOut := command(t, nil, "umount", dir); code != 0 {
			t.Fatalf("umount: exit %d: %s%s", code, out, errOut)
		}
		if ws := reapDaemon(t, pid); !ws.Exited() || ws.ExitStatus() != 0 {
			t.Errorf("%q: the daemon ended with %v, want exit status 0", mount, ws)
		}
	}
}

// The README's systemd unit, its ExecStart run as systemd would (no HOME,
// NOTIFY_SOCKET set for Type=notify): READY=1 once mounted; `systemctl
// stop` (SIGTERM) gives STOPPING=1, the cost line of the README's form,
// and exit status 0.
func TestREADMESystemdUnit(t *testing.T) {
	testenv.RequireFUSE(t)
	_, envFile := bucketWithPhotos(t, s3test.KindEmbedded)
	unit := readmeBlock(t, "ini", "Type=notify")
	if !strings.Contains(unit, "\nType=notify\n") {
		t.Fatalf("the unit is not Type=notify:\n%s", unit)
	}
	exec := regexp.MustCompile(`(?m)^ExecStart=(.*)$`).FindStringSubmatch(unit)
	dir := t.TempDir()
	args := strings.Fields(replaceAll(t, exec[1], "/usr/local/bin/b2mount", binary, "/etc/b2mount/photos.env", envFile, "/mnt/photos", dir))
	notify := listenNotify(t)
	p := newMountProc([]string{"PATH=/usr/bin:/bin", "NOTIFY_SOCKET=" + notify.path}, args[1:]...)
	p.cmd.Path = args[0]
	p.start(t)
	if msg := notify.next(t); msg != "READY=1" || !mounted(dir) {
		t.Fatalf("first message %q, mounted %v; want READY=1 once mounted (stderr %s)", msg, mounted(dir), p.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "beach.jpg")); err != nil { // photos:2024
		t.Error(err)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if msg := notify.next(t); msg != "STOPPING=1" {
		t.Errorf("after SIGTERM: %q, want STOPPING=1", msg)
	}
	p.stop(t, syscall.SIGTERM)

	// The cost line has the README's form.
	example := readmeBlock(t, "", "B2 transactions since the mount")
	pattern := regexp.QuoteMeta(strings.TrimSpace(example))
	pattern = regexp.MustCompile(`class_([abc])=\d+`).ReplaceAllString(pattern, `class_$1=\d+`)
	pattern = strings.Replace(pattern, `estimated_cost_usd=0\.000000`, `estimated_cost_usd=\d+\.\d{6}`, 1)
	if !regexp.MustCompile(pattern).MatchString(p.stderr.String()) {
		t.Errorf("no log line of the README's form %q:\n%s", example, p.stderr)
	}
}

// checkREADMEMetrics checks the README's list of metrics against a
// scrape: every metric listed is served, and every b2mount_ metric served
// is listed.
func checkREADMEMetrics(t *testing.T, scrape map[string]float64) {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `(b2mount_\\w+)` \\|").FindAllStringSubmatch(string(data), -1) {
		listed[m[1]] = true
	}
	served := map[string]bool{}
	for series := range scrape {
		name, _, _ := strings.Cut(series, "{")
		if !strings.HasPrefix(name, "b2mount_") {
			continue
		}
		if base := strings.TrimSuffix(strings.TrimSuffix(name, "_count"), "_sum"); listed[base] {
			name = base
		}
		served[name] = true
	}
	for name := range listed {
		if !served[name] {
			t.Errorf("README.md lists %s, which is not served", name)
		}
	}
	for name := range served {
		if !listed[name] {
			t.Errorf("%s is served but README.md does not list it", name)
		}
	}
	if len(listed) < 10 {
		t.Errorf("README.md lists %d metrics: the table was not found", len(listed))
	}
}
