package storetest

import (
	"errors"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

func deniedCases() []Case {
	canDeny := func(f *Fixture) bool { return f.Deny != nil }
	return []Case{
		{Name: "DeniedKey", Needs: canDeny, Run: deniedKey},
	}
}

// deniedKey: credentials without rights to a key get ErrAccessDenied from
// every method, pinned or not, and never an answer that reads as "not
// there" (ErrNotExist, or HasPrefix false).
func deniedKey(t *testing.T, b *Bucket) {
	key := b.Put("secret", []byte("s"))
	etag := stat(t, b, key).ETag
	denied := b.Deny(t, b.Dir)
	ctx := t.Context()

	check := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, s3backend.ErrAccessDenied) || errors.Is(err, s3backend.ErrNotExist) {
			t.Errorf("%s: %v, want ErrAccessDenied", what, err)
		}
	}
	_, err := denied.Stat(ctx, key)
	check("Stat", err)
	for _, e := range []string{"", etag} {
		rc, err := denied.OpenRange(ctx, key, e, 0, -1)
		if err == nil {
			rc.Close()
		}
		check("OpenRange pinned to "+e, err)
	}
	ok, err := denied.HasPrefix(ctx, b.Dir)
	check("HasPrefix", err)
	if ok {
		t.Errorf("HasPrefix answered true with the error %v", err)
	}
	_, err = pages(t, denied, b.Dir)
	check("ListPages", err)
	_, err = denied.Stat(ctx, b.Key("absent"))
	check("Stat of a key that is not there", err)
}
