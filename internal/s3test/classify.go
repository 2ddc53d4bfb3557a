package s3test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Op is the class of an S3 request as counted by the Proxy. The write
// classes use the names internal/memstore counts its writes by, so a test
// can hold both to one expectation.
const (
	OpList       = "LIST"       // bucket-level GET that lists objects (ListObjects V1/V2)
	OpHead       = "HEAD"       // HEAD on an object
	OpHeadBucket = "HEADBUCKET" // HEAD on a bucket
	OpGet        = "GET"        // GET on an object (no sub-resource)

	OpListVersions = "LISTVERSIONS" // ListObjectVersions: bucket-level GET ?versions
	OpListUploads  = "LISTUPLOADS"  // ListMultipartUploads: bucket-level GET ?uploads
	OpListParts    = "LISTPARTS"    // ListParts: object GET ?uploadId

	OpPut            = "PUT"        // PutObject: PUT on an object, no copy source, no upload id
	OpCopy           = "COPY"       // CopyObject: PUT on an object with x-amz-copy-source, no upload id
	OpCreateUpload   = "CREATE"     // CreateMultipartUpload: POST ?uploads
	OpUploadPart     = "PART"       // UploadPart: PUT ?partNumber&uploadId
	OpUploadPartCopy = "PARTCOPY"   // UploadPartCopy: PUT ?partNumber&uploadId with x-amz-copy-source
	OpCompleteUpload = "COMPLETE"   // CompleteMultipartUpload: POST ?uploadId
	OpAbortUpload    = "ABORT"      // AbortMultipartUpload: DELETE ?uploadId
	OpDelete         = "DELETE"     // DeleteObject: DELETE on an object, with or without ?versionId
	OpPost           = "POST"       // any other POST: DeleteObjects (?delete), browser-form uploads
	OpOtherWrite     = "OTHERWRITE" // any other PUT or DELETE: CreateBucket, DeleteBucket, bucket settings, object ?tagging, ?acl

	OpOther = "OTHER" // everything else (ListBuckets, ?location, ?acl reads, ...)
)

// AllOps returns every request class, in a stable order.
func AllOps() []string {
	return append([]string{OpList, OpHead, OpHeadBucket, OpGet, OpListVersions, OpListUploads, OpListParts},
		append(WriteOps(), OpOther)...)
}

// WriteOps returns the request classes that can change a bucket, in a
// stable order: a test that no write reached the server checks that each
// of them counts zero.
func WriteOps() []string {
	return []string{OpPut, OpCopy, OpCreateUpload, OpUploadPart, OpUploadPartCopy, OpCompleteUpload,
		OpAbortUpload, OpDelete, OpPost, OpOtherWrite}
}

// IsWriteOp reports whether op is one of WriteOps.
func IsWriteOp(op string) bool { return slices.Contains(WriteOps(), op) }

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

// isObjectSubresource reports whether query key k makes an object-level
// request act on something other than the object's bytes (uploadId, which
// names a multipart upload, is classed on its own).
func isObjectSubresource(k string) bool {
	switch k {
	case "acl", "tagging", "attributes", "retention", "legal-hold", "torrent":
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
	_, uploadID := q["uploadId"]
	copySource := r.Header.Get("X-Amz-Copy-Source") != ""
	switch r.Method {
	case http.MethodGet:
		return classifyGet(bucket, key, q, uploadID)
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
		switch {
		case key == "" || hasAny(q, isObjectSubresource):
			return OpOtherWrite
		case uploadID && copySource:
			return OpUploadPartCopy
		case uploadID:
			return OpUploadPart
		case copySource:
			return OpCopy
		default:
			return OpPut
		}
	case http.MethodPost:
		_, uploads := q["uploads"]
		switch {
		case key != "" && uploads:
			return OpCreateUpload
		case key != "" && uploadID:
			return OpCompleteUpload
		default:
			return OpPost
		}
	case http.MethodDelete:
		switch {
		case key == "" || hasAny(q, isObjectSubresource):
			return OpOtherWrite
		case uploadID:
			return OpAbortUpload
		default:
			return OpDelete
		}
	}
	return OpOther
}

// classifyGet classes a GET.
func classifyGet(bucket, key string, q url.Values, uploadID bool) string {
	switch {
	case bucket == "":
		return OpOther
	case key == "":
		if _, ok := q["versions"]; ok {
			return OpListVersions
		}
		if _, ok := q["uploads"]; ok {
			return OpListUploads
		}
		if hasAny(q, isBucketSubresource) {
			return OpOther
		}
		return OpList
	case uploadID:
		return OpListParts
	case hasAny(q, isObjectSubresource):
		return OpOther
	default:
		return OpGet
	}
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
