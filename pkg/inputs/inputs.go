package inputs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/awsprofile"
	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/sessiontags"
)

// Inputs holds the validated inputs of one action run.
type Inputs struct {
	Role                   Role // zero when debug-claims runs without a role
	Region                 string
	Audience               string
	SessionName            string
	Duration               time.Duration
	InlineSessionPolicy    string // compacted JSON, "" when unset
	ManagedSessionPolicies []string
	RoleChaining           bool
	ExternalID             string
	SkipSessionTagging     bool
	TransitiveTagKeys      []string
	CustomTags             []sessiontags.Tag
	TokenFile              string // resolved against GITHUB_WORKSPACE, "" when unset
	STSEndpoint            string
	HTTPProxy              string
	NoProxy                string
	OutputEnvCredentials   bool
	Profile                string // aws-profile, "" when unset
	RefreshCredentials     bool   // the profile (Profile, or "default") gets a renewing credential_process, not keys
	OverwriteProfile       bool
	OutputCredentials      bool
	MaskAccountID          bool
	UnsetCurrentCreds      bool
	AllowedAccountIDs      []string
	MaxAttempts            int
	Timeout                time.Duration // 0 = none
	DebugClaims            bool
	TrustPolicyFile        string // resolved against GITHUB_WORKSPACE, "" when unset
	// Warnings are about inputs that are ignored; the run goes on.
	Warnings []string
}

// Role is role-to-assume, parsed once here so that every later use (the
// STS call, the allowed-account-ids check, the provider ARN in a diagnosis)
// agrees on its parts: arn:PARTITION:iam::ACCOUNT:role/PATH/NAME.
type Role struct {
	ARN       string // the whole ARN as given, white space trimmed
	Partition string // aws, aws-cn, aws-us-gov, … (minio for MinIO)
	// Account is "" for STS-compatible servers that leave it out, such as
	// MinIO's arn:minio:iam:::role/NAME.
	Account string
	Path    string // "/" or "/a/b/"
	Name    string
}

// IsZero reports whether no role was given.
func (r Role) IsZero() bool { return r.ARN == "" }

// invalidInputs lists every invalid input of a run, so that one failed run
// shows all there is to fix.
type invalidInputs struct {
	Problems []*invalidInput
}

func (e *invalidInputs) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d inputs are invalid:", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// invalidInput is one invalid input.
type invalidInput struct {
	Input  string
	Reason string
}

func (e *invalidInput) Error() string {
	return fmt.Sprintf("input %q: %s", e.Input, e.Reason)
}

// maxInlinePolicyChars is STS's limit on the plaintext of a session policy.
const maxInlinePolicyChars = 2048

// maxManagedPolicies is STS's limit on PolicyArns.
const maxManagedPolicies = 10

// Lengths are checked apart from the patterns: RE2 compiles a counted
// repetition such as {1,512} into one state per count, at every start of
// the binary, and the ARN patterns written that way were a noticeable share of
// a run's start-up (GODEBUG=inittrace=1 shows it).
var (
	// Any partition, and STS-compatible servers (MinIO's arn:minio:iam:::role/NAME)
	// that leave the account empty. Groups: partition, account, and path
	// with name.
	roleARNRe    = regexp.MustCompile(`^arn:([a-z][a-z0-9-]*):iam::(\d{12})?:role/([\w+=,.@/-]+)$`)
	policyARNRe  = regexp.MustCompile(`^arn:([a-z][a-z0-9-]*):iam::(?:\d{12}|aws):policy/([\w+=,.@/-]+)$`)
	regionRe     = regexp.MustCompile(`^[a-z0-9-]+$`)
	sessionRe    = regexp.MustCompile(`^[\w+=,.@-]+$`)
	externalIDRe = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	accountRe    = regexp.MustCompile(`^\d{12}$`)
	audienceRe   = regexp.MustCompile(`^[\x21-\x7e]+$`)
)

func validRoleARN(s string) bool   { _, ok := parseRoleARN(s); return ok }
func validPolicyARN(s string) bool { return arnWithin(policyARNRe, s) }
func validRegion(s string) bool    { return len(s) <= 64 && regionRe.MatchString(s) }
func validSession(s string) bool   { return len(s) >= 2 && len(s) <= 64 && sessionRe.MatchString(s) }
func validAudience(s string) bool  { return len(s) <= 256 && audienceRe.MatchString(s) }
func validExternalID(s string) bool {
	return len(s) >= 2 && len(s) <= 1224 && externalIDRe.MatchString(s)
}

