package trustpolicy

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/display"
)

// GenerateOptions describe the GitHub contexts a role should trust.
type GenerateOptions struct {
	Repo string // OWNER/REPO, or the immutable OWNER@ID/REPO@ID
	// RepositoryID and OwnerID pin a Repo given by name to the repository
	// that holds the name today: a repository_id condition where IAM
	// provides that key, the immutable subject form where it does not.
	RepositoryID string
	OwnerID      string
	Branches     []string
	Environments []string
	Tags         []string
	PullRequest  bool
	Account      string // 12-digit AWS account ID; or give ProviderARN
	ProviderARN  string
	Audience     string // default "sts.amazonaws.com"
	Issuer       string // default "https://token.actions.githubusercontent.com"
	Partition    string // default "aws"
}

// Defaults for GenerateOptions.
const (
	DefaultAudience  = claims.DefaultAudience
	DefaultIssuer    = claims.GitHubIssuer
	DefaultPartition = "aws"
)

// Lengths are checked apart from the patterns: RE2 compiles a counted
// repetition into one state per count, at every start of the binary, which
// every run would pay for.
var (
	// GitHub owner names: alphanumerics and hyphens, at most 39.
	ownerRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
	repoRe  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	idRe    = regexp.MustCompile(`^[0-9]+$`)
	acctRe  = regexp.MustCompile(`^[0-9]{12}$`)
	partRe  = regexp.MustCompile(`^aws(-[a-z]+)*$`)
)

func validOwner(s string) bool { return len(s) <= 39 && ownerRe.MatchString(s) }
func validRepo(s string) bool  { return len(s) <= 100 && repoRe.MatchString(s) }
func validID(s string) bool    { return len(s) <= 20 && idRe.MatchString(s) }

// Generate builds the tightest trust policy for the given contexts: one
// Allow statement for the OIDC provider, with exact subjects under
// StringEquals. When any branch or tag is a pattern, all subjects go under
// StringLike instead: two operators on the same key would AND together and
// match nothing, and the exact subjects contain no wildcard, so StringLike
// matches them exactly.
func Generate(o GenerateOptions) (*Policy, error) {
	if o.Audience == "" {
		o.Audience = DefaultAudience
	}
	if o.Issuer == "" {
		o.Issuer = DefaultIssuer
	}
	repo, err := validateRepo(o.Repo)
	if err != nil {
		return nil, err
	}
	if err := validateIssuer(o.Issuer); err != nil {
		return nil, err
	}
	host := issuerHost(o.Issuer)
	if bad := badText(o.Audience); bad != "" || strings.ContainsAny(o.Audience, "*?") {
		if bad == "" {
			bad = "contains a wildcard; name the exact audience"
		}
		return nil, fmt.Errorf("invalid --audience %s: %s", display.Quote(o.Audience), bad)
	}
	arn, err := providerFor(o, host)
	if err != nil {
		return nil, err
	}
	if len(o.Branches)+len(o.Tags)+len(o.Environments) == 0 && !o.PullRequest {
		return nil, fmt.Errorf("no context given: add at least one --branch, --tag, --environment or --pull-request")
	}
	repo, idConds, err := pinRepository(o, repo, host)
	if err != nil {
		return nil, err
	}

	var subjects []string
	pattern := false
	for _, b := range o.Branches {
		if err := validateRef("--branch", b, "refs/heads/"); err != nil {
			return nil, err
		}
		pattern = pattern || strings.ContainsAny(b, "*?")
		subjects = append(subjects, fmt.Sprintf("repo:%s:ref:refs/heads/%s", repo, b))
	}
	for _, t := range o.Tags {
		if err := validateRef("--tag", t, "refs/tags/"); err != nil {
			return nil, err
		}
		pattern = pattern || strings.ContainsAny(t, "*?")
		subjects = append(subjects, fmt.Sprintf("repo:%s:ref:refs/tags/%s", repo, t))
	}
	for _, e := range o.Environments {
		if bad := badText(e); bad != "" {
			return nil, fmt.Errorf("invalid --environment %s: %s", display.Quote(e), bad)
		}
		if strings.ContainsAny(e, "*?") {
			return nil, fmt.Errorf("invalid --environment %s: environment names are matched exactly; list each environment", display.Quote(e))
		}
		subjects = append(subjects, fmt.Sprintf("repo:%s:environment:%s", repo, e))
	}
	if o.PullRequest {
		subjects = append(subjects, fmt.Sprintf("repo:%s:pull_request", repo))
	}
	subjects = dedupe(subjects)

	subOp := "StringEquals"
	if pattern {
		subOp = "StringLike"
	}
	conds := []Condition{{Operator: "StringEquals", Key: host + ":aud", Values: []string{o.Audience}}}
	conds = append(conds, idConds...)
	conds = append(conds, Condition{Operator: subOp, Key: host + ":sub", Values: subjects})
	return &Policy{
		Version: "2012-10-17",
		Statements: []Statement{{
			Sid:        "GitHubActions",
			Effect:     "Allow",
			Principal:  &Principal{Federated: []string{arn}},
			Action:     []string{DefaultAction},
			Conditions: conds,
		}},
	}, nil
}

