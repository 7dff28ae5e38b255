// Package action runs the action: validate inputs, get a GitHub OIDC token,
// trade it at STS for role credentials, and hand them to later steps.
//
// Order matters for safety. Inputs are checked before any network call; the
// token and every credential part are masked the moment they exist, before
// anything could print them; values are checked before they reach
// GITHUB_ENV; and credentials for an account outside allowed-account-ids are
// never exported.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/diagnose"
	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/jobfiles"
	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/rolehop"
	"github.com/org/oidc-aws-action/pkg/sessiontags"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// Options wires the action to its environment. The zero value is the real
// runner: os.Getenv, os.Stdout, the wall clock.
type Options struct {
	Getenv  func(string) string
	Stdout  io.Writer
	Now     func() time.Time
	Version string
	// Transport carries calls to the runner and to STS; nil means the
	// default transport (with proxy settings for STS).
	Transport http.RoundTripper
	// Sleep waits between attempts; nil means a real wait.
	Sleep retry.Sleeper
	// Backoff between STS attempts after transient failures, and
	// ThrottleBackoff after throttling; zero values mean the defaults below.
	Backoff         retry.Backoff
	ThrottleBackoff retry.Backoff
}

// Exit codes.
const (
	ExitOK     = 0
	ExitFailed = 1
)

// stage names where a run failed, as shown to the user.
type stage string

// The stages of a run.
const (
	stageInputs stage = "validation"
	stageToken  stage = "token request"
	stageSTS    stage = "STS call"
	stageExport stage = "export"
)

// stageError is a failed run: the stage and the cause. This is the one place
// that names the stage; the cause says only what was wrong, and its fix is
// kept apart (see fixOf) and printed once, by reportFailure.
type stageError struct {
	stage stage
	Err   error
}

func (f *stageError) Error() string { return fmt.Sprintf("%s failed: %s", f.stage, f.Err) }
func (f *stageError) Unwrap() error { return f.Err }

// fixOf finds the fix a cause carries: every package's errors that know
// one (a token or STS error, STS's from the one code-to-hint table in
// stsexchange, or this package's own) give it by a Fix method. "" when
// there is none.
func fixOf(err error) string {
	var f interface{ Fix() string }
	if errors.As(err, &f) {
		return f.Fix()
	}
	return ""
}

// DefaultBackoff and DefaultThrottleBackoff are the retry shapes for STS,
// both full jitter. A blip (5xx, a dropped connection) should cost little.
// Throttling is different: it hits a whole job matrix at once, and waits
// that start short just send the matrix back into the limit, so it starts
// longer and caps lower. The load test in pkg/internal/reliability
// (TestLoad, and TestLoadRetryShape to try another shape) measures both;
// CONTRIBUTING's "A job matrix under throttling" has its figures.
var (
	DefaultBackoff         = retry.Backoff{Base: time.Second, Cap: 20 * time.Second}
	DefaultThrottleBackoff = retry.Backoff{Base: 3 * time.Second, Cap: 8 * time.Second}
)

// credential variables this action owns in the job's environment.
var credentialVars = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"}

// Run runs the action once and returns the process exit code.
func Run(ctx context.Context, o Options) int {
	o.defaults()
	r := workflow.New(o.Stdout, o.Getenv)
	accounts := newAccountMask(r, o.Getenv)
	if w := jobfiles.IgnoredState(o.Getenv); w != "" {
		r.Warningf("%s", w)
	}
	// First of all, before anything can fail: the post step gets this
	// step's state, empty until it wrote something.
	if o.Getenv("GITHUB_STATE") != "" {
		if err := jobfiles.BeginState(r); err != nil {
			reportFailure(r, &stageError{stage: stageInputs, Err: err})
			return ExitFailed
		}
	}
	if err := run(ctx, r, o, accounts); err != nil {
		if cause := context.Cause(ctx); cause != nil {
			// Stopped from outside (main cancels ctx on SIGTERM and
			// SIGINT): say that, not what the interrupted call made of it.
			err = &stageError{stage: stageOf(err), Err: cause}
		}
		accounts.failure(err)
		reportFailure(r, err)
		return ExitFailed
	}
	return ExitOK
}

