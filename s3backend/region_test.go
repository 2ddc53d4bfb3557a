package s3backend_test

import (
	"context"
	"strings"
	"testing"

	"github.com/b2mount/b2mount/s3backend"
)

func TestRegionFromEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"s3.us-west-002.backblazeb2.com", "us-west-002"},
		{"https://s3.us-west-002.backblazeb2.com", "us-west-002"},
		{"https://s3.eu-central-003.backblazeb2.com/", "eu-central-003"},
		{"https://S3.US-EAST-005.BackblazeB2.com:443", "us-east-005"},
		{"http://mybucket.s3.us-west-004.backblazeb2.com", "us-west-004"},
		{"s3.us-west-002.backblazeb2.com.", "us-west-002"},
		{"https://s3.amazonaws.com", ""},
		{"https://s3.us-west-2.amazonaws.com", ""},
		{"http://127.0.0.1:9000", ""},
		{"https://backblazeb2.com", ""},
		{"https://api.backblazeb2.com", ""},
		{"https://s3..backblazeb2.com", ""},
		{"https://s3.us-west-002.backblazeb2.com.evil.example", ""},
		{"", ""},
	} {
		if got := s3backend.RegionFromEndpoint(tc.in); got != tc.want {
			t.Errorf("RegionFromEndpoint(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNewRegionAndValidation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ endpoint, region, want string }{
		{"https://s3.us-west-002.backblazeb2.com", "", "us-west-002"},
		{"s3.eu-central-003.backblazeb2.com", "", "eu-central-003"},
		{"https://s3.us-west-002.backblazeb2.com", "custom-1", "custom-1"},
		{"http://127.0.0.1:9000", "", "us-east-1"},
	} {
		c, err := s3backend.New(ctx, s3backend.Config{Endpoint: tc.endpoint, Region: tc.region,
			Bucket: "b", KeyID: "k", SecretKey: testSecret})
		if err != nil {
			t.Fatalf("New(%q): %v", tc.endpoint, err)
		}
		if c.Region() != tc.want || c.Bucket() != "b" {
			t.Errorf("New(%q, %q): region %q bucket %q, want %q", tc.endpoint, tc.region, c.Region(), c.Bucket(), tc.want)
		}
	}

	for _, cfg := range []s3backend.Config{
		{Bucket: "b"},
		{Endpoint: "ftp://x", Bucket: "b"},
		{Endpoint: "http://x"},
		{Endpoint: "http://x", Bucket: "a/b"},
		{Endpoint: "http://x", Bucket: "b", KeyID: "k"},
		{Endpoint: "http://x", Bucket: "b", SecretKey: testSecret},
	} {
		_, err := s3backend.New(ctx, cfg)
		if err == nil {
			t.Errorf("New(%+v) accepted an invalid config", cfg)
		} else if strings.Contains(err.Error(), testSecret) {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}
