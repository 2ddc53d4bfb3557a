package embedded

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"maps"
	"net/http"
	"strconv"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// completeETags makes the answer to a CompleteMultipartUpload carry the
// ETag the object was stored with, as S3 and B2 answer. gofakes3 answers
// S3's multipart ETag (the MD5 of the parts' MD5s, "-" and their number)
// but stores the object with the MD5 of its bytes, which HEAD, GET and
// listings show: a client that pins its reads to the ETag the complete
// gave it (b2mount: If-Match, and the answer's ETag checked) then found
// the object it had just written "changed", and every read of it failed.
//
// The ETag is the one stored under the key just after the complete; a
// PUT of the same key in between (in the same instant) would lend its
// own, which a demo server may live with.
func completeETags(backend *s3mem.Backend, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !r.URL.Query().Has("uploadId") {
			next.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: make(http.Header), status: http.StatusOK}
		next.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		if rec.status == http.StatusOK {
			body = storedETag(backend, body)
		}
		maps.Copy(w.Header(), rec.header)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.status)
		w.Write(body)
	})
}

// storedETag rewrites the ETag of a CompleteMultipartUploadResult to the
// one of the object stored under its key; body is returned unchanged if
// it cannot be.
func storedETag(backend *s3mem.Backend, body []byte) []byte {
	var res gofakes3.CompleteMultipartUploadResult
	if err := xml.Unmarshal(body, &res); err != nil {
		return body
	}
	obj, err := backend.HeadObject(res.Bucket, res.Key)
	if err != nil {
		return body
	}
	res.ETag = `"` + hex.EncodeToString(obj.Hash) + `"`
	out, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"CompleteMultipartUploadResult"`
		gofakes3.CompleteMultipartUploadResult
	}{CompleteMultipartUploadResult: res})
	if err != nil {
		return body
	}
	return append([]byte(xml.Header), out...)
}

// recorder keeps a handler's answer for completeETags to rewrite.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *recorder) WriteHeader(status int)      { r.status = status }
