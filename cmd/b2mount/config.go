package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/metrics"
	"github.com/b2mount/b2mount/s3backend"
)

// defaultDaemonWait bounds the wait for a daemon's mount: the check before
// mounting may take --operation-timeout (30 s) for a request before it
// can say what is wrong, so the bound leaves room for that.
const defaultDaemonWait = time.Minute

// config is everything a mount needs, resolved from flags, the
// environment, a .env file and defaults, in that order of precedence.
type config struct {
	// s3 is the client's configuration, all but its Logger.
	s3 s3backend.Config
	// fs is the file system's, all but its Logger.
	fs fs.Options
	// prefix is "" for the whole bucket, else "a/b/": the keys under it
	// are mounted.
	prefix     string
	mountpoint string
	envFile    string
	// stateBase is --state-dir: where read-write mounts keep their state,
	// in a folder per bucket (see stateDirFor); "" is the user's cache
	// directory.
	stateBase string

	demo, allowOther, debug bool
	version, help           bool

	// daemon serves in the background once mounted (--daemon, or as a
	// mount helper); daemonWait bounds the wait for the mount.
	daemon     bool
	daemonWait time.Duration
	// helper is set when mount(8) runs b2mount (see cmdline.helper).
	helper bool
	// fake is mount -f: everything but the mount.
	fake bool
	// logFile is where a daemon logs; "" is syslog.
	logFile string
	// metricsAddr is where /metrics is served; "" is nowhere.
	metricsAddr string
	// prices estimate what the requests cost.
	prices metrics.Prices

	// sources says where each setting came from, for the log (never values
	// of secrets): the setting's name, or "credentials", to "--endpoint",
	// "ENDPOINT (environment)", "default", ...
	sources map[string]string
	// warnings are printed once logging is set up.
	warnings []string
}

var (
	// errHelp and errVersion ask run to print the help or the version
	// and exit 0.
	errHelp    = errors.New("help requested")
	errVersion = errors.New("version requested")
)

// usageError is a mistake in the command line or settings (exit status 2).
type usageError string

func (e usageError) Error() string { return string(e) }

// parseArgs resolves the configuration of `b2mount args...`.
func parseArgs(args []string, getenv func(string) string) (*config, error) {
	return parseInvocation("b2mount", args, getenv)
}

// parseInvocation resolves the configuration of a run by the name argv0
// (a mount helper's name makes it one) with args.
func parseInvocation(argv0 string, args []string, getenv func(string) string) (*config, error) {
	cl, err := parseCommandLine(argv0, args)
	if err != nil {
		return nil, err
	}
	given := cl.given
	c := &config{fs: fs.DefaultOptions(), sources: map[string]string{}, helper: cl.helper, fake: cl.fake, warnings: cl.warnings}
	// The actions, the demo and the .env file come from flags alone; they
	// decide what happens and where the other settings come from.
	for _, name := range []string{"help", "version", "demo", "env-file"} {
		if err := resolve(c, settingNamed(name), given, nil); err != nil {
			return nil, err
		}
	}
	switch {
	case c.help:
		return nil, errHelp
	case c.version:
		return nil, errVersion
	}
	var layers []layer
	if !c.demo { // the demo's server is the only source of its S3 settings
		dotenv, dotenvName, err := readDotenv(c.envFile)
		if err != nil {
			return nil, err
		}
		if dotenvName != "" && worldReadable(dotenvName) && anySecret(dotenv) {
			c.warnings = append(c.warnings, fmt.Sprintf("%s holds an application key and is readable by every user; chmod 600 it", dotenvName))
		}
		layers = []layer{{"environment", getenv}, {dotenvName, func(k string) string { return dotenv[k] }}}
		c.s3.KeyID, c.s3.SecretKey, c.sources["credentials"] = pickKeyPair(layers)
	}
	for _, s := range settings {
		if err := resolve(c, s, given, layers); err != nil {
			return nil, err
		}
	}
	if err := c.target(cl.args); err != nil {
		return nil, err
	}
	if c.sources["region"] == "default" && s3backend.RegionFromEndpoint(c.s3.Endpoint) != "" {
		c.sources["region"] = "the endpoint's host"
	}
	if !c.demo && c.s3.Endpoint == "" {
		return nil, usageError("no endpoint: pass --endpoint or set ENDPOINT (e.g. https://s3.us-west-002.backblazeb2.com)")
	}
	if cl.readOnly && c.fs.Writes.Enabled {
		c.fs.Writes.Enabled = false
		c.sources["read-write"] = "-o ro"
	}
	if c.fs.Writes.Enabled {
		// Editors check the write bit before they save.
		if c.sources["file-mode"] == "default" {
			c.fs.FileMode = rwFileMode
		}
		if c.sources["dir-mode"] == "default" {
			c.fs.DirMode = rwDirMode
		}
		c.fs.Writes.StateDir = "-" // decided by stateDirFor once the bucket is known
	}
	if err := c.fs.Validate(); err != nil { // the settings above keep to it; this is a safety net
		return nil, usageError(err.Error())
	}
	return c, nil
}

// resolve applies s from the first place that sets it: the flag, else its
// environment names in each layer, else its default; and notes where
// from. A bad value is a usage error that names the flag.
func resolve(c *config, s *setting, given map[string]given, layers []layer) error {
	v, from := s.def, "default"
	if g, ok := given[s.name]; ok {
		v, from = g.value, g.from
	} else {
	search:
		for _, l := range layers {
			for _, n := range s.env {
				if x := l.lookup(n); set(x) {
					v, from = x, n+" ("+l.name+")"
					break search
				}
			}
		}
	}
	if err := s.apply(c, v); err != nil {
		if _, ok := given[s.name]; ok {
			return usageError(fmt.Sprintf("%s %q: %v", from, v, err))
		}
		return usageError(fmt.Sprintf("--%s %q from %s: %v", s.name, v, from, err))
	}
	c.sources[s.name] = from
	return nil
}

// target reads the arguments after the flags: BUCKET[:PREFIX] MOUNTPOINT,
// or MOUNTPOINT alone with --demo. It is the one place a prefix is
// normalised: "/photos/2024/" and "photos/2024" are both "photos/2024/".
func (c *config) target(args []string) error {
	switch {
	case c.demo && len(args) == 1:
		c.mountpoint = args[0]
	case c.demo:
		return usageError("--demo takes one argument: MOUNTPOINT")
	case len(args) == 2:
		c.s3.Bucket, c.prefix, _ = strings.Cut(args[0], ":")
		c.mountpoint = args[1]
		if c.s3.Bucket == "" {
			return usageError("the bucket name is empty")
		}
		if c.prefix = strings.Trim(c.prefix, "/"); c.prefix != "" {
			c.prefix += "/"
		}
	default:
		return usageError("want BUCKET[:PREFIX] MOUNTPOINT")
	}
	if c.mountpoint == "" {
		return usageError("the mount point is empty (an unset variable?)")
	}
	return nil
}

// logAttrs are the settings for the --debug log: the endpoint and the
// region in use, and where each setting and the key came from. Never a
// secret.
func (c *config) logAttrs(region string) []any {
	attrs := []any{"endpoint", c.s3.Endpoint, "region", region, "credentials_from", c.sources["credentials"]}
	for _, s := range settings {
		if !s.notOption && !s.action {
			attrs = append(attrs, s.option()+"_from", c.sources[s.name])
		}
	}
	return attrs
}