// parseRoleARN splits a role ARN into its parts; the path is everything
// between "role/" and the last slash.
func parseRoleARN(s string) (Role, bool) {
	m := roleARNRe.FindStringSubmatch(s)
	if m == nil || len(m[1]) > 63 || len(m[3]) > 512 {
		return Role{}, false
	}
	i := strings.LastIndexByte(m[3], '/')
	return Role{ARN: s, Partition: m[1], Account: m[2], Path: "/" + m[3][:i+1], Name: m[3][i+1:]}, true
}

// arnWithin matches an ARN pattern whose groups are the partition (at most
// 63 characters) and the path and name (at most 512).
func arnWithin(re *regexp.Regexp, s string) bool {
	m := re.FindStringSubmatch(s)
	return m != nil && len(m[1]) <= 63 && len(m[2]) <= 512
}

// Load reads and validates every input. getenv is os.Getenv in production;
// Relative file paths are resolved against GITHUB_WORKSPACE, where the runner
// mounts the repository. Every step below records its problems and goes on,
// so that one failed run lists all there is to fix.
func Load(getenv func(string) string) (*Inputs, error) {
	r := &reader{getenv: getenv, get: func(name string) string { return getenv(EnvName(name)) }}
	in := &Inputs{DebugClaims: r.boolean(DebugClaims)}
	in.Role = r.role(in.DebugClaims)
	r.session(in)
	r.chaining(in)
	r.files(in)
	r.network(in)
	r.outputs(in)
	in.AllowedAccountIDs = r.accounts(in.Role, in.MaskAccountID)
	r.limits(in)
	in.Warnings = r.unsupported()
	if len(r.problems) > 0 {
		return nil, &invalidInputs{Problems: r.problems}
	}
	return in, nil
}

// ReadHop reads and checks the inputs one role hop is made of, given by
// name (the credential helper's flags carry them), by the rules Load
// applies to the same inputs: the helper sits at a process boundary and
// checks what it is given. chained is a hop that assumes its role with an
// earlier hop's credentials (AssumeRole), the only kind that takes an
// external ID. Inputs that are not given take their defaults, as in Load.
func ReadHop(get func(name string) string, chained bool) (*Inputs, error) {
	r := &reader{getenv: func(string) string { return "" }, get: get}
	in := &Inputs{RoleChaining: chained}
	in.Role = r.role(false)
	r.session(in)
	r.externalID(in)
	r.network(in)
	in.MaskAccountID = r.boolean(MaskAWSAccountID)
	in.AllowedAccountIDs = r.accounts(in.Role, in.MaskAccountID)
	r.limits(in)
	if len(r.problems) > 0 {
		return nil, &invalidInputs{Problems: r.problems}
	}
	return in, nil
}

// session reads what the STS request asks for: the region it goes to, the
// token's audience, and the session's name, lifetime and policies.
func (r *reader) session(in *Inputs) {
	in.Region = r.str(AWSRegion)
	switch {
	case in.Region == "":
		r.fail(AWSRegion, "is required, e.g. aws-region: us-east-1")
	case !validRegion(in.Region):
		r.fail(AWSRegion, fmt.Sprintf("%s is not a region name; want lower-case letters, digits and hyphens, e.g. us-east-1", display.QuoteCut(in.Region, maxShown)))
	}
	in.Audience = r.str(Audience)
	if !validAudience(in.Audience) {
		r.fail(Audience, fmt.Sprintf("%s is not a valid audience; want 1-256 printable characters without spaces, e.g. sts.amazonaws.com", display.QuoteCut(in.Audience, maxShown)))
	}
	in.SessionName = r.str(RoleSessionName)
	if !validSession(in.SessionName) {
		r.fail(RoleSessionName, fmt.Sprintf("%s is not a valid session name; want 2-64 characters of letters, digits and +=,.@_-", display.QuoteCut(in.SessionName, maxShown)))
	}
	if secs, ok := r.integer(RoleDurationSeconds, 900, 43200); ok {
		in.Duration = time.Duration(secs) * time.Second
	}
	in.InlineSessionPolicy = r.policy()
	in.ManagedSessionPolicies = r.policyARNs()
}

