package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/s3backend"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// config is everything a mount needs, resolved from flags, the
// environment, a .env file and defaults, in that order of precedence.
type config struct {
	bucket, prefix string
	mountpoint     string
	demo           bool

	endpoint, region string
	keyID, secret    string
	profile          string
	virtualHost      bool

	fs         fs.Options
	allowOther bool
	debug      bool
	timeout    time.Duration
	opTimeout  time.Duration
	retries    int

	// sources says where each setting came from, for the log (never values
	// of secrets).
	sources map[string]string
	// warnings are printed once logging is set up.
	warnings []string
}

// Names that are read, in order of preference within one layer (the
// environment, then the .env file). A key id and its secret are always taken
// as a pair from the same names.
var (
	endpointNames = []string{"ENDPOINT", "B2_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "ENDPOINT_URL_YOUR_BUCKET"}
	regionNames   = []string{"REGION", "B2_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"}
	keyPairNames  = [][2]string{
		{"KEY_ID_RO", "APPLICATION_KEY_RO"}, // B2's sample .env, read-only key
		{"B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY"},
		{"KEY_ID", "APPLICATION_KEY"},
		{"KEY_ID_YOUR_ACCOUNT", "APPLICATION_KEY_YOUR_ACCOUNT"}, // B2's sample .env, your own key
		{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"},
	}
)

const usageText = `b2mount mounts a Backblaze B2 bucket (or any S3 bucket) read-only.

Usage:
  b2mount [flags] BUCKET[:PREFIX] MOUNTPOINT
  b2mount --demo MOUNTPOINT      mount the bundled sample bucket, served in-process

Settings come from flags, then the environment, then a .env file (./.env
when present, or --env-file PATH), then defaults:
  endpoint     --endpoint, else ENDPOINT, B2_ENDPOINT, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL,
               ENDPOINT_URL_YOUR_BUCKET
               (https:// is implied; e.g. s3.us-west-002.backblazeb2.com)
  region       --region, else REGION, B2_REGION, AWS_REGION, AWS_DEFAULT_REGION,
               else taken from a B2 endpoint (s3.<region>.backblazeb2.com), else us-east-1
  credentials  the first complete pair of
                 KEY_ID_RO / APPLICATION_KEY_RO          (B2's sample .env, read-only)
                 B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY  (B2 command-line tool)
                 KEY_ID / APPLICATION_KEY
                 KEY_ID_YOUR_ACCOUNT / APPLICATION_KEY_YOUR_ACCOUNT  (B2's sample .env)
                 AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
               else AWS_PROFILE and ~/.aws through the AWS SDK's default chain.
               The key needs listFiles and readFiles. Secrets are never logged.
Values still holding a "<ENTER ...>" placeholder are ignored. The ready line
names where the key came from; --debug logs the source of every setting.

Flags:
`

// parseArgs resolves the configuration. getenv reads the environment.
func parseArgs(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{fs: fs.DefaultOptions(), sources: map[string]string{}}
	fl := flag.NewFlagSet("b2mount", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fl.PrintDefaults()
	}
	endpoint := fl.String("endpoint", "", "S3 endpoint URL of the bucket's region")
	region := fl.String("region", "", "SigV4 signing region (default: from a B2 endpoint, else us-east-1)")
	envFile := fl.String("env-file", "", "read settings from this .env file (default ./.env when present)")
	fl.StringVar(&c.profile, "profile", "", "AWS shared-config profile, when no key is set (default AWS_PROFILE)")
	fl.BoolVar(&c.virtualHost, "virtual-host", false, "address the bucket virtual-host style (default path style)")
	fl.DurationVar(&c.fs.MetadataTTL, "metadata-ttl", c.fs.MetadataTTL, "how long listings, attributes and misses are cached")
	uid := fl.Int("uid", os.Getuid(), "owner of every file")
	gid := fl.Int("gid", os.Getgid(), "group of every file")
	fileMode := fl.String("file-mode", "0444", "permission bits of files")
	dirMode := fl.String("dir-mode", "0555", "permission bits of directories")
	fl.BoolVar(&c.allowOther, "allow-other", false, "let other users see the mount (needs user_allow_other in /etc/fuse.conf); turns on default_permissions")
	fl.BoolVar(&c.debug, "debug", false, "log retries, the source of every setting and FUSE errors in detail")
	fl.DurationVar(&c.timeout, "timeout", s3backend.DefaultRequestTimeout, "bound on one request attempt (and on a stalled read)")
	fl.DurationVar(&c.opTimeout, "operation-timeout", s3backend.DefaultOperationTimeout,
		"bound on a request with all its retries: past it, the file operation fails with EIO")
	fl.IntVar(&c.retries, "retries", s3backend.DefaultMaxAttempts, "attempts per request before giving up with EIO")
	fl.Int64Var(&c.fs.Prefetch.MemoryBudget, "memory-limit", c.fs.Prefetch.MemoryBudget>>20, "MiB of read-ahead buffers for all open files")
	fl.Int64Var(&c.fs.Prefetch.MaxWindow, "max-readahead", c.fs.Prefetch.MaxWindow>>20, "MiB a sequential reader may prefetch")
	fl.Int64Var(&c.fs.Prefetch.PartSize, "part-size", c.fs.Prefetch.PartSize>>20, "largest ranged GET of a prefetch, in MiB (a window is split into 8 parts, 32 over a slow link, each at most this)")
	fl.BoolVar(&c.demo, "demo", false, "serve the bundled sample bucket from an in-process S3 server and mount it")
	showVersion := fl.Bool("version", false, "print the version and exit")
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	if *showVersion {
		return &config{sources: map[string]string{"version": version}}, errVersion
	}
	c.fs.Prefetch.MemoryBudget <<= 20
	c.fs.Prefetch.MaxWindow <<= 20
	c.fs.Prefetch.PartSize <<= 20
	c.fs.Prefetch.InitialWindow = min(c.fs.Prefetch.InitialWindow, c.fs.Prefetch.MaxWindow)

	rest := fl.Args()
	switch {
	case c.demo && len(rest) == 1:
		c.mountpoint = rest[0]
	case c.demo:
		return nil, usageError("--demo takes one argument: MOUNTPOINT")
	case len(rest) == 2:
		c.bucket, c.prefix, _ = strings.Cut(rest[0], ":")
		c.mountpoint = rest[1]
	default:
		return nil, usageError("want BUCKET[:PREFIX] MOUNTPOINT")
	}
	if !c.demo && c.bucket == "" {
		return nil, usageError("the bucket name is empty")
	}
	if *uid < 0 || *gid < 0 {
		return nil, usageError("--uid and --gid must not be negative")
	}
	c.fs.UID, c.fs.GID = uint32(*uid), uint32(*gid)
	var err error
	if c.fs.FileMode, err = parseMode("--file-mode", *fileMode); err != nil {
		return nil, err
	}
	if c.fs.DirMode, err = parseMode("--dir-mode", *dirMode); err != nil {
		return nil, err
	}
	if c.timeout <= 0 || c.opTimeout <= 0 {
		return nil, usageError("--timeout and --operation-timeout must be positive")
	}
	if c.retries < 1 {
		return nil, usageError("--retries must be at least 1")
	}
	if err := c.fs.Validate(); err != nil {
		return nil, usageError(err.Error())
	}
	if c.demo {
		return c, nil
	}

	dotenv, dotenvName, err := readDotenv(*envFile)
	if err != nil {
		return nil, err
	}
	if dotenvName != "" && worldReadable(dotenvName) && anySecret(dotenv) {
		c.warnings = append(c.warnings, fmt.Sprintf("%s holds an application key and is readable by every user; chmod 600 it", dotenvName))
	}
	layers := []layer{{"environment", getenv}, {dotenvName, func(k string) string { return dotenv[k] }}}

	c.endpoint, c.sources["endpoint"] = pick("--endpoint", *endpoint, endpointNames, layers)
	c.region, c.sources["region"] = pick("--region", *region, regionNames, layers)
	c.keyID, c.secret, c.sources["credentials"] = pickKeyPair(layers)
	if c.endpoint == "" {
		return nil, usageError("no endpoint: pass --endpoint or set ENDPOINT (e.g. https://s3.us-west-002.backblazeb2.com)")
	}
	if c.profile == "" && c.keyID == "" {
		c.profile = getenv("AWS_PROFILE")
	}
	return c, nil
}

// errVersion asks main to print the version and exit 0.
var errVersion = errors.New("version requested")

// usageError is a mistake in the command line or settings (exit status 2).
type usageError string

func (e usageError) Error() string { return string(e) }

type layer struct {
	name   string
	lookup func(string) string
}

// pick returns the flag if set, else the first name set in the first
// layer that has one, and says where it came from.
func pick(flagName, flagValue string, names []string, layers []layer) (string, string) {
	if flagValue != "" {
		return flagValue, flagName
	}
	for _, l := range layers {
		for _, n := range names {
			if v := l.lookup(n); set(v) {
				return v, n + " (" + l.name + ")"
			}
		}
	}
	return "", "default"
}

func pickKeyPair(layers []layer) (id, secret, source string) {
	for _, l := range layers {
		for _, p := range keyPairNames {
			id, secret := l.lookup(p[0]), l.lookup(p[1])
			if set(id) && set(secret) {
				return id, secret, p[0] + "/" + p[1] + " (" + l.name + ")"
			}
		}
	}
	return "", "", "the AWS SDK's default chain"
}

// set reports whether v is a real value, not empty and not a "<ENTER ...>"
// placeholder as in B2's sample .env.
func set(v string) bool { return v != "" && !strings.HasPrefix(v, "<") }

// readDotenv reads path, or ./.env when path is "" and the file exists.
// It never changes the process environment.
func readDotenv(path string) (map[string]string, string, error) {
	if path == "" {
		if _, err := os.Stat(".env"); err != nil {
			return map[string]string{}, "", nil
		}
		path = ".env"
	}
	m, err := godotenv.Read(path)
	if err != nil {
		return nil, "", usageError(fmt.Sprintf("cannot read env file %s: %v", path, err))
	}
	return m, path, nil
}

func worldReadable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().Perm()&0o004 != 0
}

func anySecret(m map[string]string) bool {
	for _, p := range keyPairNames {
		if set(m[p[1]]) {
			return true
		}
	}
	return false
}

func parseMode(name, s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil || v&^0o777 != 0 {
		return 0, usageError(fmt.Sprintf("%s %q is not an octal mode like 0444", name, s))
	}
	return uint32(v), nil
}
