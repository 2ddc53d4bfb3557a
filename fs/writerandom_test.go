package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/b2mount/b2mount/internal/memstore"
	"github.com/b2mount/b2mount/s3backend"
)

// writeModel is what a session should hold and refuse, written from the
// rules in writeSession's doc, apart from the code that keeps them.
type writeModel struct {
	lay       partLayout
	data      []byte
	streaming bool // started empty and written in order so far
	f         int  // the part being filled, while streaming
	failed    bool // refused an access: refuses everything from now on
}

func (m *writeModel) size() int64 { return int64(len(m.data)) }

// needsUploaded: parts 2.. are sealed (f >= 3) and [off, end) needs some.
func (m *writeModel) needsUploaded(off, end int64) bool {
	return m.f >= 3 && off < m.lay.start(m.f) && end > m.lay.end(1)
}

// refuse is what a stream does with an access it cannot serve from memory:
// stage, or fail once part 2 is sealed. It reports the refusal.
func (m *writeModel) refuse() bool {
	if m.f >= 3 {
		m.failed = true
		return true
	}
	m.streaming = false
	return false
}

func (m *writeModel) resize(n int64) {
	if n <= m.size() {
		m.data = m.data[:n]
		return
	}
	m.data = append(m.data, make([]byte, n-m.size())...)
}

func (m *writeModel) write(p []byte, off int64) (refused bool) {
	if m.failed {
		return true
	}
	end := off + int64(len(p))
	if m.streaming {
		if m.needsUploaded(off, end) || off > m.size() && off > m.lay.end(m.f) {
			if m.refuse() {
				return true
			}
		} else {
			m.f = max(m.f, m.lay.of(end-1))
		}
	}
	if end > m.size() {
		m.resize(end)
	}
	copy(m.data[off:], p)
	return false
}

func (m *writeModel) read(off, n int64) (want []byte, refused bool) {
	if m.failed {
		return nil, true
	}
	if off >= m.size() {
		return nil, false
	}
	end := min(off+n, m.size())
	if m.streaming && (m.f < 3 || m.needsUploaded(off, end)) && m.refuse() {
		return nil, true
	}
	return m.data[off:end], false
}

func (m *writeModel) truncate(n int64) (refused bool) {
	switch {
	case m.failed:
		return true
	case n == m.size():
		return false
	case n == 0:
		m.data, m.streaming, m.f = nil, true, 1
		return false
	case !m.streaming:
	case m.f < 3:
		m.streaming = false
	case n >= m.lay.start(m.f) && n <= m.lay.end(m.f):
	case n <= m.lay.end(1):
		m.f = 1
	default:
		return m.refuse()
	}
	m.resize(n)
	return false
}

// Thousands of random writes, reads, truncations and commits, including
// runs long enough to seal parts, agree byte for byte with the model,
// which also predicts every refusal.
func TestWriteRandomOperations(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomWrites(t, seed, 3000) })
	}
}