func (o *Options) defaults() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	if o.Backoff.Base == 0 {
		o.Backoff = DefaultBackoff
	}
	if o.ThrottleBackoff.Base == 0 {
		o.ThrottleBackoff = DefaultThrottleBackoff
	}
	if o.Version == "" {
		o.Version = "dev"
	}
}

// errDeadline ends the run when action-timeout-s passes.
var errDeadline = errors.New("the step's deadline (action-timeout-s) passed")

// stageOf is the stage a run failed in.
func stageOf(err error) stage {
	var f *stageError
	if errors.As(err, &f) {
		return f.stage
	}
	return stageInputs
}

// run is one action run; every error it returns is a *stageError. It checks
// everything first (the inputs, then what they name), then leaves its first
// traces (cleared credentials, the region), then trades the job's token, or
// with role chaining the credentials it starts from, for new credentials.
func run(ctx context.Context, r *workflow.Runner, o Options, accounts *accountMask) error {
	in, err := loadInputs(r, o.Getenv)
	if err != nil {
		return &stageError{stage: stageInputs, Err: err}
	}
	// The deadline covers everything from here, reading the input files
	// included.
	if in.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, in.Timeout, errDeadline)
		defer cancel()
	}
	x, err := prepare(ctx, r, o, in, accounts)
	if err != nil {
		return &stageError{stage: stageInputs, Err: err}
	}
	if err := x.exportFirst(); err != nil {
		return &stageError{stage: stageExport, Err: err}
	}
	if in.RoleChaining {
		return x.chainFromSource(ctx)
	}
	return x.fromToken(ctx)
}

// loadInputs validates the inputs, and that the step has somewhere to put
// its results, and shows the warnings about ignored inputs.
func loadInputs(r *workflow.Runner, getenv func(string) string) (*inputs.Inputs, error) {
	in, err := inputs.Load(getenv)
	if err != nil {
		return nil, err
	}
	if err := checkRunnerFiles(getenv, in); err != nil {
		return nil, err
	}
	for _, w := range in.Warnings {
		r.Warningf("%s", w)
	}
	return in, nil
}

// prepare checks what the inputs name, before this step leaves any trace:
// where a profile goes, the credentials a chain starts from, the
// trust-policy file, and the STS endpoint and proxy settings (the client
// reads those from the environment too).
func prepare(ctx context.Context, r *workflow.Runner, o Options, in *inputs.Inputs, accounts *accountMask) (*exchange, error) {
	x := &exchange{r: r, o: o, in: in, hop: rolehop.FromInputs(in)}
	var err error
	if in.Profile != "" || in.RefreshCredentials {
		if x.profile, err = jobfiles.Plan(o.Getenv, in); err != nil {
			return nil, err
		}
	}
	switch {
	case in.RoleChaining && in.RefreshCredentials:
		if x.hop.Source, err = x.profile.RefreshSource(o.Getenv); err != nil {
			return nil, err
		}
	case in.RoleChaining:
		if x.source, err = envCredentials(o.Getenv); err != nil {
			return nil, err
		}
		r.Mask(x.source.SecretAccessKey)
		r.Mask(x.source.SessionToken)
	}
	if in.TrustPolicyFile != "" {
		if x.trust, err = loadTrustPolicy(ctx, in.TrustPolicyFile); err != nil {
			return nil, err
		}
		accounts.in(x.trust.text)
	}
	if err := x.provide(); err != nil {
		return nil, err
	}
	return x, nil
}

