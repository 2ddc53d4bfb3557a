package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
)

// helperNames are the names mount(8) runs b2mount by, once linked there:
// /sbin/mount.b2mount for -t b2mount, /sbin/mount.fuse.b2mount for
// -t fuse.b2mount. mount(8) calls a helper as
//
//	mount.TYPE SOURCE DIR [-sfnv] [-N NAMESPACE] [-o OPTIONS] [-t TYPE]
//
// and fuse3's mount.fuse3, which mount(8) falls back to for -t fuse.TYPE
// when no mount.fuse.TYPE exists, runs `TYPE SOURCE DIR -o OPTIONS`
// through /bin/sh: b2mount on PATH.
var helperNames = []string{"mount.b2mount", "mount.fuse.b2mount"}

// given is a setting's value from the command line, and where from:
// "--uid", "-o uid", "mount helper".
type given struct{ value, from string }

// cmdline is what the command line says.
type cmdline struct {
	given map[string]given // by setting name
	args  []string         // BUCKET[:PREFIX] MOUNTPOINT
	// helper is set when mount(8) or mount.fuse3 runs b2mount: by a
	// helper's name, or as `b2mount SOURCE DIR -o OPTIONS` (options after
	// the mount point, as mount(8) passes them). A helper goes to the
	// background once mounted (--daemon).
	helper bool
	fake   bool // mount -f: check everything, mount nothing
	// readOnly is -o ro; it wins over read_write.
	readOnly bool
	// warnings are options that mount -s (sloppy) let through.
	warnings []string
}

// parseCommandLine reads b2mount's flags, BUCKET[:PREFIX] MOUNTPOINT, and
// after them, or in -o before them, mount options. argv0 is the name the
// program was run by.
func parseCommandLine(argv0 string, args []string) (*cmdline, error) {
	fl := flag.NewFlagSet("b2mount", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	fl.Usage = func() {}
	values := map[string]*flagValue{}
	for _, s := range settings {
		v := &flagValue{isBool: s.arg == ""}
		values[s.name] = v
		for _, name := range append([]string{s.name}, s.aliases...) {
			fl.Var(v, name, s.help)
		}
	}
	var opts optionLists
	fl.Var(&opts, "o", "mount options")
	switch err := fl.Parse(args); {
	case errors.Is(err, flag.ErrHelp): // -h
		return &cmdline{given: map[string]given{"help": {"true", "-h"}}}, nil
	case err != nil:
		// The flag package names flags with one dash; b2mount's use two.
		return nil, usageError(strings.Replace(err.Error(), ": -", ": --", 1))
	}
	cl := &cmdline{given: map[string]given{}, helper: slices.Contains(helperNames, filepath.Base(argv0))}
	for name, v := range values {
		if v.value != "" {
			cl.given[name] = given{v.value, "--" + name}
		}
	}
	rest := fl.Args()
	i := slices.IndexFunc(rest, isMountSwitch)
	if i < 0 {
		i = len(rest)
	}
	cl.args = rest[:i]
	if i < len(rest) {
		cl.helper = true
	}
	sloppy := false
	for rest = rest[i:]; len(rest) > 0; rest = rest[1:] {
		switch a := rest[0]; {
		case a == "-o" || a == "-t" || a == "-N":
			if len(rest) == 1 {
				return nil, usageError(fmt.Sprintf("mount option %s needs an argument", a))
			}
			if a == "-N" {
				return nil, usageError("mount -N (another mount namespace) is not supported")
			}
			if a == "-o" {
				opts = append(opts, rest[1])
			} // -t fuse.b2mount: the type is b2mount's own
			rest = rest[1:]
		case strings.HasPrefix(a, "-o"):
			opts = append(opts, a[2:])
		case a == "-s":
			sloppy = true
		case a == "-f":
			cl.fake = true
		case a == "-n", a == "-v":
			// No /etc/mtab to skip; verbose is the default.
		default:
			return nil, usageError(fmt.Sprintf("unexpected argument %q among the mount options", a))
		}
	}
	if _, ok := cl.given["daemon"]; cl.helper && !ok {
		cl.given["daemon"] = given{"true", "mount helper"}
	}
	for _, o := range opts {
		if err := cl.applyOptions(o, sloppy); err != nil {
			return nil, err
		}
	}
	return cl, nil
}

// isMountSwitch reports whether a is one of the switches mount(8) passes
// a helper after SOURCE and DIR.
func isMountSwitch(a string) bool {
	switch a {
	case "-s", "-f", "-n", "-v", "-t", "-N", "-o":
		return true
	}
	return strings.HasPrefix(a, "-o")
}

// flagValue is the text of one flag as given; settings parse it later,
// so that a value from any layer goes through the same parser.
type flagValue struct {
	value  string
	isBool bool
}

func (v *flagValue) String() string     { return v.value }
func (v *flagValue) Set(s string) error { v.value = s; return nil }
func (v *flagValue) IsBoolFlag() bool   { return v.isBool }

// optionLists are the -o arguments, in order.
type optionLists []string

func (o *optionLists) String() string     { return strings.Join(*o, ",") }
func (o *optionLists) Set(s string) error { *o = append(*o, s); return nil }
