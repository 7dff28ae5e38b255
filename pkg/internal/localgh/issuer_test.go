package localgh

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

// sharedKey avoids generating an RSA key per test; key generation is the
// slowest part of Start.
func sharedKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func startIssuer(t *testing.T, opts Options) *Issuer {
	t.Helper()
	if opts.Key == nil {
		opts.Key = sharedKey(t)
	}
	iss, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(iss.Close)
	return iss
}

type fetched struct {
	status int
	header http.Header
	body   []byte
}

func fetchToken(t *testing.T, ctx context.Context, c *http.Client, rawURL, bearer string) (fetched, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fetched{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return fetched{status: resp.StatusCode, header: resp.Header, body: b}, err
}

func tokenValue(t *testing.T, f fetched) string {
	t.Helper()
	if f.status != http.StatusOK {
		t.Fatalf("status %d, body %s", f.status, f.body)
	}
	var tr struct {
		Count int    `json:"count"`
		Value string `json:"value"`
	}
	if err := json.Unmarshal(f.body, &tr); err != nil {
		t.Fatalf("token response is not JSON: %v: %s", err, f.body)
	}
	if tr.Count != len(tr.Value) {
		t.Errorf("count %d, want len(value) %d", tr.Count, len(tr.Value))
	}
	return tr.Value
}

func unverifiedClaims(t *testing.T, tok string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, c); err != nil {
		t.Fatalf("ParseUnverified: %v", err)
	}
	return c
}

func TestTokenEndpointRejectsRequestsWithoutTheRequestToken(t *testing.T) {
	iss := startIssuer(t, Options{})
	c := iss.Client()
	cases := []struct {
		name   string
		header string
		want   int
	}{
		{"no authorization header", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"basic scheme", "Basic " + iss.RequestToken(), http.StatusUnauthorized},
		{"right token", "Bearer " + iss.RequestToken(), http.StatusOK},
		{"lower-case scheme as curl examples use", "bearer " + iss.RequestToken(), http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := fetchToken(t, context.Background(), c, iss.RequestURL(), tc.header)
			if err != nil {
				t.Fatal(err)
			}
			if f.status != tc.want {
				t.Fatalf("status %d, want %d; body %s", f.status, tc.want, f.body)
			}
			if tc.want == http.StatusUnauthorized {
				var e map[string]any
				if err := json.Unmarshal(f.body, &e); err != nil || e["message"] == nil {
					t.Errorf("401 body should be a JSON error with a message, got %s", f.body)
				}
			}
		})
	}
	if got := iss.Stats().Outcomes[OutcomeUnauthorized]; got != 3 {
		t.Errorf("unauthorized count %d, want 3", got)
	}
}

func TestTokenEndpointRequiresAPIVersion(t *testing.T) {
	iss := startIssuer(t, Options{})
	f, err := fetchToken(t, context.Background(), iss.Client(), iss.URL()+TokenPath, "Bearer "+iss.RequestToken())
	if err != nil {
		t.Fatal(err)
	}
	if f.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", f.status)
	}
}

func TestTokenEndpointAudience(t *testing.T) {
	iss := startIssuer(t, Options{})
	cases := []struct {
		name   string
		suffix string
		want   string
	}{
		{"explicit audience", "&audience=" + url.QueryEscape("sts.amazonaws.com"), "sts.amazonaws.com"},
		{"no audience defaults to the owner URL", "", "https://github.com/octo-org"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := fetchToken(t, context.Background(), iss.Client(), iss.RequestURL()+tc.suffix, "Bearer "+iss.RequestToken())
			if err != nil {
				t.Fatal(err)
			}
			c := unverifiedClaims(t, tokenValue(t, f))
			if c["aud"] != tc.want {
				t.Errorf("aud %v, want %q", c["aud"], tc.want)
			}
		})
	}
}

