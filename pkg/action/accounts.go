package action

import (
	"errors"
	"strings"

	"github.com/org/oidc-aws-action/pkg/inputs"
	"github.com/org/oidc-aws-action/pkg/stsexchange"
	"github.com/org/oidc-aws-action/pkg/workflow"
)

// accountMask hides, with mask-aws-account-id: true, every AWS account ID
// the step comes to know, each before anything could print it: the role's
// and the allowed accounts from the raw inputs, first thing (a validation
// error may quote them); the accounts a trust-policy file names, when it is
// read; the assumed role's, when STS answers; and any an error quotes,
// before it is reported. The runner then hides them in every later line.
type accountMask struct {
	r  *workflow.Runner
	on bool
}

// newAccountMask reads mask-aws-account-id and role-to-assume as given,
// before validation, so that even an input error cannot show the account.
// Any spelling of true counts here: masking too much is harmless, and
// validation reports a spelling it does not take.
func newAccountMask(r *workflow.Runner, getenv func(string) string) *accountMask {
	m := &accountMask{r: r, on: strings.EqualFold(strings.TrimSpace(getenv(inputs.EnvName(inputs.MaskAWSAccountID))), "true")}
	if m.on {
		role := strings.TrimSpace(getenv(inputs.EnvName(inputs.RoleToAssume)))
		m.in(role)
		for _, id := range digitRuns(getenv(inputs.EnvName(inputs.AllowedAccountIDs))) {
			r.Mask(id)
		}
		r.Mask(role)
	}
	return m
}

// in masks the account IDs in ARNs within text.
func (m *accountMask) in(text string) {
	if !m.on {
		return
	}
	for _, id := range arnAccounts(text) {
		m.r.Mask(id)
	}
}

// failure masks the accounts an error quotes: STS messages name ARNs (the
// caller's and the role's, on AccessDenied).
func (m *accountMask) failure(err error) {
	if !m.on {
		return
	}
	m.in(err.Error())
	var se *stsexchange.Error
	if errors.As(err, &se) {
		m.in(se.Message)
	}
}

// arnAccounts finds 12-digit runs where an ARN holds its account: between
// two colons (arn:aws:iam::123456789012:role/x).
func arnAccounts(text string) []string { return accountRuns(text, true) }

// digitRuns finds every run of exactly 12 digits.
func digitRuns(text string) []string { return accountRuns(text, false) }

func accountRuns(text string, inARN bool) []string {
	var ids []string
	for i := 0; i < len(text); {
		j := i
		for j < len(text) && text[j] >= '0' && text[j] <= '9' {
			j++
		}
		if j == i {
			i++
			continue
		}
		if j-i == 12 && (!inARN || i > 0 && text[i-1] == ':' && j < len(text) && text[j] == ':') {
			ids = append(ids, text[i:j])
		}
		i = j
	}
	return ids
}
