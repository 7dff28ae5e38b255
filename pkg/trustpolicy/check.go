package trustpolicy

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/org/oidc-aws-action/pkg/display"
)

// DefaultAction is the STS call a GitHub Actions workflow makes.
const DefaultAction = "sts:AssumeRoleWithWebIdentity"

// Request is what IAM evaluates a trust policy against: the token's issuer
// and claims, the STS action, and any other request-context keys.
type Request struct {
	// Issuer is the token's iss, e.g. https://token.actions.githubusercontent.com.
	// Condition keys "<issuer host/path>:<claim>" read Claims.
	Issuer string
	Claims map[string]any
	// Action defaults to DefaultAction.
	Action string
	// SessionName is the RoleSessionName of the call, the value of the
	// sts:RoleSessionName key. "" means unknown: the key is then treated as
	// absent, though the real call always carries one.
	SessionName string
	// Context holds keys that are not token claims, such as aws:SourceIp,
	// matched case-insensitively. Keys in neither place are absent, which is
	// how this tool treats aws:* keys unless you supply them.
	Context map[string]any
}

// Verdict is the outcome of one check within a statement.
type Verdict struct {
	Passed bool
	Reason string
	Fix    string // nearest change that would make it pass; "" when passed
}

// ConditionResult explains one operator/key pair.
type ConditionResult struct {
	Operator string
	Key      string
	Values   []string // the policy's values
	Seen     []string // the request's values; nil when the key is absent
	Passed   bool
	Reason   string
	Fix      string
	// Suggested holds the conditions that would let this token through in
	// place of this one, meant to be written together (e.g. the exact sub
	// and the repository_id that pins it), when explain can name them; nil
	// otherwise. None draws a lint warning.
	Suggested []Condition
}

// StatementResult explains one statement. Matched is true when principal,
// action and every condition pass, i.e. the statement's Effect applies.
type StatementResult struct {
	Index      int // 0-based position in the policy
	Sid        string
	Effect     string
	Matched    bool
	Principal  Verdict
	Action     Verdict
	Conditions []ConditionResult
}

// Label names the statement the way reports do: #N and the Sid, if any.
func (s *StatementResult) Label() string { return statementLabel(s.Index, s.Sid) }

// Result is IAM's decision with the reasoning behind it.
type Result struct {
	Allowed bool
	// Decision is "allowed", "denied: explicit deny in statement X" or
	// "denied: no statement allows".
	Decision   string
	Issuer     string
	Action     string
	Statements []StatementResult
}

// Check evaluates the policy the way IAM does: an explicit Deny that
// matches wins, otherwise any matching Allow allows, otherwise the request
// is implicitly denied. Every statement is evaluated fully so the report
// can show all failures at once.
func (c *Compiled) Check(r Request) *Result {
	if r.Action == "" {
		r.Action = DefaultAction
	}
	ev := evaluator{req: r, host: issuerHost(r.Issuer)}
	res := &Result{Issuer: r.Issuer, Action: r.Action}
	var denyBy, allowBy []string
	for _, s := range c.statements {
		sr := StatementResult{Index: s.index, Sid: s.sid, Effect: s.effect}
		sr.Principal = ev.principal(&s)
		sr.Action = ev.action(&s)
		matched := sr.Principal.Passed && sr.Action.Passed
		for i := range s.conds {
			cr := ev.condition(&s.conds[i], s.effect)
			matched = matched && cr.Passed
			sr.Conditions = append(sr.Conditions, cr)
		}
		sr.Matched = matched
		if matched {
			if s.effect == "Deny" {
				denyBy = append(denyBy, statementLabel(s.index, s.sid))
			} else {
				allowBy = append(allowBy, statementLabel(s.index, s.sid))
			}
		}
		res.Statements = append(res.Statements, sr)
	}
	switch {
	case len(denyBy) > 0:
		res.Decision = "denied: explicit deny in statement " + strings.Join(denyBy, ", ")
	case len(allowBy) > 0:
		res.Allowed, res.Decision = true, "allowed"
	default:
		res.Decision = "denied: no statement allows"
	}
	return res
}

