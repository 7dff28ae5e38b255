// Package localgh runs a loopback stand-in for GitHub Actions' OIDC token
// issuer: the runner's ID-token request endpoint, the issuer's discovery
// document and its JWKS, so end-to-end tests, demos and fault drills can get
// real RS256 tokens without GitHub.
//
// It is a test double, not a security boundary: keys are generated at start,
// everything listens on 127.0.0.1 only.
package localgh

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/internal/faults"
	"github.com/org/oidc-aws-action/pkg/internal/loopback"
)

// DefaultIssuerURL is the `iss` GitHub puts in Actions tokens. Using it by
// default makes trust-policy condition keys (token.actions.githubusercontent.com:sub)
// look exactly as they do in real accounts.
const DefaultIssuerURL = claims.GitHubIssuer

// DefaultTokenLifetime is exp-iat. GitHub's tokens live for minutes, not hours.
const DefaultTokenLifetime = 5 * time.Minute

// notBeforeSkew is how far GitHub backdates nbf relative to iat (observed in
// published example tokens), which tolerates runner clocks running slow.
const notBeforeSkew = 10 * time.Minute

// TokenPath is where the runner's ID-token request endpoint lives.
const TokenPath = "/token"

// Paths of the issuer's public documents, as GitHub serves them.
const (
	DiscoveryPath = "/.well-known/openid-configuration"
	JWKSPath      = "/.well-known/jwks"
)

// Options configures an Issuer. The zero value is usable.
type Options struct {
	// Key signs tokens. Nil generates a fresh RSA-2048 key (slow: pass one
	// in when starting many issuers).
	Key *rsa.PrivateKey
	// KeyID is the JWT header kid. Empty derives one from the public key.
	KeyID string
	// IssuerURL is the `iss` claim and the discovery document's issuer.
	// Empty means DefaultIssuerURL unless UseServerURLAsIssuer is set.
	IssuerURL string
	// UseServerURLAsIssuer makes `iss` this server's own URL, so that a
	// verifier can do OIDC discovery from `iss` the way AWS does.
	UseServerURLAsIssuer bool
	// Claims overrides or extends DefaultClaims for every token; a nil value
	// removes the claim.
	Claims map[string]any
	// TokenLifetime is exp-iat. Zero means DefaultTokenLifetime.
	TokenLifetime time.Duration
	// Clock supplies iat/nbf/exp. Nil means time.Now.
	Clock func() time.Time
	// TLS serves https with a self-signed certificate for 127.0.0.1; use
	// Client or CertPool to trust it.
	TLS bool
}

// Issuer is a running local issuer. All methods are safe for concurrent use.
type Issuer struct {
	key      *rsa.PrivateKey
	kid      string
	cert     *x509.Certificate // self-signed over the signing key, for x5c/x5t in the JWKS
	x5t      string
	issuer   string
	lifetime time.Duration
	clock    func() time.Time
	reqToken string
	lb       *loopback.Server

	mu     sync.RWMutex
	claims map[string]any

	faults faults.Queue[Fault]
	stats  counters
	minted atomic.Int64
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func Start(opts Options) (*Issuer, error) {
	key := opts.Key
	if key == nil {
		var err error
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, fmt.Errorf("failed to generate issuer signing key: %w", err)
		}
	}
	cert, err := selfSignedSigningCert(key)
	if err != nil {
		return nil, err
	}
	kid := opts.KeyID
	if kid == "" {
		pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("failed to encode issuer public key: %w", err)
		}
		sum := sha256.Sum256(pub)
		kid = strings.ToUpper(hex.EncodeToString(sum[:20]))
	}
	rt := make([]byte, 32)
	if _, err := rand.Read(rt); err != nil {
		return nil, fmt.Errorf("failed to generate request token: %w", err)
	}
	lifetime := opts.TokenLifetime
	if lifetime <= 0 {
		lifetime = DefaultTokenLifetime
	}
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	iss := &Issuer{
		key:      key,
		kid:      kid,
		cert:     cert,
		lifetime: lifetime,
		clock:    clock,
		reqToken: base64.RawURLEncoding.EncodeToString(rt),
		claims:   DefaultClaims(),
	}
	thumb := sha1.Sum(cert.Raw)
	iss.x5t = base64.RawURLEncoding.EncodeToString(thumb[:])
	applyOverrides(iss.claims, opts.Claims)

	iss.lb, err = loopback.Listen("localgh", opts.TLS)
	if err != nil {
		return nil, err
	}
	switch {
	case opts.IssuerURL != "":
		iss.issuer = strings.TrimRight(opts.IssuerURL, "/")
	case opts.UseServerURLAsIssuer:
		iss.issuer = iss.lb.URL()
	default:
		iss.issuer = DefaultIssuerURL
	}

	mux := http.NewServeMux()
	mux.HandleFunc(TokenPath, iss.handleToken)
	mux.HandleFunc(DiscoveryPath, iss.handleDiscovery)
	mux.HandleFunc(JWKSPath, iss.handleJWKS)
	iss.lb.Serve(mux)
	return iss, nil
}

