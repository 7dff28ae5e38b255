// Package claims decodes the claims of a GitHub Actions OIDC token without
// verifying its signature.
//
// Nothing here proves a token genuine: AWS STS does that against the account's
// IAM OIDC provider. Decoding is for explaining: showing the user which
// subject, audience and issuer their trust policy has to match.
package claims

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// GitHubIssuer is github.com's token issuer. Enterprises with a custom
// issuer add a slug path; GitHub Enterprise Server uses
// https://HOST/_services/token.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// DefaultAudience is the audience the action requests and IAM OIDC
// providers for GitHub usually list.
const DefaultAudience = "sts.amazonaws.com"

// MaxTokenBytes bounds the size of a token we agree to decode. GitHub's tokens
// are about 1–2 KiB; anything far larger is not a token from the runner.
const MaxTokenBytes = 64 << 10

// Claims is the decoded payload of a token. Raw keeps every claim so that
// trust-policy conditions on claims this type does not name still work.
type Claims struct {
	Raw map[string]any

	Issuer    string
	Subject   string
	Audience  []string
	ExpiresAt time.Time
	IssuedAt  time.Time
	NotBefore time.Time
}

// decodeError says why a token could not be decoded. It never holds the
// token, and it names no caller's stage.
type decodeError struct {
	Reason string
	Err    error
}

func (e *decodeError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("the token cannot be decoded: %s: %v", e.Reason, e.Err)
	}
	return "the token cannot be decoded: " + e.Reason
}

func (e *decodeError) Unwrap() error { return e.Err }

// Decode reads the claims of a compact JWS. It checks the shape (three
// base64url parts, a JSON object payload) but not the signature.
func Decode(token string) (*Claims, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, &decodeError{Reason: "token is empty"}
	}
	if len(token) > MaxTokenBytes {
		return nil, &decodeError{Reason: fmt.Sprintf("token is %d bytes, more than the %d allowed", len(token), MaxTokenBytes)}
	}
	if strings.Count(token, ".") != 2 {
		return nil, &decodeError{Reason: "token is not a JWT (expected three dot-separated parts)"}
	}
	raw := jwt.MapClaims{}
	p := jwt.NewParser()
	_, parts, err := p.ParseUnverified(token, raw)
	if err != nil {
		// Keep jwt's whole error: its unwrapped sentinel alone ("token is
		// malformed") does not say which part is bad. It never quotes the token.
		return nil, &decodeError{Reason: "token is not a well-formed JWT", Err: err}
	}
	// A payload of `null` decodes into the map without error and would pass
	// as a token with no claims.
	if payload, err := p.DecodeSegment(parts[1]); err != nil || !bytes.HasPrefix(bytes.TrimLeft(payload, " \t\r\n"), []byte("{")) {
		return nil, &decodeError{Reason: "token payload is not a JSON object"}
	}
	return FromMap(raw)
}

// FromMap builds Claims from an already decoded claim set, such as a JSON file
// given to `oidc-aws policy explain --claims`.
func FromMap(raw map[string]any) (*Claims, error) {
	c := &Claims{Raw: raw}
	var err error
	if c.Issuer, err = stringClaim(raw, "iss"); err != nil {
		return nil, err
	}
	if c.Subject, err = stringClaim(raw, "sub"); err != nil {
		return nil, err
	}
	switch v := raw["aud"].(type) {
	case nil:
	case string:
		c.Audience = []string{v}
	case []any:
		for _, a := range v {
			s, ok := a.(string)
			if !ok {
				return nil, &decodeError{Reason: fmt.Sprintf("claim \"aud\" holds a %T, want strings", a)}
			}
			c.Audience = append(c.Audience, s)
		}
	case []string:
		c.Audience = append(c.Audience, v...)
	default:
		return nil, &decodeError{Reason: fmt.Sprintf("claim \"aud\" is a %T, want a string or a list of strings", v)}
	}
	for name, dst := range map[string]*time.Time{"exp": &c.ExpiresAt, "iat": &c.IssuedAt, "nbf": &c.NotBefore} {
		if *dst, err = timeClaim(raw, name); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func stringClaim(raw map[string]any, name string) (string, error) {
	switch v := raw[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	default:
		return "", &decodeError{Reason: fmt.Sprintf("claim %q is a %T, want a string", name, v)}
	}
}

func timeClaim(raw map[string]any, name string) (time.Time, error) {
	switch v := raw[name].(type) {
	case nil:
		return time.Time{}, nil
	case float64:
		return time.Unix(int64(v), 0).UTC(), nil
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return time.Time{}, &decodeError{Reason: fmt.Sprintf("claim %q is not a whole number", name), Err: err}
		}
		return time.Unix(n, 0).UTC(), nil
	case int64:
		return time.Unix(v, 0).UTC(), nil
	case int:
		return time.Unix(int64(v), 0).UTC(), nil
	default:
		return time.Time{}, &decodeError{Reason: fmt.Sprintf("claim %q is a %T, want a number", name, v)}
	}
}

// IssuerHost is the issuer URL without its scheme, the prefix IAM gives the
// condition keys of this provider (token.actions.githubusercontent.com:sub).
func (c *Claims) IssuerHost() string {
	return IssuerHost(c.Issuer)
}

// IssuerHost strips the scheme and any trailing slash from an issuer URL.
func IssuerHost(issuer string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(issuer, "https://"), "http://")
	return strings.TrimRight(s, "/")
}

// String returns a claim as text: strings as they are, numbers and booleans
// in JSON form, anything else as compact JSON. Missing claims give "".
func (c *Claims) String(name string) string {
	v, ok := c.Raw[name]
	if !ok || v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Names lists the claims present, sorted, for stable output.
func (c *Claims) Names() []string {
	names := make([]string, 0, len(c.Raw))
	for k := range c.Raw {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// ExpiresWithin reports whether the token expires within d of now. A token
// without exp never does.
func (c *Claims) ExpiresWithin(now time.Time, d time.Duration) bool {
	return !c.ExpiresAt.IsZero() && !now.Add(d).Before(c.ExpiresAt)
}
