package claims

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
)

// signingKey is generated once per test binary: RSA key generation is slow
// under -race, and every test only needs some valid RS256 signature.
func signingKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return key
}

// mint signs claims with RS256, the way GitHub's issuer does.
func mint(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = "test-key"
	s, err := tok.SignedString(signingKey(t))
	if err != nil {
		t.Fatalf("failed to sign test token: %v", err)
	}
	return s
}

// rawToken builds a token from literal header and payload JSON, for shapes
// jwt refuses to sign.
func rawToken(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte("signature"))
}

const rs256Header = `{"alg":"RS256","typ":"JWT","kid":"test-key"}`

func TestDecodeReadsAGitHubToken(t *testing.T) {
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := mint(t, jwt.MapClaims{
		"iss":              "https://token.actions.githubusercontent.com",
		"sub":              "repo:octo-org/octo-repo:ref:refs/heads/main",
		"aud":              "sts.amazonaws.com",
		"exp":              exp.Unix(),
		"iat":              exp.Add(-5 * time.Minute).Unix(),
		"nbf":              exp.Add(-6 * time.Minute).Unix(),
		"repository":       "octo-org/octo-repo",
		"run_attempt":      "1",
		"ref_protected":    "true",
		"job_workflow_ref": "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main",
	})
	c, err := Decode(tok)
	if err != nil {
		t.Fatalf("Decode of a signed RS256 token failed: %v", err)
	}
	if c.Issuer != "https://token.actions.githubusercontent.com" {
		t.Errorf("Issuer = %q", c.Issuer)
	}
	if c.Subject != "repo:octo-org/octo-repo:ref:refs/heads/main" {
		t.Errorf("Subject = %q", c.Subject)
	}
	if !reflect.DeepEqual(c.Audience, []string{"sts.amazonaws.com"}) {
		t.Errorf("Audience = %q, want [sts.amazonaws.com]", c.Audience)
	}
	if !c.ExpiresAt.Equal(exp) {
		t.Errorf("ExpiresAt = %v, want %v", c.ExpiresAt, exp)
	}
	if !c.IssuedAt.Equal(exp.Add(-5 * time.Minute)) {
		t.Errorf("IssuedAt = %v, want %v", c.IssuedAt, exp.Add(-5*time.Minute))
	}
	if !c.NotBefore.Equal(exp.Add(-6 * time.Minute)) {
		t.Errorf("NotBefore = %v, want %v", c.NotBefore, exp.Add(-6*time.Minute))
	}
	if c.ExpiresAt.Location() != time.UTC {
		t.Errorf("ExpiresAt is in %v, want UTC so that reports do not depend on the runner's zone", c.ExpiresAt.Location())
	}
	if got := c.String("repository"); got != "octo-org/octo-repo" {
		t.Errorf("String(repository) = %q", got)
	}
	if got := c.String("job_workflow_ref"); got != "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main" {
		t.Errorf("String(job_workflow_ref) = %q", got)
	}
}

func TestDecodeToleratesSurroundingWhiteSpace(t *testing.T) {
	tok := mint(t, jwt.MapClaims{"sub": "repo:o/r:ref:refs/heads/main"})
	c, err := Decode("\n  " + tok + "\r\n")
	if err != nil {
		t.Fatalf("Decode of a token read from a file with a trailing newline failed: %v", err)
	}
	if c.Subject != "repo:o/r:ref:refs/heads/main" {
		t.Errorf("Subject = %q", c.Subject)
	}
}

func TestDecodeAudience(t *testing.T) {
	cases := []struct {
		name string
		aud  any
		want []string
	}{
		{"a single string audience becomes a one-element list", "sts.amazonaws.com", []string{"sts.amazonaws.com"}},
		{"a list audience keeps its order", []any{"sts.amazonaws.com", "https://github.com/octo-org"}, []string{"sts.amazonaws.com", "https://github.com/octo-org"}},
		{"an empty list gives no audience", []any{}, nil},
		{"a missing audience gives no audience", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mc := jwt.MapClaims{"sub": "s"}
			if tc.aud != nil {
				mc["aud"] = tc.aud
			}
			c, err := Decode(mint(t, mc))
			if err != nil {
				t.Fatalf("Decode failed: %v", err)
			}
			if len(c.Audience) != len(tc.want) || (len(tc.want) > 0 && !reflect.DeepEqual(c.Audience, tc.want)) {
				t.Errorf("Audience = %q, want %q", c.Audience, tc.want)
			}
		})
	}
}

