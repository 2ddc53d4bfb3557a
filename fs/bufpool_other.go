//go:build !unix

package fs

// allocBlock allocates one block on the heap.
func allocBlock() []byte { return make([]byte, blockSize) }
