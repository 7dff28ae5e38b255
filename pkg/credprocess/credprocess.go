// Package credprocess is the credential_process helper behind
// refresh-credentials: true. An AWS SDK or the AWS CLI runs it
// (`oidc-aws credential-process --role-to-assume … --aws-region …`) whenever
// it needs credentials; it answers from a cache in the job's directory while
// the cached credentials are fresh, and otherwise asks the runner for a new
// GitHub OIDC token, trades it at STS (and, with role chaining, assumes the
// chained role with the result), and prints the credentials in the
// credential_process JSON format.
//
// The runner's request token is read from the helper's own environment
// (later steps of a job with `permissions: id-token: write` have it) and is
// never written anywhere. Only the credentials go to the cache, in a 0600
// file. Many helpers starting together make one STS call: the first takes a
// file lock, the others wait for it and then find the cache fresh.
//
// The flags carry one role hop (pkg/rolehop), named after the action
// inputs they come from, and are checked by the rules those inputs follow.
package credprocess

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/idtoken"
	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/retry"
	"github.com/org/oidc-aws-action/pkg/rolehop"
	"github.com/org/oidc-aws-action/pkg/sessiontags"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// Command is the subcommand of the oidc-aws binary that runs the helper.
const Command = "credential-process"

// runTimeout bounds one helper run, lock wait included. aws-sdk-go-v2
// gives a credential process one minute; finishing sooner leaves the SDK
// room to report our error rather than its own timeout.
const runTimeout = 45 * time.Second

// Options wires the helper to its environment. The zero value is the real
// one: os.Getenv, os.Stdout and os.Stderr, real waits.
type Options struct {
	// Getenv reads ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN and the proxy and
	// endpoint variables.
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Transport carries the calls to the runner and to STS; nil means the
	// default (with proxy settings for STS).
	Transport http.RoundTripper
	// Sleep waits between attempts and while polling the lock.
	Sleep retry.Sleeper
	// Version goes into the User-Agent.
	Version string
	// Owner, when set, owns the cache files this run creates.
	Owner *FileOwner
	// BeforeNetwork, when set, runs before the helper's first network call.
	// The binary registers its compiled-in CA roots there: that costs more
	// than a whole answer from the cache, which needs none.
	BeforeNetwork func()

	// Now tells the time by which the cache's freshness is judged; nil
	// means time.Now. The shipped binary never sets it, from its
	// environment or otherwise: only tests do, which move it on, and the
	// test-only wrapper in pkg/internal/sdkrefresh, which runs the helper
	// on the sped-up clock of the SDK that starts it.
	Now func() time.Time

	// runTimeout and fallbackWait, when set, replace the constants of the
	// same names: the tests scale them down.
	runTimeout, fallbackWait time.Duration
}

func (o *Options) defaults() {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.runTimeout == 0 {
		o.runTimeout = runTimeout
	}
	if o.fallbackWait == 0 {
		o.fallbackWait = fallbackWait
	}
}

// The inputs a web-identity hop takes, and those a chained hop takes (as
// flags prefixed with chainPrefix). Their flags are --NAME VALUE.
var (
	sourceInputs = []string{inputs.RoleToAssume, inputs.AWSRegion, inputs.Audience, inputs.RoleSessionName,
		inputs.RoleDurationSeconds, inputs.InlineSessionPolicy, inputs.ManagedSessionPolicies,
		inputs.STSEndpoint, inputs.HTTPProxy, inputs.NoProxy, inputs.RetryMaxAttempts,
		inputs.AllowedAccountIDs, inputs.MaskAWSAccountID}
	chainInputs = []string{inputs.RoleToAssume, inputs.AWSRegion, inputs.RoleSessionName, inputs.RoleDurationSeconds,
		inputs.RoleExternalID, inputs.InlineSessionPolicy, inputs.ManagedSessionPolicies, inputs.STSEndpoint,
		inputs.AllowedAccountIDs, inputs.MaskAWSAccountID}
)

