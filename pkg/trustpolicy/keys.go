package trustpolicy

import (
	"slices"
	"strings"
)

// Which condition keys IAM puts in the request context of
// sts:AssumeRoleWithWebIdentity. A token claim is not a condition key by
// being in the token: IAM turns only a documented few into keys, and a
// condition on any other claim sees a missing key (false for a positive
// operator, true for a negated one). Getting this wrong is how a tool says
// "allowed" for a role that never works.

// genericOIDCKeys are the keys every OIDC provider gets. The IAM User
// Guide, "Available keys for AWS web identity federation": "Define
// condition keys using the name of the OIDC provider followed by the claim
// (:aud, :azp, :amr, sub)."
var genericOIDCKeys = []string{"aud", "azp", "amr", "sub"}

// githubKeys are the further keys IAM provides for GitHub's own issuers,
// per the Service Authorization Reference for AWS STS (condition keys of
// AssumeRoleWithWebIdentity). Every other GitHub claim (repository_owner,
// ref_type, event_name, head_ref, runner_environment, …) is absent to IAM.
var githubKeys = []string{
	"actor", "actor_id", "enterprise_id", "environment", "job_workflow_ref",
	"ref", "repository", "repository_id", "repository_owner_id", "workflow",
}

// providerKeys are keys documented for one provider only. IAM User Guide:
// "If you use Google for web identity federation, this key [oaud] specifies
// the Google audience (aud) that this ID token is intended for."
var providerKeys = map[string][]string{
	"accounts.google.com": {"oaud"},
}

// nearestGitHubKey maps a GitHub claim that is not a condition key to the
// key that carries the same or the nearest information, for explain's and
// lint's fixes. "" means only a sub pattern can express it.
var nearestGitHubKey = map[string]string{
	"repository_owner":      "repository_owner_id",
	"repository_visibility": "",
	"ref_type":              "ref",
	"ref_protected":         "",
	"event_name":            "sub",
	"head_ref":              "sub",
	"base_ref":              "sub",
	"workflow_ref":          "job_workflow_ref",
	"workflow_sha":          "",
	"job_workflow_sha":      "",
	"sha":                   "",
	"runner_environment":    "",
	"enterprise":            "enterprise_id",
	"run_id":                "",
	"run_number":            "",
	"run_attempt":           "",
}

// issuerKind says which key set an issuer gets.
type issuerKind int

const (
	issuerGeneric issuerKind = iota
	issuerGitHub             // github.com, its enterprise-slug form, GHE.com
)

// classifyIssuer tells GitHub's cloud issuers from every other one. A GHES
// issuer (HOST/_services/token) is an ordinary OIDC provider to IAM.
func classifyIssuer(hostPath string) issuerKind {
	h := strings.ToLower(strings.TrimRight(hostPath, "/"))
	if h == "token.actions.githubusercontent.com" {
		return issuerGitHub
	}
	if slug, ok := strings.CutPrefix(h, "token.actions.githubusercontent.com/"); ok && slug != "" && !strings.Contains(slug, "/") {
		return issuerGitHub
	}
	if sub, ok := strings.CutPrefix(h, "token.actions."); ok {
		if name, ok := strings.CutSuffix(sub, ".ghe.com"); ok && name != "" && !strings.ContainsAny(name, "./") {
			return issuerGitHub
		}
	}
	return issuerGeneric
}

// claimIsKey reports whether IAM provides "<issuer>:<claim>".
func claimIsKey(hostPath, claim string) bool {
	c := strings.ToLower(claim)
	h := strings.ToLower(strings.TrimRight(hostPath, "/"))
	if slices.Contains(genericOIDCKeys, c) || slices.Contains(providerKeys[h], c) {
		return true
	}
	return classifyIssuer(h) == issuerGitHub && slices.Contains(githubKeys, c)
}

