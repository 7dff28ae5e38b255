// Package inputs reads and validates the action's inputs.
//
// The runner passes each `with:` value as INPUT_<NAME>, upper-cased with
// hyphens kept (INPUT_ROLE-TO-ASSUME). Every input is checked here, before
// any network call, and every error names the input and what it allows.
// Specs is the single list of inputs: action.yml and the README's tables are
// tested against it.
package inputs

import "github.com/org/oidc-aws-action/pkg/claims"

// Spec describes one input as action.yml declares it.
type Spec struct {
	Name        string
	Default     string
	Required    bool
	Description string
}

// Input names, as users write them under `with:`.
const (
	RoleToAssume           = "role-to-assume"
	AWSRegion              = "aws-region"
	Audience               = "audience"
	RoleSessionName        = "role-session-name"
	RoleDurationSeconds    = "role-duration-seconds"
	InlineSessionPolicy    = "inline-session-policy"
	ManagedSessionPolicies = "managed-session-policies"
	RoleChaining           = "role-chaining"
	RoleExternalID         = "role-external-id"
	RoleSkipSessionTagging = "role-skip-session-tagging"
	TransitiveTagKeys      = "transitive-tag-keys"
	CustomTags             = "custom-tags"
	WebIdentityTokenFile   = "web-identity-token-file"
	STSEndpoint            = "sts-endpoint"
	HTTPProxy              = "http-proxy"
	NoProxy                = "no-proxy"
	OutputEnvCredentials   = "output-env-credentials"
	AWSProfile             = "aws-profile"
	OverwriteAWSProfile    = "overwrite-aws-profile"
	RefreshCredentials     = "refresh-credentials"
	OutputCredentials      = "output-credentials"
	MaskAWSAccountID       = "mask-aws-account-id"
	UnsetCurrentCreds      = "unset-current-credentials"
	AllowedAccountIDs      = "allowed-account-ids"
	RetryMaxAttempts       = "retry-max-attempts"
	DisableRetry           = "disable-retry"
	ActionTimeoutS         = "action-timeout-s"
	DebugClaims            = "debug-claims"
	TrustPolicy            = "trust-policy"
)

// Specs lists every input in the order action.yml and the README show them.
// Defaults follow aws-actions/configure-aws-credentials so that switching is
// a one-line change.
var Specs = []Spec{
	{RoleToAssume, "", false, "ARN of the IAM role to assume, e.g. arn:aws:iam::123456789012:role/deploy. Required unless debug-claims is true."},
	{AWSRegion, "", true, "AWS region, e.g. us-east-1; picks the regional STS endpoint. Exported as AWS_REGION and AWS_DEFAULT_REGION while output-env-credentials is true; a profile the action writes gets it as its region."},
	{Audience, claims.DefaultAudience, false, "Audience requested for the GitHub OIDC token; must be a client ID of the account's IAM OIDC provider."},
	{RoleSessionName, "GitHubActions", false, "Role session name: 2-64 characters of letters, digits and +=,.@_-."},
	{RoleDurationSeconds, "3600", false, "Lifetime of the credentials in seconds, 900-43200 (and at most the role's maximum session duration)."},
	{InlineSessionPolicy, "", false, "JSON session policy that further limits the role's permissions for this session."},
	{ManagedSessionPolicies, "", false, "Managed policy ARNs, one per line (at most 10), that further limit the role's permissions for this session."},
	{RoleChaining, "false", false, "Assume role-to-assume with the AWS credentials already in the environment (for example from an earlier step of this action) instead of a GitHub OIDC token."},
	{RoleExternalID, "", false, "External ID to pass when role-chaining."},
	{RoleSkipSessionTagging, "false", false, "With role-chaining, send no session tags (by default the job's repository, workflow, actor, commit, ref and run are sent as tags, which the chained role's trust policy must allow with sts:TagSession)."},
	{TransitiveTagKeys, "", false, "With role-chaining, session tag keys to make transitive, one per line."},
	{CustomTags, "", false, "With role-chaining, extra session tags as a JSON object, e.g. {\"Team\": \"payments\"}."},
	{WebIdentityTokenFile, "", false, "Read the web identity token from this file (relative paths from GITHUB_WORKSPACE) instead of requesting one from the runner."},
	{STSEndpoint, "", false, "STS endpoint URL. Defaults to AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, then the regional endpoint."},
	{HTTPProxy, "", false, "Proxy URL for calls to STS. Defaults to HTTPS_PROXY/HTTP_PROXY from the environment."},
	{NoProxy, "", false, "Comma-separated hosts that bypass the proxy. Defaults to NO_PROXY from the environment."},
	{AWSProfile, "", false, "Write the credentials to this named profile in AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE (a per-job directory unless the job sets them) instead of exporting them as variables; several steps can write several profiles. ASCII letters, digits and _ . - + @ = , only, and not DEFAULT (default, in lower case, is the AWS default profile)."},
	{OverwriteAWSProfile, "false", false, "Replace aws-profile when a file already has it; otherwise the step fails rather than overwrite it."},
	{RefreshCredentials, "false", false, "Write a profile (aws-profile, or default) whose credential_process renews the credentials from the job's OIDC token whenever the AWS CLI or an SDK needs them, so they outlive role-duration-seconds; no keys are exported. Later steps need permissions: id-token: write too."},
	// No default in action.yml: the runner would pass it as if given, and
	// the default depends on aws-profile, as in configure-aws-credentials.
	{OutputEnvCredentials, "", false, "Export AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION to later steps (and AWS_PROFILE with aws-profile). Default: true, or false with aws-profile or refresh-credentials (which refuses true)."},
	{OutputCredentials, "false", false, "Also set the credentials as step outputs (aws-access-key-id, aws-secret-access-key, aws-session-token, aws-expiration)."},
	{MaskAWSAccountID, "false", false, "Mask the AWS account ID and the role ARN in logs."},
	{UnsetCurrentCreds, "false", false, "Clear AWS credential variables already set in the job before this step exports its own."},
	{AllowedAccountIDs, "", false, "AWS account IDs, one per line or comma-separated. A role-to-assume in any other account fails validation before a token is requested; credentials STS returns for any other account fail the step and are never exported."},
	{RetryMaxAttempts, "12", false, "Most attempts for each call to the runner and to STS (1-100): transient errors, throttling and one fresh token for a refused one count (see the README's Retries)."},
	{DisableRetry, "false", false, "Make a single attempt for each call."},
	{ActionTimeoutS, "", false, "Deadline for the whole step in seconds; the step fails with a clear message when it passes."},
	{DebugClaims, "false", false, "Print the token's claims (never the token) in the log and the step summary. Without role-to-assume, only print them."},
	{TrustPolicy, "", false, "Path (from GITHUB_WORKSPACE) to the role's trust policy JSON; the action checks the token against it before calling STS and explains the verdict."},
}

