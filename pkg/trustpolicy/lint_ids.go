package trustpolicy

import (
	"fmt"

	"github.com/org/oidc-aws-action/pkg/display"
)

// Rule OIDC018: the immutable subject form with a wildcard for an ID
// ("repo:acme@*/app@*:…") keeps only the names, so it admits whoever holds
// them, as the name-only form does, while looking pinned.

func lintDiscardedIDs(r *reporter, f *stmtFacts) {
	if !f.allow || f.neverMatches() {
		return
	}
	for _, c := range f.conds {
		if !c.cc.spec.negated && (c.claim == "repository_id" || c.claim == "repository_owner_id") && f.provided(&c) {
			return
		}
	}
	for i := range f.conds {
		c := &f.conds[i]
		if c.claim != "sub" || !f.restricts(c) || !f.provided(c) {
			continue
		}
		vals, like := scopeValues(f.version, c.Values, c.cc.spec.family == famStringLike)
		for j, v := range vals {
			if gradeSubject(v, like).idsDiscarded {
				r.report(fmt.Sprintf("sub pattern %s puts a wildcard where the immutable form has the owner's or repository's ID, so it matches on the names alone: after a rename, transfer or deletion, a new owner or repository that takes the name matches", display.Quote(c.Values[j])),
					"write the IDs (`gh api repos/OWNER/REPO --jq '.owner.id, .id'`), e.g. \"repo:OWNER@OWNER_ID/REPO@REPO_ID:ref:refs/heads/main\"; `oidc-aws policy generate` writes them", c.Values[j])
				return
			}
		}
	}
}
