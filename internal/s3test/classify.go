package s3test

import (
	"net/http"
	"net/url"
	"strings"
)

// Op is the class of an S3 request as counted by the Proxy.
const (
	OpList       = "LIST"       // bucket-level GET that lists objects (ListObjects V1/V2, ?versions)
	OpHead       = "HEAD"       // HEAD on an object
	OpHeadBucket = "HEADBUCKET" // HEAD on a bucket
	OpGet        = "GET"        // GET on an object (no sub-resource)
	OpPut        = "PUT"        // PUT without x-amz-copy-source (objects, parts, buckets)
	OpCopy       = "COPY"       // PUT with x-amz-copy-source
	OpPost       = "POST"       // any POST (multipart create/complete, multi-delete)
	OpDelete     = "DELETE"     // any DELETE
	OpOther      = "OTHER"      // everything else (ListBuckets, ?location, ?acl, ...)
)

// AllOps returns every request class, in a stable order.
func AllOps() []string {
	return []string{OpList, OpHead, OpHeadBucket, OpGet, OpPut, OpCopy, OpPost, OpDelete, OpOther}
}

// isBucketSubresource reports whether query key k makes a bucket-level GET
// something other than an object listing.
func isBucketSubresource(k string) bool {
	switch k {
	case "location", "versioning", "acl", "policy", "policyStatus", "cors", "tagging",
		"lifecycle", "encryption", "website", "logging", "notification", "replication",
		"ownershipControls", "object-lock", "publicAccessBlock", "accelerate",
		"requestPayment", "analytics", "metrics", "inventory", "intelligent-tiering",
		"uploads":
		return true
	}
	return false
}

// isObjectSubresource reports whether query key k makes an object-level GET
// something other than reading the object's bytes.
func isObjectSubresource(k string) bool {
	switch k {
	case "acl", "tagging", "attributes", "retention", "legal-hold", "torrent", "uploadId":
		return true
	}
	return false
}

// Classify returns the Op of an S3 request addressed path-style
// (/bucket or /bucket/key). Virtual-host-style requests are not recognised:
// they look like bucket-less requests and are classed by method only.
func Classify(r *http.Request) string {
	bucket, key := splitPath(r.URL.Path)
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet:
		switch {
		case bucket == "":
			return OpOther
		case key == "":
			if hasAny(q, isBucketSubresource) {
				return OpOther
			}
			return OpList
		case hasAny(q, isObjectSubresource):
			return OpOther
		default:
			return OpGet
		}
	case http.MethodHead:
		switch {
		case bucket == "":
			return OpOther
		case key == "":
			return OpHeadBucket
		default:
			return OpHead
		}
	case http.MethodPut:
		if r.Header.Get("X-Amz-Copy-Source") != "" {
			return OpCopy
		}
		return OpPut
	case http.MethodPost:
		return OpPost
	case http.MethodDelete:
		return OpDelete
	}
	return OpOther
}

// splitPath splits a path-style URL path into bucket and key.
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

// hasAny reports whether any key of q satisfies pred.
func hasAny(q url.Values, pred func(string) bool) bool {
	for k := range q {
		if pred(k) {
			return true
		}
	}
	return false
}