// chaining reads role-chaining and what only a chained AssumeRole sends: an
// external ID and session tags.
func (r *reader) chaining(in *Inputs) {
	in.RoleChaining = r.boolean(RoleChaining)
	if in.RoleChaining && in.Role.IsZero() {
		r.fail(RoleChaining, "needs role-to-assume")
	}
	r.externalID(in)
	in.SkipSessionTagging = r.boolean(RoleSkipSessionTagging)
	in.CustomTags = r.customTags(in.RoleChaining, in.SkipSessionTagging)
	in.TransitiveTagKeys = r.transitiveTagKeys(in.RoleChaining, in.SkipSessionTagging, in.CustomTags)
}

// externalID reads role-external-id, which only a chained AssumeRole sends.
func (r *reader) externalID(in *Inputs) {
	in.ExternalID = r.str(RoleExternalID)
	if in.ExternalID != "" {
		switch {
		case !in.RoleChaining:
			r.fail(RoleExternalID, "is only sent with role-chaining: true; AssumeRoleWithWebIdentity takes no external ID")
		case !validExternalID(in.ExternalID):
			r.fail(RoleExternalID, "is not a valid external ID; want 2-1224 characters of letters, digits and +=,.@:/_-")
		}
	}
}

// files reads the inputs that name files in the workspace.
func (r *reader) files(in *Inputs) {
	in.TokenFile = r.path(WebIdentityTokenFile)
	if in.TokenFile != "" && in.RoleChaining {
		r.fail(WebIdentityTokenFile, "cannot be combined with role-chaining: true, which uses the credentials already in the environment")
	}
	in.TrustPolicyFile = r.path(TrustPolicy)
}

// network reads where calls to STS go.
func (r *reader) network(in *Inputs) {
	in.STSEndpoint = r.str(STSEndpoint)
	r.url(STSEndpoint, in.STSEndpoint)
	in.HTTPProxy = r.str(HTTPProxy)
	r.url(HTTPProxy, in.HTTPProxy)
	in.NoProxy = r.str(NoProxy)
	if strings.ContainsAny(in.NoProxy, "\r\n") {
		r.fail(NoProxy, "must be one line of comma-separated hosts")
	}
}

// outputs reads where the credentials go (the environment, step outputs,
// an AWS profile) and what the log may show.
func (r *reader) outputs(in *Inputs) {
	in.Profile = r.str(AWSProfile)
	in.OverwriteProfile = r.boolean(OverwriteAWSProfile)
	in.RefreshCredentials = r.boolean(RefreshCredentials)
	in.OutputEnvCredentials = r.outputEnvCredentials(in.Profile != "" || in.RefreshCredentials)
	in.OutputCredentials = r.boolean(OutputCredentials)
	in.MaskAccountID = r.boolean(MaskAWSAccountID)
	in.UnsetCurrentCreds = r.boolean(UnsetCurrentCreds)
	r.profile(in)
	r.refresh(in)
}

// refresh checks refresh-credentials against what it replaces: keys in the
// environment, which the AWS CLI and SDKs would read before the profile,
// and a token file, which the helper could not renew.
func (r *reader) refresh(in *Inputs) {
	if !in.RefreshCredentials {
		return
	}
	switch {
	case in.Role.IsZero():
		r.fail(RefreshCredentials, "needs role-to-assume: the profile renews that role's credentials")
	case in.TokenFile != "":
		r.fail(RefreshCredentials, "cannot renew a token read from web-identity-token-file; remove one of them (the helper asks the runner for fresh tokens itself)")
	}
	// The helper's flags are written into the profile; a proxy password
	// would sit there in clear.
	if u, err := url.Parse(in.HTTPProxy); err == nil && u.User != nil {
		r.fail(HTTPProxy, "cannot carry a password into the refreshable profile, where the helper's settings are written; set HTTPS_PROXY in the job's env instead, which the helper reads")
	}
	if in.OutputEnvCredentials {
		r.fail(OutputEnvCredentials, "cannot be true with refresh-credentials: true: the AWS CLI and SDKs read AWS_ACCESS_KEY_ID and friends before any profile, so the credentials would never be renewed; remove output-env-credentials")
	}
}

