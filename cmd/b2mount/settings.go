package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/metrics"
	"github.com/b2mount/b2mount/s3backend"
)

// setting is one thing a user can set, said once for every place it can
// be set from: the command line, the environment, a .env file and its
// default. The help text (--help) is made from it, and a test checks the
// README's table of settings against it.
type setting struct {
	// name is the flag (--name) and, with "-" written "_", the mount
	// option (-o name=value) that fstab will pass.
	name string
	// aliases are other flags accepted for it (names it had before).
	aliases []string
	// arg names the value in the help; "" makes a switch (--name alone
	// means true).
	arg string
	// env are the names read from the environment, then from the .env
	// file, in order, when the flag is not given.
	env []string
	// def is the default, applied like any value; defText says it in
	// words where it is not a plain value.
	def, defText string
	help         string
	// notOption marks a flag that is not a mount option (the demo);
	// action one that does something and exits (--help, --version).
	notOption, action bool
	// apply parses v into c, or says what a good value looks like.
	apply func(c *config, v string) error
}

// option is the setting's mount-option name: "metadata-ttl" is
// -o metadata_ttl=...
func (s *setting) option() string { return strings.ReplaceAll(s.name, "-", "_") }

// rwFileMode and rwDirMode are the default modes of a read-write mount:
// writable by the owner, as editors check before they save.
const (
	rwFileMode = 0o644
	rwDirMode  = 0o755
)

// maxMiB bounds the MiB settings: 1 TiB, far beyond any useful value and
// far from overflowing a count of bytes.
const maxMiB = 1 << 20