// pinRepository ties a repository named by name to its IDs, so that a
// new repository taking the name after a rename or transfer is not let in
// (lint's OIDC010). It returns the repository as the subject should name
// it and any conditions to add.
func pinRepository(o GenerateOptions, repo, host string) (string, []Condition, error) {
	immutable := strings.Contains(repo, "@")
	for _, id := range []struct{ flag, v string }{{"--repository-id", o.RepositoryID}, {"--owner-id", o.OwnerID}} {
		switch {
		case id.v == "":
		case immutable:
			return "", nil, fmt.Errorf("invalid %s %s: --repo already gives the IDs (OWNER@ID/REPO@ID); give them one way", id.flag, display.Quote(id.v))
		case !validID(id.v):
			return "", nil, fmt.Errorf("invalid %s %s: want the decimal ID, e.g. from `gh api repos/OWNER/REPO --jq .id,.owner.id`", id.flag, display.Quote(id.v))
		}
	}
	if immutable {
		return repo, nil, nil
	}
	if o.RepositoryID == "" {
		return "", nil, fmt.Errorf("missing --repository-id: a subject that names the repository only by name also admits a new repository that takes the name after a rename or transfer; give --repository-id (and --owner-id) from `gh api repos/%s --jq .id,.owner.id`, or --repo OWNER@OWNER_ID/REPO@REPO_ID", repo)
	}
	if ok, _ := ConditionKeyProvided(host, host+":repository_id"); ok {
		conds := []Condition{{Operator: "StringEquals", Key: host + ":repository_id", Values: []string{o.RepositoryID}}}
		if o.OwnerID != "" {
			conds = append(conds, Condition{Operator: "StringEquals", Key: host + ":repository_owner_id", Values: []string{o.OwnerID}})
		}
		return repo, conds, nil
	}
	if o.OwnerID == "" {
		return "", nil, fmt.Errorf("missing --owner-id: IAM has no repository_id condition key for issuer %s, so the subject must take the immutable form repo:OWNER@OWNER_ID/REPO@REPO_ID, which needs both IDs", display.Quote(host))
	}
	owner, name, _ := strings.Cut(repo, "/")
	return owner + "@" + o.OwnerID + "/" + name + "@" + o.RepositoryID, nil, nil
}

func validateRepo(r string) (string, error) {
	owner, name, ok := strings.Cut(r, "/")
	fail := func(why string) error {
		return fmt.Errorf("invalid --repo %s: %s; want OWNER/REPO such as octo-org/octo-repo", display.Quote(r), why)
	}
	if r == "" {
		return "", fmt.Errorf("missing --repo: give the repository as OWNER/REPO")
	}
	if !ok || strings.Contains(name, "/") {
		return "", fail("not of the form OWNER/REPO")
	}
	// Accept the immutable OWNER@ID/REPO@ID form, both parts or neither.
	on, oid, oHasID := strings.Cut(owner, "@")
	rn, rid, rHasID := strings.Cut(name, "@")
	if oHasID != rHasID {
		return "", fail("give IDs for both owner and repository (OWNER@OWNER_ID/REPO@REPO_ID) or for neither")
	}
	if oHasID && (!validID(oid) || !validID(rid)) {
		return "", fail("the IDs after @ must be decimal numbers")
	}
	if !validOwner(on) {
		return "", fail(fmt.Sprintf("owner %s is not a GitHub user or organisation name", display.Quote(on)))
	}
	if !validRepo(rn) || rn == "." || rn == ".." {
		return "", fail(fmt.Sprintf("repository name %s has characters GitHub does not allow", display.Quote(rn)))
	}
	return r, nil
}

