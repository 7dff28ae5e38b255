// Package permissions works out how much an IAM role may do, so that a
// trust policy's breadth can be weighed against what it hands out. It
// grades a role's identity policies as admin-equivalent, high or limited,
// caps the grade by the role's permissions boundary, and finds a role's
// policies in `terraform show -json` output and in
// `aws iam get-account-authorization-details` output. A policy whose
// document the input does not hold makes the grade unknown, never "none".
package permissions

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Level grades what a role's policies allow.
type Level int

const (
	// Limited is everything below High: nothing this package knows to be
	// broad.
	Limited Level = iota
	// High: a grant worth much with a second role or service, such as
	// iam:PassRole or sts:AssumeRole on every resource, or PowerUserAccess.
	High
	// Admin: the role can do anything, or can grant itself anything.
	Admin
)

func (l Level) String() string {
	switch l {
	case Admin:
		return "admin-equivalent"
	case High:
		return "high"
	}
	return "limited"
}

// Policy is one policy attached to a role, inline or managed. Document is
// the policy's JSON (an object, a JSON string holding it, or the IAM API's
// URL-encoded form); nil when the input does not hold it.
type Policy struct {
	Name     string
	ARN      string // "" for an inline policy, or a managed one not created yet
	Document []byte
	inline   bool // set by Assess for the role's Inline list
}

// label names the policy for a reader: the managed policy's name, or the
// inline policy's name marked as inline.
func (p Policy) label() string {
	switch {
	case p.inline:
		return "inline " + display.Quote(p.Name)
	case p.Name != "":
		return p.Name
	}
	return nameOf(p.ARN)
}

// Role is what a role is allowed: its inline and managed policies and its
// permissions boundary. ARN may be "" when not yet known (a terraform
// plan); Name is then used to recognise statements about the role itself.
type Role struct {
	Name     string
	ARN      string
	Inline   []Policy
	Managed  []Policy
	Boundary *Policy
}

// Grant is one reason a role is High or Admin.
type Grant struct {
	Level Level
	// What the policy grants, e.g. "AdministratorAccess" or
	// `iam:PassRole on "*"`.
	What string
	// Policy is the label of the policy that grants it.
	Policy string
}

// Assessment is what a role may do, as far as the input tells.
type Assessment struct {
	// Level is the grade of the policies whose documents are known,
	// capped by a known boundary.
	Level Level
	// Grants are the High and Admin grants found, strongest first.
	Grants []Grant
	// Policies are the labels of every policy attached.
	Policies []string
	// Unknown are the labels of attached policies (or the boundary) whose
	// documents the input lacks: the role may do more than Level says.
	Unknown []string
	// Boundary is the label of the permissions boundary, if any; Capped is
	// true when it lowered Level.
	Boundary string
	Capped   bool
}

// Strongest is what the strongest grant gives, for messages such as "any
// repository of acme can get AdministratorAccess"; "" below High.
func (a Assessment) Strongest() string {
	if len(a.Grants) == 0 || a.Level < High {
		return ""
	}
	for _, g := range a.Grants {
		if g.Level <= a.Level {
			return g.What
		}
	}
	return a.Grants[0].What
}

// Summary is one line saying what the role may do.
func (a Assessment) Summary() string {
	var b strings.Builder
	b.WriteString(a.Level.String())
	if len(a.Unknown) > 0 && a.Level < Admin {
		b.WriteString(" as far as known")
	}
	var whats []string
	for _, g := range a.Grants {
		if g.What == g.Policy {
			whats = append(whats, g.What)
		} else {
			whats = append(whats, fmt.Sprintf("%s (%s)", g.What, g.Policy))
		}
	}
	switch {
	case a.Capped:
		fmt.Fprintf(&b, ", capped by permissions boundary %s; without it %s: %s", a.Boundary, a.Grants[0].Level, strings.Join(whats, ", "))
	case len(whats) > 0:
		b.WriteString(": " + strings.Join(whats, ", "))
	}
	if a.Boundary != "" && !a.Capped {
		fmt.Fprintf(&b, "; permissions boundary %s", a.Boundary)
	}
	if len(a.Unknown) > 0 {
		fmt.Fprintf(&b, "; unknown, not in the input: %s", strings.Join(a.Unknown, ", "))
	}
	switch {
	case len(a.Policies) == 0:
		b.WriteString("; no policies attached")
	case len(a.Grants) == 0:
		fmt.Fprintf(&b, "; policies: %s", strings.Join(a.Policies, ", "))
	}
	return b.String()
}

// Assess grades role. A managed policy AWS publishes is judged by the
// built-in table when it is there, so a file without its document still
// says what it grants; otherwise by its document.
func Assess(role Role) Assessment {
	var a Assessment
	consider := func(p Policy) {
		a.Policies = append(a.Policies, p.label())
		gs, known := grade(p, role)
		if !known {
			a.Unknown = append(a.Unknown, unknownLabel(p))
			return
		}
		a.Grants = append(a.Grants, gs...)
	}
	for _, p := range role.Inline {
		p.inline = true
		consider(p)
	}
	for _, p := range role.Managed {
		consider(p)
	}
	sortGrants(a.Grants)
	if len(a.Grants) > 0 {
		a.Level = a.Grants[0].Level
	}
	if b := role.Boundary; b != nil {
		a.Boundary = b.label()
		gs, known := grade(*b, role)
		switch {
		case !known:
			a.Unknown = append(a.Unknown, "permissions boundary "+unknownLabel(*b))
		default:
			// The role may do only what both its policies and its
			// boundary allow, so the boundary's grade caps the role's.
			capLevel := Limited
			if len(gs) > 0 {
				sortGrants(gs)
				capLevel = gs[0].Level
			}
			if capLevel < a.Level {
				a.Level, a.Capped = capLevel, true
			}
		}
	}
	return a
}

func unknownLabel(p Policy) string {
	if p.ARN != "" {
		return p.ARN
	}
	return p.label()
}

// grade returns p's High and Admin grants, and whether p is known at all.
func grade(p Policy, role Role) ([]Grant, bool) {
	if m, ok := awsManaged(p.ARN); ok {
		if m.level < High {
			return nil, true
		}
		return []Grant{{Level: m.level, What: m.name, Policy: p.label()}}, true
	}
	if p.Document == nil {
		return nil, false
	}
	doc, err := parseDocument(p.Document)
	if err != nil {
		// A document IAM would not have stored; say so rather than call it
		// harmless.
		return nil, false
	}
	gs := gradeDocument(doc, role)
	for i := range gs {
		gs[i].Policy = p.label()
	}
	return gs, true
}

// sortGrants puts the strongest first; within a level, the order the
// policies were attached in.
func sortGrants(gs []Grant) {
	slices.SortStableFunc(gs, func(a, b Grant) int { return cmp.Compare(b.Level, a.Level) })
}
