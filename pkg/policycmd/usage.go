package policycmd

var usages = map[string]string{
	"explain":  usageExplain,
	"lint":     usageLint,
	"generate": usageGenerate,
	"audit":    usageAudit,
}

const usagePolicy = `Usage: oidc-aws policy COMMAND [flags]

Work with the IAM role trust policy that a GitHub Actions OIDC token must
satisfy for sts:AssumeRoleWithWebIdentity.

Commands:
  explain   evaluate a trust policy against a token's claims, as IAM would,
            and say which statement and condition allowed or denied it
  lint      find common OIDC trust-policy mistakes (text, JSON or SARIF)
  generate  write the tightest trust policy for a repository's branches,
            tags, environments and pull requests
  audit     report every role of an account that trusts an OIDC provider:
            its trust findings weighed against what the role may do

Policies may be given as a policy document, ` + "`aws iam get-role`" + ` output, or
` + "`terraform show -json`" + ` output of a plan or state.

Run ` + "`oidc-aws policy help COMMAND`" + ` or ` + "`oidc-aws policy COMMAND --help`" + ` for details.
`

const usageExplain = `Usage: oidc-aws policy explain --policy FILE (--claims FILE | --token FILE) [flags]

Evaluate the trust policy the way IAM does (explicit Deny wins; otherwise
an Allow must match; otherwise the request is implicitly denied) and print
one PASS/FAIL line per statement, principal, action and condition, with the
nearest fix for each failure.

Flags:
  --policy FILE   the trust policy: a policy document, ` + "`aws iam get-role`" + ` output,
                  or ` + "`terraform show -json`" + ` output ("-" for stdin)
  --claims FILE   the token's claims as a JSON object (the action's
                  debug-claims output works as is)
  --token FILE    the token itself (a JWT); its signature is NOT verified.
                  An expired token is reported as STS would refuse it
                  (ExpiredTokenException), and explain exits 1
  --issuer URL    the token's issuer, for claims without "iss"
  --session-name NAME
                  the role-session-name of the call: the value of the
                  sts:RoleSessionName condition key (absent if not given)
  --action NAME   the STS action (default sts:AssumeRoleWithWebIdentity)
  --role NAME     explain only the policy with this name: the role name of
                  get-role output, or the terraform resource address

Conditions are judged on the keys IAM provides: for every OIDC provider
aud, sub, amr and azp; for GitHub's issuers also actor, actor_id,
enterprise_id, environment, job_workflow_ref, ref, repository,
repository_id, repository_owner_id and workflow. Any other claim (e.g.
repository_owner, event_name, ref_type) is absent to IAM: a positive
operator on it is false, a negated one true. Policy variables such as
${token.actions.githubusercontent.com:repository} are substituted in
string and ARN values of Version 2012-10-17 policies.

When the file holds several policies (terraform), each is explained under
its name, followed by a summary line.

Exit status: 0 if the token is allowed (by any of several policies when no
--role is given), 1 if denied or the token has expired, 2 for bad flags or
unreadable input.

Examples:
  oidc-aws policy explain --policy trust.json --claims claims.json
  aws iam get-role --role-name deploy > role.json
  oidc-aws policy explain --policy role.json --token token.jwt
  terraform show -json plan.out > plan.json
  oidc-aws policy explain --policy plan.json --role aws_iam_role.deploy --claims claims.json
`

const usageLint = `Usage: oidc-aws policy lint [--format text|json|sarif] [--fail-on LEVEL] [--ignore RULE]... [--output FILE] FILE|DIR...

Check trust policies for GitHub Actions OIDC mistakes: policies that can
never admit a GitHub job (no statement allows sts:AssumeRoleWithWebIdentity
for a Federated principal), subjects that admit any repository, any
repository of an owner or enterprise, or any branch; custom subjects
(include_claim_keys) and job_workflow_ref conditions that any owner's
repository can produce; immutable subjects with wildcard IDs; wildcards
under StringEquals;
ForAllValues: in an Allow; missing or wildcard audience; condition keys for
a different issuer than the provider; conditions on keys IAM does not
provide (e.g. repository_owner), which never match in an Allow and lock
everyone out in a Deny; name-only subjects that a repository rename could
hand to someone else.

Flags:
  --format FORMAT   text (default), json, or sarif (SARIF 2.1.0 for
                    github/codeql-action/upload-sarif)
  --fail-on LEVEL   the lowest severity that fails the run: error, warning
                    (default), info, or none (report only)
  --ignore RULE     drop every finding of RULE (e.g. OIDC010), for a
                    reviewed exception; repeat for more rules
  --output FILE     write the report to FILE instead of stdout; FILE is
                    replaced only once the report is complete

In ` + "`terraform show -json`" + ` output, lint also reads what each role may do
(inline_policy, managed_policy_arns, aws_iam_role_policy, the attachment
resources, permissions_boundary): a finding that lets someone in is raised
one severity on a role with high or admin-equivalent permissions, and
OIDC101 reports such a role that several repositories can assume. See
` + "`oidc-aws policy audit --help`" + ` for the grades.

FILE may be a policy document, ` + "`aws iam get-role`" + ` output or ` + "`terraform show -json`" + `
output (up to 256 MiB); "-" reads stdin. A FILE that cannot be read or
parsed is named on stderr, left out of the summary's count of checked
files, and recorded in SARIF as a failed run. A DIR is searched
recursively for .json files, leaving out .tf.json files and .git,
.terraform and node_modules directories; a symbolic link found there is
reported as a file that could not be checked, not followed.

Exit status:
  0  no finding at or above --fail-on
  1  a finding at or above --fail-on
  2  bad flags, or a FILE that could not be read or parsed (the other
     files are still checked and reported)

Examples:
  oidc-aws policy lint trust.json
  oidc-aws policy lint --fail-on error --ignore OIDC010 iam/*.json
  oidc-aws policy lint --format sarif plan.json > oidc.sarif
  oidc-aws policy lint --format sarif --output oidc.sarif iam/
`