// provide makes the run's provider: web identity, or with role chaining
// the chained hop's, which sends the run's session tags. Making one checks
// where its calls go (endpoint and proxy) without making any.
func (x *exchange) provide() error {
	in, o := x.in, x.o
	if in.RoleChaining && !in.SkipSessionTagging {
		x.hop.Tags = sessiontags.Build(o.Getenv, in.CustomTags, in.TransitiveTagKeys)
	}
	po := rolehop.Options{
		Getenv: o.Getenv, Transport: o.Transport, Version: o.Version, Sleep: o.Sleep, Now: o.Now,
		Backoff: o.Backoff, ThrottleBackoff: o.ThrottleBackoff,
		OnRetry: func(e *stsexchange.Error, attempt int) {
			x.r.Infof("STS attempt %d failed (%s); retrying", attempt, display.LogQuote(firstNonEmpty(e.Code, "network error")))
		},
	}
	var err error
	if in.RoleChaining {
		x.chained, err = rolehop.NewAssumeRole(x.hop, po)
	} else if x.web, err = rolehop.NewWebIdentity(x.hop, po); err == nil {
		x.web.TokenFile, x.web.OnToken = in.TokenFile, x.onToken
	}
	return err
}

// sent is the hop as its provider calls STS: with the endpoint it
// resolved and the session tags its last call sent.
func (x *exchange) sent() rolehop.Hop {
	if x.chained != nil {
		return x.chained.Hop()
	}
	return x.web.Hop()
}

// exportFirst clears the credentials earlier steps left, when asked, and
// exports the region first, as configure-aws-credentials does: later steps
// get it even when this one fails. Not for a profile without the
// variables: AWS_REGION would override the region of every profile in the
// job.
func (x *exchange) exportFirst() error {
	if x.in.UnsetCurrentCreds {
		for _, k := range credentialVars {
			if err := x.r.SetEnv(k, ""); err != nil {
				return err
			}
		}
	}
	// As in configure-aws-credentials (exportRegion), output-env-credentials:
	// false leaves the region out too: it would override a profile's region,
	// and the input says it covers AWS_REGION.
	if !x.in.OutputEnvCredentials {
		return nil
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if err := x.r.SetEnv(k, x.in.Region); err != nil {
			return err
		}
	}
	return nil
}

// refreshedSource gets the first hop's credentials through the helper's
// cache (jobfiles.Target.RefreshedSource), and masks them.
func (x *exchange) refreshedSource(ctx context.Context) (stsexchange.Credentials, error) {
	c, err := x.profile.RefreshedSource(ctx, *x.hop.Source, jobfiles.HelperOptions{
		Getenv: x.o.Getenv, Transport: x.o.Transport, Sleep: x.o.Sleep, Version: x.o.Version,
	})
	var dirErr *jobfiles.DirError
	switch {
	case errors.As(err, &dirErr):
		return c, &stageError{stage: stageExport, Err: err}
	case err != nil:
		return c, &stageError{stage: stageSTS, Err: fmt.Errorf("the first role's credentials, for the chain: %w", err)}
	}
	x.r.Mask(c.AccessKeyID)
	x.r.Mask(c.SecretAccessKey)
	x.r.Mask(c.SessionToken)
	return c, nil
}

// chainFromSource assumes the role with the credentials the chain starts
// from: the environment's, or fresh ones from a refreshable profile.
func (x *exchange) chainFromSource(ctx context.Context) error {
	if x.hop.Source != nil {
		source, err := x.refreshedSource(ctx)
		if err != nil {
			return err
		}
		x.source = source
	}
	return x.chain(ctx, x.source)
}

// fromToken gets the job's token (onToken shows its claims and the trust
// policy's verdict on it when asked), and trades it at STS.
func (x *exchange) fromToken(ctx context.Context) error {
	if _, err := x.web.Token(ctx); err != nil {
		return x.failed(err)
	}
	if x.in.DebugClaims && x.in.Role.IsZero() {
		x.r.Infof("debug-claims: no role-to-assume given, so only the claims were printed.")
		return nil
	}
	x.r.Infof("Assuming %s with a GitHub OIDC token (subject %s) via %s", displayARN(x.in), display.LogQuote(x.claims.Subject), x.sent().Endpoint)
	res, err := x.web.Retrieve(ctx)
	if err != nil {
		return x.failed(err)
	}
	if x.policy != nil && !x.policy.allowed {
		x.r.Warningf("The trust-policy file denied this token but STS allowed it: %s may not be the role's real trust policy.", display.LogQuote(x.in.TrustPolicyFile))
	}
	return x.finish(res)
}

