package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// --help goes to stdout, exits 0, and shows every setting of the table
// as --flag (never Go's -flag) with its default, its alias and its
// environment names, and every key pair.
func TestHelpShowsEverySetting(t *testing.T) {
	var stdout, stderr strings.Builder
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--debug", "--help", "b", "/m"}} {
		stdout.Reset()
		stderr.Reset()
		if code := run(context.Background(), args, env(nil), &stdout, &stderr); code != 0 || stderr.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q; want 0 and nothing", args, code, stderr.String())
		}
		if !strings.HasPrefix(stdout.String(), "b2mount mounts a Backblaze B2 bucket") {
			t.Errorf("%q: stdout is not the help:\n%s", args, stdout.String())
		}
	}
	help := stdout.String()
	if m := regexp.MustCompile(`(?m)^\s+-[a-z].*$`).FindAllString(help, -1); len(m) > 0 {
		t.Errorf("--help shows flags with one dash: %q", m)
	}
	for _, s := range settings {
		if !regexp.MustCompile(`(?m)^  --` + s.name + `\b`).MatchString(help) {
			t.Errorf("--help lacks a line for --%s", s.name)
		}
		for _, want := range append(append([]string{defaultText(s)}, s.env...), s.aliases...) {
			if !strings.Contains(strings.Join(strings.Fields(help), " "), want) {
				t.Errorf("--help does not mention %q of --%s", want, s.name)
			}
		}
	}
	for _, want := range []string{"default: the mounting user)", "default: the mounting user's group)", "also --max-readahead"} {
		if !strings.Contains(strings.Join(strings.Fields(help), " "), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	for _, p := range keyPairNames {
		if !strings.Contains(help, p.id+" / "+p.secret) {
			t.Errorf("--help lacks the key pair %s / %s", p.id, p.secret)
		}
	}
}

// readmeTable is the README's table of settings as the settings table
// makes it.
func readmeTable() string {
	var b strings.Builder
	b.WriteString("| flag | environment and `.env` names, in order | default | meaning |\n|---|---|---|---|\n")
	code := func(prefix string, names []string) string {
		if len(names) == 0 {
			return "–"
		}
		var out []string
		for _, n := range names {
			out = append(out, "`"+prefix+n+"`")
		}
		return strings.Join(out, ", ")
	}
	for _, s := range settings {
		def := defaultText(s)
		switch {
		case s.action:
		case s.arg == "" && s.defText == "":
			def = "off"
		case s.defText == "" && def != "":
			def = "`" + def + "`"
		}
		b.WriteString("| " + code("--", append([]string{s.name}, s.aliases...)) + " | " + code("", s.env) + " | " + def + " | " + s.help + " |\n")
	}
	return b.String()
}

// The README's table of settings is the one the table makes, and its
// list of key pairs is keyPairNames, in order.
func TestREADMEMatchesTheSettings(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	if want := readmeTable(); !strings.Contains(readme, want) {
		t.Errorf("README.md's table of settings is not the one the settings make; it should read:\n\n%s", want)
	}
	var pairs []string
	for _, p := range keyPairNames {
		pairs = append(pairs, "`"+p.id+"`/`"+p.secret+"`")
	}
	if want := strings.Join(pairs, ", "); !strings.Contains(readme, want) {
		t.Errorf("README.md does not list the key pairs as\n%s", want)
	}
}