// Close unblocks hanging and slow requests, then stops the server. It waits
// briefly for handlers to return so tests do not leak goroutines.
func (i *Issuer) Close() { i.lb.Close() }

// URL is the server's base URL, e.g. http://127.0.0.1:41234.
func (i *Issuer) URL() string { return i.lb.URL() }

// IssuerURL is the `iss` value tokens carry.
func (i *Issuer) IssuerURL() string { return i.issuer }

// RequestURL is what the runner puts in ACTIONS_ID_TOKEN_REQUEST_URL: it
// already carries a query string, so clients append "&audience=…".
func (i *Issuer) RequestURL() string { return i.lb.URL() + TokenPath + "?api-version=2.0" }

// RequestToken is what the runner puts in ACTIONS_ID_TOKEN_REQUEST_TOKEN.
func (i *Issuer) RequestToken() string { return i.reqToken }

// JWKSURL serves the public signing key.
func (i *Issuer) JWKSURL() string { return i.lb.URL() + JWKSPath }

// DiscoveryURL serves the OpenID configuration document.
func (i *Issuer) DiscoveryURL() string { return i.lb.URL() + DiscoveryPath }

// KeyID is the kid of the signing key.
func (i *Issuer) KeyID() string { return i.kid }

// PublicKeys maps kid to the verification key, for verifiers that take keys
// directly instead of fetching the JWKS.
func (i *Issuer) PublicKeys() map[string]*rsa.PublicKey {
	return map[string]*rsa.PublicKey{i.kid: &i.key.PublicKey}
}

// CertPEM is the issuer's TLS certificate in PEM; nil without TLS.
func (i *Issuer) CertPEM() []byte { return i.lb.CertPEM() }

// Client returns an HTTP client that trusts this server (with or without TLS).
func (i *Issuer) Client() *http.Client { return i.lb.Client() }

// SetClaims edits the claim template used by every later token, under a lock:
// fn may add, change or delete keys.
func (i *Issuer) SetClaims(fn func(claims map[string]any)) {
	i.mu.Lock()
	defer i.mu.Unlock()
	fn(i.claims)
}

// Claim returns a string claim of the template, e.g. for the runner's
// GITHUB_* variables that a stand-in step should agree with.
func (i *Issuer) Claim(name string) string {
	i.mu.RLock()
	defer i.mu.RUnlock()
	return str(i.claims, name)
}

// Minted counts tokens signed so far, by the endpoint and by Mint.
func (i *Issuer) Minted() int64 { return i.minted.Load() }

// Mint signs a token from the template plus overrides, as the token
// endpoint would. A nil override value removes that claim (including
// derived and time claims), to build deliberately defective tokens.
func (i *Issuer) Mint(overrides map[string]any) (string, error) {
	return i.mint(overrides)
}

func (i *Issuer) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	doc := map[string]any{
		"issuer":                                i.issuer,
		"jwks_uri":                              i.JWKSURL(),
		"subject_types_supported":               []string{"public", "pairwise"},
		"response_types_supported":              []string{"id_token"},
		"claims_supported":                      claimsSupported,
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid"},
	}
	writeJSON(w, http.StatusOK, doc)
}

