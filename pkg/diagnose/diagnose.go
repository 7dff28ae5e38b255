// Package diagnose explains why AWS may have refused a GitHub OIDC token,
// from the token's claims alone.
//
// STS says only "Not authorized to perform sts:AssumeRoleWithWebIdentity";
// it never says which condition failed. What users need to know is almost
// always visible in the claims: the job ran for a pull request or in an
// environment, the repository uses the immutable subject format or a custom
// subject template, the audience or the issuer is not the usual one. Each is
// a Finding here, and Condition gives a block that would admit exactly this
// job.
package diagnose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// The GitHub defaults the findings compare against.
const (
	defaultIssuer   = claims.GitHubIssuer
	defaultAudience = claims.DefaultAudience
)

// cause names a known reason for a refusal.
type cause string

// The causes this package recognises.
const (
	causePullRequest      cause = "pull_request"
	causeEnvironment      cause = "environment"
	causeImmutableSubject cause = "immutable_subject"
	causeCustomSubject    cause = "custom_subject_template"
	causeAudience         cause = "audience"
	causeIssuer           cause = "issuer"
	causeMissingProvider  cause = "missing_provider"
	causeExpired          cause = "expired_token"
)

// Finding is one likely cause and what to do about it.
type Finding struct {
	cause cause
	Text  string
}

// Input is what the diagnosis looks at.
type Input struct {
	Claims *claims.Claims
	// Code and Message are the STS error, if any.
	Code    string
	Message string
	// Account and Partition are the role's, for the provider ARN in the
	// advice: a role in aws-us-gov trusts a provider in aws-us-gov.
	Account   string
	Partition string
}

var (
	// repo:OWNER@OWNER_ID/REPO@REPO_ID:… is GitHub's immutable subject form.
	immutableRe = regexp.MustCompile(`^repo:[^/:@]+@\d+/[^/:@]+@\d+:`)
	repoIDRe    = regexp.MustCompile(`^[0-9]{1,20}$`)
	standardRe  = regexp.MustCompile(`^repo:[^/:]+/[^/:]+:(ref:[^:]+|environment:.+|pull_request)$`)
)

