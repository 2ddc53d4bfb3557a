//go:build unix

package fs

import "syscall"

// allocBlock maps one block of anonymous memory outside the Go heap. The
// pool keeps it for the life of the process. If the mapping fails, the
// block comes from the heap instead.
func allocBlock() []byte {
	b, err := syscall.Mmap(-1, 0, blockSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, blockSize)
	}
	return b
}