// settings are every flag b2mount takes, in the order --help lists them.
var settings = func() []*setting {
	d := fs.DefaultOptions()
	return []*setting{
		{name: "endpoint", arg: "URL", env: []string{"ENDPOINT", "B2_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "ENDPOINT_URL_YOUR_BUCKET"},
			defText: "required", help: "S3 endpoint of the bucket's region; https:// is implied (e.g. s3.us-west-002.backblazeb2.com)",
			apply: func(c *config, v string) error { c.s3.Endpoint = v; return nil }},
		{name: "region", arg: "REGION", env: []string{"REGION", "B2_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"},
			defText: "from a B2 host s3.REGION.backblazeb2.com, else us-east-1", help: "SigV4 signing region",
			apply: func(c *config, v string) error { c.s3.Region = v; return nil }},
		{name: "env-file", arg: "PATH", defText: "./.env when present", help: "read settings from this .env file",
			apply: func(c *config, v string) error { c.envFile = v; return nil }},
		{name: "profile", arg: "NAME", env: []string{"AWS_PROFILE"}, defText: "the AWS SDK's default",
			help:  "AWS shared-config profile (~/.aws), used when no key is set",
			apply: func(c *config, v string) error { c.s3.Profile = v; return nil }},
		{name: "aws-credentials-file", arg: "PATH", env: []string{"AWS_SHARED_CREDENTIALS_FILE"}, defText: "~/.aws/credentials",
			help:  "AWS shared credentials file, used when no key is set (at boot there is no ~)",
			apply: func(c *config, v string) error { c.s3.CredentialsFile = v; return nil }},
		{name: "aws-config-file", arg: "PATH", env: []string{"AWS_CONFIG_FILE"}, defText: "~/.aws/config",
			help:  "AWS shared config file, used when no key is set",
			apply: func(c *config, v string) error { c.s3.ConfigFile = v; return nil }},
		{name: "virtual-host", def: "false", help: "address the bucket virtual-host style (bucket.host) instead of path style",
			apply: boolInto(func(c *config) *bool { return &c.s3.VirtualHostStyle })},
		{name: "metadata-ttl", arg: "DURATION", def: durationText(d.MetadataTTL),
			help:  "how long a listing, a looked-up name and a miss are trusted, by b2mount and the kernel",
			apply: durationInto(0, func(c *config) *time.Duration { return &c.fs.MetadataTTL })},
		{name: "uid", arg: "UID", defText: "the mounting user", help: "owner of every file and directory",
			apply: idInto(os.Getuid, func(c *config) *uint32 { return &c.fs.UID })},
		{name: "gid", arg: "GID", defText: "the mounting user's group", help: "group of every file and directory",
			apply: idInto(os.Getgid, func(c *config) *uint32 { return &c.fs.GID })},
		{name: "file-mode", arg: "MODE", def: fmt.Sprintf("%#o", d.FileMode), defText: fmt.Sprintf("%#o, %#o with --read-write", d.FileMode, rwFileMode),
			help:  "permission bits of files (octal)",
			apply: modeInto(func(c *config) *uint32 { return &c.fs.FileMode })},
		{name: "dir-mode", arg: "MODE", def: fmt.Sprintf("%#o", d.DirMode), defText: fmt.Sprintf("%#o, %#o with --read-write", d.DirMode, rwDirMode),
			help:  "permission bits of directories (octal)",
			apply: modeInto(func(c *config) *uint32 { return &c.fs.DirMode })},
		{name: "allow-other", def: "false",
			help:  "let other users in (needs user_allow_other in /etc/fuse.conf); turns on default_permissions so that the kernel enforces the modes",
			apply: boolInto(func(c *config) *bool { return &c.allowOther })},
		{name: "timeout", arg: "DURATION", def: durationText(s3backend.DefaultRequestTimeout),
			help: "bound on one request attempt, and on a read that stalls",
			apply: func(c *config, v string) error {
				t, err := positiveDuration(v)
				c.s3.RequestTimeout, c.s3.ReadIdleTimeout = t, t
				return err
			}},
		{name: "operation-timeout", arg: "DURATION", def: durationText(s3backend.DefaultOperationTimeout),
			help:  "bound on one request with all its retries and waits; past it the file operation fails with EIO",
			apply: func(c *config, v string) (err error) { c.s3.OperationTimeout, err = positiveDuration(v); return err }},
		{name: "retries", arg: "N", def: strconv.Itoa(s3backend.DefaultMaxAttempts), help: "attempts per request before an error (EIO)",
			apply: func(c *config, v string) error {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return fmt.Errorf("want a whole number of at least 1")
				}
				c.s3.MaxAttempts = n
				return nil
			}},
		{name: "memory-limit", arg: "MiB", def: mibText(d.Prefetch.MemoryBudget),
			help:  "MiB of prefetch buffers for all open files together",
			apply: mibInto(0, func(c *config) *int64 { return &c.fs.Prefetch.MemoryBudget })},
		{name: "max-prefetch", aliases: []string{"max-readahead"}, arg: "MiB", def: mibText(d.Prefetch.MaxWindow),
			help: "MiB one sequential reader may prefetch",
			apply: func(c *config, v string) error {
				if err := mibInto(1, func(c *config) *int64 { return &c.fs.Prefetch.MaxWindow })(c, v); err != nil {
					return err
				}
				c.fs.Prefetch.InitialWindow = min(fs.DefaultOptions().Prefetch.InitialWindow, c.fs.Prefetch.MaxWindow)
				return nil
			}},
		{name: "part-size", arg: "MiB", def: mibText(d.Prefetch.PartSize),
			help:  "largest ranged GET of a prefetch, in MiB; a window is split into 8 parts (32 when GETs take 25 ms or more to answer)",
			apply: mibInto(1, func(c *config) *int64 { return &c.fs.Prefetch.PartSize })},
		{name: "read-write", def: "false",
			help:  "allow writes: copy files in, edit, rename and delete them (close returns once the file is in the bucket)",
			apply: boolInto(func(c *config) *bool { return &c.fs.Writes.Enabled })},
		{name: "state-dir", arg: "DIR", defText: "the user's cache directory (~/.cache/b2mount)",
			help:  "with --read-write: where files being edited are staged, and what must outlive a mount is kept, in a folder per bucket",
			apply: func(c *config, v string) error { c.stateBase = v; return nil }},
		{name: "hard-delete", def: "false",
			help:  "with --read-write: rm deletes every version of a file (B2 keeps, and bills, older versions otherwise)",
			apply: boolInto(func(c *config) *bool { return &c.fs.Writes.HardDelete })},
		{name: "daemon", def: "false", defText: "off; on as a mount helper",
			help:  "return once mounted and keep serving in the background; the log goes to syslog (the journal) or --log-file",
			apply: boolInto(func(c *config) *bool { return &c.daemon })},
		{name: "daemon-wait", arg: "DURATION", def: durationText(defaultDaemonWait),
			help:  "with --daemon: how long to wait for the mount; past it the daemon is stopped and the mount fails",
			apply: func(c *config, v string) (err error) { c.daemonWait, err = positiveDuration(v); return err }},
		{name: "log-file", arg: "PATH", defText: "syslog",
			help:  "with --daemon: append the log to this file instead of sending it to syslog",
			apply: func(c *config, v string) error { c.logFile = v; return nil }},
		{name: "metrics-addr", arg: "ADDR", defText: "off",
			help:  "serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9101)",
			apply: func(c *config, v string) error { c.metricsAddr = v; return nil }},
		{name: "b2-prices", arg: "PRICES", def: metrics.DefaultPricesText,
			help:  "B2's prices for the cost estimate logged on unmount and on SIGUSR1: CLASS=DOLLARS/REQUESTS for classes A, B and C, and the requests of each class free a day",
			apply: func(c *config, v string) (err error) { c.prices, err = metrics.ParsePrices(v); return err }},
		{name: "debug", def: "false", help: "log retries, failed operations and where every setting came from",
			apply: boolInto(func(c *config) *bool { return &c.debug })},
		{name: "demo", def: "false", notOption: true, help: "serve the bundled sample bucket from an in-process S3 server and mount it",
			apply: boolInto(func(c *config) *bool { return &c.demo })},
		{name: "version", def: "false", action: true, help: "print the version and exit",
			apply: boolInto(func(c *config) *bool { return &c.version })},
		{name: "help", def: "false", action: true, help: "print this help and exit",
			apply: boolInto(func(c *config) *bool { return &c.help })},
	}
}()

