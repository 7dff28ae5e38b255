// Package localsts runs a loopback stand-in for AWS STS that speaks the real
// Query protocol (form-encoded requests, XML responses and ErrorResponse
// documents), so the action and its tests can call it with the unmodified
// aws-sdk-go-v2 STS client.
//
// It really verifies what STS verifies: web identity tokens against the
// registered OIDC providers' keys, audiences, expiry, the role's trust policy
// (through a pluggable TrustEvaluator), parameter constraints, and SigV4
// signatures made with credentials it issued itself. It also injects faults
// on demand for resilience drills. It listens on 127.0.0.1 only.
package localsts

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/org/oidc-aws-action/pkg/internal/faults"
	"github.com/org/oidc-aws-action/pkg/internal/loopback"
)

// Namespace is the XML namespace of every STS response.
const Namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// APIVersion is the only Version STS accepts.
const APIVersion = "2011-06-15"

// DefaultAccount is used for providers and responses when none is configured.
const DefaultAccount = "123456789012"

// DefaultMaxBodyBytes bounds request bodies; a legitimate STS call is a few KiB.
const DefaultMaxBodyBytes = 256 << 10

// TrustEvaluator decides whether a role's trust policy lets a verified web
// identity assume it. issuer is the token's iss claim verbatim; claims are
// the verified token's claims as decoded from JSON (numbers are float64).
type TrustEvaluator interface {
	Allowed(policy []byte, issuer string, claims map[string]any) (bool, error)
}

// TrustEvaluatorFunc adapts a function to TrustEvaluator.
type TrustEvaluatorFunc func(policy []byte, issuer string, claims map[string]any) (bool, error)

// Allowed calls f.
func (f TrustEvaluatorFunc) Allowed(policy []byte, issuer string, claims map[string]any) (bool, error) {
	return f(policy, issuer, claims)
}

// Provider is an IAM OIDC identity provider registered in an account.
type Provider struct {
	// IssuerURL must match the token's iss (scheme and trailing slash are
	// ignored, as IAM stores providers by host and path).
	IssuerURL string
	// JWKSURL is fetched over HTTP and cached. When empty and Keys is empty,
	// the keys are found by OIDC discovery at IssuerURL.
	JWKSURL string
	// Keys, when set, are used instead of fetching: kid → *rsa.PublicKey or
	// *ecdsa.PublicKey.
	Keys map[string]any
	// ClientIDs are the accepted audiences.
	ClientIDs []string
	// AccountID owns the provider; empty means Options.DefaultAccount.
	AccountID string
}

// Role is an IAM role that can be assumed.
type Role struct {
	// TrustPolicy is handed to the TrustEvaluator for AssumeRoleWithWebIdentity.
	TrustPolicy []byte
	// MaxSessionDuration caps DurationSeconds; zero means one hour, as in IAM.
	MaxSessionDuration time.Duration
	// TrustedRoles lists role ARNs whose sessions may AssumeRole into this
	// role (role chaining). Empty lets any caller holding valid credentials
	// from this server in. The TrustEvaluator is not consulted for
	// AssumeRole, since it only understands web identities.
	TrustedRoles []string
	// ExternalID, when set, must be sent as ExternalId by AssumeRole callers.
	ExternalID string
	// RefuseSessionTags models a trust policy without sts:TagSession:
	// AssumeRole with Tags is denied.
	RefuseSessionTags bool
}