// limits reads how often calls are tried and how long the step may take.
func (r *reader) limits(in *Inputs) {
	if n, ok := r.integer(RetryMaxAttempts, 1, 100); ok {
		in.MaxAttempts = n
	}
	if r.boolean(DisableRetry) {
		in.MaxAttempts = 1
	}
	if r.str(ActionTimeoutS) != "" {
		if n, ok := r.integer(ActionTimeoutS, 1, 3600); ok {
			in.Timeout = time.Duration(n) * time.Second
		}
	}
}

// role parses role-to-assume, which only debug-claims can do without.
func (r *reader) role(debugClaims bool) Role {
	v := r.str(RoleToAssume)
	if v == "" {
		if !debugClaims {
			r.fail(RoleToAssume, "is required (or set debug-claims: true to only print the token's claims)")
		}
		return Role{}
	}
	role, ok := parseRoleARN(v)
	if !ok {
		r.fail(RoleToAssume, fmt.Sprintf("%s is not a role ARN; want arn:PARTITION:iam::ACCOUNT_ID:role/NAME, e.g. arn:aws:iam::123456789012:role/deploy", display.QuoteCut(v, maxShown)))
	}
	return role
}

type reader struct {
	// get reads an input by name; getenv reads the variables that are no
	// input (GITHUB_WORKSPACE) and foreign inputs.
	get      func(name string) string
	getenv   func(string) string
	problems []*invalidInput
}

// unsupported fails the run for each Fatal foreign input given and returns
// a warning for each other one. Values are never shown: some are secrets.
func (r *reader) unsupported() []string {
	var warnings []string
	for _, f := range foreigns {
		v := strings.TrimSpace(r.getenv(EnvName(f.Name)))
		if b, ok := parseBool(v); v == "" || f.Boolean && ok && !b {
			continue
		}
		msg := "is an input of aws-actions/configure-aws-credentials that this action does not take; " + f.Fix
		if f.Fatal {
			r.fail(f.Name, msg)
			continue
		}
		warnings = append(warnings, (&invalidInput{Input: f.Name, Reason: msg}).Error())
	}
	return warnings
}

// tagInput returns a session-tag input's value, or "" when it is unset or
// cannot apply: only role chaining sends tags, and not when told to skip them.
func (r *reader) tagInput(name string, chaining, skip bool) string {
	v := r.str(name)
	switch {
	case v == "":
	case !chaining:
		r.fail(name, "is only sent with role-chaining: true; AssumeRoleWithWebIdentity takes session tags only from the token")
	case skip:
		r.fail(name, "cannot be sent with role-skip-session-tagging: true; remove one of them")
	default:
		return v
	}
	return ""
}

// customTags parses custom-tags, which only role chaining can send.
func (r *reader) customTags(chaining, skip bool) []sessiontags.Tag {
	v := r.tagInput(CustomTags, chaining, skip)
	if v == "" {
		return nil
	}
	tags, err := sessiontags.ParseCustom(v)
	if err != nil {
		r.fail(CustomTags, err.Error())
		return nil
	}
	return tags
}

// transitiveTagKeys reads one key per line (commas accepted too), each of
// which must name a tag this action can send.
func (r *reader) transitiveTagKeys(chaining, skip bool, custom []sessiontags.Tag) []string {
	var keys []string
	for _, k := range splitList(r.tagInput(TransitiveTagKeys, chaining, skip)) {
		if !sessiontags.ValidTransitiveKey(k, custom) {
			r.fail(TransitiveTagKeys, fmt.Sprintf("%s is not a session tag this action sends; want one of %s or a custom-tags key", display.QuoteCut(k, maxShown), strings.Join(sessiontags.ReservedKeys(), ", ")))
			continue
		}
		keys = append(keys, k)
	}
	return keys
}