func validateIssuer(iss string) error {
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("invalid --issuer %s: want an https URL without query or fragment, such as %s", display.Quote(iss), display.Quote(DefaultIssuer))
	}
	return nil
}

func providerFor(o GenerateOptions, host string) (string, error) {
	if o.ProviderARN != "" {
		a, ok := parseProviderARN(o.ProviderARN)
		if !ok || !partRe.MatchString(a.partition) || !acctRe.MatchString(a.account) {
			return "", fmt.Errorf("invalid --provider-arn %s: want arn:aws:iam::123456789012:oidc-provider/%s", display.Quote(o.ProviderARN), host)
		}
		if !sameIssuer(a.hostPath, host) {
			return "", fmt.Errorf("invalid --provider-arn %s: it names issuer %s, but --issuer is %s; they must agree", display.Quote(o.ProviderARN), display.Quote(a.hostPath), display.Quote(o.Issuer))
		}
		if o.Account != "" && o.Account != a.account {
			return "", fmt.Errorf("invalid --account %s: --provider-arn names account %s; give one or make them agree", display.Quote(o.Account), display.Quote(a.account))
		}
		if o.Partition != "" && o.Partition != a.partition {
			return "", fmt.Errorf("invalid --partition %s: --provider-arn is in partition %s", display.Quote(o.Partition), display.Quote(a.partition))
		}
		return o.ProviderARN, nil
	}
	if o.Account == "" {
		return "", fmt.Errorf("missing --account or --provider-arn: give the 12-digit AWS account that holds the OIDC provider")
	}
	if !acctRe.MatchString(o.Account) {
		return "", fmt.Errorf("invalid --account %s: want the 12-digit AWS account ID, e.g. 123456789012", display.Quote(o.Account))
	}
	part := o.Partition
	if part == "" {
		part = DefaultPartition
	}
	if !partRe.MatchString(part) {
		return "", fmt.Errorf("invalid --partition %s: want aws, aws-cn or aws-us-gov", display.Quote(part))
	}
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", part, o.Account, host), nil
}

// validateRef rejects what git forbids in ref names (except * and ?, which
// are patterns here) and anything that would corrupt the subject.
func validateRef(flag, v, refPrefix string) error {
	if bad := badText(v); bad != "" {
		return fmt.Errorf("invalid %s %s: %s", flag, display.Quote(v), bad)
	}
	if strings.HasPrefix(v, "refs/") {
		return fmt.Errorf("invalid %s %s: give the name without %s (it is added for you)", flag, display.Quote(v), display.Quote(refPrefix))
	}
	if strings.ContainsAny(v, " ~^:[\\") || strings.Contains(v, "..") || strings.HasPrefix(v, "/") || strings.HasSuffix(v, "/") || strings.HasSuffix(v, ".lock") {
		return fmt.Errorf("invalid %s %s: not a valid git ref name (no spaces, ~ ^ : [ \\ or \"..\")", flag, display.Quote(v))
	}
	return nil
}

// badText reports empty or control-character values, which no GitHub name
// contains and which would make the policy unreadable.
func badText(v string) string {
	if strings.TrimSpace(v) == "" {
		return "it is empty"
	}
	if v != strings.TrimSpace(v) {
		return "it has leading or trailing spaces"
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return "it contains control characters"
		}
	}
	return ""
}

func dedupe(vals []string) []string {
	seen := map[string]bool{}
	out := vals[:0]
	for _, v := range vals {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
