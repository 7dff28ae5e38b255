package permissions

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/display"
)

// AccountRole is one role of `aws iam get-account-authorization-details`
// output.
type AccountRole struct {
	Role
	// Trust is the AssumeRolePolicyDocument as the file holds it: a JSON
	// object (the CLI decodes it) or the API's URL-encoded string.
	Trust []byte
	// LastUsed is when the role was last used; zero when RoleLastUsed is
	// empty (never used in IAM's tracking period). UsageKnown is false
	// when the file has no RoleLastUsed at all.
	LastUsed   time.Time
	UsageKnown bool
}

// Account is what one account-details file says about its roles.
type Account struct {
	Roles []AccountRole
	// Policies is false when the file has no Policies list (made with
	// --filter Role): customer-managed policies are then unknown.
	Policies bool
}

// WrongKindError says that a file is not account-details output, and which
// command prints what was expected.
type WrongKindError struct{ Found string }

func (e *WrongKindError) Error() string {
	found := ""
	if e.Found != "" {
		found = "this is " + e.Found + "; "
	}
	return found + "audit reads the output of `aws iam get-account-authorization-details --output json` (optionally with --filter Role LocalManagedPolicy AWSManagedPolicy), one file per account"
}

// kinds names other files by a key only they have at the top level.
var kinds = []struct{ key, what string }{
	{"Role", "`aws iam get-role` output"},
	{"Roles", "`aws iam list-roles` output"},
	{"Statement", "a policy document"},
	{"planned_values", "`terraform show -json` output (lint reads it)"},
	{"values", "`terraform show -json` output (lint reads it)"},
	{"ClientIDList", "`aws iam get-open-id-connect-provider` output"},
}

type apiPolicy struct {
	PolicyName        string
	Arn               string
	DefaultVersionId  string
	PolicyVersionList []struct {
		Document         json.RawMessage
		VersionId        string
		IsDefaultVersion bool
	}
}

// ReadAccount reads `aws iam get-account-authorization-details` output.
// Managed policies are resolved against the file's Policies list by ARN;
// a policy not in it keeps a nil Document, so Assess reports it unknown.
func ReadAccount(data []byte) (*Account, error) {
	var top map[string]peek
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, ok := top["RoleDetailList"]; !ok {
		for _, k := range kinds {
			if _, ok := top[k.key]; ok {
				return nil, &WrongKindError{Found: k.what}
			}
		}
		return nil, &WrongKindError{}
	}
	if top["IsTruncated"].value == "true" {
		return nil, errors.New("the listing is truncated (IsTruncated is true): this is one page; run the command without --max-items or --no-paginate, so the CLI joins every page")
	}
	var file struct {
		RoleDetailList []struct {
			RoleName                 string
			Arn                      string
			AssumeRolePolicyDocument json.RawMessage
			RolePolicyList           []struct {
				PolicyName     string
				PolicyDocument json.RawMessage
			}
			AttachedManagedPolicies []struct {
				PolicyName string
				PolicyArn  string
			}
			PermissionsBoundary *struct {
				PermissionsBoundaryArn string
			}
			RoleLastUsed *struct {
				LastUsedDate string
			}
		}
		Policies []apiPolicy
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("invalid account details: %w", err)
	}
	_, hasPolicies := top["Policies"]
	docs := map[string]json.RawMessage{}
	for _, p := range file.Policies {
		if d := defaultDocument(p); d != nil {
			docs[p.Arn] = d
		}
	}
	managed := func(name, arn string) Policy {
		p := Policy{Name: name, ARN: arn}
		if d, ok := docs[arn]; ok {
			p.Document = d
		}
		return p
	}
	acct := &Account{Policies: hasPolicies}
	for i, r := range file.RoleDetailList {
		if r.RoleName == "" || r.Arn == "" {
			return nil, fmt.Errorf("invalid account details: RoleDetailList[%d] has no RoleName or Arn", i)
		}
		ar := AccountRole{Role: Role{Name: r.RoleName, ARN: r.Arn}, Trust: r.AssumeRolePolicyDocument}
		for _, p := range r.RolePolicyList {
			ar.Inline = append(ar.Inline, Policy{Name: p.PolicyName, Document: p.PolicyDocument})
		}
		for _, p := range r.AttachedManagedPolicies {
			ar.Managed = append(ar.Managed, managed(p.PolicyName, p.PolicyArn))
		}
		if b := r.PermissionsBoundary; b != nil && b.PermissionsBoundaryArn != "" {
			p := managed(nameOf(b.PermissionsBoundaryArn), b.PermissionsBoundaryArn)
			ar.Boundary = &p
		}
		if u := r.RoleLastUsed; u != nil {
			ar.UsageKnown = true
			if u.LastUsedDate != "" {
				t, err := time.Parse(time.RFC3339, u.LastUsedDate)
				if err != nil {
					return nil, fmt.Errorf("invalid account details: role %s: RoleLastUsed.LastUsedDate is not a date and time (want e.g. 2024-05-01T12:00:00+00:00)", display.Quote(r.RoleName))
				}
				ar.LastUsed = t
			}
		}
		acct.Roles = append(acct.Roles, ar)
	}
	return acct, nil
}

// peek is a top-level value seen without keeping it: the lists can be
// most of a large file, and encoding/json would copy them. Only short
// scalars (IsTruncated) are kept.
type peek struct{ value string }

func (p *peek) UnmarshalJSON(b []byte) error {
	if len(b) <= 8 {
		p.value = string(b)
	}
	return nil
}

// defaultDocument is the document of the policy's default version.
func defaultDocument(p apiPolicy) json.RawMessage {
	for _, v := range p.PolicyVersionList {
		if v.IsDefaultVersion || (p.DefaultVersionId != "" && v.VersionId == p.DefaultVersionId) {
			return v.Document
		}
	}
	return nil
}

// nameOf is the last part of a policy ARN: arn:aws:iam::1:policy/path/NAME.
func nameOf(arn string) string {
	return arn[strings.LastIndex(arn, "/")+1:]
}
