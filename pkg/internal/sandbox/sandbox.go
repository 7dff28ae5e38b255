// Package sandbox stands up the world an action run needs, on loopback: a
// local GitHub OIDC issuer, a local STS that verifies its tokens and judges
// roles' trust policies with the real trust-policy engine, and a runner-like
// step environment (INPUT_* variables, GITHUB_ENV, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files).
//
// The demo, the end-to-end tests, the load and fault tests and the
// benchmarks all run the action against it, so they exercise the same
// servers the same way.
package sandbox

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/internal/localgh"
	"github.com/org/oidc-aws-action/pkg/internal/localsts"
	"github.com/org/oidc-aws-action/pkg/internal/runnersim"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// Account is the AWS account of the sandbox's roles.
const Account = localsts.DefaultAccount

// RoleARN is the role the sandbox trusts for the default repository's main
// branch.
const RoleARN = "arn:aws:iam::" + Account + ":role/deploy"

// DefaultTrustPolicy admits pushes to main of the local issuer's default
// repository, and nothing else: the policy a careful user would write.
const DefaultTrustPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "GitHubMainOnly",
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::` + Account + `:oidc-provider/token.actions.githubusercontent.com"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {
        "StringEquals": {
          "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
          "token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"
        }
      }
    }
  ]
}`

// runnerVars are the runner's default variables that describe the run,
// from the claims of the tokens it would get.
var runnerVars = map[string]string{
	"GITHUB_REPOSITORY":       "repository",
	"GITHUB_REF":              "ref",
	"GITHUB_SHA":              "sha",
	"GITHUB_WORKFLOW":         "workflow",
	"GITHUB_ACTOR":            "actor",
	"GITHUB_TRIGGERING_ACTOR": "actor",
	"GITHUB_RUN_ID":           "run_id",
	"GITHUB_EVENT_NAME":       "event_name",
	"GITHUB_BASE_REF":         "base_ref",
	"GITHUB_HEAD_REF":         "head_ref",
}

// Options shapes a sandbox.
type Options struct {
	// TrustPolicy for RoleARN; empty means DefaultTrustPolicy.
	TrustPolicy string
	// Claims override the issuer's default claims for every token.
	Claims map[string]any
	// RateLimit makes STS throttle beyond this many requests per second.
	RateLimit float64
	// Burst is the STS rate limiter's bucket size (default: RateLimit).
	Burst int
	// Audiences the account's OIDC provider lists; empty means sts.amazonaws.com.
	Audiences []string
	// CredentialLifetime, when positive, makes STS issue credentials that
	// live only this long (see localsts.Options.CredentialLifetime).
	CredentialLifetime time.Duration
	// Clock, when set, is the time of both servers: token lifetimes, and
	// credential expiry. Callers that sign requests keep the real clock, so
	// STS's check of the signing date against its own is off then.
	Clock func() time.Time
	// ExpiryGrace lets STS take credentials this long after their expiry
	// (see localsts.Options.ExpiryGrace).
	ExpiryGrace time.Duration
	// IssuerTLS and STSTLS serve the issuer and STS over https, each with
	// a self-signed certificate that only its own Client trusts (STS is
	// given the issuer's to fetch the JWKS).
	IssuerTLS, STSTLS bool
}

// Sandbox is a running issuer and STS.
type Sandbox struct {
	Issuer *localgh.Issuer
	STS    *localsts.Server
}

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
)

// signingKey is shared: an RSA key is slow to make and tests start many
// sandboxes.
func signingKey() (*rsa.PrivateKey, error) {
	keyOnce.Do(func() { key, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	return key, keyErr
}

// Start starts the issuer and the STS.
func Start(o Options) (*Sandbox, error) {
	k, err := signingKey()
	if err != nil {
		return nil, fmt.Errorf("failed to make a signing key: %w", err)
	}
	iss, err := localgh.Start(localgh.Options{Key: k, Claims: o.Claims, Clock: o.Clock, TLS: o.IssuerTLS})
	if err != nil {
		return nil, fmt.Errorf("failed to start the local GitHub OIDC issuer: %w", err)
	}
	policy := o.TrustPolicy
	if policy == "" {
		policy = DefaultTrustPolicy
	}
	auds := o.Audiences
	if len(auds) == 0 {
		auds = []string{claims.DefaultAudience}
	}
	skew := time.Duration(0) // STS's default
	if o.Clock != nil {
		skew = -1
	}
	var jwksClient *http.Client
	if o.IssuerTLS {
		jwksClient = iss.Client()
	}
	sts, err := localsts.Start(localsts.Options{
		TLS:                o.STSTLS,
		HTTPClient:         jwksClient,
		Clock:              o.Clock,
		SigV4ClockSkew:     skew,
		Providers:          []localsts.Provider{{IssuerURL: iss.IssuerURL(), JWKSURL: iss.JWKSURL(), ClientIDs: auds}},
		Roles:              map[string]localsts.Role{RoleARN: {TrustPolicy: []byte(policy), MaxSessionDuration: 12 * time.Hour}},
		Evaluator:          Evaluator{},
		RateLimit:          o.RateLimit,
		Burst:              o.Burst,
		CredentialLifetime: o.CredentialLifetime,
		ExpiryGrace:        o.ExpiryGrace,
	})
	if err != nil {
		iss.Close()
		return nil, fmt.Errorf("failed to start the local STS: %w", err)
	}
	return &Sandbox{Issuer: iss, STS: sts}, nil
}

// Close stops both servers.
func (s *Sandbox) Close() {
	s.STS.Close()
	s.Issuer.Close()
}

// Evaluator judges trust policies with the real engine, as IAM would.
type Evaluator struct{}

// compiled caches each policy text's compiled form: a role's policy rarely
// changes, and the load test sends hundreds of requests for the same one.
var compiled sync.Map // string → compileResult

type compileResult struct {
	c   *trustpolicy.Compiled
	err error
}

// Allowed implements localsts.TrustEvaluator.
func (Evaluator) Allowed(policy []byte, issuer string, tokenClaims map[string]any) (bool, error) {
	v, ok := compiled.Load(string(policy))
	if !ok {
		var r compileResult
		p, err := trustpolicy.Parse(policy)
		if err == nil {
			r.c, err = p.Compile()
		}
		r.err = err
		v, _ = compiled.LoadOrStore(string(policy), r)
	}
	r := v.(compileResult)
	if r.err != nil {
		return false, r.err
	}
	return r.c.Check(trustpolicy.Request{Issuer: issuer, Claims: tokenClaims}).Allowed, nil
}

// Step is one workflow step's environment, as the runner prepares it.
type Step struct {
	Dir         string
	EnvFile     string
	OutputFile  string
	SummaryFile string
	Env         map[string]string
}

// NewStep prepares a step in dir that runs the action with the given inputs
// (names as under `with:`), pointed at this sandbox.
func (s *Sandbox) NewStep(dir string, with map[string]string) (*Step, error) {
	st := &Step{
		Dir:         dir,
		EnvFile:     filepath.Join(dir, "github_env"),
		OutputFile:  filepath.Join(dir, "github_output"),
		SummaryFile: filepath.Join(dir, "step_summary.md"),
	}
	for _, f := range []string{st.EnvFile, st.OutputFile, st.SummaryFile} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			return nil, fmt.Errorf("failed to create %s: %w", f, err)
		}
	}
	st.Env = map[string]string{
		"GITHUB_ACTIONS":                 "true",
		"GITHUB_ENV":                     st.EnvFile,
		"GITHUB_OUTPUT":                  st.OutputFile,
		"GITHUB_STEP_SUMMARY":            st.SummaryFile,
		"GITHUB_WORKSPACE":               dir,
		"ACTIONS_ID_TOKEN_REQUEST_URL":   s.Issuer.RequestURL(),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": s.Issuer.RequestToken(),
		"AWS_ENDPOINT_URL_STS":           s.STS.URL(),
		// The runner gives every declared input with a default; a step
		// run by hand may not, and the action must cope with both.
		inputs.EnvName(inputs.RoleToAssume): RoleARN,
		inputs.EnvName(inputs.AWSRegion):    "us-east-1",
	}
	for env, claim := range runnerVars {
		st.Env[env] = s.Issuer.Claim(claim)
	}
	st.Env["GITHUB_JOB"] = "deploy"
	st.Env["GITHUB_ACTION"] = "__org_oidc-aws-action"
	for k, v := range with {
		st.Env[inputs.EnvName(k)] = v
	}
	return st, nil
}

// Getenv reads the step's environment.
func (st *Step) Getenv(k string) string { return st.Env[k] }

// Environ is the step's environment as a process gets it, with PATH and HOME
// from ours so that the binary can run.
func (st *Step) Environ() []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	keys := make([]string, 0, len(st.Env))
	for k := range st.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+st.Env[k])
	}
	return env
}

// Results reads the step's files back the way the runner parses them.
type Results struct {
	Env     map[string]string
	Outputs map[string]string
	Summary string
}

// Read parses the step's GITHUB_ENV, GITHUB_OUTPUT and summary.
func (st *Step) Read() (*Results, error) {
	r := &Results{}
	for _, f := range []struct {
		path string
		dst  *map[string]string
	}{{st.EnvFile, &r.Env}, {st.OutputFile, &r.Outputs}} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, err
		}
		m, err := runnersim.ParseFileCommands(b)
		if err != nil {
			return nil, fmt.Errorf("the runner would reject %s: %w", filepath.Base(f.path), err)
		}
		*f.dst = m
	}
	b, err := os.ReadFile(st.SummaryFile)
	if err != nil {
		return nil, err
	}
	r.Summary = string(b)
	return r, nil
}

// Redact replaces every value of the named variables in text with a marker,
// for showing GITHUB_ENV in the demo without printing secrets.
func Redact(vars map[string]string, names ...string) map[string]string {
	out := make(map[string]string, len(vars))
	for k, v := range vars {
		out[k] = v
	}
	for _, n := range names {
		if v, ok := out[n]; ok && v != "" {
			out[n] = fmt.Sprintf("<%d chars, masked in the log>", len(v))
		}
	}
	return out
}

// SortedLines renders variables as NAME=VALUE lines, sorted.
func SortedLines(vars map[string]string) string {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, vars[k])
	}
	return b.String()
}
