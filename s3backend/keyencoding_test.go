package s3backend_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/b2mount/b2mount/s3backend"
)

func TestDecodeListing(t *testing.T) {
	page := func(enc types.EncodingType, keys ...string) *s3.ListObjectsV2Output {
		p := &s3.ListObjectsV2Output{EncodingType: enc, Prefix: aws.String(keys[0]),
			NextContinuationToken: aws.String("a+b%2B==")}
		for _, k := range keys[1:] {
			p.Contents = append(p.Contents, types.Object{Key: aws.String(k)})
			p.CommonPrefixes = append(p.CommonPrefixes, types.CommonPrefix{Prefix: aws.String(k + "/")})
		}
		return p
	}
	keys := func(p *s3.ListObjectsV2Output) []string {
		out := []string{aws.ToString(p.Prefix)}
		for i, o := range p.Contents {
			out = append(out, aws.ToString(o.Key), aws.ToString(p.CommonPrefixes[i].Prefix))
		}
		return out
	}

	// Encoded: '+' is a space, %2B a plus, %01 a control character.
	p := page("url", "d%C3%BC/", "a%01b", "with+space", "plus%2B", "pct%2541")
	if err := s3backend.DecodeListing(p); err != nil {
		t.Fatal(err)
	}
	want := []string{"dü/", "a\x01b", "a\x01b/", "with space", "with space/", "plus+", "plus+/", "pct%41", "pct%41/"}
	if got := keys(p); !slices.Equal(got, want) {
		t.Errorf("decoded %q, want %q", got, want)
	}
	if tok := aws.ToString(p.NextContinuationToken); tok != "a+b%2B==" {
		t.Errorf("continuation token %q was changed: it is opaque", tok)
	}

	// Not encoded (the server ignored encoding-type): kept as is.
	raw := []string{"x/", "a+b c", "pct%41", "plus%2B"}
	p = page("", raw...)
	if err := s3backend.DecodeListing(p); err != nil {
		t.Fatal(err)
	}
	if got := keys(p); !slices.Equal(got, []string{"x/", "a+b c", "a+b c/", "pct%41", "pct%41/", "plus%2B", "plus%2B/"}) {
		t.Errorf("raw keys changed: %q", got)
	}

	if err := s3backend.DecodeListing(page("url", "", "bad%zz")); err == nil || !strings.Contains(err.Error(), "bad%zz") {
		t.Errorf("bad encoding: %v, want an error naming the key", err)
	}
}

// awsLister answers ListObjectsV2 as AWS does: keys URL-encoded when the
// request asks for encoding-type=url (and says so in EncodingType), else
// raw, a control character as a character reference that Go's XML decoder
// rejects. Two pages, joined by a token the client must send back as it is.
func awsLister(keys []string) func(w http.ResponseWriter, r *http.Request, next http.Handler) {
	const token = "tok+/=%2B"
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		q := r.URL.Query()
		if q.Get("list-type") != "2" {
			next.ServeHTTP(w, r)
			return
		}
		encoded := q.Get("encoding-type") == "url"
		enc := func(s string) string {
			if encoded {
				return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
			}
			return xmlCharRefs(s)
		}
		half := len(keys) / 2
		page, more := keys[:half], true
		if tok, ok := q["continuation-token"]; ok {
			if tok[0] != token {
				s3Error(w, r, http.StatusBadRequest, "InvalidArgument", nil)
				return
			}
			page, more = keys[half:], false
		}
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
		fmt.Fprintf(&b, "<Name>%s</Name><Prefix>%s</Prefix><Delimiter>/</Delimiter><KeyCount>%d</KeyCount><IsTruncated>%v</IsTruncated>",
			testBucket, enc(q.Get("prefix")), len(page), more)
		if encoded {
			b.WriteString("<EncodingType>url</EncodingType>")
		}
		if more {
			fmt.Fprintf(&b, "<NextContinuationToken>%s</NextContinuationToken>", xmlCharRefs(token))
		}
		for _, k := range page {
			if strings.HasSuffix(k, "/") {
				fmt.Fprintf(&b, "<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>", enc(k))
				continue
			}
			fmt.Fprintf(&b, `<Contents><Key>%s</Key><LastModified>2024-05-01T12:00:00.000Z</LastModified>`+
				`<ETag>&quot;0123&quot;</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`, enc(k), len(k))
		}
		b.WriteString("</ListBucketResult>")
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write([]byte(b.String()))
	}
}

// xmlCharRefs escapes s for XML text as AWS does: markup characters as
// entities, and control characters as character references (which XML
// 1.0 forbids, and Go's encoding/xml rejects when reading).
func xmlCharRefs(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r < 0x20:
			fmt.Fprintf(&b, "&#x%X;", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// A key with a control character used to break its whole folder on a
// server that answers as AWS does: "illegal character code U+0001".
func TestListKeysWithControlCharactersFromAnAWSLikeServer(t *testing.T) {
	f := newFake(t)
	keys := []string{"d/a\x01b", "d/dir\x02x/", "d/plus+and space", "d/pct%41", "d/ü&<>.txt"}
	f.setHook(awsLister(keys))
	c := newClient(t, f.srv.URL, nil)
	ctx := context.Background()

	l, err := c.List(ctx, "d/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	got := append(slices.Clone(l.Prefixes), keysOf(l.Objects)...)
	want := []string{"d/dir\x02x/", "d/a\x01b", "d/plus+and space", "d/pct%41", "d/ü&<>.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("listed %q, want %q", got, want)
	}
	for _, r := range f.requests() {
		if !strings.Contains(r.Query, "encoding-type=url") {
			t.Errorf("LIST without encoding-type=url: %s", r.Query)
		}
	}
	if ok, err := c.HasPrefix(ctx, "d/"); !ok || err != nil {
		t.Errorf("HasPrefix: %v, %v", ok, err)
	}
}

func keysOf(objs []s3backend.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Key
	}
	return out
}
