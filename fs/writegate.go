package fs

// The gate of a writeSession: calls (WriteAt, ReadAt, Truncate) run
// together, Commit runs alone, Abort ends both.

import "context"

// enter admits a call (WriteAt, ReadAt, Truncate): it waits for a Commit
// in progress, and returns the call's context, which Abort ends too, and
// the function that ends the call.
func (s *writeSession) enter(ctx context.Context) (context.Context, func(), error) {
	s.mu.Lock()
	for s.committing != nil && !s.closed {
		ch := s.committing
		s.mu.Unlock()
		if err := waitChan(ctx, ch); err != nil {
			return nil, nil, err
		}
		s.mu.Lock()
	}
	if s.closed {
		s.mu.Unlock()
		return nil, nil, errSessionClosed
	}
	s.active++
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.active--; s.active == 0 && s.idle != nil {
			close(s.idle)
			s.idle = nil
		}
	}, nil
}

// idleLocked returns a channel closed when no call is in progress.
func (s *writeSession) idleLocked() chan struct{} {
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	return s.idle
}

// waitChan waits for ch to be closed, or for ctx to end.
func waitChan(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// enterCommit admits Commit alone: it waits for another Commit and for the
// calls in progress, and returns Commit's context, which Abort ends too,
// and the function that lets calls in again.
func (s *writeSession) enterCommit(ctx context.Context) (context.Context, func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.committing != nil && !s.closed {
		ch := s.committing
		s.mu.Unlock()
		err := waitChan(ctx, ch)
		s.mu.Lock()
		if err != nil {
			return nil, nil, err
		}
	}
	if s.closed {
		return nil, nil, errSessionClosed
	}
	mine := make(chan struct{})
	s.committing = mine
	letIn := func() {
		close(mine)
		s.committing = nil
	}
	for s.active > 0 {
		idle := s.idleLocked()
		s.mu.Unlock()
		err := waitChan(ctx, idle)
		s.mu.Lock()
		if err == nil && s.closed {
			err = errSessionClosed
		}
		if err != nil {
			letIn()
			return nil, nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ctx, cancel)
	return ctx, func() {
		stop()
		cancel()
		s.mu.Lock()
		defer s.mu.Unlock()
		letIn()
	}, nil
}

// Abort ends the session: it stops the calls and uploads in flight (a
// Commit in progress fails), aborts the multipart upload if there is one,
// gives the memory back and deletes the staged file. Later calls fail with
// errSessionClosed. Call it when the handle is released, committed or not;
// it waits for the session's requests to stop, and sends at most one
// (AbortUpload, bounded by the store's own deadline).
func (s *writeSession) Abort() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.cancel()
	for s.active > 0 || s.committing != nil {
		ch := s.committing
		if ch == nil {
			ch = s.idleLocked()
		}
		s.mu.Unlock()
		<-ch // every request was just cancelled: this ends promptly
		s.mu.Lock()
	}
	st, sf := s.st, s.sf
	s.st, s.sf = nil, nil
	s.mu.Unlock()
	// The session's own context is over; the abort gets a fresh one.
	s.discard(context.Background(), st, sf)
}