func randomWrites(t *testing.T, seed uint64, ops int) {
	const part = 256
	f := newWriteFixture(t, part, testBudget)
	rng := rand.New(rand.NewPCG(seed, 99))
	ctx := context.Background()
	const key = "r"
	var s *writeSession
	var m *writeModel
	start := func(based bool) {
		if s != nil {
			s.Abort()
		}
		m = &writeModel{lay: f.deps.layout(), streaming: true, f: 1}
		var base *s3backend.Object
		if data, ok := f.store.Data(key); ok && based {
			obj, err := f.store.Stat(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			base, m.data, m.streaming = &obj, slices.Clone(data), false
		}
		s = newWriteSession(f.deps, key, base)
	}
	start(false)
	defer func() { s.Abort() }()
	check := func(i int, what string, err error, refused bool) {
		t.Helper()
		switch {
		case refused && !errors.Is(err, errNotSequential):
			t.Fatalf("op %d, %s: %v, the model refuses it (errNotSequential)", i, what, err)
		case !refused && err != nil:
			t.Fatalf("op %d, %s: %v, the model accepts it", i, what, err)
		case !m.failed && s.Size() != m.size():
			t.Fatalf("op %d, %s: size %d, the model's %d", i, what, s.Size(), m.size())
		}
	}
	var refusals, stagings, commits, streamedParts int
	for i := range ops {
		size, failed, streaming := m.size(), m.failed, m.streaming
		switch r := rng.IntN(100); {
		case m.failed && r < 50, size > 40*part && r < 20:
			start(rng.IntN(2) == 0)
		case r < 35: // in order, often across parts
			p := pattern(1+rng.IntN(3*part), rng.Uint64())
			check(i, fmt.Sprintf("append %d at %d", len(p), size), s.WriteAt(ctx, p, size), m.write(p, size))
		case r < 42 && size > 0: // patch part 1 (a header)
			off := rng.Int64N(min(size, part))
			p := pattern(1+rng.IntN(32), rng.Uint64())
			check(i, fmt.Sprintf("patch %d at %d", len(p), off), s.WriteAt(ctx, p, off), m.write(p, off))
		case r < 55: // anywhere, gaps included
			off := rng.Int64N(size + 2*part + 1)
			p := pattern(1+rng.IntN(part), rng.Uint64())
			check(i, fmt.Sprintf("write %d at %d", len(p), off), s.WriteAt(ctx, p, off), m.write(p, off))
		case r < 68:
			off, n := rng.Int64N(size+part+1), 1+rng.Int64N(2*part)
			got := make([]byte, n)
			k, err := s.ReadAt(ctx, got, off)
			want, refused := m.read(off, n)
			if err == io.EOF && int64(k) < n {
				err = nil
			}
			check(i, fmt.Sprintf("read %d at %d", n, off), err, refused)
			if !refused && string(got[:k]) != string(want) {
				t.Fatalf("op %d: read %d at %d: %d bytes differ from the model's %d", i, n, off, k, len(want))
			}
		case r < 80:
			n := rng.Int64N(size + part + 1)
			switch rng.IntN(4) {
			case 0:
				n = 0
			case 1:
				n = max(0, size-rng.Int64N(part/2))
			}
			check(i, fmt.Sprintf("truncate %d to %d", size, n), s.Truncate(ctx, n), m.truncate(n))
		case r < 90:
			_, err := s.Commit(ctx, key, s3backend.Meta{})
			if m.failed {
				if !errors.Is(err, errSessionFailed) {
					t.Fatalf("op %d: commit of a failed session: %v, want errSessionFailed", i, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("op %d: commit: %v", i, err)
			}
			commits++
			if m.streaming && m.f >= 3 {
				streamedParts++
			}
			m.streaming = false
			f.stored(key, m.data)
			if f.store.Uploads() != 0 {
				t.Fatalf("op %d: an upload is left after the commit", i)
			}
		default:
			start(rng.IntN(2) == 0)
		}
		if m.failed && !failed {
			refusals++
		}
		if streaming && !m.streaming && !m.failed && s.sf != nil && s.sf.base == nil {
			stagings++ // moved to a staged file (not by a commit)
		}
	}
	s.Abort()
	f.nothingHeld()
	if names := f.stagingFiles(); len(names) != 0 {
		t.Errorf("the staging directory keeps %v", names)
	}
	c := f.store.Counts()
	t.Logf("seed %d: %d commits (%d PUT, %d multipart, %d of them streamed), %d refusals, %d stagings, %d GETs",
		seed, commits, c[memstore.OpPut], c[memstore.OpComplete], streamedParts, refusals, stagings, c[memstore.OpGet])
	if c[memstore.OpPut] == 0 || c[memstore.OpComplete] == 0 || streamedParts == 0 || refusals == 0 || stagings == 0 || c[memstore.OpGet] == 0 {
		t.Errorf("the run missed a path: %v, %d streamed multipart, %d refusals, %d stagings", c, streamedParts, refusals, stagings)
	}
}
