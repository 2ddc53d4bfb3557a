package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/joho/godotenv"
)

// layer is one place settings come from outside the command line (the
// environment, a .env file), with how to look a name up in it.
type layer struct {
	name   string
	lookup func(string) string
}

// keyPairNames are the names of a key id and its secret, in order of
// preference within one layer (the environment, then the .env file). A
// key id is always taken with the secret of the same pair.
var keyPairNames = []struct{ id, secret, note string }{
	{"KEY_ID_RO", "APPLICATION_KEY_RO", "B2's sample .env, read-only"},
	{"B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY", "B2 command-line tool"},
	{"KEY_ID", "APPLICATION_KEY", ""},
	{"KEY_ID_YOUR_ACCOUNT", "APPLICATION_KEY_YOUR_ACCOUNT", "B2's sample .env"},
	{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", ""},
}

func pickKeyPair(layers []layer) (id, secret, source string) {
	for _, l := range layers {
		for _, p := range keyPairNames {
			id, secret := l.lookup(p.id), l.lookup(p.secret)
			if set(id) && set(secret) {
				return id, secret, p.id + "/" + p.secret + " (" + l.name + ")"
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
		if set(m[p.secret]) {
			return true
		}
	}
	return false
}