// Explain lists the findings that apply, most likely first.
func Explain(in Input) []Finding {
	var out []Finding
	add := func(c cause, format string, args ...any) {
		out = append(out, Finding{cause: c, Text: fmt.Sprintf(format, args...)})
	}
	c := in.Claims
	if c == nil {
		return nil
	}
	msg := strings.ToLower(in.Message)
	iss := c.Issuer
	host := c.IssuerHost()

	if strings.Contains(msg, "no openidconnect provider found") {
		add(causeMissingProvider, "The account has no IAM OIDC provider for the issuer %s. Create one with that exact URL and client ID %s, so that its ARN is %s (see the README's AWS setup).", display.Quote(iss), display.Quote(audience(c)), ProviderARN(c, in.Partition, in.Account))
	}
	if strings.Contains(msg, "audience") || (len(c.Audience) > 0 && !contains(c.Audience, defaultAudience)) {
		// Suggest the default audience only to a job that asked for another:
		// telling a job to request what it already has changes nothing.
		if contains(c.Audience, defaultAudience) {
			add(causeAudience, "The token's audience is %s. The IAM OIDC provider must list it as a client ID, and a condition on %s must allow it.", display.Quote(strings.Join(c.Audience, ",")), display.Quote(host+":aud"))
		} else {
			add(causeAudience, "The token's audience is %s. The IAM OIDC provider must list it as a client ID, and a condition on %s must allow it; or request %s with the `audience` input.", display.Quote(strings.Join(c.Audience, ",")), display.Quote(host+":aud"), display.Quote(defaultAudience))
		}
	}
	if iss != "" && iss != defaultIssuer {
		switch {
		case strings.HasPrefix(iss, defaultIssuer+"/"):
			add(causeIssuer, "The token comes from your enterprise's custom issuer %s. The IAM OIDC provider must be for that exact URL, and condition keys start with %s (not token.actions.githubusercontent.com:).", display.Quote(iss), display.Quote(host+":"))
		case strings.HasSuffix(iss, "/_services/token"):
			add(causeIssuer, "The token comes from GitHub Enterprise Server (%s). The IAM OIDC provider must be for that URL, AWS must reach it, and condition keys start with %s.", display.Quote(iss), display.Quote(host+":"))
		default:
			add(causeIssuer, "The token's issuer is %s, not %s. The IAM OIDC provider must be for this issuer, and condition keys start with %s.", display.Quote(iss), display.Quote(defaultIssuer), display.Quote(host+":"))
		}
	}
	sub := c.Subject
	switch {
	case immutableRe.MatchString(sub):
		add(causeImmutableSubject, "This repository uses GitHub's immutable subject format (%s): owner and repository carry their numeric IDs. A trust policy written as repo:%s/%s:… does not match it; write the subject with the IDs, as in the block below.", display.Quote(sub), inLine(c.String("repository_owner")), inLine(repoName(c)))
	case sub != "" && !standardRe.MatchString(sub):
		add(causeCustomSubject, "The subject %s does not have the default shape repo:OWNER/REPO:CONTEXT, so the repository or organization has a customised subject template. The trust policy must match the custom form exactly.", display.Quote(sub))
	}
	if strings.HasSuffix(sub, ":pull_request") {
		add(causePullRequest, "This job runs for a pull request, so its subject is %s, not a branch ref. A policy pinned to refs/heads/… does not admit it. Allow that exact subject only if pull-request jobs should have this role.", display.Quote(sub))
	}
	if env := c.String("environment"); env != "" && strings.Contains(sub, ":environment:") {
		add(causeEnvironment, "This job uses the environment %s, so its subject is %s: the environment replaces the branch in the subject. A policy pinned to a branch does not admit it; pin the environment instead.", display.Quote(env), display.Quote(sub))
	}
	if in.Code == "ExpiredTokenException" || strings.Contains(msg, "expired") {
		add(causeExpired, "The token expired before STS saw it (it expires at %s). Check the runner's clock, and that the step does not wait long after fetching the token.", c.ExpiresAt.Format("2006-01-02T15:04:05Z07:00"))
	}
	return out
}

// Condition is a trust-policy Condition block, ready to paste, that admits
// exactly this job: StringEquals on its subject and audience and, where
// the issuer has the key, its repository_id, so that a later repository of
// the same name does not inherit the role (what lint's OIDC010 asks for).
func Condition(c *claims.Claims) string {
	host := c.IssuerHost()
	eq := map[string]string{
		host + ":aud": audience(c),
		host + ":sub": c.Subject,
	}
	idKey := host + ":repository_id"
	if id := c.String("repository_id"); repoIDRe.MatchString(id) {
		if ok, _ := trustpolicy.ConditionKeyProvided(c.Issuer, idKey); ok {
			eq[idKey] = id
		}
	}
	cond := map[string]map[string]string{"StringEquals": eq}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(map[string]any{"Condition": cond})
	// Drop the outer braces so the block pastes inside a Statement.
	s := strings.TrimSpace(buf.String())
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{\n"), "}")
	return strings.TrimRight(dedent(s), "\n")
}

// ProviderARN is the IAM OIDC provider ARN a trust policy must name. The
// issuer comes from the token, so it is escaped to stay on one line.
func ProviderARN(c *claims.Claims, partition, account string) string {
	if partition == "" {
		partition = "aws"
	}
	if account == "" {
		account = "ACCOUNT_ID"
	}
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", partition, account, inLine(c.IssuerHost()))
}

func audience(c *claims.Claims) string {
	if len(c.Audience) == 0 {
		return defaultAudience
	}
	return c.Audience[0]
}

func repoName(c *claims.Claims) string {
	r := c.String("repository")
	if i := strings.IndexByte(r, '/'); i >= 0 {
		return r[i+1:]
	}
	return r
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func dedent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "  ")
	}
	return strings.Join(lines, "\n")
}

// inLine escapes a claim value shown inside other text, as display.Quote
// does, without the quotes.
func inLine(s string) string { s = display.Quote(s); return s[1 : len(s)-1] }
