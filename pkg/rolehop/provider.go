package rolehop

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/idtoken"
	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/sessiontags"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
)

// Options wire a provider to its caller. The zero value is real
// (os.Getenv, the default transport, the wall clock, real waits) but
// retries at once: the waits are the caller's to choose, as the helper
// has less time than the step.
type Options struct {
	// Getenv reads the runner's token variables and the proxy and
	// endpoint variables.
	Getenv func(string) string
	// Transport carries the calls to the runner and to STS; nil means the
	// default (with proxy settings for STS).
	Transport http.RoundTripper
	// Version goes into the User-Agent.
	Version string
	Sleep   retry.Sleeper
	Now     func() time.Time
	// Backoff is the wait before a retry of a transient failure or with a
	// fresh token; ThrottleBackoff, after throttling.
	Backoff, ThrottleBackoff retry.Backoff
	// OnRetry, when set, is told of each failed attempt that will be
	// retried.
	OnRetry func(e *stsexchange.Error, attempt int)
}

func (o *Options) defaults() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Version == "" {
		o.Version = "dev"
	}
}

// client is the STS client for h: its region, endpoint and proxy.
func (o *Options) client(h Hop) (*stsexchange.Client, error) {
	return stsexchange.New(stsexchange.Options{
		Region:    h.Region,
		Endpoint:  h.Endpoint,
		Getenv:    o.Getenv,
		HTTPProxy: h.HTTPProxy,
		NoProxy:   h.NoProxy,
		Transport: o.Transport,
		Version:   o.Version,
	})
}

// TokenError is a failure to get or read the GitHub OIDC token. Its text
// is its cause's.
type TokenError struct{ Err error }

func (e *TokenError) Error() string { return e.Err.Error() }
func (e *TokenError) Unwrap() error { return e.Err }

// tokenRefreshMargin: a token this close to expiry would likely die on its
// way through STS, so a fresh one is fetched instead.
const tokenRefreshMargin = 30 * time.Second

// WebIdentity gets a web-identity hop's credentials with the job's GitHub
// OIDC token (AssumeRoleWithWebIdentity).
type WebIdentity struct {
	// TokenFile, when set, is read for the token instead of asking the
	// runner for one; such a token cannot be renewed.
	TokenFile string
	// OnToken, when set, is called with every token as soon as it is had,
	// before anything else is done with it: to mask it, and to show, check
	// or keep its claims. c is nil when the token does not decode, and the
	// call then fails. An error ends the call with it.
	OnToken func(token string, c *claims.Claims) error

	hop    Hop
	o      Options
	sts    *stsexchange.Client
	tokens *idtoken.Client // nil until the first token from the runner
	token  string
	claims *claims.Claims
}

// NewWebIdentity checks where h's calls go (its endpoint and proxy)
// without making any.
func NewWebIdentity(h Hop, o Options) (*WebIdentity, error) {
	o.defaults()
	c, err := o.client(h)
	if err != nil {
		return nil, err
	}
	h.Endpoint = c.Endpoint()
	return &WebIdentity{hop: h, o: o, sts: c}, nil
}

// Hop is the provider's hop, with the endpoint its calls go to.
func (p *WebIdentity) Hop() Hop { return p.hop }

// Token gets a token when the provider has none yet, and returns the
// claims of the one it has. Retrieve's first attempt uses that token.
func (p *WebIdentity) Token(ctx context.Context) (*claims.Claims, error) {
	if p.token == "" {
		if err := p.fetch(ctx); err != nil {
			return nil, err
		}
	}
	return p.claims, nil
}

