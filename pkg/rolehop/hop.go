// Package rolehop is one role hop, an STS call that trades a GitHub OIDC
// token (web identity) or an earlier hop's credentials (a chained
// AssumeRole) for a role's credentials: its typed description (Hop), and a
// credentials provider for each kind of hop that owns the token, the call
// and its retries.
//
// The action's step and the credential helper both get their credentials
// here, so that they follow one set of retry rules (see rules): what to do
// after each class of STS error is decided in one table, and only the
// waits and deadlines are the caller's.
package rolehop

import (
	"time"

	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/sessiontags"
)

// Hop describes one role hop, checked. The step builds it from its inputs
// (FromInputs); the helper reads it back from its flags (Read).
type Hop struct {
	Role        inputs.Role
	SessionName string
	Duration    time.Duration
	// Policy is the inline session policy as compact JSON, "" for none;
	// PolicyARNs are the managed session policies.
	Policy     string
	PolicyARNs []string
	// Region and Endpoint say where the call goes; Endpoint "" means the
	// region's. HTTPProxy and NoProxy are the proxy inputs.
	Region, Endpoint   string
	HTTPProxy, NoProxy string
	// MaxAttempts bounds the attempts of each call, the token's and STS's.
	MaxAttempts int
	// AllowedAccountIDs and MaskAccountID judge the account STS answers
	// for (CheckAccount).
	AllowedAccountIDs []string
	MaskAccountID     bool
	// Audience is the token's audience; only a web-identity hop asks for
	// a token.
	Audience string
	// ExternalID and Tags are sent only by a chained hop.
	ExternalID string
	Tags       sessiontags.Set
	// Source is the refreshable hop a chained hop starts from; nil for a
	// web-identity hop, and for a chain from credentials that no hop
	// describes (the environment's).
	Source *Hop
}

// FromInputs is the hop in's inputs describe. A chained hop's tags and
// source are the caller's to add: they come from the job, not the inputs.
func FromInputs(in *inputs.Inputs) Hop {
	return Hop{
		Role:              in.Role,
		SessionName:       in.SessionName,
		Duration:          in.Duration,
		Policy:            in.InlineSessionPolicy,
		PolicyARNs:        in.ManagedSessionPolicies,
		Region:            in.Region,
		Endpoint:          in.STSEndpoint,
		HTTPProxy:         in.HTTPProxy,
		NoProxy:           in.NoProxy,
		MaxAttempts:       in.MaxAttempts,
		AllowedAccountIDs: in.AllowedAccountIDs,
		MaskAccountID:     in.MaskAccountID,
		Audience:          in.Audience,
		ExternalID:        in.ExternalID,
	}
}

// Read reads and checks a hop given input by input (get returns an input's
// value by its name, "" when not given), by the rules the step's inputs
// follow; chained says it is a chained hop. Errors name the input.
func Read(get func(name string) string, chained bool) (Hop, error) {
	in, err := inputs.ReadHop(get, chained)
	if err != nil {
		return Hop{}, err
	}
	return FromInputs(in), nil
}

// CheckAccount refuses credentials for account (the one STS answered for;
// "" when it named none) unless the hop's allowed-account-ids lists it.
func (h *Hop) CheckAccount(account string) error {
	return inputs.CheckAccount(h.AllowedAccountIDs, h.MaskAccountID, account)
}