type evaluator struct {
	req  Request
	host string // issuer without scheme: the condition-key prefix
}

func issuerHost(iss string) string {
	s := strings.TrimPrefix(strings.TrimPrefix(iss, "https://"), "http://")
	return strings.TrimRight(s, "/")
}

// sameIssuer compares issuer host/paths: DNS names ignore case, paths don't.
func sameIssuer(a, b string) bool {
	ah, ap, _ := strings.Cut(a, "/")
	bh, bp, _ := strings.Cut(b, "/")
	return strings.EqualFold(ah, bh) && ap == bp
}

func (ev *evaluator) principal(s *compiledStatement) Verdict {
	if s.notPrincipal != nil {
		ok, why := ev.principalNames(s.notPrincipal)
		if ok {
			return Verdict{false, "NotPrincipal excludes the caller: " + why, "remove the token's provider from NotPrincipal, or use Principal"}
		}
		return Verdict{Passed: true, Reason: "NotPrincipal does not exclude the caller: " + why}
	}
	ok, why := ev.principalNames(s.principal)
	if ok {
		return Verdict{Passed: true, Reason: why}
	}
	fix := fmt.Sprintf("set Principal.Federated to %s", display.Quote("arn:aws:iam::ACCOUNT_ID:oidc-provider/"+ev.host))
	for _, f := range s.principal.Federated {
		if a, ok := parseProviderARN(f); ok {
			fix = fmt.Sprintf("set Principal.Federated to %s", display.Quote(fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", a.partition, a.account, ev.host)))
			break
		}
	}
	return Verdict{Passed: false, Reason: why, Fix: fix}
}

// principalNames reports whether p names the web-identity caller.
func (ev *evaluator) principalNames(p *Principal) (bool, string) {
	if p.Wildcard {
		return true, "Principal \"*\" matches every caller"
	}
	for _, a := range p.AWS {
		if a == "*" {
			return true, "Principal {\"AWS\": \"*\"} matches every caller"
		}
	}
	var misses []string
	for _, f := range p.Federated {
		if a, ok := parseProviderARN(f); ok {
			if sameIssuer(a.hostPath, ev.host) {
				return true, fmt.Sprintf("Federated %s names the token's issuer %s", display.Quote(f), display.Quote(ev.host))
			}
			misses = append(misses, fmt.Sprintf("Federated %s names issuer %s, but the token's issuer is %s", display.Quote(f), display.Quote(a.hostPath), display.Quote(ev.host)))
			continue
		}
		if !strings.HasPrefix(f, "arn:") && sameIssuer(f, ev.host) {
			return true, fmt.Sprintf("Federated %s names the token's issuer", display.Quote(f))
		}
		if strings.Contains(f, ":saml-provider/") {
			misses = append(misses, fmt.Sprintf("Federated %s is a SAML provider, not an OIDC provider", display.Quote(f)))
		} else {
			misses = append(misses, fmt.Sprintf("Federated %s is not an OIDC provider for %s", display.Quote(f), display.Quote(ev.host)))
		}
	}
	if len(misses) > 0 {
		return false, strings.Join(misses, "; ")
	}
	var kinds []string
	if len(p.AWS) > 0 {
		kinds = append(kinds, "AWS "+display.QuoteList(p.AWS))
	}
	if len(p.Service) > 0 {
		kinds = append(kinds, "Service "+display.QuoteList(p.Service))
	}
	if len(p.CanonicalUser) > 0 {
		kinds = append(kinds, "CanonicalUser "+display.QuoteList(p.CanonicalUser))
	}
	return false, "the principal names only " + strings.Join(kinds, " and ") + ", which a web-identity token never is"
}

type providerARN struct {
	partition, account, hostPath string
}

// parseProviderARN reads arn:PARTITION:iam::ACCOUNT:oidc-provider/HOSTPATH.
func parseProviderARN(s string) (providerARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" {
		return providerARN{}, false
	}
	hp, ok := strings.CutPrefix(parts[5], "oidc-provider/")
	if !ok || hp == "" {
		return providerARN{}, false
	}
	return providerARN{partition: parts[1], account: parts[4], hostPath: hp}, true
}

func (ev *evaluator) action(s *compiledStatement) Verdict {
	act := ev.req.Action
	var hit string
	for _, pat := range s.actions {
		if globFold(pat, act) {
			hit = pat
			break
		}
	}
	switch {
	case !s.notAction && hit != "":
		return Verdict{Passed: true, Reason: fmt.Sprintf("action %s matches Action %s", display.Quote(act), display.Quote(hit))}
	case !s.notAction:
		return Verdict{false, fmt.Sprintf("action %s matches none of Action %s", display.Quote(act), display.QuoteList(s.actions)),
			fmt.Sprintf("add %s to Action", display.Quote(act))}
	case hit != "":
		return Verdict{false, fmt.Sprintf("action %s is excluded by NotAction %s", display.Quote(act), display.Quote(hit)),
			fmt.Sprintf("remove %s from NotAction", display.Quote(hit))}
	default:
		return Verdict{Passed: true, Reason: fmt.Sprintf("action %s is not excluded by NotAction %s", display.Quote(act), display.QuoteList(s.actions))}
	}
}

// lookup finds a condition key's values. vals is nil when IAM would see
// no such key; why then says why, in words a user can act on.
func (ev *evaluator) lookup(key string) (vals []string, claim string, why string) {
	if c, ok := issuerClaim(ev.host, key); ok {
		return ev.lookupClaim(c)
	}
	if why, absent := requestKeyAbsence(key); absent {
		return nil, "", why
	}
	if v, _, found := findKey(ev.req.Context, key); found {
		if vals = claimStrings(v); len(vals) > 0 {
			return vals, "", ""
		}
		return nil, "", fmt.Sprintf("key %s is empty in the request context", display.Quote(key))
	}
	if strings.EqualFold(key, "sts:RoleSessionName") {
		if ev.req.SessionName != "" {
			return []string{ev.req.SessionName}, "", ""
		}
		return nil, "", "the session name is not known here (give the role-session-name, e.g. explain --session-name NAME)"
	}
	prefix, rest, hasColon := cutLast(key, ":")
	switch {
	case hasColon && looksLikeIssuer(prefix):
		return nil, rest, fmt.Sprintf("key %s is for issuer %s, but the token's issuer is %s, so IAM never sets it", display.Quote(key), display.Quote(prefix), display.Quote(ev.host))
	case hasColon:
		return nil, "", fmt.Sprintf("key %s is not set for this request (this tool treats %s keys as absent unless given)", display.Quote(key), display.Quote(prefix+":*"))
	}
	return nil, "", fmt.Sprintf("key %s is not a known condition key", display.Quote(key))
}

// lookupClaim reads a key in the token issuer's namespace. A claim the
// token carries is still absent when IAM makes no key of it.
func (ev *evaluator) lookupClaim(claim string) (vals []string, _ string, why string) {
	if !claimIsKey(ev.host, claim) {
		why = fmt.Sprintf("IAM has no condition key %s; this condition never sees the claim", display.Quote(ev.host+":"+claim))
		if n := nearestKey(ev.host, claim); n != "" {
			why += fmt.Sprintf(" (the nearest key is %s)", display.Quote(n))
		}
		return nil, claim, why
	}
	v, name, found := findKey(ev.req.Claims, claim)
	if name == "aud" || strings.EqualFold(claim, "aud") {
		// IAM User Guide (Google): the aud key matches "azp when the azp
		// field is set"; IAM reads a token's client ID the same way for
		// every provider.
		if azp, _, ok := findKey(ev.req.Claims, "azp"); ok {
			v, found = azp, true
		}
	}
	if !found {
		return nil, claim, fmt.Sprintf("the token has no %s claim", display.Quote(claim))
	}
	vals = claimStrings(v)
	if len(vals) == 0 {
		return nil, claim, fmt.Sprintf("the token's %s claim is empty", display.Quote(claim))
	}
	return vals, claim, ""
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// findKey looks a name up exactly, then ignoring case, because IAM
// condition key names are case-insensitive.
func findKey(m map[string]any, name string) (any, string, bool) {
	if v, ok := m[name]; ok && v != nil {
		return v, name, true
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic if a map holds two spellings
	for _, k := range keys {
		if strings.EqualFold(k, name) && m[k] != nil {
			return m[k], k, true
		}
	}
	return nil, name, false
}

// claimStrings turns a claim into the string values IAM compares: lists
// become several values, numbers and booleans their JSON text.
func claimStrings(v any) []string {
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		return []string{t}
	case []string:
		return append([]string(nil), t...)
	case []any:
		var out []string
		for _, x := range t {
			if x != nil {
				out = append(out, scalarString(x))
			}
		}
		return out
	}
	return []string{scalarString(v)}
}

func scalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1e15 {
			return strconv.FormatInt(int64(t), 10)
		}
		return strconv.FormatFloat(t, 'f', -1, 64)
	case json.Number:
		return t.String()
	case int:
		return strconv.Itoa(t)
	case int64:
		return strconv.FormatInt(t, 10)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// splitSubject splits "repo:OWNER/REPO:CONTEXT" into "repo:OWNER/REPO" and
// CONTEXT. The immutable form repo:OWNER@ID/REPO@ID:... splits the same way.
func splitSubject(sub string) (repo, context string, ok bool) {
	rest, ok := strings.CutPrefix(sub, "repo:")
	if !ok {
		return "", "", false
	}
	i := strings.Index(rest, ":")
	if i < 0 {
		return "", "", false
	}
	return "repo:" + rest[:i], rest[i+1:], true
}

// subjectFix explains the usual reasons a GitHub subject differs from what
// the policy expects: the job's environment or event replaces the ref, or
// the repository is not the one named. pvs are the values with policy
// variables substituted; a value whose variables have no value, or are
// literal text under an old Version, may name any repository.
func subjectFix(c *compiledCond, pvs []policyValue, sub string) []string {
	repo, ctx, ok := splitSubject(sub)
	if !ok {
		return nil
	}
	sameRepo, wantsRef := false, false
	for i, pv := range pvs {
		if !pv.ok || varsAreLiteral(c, i) {
			sameRepo = true
			continue
		}
		pr, pctx, ok := splitSubject(pv.pat.s)
		if !ok {
			continue
		}
		var lit []bool
		if pv.pat.lit != nil {
			lit = pv.pat.lit[:len(pr)]
		}
		if pr == repo || (c.spec.family == famStringLike && globLit(pr, lit, repo)) {
			sameRepo = true
		}
		if strings.HasPrefix(pctx, "ref:") {
			wantsRef = true
		}
	}
	var out []string
	switch {
	case !sameRepo:
		out = append(out, fmt.Sprintf("the token comes from %s, a repository the policy does not name", display.Quote(strings.TrimPrefix(repo, "repo:"))))
	case strings.HasPrefix(ctx, "environment:") && wantsRef:
		out = append(out, fmt.Sprintf("the job uses environment %s, so GitHub puts %s in sub instead of the branch or tag", display.Quote(strings.TrimPrefix(ctx, "environment:")), display.Quote(ctx)))
	case ctx == "pull_request" && wantsRef:
		out = append(out, "pull_request workflows get sub \"...:pull_request\", not the branch ref")
	}
	return out
}