// onToken sees every token first: it masks it before anything else can
// happen with it, and keeps its claims for the failure diagnosis. The
// first token's claims are shown when asked, and judged by the trust
// policy before STS sees them.
func (x *exchange) onToken(token string, c *claims.Claims) error {
	x.r.Mask(token)
	if c == nil {
		return nil
	}
	first := x.claims == nil
	x.claims = c
	if !first {
		return nil
	}
	if x.in.DebugClaims {
		showClaims(x.r, c)
	}
	if x.trust != nil && !x.in.Role.IsZero() {
		x.trust.report(x.r, c, x.in.SessionName)
		x.policy = x.trust
	}
	return nil
}

// checkRunnerFiles fails early, before a token is spent, when the step has
// nowhere to put its results.
func checkRunnerFiles(getenv func(string) string, in *inputs.Inputs) error {
	need := []string{"GITHUB_ENV"}
	if !in.Role.IsZero() {
		need = append(need, "GITHUB_OUTPUT")
	}
	for _, k := range need {
		if getenv(k) == "" {
			return display.Fixed(
				k+" is not set, so the step has nowhere to put its results",
				"run this as a GitHub Actions step, or by hand set GITHUB_ENV and GITHUB_OUTPUT to files (the README's \"Trying the action by hand\")",
			)
		}
	}
	return nil
}

func envCredentials(getenv func(string) string) (stsexchange.Credentials, error) {
	c := stsexchange.Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
	}
	if c.AccessKeyID != "" && c.SecretAccessKey != "" {
		return c, nil
	}
	if name := getenv("AWS_PROFILE"); name != "" {
		return jobfiles.ProfileCredentials(getenv, name)
	}
	return c, display.Fixed(
		fmt.Sprintf("input %q: true needs AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile with keys)", inputs.RoleChaining),
		"run this action once without role-chaining in an earlier step",
	)
}

// exchange holds the state of one run's token and STS calls.
type exchange struct {
	r  *workflow.Runner
	o  Options
	in *inputs.Inputs
	// hop is this run's role hop as its inputs describe it (with, for a
	// refreshable chain, the source profile's hop), and web or chained (by
	// role-chaining) its provider.
	hop     rolehop.Hop
	web     *rolehop.WebIdentity
	chained *rolehop.AssumeRole
	// claims are the last token's, nil until there is one.
	claims *claims.Claims
	// trust is the trust-policy input, loaded before any network call;
	// policy is the same once it has judged the token (nil until then).
	trust  *trustCheck
	policy *trustCheck
	// source is what a chain starts from (the environment's credentials,
	// or a refreshable profile's).
	source stsexchange.Credentials
	// profile is where aws-profile goes; nil without one.
	profile *jobfiles.Target
}

func (x *exchange) chain(ctx context.Context, source stsexchange.Credentials) error {
	in := x.in
	x.r.Infof("Assuming %s with the credentials already in the environment (role chaining) via %s", displayARN(in), x.sent().Endpoint)
	if !in.SkipSessionTagging {
		x.r.Infof("Session tags: %s", strings.Join(x.hop.Tags.Keys(), ", "))
	}
	x.chained.Source = source
	x.chained.OnDropTags = func(kept sessiontags.Set) {
		x.r.Infof("STS found the session tags and policies too large; retrying with only: %s", strings.Join(kept.Keys(), ", "))
	}
	res, err := x.chained.Retrieve(ctx)
	if err != nil {
		return x.failed(err)
	}
	return x.finish(res)
}

