package main

import (
	"debug/buildinfo"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// --version prints what the toolchain recorded in the binary: the module
// version and, where the build had it, the commit; never "dev".
func TestVersionIsTheBuildInfo(t *testing.T) {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	bi, err := buildinfo.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if want := formatVersion(bi) + "\n"; string(out) != want || !strings.Contains(string(out), " "+bi.Main.Version+" ") {
		t.Errorf("--version printed %q, want %q", out, want)
	}
	for _, s := range bi.Settings {
		if s.Key != "vcs.revision" {
			continue
		}
		// Recorded (a checkout where the toolchain could run git): it is
		// this checkout's commit.
		head, err := exec.Command("git", "rev-parse", "HEAD").Output()
		if err == nil && !strings.Contains(string(out), "commit "+strings.TrimSpace(string(head))) {
			t.Errorf("--version %q does not name the commit %s", out, head)
		}
	}
	t.Logf("%s", out)
}

func TestFormatVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/b2mount/b2mount", Version: "v1.2.3"}}
	if got, want := formatVersion(bi), "b2mount v1.2.3 (no commit recorded; go1.26.8)"; got != want {
		t.Errorf("go install @v1.2.3: %q, want %q", got, want)
	}
	bi.Main.Version = "v0.0.0-20261127133300-0123456789ab+dirty"
	bi.Settings = []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-11-27T13:33:00Z"}, {Key: "vcs.modified", Value: "true"}}
	if got, want := formatVersion(bi), "b2mount v0.0.0-20261127133300-0123456789ab+dirty (commit 0123456789abcdef0123456789abcdef01234567, 2026-11-27T13:33:00Z, modified; go1.26.8)"; got != want {
		t.Errorf("a build in a modified checkout: %q, want %q", got, want)
	}
}
