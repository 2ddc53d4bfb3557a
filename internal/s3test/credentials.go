package s3test

import (
	"crypto/rand"
	"fmt"
)

// newCredentials returns a random access key id (20 characters, A-Z0-9,
// like AWS's) and secret key (40 characters).
func newCredentials() (keyID, secret string, err error) {
	keyID, err = randomString(20, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	if err != nil {
		return "", "", fmt.Errorf("credentials: %w", err)
	}
	secret, err = randomString(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
	if err != nil {
		return "", "", fmt.Errorf("credentials: %w", err)
	}
	return keyID, secret, nil
}

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 64)
	limit := 256 - 256%len(alphabet) // reject bytes >= limit to avoid bias
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}
