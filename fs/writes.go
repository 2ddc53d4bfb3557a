package fs

import (
	"fmt"
	"os"
	"sync/atomic"
)

// writes is what a read-write mount adds to the file system: the bucket's
// write side, what every writer shares (writeDeps), the mount's state
// directory and the table of modification times.
type writes struct {
	store  WriteStore
	deps   *writeDeps
	state  *stateDir
	mtimes *mtimeTable
	newIDs atomic.Uint64 // numbers the identities of files not in the bucket yet

	hardDelete bool // constant: WriteOptions.HardDelete
}

// openWrites takes the mount's state directory and loads the table of
// modification times.
func openWrites(fsys *fileSystem, store WriteStore) (*writes, error) {
	base := fsys.opt.Writes.StateDir
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	state, err := openStateDir(base)
	if err != nil {
		return nil, err
	}
	mt, err := openMtimes(base)
	if err != nil {
		return nil, err
	}
	return &writes{
		store:      store,
		state:      state,
		mtimes:     mt,
		hardDelete: fsys.opt.Writes.HardDelete,
		deps: &writeDeps{
			store:   store,
			pool:    fsys.shared.pool,
			staging: state.staging,
			journal: state.journal,
			clock:   fsys.opt.Clock,
			log:     fsys.log,
		},
	}, nil
}