// failed names the stage a provider's error belongs to; every error it
// returns is a *stageError.
func (x *exchange) failed(err error) error {
	var te *rolehop.TokenError
	var ce *rolehop.CallError
	switch {
	case errors.As(err, &te):
		return &stageError{stage: stageToken, Err: te.Err}
	case errors.As(err, &ce):
		return x.stsFailure(ce.Err, ce.Attempts)
	}
	return &stageError{stage: stageSTS, Err: err}
}

// finish masks, checks and exports the credentials.
func (x *exchange) finish(res *stsexchange.Result) error {
	r, in := x.r, x.in
	cr := res.Credentials
	r.Mask(cr.AccessKeyID)
	r.Mask(cr.SecretAccessKey)
	r.Mask(cr.SessionToken)

	account := stsexchange.AccountFromARN(res.AssumedRoleARN)
	if in.MaskAccountID {
		r.Mask(account)
		r.Mask(in.Role.ARN)
		r.Mask(res.AssumedRoleARN)
	}
	if err := in.CheckAccount(account); err != nil {
		return &stageError{stage: stageExport, Err: fmt.Errorf("%w; nothing was exported", err)}
	}
	expiration := ""
	if !cr.Expiration.IsZero() {
		expiration = cr.Expiration.UTC().Format(time.RFC3339)
	}
	var env, out [][2]string
	if in.OutputEnvCredentials {
		env = append(env,
			[2]string{"AWS_ACCESS_KEY_ID", cr.AccessKeyID},
			[2]string{"AWS_SECRET_ACCESS_KEY", cr.SecretAccessKey},
			[2]string{"AWS_SESSION_TOKEN", cr.SessionToken},
			[2]string{"AWS_CREDENTIAL_EXPIRATION", expiration})
	}
	out = append(out, [2]string{"aws-account-id", account}, [2]string{"authenticated-arn", res.AssumedRoleARN})
	if in.OutputCredentials {
		out = append(out,
			[2]string{"aws-access-key-id", cr.AccessKeyID},
			[2]string{"aws-secret-access-key", cr.SecretAccessKey},
			[2]string{"aws-session-token", cr.SessionToken},
			[2]string{"aws-expiration", expiration})
	}
	// Check every value before writing any, so a bad one cannot leave half
	// a set of credentials behind.
	for _, kv := range append(slices.Clone(env), out...) {
		if err := workflow.CheckValue(kv[1]); err != nil {
			return &stageError{stage: stageExport, Err: fmt.Errorf("STS's answer for %s cannot be exported: %w", kv[0], err)}
		}
	}
	switch {
	case in.RefreshCredentials:
		if err := x.profile.WriteRefreshable(r, x.o.Getenv, in, x.sent(), cr, x.o.Now()); err != nil {
			return &stageError{stage: stageExport, Err: err}
		}
	case x.profile != nil:
		if err := x.profile.WriteKeys(r, in, cr); err != nil {
			return &stageError{stage: stageExport, Err: err}
		}
	}
	for _, kv := range env {
		if err := r.SetEnv(kv[0], kv[1]); err != nil {
			return &stageError{stage: stageExport, Err: err}
		}
	}
	for _, kv := range out {
		if err := r.SetOutput(kv[0], kv[1]); err != nil {
			return &stageError{stage: stageExport, Err: err}
		}
	}
	shownAccount := account
	if in.MaskAccountID {
		shownAccount = "(masked)"
	}
	r.Infof("Assumed %s: account %s, credentials expire %s", displayARN(in), firstNonEmpty(shownAccount, "(none)"), firstNonEmpty(expiration, "(not given)"))
	if err := r.Summary(successSummary(in, shownAccount, expiration, x.claims)); err != nil {
		r.Warningf("%s", err)
	}
	return nil
}

func (x *exchange) stsFailure(serr *stsexchange.Error, attempts int) error {
	f := &stsFailure{STS: serr, Attempts: attempts, Claims: x.claims, Role: x.in.Role}
	if x.policy != nil {
		f.PolicyFile, f.PolicyAllowed = x.in.TrustPolicyFile, x.policy.allowed
	}
	return &stageError{stage: stageSTS, Err: f}
}

