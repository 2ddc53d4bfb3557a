package s3test_test

// Tests for testdata/developer-b2-quick-start, the local stand-in for
// Backblaze's public sample bucket. They only use the standard library so
// they compile regardless of the state of package s3test.
// Regenerate the photos with `go run ./testdata/gen` from the repo root.

import (
	"bytes"
	"image/jpeg"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const sampleDir = "../../testdata/developer-b2-quick-start"

var samplePhotos = []string{"beach.jpg", "bobcat.jpg", "coconuts.jpg", "lake.jpg", "sunset.jpg"}

func readSample(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sampleDir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read sample file: %v", err)
	}
	return b
}

func TestSamplePhotosDecode(t *testing.T) {
	for _, name := range samplePhotos {
		t.Run(name, func(t *testing.T) {
			data := readSample(t, name)
			if len(data) < 100_000 {
				t.Errorf("%s is %d bytes, want >= 100000", name, len(data))
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("DecodeConfig(%s): %v", name, err)
			}
			img, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Decode(%s): %v", name, err)
			}
			b := img.Bounds()
			if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
				t.Errorf("%s: decoded %dx%d, config says %dx%d", name, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
			}
			if cfg.Width < 640 || cfg.Height < 480 {
				t.Errorf("%s: %dx%d is smaller than 640x480", name, cfg.Width, cfg.Height)
			}
		})
	}
}

var (
	// src="..." / href='...' attributes in HTML.
	attrRE = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']([^"']*)["']`)
	// url(...) in CSS.
	cssURLRE = regexp.MustCompile(`(?i)url\(\s*["']?([^"')]*)["']?\s*\)`)
	// string literals in JS that start like a protocol-relative URL.
	jsProtoRelRE = regexp.MustCompile(`["'` + "`" + `]//`)
	// photo file names mentioned in JS.
	jsPhotoRE = regexp.MustCompile(`[\w./-]+\.(?:jpe?g|png|gif|webp)`)
)

var albumFiles = []string{"album/photos.html", "album/style.css", "album/app.js"}

func TestSampleAlbumNoNetwork(t *testing.T) {
	for _, rel := range albumFiles {
		s := string(readSample(t, rel))
		for _, scheme := range []string{"http://", "https://"} {
			if i := strings.Index(strings.ToLower(s), scheme); i >= 0 {
				t.Errorf("%s contains %q at offset %d", rel, scheme, i)
			}
		}
		var refs [][]string
		switch filepath.Ext(rel) {
		case ".html":
			refs = attrRE.FindAllStringSubmatch(s, -1)
		case ".css":
			refs = cssURLRE.FindAllStringSubmatch(s, -1)
			if strings.Contains(strings.ToLower(s), "@import") || strings.Contains(strings.ToLower(s), "@font-face") {
				t.Errorf("%s uses @import or @font-face", rel)
			}
		case ".js":
			if loc := jsProtoRelRE.FindStringIndex(s); loc != nil {
				t.Errorf("%s has a protocol-relative string at offset %d", rel, loc[0])
			}
			for _, bad := range []string{"fetch(", "XMLHttpRequest", "import("} {
				if strings.Contains(s, bad) {
					t.Errorf("%s uses %s, which breaks file: URLs", rel, bad)
				}
			}
		}
		for _, m := range refs {
			if strings.HasPrefix(strings.TrimSpace(m[1]), "//") {
				t.Errorf("%s references protocol-relative URL %q", rel, m[1])
			}
		}
	}
}

func TestSampleAlbumLinksExist(t *testing.T) {
	album := filepath.Join(sampleDir, "album")
	check := func(from, ref string) {
		t.Helper()
		if ref == "" || strings.HasPrefix(ref, "#") {
			return
		}
		if strings.Contains(ref, ":") {
			t.Errorf("%s: %q is not a relative reference", from, ref)
			return
		}
		p := filepath.Join(album, filepath.FromSlash(ref))
		if st, err := os.Stat(p); err != nil {
			t.Errorf("%s references %q: %v", from, ref, err)
		} else if st.IsDir() {
			t.Errorf("%s references %q, which is a directory", from, ref)
		}
	}

	html := string(readSample(t, "album/photos.html"))
	attrs := attrRE.FindAllStringSubmatch(html, -1)
	if len(attrs) == 0 {
		t.Fatal("photos.html has no src/href attributes")
	}
	for _, m := range attrs {
		check("photos.html", m[1])
	}
	for _, want := range []string{"style.css", "app.js"} {
		if !strings.Contains(html, `"`+want+`"`) {
			t.Errorf("photos.html does not reference %s", want)
		}
	}

	js := string(readSample(t, "album/app.js"))
	seen := map[string]bool{}
	for _, ref := range jsPhotoRE.FindAllString(js, -1) {
		check("app.js", ref)
		seen[filepath.Base(ref)] = true
	}
	for _, name := range samplePhotos {
		if !seen[name] {
			t.Errorf("app.js does not reference %s", name)
		}
	}
}
