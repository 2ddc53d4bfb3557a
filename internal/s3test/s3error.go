package s3test

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// s3Error is an S3 error answer the proxy makes itself: a B2 rule's
// refusal or an injected fault.
type s3Error struct {
	Status  int
	Code    string // S3 error code, the <Code> of the XML body
	Message string // the <Message>
}

func (e s3Error) String() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// injectedError is the answer to a request failed by Faults.
func injectedError(status int, code string) s3Error {
	msg := "Injected fault: " + http.StatusText(status)
	if code == "SlowDown" {
		msg = "Please reduce your request rate."
	}
	return s3Error{Status: status, Code: code, Message: msg}
}

// maxDrain is the most request body a refused request's answer waits for:
// a client still sending its body when the answer comes sees a broken
// connection, not the answer, so the proxy reads what the client sends
// first. A client that sent Expect: 100-continue sends nothing before it
// is told to, and is never drained.
const maxDrain = 64 << 20

// drainBody reads and drops up to maxDrain bytes of r's body, unless the
// client waits for 100 Continue.
func drainBody(r *http.Request) {
	if r.Body == nil || strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		return
	}
	_, _ = io.CopyN(io.Discard, r.Body, maxDrain)
}

// xmlText escapes XML character data (quotes stay as they are, as in
// S3's and B2's answers: "Unsupported header 'x-amz-checksum-crc32' ...").
var xmlText = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// writeS3Error writes an S3-style XML error answer. HEAD answers carry no
// body, like S3's.
func writeS3Error(w http.ResponseWriter, r *http.Request, e s3Error, retryAfter, requestID string) {
	body := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		"<Error><Code>" + xmlText.Replace(e.Code) + "</Code><Message>" + xmlText.Replace(e.Message) +
		"</Message><Resource>" + xmlText.Replace(r.URL.EscapedPath()) + "</Resource><RequestId>" +
		requestID + "</RequestId></Error>"
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("X-Amz-Request-Id", requestID)
	if retryAfter != "" {
		h.Set("Retry-After", retryAfter)
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(body))
}