// stsFailure carries what the failure report shows beyond the STS error.
type stsFailure struct {
	STS           *stsexchange.Error
	Attempts      int
	Claims        *claims.Claims
	Role          inputs.Role
	PolicyFile    string
	PolicyAllowed bool
}

func (f *stsFailure) Error() string { return f.STS.Error() }
func (f *stsFailure) Unwrap() error { return f.STS }

// reportFailure prints a failed run as one error annotation: the stage and
// what was wrong (err's text), then "Fix:" and the fix, if one is known.
// This is the only place that prints "Fix:".
func reportFailure(r *workflow.Runner, err error) {
	fix := fixOf(err)
	var sf *stsFailure
	if errors.As(err, &sf) {
		reportSTSFailure(r, sf)
		if sf.Claims != nil {
			// The table's hints are issuer-neutral; name this token's keys.
			fix = strings.ReplaceAll(fix, "ISSUER:", sf.Claims.IssuerHost()+":")
		}
	}
	msg := err.Error()
	if fix != "" {
		msg += "\nFix: " + fix
	}
	r.Errorf("%s", msg)
}

// reportSTSFailure prints the diagnosis of a failed STS call, before the
// error annotation. Only an answer with an AWS error code is a refusal
// worth diagnosing; a call that did not complete, or a 200 answer that was
// malformed or hostile, is no refusal, and the error annotation alone says
// what was wrong (with the attempts, when there were several).
func reportSTSFailure(r *workflow.Runner, f *stsFailure) {
	e := f.STS
	if e.Code == "" {
		if f.Attempts > 1 {
			r.Infof("STS %s: %d attempts", e.Op, f.Attempts)
		}
		return
	}
	r.Group("Why STS refused: diagnosis")
	r.Infof("stage:      STS %s", e.Op)
	r.Infof("error code: %s", e.Code)
	if e.Message != "" {
		r.Infof("message:    %s", display.LogQuote(e.Message))
	}
	if e.RequestID != "" {
		r.Infof("request ID: %s", workflow.Escape(e.RequestID))
	}
	if f.Attempts > 1 {
		r.Infof("attempts:   %d", f.Attempts)
	}
	// The token and trust-policy advice only helps when AWS judged the
	// token; after retries of a transient failure it is noise.
	judged := e.Class != stsexchange.Transient && e.Class != stsexchange.Throttled
	if c := f.Claims; c != nil && e.Code != "" && judged {
		host := c.IssuerHost()
		r.Infof("")
		r.Infof("The token (claims unverified) that the role's trust policy must allow:")
		r.Infof("  %s:sub = %s", host, display.LogQuote(c.Subject))
		r.Infof("  %s:aud = %s", host, display.LogQuote(strings.Join(c.Audience, ",")))
		r.Infof("  iss = %s (provider %s)", display.LogQuote(c.Issuer), diagnose.ProviderARN(c, f.Role.Partition, f.Role.Account))
		findings := diagnose.Explain(diagnose.Input{Claims: c, Code: e.Code, Message: e.Message, Account: f.Role.Account, Partition: f.Role.Partition})
		if len(findings) > 0 {
			r.Infof("")
			r.Infof("Likely causes:")
			for _, fd := range findings {
				r.Infof("  - %s", workflow.Escape(fd.Text))
			}
		}
		if e.Code == "AccessDenied" || e.Code == "InvalidIdentityToken" {
			r.Infof("")
			r.Infof("A trust-policy Condition that admits exactly this job:")
			r.Lines(diagnose.Condition(c))
		}
		if f.PolicyFile != "" && f.PolicyAllowed && e.Code == "AccessDenied" {
			r.Infof("")
			r.Infof("Note: the trust-policy file %s allows this token but STS refused it: the file may not be the role's real trust policy (compare with `aws iam get-role`).", display.LogQuote(f.PolicyFile))
		}
	}
	r.EndGroup()
}

func displayARN(in *inputs.Inputs) string {
	if in.MaskAccountID {
		return "the role"
	}
	return in.Role.ARN
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
