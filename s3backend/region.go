package s3backend

import (
	"net"
	"net/url"
	"strings"
)

// defaultRegion signs requests when neither Config.Region nor a B2 host names one.
const defaultRegion = "us-east-1"

// RegionFromEndpoint returns the B2 region named by a B2 S3 host, e.g.
// "s3.us-west-002.backblazeb2.com" (or "https://s3.us-west-002.backblazeb2.com:443/")
// gives "us-west-002". A virtual-host name "<bucket>.s3.<region>.backblazeb2.com"
// works too. It returns "" for anything that is not a B2 S3 host. B2 rejects
// SigV4 requests signed for any other region than its own.
func RegionFromEndpoint(endpoint string) string {
	host := strings.TrimSpace(endpoint)
	if strings.Contains(host, "://") {
		u, err := url.Parse(host)
		if err != nil {
			return ""
		}
		host = u.Host
	} else if i := strings.IndexByte(host, '/'); i >= 0 {
		host = host[:i]
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	labels := strings.Split(host, ".")
	n := len(labels)
	if n < 4 || labels[n-1] != "com" || labels[n-2] != "backblazeb2" || labels[n-4] != "s3" || labels[n-3] == "" {
		return ""
	}
	return labels[n-3]
}

// resolveRegion applies the documented order: explicit region, B2 host, us-east-1.
func resolveRegion(explicit, endpoint string) string {
	if r := strings.TrimSpace(explicit); r != "" {
		return r
	}
	if r := RegionFromEndpoint(endpoint); r != "" {
		return r
	}
	return defaultRegion
}
