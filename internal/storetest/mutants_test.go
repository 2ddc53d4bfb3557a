package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/storetest"
	"github.com/b2mount/b2mount/s3backend"
)

// mutant is the in-memory fake with one contract rule broken.
type mutant struct {
	*memstore.Store
	list  func(ctx context.Context, prefix string, fn func(s3backend.Listing) error) error
	probe func(ctx context.Context, prefix string) (bool, error)
	page  func(ctx context.Context, prefix, startAfter string, maxKeys int) (s3backend.Listing, error)
	open  func(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error)
	w     writeMutations // mutants_write_test.go
}

func (m *mutant) ListPages(ctx context.Context, prefix string, fn func(s3backend.Listing) error) error {
	if m.list != nil {
		return m.list(ctx, prefix, fn)
	}
	return m.Store.ListPages(ctx, prefix, fn)
}

func (m *mutant) ListPage(ctx context.Context, prefix, startAfter string, maxKeys int) (s3backend.Listing, error) {
	if m.page != nil {
		return m.page(ctx, prefix, startAfter, maxKeys)
	}
	return m.Store.ListPage(ctx, prefix, startAfter, maxKeys)
}

func (m *mutant) HasPrefix(ctx context.Context, prefix string) (bool, error) {
	if m.probe != nil {
		return m.probe(ctx, prefix)
	}
	return m.Store.HasPrefix(ctx, prefix)
}

func (m *mutant) OpenRange(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
	if m.open != nil {
		return m.open(ctx, key, etag, off, n)
	}
	return m.Store.OpenRange(ctx, key, etag, off, n)
}

// mutants are broken stores, each with the case that must catch it.
func mutants(m *mutant) map[string]struct {
	breakIt func()
	caught  string
} {
	base := m.Store
	all := map[string]struct {
		breakIt func()
		caught  string
	}{
		"none": {func() {}, ""},
		"deleted reads as missing": {func() {
			m.open = func(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
				rc, err := base.OpenRange(ctx, key, etag, off, n)
				if errors.Is(err, s3backend.ErrChanged) {
					if _, serr := base.Stat(ctx, key); errors.Is(serr, s3backend.ErrNotExist) {
						return nil, serr
					}
				}
				return rc, err
			}
		}, "PinnedDeleted"},
		"etags compared with their quotes": {func() {
			m.open = func(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
				if o, err := base.Stat(ctx, key); err == nil && etag != "" && etag != o.ETag {
					return nil, s3backend.ErrChanged
				}
				return base.OpenRange(ctx, key, etag, off, n)
			}
		}, "PinnedETagQuotes"},
		"off ignored": {func() {
			m.open = func(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
				return base.OpenRange(ctx, key, etag, 0, n)
			}
		}, "Ranges"},
		"a later page loses its first entry": {func() {
			m.list = func(ctx context.Context, prefix string, fn func(s3backend.Listing) error) error {
				i := 0
				return base.ListPages(ctx, prefix, func(p s3backend.Listing) error {
					if i++; i > 1 && len(p.Objects) > 0 {
						p.Objects = p.Objects[1:]
					}
					return fn(p)
				})
			}
		}, "ListPagesInKeyOrder"},
		"probe ignores the slash": {func() {
			m.probe = func(ctx context.Context, prefix string) (bool, error) {
				return base.HasPrefix(ctx, strings.TrimSuffix(prefix, "/"))
			}
		}, "ListMissingPrefix"},
		"start-after ignored": {func() {
			m.page = func(ctx context.Context, prefix, startAfter string, maxKeys int) (s3backend.Listing, error) {
				return base.ListPage(ctx, prefix, "", maxKeys)
			}
		}, "ListPageStartAfter"},
		"truncation not said": {func() {
			m.page = func(ctx context.Context, prefix, startAfter string, maxKeys int) (s3backend.Listing, error) {
				p, err := base.ListPage(ctx, prefix, startAfter, maxKeys)
				p.Truncated = false
				return p, err
			}
		}, "ListPageWalk"},
		"denied reads as missing": {func() {
			m.open = func(ctx context.Context, key, etag string, off, n int64) (io.ReadCloser, error) {
				rc, err := base.OpenRange(ctx, key, etag, off, n)
				if errors.Is(err, s3backend.ErrAccessDenied) {
					return nil, s3backend.ErrNotExist
				}
				return rc, err
			}
		}, "DeniedKey"},
	}
	for name, wm := range writeMutants(m) {
		all[name] = wm
	}
	return all
}

const mutantEnv = "STORETEST_MUTANT"

// The suite catches a store that breaks the contract: each mutant of the
// fake, run in a child process, fails the case that guards its rule, and
// the fake itself ("none") passes.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	m := &mutant{Store: memstore.New()}
	all := mutants(m)
	if name, ok := os.LookupEnv(mutantEnv); ok { // the child: run the suite on one mutant
		all[name].breakIt()
		m.SetPageSize(4)
		storetest.Run(t, storetest.Fixture{
			Store:    m,
			Put:      func(key string, data []byte) error { m.Set(key, data); return nil },
			Delete:   func(key string) error { m.Remove(key); return nil },
			Versions: func(key string) (int, error) { return m.Versions(key), nil },
			PageSize: 4,
			Deny:     func(t *testing.T, prefix string) fs.Store { m.Deny(prefix); return m },
		})
		return
	}
	for name, mt := range all {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteCatchesBrokenStores$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), mutantEnv+"="+name)
		out, err := cmd.CombinedOutput()
		failed := fmt.Sprintf("--- FAIL: TestSuiteCatchesBrokenStores/%s ", mt.caught)
		switch {
		case mt.caught == "" && err != nil:
			t.Errorf("the unbroken fake failed the suite: %v\n%s", err, out)
		case mt.caught != "" && (err == nil || !strings.Contains(string(out), failed)):
			t.Errorf("mutant %q: want case %s to fail; suite ended with %v\n%s", name, mt.caught, err, out)
		}
	}
}
