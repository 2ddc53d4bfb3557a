package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/b2mount/b2mount/internal/testenv"
)

// TestDemoAlbumInABrowser opens album/photos.html from the demo mount in
// headless Chromium, as a user would with file://, and checks from the
// page's DOM that all five photos loaded and decoded.
func TestDemoAlbumInABrowser(t *testing.T) {
	testenv.RequireFUSE(t)
	chromium, err := exec.LookPath("chromium")
	testenv.Require(t, err == nil, "chromium is not installed (apt-get install -y chromium)")
	dir := t.TempDir()
	p := startMount(t, os.Environ(), "--demo", dir)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=10000", "--dump-dom",
		"file://"+filepath.Join(dir, "album/photos.html")).Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	loaded := regexp.MustCompile(`data-state="loaded" data-size="(\d+)x(\d+)"`).FindAllStringSubmatch(string(out), -1)
	if len(loaded) != 5 {
		t.Errorf("%d photos loaded in the album, want 5; DOM:\n%s", len(loaded), out)
	}
	for _, m := range loaded {
		if m[1] == "0" || m[2] == "0" {
			t.Errorf("a photo decoded to %sx%s", m[1], m[2])
		}
	}
	p.stop(t, syscall.SIGINT)
}
