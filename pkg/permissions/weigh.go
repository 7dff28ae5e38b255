package permissions

import (
	"fmt"
	"strings"

	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// SharedRule is the finding for a broad role that several repositories can
// assume. Its ID lies outside the trust-policy rules' range, so the two
// tables can grow apart.
var SharedRule = trustpolicy.Rule{
	ID:       "OIDC101",
	Severity: trustpolicy.SeverityError,
	Summary:  "Broad role shared by several repositories",
	Help: "One role with admin-equivalent (error) or high (warning) permissions that workflows of several repositories can assume: " +
		"a compromise of any of them gets all of it, which rebuilds the blast radius OIDC was meant to remove. Give each repository and environment its own role with only what it needs.",
}

// lockout are the trust rules whose findings mean the policy admits fewer
// tokens than meant, or none, or cannot be judged yet: a role's permissions
// do not make them worse.
var lockout = map[string]bool{
	"OIDC000": true, "OIDC005": true, "OIDC009": true, "OIDC011": true,
	"OIDC013": true, "OIDC015": true, "OIDC016": true, "OIDC020": true,
}

// wide are the trust rules whose findings mean that more than one
// repository can assume the role.
var wide = map[string]bool{
	"OIDC001": true, "OIDC002": true, "OIDC003": true, "OIDC017": true, "OIDC019": true,
}

// Weigh raises each trust finding that lets someone in by one severity
// step when the role is High or Admin, and says what it means: who can get
// what.
func Weigh(findings []trustpolicy.Finding, a Assessment) []trustpolicy.Finding {
	what := a.Strongest()
	if what == "" {
		return findings
	}
	out := make([]trustpolicy.Finding, len(findings))
	for i, f := range findings {
		if !lockout[f.ID] {
			f.Severity = raise(f.Severity)
			f.Message += fmt.Sprintf("; %s, so %s can get %s", roleIs(a.Level), who(f), what)
		}
		out[i] = f
	}
	return out
}

func roleIs(l Level) string {
	if l == Admin {
		return "the role is admin-equivalent"
	}
	return "the role's permissions are high"
}

func raise(sev trustpolicy.Severity) trustpolicy.Severity {
	switch sev {
	case trustpolicy.SeverityInfo:
		return trustpolicy.SeverityWarning
	case trustpolicy.SeverityWarning:
		return trustpolicy.SeverityError
	}
	return sev
}

// who says whom a trust finding lets in, from its rule and evidence.
func who(f trustpolicy.Finding) string {
	switch f.ID {
	case "OIDC001", "OIDC002", "OIDC012", "OIDC017":
		return "any repository on GitHub"
	case "OIDC019":
		return "any repository of the enterprise"
	case "OIDC018":
		return "whoever takes over the names"
	case "OIDC003":
		if owner, _, ok := strings.Cut(strings.TrimPrefix(f.Evidence, "repo:"), "/"); ok && !strings.ContainsAny(owner, "*?:") {
			return "any repository of " + owner
		}
		return "any repository of the owner"
	case "OIDC004":
		if repo, _, ok := strings.Cut(strings.TrimPrefix(f.Evidence, "repo:"), ":"); ok && strings.HasPrefix(f.Evidence, "repo:") {
			return "any branch, tag or pull request of " + repo
		}
		return "any branch, tag or pull request of the repository"
	case "OIDC007", "OIDC008":
		return "a token for any audience the provider accepts"
	case "OIDC010":
		if repo, _, ok := strings.Cut(strings.TrimPrefix(f.Evidence, "repo:"), ":"); ok && strings.HasPrefix(f.Evidence, "repo:") {
			return "whoever takes over the name " + repo
		}
		return "whoever takes over the repository's name"
	}
	return "anyone this lets in"
}

// Shared returns the OIDC101 finding for a role graded a that the trust
// policy p, with its findings, lets several repositories assume; or false.
func Shared(p *trustpolicy.Policy, findings []trustpolicy.Finding, a Assessment) (trustpolicy.Finding, bool) {
	what := a.Strongest()
	if what == "" {
		return trustpolicy.Finding{}, false
	}
	repos, many := trustpolicy.Repositories(p)
	for _, f := range findings {
		many = many || wide[f.ID]
	}
	if !many && len(repos) < 2 {
		return trustpolicy.Finding{}, false
	}
	sev := trustpolicy.SeverityWarning
	if a.Level == Admin {
		sev = trustpolicy.SeverityError
	}
	whom := "workflows of many repositories"
	if !many {
		whom = fmt.Sprintf("workflows of %d repositories (%s)", len(repos), strings.Join(repos, ", "))
	}
	return trustpolicy.Finding{
		ID: SharedRule.ID, Severity: sev, Index: -1,
		Message: fmt.Sprintf("%s can assume this role, and %s (%s): a compromise of any of them gets it", whom, roleIs(a.Level), what),
		Fix:     "give each repository and environment its own role, with only the permissions it needs",
	}, true
}
