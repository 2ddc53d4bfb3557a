package s3backend

import (
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// maxConnsIdle is how many idle connections to the endpoint are kept for
// reuse. The SDK's default keeps 10 per host, fewer than the ranged GETs a
// few sequential readers keep in flight (a window of up to 32 parts each),
// so every burst would open new connections (a TLS handshake each on B2)
// and close them again.
const maxConnsIdle = 64

// newHTTPClient is the SDK's default client with a connection pool sized
// for parallel ranged GETs.
func newHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConnsPerHost = maxConnsIdle
		tr.MaxIdleConns = 2 * maxConnsIdle
	})
}