func TestDecodeTimes(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		wantExp time.Time
	}{
		{"whole seconds are read as Unix time", `{"exp":1700000000}`, time.Unix(1700000000, 0).UTC()},
		{"fractional seconds are truncated", `{"exp":1700000000.75}`, time.Unix(1700000000, 0).UTC()},
		{"a missing exp is the zero time", `{"sub":"x"}`, time.Time{}},
		{"a null exp is the zero time", `{"exp":null}`, time.Time{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Decode(rawToken(rs256Header, tc.payload))
			if err != nil {
				t.Fatalf("Decode failed: %v", err)
			}
			if !c.ExpiresAt.Equal(tc.wantExp) {
				t.Errorf("ExpiresAt = %v, want %v", c.ExpiresAt, tc.wantExp)
			}
		})
	}
}

func TestDecodeRejectsMalformedTokens(t *testing.T) {
	good := mint(t, jwt.MapClaims{"sub": "repo:o/r:ref:refs/heads/main"})
	parts := strings.Split(good, ".")
	cases := []struct {
		name       string
		token      string
		wantReason string
	}{
		{"an empty token", "", "empty"},
		{"only white space", " \n\t", "empty"},
		{"two parts", parts[0] + "." + parts[1], "three dot-separated parts"},
		{"four parts", good + ".extra", "three dot-separated parts"},
		{"one part", "opaque-access-token", "three dot-separated parts"},
		{"a payload that is not base64url", parts[0] + ".!!!not-base64!!!." + parts[2], "well-formed"},
		{"a header that is not base64url", "%%%." + parts[1] + "." + parts[2], "well-formed"},
		{"a signature that is not base64url", parts[0] + "." + parts[1] + ".***", "well-formed"},
		{"a header that is not JSON", base64.RawURLEncoding.EncodeToString([]byte("nope")) + "." + parts[1] + "." + parts[2], "well-formed"},
		{"a payload that is not JSON", rawToken(rs256Header, "{not json"), "well-formed"},
		{"a payload that is a list", rawToken(rs256Header, `["sub"]`), "well-formed"},
		{"a payload that is a string", rawToken(rs256Header, `"repo:o/r"`), "well-formed"},
		{"a payload that is a number", rawToken(rs256Header, `42`), "well-formed"},
		{"a payload that is null", rawToken(rs256Header, `null`), "not a JSON object"},
		{"a payload that is null with spaces", rawToken(rs256Header, " null "), "not a JSON object"},
		{"a header without alg", rawToken(`{"typ":"JWT"}`, `{"sub":"x"}`), "well-formed"},
		{"a huge token", parts[0] + "." + strings.Repeat("A", MaxTokenBytes) + "." + parts[2], "more than the"},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			c, err := Decode(tc.token)
			if err == nil {
				t.Fatalf("Decode succeeded with %+v, want an error", c)
			}
			var de *decodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T (%v) is not a *decodeError", err, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "the token cannot be decoded: ") {
				t.Errorf("error %q does not say what could not be done", msg)
			}
			if !strings.Contains(msg, tc.wantReason) {
				t.Errorf("error %q does not say %q", msg, tc.wantReason)
			}
			if len(tc.token) > 20 && strings.Contains(msg, tc.token[:20]) {
				t.Errorf("error %q contains the token", msg)
			}
		})
	}
}

func TestDecodeErrorKeepsJWTCauseForErrorsIs(t *testing.T) {
	_, err := Decode(rawToken(rs256Header, "{not json"))
	if !errors.Is(err, jwt.ErrTokenMalformed) {
		t.Errorf("errors.Is(%v, jwt.ErrTokenMalformed) = false; callers lose the cause", err)
	}
}

func TestDecodeRejectsClaimsOfTheWrongType(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		claim   string
	}{
		{"a numeric subject", `{"sub":123}`, `"sub"`},
		{"an object issuer", `{"iss":{"url":"x"}}`, `"iss"`},
		{"a boolean subject", `{"sub":true}`, `"sub"`},
		{"a numeric audience", `{"aud":5}`, `"aud"`},
		{"an audience list holding a number", `{"aud":["sts.amazonaws.com",5]}`, `"aud"`},
		{"an object audience", `{"aud":{"a":"b"}}`, `"aud"`},
		{"a string exp", `{"exp":"1700000000"}`, `"exp"`},
		{"a boolean iat", `{"iat":true}`, `"iat"`},
		{"a list nbf", `{"nbf":[1]}`, `"nbf"`},
	}
	for _, tc := range cases {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			_, err := Decode(rawToken(rs256Header, tc.payload))
			if err == nil {
				t.Fatal("Decode succeeded, want an error naming the claim")
			}
			if !strings.Contains(err.Error(), "claim "+tc.claim) {
				t.Errorf("error %q does not name claim %s", err, tc.claim)
			}
		})
	}
}

