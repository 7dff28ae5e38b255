package permissions

import (
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// escalation are the actions by which a role grants itself more: a new
// inline policy, a managed policy attached, or its trust policy rewritten,
// each on the role itself.
var escalation = []string{"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"}

// gradeDocument returns the High and Admin grants of a policy's Allow
// statements. Deny statements are not subtracted: a grant is reported
// unless the role's boundary caps it. A statement with a Condition is
// graded one level lower, since its condition may confine it (as
// iam:PassedToService does for a service's PassRole).
func gradeDocument(doc []statement, role Role) []Grant {
	var out []Grant
	for i := range doc {
		s := &doc[i]
		if s.Effect != "Allow" {
			continue
		}
		g, ok := gradeStatement(s, role)
		if !ok {
			continue
		}
		if s.conditional() {
			if g.Level == High {
				continue
			}
			g.Level--
			g.What += " (under a condition)"
		}
		out = append(out, g)
	}
	return out
}

func gradeStatement(s *statement, role Role) (Grant, bool) {
	all := s.everyResource()
	switch {
	case s.everyAction() && all:
		return Grant{Level: Admin, What: `"*" on "*"`}, true
	case s.hasNotAction && all:
		what := "NotAction " + quoteList(s.NotAction) + ` on "*"`
		for _, a := range escalation {
			if s.allows(a) {
				return Grant{Level: Admin, What: what + " (every action but those, " + a + " included)"}, true
			}
		}
		// Everything but IAM, as PowerUserAccess: much, but the role
		// cannot widen its own grant.
		return Grant{Level: High, What: what}, true
	case s.everyIAMAction() && s.coversRole(role):
		return Grant{Level: Admin, What: `iam:* on ` + resourceText(s)}, true
	}
	for _, a := range escalation {
		if s.allows(a) && s.coversRole(role) {
			return Grant{Level: Admin, What: a + " on " + resourceText(s)}, true
		}
	}
	// A new default version of any policy attached to the role rewrites
	// what the role may do.
	if s.allows("iam:CreatePolicyVersion") && (all || s.coversPolicy(role)) {
		return Grant{Level: Admin, What: "iam:CreatePolicyVersion on " + resourceText(s)}, true
	}
	for _, a := range []string{"iam:PassRole", "sts:AssumeRole"} {
		if s.allows(a) && all {
			return Grant{Level: High, What: a + ` on "*"`}, true
		}
	}
	return Grant{}, false
}

// coversPolicy reports whether the statement's resources include one of
// the customer-managed policies attached to the role (or its boundary).
func (s *statement) coversPolicy(role Role) bool {
	ps := append([]Policy(nil), role.Managed...)
	if role.Boundary != nil {
		ps = append(ps, *role.Boundary)
	}
	for _, p := range ps {
		if _, aws := awsManaged(p.ARN); p.ARN == "" || aws || strings.Contains(p.ARN, ":aws:policy/") {
			continue
		}
		if anyGlob(s.Resource, p.ARN, false) {
			return true
		}
	}
	return false
}

func resourceText(s *statement) string {
	if s.hasNotResource {
		return "NotResource " + quoteList(s.NotResource)
	}
	return quoteList(s.Resource)
}

// quoteList shows one value bare, several as display.QuoteList does.
func quoteList(vs []string) string {
	if len(vs) == 1 {
		return display.Quote(vs[0])
	}
	return display.QuoteList(vs)
}
