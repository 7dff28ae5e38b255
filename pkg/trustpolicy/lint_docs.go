package trustpolicy

// The sentences of GitHub's OIDC reference
// (https://docs.github.com/en/actions/reference/security/oidc) that the
// subject rules rest on, one each, quoted as written.
const (
	docMustCondition  = "GitHub, OpenID Connect reference: \"To control how your cloud provider issues access tokens, you must define at least one condition, so that untrusted repositories can’t request access tokens for your cloud resources.\""
	docColonEncoded   = "GitHub, OpenID Connect reference: \"Any `:` within the metadata values will be replaced with `%3A` in the subject claim.\""
	docCustomTemplate = "GitHub, OpenID Connect reference: \"Alternatively, the repository owner could use the REST API to apply a different configuration specific to the repository.\""
	docRecycled       = "GitHub, OpenID Connect reference: \"If a namespace was recycled, a different owner could create the same subject value.\""
	docEnterpriseID   = "GitHub, OpenID Connect reference, enterprise_id: \"The ID of the enterprise that contains the repository from where the workflow is running.\""
)
