package s3backend_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/b2mount/b2mount/s3backend"
)

// ListUploads follows every page (key and upload id markers), decodes
// URL-encoded keys and keeps each upload's start time.
func TestListUploadsPages(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, nil)
	upload := func(key, id, at string) string {
		return fmt.Sprintf(`<Upload><Key>%s</Key><UploadId>%s</UploadId><Initiated>%s</Initiated></Upload>`, key, id, at)
	}
	pages := []string{
		`<IsTruncated>true</IsTruncated><NextKeyMarker>d%2Fb+c</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>` +
			upload("d%2Fa", "u1", "2024-01-02T03:04:05.000Z") + upload("d%2Fb+c", "u2", "2024-01-02T03:04:06.000Z"),
		`<IsTruncated>false</IsTruncated>` + upload("d%2Fb+c", "u3", "2024-01-02T03:04:07.000Z"),
	}
	var mu sync.Mutex
	var queries []url.Values
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mu.Lock()
		i := len(queries)
		queries = append(queries, r.URL.Query())
		mu.Unlock()
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>bkt</Bucket>`+
			`<EncodingType>url</EncodingType>%s</ListMultipartUploadsResult>`, pages[i])
	})
	ups, err := c.ListUploads(context.Background(), "d/")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s int) time.Time { return time.Date(2024, 1, 2, 3, 4, s, 0, time.UTC) }
	want := []s3backend.Upload{{Key: "d/a", ID: "u1", Initiated: at(5)}, {Key: "d/b c", ID: "u2", Initiated: at(6)},
		{Key: "d/b c", ID: "u3", Initiated: at(7)}}
	if !slices.EqualFunc(ups, want, func(a, b s3backend.Upload) bool {
		return a.Key == b.Key && a.ID == b.ID && a.Initiated.Equal(b.Initiated)
	}) {
		t.Errorf("ListUploads = %+v, want %+v", ups, want)
	}
	if len(queries) != 2 || queries[0].Get("prefix") != "d/" || queries[1].Get("key-marker") != "d/b c" ||
		queries[1].Get("upload-id-marker") != "u2" || queries[1].Get("encoding-type") != "url" {
		t.Errorf("queries %v; want prefix d/, then the markers \"d/b c\" and u2", queries)
	}
}

// gofakes3 answers NoSuchUpload to a listing of a bucket that never had
// an upload: that is an empty list. Other calls keep NoSuchUpload as
// ErrNotExist, wrapped with operation and key.
func TestNoSuchUpload(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, nil)
	ctx := context.Background()
	if ups, err := c.ListUploads(ctx, ""); err != nil || len(ups) != 0 {
		t.Errorf("ListUploads of a bucket without uploads = %v, %v", ups, err)
	}
	gone := s3backend.Upload{Key: "k", ID: "no-such-upload"}
	_, err := c.UploadPart(ctx, gone, 1, strings.NewReader("x"), 1)
	if !errors.Is(err, s3backend.ErrNotExist) || !strings.HasPrefix(err.Error(), `upload part 1 of "k": `) {
		t.Errorf("UploadPart to a missing upload: %v", err)
	}
	if err := c.AbortUpload(ctx, gone); err != nil {
		t.Errorf("AbortUpload of a missing upload: %v", err)
	}
}