const (
	chainPrefix = "chain-"
	// flagTags carries the chained hop's session tags as the step built
	// them (a sessiontags.Set as JSON), so every refresh sends the same.
	flagTags = "chain-session-tags"
	// flagCacheDir overrides the cache's directory, which is otherwise the
	// one the helper's own executable is in: the per-job directory.
	flagCacheDir = "cache-dir"
)

// settings is one helper invocation, checked.
type settings struct {
	// hop is the hop whose credentials are printed; a chained hop's Source
	// is the web-identity hop it starts from.
	hop      rolehop.Hop
	cacheDir string
}

// Args are the helper's flags for a profile that gets h's credentials: a
// web-identity hop's, or a chained hop's after those of its Source. h's
// Endpoint should be the one the step resolved, so that every refresh
// goes where the step went.
func Args(h rolehop.Hop) []string {
	if h.Source == nil {
		return flagsOf("", sourceInputs, flagValues(h))
	}
	args := append(flagsOf("", sourceInputs, flagValues(*h.Source)), flagsOf(chainPrefix, chainInputs, flagValues(h))...)
	if len(h.Tags.Tags) > 0 {
		b, _ := json.Marshal(h.Tags) // strings only: cannot fail
		args = append(args, "--"+flagTags, string(b))
	}
	return args
}

// flagValues are h's settings by the name of the input each carries.
func flagValues(h rolehop.Hop) map[string]string {
	return map[string]string{
		inputs.RoleToAssume:           h.Role.ARN,
		inputs.AWSRegion:              h.Region,
		inputs.Audience:               h.Audience,
		inputs.RoleSessionName:        h.SessionName,
		inputs.RoleDurationSeconds:    itoaOrEmpty(int(h.Duration / time.Second)),
		inputs.RoleExternalID:         h.ExternalID,
		inputs.InlineSessionPolicy:    h.Policy,
		inputs.ManagedSessionPolicies: strings.Join(h.PolicyARNs, ","),
		inputs.STSEndpoint:            h.Endpoint,
		inputs.HTTPProxy:              h.HTTPProxy,
		inputs.NoProxy:                h.NoProxy,
		inputs.RetryMaxAttempts:       itoaOrEmpty(h.MaxAttempts),
		inputs.AllowedAccountIDs:      strings.Join(h.AllowedAccountIDs, ","),
		inputs.MaskAWSAccountID:       trueOrEmpty(h.MaskAccountID),
	}
}

// ParseArgs is the hop helper flags describe (a profile's, as
// ParseProfileCommand returns them), checked as the helper checks them.
func ParseArgs(args []string) (rolehop.Hop, error) {
	s, err := parse(args)
	if err != nil {
		return rolehop.Hop{}, &settingsError{err}
	}
	return s.hop, nil
}

// itoaOrEmpty leaves an unset number out of the flags. Only numbers: a
// string input may well be "0" (a region or session name the helper
// accepts), and must be written back as it is.
func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func trueOrEmpty(b bool) string {
	if b {
		return "true"
	}
	return ""
}

func flagsOf(prefix string, names []string, v map[string]string) []string {
	var args []string
	for _, n := range names {
		if v[n] != "" {
			args = append(args, "--"+prefix+n, v[n])
		}
	}
	return args
}

