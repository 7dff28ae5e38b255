package trustpolicy

import (
	"slices"
	"strings"
)

// Repositories lists the repositories that the policy's GitHub Allow
// statements name (OWNER/REPO, lower-cased as GitHub compares them, from
// sub and repository conditions; "repository_id N" for an ID alone), and
// reports whether some statement admits more than one repository by a
// pattern or by having no identity condition, so that a caller can tell
// whether several repositories share the role.
func Repositories(p *Policy) (repos []string, many bool) {
	if p == nil {
		return nil, false
	}
	for i := range p.Statements {
		f := statementFacts(i, &p.Statements[i])
		f.version = p.Version
		if !f.allow || !f.github || f.neverMatches() {
			continue
		}
		if id := f.subjectScope(); !id.ok || id.level < scopeRepo {
			many = true
			continue
		}
		var named []string
		var ids []string
		for j := range f.conds {
			c := &f.conds[j]
			if !f.restricts(c) || !f.provided(c) {
				continue
			}
			for _, v := range c.Values {
				switch c.claim {
				case "sub":
					if repo, _, ok := splitSubject(v); ok {
						named = append(named, stripIDs(strings.TrimPrefix(repo, "repo:")))
					}
				case "repository":
					named = append(named, strings.ToLower(v))
				case "repository_id":
					ids = append(ids, "repository_id "+v)
				}
			}
		}
		if len(named) == 0 {
			named = ids
		}
		repos = append(repos, named...)
	}
	slices.Sort(repos)
	return slices.Compact(repos), many
}

// stripIDs turns "owner@1/repo@2" into "owner/repo", lower-cased.
func stripIDs(repo string) string {
	owner, name, _ := strings.Cut(strings.ToLower(repo), "/")
	owner, _, _ = strings.Cut(owner, "@")
	name, _, _ = strings.Cut(name, "@")
	return owner + "/" + name
}
