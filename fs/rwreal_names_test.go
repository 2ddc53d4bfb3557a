package fs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
	"github.com/b2mount/b2mount/internal/testenv"
)

// Names B2 does not take are refused before any request: a control
// character, DEL, invalid UTF-8 and ".bzEmpty" with EINVAL, a key over
// 1,024 bytes or a component over 255 with ENAMETOOLONG; whether created
// by cp, made by mkdir or renamed to. A key of exactly 1,024 bytes is
// stored.
func TestBadNamesSendNoWriteThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			b := newRWBucket(t, kind)
			b.put("ok.txt", []byte("ok"))
			mnt := b.mount(mountSpec{})
			long := strings.Repeat("d", 250)
			deep := filepath.Join(long, long, long, long) // keys below it start with 1,004 bytes and "/"
			if err := os.MkdirAll(filepath.Join(mnt, deep), 0o755); err != nil {
				t.Fatal(err)
			}
			shIn(t, mnt, "ls >/dev/null")
			src := filepath.Join(t.TempDir(), "src.txt")
			if err := os.WriteFile(src, []byte("data"), 0o644); err != nil {
				t.Fatal(err)
			}

			b.srv.Proxy.ResetCounts()
			for name, want := range map[string]syscall.Errno{
				"ctl\x01name":                         syscall.EINVAL,
				"tab\tname":                           syscall.EINVAL,
				"del\x7fname":                         syscall.EINVAL,
				"bad\xffutf8":                         syscall.EINVAL,
				".bzEmpty":                            syscall.EINVAL,
				strings.Repeat("n", 256):              syscall.ENAMETOOLONG,
				filepath.Join(deep, "x"+long[:20]):    syscall.ENAMETOOLONG, // a key of 1,025 bytes
				filepath.Join(deep, ".bzEmpty"):       syscall.EINVAL,
				filepath.Join(deep, "\x1fhidden.txt"): syscall.EINVAL,
			} {
				path := filepath.Join(mnt, name)
				res := runLimited(t, hangLimit, "cp", src, path)
				if msg := want.Error(); res.code == 0 || !strings.Contains(strings.ToLower(res.out), strings.ToLower(msg)) {
					t.Errorf("cp to %q: exit %d, %q; want %q", name, res.code, res.out, msg)
				}
				if err := os.Mkdir(path, 0o755); !errors.Is(err, want) {
					t.Errorf("mkdir %q: %v, want %v", name, err, want)
				}
				if err := os.Rename(filepath.Join(mnt, "ok.txt"), path); !errors.Is(err, want) {
					t.Errorf("rename to %q: %v, want %v", name, err, want)
				}
			}
			if w := b.writesSent(); len(w) != 0 {
				t.Errorf("bad names sent writes: %v", w)
				b.logRequests()
			}
			t.Logf("bad names sent %v", b.counts())

			// The longest key B2 takes is stored.
			edge := filepath.Join(deep, long[:20]) // 1,004 + 20 bytes
			shIn(t, mnt, `cp "$1" "$2"`, src, edge)
			b.holds(filepath.ToSlash(edge), []byte("data"))
			b.holds("ok.txt", []byte("ok"))
		})
	}
}

// A mount without --read-write stays read-only: programs that write get
// EROFS, and the server sees no request that could change the bucket.
func TestReadOnlyMountSendsNoWriteThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			b := newRWBucket(t, kind)
			b.put("dir/f.txt", []byte("one\n"))
			b.put("g.txt", []byte("g"))
			mnt := mountWith(t, b.srv, mountSpec{bucket: b.name})
			src := filepath.Join(t.TempDir(), "src.txt")
			if err := os.WriteFile(src, []byte("data"), 0o644); err != nil {
				t.Fatal(err)
			}
			shIn(t, mnt, "ls -R >/dev/null")
			b.srv.Proxy.ResetCounts()
			for _, script := range []string{
				`cp "$1" new.txt`, `cp "$1" g.txt`, `cp -r dir dir2`, "mkdir d", "mkdir -p dir/x/y", "rm g.txt", "rm -r dir",
				"rmdir dir", "mv g.txt h.txt", "mv dir dir3", "touch g.txt", "touch new.txt", "echo two >> dir/f.txt",
				"sed -i s/one/ONE/ dir/f.txt", "chmod 600 g.txt", "truncate -s 0 g.txt", "ln -s g.txt l",
			} {
				res := runLimited(t, hangLimit, "sh", "-c", `cd "$1"; shift; `+script, "sh", mnt, src)
				if res.code == 0 || !strings.Contains(res.out, "Read-only file system") {
					t.Errorf("%s on a read-only mount: exit %d, %q; want EROFS", script, res.code, res.out)
				}
			}
			noWrites(t, b.srv)
			b.holds("dir/f.txt", []byte("one\n"))
			b.holds("g.txt", []byte("g"))
			if got := b.keys(""); len(got) != 2 {
				t.Errorf("the bucket holds %q, want the two objects it had", got)
			}
		})
	}
}

// cp killed mid-copy of a file that streams up in parts: the upload it
// started is aborted and nothing is stored under the name.
func TestKilledCpLeavesNothingThroughRealServers(t *testing.T) {
	for _, kind := range testenv.ServerKinds {
		t.Run(kind, func(t *testing.T) {
			b := newRWBucket(t, kind)
			mnt := b.mount(mountSpec{})
			shIn(t, mnt, "ls >/dev/null")
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			b.srv.Proxy.ResetCounts()
			cp := startProgram(t, "cp", fifo, filepath.Join(mnt, "half.bin"))
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			chunk := make([]byte, 1<<20)
			for range 12 { // past part 2: the upload has started
				if _, err := w.Write(chunk); err != nil {
					t.Fatal(err)
				}
			}
			if !waitUntil(func() bool { return b.counts()[s3test.OpUploadPart] > 0 }) {
				t.Fatalf("no part was uploaded after 12 MiB: %v", b.counts())
			}
			if err := cp.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			cp.Wait()
			if !waitUntil(func() bool { return len(b.uploads()) == 0 }) {
				t.Errorf("the upload of the killed cp is still on the server: %+v", b.uploads())
			}
			b.absent("half.bin")
			if c := b.counts(); c[s3test.OpCreateUpload] != 1 || c[s3test.OpAbortUpload] != 1 || c[s3test.OpCompleteUpload] != 0 || c[s3test.OpPut] != 0 {
				t.Errorf("a cp killed mid-copy sent %v; want one CREATE, one ABORT, no COMPLETE and no PUT", c)
			}
			if !waitUntil(func() bool { _, err := os.Stat(filepath.Join(mnt, "half.bin")); return errors.Is(err, os.ErrNotExist) }) {
				t.Errorf("the file cp never finished still shows")
			}
		})
	}
}
