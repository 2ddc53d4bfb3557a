package s3test_test

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/internal/s3test"
)

// completeBody is a CompleteMultipartUpload body listing parts.
func completeBody(parts ...int) []byte {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for _, n := range parts {
		fmt.Fprintf(&b, `<Part><PartNumber>%d</PartNumber><ETag>"etag"</ETag></Part>`, n)
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

// uploadPart sends part n of upload id with size zero bytes.
func uploadPart(t *testing.T, c *rawClient, id string, n int, size int64) {
	t.Helper()
	status, body := c.send("PUT", fmt.Sprintf("/b/k?partNumber=%d&uploadId=%s", n, id), io.LimitReader(zeros{}, size), size)
	if status != 200 {
		t.Fatalf("part %d of %s: %d %s", n, id, status, body)
	}
}

// The proxy knows each part's size from the UploadPart it forwarded, and
// holds the Complete to B2's 5,000,000-byte minimum for every part but
// the last.
func TestB2RulesPartSizes(t *testing.T) {
	p, backend := plainProxy(t)
	c := newRawClient(t, p.URL)
	complete := func(id string, parts ...int) (int, string) {
		return c.put("POST", "/b/k?uploadId="+id, completeBody(parts...))
	}

	uploadPart(t, c, "small", 1, s3test.B2MinPartSize-1)
	uploadPart(t, c, "small", 2, 10)
	status, body := complete("small", 1, 2)
	wantRefusal(t, "a first part of 4,999,999 bytes", status, body, 400, "EntityTooSmall", "part 1 has 4999999 bytes")
	// Part 1 uploaded again, bigger: the new size counts.
	uploadPart(t, c, "small", 1, s3test.B2MinPartSize)
	hits := backend.hits.Load()
	if status, body = complete("small", 1, 2); status != 200 || backend.hits.Load() != hits+1 {
		t.Errorf("parts of 5,000,000 and 10 bytes: %d %s", status, body)
	}

	// The last part may be small; so may a lone part.
	uploadPart(t, c, "last", 1, s3test.B2MinPartSize)
	uploadPart(t, c, "last", 2, s3test.B2MinPartSize)
	uploadPart(t, c, "last", 3, 1)
	if status, body = complete("last", 1, 2, 3); status != 200 {
		t.Errorf("a small last part: %d %s", status, body)
	}
	uploadPart(t, c, "lone", 1, 1)
	if status, body = complete("lone", 1); status != 200 {
		t.Errorf("a lone small part: %d %s", status, body)
	}
	// A small part is refused wherever it is but last in the list.
	uploadPart(t, c, "middle", 1, s3test.B2MinPartSize)
	uploadPart(t, c, "middle", 2, 100)
	uploadPart(t, c, "middle", 3, s3test.B2MinPartSize)
	status, body = complete("middle", 1, 2, 3)
	wantRefusal(t, "a small middle part", status, body, 400, "EntityTooSmall", "part 2 has 100 bytes")
	// Parts the proxy never saw (uploaded around it) are the server's to judge.
	if status, body = complete("unknown", 1, 2); status != 200 {
		t.Errorf("parts of unknown size: %d %s", status, body)
	}

	// Part numbers and counts.
	status, body = complete("nums", 0, 1)
	wantRefusal(t, "part number 0", status, body, 400, "InvalidArgument", "between 1 and 10000")
	status, body = complete("nums", 1, 10001)
	wantRefusal(t, "part number 10001", status, body, 400, "InvalidArgument", "between 1 and 10000")
	many := make([]int, 10001)
	for i := range many {
		many[i] = i%10000 + 1
	}
	status, body = complete("nums", many...)
	wantRefusal(t, "10,001 parts", status, body, 400, "InvalidArgument", "at most 10000 parts, not 10001")

	// A completed upload is forgotten: its id used again starts afresh.
	uploadPart(t, c, "small", 1, 10)
	uploadPart(t, c, "small", 2, 10)
	status, body = complete("small", 1, 2)
	wantRefusal(t, "the id of a completed upload, with small parts", status, body, 400, "EntityTooSmall", "part 1 has 10 bytes")

	// A body that is not a part list goes to the server, which judges it.
	hits = backend.hits.Load()
	if status, _ = c.put("POST", "/b/k?uploadId=small", []byte("not xml")); status != 200 || backend.hits.Load() != hits+1 {
		t.Errorf("a malformed Complete: %d, not forwarded", status)
	}
	wantCounts(t, p.Counts(), map[string]int{"PART": 12, "COMPLETE": 11})
}

// A part the server refused is not recorded: the Complete is the
// server's to judge.
func TestB2RulesPartSizesOnlyAccepted(t *testing.T) {
	p, _ := plainProxy(t)
	c := newRawClient(t, p.URL)
	if err := p.SetFaults(s3test.Faults{FailFirstN: 1, FailOps: []string{s3test.OpUploadPart}}); err != nil {
		t.Fatal(err)
	}
	status, _ := c.send("PUT", "/b/k?partNumber=1&uploadId=u", io.LimitReader(zeros{}, 10), 10)
	if status != 503 {
		t.Fatalf("injected fault: %d", status)
	}
	if status, body := c.put("POST", "/b/k?uploadId=u", completeBody(1, 2)); status != 200 {
		t.Errorf("Complete after a failed small part: %d %s", status, body)
	}
}
