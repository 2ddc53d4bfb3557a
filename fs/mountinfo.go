package fs

import (
	"fmt"
	"path/filepath"

	"github.com/moby/sys/mountinfo"
)

// MountInfo is one mount of this process's mount namespace, as a line of
// /proc/self/mountinfo describes it (proc_pid_mountinfo(5)), with the
// kernel's octal escapes (\040 for a space, \011 a tab, \012 a newline,
// \134 a backslash) decoded.
type MountInfo struct {
	// MountPoint is the absolute path of the mount point.
	MountPoint string
	// FSType is "type[.subtype]", e.g. "fuse.b2mount".
	FSType string
	// Source is the file system's own name for what is mounted (for
	// b2mount "b2:BUCKET"), or "none".
	Source string
	// Options are the per-mount options ("ro,nosuid,nodev,relatime").
	Options string
	// SuperOptions are the per-super-block options ("rw,user_id=0,...,allow_other").
	SuperOptions string
}

// Mounts returns every mount of this process's mount namespace, in the
// order the kernel lists them (a later mount over the same point comes
// after the one it hides). It parses the mount table with
// github.com/moby/sys/mountinfo, the parser Docker and Kubernetes use.
func Mounts() ([]MountInfo, error) {
	infos, err := mountinfo.GetMounts(nil)
	if err != nil {
		return nil, fmt.Errorf("read the mount table: %w", err)
	}
	out := make([]MountInfo, len(infos))
	for i, m := range infos {
		out[i] = MountInfo{
			MountPoint:   m.Mountpoint,
			FSType:       m.FSType,
			Source:       m.Source,
			Options:      m.Options,
			SuperOptions: m.VFSOptions,
		}
	}
	return out, nil
}

// MountedAt returns the topmost mount whose mount point is dir (an
// absolute path; symbolic links are not resolved), and whether there is one.
func MountedAt(dir string) (MountInfo, bool, error) {
	mounts, err := Mounts()
	if err != nil {
		return MountInfo{}, false, err
	}
	dir = filepath.Clean(dir)
	for i := len(mounts) - 1; i >= 0; i-- {
		if mounts[i].MountPoint == dir {
			return mounts[i], true, nil
		}
	}
	return MountInfo{}, false, nil
}