// splitList reads a list input: one item per line, as YAML block scalars
// give them, and commas accepted too, as users paste them. Blank items are
// dropped. Every list input goes through here, so they all take the same
// forms.
func splitList(v string) []string {
	var items []string
	for _, line := range strings.Split(v, "\n") {
		for _, item := range strings.Split(line, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
	}
	return items
}

func (r *reader) fail(input, reason string) {
	r.problems = append(r.problems, &invalidInput{Input: input, Reason: reason})
}

// EnvName is the variable the runner sets for an input: upper-cased with
// hyphens kept, spaces turned to underscores.
func EnvName(input string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(input, " ", "_"))
}

// str returns the trimmed input, or its default when unset or blank. The
// runner passes an unset input with a default as that default already, but
// `docker run` and local runs may not.
func (r *reader) str(name string) string {
	v := strings.TrimSpace(r.get(name))
	if v == "" {
		spec, _ := lookup(name)
		return spec.Default
	}
	return v
}

// boolean accepts YAML 1.2 core schema booleans, which is what users write.
func (r *reader) boolean(name string) bool {
	v := r.str(name)
	b, ok := parseBool(v)
	if !ok {
		r.fail(name, fmt.Sprintf("%s is not a boolean; want true or false", display.QuoteCut(v, maxShown)))
	}
	return b
}

// parseBool reads a YAML 1.2 core boolean; "" is false.
func parseBool(v string) (value, ok bool) {
	switch v {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE", "":
		return false, true
	}
	return false, false
}

// outputEnvCredentials defaults to true, or to false when a profile is
// named: the profile then carries the credentials, as in
// configure-aws-credentials v6.1.
func (r *reader) outputEnvCredentials(profile bool) bool {
	if r.str(OutputEnvCredentials) == "" {
		return !profile
	}
	return r.boolean(OutputEnvCredentials)
}

func (r *reader) profile(in *Inputs) {
	switch {
	case in.Profile == "":
		if in.OverwriteProfile && !in.RefreshCredentials {
			r.fail(OverwriteAWSProfile, "only applies with aws-profile or refresh-credentials")
		}
	case in.Role.IsZero():
		r.fail(AWSProfile, "needs role-to-assume: a profile holds that role's credentials")
	default:
		if err := awsprofile.CheckName(in.Profile); err != nil {
			r.fail(AWSProfile, fmt.Sprintf("%s is not a profile name: it %s", display.QuoteCut(in.Profile, maxShown), err))
		}
	}
}

func (r *reader) integer(name string, lo, hi int) (int, bool) {
	v := r.str(name)
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, fmt.Sprintf("%s is not a whole number from %d to %d", display.QuoteCut(v, maxShown), lo, hi))
		return 0, false
	}
	return n, true
}

func (r *reader) policy() string {
	v := r.str(InlineSessionPolicy)
	if v == "" {
		return ""
	}
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(v))
	// `null` decodes into a nil map without error; it is no policy either.
	if err := dec.Decode(&doc); err != nil || doc == nil || dec.More() {
		r.fail(InlineSessionPolicy, "is not a JSON object; want a policy document such as {\"Version\":\"2012-10-17\",\"Statement\":[...]}")
		return ""
	}
	// STS counts the plaintext it receives, so send the compact form and
	// measure that.
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(v)); err != nil {
		r.fail(InlineSessionPolicy, "is not valid JSON")
		return ""
	}
	if buf.Len() > maxInlinePolicyChars {
		r.fail(InlineSessionPolicy, fmt.Sprintf("is %d characters after removing white space; STS allows %d", buf.Len(), maxInlinePolicyChars))
		return ""
	}
	if _, ok := doc["Statement"]; !ok {
		r.fail(InlineSessionPolicy, "has no \"Statement\"; a session policy needs at least one statement")
		return ""
	}
	return buf.String()
}

func (r *reader) policyARNs() []string {
	var arns []string
	for _, arn := range splitList(r.str(ManagedSessionPolicies)) {
		if !validPolicyARN(arn) {
			r.fail(ManagedSessionPolicies, fmt.Sprintf("%s is not a managed policy ARN; want arn:PARTITION:iam::ACCOUNT_ID:policy/NAME or arn:aws:iam::aws:policy/NAME", display.QuoteCut(arn, maxShown)))
			continue
		}
		arns = append(arns, arn)
	}
	if len(arns) > maxManagedPolicies {
		r.fail(ManagedSessionPolicies, fmt.Sprintf("lists %d policies; STS allows at most %d", len(arns), maxManagedPolicies))
	}
	return arns
}