const usageGenerate = `Usage: oidc-aws policy generate --repo OWNER/REPO --repository-id ID CONTEXT... (--account ID | --provider-arn ARN) [flags]

Print the tightest trust policy that lets exactly the named contexts of one
repository assume the role, in one statement: StringEquals on aud and on
the subjects; when any branch or tag is a pattern, every subject goes under
StringLike instead (the operators of one Condition AND together, so exact
and pattern subjects cannot be split between the two; an exact subject has
no * or ?, so StringLike matches it exactly). The repository is pinned by
its ID, so a new repository that takes its name after a rename or transfer
is not let in; the output lints clean at every severity.

Contexts (at least one; repeat flags for more):
  --branch NAME        a branch, e.g. main or release/* (* and ? are patterns)
  --tag NAME           a tag, e.g. v1.2.3 or v*
  --environment NAME   a deployment environment, matched exactly
  --pull-request       pull_request workflows

Flags:
  --repo OWNER/REPO    the repository; OWNER@ID/REPO@ID for GitHub's immutable
                       subject form (then no --repository-id)
  --repository-id ID   the repository's ID (` + "`gh api repos/OWNER/REPO --jq .id`" + `):
                       adds a repository_id condition
  --owner-id ID        the owner's ID (` + "`gh api repos/OWNER/REPO --jq .owner.id`" + `):
                       adds a repository_owner_id condition; for a GHES issuer,
                       where IAM has no repository_id key, both IDs are needed
                       and the subject takes the immutable form
  --account ID         12-digit AWS account that holds the OIDC provider
  --provider-arn ARN   the provider's ARN, instead of --account
  --audience AUD       the audience the workflow requests (default sts.amazonaws.com)
  --issuer URL         the token issuer (default https://token.actions.githubusercontent.com;
                       GHES: https://HOST/_services/token)
  --partition NAME     AWS partition for --account (default aws)
  --format FORMAT      json (default) or terraform (an aws_iam_policy_document
                       data source)

Exit status: 0 on success, 2 for bad or missing flags (the message says
which).

Examples:
  oidc-aws policy generate --repo octo-org/octo-repo --repository-id 2000002 \
      --branch main --account 123456789012
  oidc-aws policy generate --repo octo-org@1000001/octo-repo@2000002 --environment production \
      --tag 'v*' --account 123456789012 --format terraform
`

const usageAudit = `Usage: oidc-aws policy audit [--format text|json|sarif|markdown] [--fail-on LEVEL] [--ignore RULE]... [--output FILE] FILE|DIR...

Report every role that trusts an OIDC provider, from the output of
` + "`aws iam get-account-authorization-details`" + `, one file per account:
  - its trust policy's findings, from the same rules as lint; a finding
    that lets someone in is raised one severity when the role's
    permissions are high or admin-equivalent, and says who can get what;
  - OIDC101 when such a role can be assumed by several repositories;
  - what the role may do: admin-equivalent (AdministratorAccess,
    IAMFullAccess, "*" on "*", NotAction on "*", iam:*, or an action that
    lets it grant itself more), high (PowerUserAccess, iam:PassRole or
    sts:AssumeRole on "*"), or limited; capped by its permissions boundary;
  - OIDC102 when IAM records no use of the role, or none for over 90 days.

Customer-managed policies are read from the file's Policies list. A file
made with --filter Role has none: those permissions are reported as
unknown, never as none. AWS managed policies that matter are known by ARN.

A FILE may also be ` + "`aws iam get-open-id-connect-provider`" + ` output, given with
its account's details (its ARN is built from the roles' account and its
Url): OIDC103 when no audited role trusts the provider, OIDC104 for a
client ID that no role's aud condition asks for.

Flags:
  --format FORMAT   text (default), json, sarif, or markdown (for a step
                    summary: >> "$GITHUB_STEP_SUMMARY")
  --fail-on LEVEL   the lowest severity that fails the run: error, warning
                    (default), info, or none (report only)
  --ignore RULE     drop every finding of RULE (e.g. OIDC102); repeat for more
  --output FILE     write the report to FILE instead of stdout; FILE is
                    replaced only once the report is complete

A DIR is searched recursively for .json files, as lint does (leaving out
.tf.json files and .git, .terraform and node_modules directories; a
symbolic link found there is reported, not followed).

Exit status:
  0  no finding at or above --fail-on
  1  a finding at or above --fail-on
  2  bad flags, or a FILE that could not be read or is not account details
     (the error names the command that prints them)

Examples:
  aws iam get-account-authorization-details --output json > prod.json
  oidc-aws policy audit prod.json staging.json
  aws iam get-open-id-connect-provider --open-id-connect-provider-arn \
      arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com > github.json
  oidc-aws policy audit prod.json github.json
  oidc-aws policy audit --format sarif --fail-on error prod.json > audit.sarif
  oidc-aws policy audit --format markdown --output summary.md accounts/
`