// keyFromJWKS fetches and decodes the JWKS the way a verifier would.
func keyFromJWKS(t *testing.T, c *http.Client, jwksURL, kid string) *rsa.PublicKey {
	t.Helper()
	resp, err := c.Get(jwksURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			Kty, Kid, Alg, Use, N, E string
			X5c                      []string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatalf("JWKS is not JSON: %v", err)
	}
	for _, k := range set.Keys {
		if k.Kid != kid {
			continue
		}
		if k.Kty != "RSA" || k.Alg != "RS256" || k.Use != "sig" || len(k.X5c) != 1 {
			t.Errorf("key fields kty=%q alg=%q use=%q x5c=%d, want RSA RS256 sig 1", k.Kty, k.Alg, k.Use, len(k.X5c))
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad n/e encoding: %v %v", err1, err2)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	t.Fatalf("kid %q not in JWKS", kid)
	return nil
}

func TestJWKSVerifiesMintedTokens(t *testing.T) {
	iss := startIssuer(t, Options{})
	c := iss.Client()

	resp, err := c.Get(iss.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	var disc map[string]any
	err = json.NewDecoder(resp.Body).Decode(&disc)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if disc["issuer"] != DefaultIssuerURL || disc["jwks_uri"] != iss.JWKSURL() {
		t.Errorf("discovery issuer %v jwks_uri %v, want %q %q", disc["issuer"], disc["jwks_uri"], DefaultIssuerURL, iss.JWKSURL())
	}
	for _, k := range []string{"response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported", "claims_supported", "scopes_supported"} {
		if disc[k] == nil {
			t.Errorf("discovery lacks %s", k)
		}
	}

	tok, err := iss.Mint(map[string]any{"aud": "sts.amazonaws.com"})
	if err != nil {
		t.Fatal(err)
	}
	pub := keyFromJWKS(t, c, iss.JWKSURL(), iss.KeyID())
	parsed, err := jwt.Parse(tok, func(tk *jwt.Token) (any, error) {
		if tk.Header["kid"] != iss.KeyID() {
			return nil, errors.New("unexpected kid")
		}
		return pub, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(DefaultIssuerURL), jwt.WithAudience("sts.amazonaws.com"), jwt.WithExpirationRequired())
	if err != nil {
		t.Fatalf("token does not verify against the JWKS: %v", err)
	}
	if !parsed.Valid {
		t.Fatal("token not valid")
	}

	other, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return &other.PublicKey, nil }); err == nil {
		t.Error("token verified against an unrelated key")
	}
}

func TestTokensCarryGitHubsClaimSet(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	iss := startIssuer(t, Options{Clock: func() time.Time { return now }, TokenLifetime: 7 * time.Minute})
	tok, err := iss.Mint(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := unverifiedClaims(t, tok)
	for _, k := range []string{"jti", "sub", "aud", "ref", "sha", "repository", "repository_owner", "repository_owner_id",
		"run_id", "run_number", "run_attempt", "repository_visibility", "repository_id", "actor_id", "actor", "workflow",
		"head_ref", "base_ref", "event_name", "ref_protected", "ref_type", "workflow_ref", "workflow_sha",
		"job_workflow_ref", "job_workflow_sha", "runner_environment", "iss", "nbf", "exp", "iat"} {
		if _, ok := c[k]; !ok {
			t.Errorf("claim %s missing", k)
		}
	}
	if _, ok := c["environment"]; ok {
		t.Error("environment present although none was set")
	}
	if c["sub"] != "repo:octo-org/octo-repo:ref:refs/heads/main" {
		t.Errorf("sub %v", c["sub"])
	}
	if c["iat"] != float64(now.Unix()) || c["exp"] != float64(now.Add(7*time.Minute).Unix()) || c["nbf"] != float64(now.Add(-notBeforeSkew).Unix()) {
		t.Errorf("iat/exp/nbf %v/%v/%v do not follow the clock and lifetime", c["iat"], c["exp"], c["nbf"])
	}
	if c["ref_protected"] != "true" || c["run_id"] != "9876543210" {
		t.Errorf("GitHub sends ref_protected and ids as strings; got %T %T", c["ref_protected"], c["run_id"])
	}
	tok2, _ := iss.Mint(nil)
	if unverifiedClaims(t, tok2)["jti"] == c["jti"] {
		t.Error("jti repeated across tokens")
	}
}

func TestSubjectFollowsContext(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]any
		want string
	}{
		{"environment", map[string]any{"environment": "prod"}, "repo:octo-org/octo-repo:environment:prod"},
		{"pull request", map[string]any{"event_name": "pull_request", "ref": "refs/pull/7/merge"}, "repo:octo-org/octo-repo:pull_request"},
		{"tag", map[string]any{"ref": "refs/tags/v1.2.3", "ref_type": "tag"}, "repo:octo-org/octo-repo:ref:refs/tags/v1.2.3"},
		{"explicit sub wins", map[string]any{"sub": "repo:x/y:job_workflow_ref:z", "environment": "prod"}, "repo:x/y:job_workflow_ref:z"},
		{"other repository", map[string]any{"repository": "acme/app"}, "repo:acme/app:ref:refs/heads/main"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			iss := startIssuer(t, Options{})
			iss.SetClaims(func(c map[string]any) {
				for k, v := range tc.set {
					c[k] = v
				}
			})
			f, err := fetchToken(t, context.Background(), iss.Client(), iss.RequestURL()+"&audience=sts.amazonaws.com", "Bearer "+iss.RequestToken())
			if err != nil {
				t.Fatal(err)
			}
			if got := unverifiedClaims(t, tokenValue(t, f))["sub"]; got != tc.want {
				t.Errorf("sub %v, want %q", got, tc.want)
			}
		})
	}
}

