package trustpolicy

import (
	"strings"
)

// Who a statement's identity conditions let in, from broadest to narrowest.
// GitHub builds sub in one of three forms: the default
// "repo:OWNER/REPO:CONTEXT", the immutable "repo:OWNER@ID/REPO@ID:CONTEXT",
// and a custom "key:value:key:value…" whose keys the token's owner chooses
// (include_claim_keys, set per organisation or repository). Only a claim the
// caller cannot choose pins who the caller is: the repository, its owner,
// their IDs, or the enterprise.
const (
	scopeAnyRepo    = iota // a wildcard where the owner goes: anyone
	scopeAnyOwner          // literal, but any owner can produce it
	scopeEnterprise        // every repository of one enterprise
	scopeOwner             // every repository of one owner
	scopeRepo              // every context of one repository
	scopeExact             // named contexts of one repository
)

// identity is what a statement's identity conditions let in, and which
// condition value decides it.
type identity struct {
	level    int
	claim    string        // the deciding condition's claim: "sub", "job_workflow_ref", …
	evidence string        // its broadest value, as the policy writes it
	pairs    []subjectPair // for a sub value: the literal pairs before any pin
	late     bool          // for a sub value: a pin follows a wildcard, uncounted
	partial  bool          // for a sub value: pairs stop at a wildcard
	ok       bool          // false when no condition restricts the caller at all
}

// subjectScope works out how far the statement's identity conditions let
// in: conditions AND together, so the narrowest restricting condition
// decides; within one condition values OR, so its broadest value decides.
// A condition on a key IAM does not provide restricts nothing: it is never
// true (neverMatches) or always true (IfExists, negated), whatever the
// token says.
func (f *stmtFacts) subjectScope() identity {
	id := identity{level: -1}
	contextRestricted := false
	for i := range f.conds {
		c := &f.conds[i]
		if !f.restricts(c) || !f.provided(c) {
			continue
		}
		vals, like := scopeValues(f.version, c.Values, c.cc.spec.family == famStringLike)
		switch c.claim {
		case "ref", "environment", "workflow_ref", "event_name", "job_workflow_sha", "workflow_sha":
			if !anyWildcardOnly(vals, like) {
				contextRestricted = true
			}
		}
		g, i, ctx, isID := claimScope(c.claim, vals, like)
		if !isID {
			continue
		}
		contextRestricted = contextRestricted || ctx
		if !id.ok || g.level > id.level {
			id = identity{level: g.level, claim: c.claim, evidence: c.Values[i], pairs: g.pairs, late: g.lateWildcard, partial: g.partial, ok: true}
		}
	}
	if id.level == scopeRepo && contextRestricted {
		id.level = scopeExact
	}
	return id
}

// subjectGrade is what one sub value lets in.
type subjectGrade struct {
	level int
	// ctx is true when the value names a context (branch, tag,
	// environment, pull request, reusable workflow), so it does not admit
	// every run of whatever it pins.
	ctx bool
	// idsDiscarded: an @ID of the immutable form is a wildcard, so a new
	// owner or repository that takes the name matches.
	idsDiscarded bool
	pairs        []subjectPair
	// lateWildcard: a pinning pair follows the first wildcard of a custom
	// value, and is not counted.
	lateWildcard bool
	// partial: reading stopped at a wildcard, so pairs is not the whole
	// template a matching token needs.
	partial bool
}

// subjectPair is one key:value of a custom subject, its value decoded:
// GitHub writes a ":" inside a value as "%3A".
type subjectPair struct{ key, value string }

