package s3backend

import (
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Keys in listings travel URL-encoded.
//
// An S3 key may hold any Unicode character, but XML 1.0 cannot carry most
// control characters: AWS writes a key with U+0001 as "&#x1;", which Go's
// XML decoder (and so the SDK) rejects with "illegal character code
// U+0001", failing the whole page and with it the whole folder. Every
// ListObjectsV2 therefore asks for encoding-type=url, which S3 and B2
// document for exactly this ("an encoding method to use for characters
// that are not supported in XML 1.0"). aws-sdk-go-v2 sends the parameter
// but does not decode the answer (unlike the v1 SDK, boto3 or the Java
// SDK): decodeListing does.
//
// Servers that ignore the parameter (gofakes3, versitygw 1.8) say so by
// leaving EncodingType out of the answer and send keys raw; those are kept
// as they are, since decoding them would corrupt keys holding '%' or '+'.
const listEncoding = types.EncodingTypeUrl

// decodeListing undoes encoding-type=url in place when the answer says it
// is encoded: the keys, the common prefixes and the echoed Prefix,
// Delimiter and StartAfter (the elements AWS documents as encoded; the
// continuation tokens are opaque and never encoded). Values are decoded
// as form values, '+' being a space, as AWS writes them (and boto3 and
// the Java SDK read them); a literal '+' arrives as %2B. A value that is
// not valid percent-encoding fails the page.
func decodeListing(page *s3.ListObjectsV2Output) error {
	if page.EncodingType != listEncoding {
		return nil
	}
	for _, p := range []*string{page.Prefix, page.Delimiter, page.StartAfter} {
		if err := decodeKey(p); err != nil {
			return err
		}
	}
	for i := range page.Contents {
		if err := decodeKey(page.Contents[i].Key); err != nil {
			return err
		}
	}
	for i := range page.CommonPrefixes {
		if err := decodeKey(page.CommonPrefixes[i].Prefix); err != nil {
			return err
		}
	}
	return nil
}

// decodeKey URL-decodes *s in place; nil is left alone.
func decodeKey(s *string) error {
	if s == nil {
		return nil
	}
	v, err := url.QueryUnescape(*s)
	if err != nil {
		return fmt.Errorf("server sent a badly URL-encoded key %q: %w", aws.ToString(s), err)
	}
	*s = v
	return nil
}
