package s3test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// maxCompleteBody is the most of a CompleteMultipartUpload body the proxy
// reads to check its parts: 10,000 parts take about 1 MB. A longer body
// goes to the server unchecked.
const maxCompleteBody = 4 << 20

// partLedger remembers the size of each part the server accepted through
// the proxy, by upload id and part number, so that CompleteMultipartUpload
// can be held to B2's minimum part size (the server's own minimum, if any,
// is 5 MiB or none). A part uploaded around the proxy is unknown and never
// refused. It is safe for concurrent use.
type partLedger struct {
	mu    sync.Mutex               // guards sizes; never held across I/O
	sizes map[string]map[int]int64 // upload id -> part number -> bytes
}

func newPartLedger() *partLedger { return &partLedger{sizes: map[string]map[int]int64{}} }

// record notes that the server accepted part n of upload id with size
// bytes; a part uploaded again replaces the earlier one, as in S3.
func (l *partLedger) record(id string, n int, size int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sizes[id] == nil {
		l.sizes[id] = map[int]int64{}
	}
	l.sizes[id][n] = size
}

// size returns the recorded size of part n of upload id.
func (l *partLedger) size(id string, n int) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	size, ok := l.sizes[id][n]
	return size, ok
}

// forget drops an upload that was completed or aborted.
func (l *partLedger) forget(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sizes, id)
}

// answered updates the ledger after the server answered a request of op
// with status.
func (l *partLedger) answered(r *http.Request, op string, status int) {
	if status < 200 || status > 299 {
		return
	}
	q := r.URL.Query()
	id := q.Get("uploadId")
	switch op {
	case OpUploadPart, OpUploadPartCopy:
		size := requestSize(r)
		if op == OpUploadPartCopy {
			size = copyRangeSize(r.Header.Get("X-Amz-Copy-Source-Range"))
		}
		if n, ok := partNumber(q.Get("partNumber")); ok && size >= 0 {
			l.record(id, n, size)
		}
	case OpCompleteUpload, OpAbortUpload:
		l.forget(id)
	}
}

// completeRequest is the part of a CompleteMultipartUpload body the proxy
// checks.
type completeRequest struct {
	Parts []struct {
		PartNumber int
	} `xml:"Part"`
}

// checkComplete reads the part list of a CompleteMultipartUpload, puts the
// body back for forwarding, and returns B2's refusal, or nil:
//   - more than 10,000 parts, or a part number outside 1..10,000: 400
//     InvalidArgument (guessed code);
//   - a part but the last smaller than 5,000,000 bytes, by the ledger:
//     400 EntityTooSmall (S3's code, guessed for B2).
//
// A body it cannot read or parse goes on unchecked: the server judges it.
func (l *partLedger) checkComplete(r *http.Request) *s3Error {
	head, err := io.ReadAll(io.LimitReader(r.Body, maxCompleteBody+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	if err != nil || len(head) > maxCompleteBody {
		return nil
	}
	var req completeRequest
	if xml.Unmarshal(head, &req) != nil {
		return nil
	}
	if len(req.Parts) > B2MaxParts {
		return &s3Error{http.StatusBadRequest, "InvalidArgument",
			fmt.Sprintf("An upload has at most %d parts, not %d", B2MaxParts, len(req.Parts))}
	}
	id := r.URL.Query().Get("uploadId")
	for i, p := range req.Parts {
		if p.PartNumber < 1 || p.PartNumber > B2MaxParts {
			return &s3Error{http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive"}
		}
		if i == len(req.Parts)-1 {
			break
		}
		if size, ok := l.size(id, p.PartNumber); ok && size < B2MinPartSize {
			return &s3Error{http.StatusBadRequest, "EntityTooSmall",
				fmt.Sprintf("Your proposed upload is smaller than the minimum allowed size: part %d has %d bytes, at least %d", p.PartNumber, size, B2MinPartSize)}
		}
	}
	return nil
}