// settingNamed returns the setting called name; it panics on a name the
// table lacks, which is a bug.
func settingNamed(name string) *setting {
	for _, s := range settings {
		if s.name == name {
			return s
		}
	}
	panic("no setting " + name)
}

func boolInto(field func(*config) *bool) func(*config, string) error {
	return func(c *config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		*field(c) = b
		return nil
	}
}

func durationInto(least time.Duration, field func(*config) *time.Duration) func(*config, string) error {
	return func(c *config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < least {
			return fmt.Errorf("want a duration like 30s or 5m, at least %v", least)
		}
		*field(c) = d
		return nil
	}
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a duration like 30s or 5m, more than 0")
	}
	return d, nil
}

// idInto parses a user or group id; "" is the mounting user's.
func idInto(mine func() int, field func(*config) *uint32) func(*config, string) error {
	return func(c *config, v string) error {
		if v == "" {
			*field(c) = uint32(mine())
			return nil
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return fmt.Errorf("want a number from 0 to %d", uint32(1<<32-1))
		}
		*field(c) = uint32(n)
		return nil
	}
}

func modeInto(field func(*config) *uint32) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.ParseUint(v, 8, 32)
		if err != nil || n&^0o777 != 0 {
			return fmt.Errorf("want octal permission bits from 0 to 0777, like 0444")
		}
		*field(c) = uint32(n)
		return nil
	}
}

// mibInto parses a whole number of MiB from least to maxMiB into bytes.
func mibInto(least int64, field func(*config) *int64) func(*config, string) error {
	return func(c *config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < least || n > maxMiB {
			return fmt.Errorf("want whole MiB from %d to %d", least, maxMiB)
		}
		*field(c) = n << 20
		return nil
	}
}

func mibText(bytes int64) string { return strconv.FormatInt(bytes>>20, 10) }

// durationText writes d as a user would: 1m, not 1m0s.
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