// Options configures a Server. The zero value is an open server: any role,
// no providers (so every web identity token is refused).
type Options struct {
	Providers []Provider
	// Roles keyed by role ARN. Empty together with a nil Evaluator at Start
	// means open mode for the server's lifetime: every well-formed role ARN
	// exists and trusts every verified token (roles added later still
	// bring their own settings, e.g. MaxSessionDuration).
	Roles map[string]Role
	// Evaluator decides trust for AssumeRoleWithWebIdentity. Nil allows any
	// verified token to assume any existing role.
	Evaluator TrustEvaluator
	// DefaultAccount fills Provider.AccountID; empty means DefaultAccount.
	DefaultAccount string
	// DefaultMaxSessionDuration applies to roles whose MaxSessionDuration
	// is zero, including open-mode roles. Zero means one hour, as in IAM.
	DefaultMaxSessionDuration time.Duration
	// CredentialLifetime, when positive, is how long every issued
	// credential lives, whatever DurationSeconds asked for (the request is
	// still validated as STS validates it). Tests of credential refresh set
	// a few seconds, so that credentials expire within the test; some
	// STS-compatible servers issue such short-lived credentials too.
	CredentialLifetime time.Duration
	// Clock drives token expiry checks, credential expiry and SigV4 clock
	// skew. Nil means time.Now.
	Clock func() time.Time
	// ExpiryGrace is how long after their expiry issued credentials still
	// sign requests; zero means none, as in AWS. A test whose Clock runs
	// many times as fast as the real one sets it, since the real time a
	// request takes to arrive then passes as minutes.
	ExpiryGrace time.Duration
	// RateLimit is requests per second across all callers; beyond it STS
	// answers Throttling. Zero means unlimited. Burst defaults to
	// max(1, RateLimit).
	RateLimit float64
	Burst     int
	// MaxBodyBytes bounds request bodies; zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// HTTPClient fetches JWKS and discovery documents; nil uses a client
	// without proxies and with a 5 s timeout.
	HTTPClient *http.Client
	// JWKSCacheTTL is how long fetched keys are reused; zero means 5 min.
	// An unknown kid always triggers a refetch.
	JWKSCacheTTL time.Duration
	// SigV4ClockSkew is the tolerated difference between X-Amz-Date and the
	// clock; zero means 15 min as in AWS; negative disables the check.
	SigV4ClockSkew time.Duration
	// RequestLogSize bounds Requests(); zero means 1024.
	RequestLogSize int
	// MaxIssuedCredentials bounds remembered credentials (oldest forgotten
	// first); zero means 100000.
	MaxIssuedCredentials int
	// TLS serves https with a self-signed certificate for 127.0.0.1; use
	// Client or CertPool to trust it.
	TLS bool
}

