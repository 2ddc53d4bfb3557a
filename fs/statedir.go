package fs

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// stateDir is one read-write mount's place on the local disk, inside the
// bucket's state directory (WriteOptions.StateDir), which every mount of
// the same bucket and prefix on this machine shares:
//
//	StateDir/mtimes          the modification times set (mtimeTable)
//	StateDir/recovered/      staged files of mounts that died, for the user
//	StateDir/m-ID/lock       locked (flock) while the mount lives
//	StateDir/m-ID/uploads    the journal of its multipart uploads
//	StateDir/m-ID/staged/    its staged files, each with a ".json" sidecar
//
// A mount directory whose lock is free belongs to a mount that died;
// RecoverWrites cleans it up.
type stateDir struct {
	dir     string       // StateDir/m-ID
	lock    *os.File     // held while the mount lives (closed by the process's exit)
	journal *fileJournal // StateDir/m-ID/uploads
	staging string       // StateDir/m-ID/staged
}

// openStateDir makes a new mount directory under base and locks it.
func openStateDir(base string) (*stateDir, error) {
	id := rand.Text()[:12]
	dir := filepath.Join(base, "m-"+id)
	staging := filepath.Join(dir, "staged")
	if err := os.MkdirAll(staging, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("state directory %s: lock: %w", dir, err)
	}
	j, err := openJournal(filepath.Join(dir, "uploads"))
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &stateDir{dir: dir, lock: lock, journal: j, staging: staging}, nil
}

// RecoverWrites cleans up after the read-write mounts of this bucket and
// prefix (those sharing opt.Writes.StateDir) that died: it aborts the
// multipart uploads their journals started and did not end (one
// ListUploads of prefix, and one AbortUpload each, only when a journal has
// any: an upload of another client is never touched), moves their staged
// files (data a program wrote that was never uploaded) to
// StateDir/recovered/ and logs each one, and removes their directories.
// Mounts that are alive hold their lock and are left alone. It sends no
// request when no dead mount left an upload. A failure is logged and the
// dead mount's directory kept for the next try; it never stops a mount.
// Call it before NewRoot.
func RecoverWrites(ctx context.Context, store WriteStore, prefix string, opt Options) {
	base, log := opt.Writes.StateDir, opt.Logger
	dirs, _ := filepath.Glob(filepath.Join(base, "m-*"))
	var listed []s3backend.Upload // the store's unfinished uploads, once asked
	asked := false
	for _, dir := range dirs {
		lock, ok := takeLock(dir)
		if !ok {
			continue // a live mount
		}
		ups, err := unfinishedUploads(filepath.Join(dir, "uploads"))
		clean := err == nil
		if len(ups) > 0 && !asked {
			listed, err = store.ListUploads(ctx, prefix)
			asked = err == nil
			if err != nil {
				log.Warn("cannot list unfinished uploads to abort those of a mount that died", "prefix", prefix, "err", err)
				clean = false
			}
		}
		if len(ups) > 0 && asked {
			clean = abortListed(ctx, store, ups, listed, log) && clean
		}
		clean = recoverStaged(dir, base, log) && clean
		lock.Close()
		if clean {
			_ = os.RemoveAll(dir)
		}
	}
}

// takeLock locks a mount directory's lock file if no live mount holds it.
func takeLock(dir string) (*os.File, bool) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR, 0)
	if err != nil {
		return nil, false
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return f, true
}

// abortListed aborts the uploads of ups that the store still lists.
func abortListed(ctx context.Context, store WriteStore, ups, listed []s3backend.Upload, log *slog.Logger) bool {
	exists := map[string]bool{}
	for _, up := range listed {
		exists[up.ID] = true
	}
	ok := true
	for _, up := range ups {
		if !exists[up.ID] {
			continue
		}
		if err := store.AbortUpload(ctx, up); err != nil {
			log.Warn("cannot abort the unfinished upload of a mount that died", "key", up.Key, "err", err)
			ok = false
			continue
		}
		log.Info("aborted the unfinished upload of a mount that died", "key", up.Key)
	}
	return ok
}

// recoverStaged moves the staged files of a dead mount directory to
// base/recovered and logs each; false if one could not be moved.
func recoverStaged(dir, base string, log *slog.Logger) bool {
	sidecars, _ := filepath.Glob(filepath.Join(dir, "staged", "*.json"))
	ok := true
	for _, sc := range sidecars {
		data := strings.TrimSuffix(sc, ".json")
		var meta stagedSidecar
		b, err := os.ReadFile(sc)
		if err == nil {
			err = json.Unmarshal(b, &meta)
		}
		if _, serr := os.Stat(data); errors.Is(serr, os.ErrNotExist) {
			_ = os.Remove(sc)
			continue
		}
		if err == nil && !meta.Dirty {
			// A copy of a version that was uploaded: nothing to keep.
			_ = os.Remove(data)
			_ = os.Remove(sc)
			continue
		}
		if err != nil {
			meta.Key = "(unknown: " + err.Error() + ")"
		}
		dst := filepath.Join(base, "recovered", time.Now().UTC().Format("20060102T150405Z")+"-"+safeName(meta.Key))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err == nil {
			err = os.Rename(data, dst)
		}
		if err != nil {
			log.Warn("a mount that died left data it had not uploaded; it stays in its state directory", "key", meta.Key, "path", data, "err", err)
			ok = false
			continue
		}
		_ = os.Remove(sc)
		log.Warn("a mount that died left data it had not uploaded; kept for you", "key", meta.Key, "size", meta.Size, "path", dst)
	}
	return ok
}

// safeName is key as one file name: every "/" and anything outside
// printable ASCII escaped, at most 200 bytes.
func safeName(key string) string {
	var b strings.Builder
	for i := 0; i < len(key) && b.Len() < 200; i++ {
		c := key[i]
		if c == '/' || c == '%' || c < 0x20 || c > 0x7e {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