// parse reads the flags into the hop they describe, checked by the rules
// the step's inputs follow. Errors name the input a flag carries.
func parse(args []string) (*settings, error) {
	fs := flag.NewFlagSet(Command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	source := map[string]*string{}
	chain := map[string]*string{}
	for _, n := range sourceInputs {
		source[n] = fs.String(n, "", "")
	}
	for _, n := range chainInputs {
		chain[n] = fs.String(chainPrefix+n, "", "")
	}
	tags := fs.String(flagTags, "", "")
	cacheDir := fs.String(flagCacheDir, "", "")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("the command line is not one this helper takes: %s", workflow.Escape(err.Error()))
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", workflow.Escape(fs.Arg(0)))
	}
	src, err := rolehop.Read(lookup(source), false)
	if err != nil {
		return nil, err
	}
	s := &settings{hop: src, cacheDir: *cacheDir}
	if *chain[inputs.RoleToAssume] == "" {
		for n, p := range chain {
			if *p != "" {
				return nil, fmt.Errorf("--%s%s needs --%s%s", chainPrefix, n, chainPrefix, inputs.RoleToAssume)
			}
		}
		if *tags != "" {
			return nil, fmt.Errorf("--%s needs --%s%s", flagTags, chainPrefix, inputs.RoleToAssume)
		}
		return s, nil
	}
	chained := func(n string) string {
		// The chained call goes where the first did unless told otherwise.
		if v := lookup(chain)(n); v != "" || n != inputs.AWSRegion && n != inputs.STSEndpoint {
			return v
		}
		return *source[n]
	}
	ch, err := rolehop.Read(chained, true)
	if err != nil {
		return nil, fmt.Errorf("the chained role: %w", err)
	}
	// One helper run makes both calls, through one proxy, with one bound
	// on the attempts.
	ch.HTTPProxy, ch.NoProxy, ch.MaxAttempts = src.HTTPProxy, src.NoProxy, src.MaxAttempts
	if *tags != "" {
		if ch.Tags, err = sessiontags.ParseSet(*tags); err != nil {
			return nil, fmt.Errorf("--%s %w", flagTags, err)
		}
		// A set with no tags sends nothing, and Args writes none: read it
		// as the zero set, so the hop and its cache key survive the trip.
		if len(ch.Tags.Tags) == 0 {
			ch.Tags = sessiontags.Set{}
		}
	}
	ch.Source = &src
	s.hop = ch
	return s, nil
}

// lookup reads parsed flags by the input each carries; "" for one the
// hop's flags do not include, which then takes the input's default.
func lookup(flags map[string]*string) func(string) string {
	return func(name string) string {
		if p, ok := flags[name]; ok {
			return *p
		}
		return ""
	}
}

// cacheKey names the cache entry of a hop: profiles that ask for the same
// thing share it, and a chained profile's first hop shares the entry of
// the profile it was built from.
func cacheKey(h rolehop.Hop) string {
	sum := sha256.New()
	for _, p := range Args(h) {
		fmt.Fprintf(sum, "%d:%s\n", len(p), p)
	}
	return hex.EncodeToString(sum.Sum(nil))[:cacheKeyLen]
}

// cacheKeyLen is the length of a cache key, in hex digits.
const cacheKeyLen = 24

// Output is the credential_process answer.
type Output struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

// Run runs the helper with args (after the subcommand) and returns the
// process exit code. Errors go to Stderr in plain words, which SDKs show to
// the user; nothing secret is ever in them.
func Run(ctx context.Context, args []string, o Options) int {
	o.defaults()
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(o.Stdout, usage)
		return 0
	}
	s, err := parse(args)
	if err != nil {
		report(o.Stderr, &settingsError{err})
		return 1
	}
	c, err := Credentials(ctx, s.hop, s.cacheDir, o)
	if err != nil {
		report(o.Stderr, err)
		return 1
	}
	out := Output{Version: 1, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken,
		Expiration: c.Expiration.UTC().Format(time.RFC3339)}
	if err := json.NewEncoder(o.Stdout).Encode(out); err != nil {
		report(o.Stderr, fmt.Errorf("could not write the credentials: %w", err))
		return 1
	}
	return 0
}

