package s3backend_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// versionsServer answers ListObjectVersions with pages, URL-encoded as
// asked, and records every DELETE as "versionId" ("-" for none).
type versionsServer struct {
	pages []string // each page's <Version>/<DeleteMarker> elements and truncation
	mu    sync.Mutex
	lists []url.Values // the query of each listing
	dels  []string
}

func (v *versionsServer) hook(w http.ResponseWriter, r *http.Request, next http.Handler) {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && q.Has("versions"):
		v.mu.Lock()
		i := len(v.lists)
		v.lists = append(v.lists, q)
		v.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult><Name>bkt</Name>`+
			`<EncodingType>url</EncodingType>%s</ListVersionsResult>`, v.pages[i])
	case r.Method == http.MethodDelete:
		id := "-"
		if q.Has("versionId") {
			id = q.Get("versionId")
		}
		v.mu.Lock()
		v.dels = append(v.dels, strings.TrimPrefix(r.URL.Path, "/bkt/")+"@"+id)
		v.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		next.ServeHTTP(w, r)
	}
}

func version(key, id string) string {
	return fmt.Sprintf(`<Version><Key>%s</Key><VersionId>%s</VersionId><Size>1</Size></Version>`, key, id)
}

func marker(key, id string) string {
	return fmt.Sprintf(`<DeleteMarker><Key>%s</Key><VersionId>%s</VersionId></DeleteMarker>`, key, id)
}

// DeleteAllVersions deletes every version of exactly its key over all
// pages of the listing, by version id, the oldest first and the delete
// markers last, and stops at the first other key that starts with it.
// Keys come URL-encoded ("a b" as "a+b"). A "null" version is deleted
// without an id.
func TestDeleteAllVersionsByID(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, nil)
	v := &versionsServer{pages: []string{
		`<IsTruncated>true</IsTruncated><NextKeyMarker>d%2Fa+b</NextKeyMarker><NextVersionIdMarker>v2</NextVersionIdMarker>` +
			version("d%2Fa+b", "v3") + version("d%2Fa+b", "v2") + marker("d%2Fa+b", "m1"),
		`<IsTruncated>true</IsTruncated><NextKeyMarker>d%2Fa+b.bak</NextKeyMarker><NextVersionIdMarker>x</NextVersionIdMarker>` +
			version("d%2Fa+b", "v1") + version("d%2Fa+b", "null") + version("d%2Fa+b.bak", "other"),
	}}
	f.setHook(v.hook)
	if err := c.DeleteAllVersions(context.Background(), "d/a b"); err != nil {
		t.Fatal(err)
	}
	want := []string{"d/a b@-", "d/a b@v1", "d/a b@v2", "d/a b@v3", "d/a b@m1"}
	if !slices.Equal(v.dels, want) {
		t.Errorf("deleted %v, want %v", v.dels, want)
	}
	if len(v.lists) != 2 || v.lists[0].Get("prefix") != "d/a b" || v.lists[1].Get("key-marker") != "d/a b" ||
		v.lists[1].Get("version-id-marker") != "v2" {
		t.Errorf("listed %v; want prefix \"d/a b\", then from key-marker \"d/a b\" and version v2", v.lists)
	}
}

// A server without ListObjectVersions gets one plain DeleteObject.
func TestDeleteAllVersionsWithoutVersions(t *testing.T) {
	f := newFake(t)
	c := newClient(t, f.srv.URL, nil)
	v := &versionsServer{}
	f.setHook(func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if r.URL.Query().Has("versions") {
			s3Error(w, r, http.StatusNotImplemented, "NotImplemented", nil)
			return
		}
		v.hook(w, r, next)
	})
	if err := c.DeleteAllVersions(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(v.dels, []string{"k@-"}) {
		t.Errorf("deleted %v, want one plain delete of k", v.dels)
	}
}
