package s3test

import (
	"errors"
	"net/http"
)

// errCutBody is what faultWriter.Write returns once it has cut a body; it
// makes httputil.ReverseProxy abort the connection (http.ErrAbortHandler).
var errCutBody = errors.New("s3test: injected body cut")

// faultWriter is the http.ResponseWriter the Proxy hands to the reverse
// proxy. It reports the status, and cuts the body of 2xx answers when
// decideCut says so. It is used by one goroutine only.
type faultWriter struct {
	http.ResponseWriter
	onStatus  func(code int)       // called once with the final status, before it is sent
	decideCut func() (bool, int64) // nil: never cut
	onCut     func()               // called when the cut happens, before the abort
	onBody    func(n int)          // called with the body bytes of each successful write; nil: none
	status    int                  // final status sent, 0 if none yet
	cut       bool                 // this body is to be cut
	limit     int64                // body bytes to let through before the cut
	written   int64                // body bytes written so far
	didCut    bool                 // the cut happened
}

func (w *faultWriter) WriteHeader(code int) {
	if code >= 100 && code <= 199 { // informational (100 Continue): pass through
		w.ResponseWriter.WriteHeader(code)
		return
	}
	if w.status != 0 {
		w.ResponseWriter.WriteHeader(code) // superfluous; net/http logs it
		return
	}
	w.status = code
	if w.decideCut != nil && code >= 200 && code <= 299 {
		w.cut, w.limit = w.decideCut()
	}
	if w.onStatus != nil {
		w.onStatus(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *faultWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !w.cut {
		n, err := w.ResponseWriter.Write(b)
		w.body(n)
		return n, err
	}
	if w.didCut {
		return 0, errCutBody
	}
	remaining := w.limit - w.written
	if int64(len(b)) <= remaining {
		n, err := w.ResponseWriter.Write(b)
		w.written += int64(n)
		w.body(n)
		return n, err
	}
	n, _ := w.ResponseWriter.Write(b[:remaining])
	w.written += int64(n)
	w.body(n)
	_ = http.NewResponseController(w.ResponseWriter).Flush()
	w.didCut = true
	if w.onCut != nil {
		w.onCut()
	}
	return n, errCutBody
}

func (w *faultWriter) body(n int) {
	if w.onBody != nil && n > 0 {
		w.onBody(n)
	}
}

// Flush lets ReverseProxy flush streamed answers.
func (w *faultWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *faultWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