func TestMintNilOverrideRemovesClaim(t *testing.T) {
	iss := startIssuer(t, Options{Claims: map[string]any{"enterprise": "octo-ent"}})
	tok, err := iss.Mint(map[string]any{"exp": nil, "sub": nil, "repository": "a/b"})
	if err != nil {
		t.Fatal(err)
	}
	c := unverifiedClaims(t, tok)
	if _, ok := c["exp"]; ok {
		t.Error("exp present despite nil override")
	}
	if _, ok := c["sub"]; ok {
		t.Error("sub present despite nil override")
	}
	if c["repository_owner"] != "a" || c["enterprise"] != "octo-ent" {
		t.Errorf("repository_owner %v enterprise %v", c["repository_owner"], c["enterprise"])
	}
}

func TestIssuerURLOptions(t *testing.T) {
	self := startIssuer(t, Options{UseServerURLAsIssuer: true})
	if self.IssuerURL() != self.URL() {
		t.Errorf("issuer %q, want server URL %q", self.IssuerURL(), self.URL())
	}
	custom := startIssuer(t, Options{IssuerURL: "https://token.actions.githubusercontent.com/octo-ent/"})
	tok, _ := custom.Mint(nil)
	if got := unverifiedClaims(t, tok)["iss"]; got != "https://token.actions.githubusercontent.com/octo-ent" {
		t.Errorf("iss %v", got)
	}
}

func TestTLSIssuerIsTrustedOnlyViaItsClient(t *testing.T) {
	iss := startIssuer(t, Options{TLS: true})
	if !strings.HasPrefix(iss.RequestURL(), "https://127.0.0.1:") {
		t.Fatalf("request URL %q is not https loopback", iss.RequestURL())
	}
	f, err := fetchToken(t, context.Background(), iss.Client(), iss.RequestURL(), "Bearer "+iss.RequestToken())
	if err != nil {
		t.Fatal(err)
	}
	tokenValue(t, f)
	if _, err := fetchToken(t, context.Background(), &http.Client{Transport: &http.Transport{}}, iss.RequestURL(), "Bearer "+iss.RequestToken()); err == nil {
		t.Error("a client without the certificate trusted the server")
	}
}

func FuzzAuthorizationHeader(f *testing.F) {
	iss, err := Start(Options{Key: sharedKeyForFuzz()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(iss.Close)
	f.Add("Bearer " + iss.RequestToken())
	f.Add("bearer  " + iss.RequestToken() + " ")
	f.Add("Bearer")
	f.Add("Basic abc")
	f.Fuzz(func(t *testing.T, h string) {
		req, _ := http.NewRequest(http.MethodGet, iss.RequestURL(), nil)
		req.Header["Authorization"] = []string{h}
		scheme, tok, _ := strings.Cut(h, " ")
		want := strings.EqualFold(scheme, "bearer") && strings.TrimSpace(tok) == iss.RequestToken()
		if got := iss.authorized(req); got != want {
			t.Fatalf("authorized(%q) = %v, want %v", h, got, want)
		}
	})
}

func sharedKeyForFuzz() *rsa.PrivateKey {
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}
