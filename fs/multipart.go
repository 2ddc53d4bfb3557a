package fs

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/b2mount/b2mount/s3backend"
)

// partsInFlight is the most parts one file uploads at once: enough
// connections to fill a distant link, few enough that a file whose parts
// are buffered in files (64 MiB and up) keeps at most 1 GiB of them
// waiting.
const partsInFlight = 16

// multipart is one multipart upload: CreateUpload when its first part is
// sent (and the mount's journal told), parts uploaded in the background,
// then completed or aborted, once. A part's buffer is released when its
// upload ends. Safe for concurrent use; nothing waits while holding mu.
type multipart struct {
	d      *writeDeps
	key    string
	meta   s3backend.Meta
	ctx    context.Context // CreateUpload's and the parts'; cancel stops them
	cancel context.CancelFunc
	wg     sync.WaitGroup // the part goroutines

	once      sync.Once        // CreateUpload, by the first part to need it
	abortOnce sync.Once        // abort
	up        s3backend.Upload // set in once; ID "" when CreateUpload failed
	createErr error            // set in once

	mu       sync.Mutex // guards the fields below
	parts    []s3backend.Part
	err      error         // the first failure: the upload can no longer complete
	inFlight int           // parts being uploaded
	changed  chan struct{} // closed and replaced when a part's upload ends
}

// newMultipart returns an upload of key, not yet created, whose requests
// stop when parent ends or abort is called.
func newMultipart(parent context.Context, d *writeDeps, key string, meta s3backend.Meta) *multipart {
	ctx, cancel := context.WithCancel(parent)
	return &multipart{d: d, key: key, meta: meta, ctx: ctx, cancel: cancel, changed: make(chan struct{})}
}

// upload sends part n (size bytes of body) in the background, creating the
// upload first if no part did; release, if not nil, runs when body is no
// longer needed.
func (m *multipart) upload(n int, body io.ReaderAt, size int64, release func()) {
	m.mu.Lock()
	m.inFlight++
	m.mu.Unlock()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		part, err := m.send(n, body, size)
		if release != nil {
			release()
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		m.inFlight--
		if err != nil && m.err == nil {
			m.err = err
		} else if err == nil {
			m.parts = append(m.parts, part)
		}
		close(m.changed)
		m.changed = make(chan struct{})
	}()
}

func (m *multipart) send(n int, body io.ReaderAt, size int64) (s3backend.Part, error) {
	m.once.Do(m.create)
	if m.createErr != nil {
		return s3backend.Part{}, m.createErr
	}
	if err := m.failed(); err != nil {
		return s3backend.Part{}, err // not worth sending: the upload cannot complete
	}
	return m.d.store.UploadPart(m.ctx, m.up, int32(n), body, size)
}

// create starts the upload and writes it to the journal; an upload the
// journal could not record is aborted with the rest (abort).
func (m *multipart) create() {
	up, err := m.d.store.CreateUpload(m.ctx, m.key, m.meta)
	if err != nil {
		m.createErr = err
		return
	}
	m.up = up
	if err := m.d.journal.started(up); err != nil {
		m.createErr = fmt.Errorf("journal upload of %q: %w", m.key, err)
	}
}

// failed is the first failure of a part, or nil.
func (m *multipart) failed() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.err
}

// busy returns the parts in flight and a channel closed when one ends.
func (m *multipart) busy() (int, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inFlight, m.changed
}

// waitBelow waits until fewer than k parts are in flight, or ctx ends.
func (m *multipart) waitBelow(ctx context.Context, k int) error {
	for {
		n, changed := m.busy()
		if n < k {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("upload %q: %w", m.key, context.Cause(ctx))
		}
	}
}

// complete waits for every part, then makes them the object, in order, and
// tells the journal. On error the caller aborts.
func (m *multipart) complete(ctx context.Context) (s3backend.Object, error) {
	if err := m.waitBelow(ctx, 1); err != nil {
		return s3backend.Object{}, err
	}
	m.mu.Lock()
	err, parts := m.err, slices.Clone(m.parts)
	m.mu.Unlock()
	if err != nil {
		return s3backend.Object{}, err
	}
	slices.SortFunc(parts, func(a, b s3backend.Part) int { return int(a.N - b.N) })
	obj, err := m.d.store.CompleteUpload(ctx, m.up, parts)
	if err != nil {
		return s3backend.Object{}, err
	}
	m.d.journal.finished(m.up)
	return obj, nil
}

// abort stops the parts in flight, waits for them, and aborts the upload
// if it was created (B2 bills its parts until then); once, however often
// it is called. An abort that fails is logged and left in the journal, for
// the next mount to abort.
func (m *multipart) abort(ctx context.Context) {
	m.abortOnce.Do(func() { m.abortOnce1(ctx) })
}

func (m *multipart) abortOnce1(ctx context.Context) {
	m.cancel()
	m.wg.Wait()
	if m.up.ID == "" {
		return
	}
	if err := m.d.store.AbortUpload(ctx, m.up); err != nil {
		m.d.log.Warn("abort upload", "key", m.key, "upload", m.up.ID, "err", err)
		return
	}
	m.d.journal.finished(m.up)
}
