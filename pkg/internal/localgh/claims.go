package localgh

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// claimsSupported is the discovery document's claims_supported, as GitHub
// publishes it.
var claimsSupported = []string{
	"sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository",
	"repository_id", "repository_owner", "repository_owner_id", "enterprise", "enterprise_id",
	"run_id", "run_number", "run_attempt", "actor", "actor_id", "workflow", "workflow_ref",
	"workflow_sha", "head_ref", "base_ref", "event_name", "ref_type", "ref_protected",
	"environment", "environment_node_id", "job_workflow_ref", "job_workflow_sha",
	"repository_visibility", "runner_environment", "issuer_scope",
}

// DefaultSHA is the commit the default claims point at.
const DefaultSHA = "8f3b2c9d6e1a4f7b0c5d2e9a6b3c0d7e4f1a8b5c"

// DefaultClaims is the template for a push to main of octo-org/octo-repo on a
// GitHub-hosted runner. GitHub encodes ids, counters and ref_protected as
// strings, and so does this.
//
// Claims that depend on others are left out and derived when a token is
// minted, unless the template sets them: sub (from environment, event_name,
// ref), repository_owner (from repository), workflow_ref/job_workflow_ref
// (from repository, workflow file and ref), workflow_sha/job_workflow_sha
// (from sha), and aud (https://github.com/OWNER, GitHub's default).
func DefaultClaims() map[string]any {
	return map[string]any{
		"ref":                   "refs/heads/main",
		"sha":                   DefaultSHA,
		"repository":            "octo-org/octo-repo",
		"repository_owner_id":   "65432101",
		"repository_id":         "745120001",
		"repository_visibility": "private",
		"run_id":                "9876543210",
		"run_number":            "42",
		"run_attempt":           "1",
		"actor":                 "octocat",
		"actor_id":              "583231",
		"workflow":              "Deploy",
		"head_ref":              "",
		"base_ref":              "",
		"event_name":            "push",
		"ref_protected":         "true",
		"ref_type":              "branch",
		"runner_environment":    "github-hosted",
	}
}

// workflowFile is the file name used when deriving workflow_ref.
const workflowFile = ".github/workflows/deploy.yml"

func applyOverrides(dst, over map[string]any) {
	for k, v := range over {
		if v == nil {
			delete(dst, k)
			continue
		}
		dst[k] = v
	}
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// deriveSubject follows GitHub's default subject format: environment wins,
// then pull_request events, then the ref.
func deriveSubject(c map[string]any) string {
	repo := str(c, "repository")
	if env := str(c, "environment"); env != "" {
		return "repo:" + repo + ":environment:" + env
	}
	if ev := str(c, "event_name"); ev == "pull_request" || ev == "pull_request_target" {
		return "repo:" + repo + ":pull_request"
	}
	return "repo:" + repo + ":ref:" + str(c, "ref")
}

func (i *Issuer) mint(overrides map[string]any) (string, error) {
	i.mu.RLock()
	c := cloneMap(i.claims)
	i.mu.RUnlock()
	removed := map[string]bool{}
	for k, v := range overrides {
		if v == nil {
			removed[k] = true
			delete(c, k)
			continue
		}
		c[k] = v
	}
	setDefault := func(k string, v any) {
		if _, ok := c[k]; !ok && !removed[k] {
			c[k] = v
		}
	}
	repo := str(c, "repository")
	owner, _, _ := strings.Cut(repo, "/")
	setDefault("repository_owner", owner)
	wfRef := repo + "/" + workflowFile + "@" + str(c, "ref")
	setDefault("workflow_ref", wfRef)
	setDefault("job_workflow_ref", wfRef)
	setDefault("workflow_sha", str(c, "sha"))
	setDefault("job_workflow_sha", str(c, "sha"))
	setDefault("sub", deriveSubject(c))
	setDefault("aud", "https://github.com/"+str(c, "repository_owner"))
	setDefault("iss", i.issuer)
	setDefault("jti", newUUID())
	now := i.clock()
	setDefault("iat", now.Unix())
	setDefault("nbf", now.Add(-notBeforeSkew).Unix())
	setDefault("exp", now.Add(i.lifetime).Unix())

	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(c))
	t.Header["kid"] = i.kid
	t.Header["x5t"] = i.x5t
	s, err := t.SignedString(i.key)
	if err != nil {
		return "", fmt.Errorf("failed to sign token: %w", err)
	}
	i.minted.Add(1)
	return s, nil
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
