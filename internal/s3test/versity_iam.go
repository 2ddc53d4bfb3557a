package s3test

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
)

// VersityOption changes how StartVersity runs versitygw.
type VersityOption func(*versityOptions)

type versityOptions struct {
	iam          bool // run the internal IAM service
	forceSidecar bool // keep metadata in a sidecar even when xattrs work (tests)
}

// WithIAM runs versitygw with its internal IAM service, keeping its users
// in a directory next to dataDir named vgwiam-<base of dataDir>, so that
// Server.CreateUser can add keys other than the root's.
func WithIAM() VersityOption { return func(o *versityOptions) { o.iam = true } }

// Roles of versitygw users, for CreateUser.
const (
	RoleUser     = "user"     // may use only the buckets it owns
	RoleUserPlus = "userplus" // may also create buckets
	RoleAdmin    = "admin"    // may do anything
)

// versityAccount is the body of versitygw's admin create-user call.
type versityAccount struct {
	XMLName xml.Name `xml:"Account"`
	Access  string   `xml:"Access"`
	Secret  string   `xml:"Secret"`
	Role    string   `xml:"Role"`
}

// createUser adds a user through versitygw's admin API (PATCH
// /create-user, signed with the root key), which needs WithIAM.
func (v *versityStore) createUser(ctx context.Context, keyID, secret, role string) error {
	body, err := xml.Marshal(versityAccount{Access: keyID, Secret: secret, Role: role})
	if err != nil {
		return err
	}
	return v.api.do(ctx, http.MethodPatch, "/create-user", body)
}

// createUser: gofakes3 has no users; every key may do everything.
func (e embeddedStore) createUser(context.Context, string, string, string) error {
	return fmt.Errorf("the %s server has no users", KindEmbedded)
}
