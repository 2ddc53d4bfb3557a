package fs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
)

// B2's ".bzEmpty" placeholder file is hidden, but a directory that happens
// to be named .bzEmpty is shown, and Lookup agrees with the listing
// whether or not the directory was listed first.
func TestBzEmptyPlaceholderHiddenButDirectoryShown(t *testing.T) {
	st := memstore.New()
	st.Set(".bzEmpty/inside.txt", []byte("in"))
	st.Set("folder/.bzEmpty", nil)
	st.Set("other/.bzEmpty", nil)
	mnt := testMount(t, st, "", DefaultOptions(), false)

	// Before any listing: probes.
	if data, err := os.ReadFile(filepath.Join(mnt, ".bzEmpty/inside.txt")); err != nil || string(data) != "in" {
		t.Errorf("read .bzEmpty/inside.txt before listing: %q, %v", data, err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "other/.bzEmpty")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of the placeholder before listing: %v, want not exist", err)
	}
	// After listing: the listing answers, and agrees.
	if got, want := names(t, mnt), []string{".bzEmpty/", "folder/", "other/"}; !slices.Equal(got, want) {
		t.Errorf("root = %v, want %v", got, want)
	}
	if got := names(t, filepath.Join(mnt, "folder")); len(got) != 0 {
		t.Errorf("folder = %v, want empty", got)
	}
	if fi, err := os.Stat(filepath.Join(mnt, ".bzEmpty")); err != nil || !fi.IsDir() {
		t.Errorf("stat .bzEmpty after listing: %v, %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(mnt, "folder/.bzEmpty")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of the placeholder after listing: %v, want not exist", err)
	}
}