func TestFromMapAcceptsGoTypes(t *testing.T) {
	// FromMap also serves claim sets built in Go, not only decoded JSON.
	c, err := FromMap(map[string]any{
		"aud": []string{"a", "b"},
		"exp": int64(1700000000),
		"iat": 1699999000,
	})
	if err != nil {
		t.Fatalf("FromMap failed: %v", err)
	}
	if !reflect.DeepEqual(c.Audience, []string{"a", "b"}) {
		t.Errorf("Audience = %q", c.Audience)
	}
	if c.ExpiresAt.Unix() != 1700000000 || c.IssuedAt.Unix() != 1699999000 {
		t.Errorf("ExpiresAt = %v, IssuedAt = %v", c.ExpiresAt, c.IssuedAt)
	}
}

func TestIssuerHost(t *testing.T) {
	cases := []struct {
		name, issuer, want string
	}{
		{"strips https from github.com's issuer", "https://token.actions.githubusercontent.com", "token.actions.githubusercontent.com"},
		{"keeps an enterprise slug path", "https://token.actions.githubusercontent.com/acme", "token.actions.githubusercontent.com/acme"},
		{"keeps the GHES path", "https://ghes.example.com/_services/token", "ghes.example.com/_services/token"},
		{"drops a trailing slash", "https://token.actions.githubusercontent.com/", "token.actions.githubusercontent.com"},
		{"strips http for local issuers", "http://127.0.0.1:8080", "127.0.0.1:8080"},
		{"leaves a bare host alone", "token.actions.githubusercontent.com", "token.actions.githubusercontent.com"},
		{"gives empty for an empty issuer", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := IssuerHost(tc.issuer); got != tc.want {
				t.Errorf("IssuerHost(%q) = %q, want %q", tc.issuer, got, tc.want)
			}
			c := &Claims{Issuer: tc.issuer}
			if got := c.IssuerHost(); got != tc.want {
				t.Errorf("(&Claims{Issuer: %q}).IssuerHost() = %q, want %q", tc.issuer, got, tc.want)
			}
		})
	}
}

func TestExpiresWithin(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		exp  time.Time
		d    time.Duration
		want bool
	}{
		{"a token expiring well after the margin does not", now.Add(10 * time.Minute), time.Minute, false},
		{"a token expiring inside the margin does", now.Add(30 * time.Second), time.Minute, true},
		{"a token expiring exactly at the margin does", now.Add(time.Minute), time.Minute, true},
		{"an already expired token does", now.Add(-time.Second), 0, true},
		{"a token expiring right now does with no margin", now, 0, true},
		{"a token without exp never does", time.Time{}, 24 * time.Hour, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &Claims{ExpiresAt: tc.exp}
			if got := c.ExpiresWithin(now, tc.d); got != tc.want {
				t.Errorf("ExpiresWithin(now, %v) with exp %v = %v, want %v", tc.d, tc.exp, got, tc.want)
			}
		})
	}
}

func TestNamesAreSorted(t *testing.T) {
	c, err := Decode(mint(t, jwt.MapClaims{"sub": "s", "aud": "a", "iss": "i", "exp": 1, "repository": "o/r", "actor": "me"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"actor", "aud", "exp", "iss", "repository", "sub"}
	// Map order is random; repeat so an unsorted result cannot pass by luck.
	for i := 0; i < 20; i++ {
		if got := c.Names(); !reflect.DeepEqual(got, want) {
			t.Fatalf("Names() = %q, want %q", got, want)
		}
	}
	if got := (&Claims{}).Names(); len(got) != 0 {
		t.Errorf("Names() of no claims = %q, want none", got)
	}
}

func TestStringRendersEveryClaimType(t *testing.T) {
	c, err := Decode(rawToken(rs256Header, `{"s":"text","n":42,"f":1.5,"b":true,"l":["a","b"],"o":{"k":"v"},"z":null,"e":""}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ claim, want string }{
		{"s", "text"},
		{"n", "42"},
		{"f", "1.5"},
		{"b", "true"},
		{"l", `["a","b"]`},
		{"o", `{"k":"v"}`},
		{"z", ""},
		{"e", ""},
		{"missing", ""},
	}
	for _, tc := range cases {
		t.Run("claim "+tc.claim+" renders as "+tc.want, func(t *testing.T) {
			if got := c.String(tc.claim); got != tc.want {
				t.Errorf("String(%q) = %q, want %q", tc.claim, got, tc.want)
			}
		})
	}
}