func (p *WebIdentity) fetch(ctx context.Context) error {
	var tok string
	var err error
	if p.TokenFile != "" {
		tok, err = idtoken.ReadFile(ctx, p.TokenFile)
	} else {
		if p.tokens == nil {
			p.tokens, err = idtoken.FromEnv(p.o.Getenv, idtoken.Options{
				HTTPClient:  &http.Client{Timeout: 10 * time.Second, Transport: p.o.Transport},
				MaxAttempts: p.hop.MaxAttempts,
				Sleep:       p.o.Sleep,
				UserAgent:   "oidc-aws-action/" + p.o.Version,
			})
		}
		if err == nil {
			tok, err = p.tokens.Fetch(ctx, p.hop.Audience)
		}
	}
	if err != nil {
		return &TokenError{err}
	}
	c, derr := claims.Decode(tok)
	if p.OnToken != nil {
		if err := p.OnToken(tok, c); err != nil {
			return err
		}
	}
	if derr != nil {
		return &TokenError{derr}
	}
	p.token, p.claims = tok, c
	return nil
}

// renewable says whether another token can be had.
func (p *WebIdentity) renewable() bool { return p.TokenFile == "" }

// Retrieve gets a token if it has none, trades it at STS, and retries as
// rules say, with fresh tokens where they help.
func (p *WebIdentity) Retrieve(ctx context.Context) (*stsexchange.Result, error) {
	if _, err := p.Token(ctx); err != nil {
		return nil, err
	}
	h := p.hop
	return p.o.do(ctx, h.MaxAttempts, func() (*stsexchange.Result, error) {
		if p.renewable() && p.claims.ExpiresWithin(p.o.Now(), tokenRefreshMargin) {
			if err := p.fetch(ctx); err != nil {
				return nil, err
			}
		}
		return p.sts.AssumeRoleWithWebIdentity(ctx, stsexchange.WebIdentityInput{
			RoleARN:     h.Role.ARN,
			SessionName: h.SessionName,
			Token:       p.token,
			Duration:    h.Duration,
			Policy:      h.Policy,
			PolicyARNs:  h.PolicyARNs,
		})
	}, func(n next) (bool, error) {
		if n != freshToken || !p.renewable() {
			return false, nil
		}
		return true, p.fetch(ctx)
	})
}

// AssumeRole gets a chained hop's credentials with the credentials it
// starts from (AssumeRole), sending the hop's session tags.
type AssumeRole struct {
	// Source are the credentials the hop starts from.
	Source stsexchange.Credentials
	// OnDropTags, when set, is told of the tags kept when STS found the
	// tags and session policies too large together and the call is made
	// again with fewer.
	OnDropTags func(kept sessiontags.Set)

	hop Hop
	o   Options
	sts *stsexchange.Client
}

// NewAssumeRole checks where h's calls go (its endpoint and proxy)
// without making any.
func NewAssumeRole(h Hop, o Options) (*AssumeRole, error) {
	o.defaults()
	c, err := o.client(h)
	if err != nil {
		return nil, err
	}
	h.Endpoint = c.Endpoint()
	return &AssumeRole{hop: h, o: o, sts: c}, nil
}

// Hop is the provider's hop, with the endpoint its calls go to and the
// tags its last call sent.
func (p *AssumeRole) Hop() Hop { return p.hop }

// Retrieve assumes the hop's role with Source, and retries as rules say;
// the run's metadata tags are a convenience, the session matters more, so
// STS finding the request too large costs them.
func (p *AssumeRole) Retrieve(ctx context.Context) (*stsexchange.Result, error) {
	return p.o.do(ctx, p.hop.MaxAttempts, func() (*stsexchange.Result, error) {
		h := p.hop
		return p.sts.AssumeRole(ctx, stsexchange.AssumeRoleInput{
			RoleARN:           h.Role.ARN,
			SessionName:       h.SessionName,
			ExternalID:        h.ExternalID,
			Duration:          h.Duration,
			Policy:            h.Policy,
			PolicyARNs:        h.PolicyARNs,
			Tags:              h.Tags.Tags,
			TransitiveTagKeys: h.Tags.Transitive,
			Source:            p.Source,
		})
	}, func(n next) (bool, error) {
		if n != fewerTags {
			return false, nil
		}
		fewer, dropped := p.hop.Tags.WithoutDroppable()
		if dropped {
			p.hop.Tags = fewer
			if p.OnDropTags != nil {
				p.OnDropTags(fewer)
			}
		}
		return dropped, nil
	})
}
