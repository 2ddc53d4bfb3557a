package s3test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// UnsignedPayload is the x-amz-content-sha256 value that tells the server
// the request body is not covered by the signature.
const UnsignedPayload = "UNSIGNED-PAYLOAD"

// Signer signs HTTP requests with AWS Signature Version 4 for the "s3"
// service, using path-style URLs. It is a minimal signer for tests and the
// demo: header-based signing only (no presigned URLs, no chunked uploads).
// The zero Now means time.Now.
type Signer struct {
	KeyID     string
	SecretKey string
	Region    string
	Now       func() time.Time
}

// PayloadHash returns the lowercase hex SHA-256 of data, the value of
// x-amz-content-sha256 for a signed payload.
func PayloadHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Sign adds X-Amz-Date, X-Amz-Content-Sha256 and Authorization to req.
// payloadHash is the hex SHA-256 of the body (see PayloadHash), or ""
// for UnsignedPayload. Signed headers are host, every x-amz-* header, and
// range, content-type and content-md5 when present.
// Sign rewrites req.URL.RawPath and RawQuery into the canonical encoding
// so that what goes on the wire is exactly what was signed.
func (s Signer) Sign(req *http.Request, payloadHash string) error {
	if s.KeyID == "" || s.SecretKey == "" {
		return fmt.Errorf("sigv4 sign: empty credentials")
	}
	if payloadHash == "" {
		payloadHash = UnsignedPayload
	}
	region := s.Region
	if region == "" {
		region = DefaultRegion
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now().UTC()
	amzDate := t.Format("20060102T150405Z")
	day := t.Format("20060102")

	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" {
		return fmt.Errorf("sigv4 sign: request has no host")
	}

	req.Header.Set("X-Amz-Date", amzDate)
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)

	path := req.URL.Path
	if path == "" {
		path = "/"
	}
	canonURI := encodeURIPath(path)
	req.URL.RawPath = canonURI
	canonQuery := canonicalQuery(req.URL.Query())
	req.URL.RawQuery = canonQuery

	// Canonical headers, lowercase and sorted.
	names := []string{"host"}
	values := map[string]string{"host": host}
	for k, v := range req.Header {
		lk := strings.ToLower(k)
		if !strings.HasPrefix(lk, "x-amz-") && lk != "range" && lk != "content-type" && lk != "content-md5" {
			continue
		}
		names = append(names, lk)
		values[lk] = strings.Join(trimAll(v), ",")
	}
	sort.Strings(names)
	var ch strings.Builder
	for _, n := range names {
		ch.WriteString(n)
		ch.WriteByte(':')
		ch.WriteString(values[n])
		ch.WriteByte('\n')
	}
	signedHeaders := strings.Join(names, ";")

	canonReq := strings.Join([]string{
		req.Method, canonURI, canonQuery, ch.String(), signedHeaders, payloadHash,
	}, "\n")
	scope := day + "/" + region + "/s3/aws4_request"
	crHash := sha256.Sum256([]byte(canonReq))
	stringToSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(crHash[:])

	key := hmacSHA256([]byte("AWS4"+s.SecretKey), day)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, "s3")
	key = hmacSHA256(key, "aws4_request")
	sig := hex.EncodeToString(hmacSHA256(key, stringToSign))

	req.Header.Set("Authorization", fmt.Sprintf(
		"AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		s.KeyID, scope, signedHeaders, sig))
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// trimAll trims the values and collapses inner runs of spaces, as SigV4
// canonical headers require.
func trimAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return out
}

// canonicalQuery encodes q sorted by key then value, with SigV4 escaping.
func canonicalQuery(q url.Values) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, kv{sigv4Escape(k, true), sigv4Escape(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = p.k + "=" + p.v
	}
	return strings.Join(parts, "&")
}

// encodeURIPath escapes every byte of p except unreserved characters and
// '/', the S3 flavour of the SigV4 canonical URI (S3 does not double-encode).
func encodeURIPath(p string) string { return sigv4Escape(p, false) }

// sigv4Escape percent-encodes s per RFC 3986 with uppercase hex, leaving
// A-Z a-z 0-9 - _ . ~ alone; '/' is encoded only when encodeSlash is set.
func sigv4Escape(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}