// claimScope grades the values of a positive condition on a claim that
// identifies who the caller is; ok is false for claims that do not. The
// result is the broadest value's grade, since values OR together; ctx is
// true when every value restricts the context.
func claimScope(claim string, vals []string, like bool) (g subjectGrade, evidence int, ctx, ok bool) {
	var grade func(string) subjectGrade
	switch claim {
	case "sub":
		grade = func(v string) subjectGrade { return gradeSubject(v, like) }
	case "job_workflow_ref":
		// The called workflow's path, not the caller's: any repository
		// allowed to call the workflow gets a token carrying it.
		grade = func(v string) subjectGrade {
			if pathScope(v, like, scopeAnyOwner) == scopeAnyRepo {
				return subjectGrade{level: scopeAnyRepo}
			}
			return subjectGrade{level: scopeAnyOwner, ctx: strings.Trim(v, "*?") != ""}
		}
	case "repository":
		grade = func(v string) subjectGrade { return subjectGrade{level: pathScope(v, like, scopeRepo)} }
	case "repository_id":
		grade = func(v string) subjectGrade { return subjectGrade{level: literalScope(v, like, scopeRepo)} }
	case "repository_owner", "repository_owner_id":
		grade = func(v string) subjectGrade { return subjectGrade{level: literalScope(v, like, scopeOwner)} }
	case "enterprise_id":
		grade = func(v string) subjectGrade { return subjectGrade{level: literalScope(v, like, scopeEnterprise)} }
	default:
		return subjectGrade{}, 0, false, false
	}
	g.level = scopeExact + 1
	ctx = len(vals) > 0
	for i, v := range vals {
		vg := grade(v)
		ctx = ctx && vg.ctx
		if vg.level < g.level {
			g, evidence = vg, i
		}
	}
	return g, evidence, ctx, true
}

// contextKeys are the sub keys whose value narrows which runs of a
// repository match; "pull_request" is the default form's context for pull
// requests and stands alone, with no value.
var contextKeys = map[string]bool{
	"ref": true, "environment": true, "pull_request": true, "job_workflow_ref": true,
	"workflow_ref": true, "workflow": true, "event_name": true, "head_ref": true,
	"base_ref": true, "sha": true, "job_workflow_sha": true, "workflow_sha": true,
}

// gradeSubject grades one sub value. A value in the default or immutable
// form ("repo:…" first) is graded by where its first wildcard falls. Any
// other value is a custom template's, read pair by pair: GitHub writes a
// ":" inside a value as "%3A", so a literal "key:value" pair cannot be
// forged by another value. A pair that pins the caller (repo,
// repository_owner, repository_owner_id, repository_id, enterprise,
// enterprise_id) counts only while every pair before it is literal and
// whole; a wildcard may span pairs, so after one nothing further is known.
func gradeSubject(v string, like bool) subjectGrade {
	if strings.HasPrefix(v, "repo:") {
		sub, discarded := keepIDs(v, like)
		lvl := subjectLevel(sub, like)
		return subjectGrade{level: lvl, idsDiscarded: discarded, ctx: lvl == scopeExact}
	}
	g := subjectGrade{level: scopeAnyOwner}
	for pos, first := 0, true; pos <= len(v); first = false {
		rest := v[pos:]
		key, after, hasValue := strings.Cut(rest, ":")
		if wildAt(key, like) >= 0 {
			if first {
				// "*", "re*": could be "repo:" and any repository at all.
				return subjectGrade{level: scopeAnyRepo}
			}
			g.lateWildcard, g.partial = pinAfter(rest), true
			break
		}
		if key == "pull_request" {
			g.ctx = true
			g.pairs = append(g.pairs, subjectPair{key: "pull_request"})
			if !hasValue {
				break
			}
			pos += len(key) + 1
			continue
		}
		if !hasValue {
			break
		}
		val, _, more := strings.Cut(after, ":")
		wild := wildAt(val, like) >= 0
		if !wild {
			g.pairs = append(g.pairs, subjectPair{key, strings.ReplaceAll(strings.ReplaceAll(val, "%3A", ":"), "%3a", ":")})
		}
		switch key {
		case "repo":
			// The repository pair and everything after it read as the
			// default form, wherever the pair sits.
			sub, discarded := keepIDs(rest, like)
			lvl := subjectLevel(sub, like)
			if lvl == scopeRepo && g.ctx {
				lvl = scopeExact
			}
			g.idsDiscarded = g.idsDiscarded || discarded
			g.level = max(g.level, lvl)
			g.ctx = g.ctx || lvl == scopeExact
			return g
		case "repository_owner", "repository_owner_id":
			g.level = max(g.level, pinLevel(val, wild, scopeOwner))
		case "repository_id":
			g.level = max(g.level, pinLevel(val, wild, scopeRepo))
		case "enterprise", "enterprise_id":
			g.level = max(g.level, pinLevel(val, wild, scopeEnterprise))
		default:
			g.ctx = g.ctx || contextKeys[key]
		}
		if wild {
			g.lateWildcard, g.partial = more && pinAfter(rest), true
		}
		if wild || !more {
			break
		}
		pos += len(key) + 1 + len(val) + 1
	}
	if g.level == scopeRepo && g.ctx {
		g.level = scopeExact
	}
	return g
}

