package fs

import "github.com/b2mount/b2mount/internal/memstore"

// The in-memory fake is a whole WriteStore (the conformance suite checks
// that it keeps the contract).
var _ WriteStore = (*memstore.Store)(nil)
