package memstore_test

import (
	"testing"

	"github.com/b2mount/b2mount/fs"
	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/internal/storetest"
)

var _ fs.WriteStore = (*memstore.Store)(nil)

// The fake keeps the Store and WriteStore contracts as the real client on
// real servers does: the file system's unit tests run on it. It keeps
// every version, as B2 does.
func TestStoreConformance(t *testing.T) {
	m := memstore.New()
	const pageSize = 4
	m.SetPageSize(pageSize)
	storetest.Run(t, storetest.Fixture{
		Store:    m,
		Put:      func(key string, data []byte) error { m.Set(key, data); return nil },
		Delete:   func(key string) error { m.Remove(key); return nil },
		Versions: func(key string) (int, error) { return m.Versions(key), nil },
		PageSize: pageSize,
		Deny: func(t *testing.T, prefix string) fs.Store {
			m.Deny(prefix)
			return m
		},
	})
}