// Server is a running local STS. All methods are safe for concurrent use.
type Server struct {
	opts    Options
	clock   func() time.Time
	account string
	httpc   *http.Client
	lb      *loopback.Server

	open      bool // see Options.Roles
	mu        sync.RWMutex
	roles     map[string]Role
	providers []*providerState

	limiter *bucket
	creds   credStore
	faults  faults.Queue[Fault]
	stats   counters
	log     requestLog
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func Start(opts Options) (*Server, error) {
	s := &Server{
		opts:    opts,
		clock:   opts.Clock,
		account: opts.DefaultAccount,
		httpc:   opts.HTTPClient,
		roles:   map[string]Role{},
		open:    len(opts.Roles) == 0 && opts.Evaluator == nil,
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.account == "" {
		s.account = DefaultAccount
	}
	if !accountRe.MatchString(s.account) {
		return nil, fmt.Errorf("failed to start local STS: default account %q is not 12 digits", s.account)
	}
	if s.httpc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		s.httpc = &http.Client{Transport: tr, Timeout: 5 * time.Second}
	}
	if s.opts.MaxBodyBytes <= 0 {
		s.opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if s.opts.JWKSCacheTTL <= 0 {
		s.opts.JWKSCacheTTL = 5 * time.Minute
	}
	if s.opts.SigV4ClockSkew == 0 {
		s.opts.SigV4ClockSkew = 15 * time.Minute
	}
	if s.opts.DefaultMaxSessionDuration <= 0 {
		s.opts.DefaultMaxSessionDuration = time.Hour
	}
	if opts.RateLimit > 0 {
		burst := float64(opts.Burst)
		if burst <= 0 {
			burst = max(1, opts.RateLimit)
		}
		s.limiter = newBucket(opts.RateLimit, burst)
	}
	s.log.size = opts.RequestLogSize
	if s.log.size <= 0 {
		s.log.size = 1024
	}
	s.creds.max = opts.MaxIssuedCredentials
	if s.creds.max <= 0 {
		s.creds.max = 100000
	}
	for arn, r := range opts.Roles {
		if err := s.AddRole(arn, r); err != nil {
			return nil, err
		}
	}
	for _, p := range opts.Providers {
		if err := s.AddProvider(p); err != nil {
			return nil, err
		}
	}

	lb, err := loopback.Listen("localsts", opts.TLS)
	if err != nil {
		return nil, err
	}
	s.lb = lb
	lb.Serve(s)
	return s, nil
}

// Close releases hanging and slow requests, then stops the server, waiting
// briefly for handlers so tests do not leak goroutines.
func (s *Server) Close() { s.lb.Close() }

// URL is the endpoint to give the SDK as BaseEndpoint.
func (s *Server) URL() string { return s.lb.URL() }

// Account is the default account ID.
func (s *Server) Account() string { return s.account }

// CertPool trusts this server's TLS certificate; nil when TLS is off.
func (s *Server) CertPool() *x509.CertPool { return s.lb.CertPool() }

// Client returns an HTTP client that trusts this server (with or without TLS).
func (s *Server) Client() *http.Client { return s.lb.Client() }

// AddRole adds or replaces a role at runtime.
func (s *Server) AddRole(arn string, r Role) error {
	if _, err := parseRoleARN(arn); err != nil {
		return fmt.Errorf("failed to add role %q: %w", arn, err)
	}
	if r.MaxSessionDuration != 0 && (r.MaxSessionDuration < time.Hour || r.MaxSessionDuration > 12*time.Hour) {
		return fmt.Errorf("failed to add role %q: MaxSessionDuration %s is outside IAM's 1h..12h", arn, r.MaxSessionDuration)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roles[arn] = r
	return nil
}

// RemoveRole deletes a role at runtime.
func (s *Server) RemoveRole(arn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.roles, arn)
}

// AddProvider registers an OIDC provider at runtime. A provider with the
// same issuer in the same account is replaced.
func (s *Server) AddProvider(p Provider) error {
	if p.IssuerURL == "" {
		return errors.New("failed to add provider: IssuerURL is empty; set it to the tokens' iss")
	}
	if p.AccountID == "" {
		p.AccountID = s.account
	}
	if !accountRe.MatchString(p.AccountID) {
		return fmt.Errorf("failed to add provider %q: account %q is not 12 digits", p.IssuerURL, p.AccountID)
	}
	if len(p.ClientIDs) == 0 {
		return fmt.Errorf("failed to add provider %q: ClientIDs is empty, so no token audience could match; add e.g. sts.amazonaws.com", p.IssuerURL)
	}
	ps := newProviderState(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.providers {
		if old.key == ps.key && old.cfg.AccountID == p.AccountID {
			s.providers[i] = ps
			return nil
		}
	}
	s.providers = append(s.providers, ps)
	return nil
}

// ServeHTTP handles one Query-protocol request. Exposed so the server can
// also be mounted in another mux.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Tracked because drops and released hangs hijack the connection.
	defer s.lb.Track()()
	s.stats.arrive()
	rec := &RequestRecord{Time: s.clock(), RequestID: newUUID(), Method: r.Method}
	c := &call{s: s, w: w, r: r, rec: rec}
	// Deferred because dropping a connection may abort the handler by panic.
	defer func() {
		s.stats.add(rec.Action, rec.Outcome, rec.Fault)
		s.log.add(*rec)
	}()
	c.serve()
}

// call is one request in flight.
type call struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	rec     *RequestRecord
	body    []byte
	params  map[string][]string
	written bool
}

func (c *call) serve() {
	if c.r.Method != http.MethodPost && c.r.Method != http.MethodGet {
		c.fail(&stsError{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed", Message: "The requested HTTP method is not allowed; use POST (or GET) with the Query protocol."})
		return
	}
	if c.s.limiter != nil && !c.s.limiter.allow(time.Now()) {
		c.fail(errThrottling())
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, c.s.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			c.fail(&stsError{Status: http.StatusRequestEntityTooLarge, Code: "RequestEntityTooLarge", Message: fmt.Sprintf("Request body is larger than the %d bytes allowed.", c.s.opts.MaxBodyBytes)})
			return
		}
		c.rec.Outcome = OutcomeClientGone
		return
	}
	c.body = body
	params, err := parseParams(c.r.Method, c.r.Header.Get("Content-Type"), body, c.r.URL.RawQuery)
	if err != nil {
		c.fail(&stsError{Status: http.StatusBadRequest, Code: "MalformedQueryString", Message: err.Error()})
		return
	}
	c.params = params
	c.recordParams()
	action := c.param("Action")
	if action == "" {
		c.fail(&stsError{Status: http.StatusBadRequest, Code: "MissingAction", Message: "Missing Action"})
		return
	}
	if v := c.param("Version"); v != APIVersion {
		if v == "" {
			v = "NO_VERSION_SPECIFIED"
		}
		c.fail(&stsError{Status: http.StatusBadRequest, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", action, v)})
		return
	}
	if f, ok := c.s.faults.Take(func(f Fault) bool { return f.Action == "" || f.Action == action }); ok {
		c.rec.Fault = f.Kind.String()
		if !c.serveFault(f) {
			return
		}
	}
	var resp any
	var stsErr *stsError
	switch action {
	case "AssumeRoleWithWebIdentity":
		resp, stsErr = c.assumeRoleWithWebIdentity()
	case "AssumeRole":
		resp, stsErr = c.assumeRole()
	case "GetCallerIdentity":
		resp, stsErr = c.getCallerIdentity()
	default:
		stsErr = &stsError{Status: http.StatusBadRequest, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", action, APIVersion)}
	}
	if stsErr != nil {
		c.fail(stsErr)
		return
	}
	c.succeed(resp)
}

func (c *call) param(name string) string {
	if v := c.params[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c *call) has(name string) bool {
	_, ok := c.params[name]
	return ok
}

// recordParams keeps what tests assert on, never the token or signature.
func (c *call) recordParams() {
	rec := c.rec
	rec.Action = c.param("Action")
	rec.Version = c.param("Version")
	rec.RoleArn = c.param("RoleArn")
	rec.RoleSessionName = c.param("RoleSessionName")
	rec.DurationSeconds = c.param("DurationSeconds")
	rec.Policy = c.param("Policy")
	rec.PolicyArns = policyArns(c.params)
	rec.Tags, rec.TransitiveTagKeys = sessionTags(c.params)
	rec.ExternalID = c.param("ExternalId")
	rec.ProviderID = c.param("ProviderId")
	rec.SourceIdentity = c.param("SourceIdentity")
	names := make([]string, 0, len(c.params))
	for k := range c.params {
		names = append(names, k)
	}
	sort.Strings(names)
	rec.Params = names
	if ua := c.r.Header.Get("User-Agent"); len(ua) <= 512 {
		rec.UserAgent = ua
	}
}

// policyArns collects PolicyArns.member.N.arn in N order.
func policyArns(p map[string][]string) []string {
	var out []string
	for _, m := range members(p, "PolicyArns.member.", ".arn") {
		out = append(out, m.value)
	}
	return out
}

// member is one element of a Query-protocol list: PREFIX.N.SUFFIX=value.
type member struct {
	n     int
	value string
}

// members collects a list's elements in N order.
func members(p map[string][]string, prefix, suffix string) []member {
	var ms []member
	for k, v := range p {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || len(v) == 0 {
			continue
		}
		num, ok := strings.CutSuffix(rest, suffix)
		if !ok {
			continue
		}
		n, err := parseSmallInt(num)
		if err != nil {
			continue
		}
		ms = append(ms, member{n, v[0]})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].n < ms[j].n })
	return ms
}

// Tag is one session tag as a caller sent it.
type Tag struct {
	Key, Value string
}

// sessionTags collects Tags.member.N.Key/Value in N order, and
// TransitiveTagKeys.member.N.
func sessionTags(p map[string][]string) (tags []Tag, transitive []string) {
	values := map[int]string{}
	for _, m := range members(p, "Tags.member.", ".Value") {
		values[m.n] = m.value
	}
	for _, m := range members(p, "Tags.member.", ".Key") {
		tags = append(tags, Tag{Key: m.value, Value: values[m.n]})
	}
	for _, m := range members(p, "TransitiveTagKeys.member.", "") {
		transitive = append(transitive, m.value)
	}
	return tags, transitive
}

func parseSmallInt(s string) (int, error) {
	if s == "" || len(s) > 6 {
		return 0, errors.New("not a small integer")
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, errors.New("not a small integer")
		}
		n = n*10 + int(r-'0')
	}
	return n, nil
}