// accounts reads allowed-account-ids and, when role-to-assume names its
// account, checks it now: a role in another account fails here, before a
// token is minted. The action checks the account STS answers for as well,
// for roles that name none (STS-compatible servers) and servers that answer
// for another.
func (r *reader) accounts(role Role, masked bool) []string {
	var ids []string
	for _, id := range splitList(r.str(AllowedAccountIDs)) {
		if !accountRe.MatchString(id) {
			r.fail(AllowedAccountIDs, fmt.Sprintf("%s is not an AWS account ID; want 12 digits", display.QuoteCut(id, maxShown)))
			continue
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 || role.Account == "" || slices.Contains(ids, role.Account) {
		return ids
	}
	if masked {
		// mask-aws-account-id: name no account, the role's or the list's.
		r.fail(RoleToAssume, "is in an account that is not in allowed-account-ids; check role-to-assume, or add its account to allowed-account-ids")
	} else {
		r.fail(RoleToAssume, fmt.Sprintf("%s is in account %s, which is not in allowed-account-ids (%s); check role-to-assume, or add the account to allowed-account-ids", display.QuoteCut(role.ARN, maxShown), role.Account, strings.Join(ids, ", ")))
	}
	return ids
}

func (r *reader) url(name, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		shown := v
		if err == nil && u.User != nil {
			// A proxy URL may carry a password; never print it.
			shown = u.Redacted()
		} else if err != nil && strings.Contains(v, "@") {
			shown = "(value hidden: it may hold credentials)"
		}
		r.fail(name, fmt.Sprintf("%s is not an http(s) URL", display.QuoteCut(shown, maxShown)))
		return
	}
	if u.User != nil && name == STSEndpoint {
		r.fail(name, "must not contain credentials")
	}
}

// path resolves a file input against GITHUB_WORKSPACE, where the runner
// mounts the repository, so that paths from the repository root just work.
func (r *reader) path(name string) string {
	v := r.str(name)
	if v == "" {
		return ""
	}
	if strings.ContainsAny(v, "\x00\r\n") {
		r.fail(name, "must be a single-line file path")
		return ""
	}
	if filepath.IsAbs(v) {
		return filepath.Clean(v)
	}
	ws := r.getenv("GITHUB_WORKSPACE")
	if ws == "" {
		ws = "."
	}
	return filepath.Join(ws, v)
}

// maxShown cuts a value an error shows, so that a long input cannot flood
// the log; display.QuoteCut also escapes control characters, so that an
// input can never forge a log line.
const maxShown = 120

// AccountError refuses credentials STS issued for an account outside
// allowed-account-ids.
type AccountError struct {
	msg string
}

func (e *AccountError) Error() string { return e.msg }

// Fix says what to check.
func (e *AccountError) Fix() string {
	return "check role-to-assume and sts-endpoint, or add the account to allowed-account-ids"
}

// CheckAccount refuses credentials for account (the one STS answered for,
// from the assumed-role ARN; "" when it gave none) unless allowed-account-ids
// is empty or lists it. The action's step checks what it will export with
// it, and the credential_process helper what it will print on each refresh.
// With mask-aws-account-id no account is named, the answer's or the list's.
func (in *Inputs) CheckAccount(account string) error {
	return CheckAccount(in.AllowedAccountIDs, in.MaskAccountID, account)
}

// CheckAccount is Inputs.CheckAccount for allowed-account-ids (allowed)
// and mask-aws-account-id (masked) carried elsewhere: in a role hop.
func CheckAccount(allowed []string, masked bool, account string) error {
	if len(allowed) == 0 || slices.Contains(allowed, account) {
		return nil
	}
	switch {
	case masked:
		return &AccountError{"the credentials are for an account that is not in allowed-account-ids"}
	case account == "":
		return &AccountError{fmt.Sprintf("STS returned no role ARN, so the credentials name no account, and that is not in allowed-account-ids (%s)", strings.Join(allowed, ","))}
	}
	return &AccountError{fmt.Sprintf("the credentials are for account %s, which is not in allowed-account-ids (%s)", account, strings.Join(allowed, ","))}
}