// pinAfter reports whether a pinning pair follows in rest.
func pinAfter(rest string) bool {
	for _, k := range []string{"repo", "repository_owner", "repository_owner_id", "repository_id", "enterprise", "enterprise_id"} {
		if strings.Contains(rest, ":"+k+":") {
			return true
		}
	}
	return false
}

// pinLevel is what a pinning pair's value pins: a wildcard in it pins
// nothing, so the pair admits any owner.
func pinLevel(val string, wild bool, level int) int {
	if wild {
		return scopeAnyRepo
	}
	return level
}

// keepIDs rewrites a whole-ID wildcard of the immutable form ("OWNER@*/",
// "REPO@*:") to a literal ID, so the value is graded for what its names
// admit, and reports whether any @ID of v held a wildcard. An ID wildcard
// that may run on into the next part is left as it is: it admits more
// than the name.
func keepIDs(v string, like bool) (string, bool) {
	if !like {
		return v, false
	}
	rest := strings.TrimPrefix(v, "repo:")
	ownerEnd := strings.IndexAny(rest, "/:")
	discarded := false
	var b strings.Builder
	b.WriteString("repo:")
	part := func(seg, next string) {
		name, id, hasID := strings.Cut(seg, "@")
		switch {
		case !hasID || wildAt(name, like) >= 0 || wildAt(id, like) < 0:
			b.WriteString(seg)
		case id == "*" && next != "":
			discarded = true
			b.WriteString(name + "@0")
		default:
			discarded = true
			b.WriteString(seg)
		}
	}
	if ownerEnd < 0 || rest[ownerEnd] != '/' {
		part(rest, "")
		return b.String(), discarded
	}
	part(rest[:ownerEnd], "/")
	b.WriteByte('/')
	rest = rest[ownerEnd+1:]
	repoEnd := strings.Index(rest, ":")
	if repoEnd < 0 {
		part(rest, "")
		return b.String(), discarded
	}
	part(rest[:repoEnd], ":")
	b.WriteString(rest[repoEnd:])
	return b.String(), discarded
}

// subjectLevel grades a value in the default or immutable form, such as
// "repo:org/repo:ref:refs/heads/main" or "repo:org@1/repo@2:…", by where
// its first wildcard falls.
func subjectLevel(v string, like bool) int {
	w := wildAt(v, like)
	if w < 0 {
		return scopeExact
	}
	rest := strings.TrimPrefix(v, "repo:")
	w -= len("repo:")
	slash := strings.Index(rest, "/")
	// "@" cannot appear in a GitHub name, so "NAME@" before the wildcard
	// pins that name whatever follows.
	if w < 0 || slash < 0 || w < slash {
		if w > 0 && strings.Contains(rest[:w], "@") {
			return scopeOwner
		}
		return scopeAnyRepo
	}
	colon := strings.Index(rest[slash:], ":")
	if colon < 0 || w < slash+colon {
		if strings.Contains(rest[slash:w], "@") {
			return scopeRepo
		}
		return scopeOwner
	}
	if w == slash+colon+1 {
		return scopeRepo
	}
	return scopeExact
}

// pathScope grades OWNER/REPO[/...] values: a wildcard in the owner admits
// any repository, one in the repository name any of the owner's.
func pathScope(v string, like bool, exact int) int {
	w := wildAt(v, like)
	if w < 0 {
		return exact
	}
	slash := strings.Index(v, "/")
	if slash < 0 || w < slash {
		return scopeAnyRepo
	}
	next := strings.IndexAny(v[slash+1:], "/@")
	if next < 0 || w < slash+1+next {
		return scopeOwner
	}
	return exact
}

func literalScope(v string, like bool, exact int) int {
	if wildAt(v, like) >= 0 {
		return scopeAnyRepo
	}
	return exact
}