// Outputs lists every output the action sets, for action.yml and the README.
var Outputs = []Spec{
	{Name: "aws-account-id", Description: "AWS account ID of the assumed role (empty for STS-compatible servers that return no role ARN)."},
	{Name: "authenticated-arn", Description: "ARN of the assumed-role session."},
	{Name: "aws-access-key-id", Description: "Access key ID (only with output-credentials: true)."},
	{Name: "aws-secret-access-key", Description: "Secret access key (only with output-credentials: true)."},
	{Name: "aws-session-token", Description: "Session token (only with output-credentials: true)."},
	{Name: "aws-expiration", Description: "Expiry of the credentials, RFC 3339 (only with output-credentials: true)."},
	{Name: "claims-json", Description: "The token's claims (never the token) as one line of JSON, which `oidc-aws policy explain --claims FILE` reads as is (only with debug-claims: true)."},
}

// lookup returns the spec of a named input.
func lookup(name string) (Spec, bool) {
	for _, s := range Specs {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// foreign is an input of aws-actions/configure-aws-credentials that this
// action does not take.
type foreign struct {
	Name string
	// Boolean inputs count as given only when not false.
	Boolean bool
	// Fatal inputs fail the run: ignoring them would leave later steps with
	// other credentials, or in another place, than the workflow expects.
	// The others are ignored with a warning.
	Fatal bool
	// Fix says what to do instead.
	Fix string
}

const (
	fixStaticKeys = "static access keys are what this action replaces: remove the aws-access-key-id, aws-secret-access-key and aws-session-token inputs (and their secrets) and give the job `permissions: id-token: write`; to assume a role with credentials from an earlier step, use role-chaining: true"
)

// foreigns lists them. The runner hands a container action every `with:`
// value as INPUT_*, declared or not, and only warns about undeclared ones,
// so a workflow switched from configure-aws-credentials may still carry
// them.
var foreigns = []foreign{
	{Name: "aws-access-key-id", Fatal: true, Fix: fixStaticKeys},
	{Name: "aws-secret-access-key", Fatal: true, Fix: fixStaticKeys},
	{Name: "aws-session-token", Fatal: true, Fix: fixStaticKeys},
	{Name: "force-skip-oidc", Boolean: true, Fatal: true, Fix: "to assume role-to-assume with credentials already in the environment, use role-chaining: true instead"},
	{Name: "use-existing-credentials", Boolean: true, Fatal: true, Fix: "this action always assumes role-to-assume; to skip the step when the job already has credentials, give the step an `if:` condition instead"},
	{Name: "special-characters-workaround", Boolean: true, Fix: "it is ignored: this action does not request credentials again until the secret key has no special characters"},
}
