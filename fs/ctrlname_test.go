package fs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

// A control character is a valid Linux file name byte (only NUL and '/'
// are not): a key holding U+0001 is a file like any other, listed and
// read by its exact name, while a key holding NUL (which a URL-encoded
// listing can now carry) is hidden, and neither hides its folder.
func TestKeysWithControlCharactersAreFiles(t *testing.T) {
	st := memstore.New()
	st.Set("d/ctrl\x01char", []byte("one"))
	st.Set("d/tab\there", []byte("two"))
	st.Set("d/nul\x00byte", []byte("hidden"))
	st.Set("d/plain", []byte("three"))
	mnt := testMount(t, st, "", DefaultOptions(), false)

	if got, want := names(t, filepath.Join(mnt, "d")), []string{"ctrl\x01char", "plain", "tab\there"}; !slices.Equal(got, want) {
		t.Errorf("d = %q, want %q", got, want)
	}
	for name, want := range map[string]string{"ctrl\x01char": "one", "tab\there": "two", "plain": "three"} {
		if data, err := os.ReadFile(filepath.Join(mnt, "d", name)); err != nil || string(data) != want {
			t.Errorf("read %q: %q, %v; want %q", name, data, err, want)
		}
	}
}