func (i *Issuer) handleJWKS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	writeJSON(w, http.StatusOK, i.jwks())
}

type jwk struct {
	Kty string   `json:"kty"`
	Use string   `json:"use"`
	Alg string   `json:"alg"`
	Kid string   `json:"kid"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	X5c []string `json:"x5c,omitempty"`
	X5t string   `json:"x5t,omitempty"`
}

func (i *Issuer) jwks() map[string][]jwk {
	pub := i.key.PublicKey
	return map[string][]jwk{"keys": {{
		Kty: "RSA",
		Use: "sig",
		Alg: "RS256",
		Kid: i.kid,
		N:   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E:   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		X5c: []string{base64.StdEncoding.EncodeToString(i.cert.Raw)},
		X5t: i.x5t,
	}}}
}

// selfSignedSigningCert wraps the signing key in a certificate because
// GitHub's JWKS publishes x5c/x5t alongside n/e and some verifiers read them.
func selfSignedSigningCert(key *rsa.PrivateKey) (*x509.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localgh token signing"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("failed to create signing certificate: %w", err)
	}
	return x509.ParseCertificate(der)
}

// vssError mirrors the JSON error envelope of the Actions service (an Azure
// DevOps-style VssServiceException), so clients that print the body show
// something realistic.
func vssError(w http.ResponseWriter, status int, typeKey, message string) {
	writeJSON(w, status, map[string]any{
		"$id":            "1",
		"innerException": nil,
		"message":        message,
		"typeName":       "Microsoft.TeamFoundation.DistributedTask.WebApi." + typeKey + ", Microsoft.TeamFoundation.DistributedTask.WebApi",
		"typeKey":        typeKey,
		"errorCode":      0,
		"eventId":        3000,
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "failed to encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b) //nolint:errcheck // client gone is not our problem
}

func (i *Issuer) handleToken(w http.ResponseWriter, r *http.Request) {
	// Tracked because hangs hijack the connection when the issuer closes.
	defer i.lb.Track()()
	i.stats.arrive()
	if r.Method != http.MethodGet {
		i.stats.add(OutcomeBadRequest)
		w.Header().Set("Allow", "GET")
		vssError(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", "The requested resource does not support http method '"+r.Method+"'.")
		return
	}
	if !i.authorized(r) {
		i.stats.add(OutcomeUnauthorized)
		vssError(w, http.StatusUnauthorized, "UnauthorizedRequestException", "TF400813: The user '' is not authorized to access this resource.")
		return
	}
	q := r.URL.Query()
	if q.Get("api-version") == "" {
		i.stats.add(OutcomeBadRequest)
		vssError(w, http.StatusBadRequest, "VssVersionNotSpecifiedException", "No api-version was supplied for the GET request. An api-version is required.")
		return
	}
	if f, ok := i.faults.Take(nil); ok {
		i.serveFault(w, r, f)
		return
	}
	i.serveToken(w, r, OutcomeOK)
}

func (i *Issuer) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(i.reqToken)) == 1
}

// serveToken answers like the runner service: {"count":N,"value":"<jwt>"},
// where count is the length of value.
func (i *Issuer) serveToken(w http.ResponseWriter, r *http.Request, outcome string) {
	tok, err := i.mint(audienceOverride(r))
	if err != nil {
		i.stats.add(OutcomeError)
		vssError(w, http.StatusInternalServerError, "InternalServerErrorException", err.Error())
		return
	}
	i.stats.add(outcome)
	writeJSON(w, http.StatusOK, tokenResponse{Count: len(tok), Value: tok})
}

// audienceOverride honours ?audience=; without it GitHub uses the owner URL,
// which mint derives.
func audienceOverride(r *http.Request) map[string]any {
	if aud := r.URL.Query().Get("audience"); aud != "" {
		return map[string]any{"aud": aud}
	}
	return nil
}

type tokenResponse struct {
	Count int    `json:"count"`
	Value string `json:"value"`
}