// requestKeyAbsence names the request keys that a GitHub web-identity call
// never carries, with why. GitHub puts no session tags and no source
// identity in its tokens, and AssumeRoleWithWebIdentity takes tags only from
// the token.
func requestKeyAbsence(key string) (why string, absent bool) {
	k := strings.ToLower(key)
	switch {
	case k == "sts:sourceidentity":
		return "sts:SourceIdentity is set only from the token's https://aws.amazon.com/source_identity claim, which GitHub never sends", true
	case k == "sts:transitivetagkeys":
		return "sts:TransitiveTagKeys is set only from session tags in the token, which GitHub never sends", true
	case sessionTagKey(k):
		return key + " is set only from session tags in the token (https://aws.amazon.com/tags), which GitHub never sends", true
	case k == "sts:externalid":
		return "sts:ExternalId exists only for sts:AssumeRole, never for a web-identity call", true
	}
	return "", false
}

// sessionTagKey reports whether the lower-case key k is set only from
// session tags.
func sessionTagKey(k string) bool {
	return k == "aws:tagkeys" || k == "sts:transitivetagkeys" || strings.HasPrefix(k, "aws:requesttag/")
}

// ConditionKeyProvided reports whether IAM provides the condition key for a
// sts:AssumeRoleWithWebIdentity call with a token from issuer (its iss, with
// or without https://, the host/path of its OIDC provider, or the provider's
// ARN as Principal.Federated names it). Key names are
// compared ignoring case, issuer path included.
//
// ok is false when IAM never sets the key for such a call: a claim that is
// not a key (e.g. ":repository_owner"), a key named for another issuer,
// sts:SourceIdentity, aws:RequestTag/… and aws:TagKeys. nearest then names
// the key to use instead (e.g. "token.actions.githubusercontent.com:repository_owner_id"),
// or "" when none carries the same information (a sub pattern may).
//
// Keys this package does not judge (most aws:* global keys) report ok.
func ConditionKeyProvided(issuer, key string) (ok bool, nearest string) {
	host := issuerHost(issuer)
	if a, isARN := parseProviderARN(issuer); isARN {
		host = a.hostPath
	}
	if claim, mine := issuerClaim(host, key); mine {
		if claimIsKey(host, claim) {
			return true, ""
		}
		return false, nearestKey(host, claim)
	}
	if _, absent := requestKeyAbsence(key); absent {
		return false, ""
	}
	prefix, claim, hasColon := cutLast(key, ":")
	switch {
	case !hasColon:
		return false, ""
	case looksLikeIssuer(prefix):
		if host == "" {
			return false, ""
		}
		if claimIsKey(host, claim) {
			return false, host + ":" + strings.ToLower(claim)
		}
		return false, nearestKey(host, claim)
	case strings.EqualFold(prefix, "sts"):
		// sts:RoleSessionName is always in the request: the call requires it.
		return strings.EqualFold(claim, "RoleSessionName"), ""
	}
	return true, ""
}

// issuerClaim returns the claim part of key when key is "<host>:<claim>",
// comparing the issuer part ignoring case.
func issuerClaim(host, key string) (string, bool) {
	if host == "" || len(key) <= len(host)+1 || key[len(host)] != ':' || !strings.EqualFold(key[:len(host)], host) {
		return "", false
	}
	return key[len(host)+1:], true
}

func looksLikeIssuer(prefix string) bool {
	return strings.Contains(prefix, ".") || strings.Contains(prefix, "/")
}

// nearestKey names the key to use for a claim IAM does not provide.
func nearestKey(host, claim string) string {
	c := strings.ToLower(claim)
	if classifyIssuer(host) == issuerGitHub {
		if n, ok := nearestGitHubKey[c]; ok && n != "" {
			return host + ":" + n
		}
		return ""
	}
	// GHES and other providers: the GitHub-specific claims are in sub.
	if slices.Contains(githubKeys, c) || c == "repository_owner" {
		return host + ":sub"
	}
	return ""
}
