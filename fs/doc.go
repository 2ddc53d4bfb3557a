// Package fs is b2mount's file system: a go-fuse node tree over a bucket.
//
// # Model
//
// Object keys become files and "/"-separated key prefixes become
// directories. The tree is discovered lazily (go-fuse's "dynamically
// discovered" model): a directory is listed with one ListObjectsV2 call per
// 1,000 entries (delimiter "/") the first time it is read, and that listing
// answers every Lookup, Readdir and READDIRPLUS for MetadataTTL. Nothing
// ever sends a HEAD per entry. What the mount knows of a directory has one
// owner, its dirCache. Every directory lists "." and ".." first,
// as on any Linux file system.
//
// # Lookups without a listing
//
// A name looked up before its directory was listed (cat dir/file straight
// after mounting) costs one request: a page of the directory's listing
// (Store.ListPage, delimiter "/", up to 1,000 entries) that starts after
// a key just below the name, the name without its last character (a
// valid UTF-8 key, as S3 and B2 require; a one-character name lists from
// the directory's start). The page covers the key range from there to its
// greatest key or common prefix, or to the directory's end when it is not
// truncated, and decides every name in that range whose folder key
// name+"/" lies in it too: present as a directory (which still wins over
// a file of the same name), as a file, or missing. ("name.txt" sorts
// between "name" and "name/": a page that ends on it does not decide
// "name".) A page shows a common prefix as a directory wherever it is.
// Such pages (windows, window.go) are kept for MetadataTTL and answer
// later lookups in their ranges with no request, so cat of five photos in
// one folder is one LIST and five GETs, and a missing name is one LIST and
// then nothing; a lookup outside them lists another window, unless a
// window that starts below its name is being fetched: it waits for that
// one first (so lookups of one folder at once share windows too), and, in
// an outage, fails with it rather than wait again. Windows that
// together cover the directory from its start to its end become its
// listing (a later ls costs nothing). At most 64 windows are kept per
// directory (the expired go first, then the oldest). In the rare case
// that a page stops between "name" and "name/", the lookup also sends a
// LIST of name/ with max-keys 1, and a HEAD of name if the page stopped
// before it; that answer is kept for the TTL too (probe.go). The naming
// rules below apply to windows as to listings; this mount's own changes
// (read-write) come before any window, and an outage answers from expired
// windows that found the name, as from an expired listing.
//
// # Naming rules
//
//   - A directory exists when keys exist below its prefix, or a "dir/"
//     marker object does; the marker itself is not a file.
//   - B2's ".bzEmpty" folder placeholder files are hidden (a directory of
//     that name is not).
//   - Keys that cannot be file names are hidden and logged once: a component
//     "." or "..", an empty component ("a//b", "/a"), a component longer than
//     255 bytes, or one holding a NUL byte.
//   - When both a file "a" and keys under "a/" exist, the directory wins and
//     the file is hidden until the prefix empties (as mountpoint-s3 does).
//
// # Memory of big folders
//
// A folder may hold a million keys, so what the mount keeps per key is
// small. A listing (listing.go) is a sorted slice of names and columns of
// what a file needs (size, LastModified seconds, the ETag's 16 MD5 bytes):
// about 70 bytes a key, looked up by binary search, the key rebuilt only
// when an entry is asked for. A listing being fetched keeps no page once
// it has taken its names, and the listing it ends with replaces the
// expired one, so re-listing after the TTL never accumulates. Inode
// identities are 16-byte hashes, not copies of the keys, and the inode
// table keeps only the numbers no node holds (the most recent 65,536): a
// live node is found by its identity through its directory (inode.go).
//
// What the kernel knows costs more: every inode it holds is a go-fuse node
// with a fileNode behind it, until the kernel forgets it: about 330 bytes
// of go-fuse's (its Inode, its node tables, the parent's child index) and
// about 130 of b2mount's (the object kept like a listing row, nodeObject,
// and the key), so about 560 bytes a key after ls -l with the listing. READDIRPLUS would make one for every name listed,
// even for a program that only wants the names (ls -f, find -name). So
// READDIRPLUS gives the attributes of a directory's first
// Options.PlusEntries (100,000) names only, and the names alone past them
// (node ID 0: the kernel makes no inode). A program that stats those
// names sends one LOOKUP each, answered from the same listing without a
// request: ls -l of a bigger folder still costs one LIST per 1,000 names
// and no HEAD, and ends with the same nodes, but takes longer past the
// bound (one round trip per name instead of one per batch of names: with
// a bound of 10,000, ls -l of 100,000 keys took 8.1 s in the bench where
// it takes 2 s); ls -f of a million keys keeps the listing (97 bytes a
// key) and at most 100,000 nodes, where it kept a node per key.
//
// # Reads and consistency
//
// Open sends no request. Every read is a ranged GET pinned to the ETag the
// file was listed with (If-Match, and the answer's ETag is checked too). If
// the object was replaced or deleted, reads fail with EIO; bytes of two
// versions are never mixed, and an open file never reads ENOENT. A replaced object gets a new inode number once its directory
// is listed again, so the kernel page cache (kept across opens) never serves
// old bytes for the new version.
//
// # Prefetch
//
// b2mount's own engine is called prefetch ("read-ahead" is the kernel's,
// which RaiseReadAhead widens to 1 MiB requests). Sequential reads prefetch
// a window that starts at InitialWindow (1 MiB) and doubles up to MaxWindow
// (jumps to it for a distant server) in parallel parts; a read that jumps
// elsewhere fetches only what was asked. Prefetched bytes live in one
// budget per mount (MemoryBudget); the kernel copies them into its page
// cache, where later opens find them. One concern a file: the window policy
// of one open file (prefetch.go), a part and the read it answers without a
// copy (part.go), the memory budget (bufpool.go), the server's latency
// (latency.go), the window policy that sizes and splits the window from it
// (prefetchpolicy.go), and what the open files of a mount share (prefetchshared.go).
//
// # Errors and time bounds
//
// Only a definite "no such key" is ENOENT. Throttling, server errors, an
// unreachable or silent server, exhausted retries and a replaced or
// deleted object are EIO; a key that may not read is EACCES. EINTR only answers a call
// the kernel interrupted. Failures are never remembered as misses: a lookup
// or listing that failed is asked again by the next call, and only real
// misses are cached (for MetadataTTL). Every request a call needs (a
// listing page, a lookup's page, a GET until it delivers a byte)
// is retried with backoff within the Store's own deadline (s3backend's
// OperationTimeout), so a call fails after at most that long even if the
// server stops answering mid-request; the kernel's immediate repeat of a
// failed read is answered from the failure instead of waiting again.
//
// # Read-only, by default
//
// Unless Options.Writes.Enabled, the mount is read-only: the kernel mount
// carries "ro", every change answers EROFS, and no PUT, POST, DELETE or
// COPY is ever sent.
//
// # Writes
//
// A read-write mount (WriteStore) keeps one rule above all: when close(2)
// or fsync(2) returns 0, the object is complete in the bucket; when the
// upload fails they return EIO and nothing partial is left under the name.
// One concern a file:
//   - the writer of one open handle (writesession.go): new files stream up
//     as multipart uploads from the memory budget while the program writes
//     (stream.go, multipart.go, partsize.go, partbuf.go), everything else
//     is staged in a sparse local file completed from the pinned base at
//     commit (staged.go); writecommit.go, writeread.go, writeops.go and
//     writegate.go are its calls;
//   - the FUSE side of it (writehandle.go): a handle each, flush and fsync
//     commit, a close by a process dying of a signal commits nothing;
//   - the namespace (create.go, remove.go, rename.go, setattr.go): B2's
//     name rules before any request, folders as ".bzEmpty" placeholders,
//     renames as server-side copies;
//   - what this mount changed in a directory, shown at once and merged
//     with listings (dirchanges.go, in the directory's dirCache);
//   - what outlives a mount (statedir.go, journal.go, mtimes.go): the
//     journal of multipart uploads, staged files, and the modification
//     times programs set, which S3 listings cannot carry.
package fs