const usage = `oidc-aws credential-process: AWS credentials for an SDK or the AWS CLI, from
the job's GitHub OIDC token, refreshed as they expire.

The oidc-aws-action step writes this command into an AWS config profile
(credential_process) when it runs with refresh-credentials: true; it is not
meant to be run by hand. Its flags carry the step's inputs:
  --role-to-assume ARN --aws-region REGION [--audience A] [--role-session-name N]
  [--role-duration-seconds S] [--inline-session-policy JSON]
  [--managed-session-policies ARN,ARN] [--sts-endpoint URL] [--http-proxy URL]
  [--no-proxy HOSTS] [--retry-max-attempts N]
  [--allowed-account-ids ID,ID] [--mask-aws-account-id true]
and for role chaining the chained role's, prefixed with chain-:
  --chain-role-to-assume ARN [--chain-aws-region R] [--chain-sts-endpoint URL]
  [--chain-role-session-name N]
  [--chain-role-duration-seconds S] [--chain-role-external-id ID]
  [--chain-inline-session-policy JSON] [--chain-managed-session-policies ARNS]
  [--chain-session-tags JSON] [--chain-allowed-account-ids ID,ID]
  [--chain-mask-aws-account-id true]
  [--cache-dir DIR]   (default: the directory of this executable)

It needs ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN in
its environment, which the runner sets for jobs with
permissions: id-token: write.
`

// Credentials returns fresh credentials for h: from the cache in cacheDir
// ("" means the helper executable's directory) when they are fresh there,
// otherwise from STS (storing them in the cache). The action's step uses
// it for the first hop of a refreshable role chain, so the step and the
// helper share one cache.
func Credentials(ctx context.Context, h rolehop.Hop, cacheDir string, o Options) (stsexchange.Credentials, error) {
	o.defaults()
	if cacheDir == "" {
		exe, err := os.Executable()
		if err != nil {
			return stsexchange.Credentials{}, fmt.Errorf("could not find the helper's own directory, where its cache lives: %w", err)
		}
		cacheDir = filepath.Dir(exe)
	}
	ctx, cancel := context.WithTimeout(ctx, o.runTimeout)
	defer cancel()
	owner := o.Owner
	if owner == nil && os.Geteuid() == 0 {
		// Root (sudo -E aws, or a container step that runs the profile)
		// must not leave files that the runner's user, who runs every other
		// helper, cannot lock or replace: they go to the directory's owner.
		owner = dirOwner(cacheDir)
	}
	c := &helper{o: o, hop: h, cache: &cache{dir: cacheDir, sleep: o.Sleep, owner: owner}}
	return c.get(ctx)
}

// settingsError is a command line the helper cannot use: the profile was
// written by another version, or edited by hand.
type settingsError struct{ err error }

func (e *settingsError) Error() string {
	return "the profile's credential_process settings are invalid: " + e.err.Error()
}
func (e *settingsError) Unwrap() error { return e.err }
func (e *settingsError) Fix() string {
	return "let the oidc-aws-action step with refresh-credentials: true write the profile again, rather than editing it"
}

// report prints err for the user of the SDK or CLI that ran the helper:
// one line that says what went wrong, then "Fix:" and the fix its cause
// carries, if any, each line neutralised so that nothing from outside can
// start a workflow command in the step's log. This is the helper's only
// place that prints "Fix:".
func report(w io.Writer, err error) {
	msg, fix := err.Error(), ""
	var f interface{ Fix() string }
	if errors.As(err, &f) {
		fix = f.Fix()
	}
	if errors.Is(err, idtoken.ErrNoTokenPermission) {
		// idtoken's own words are for the action's step; an SDK's user may
		// have dropped the variables on the way (sudo, env -i).
		msg = "this step cannot get a GitHub OIDC token: " + idtoken.EnvRequestURL + " and " + idtoken.EnvRequestToken + " are not in its environment"
		fix = "add `permissions: id-token: write` to the job (or the workflow); if the command runs under sudo, env -i or in a container, pass those two variables through to it"
	}
	// Escape keeps each to one line whatever a cause's text holds.
	io.WriteString(w, workflow.Neutralize("oidc-aws credential-process: "+workflow.Escape(msg))+"\n")
	if fix != "" {
		io.WriteString(w, workflow.Neutralize("Fix: "+workflow.Escape(fix))+"\n")
	}
}
