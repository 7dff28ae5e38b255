package stsexchange

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Where an endpoint or proxy setting came from, as kept in Client.endpointSource
// and named in validation errors.
const (
	sourceInput   = "input sts-endpoint"
	sourceDefault = "SDK default"
)

// resolveEndpoint applies the AWS SDKs' precedence: explicit configuration,
// then AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL, unless
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true, which disables both variables.
// It returns "" (and sourceDefault) when the SDK's regional endpoint applies.
func resolveEndpoint(explicit string, getenv func(string) string) (endpoint, source string, err error) {
	candidates := []struct{ value, source string }{{explicit, sourceInput}}
	if !strings.EqualFold(strings.TrimSpace(getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")), "true") {
		candidates = append(candidates,
			struct{ value, source string }{getenv("AWS_ENDPOINT_URL_STS"), "environment variable AWS_ENDPOINT_URL_STS"},
			struct{ value, source string }{getenv("AWS_ENDPOINT_URL"), "environment variable AWS_ENDPOINT_URL"},
		)
	}
	for _, c := range candidates {
		v := strings.TrimSpace(c.value)
		if v == "" {
			continue
		}
		if err := validateEndpoint(v); err != nil {
			return "", c.source, fmt.Errorf("the STS endpoint from %s: %w", c.source, err)
		}
		return v, c.source, nil
	}
	return "", sourceDefault, nil
}

// validateEndpoint accepts an absolute http(s) URL with a host, optionally a
// path. Userinfo is refused because it would be logged with the endpoint and
// the SDK would not use it anyway.
func validateEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s is not a URL (want e.g. https://sts.us-east-1.amazonaws.com): %w", displayURL(raw), innermost(err))
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Errorf("%s must start with https:// (or http://), e.g. https://sts.us-east-1.amazonaws.com", quote(u.Redacted(), 200))
	case u.User != nil:
		return fmt.Errorf("%s must not contain a user name or password", quote(u.Redacted(), 200))
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%s has no host name", quote(raw, 200))
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return fmt.Errorf("%s must not have a query or fragment", quote(raw, 200))
	case unsafeText(raw):
		return fmt.Errorf("%s contains control characters", quote(raw, 200))
	case !isASCII(u.Hostname()):
		// net/http sends such a host in its xn-- form, SigV4 would sign the
		// Unicode form, and the proxy rules compare ASCII only.
		return fmt.Errorf("%s has a host name that is not ASCII; write it in its xn-- (punycode) form", quote(raw, 200))
	}
	return nil
}

// displayURL quotes an unparsable URL unless it may hold a password.
func displayURL(raw string) string {
	if strings.Contains(raw, "@") {
		return "the value (withheld: it contains '@')"
	}
	return quote(raw, 200)
}

// defaultEndpoint asks the SDK's own resolver which URL it will use, so that the
// logged endpoint is exactly the one called (aws-cn, aws-us-gov and the other
// partitions have different domains).
func defaultEndpoint(region string) (string, error) {
	ep, err := sts.NewDefaultEndpointResolverV2().ResolveEndpoint(context.Background(), sts.EndpointParameters{
		Region:            aws.String(region),
		UseDualStack:      aws.Bool(false),
		UseFIPS:           aws.Bool(false),
		UseGlobalEndpoint: aws.Bool(false),
	})
	if err != nil {
		return "", err
	}
	return ep.URI.String(), nil
}
