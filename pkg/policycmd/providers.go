package policycmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
	"github.com/org/oidc-aws-action/pkg/trustpolicy"
)

// providerRules are audit's rules about an OIDC provider, from
// `aws iam get-open-id-connect-provider` output given next to the
// account's details.
var providerRules = []trustpolicy.Rule{
	{ID: "OIDC103", Severity: trustpolicy.SeverityInfo, Summary: "OIDC provider no role trusts",
		Help: "No audited role names the provider in its trust policy. An unused provider is one more way in if a role that trusts it is added carelessly. Delete it (aws iam delete-open-id-connect-provider) if nothing needs it."},
	{ID: "OIDC104", Severity: trustpolicy.SeverityWarning, Summary: "Client ID no role requires",
		Help: "The provider accepts tokens for a client ID (audience) that no role's aud condition asks for. A role that trusts the provider without an aud condition accepts such tokens, which workflows mint for other services. Remove the client ID (aws iam remove-client-id-from-open-id-connect-provider), or add an aud condition to every role."},
}

// oidcProvider is one provider file: what IAM holds for the provider, with
// no ARN, which audit builds from the accounts of the roles audited.
type oidcProvider struct {
	File      string
	URL       string // host/path, as in the provider's ARN
	ClientIDs []string
	Findings  []trustpolicy.Finding
}

// readProvider reads `aws iam get-open-id-connect-provider` output; ok is
// false when data is some other kind of file.
func readProvider(file string, data []byte) (*oidcProvider, bool, error) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return nil, false, nil
	}
	if _, ok := top["ClientIDList"]; !ok {
		return nil, false, nil
	}
	var p struct {
		Url          string
		ClientIDList []string
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, true, fmt.Errorf("invalid `aws iam get-open-id-connect-provider` output: %w", err)
	}
	u := strings.TrimSuffix(strings.TrimPrefix(p.Url, "https://"), "/")
	if u == "" {
		return nil, true, errors.New("invalid `aws iam get-open-id-connect-provider` output: no Url")
	}
	return &oidcProvider{File: file, URL: u, ClientIDs: p.ClientIDList}, true, nil
}

// trustUse is what one role's trust policy asks of one provider: the aud
// values it requires, or none when some Allow statement has no aud
// condition (then every client ID of the provider gets in).
type trustUse struct {
	anyAudience bool
	audiences   []string
}

// providerUses maps each provider ARN an Allow statement of p names to
// what it asks of it.
func providerUses(p *trustpolicy.Policy) map[string]*trustUse {
	out := map[string]*trustUse{}
	for _, s := range p.Statements {
		if s.Effect != "Allow" || s.Principal == nil {
			continue
		}
		for _, arn := range s.Principal.Federated {
			_, host, ok := strings.Cut(arn, ":oidc-provider/")
			if !ok {
				continue
			}
			u := out[arn]
			if u == nil {
				u = &trustUse{}
				out[arn] = u
			}
			var auds []string
			found := false
			for _, c := range s.Conditions {
				if !strings.EqualFold(c.Key, host+":aud") {
					continue
				}
				switch op := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(c.Operator, "ForAnyValue:"), "ForAllValues:"), "IfExists"); op {
				case "StringEquals", "StringLike", "StringEqualsIgnoreCase":
					found = true
					auds = append(auds, c.Values...)
				}
			}
			if !found {
				u.anyAudience = true
			}
			u.audiences = append(u.audiences, auds...)
		}
	}
	return out
}

// judgeProviders adds each provider's findings. A provider's ARN is built
// from the partition and account of every audited role's ARN and the
// provider's Url: a provider file does not say which account it is from.
func judgeProviders(rep *auditReport) {
	arns := map[string]bool{}
	for _, r := range rep.roles {
		f := strings.SplitN(r.ARN, ":", 6)
		if len(f) == 6 {
			arns[f[1]+":"+f[4]] = true
		}
	}
	for _, p := range rep.providers {
		var uses []*trustUse
		var users []string
		for _, r := range rep.roles {
			for arn, u := range r.uses {
				f := strings.SplitN(arn, ":", 6)
				if len(f) == 6 && arns[f[1]+":"+f[4]] && strings.EqualFold(strings.TrimPrefix(f[5], "oidc-provider/"), p.URL) {
					uses = append(uses, u)
					users = append(users, r.Name)
				}
			}
		}
		if len(uses) == 0 {
			r := providerRules[0]
			p.Findings = append(p.Findings, trustpolicy.Finding{ID: r.ID, Severity: r.Severity, Index: -1,
				Message: fmt.Sprintf("no audited role trusts the provider %s", display.Quote(p.URL)),
				Fix:     "delete the provider if nothing needs it: aws iam delete-open-id-connect-provider"})
			continue
		}
		var open []string
		for i, u := range uses {
			if u.anyAudience {
				open = append(open, users[i])
			}
		}
		slices.Sort(open)
		open = slices.Compact(open)
		for _, id := range p.ClientIDs {
			if slices.ContainsFunc(uses, func(u *trustUse) bool { return requires(u, id) }) {
				continue
			}
			r := providerRules[1]
			sev := r.Severity
			msg := fmt.Sprintf("client ID %s is registered on the provider, but no role's aud condition asks for it", display.Quote(id))
			if len(open) > 0 {
				msg += fmt.Sprintf("; roles without an aud condition accept tokens minted for it: %s", strings.Join(open, ", "))
			} else {
				sev = trustpolicy.SeverityInfo
				msg += "; every role requires another audience, so it admits no one today"
			}
			p.Findings = append(p.Findings, trustpolicy.Finding{ID: r.ID, Severity: sev, Index: -1, Message: msg,
				Fix: "remove it: aws iam remove-client-id-from-open-id-connect-provider --client-id " + display.Quote(id)})
		}
	}
}

// requires reports whether the role's aud condition names id (a pattern
// of StringLike counts when it matches).
func requires(u *trustUse, id string) bool {
	for _, a := range u.audiences {
		if a == id || strings.ContainsAny(a, "*?") && trustpolicy.Like(a, id) {
			return true
		}
	}
	return false
}
