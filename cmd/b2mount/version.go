package main

import (
	"runtime/debug"
	"strings"
)

// versionText is what --version prints: the module version and the
// commit the binary was built from, as the Go toolchain recorded them
// (`go install ...@v1.2.3` gives v1.2.3; a build in a git checkout gives
// the commit, its time and whether the tree was modified).
func versionText() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "b2mount (no build information)"
	}
	return formatVersion(bi)
}

// formatVersion writes bi as one line: "b2mount v1.2.3 (commit 0123abcd...,
// 2026-11-27T13:33:00Z, modified; go1.26.8)".
func formatVersion(bi *debug.BuildInfo) string {
	vcs := map[string]string{}
	for _, s := range bi.Settings {
		vcs[s.Key] = s.Value
	}
	var about []string
	if rev := vcs["vcs.revision"]; rev != "" {
		about = append(about, "commit "+rev)
		if t := vcs["vcs.time"]; t != "" {
			about = append(about, t)
		}
		if vcs["vcs.modified"] == "true" {
			about = append(about, "modified")
		}
	} else {
		about = append(about, "no commit recorded")
	}
	return "b2mount " + bi.Main.Version + " (" + strings.Join(about, ", ") + "; " + bi.GoVersion + ")"
}
