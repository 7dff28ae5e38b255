// Package stsexchange makes the single AWS STS calls the action needs —
// AssumeRoleWithWebIdentity and, for role chaining, AssumeRole — and
// classifies their failures.
package stsexchange

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/org/oidc-aws-action/pkg/sessiontags"
)

// Defaults for Options fields left zero.
const (
	defaultTimeout          = 10 * time.Second
	defaultMaxResponseBytes = 1 << 20
)

// Options configures a Client. Region is required; every other field may
// be left zero, and says what its zero value means.
type Options struct {
	Region string // required, [a-z0-9-]+
	// Endpoint is the sts-endpoint input; "" resolves AWS_ENDPOINT_URL_STS,
	// then AWS_ENDPOINT_URL, then the SDK's regional endpoint.
	Endpoint string
	// Getenv reads AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL,
	// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS, HTTPS_PROXY, HTTP_PROXY and NO_PROXY
	// (and their lowercase forms); nil means os.Getenv.
	Getenv func(string) string
	// HTTPProxy is the http-proxy input, used for both http and https
	// endpoints; "" means HTTPS_PROXY/HTTP_PROXY by the endpoint's scheme.
	HTTPProxy string
	// NoProxy is the no-proxy input; "" means NO_PROXY/no_proxy.
	NoProxy string
	// Timeout bounds one call, including reading the answer; 0 means defaultTimeout.
	Timeout time.Duration
	// MaxResponseBytes bounds the (decompressed) answer; 0 means defaultMaxResponseBytes.
	MaxResponseBytes int64
	// Transport replaces the proxy-aware transport (tests); HTTPProxy and
	// NoProxy are then ignored.
	Transport http.RoundTripper
	// Version goes into the User-Agent as oidc-aws-action/VERSION; "" means "dev".
	Version string
}

// Client calls STS. It is safe for concurrent use.
type Client struct {
	sts            *sts.Client
	endpoint       string
	endpointSource string
	timeout        time.Duration
}

// Credentials are temporary AWS credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// WebIdentityInput is one AssumeRoleWithWebIdentity request. Zero Duration,
// empty Policy and nil PolicyARNs are omitted from the request.
type WebIdentityInput struct {
	RoleARN     string
	SessionName string
	Token       string
	Duration    time.Duration
	Policy      string
	PolicyARNs  []string
}

// AssumeRoleInput is one AssumeRole request signed with Source. Zero Duration,
// empty ExternalID and Policy, and nil PolicyARNs are omitted from the request.
type AssumeRoleInput struct {
	RoleARN     string
	SessionName string
	ExternalID  string
	Duration    time.Duration
	Policy      string
	PolicyARNs  []string
	// Tags are session tags; TransitiveTagKeys must each name one of them.
	Tags              []sessiontags.Tag
	TransitiveTagKeys []string
	Source            Credentials
}

// Result is a successful answer: what the action exports. Every string in
// it has been checked to be free of control characters and line breaks, and
// to have the shape STS gives it. AssumedRoleARN may be empty (MinIO
// returns an empty AssumedRoleUser).
type Result struct {
	Credentials    Credentials
	AssumedRoleARN string
}

// field is one named value of an answer, for the checks in finish.
type field struct{ name, value string }

// The length is checked apart: a counted repetition costs RE2 one state per
// count, compiled at every start.
var regionPattern = regexp.MustCompile(`^[a-z0-9-]+$`)

// New validates o and builds a Client. It makes no network calls.
func New(o Options) (*Client, error) {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if len(o.Region) > 64 || !regionPattern.MatchString(o.Region) {
		return nil, fmt.Errorf("aws-region %s is not a region name such as us-east-1 (want lowercase letters, digits and dashes)", quote(o.Region, 100))
	}
	endpoint, source, err := resolveEndpoint(o.Endpoint, getenv)
	if err != nil {
		return nil, err
	}
	c := &Client{endpoint: endpoint, endpointSource: source, timeout: o.Timeout}
	if endpoint == "" {
		if c.endpoint, err = defaultEndpoint(o.Region); err != nil {
			return nil, fmt.Errorf("no STS endpoint is known for aws-region %q: %w", o.Region, err)
		}
	}
	if c.timeout < 0 || o.MaxResponseBytes < 0 {
		return nil, fmt.Errorf("the Timeout (%v) and MaxResponseBytes (%d) options must not be negative", o.Timeout, o.MaxResponseBytes)
	}
	if c.timeout == 0 {
		c.timeout = defaultTimeout
	}
	limit := o.MaxResponseBytes
	if limit == 0 {
		limit = defaultMaxResponseBytes
	}
	transport := o.Transport
	if transport == nil {
		cfg, err := proxyConfig(o, getenv)
		if err != nil {
			return nil, fmt.Errorf("the proxy for STS: %w", err)
		}
		transport = newTransport(cfg.ProxyFunc())
	}
	version := o.Version
	if version == "" {
		version = "dev"
	}
	so := sts.Options{
		Region: o.Region,
		HTTPClient: &limitedClient{
			limit: limit,
			client: &http.Client{
				Transport: transport,
				// STS never redirects; following one would send the token
				// somewhere the user did not configure.
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
		},
		Credentials: aws.AnonymousCredentials{},
		// The caller's loop owns retries, since some need a fresh GitHub token.
		Retryer:    aws.NopRetryer{},
		APIOptions: []func(*middleware.Stack) error{awsmiddleware.AddUserAgentKeyValue("oidc-aws-action", version)},
	}
	if endpoint != "" {
		so.BaseEndpoint = aws.String(endpoint)
	}
	c.sts = sts.New(so)
	return c, nil
}

// Endpoint is the URL calls go to, for logs.
func (c *Client) Endpoint() string { return c.endpoint }

// AssumeRoleWithWebIdentity makes one unsigned AssumeRoleWithWebIdentity call.
// Any error is an *Error.
func (c *Client) AssumeRoleWithWebIdentity(ctx context.Context, in WebIdentityInput) (*Result, error) {
	const op = opWebIdentity
	secrets := []string{in.Token}
	params := &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String(in.RoleARN),
		RoleSessionName:  aws.String(in.SessionName),
		WebIdentityToken: aws.String(in.Token),
	}
	var err error
	switch {
	case in.Token == "":
		err = errors.New("the web identity token is empty")
	default:
		err = fillCommon(in.RoleARN, in.SessionName, in.Duration, in.Policy, in.PolicyARNs, &params.DurationSeconds, &params.Policy, &params.PolicyArns)
	}
	if err != nil {
		return nil, inputError(op, err)
	}

	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out, err := c.sts.AssumeRoleWithWebIdentity(attemptCtx, params)
	if err != nil {
		return nil, classify(callInfo{op, c.endpoint, c.timeout, secrets}, err, ctx, attemptCtx)
	}
	// Nothing reads these, but an answer with a broken one is no answer
	// to trust.
	also := []field{
		{"SubjectFromWebIdentityToken", aws.ToString(out.SubjectFromWebIdentityToken)},
		{"Audience", aws.ToString(out.Audience)},
		{"Provider", aws.ToString(out.Provider)},
	}
	return finish(op, out.Credentials, out.AssumedRoleUser, also, out.ResultMetadata, secrets)
}

// AssumeRole makes one AssumeRole call signed with in.Source (role chaining).
// Any error is an *Error.
func (c *Client) AssumeRole(ctx context.Context, in AssumeRoleInput) (*Result, error) {
	const op = opAssumeRole
	secrets := []string{in.Source.SecretAccessKey, in.Source.SessionToken}
	params := &sts.AssumeRoleInput{
		RoleArn:         aws.String(in.RoleARN),
		RoleSessionName: aws.String(in.SessionName),
	}
	if in.ExternalID != "" {
		params.ExternalId = aws.String(in.ExternalID)
	}
	for _, t := range in.Tags {
		params.Tags = append(params.Tags, types.Tag{Key: aws.String(t.Key), Value: aws.String(t.Value)})
	}
	params.TransitiveTagKeys = in.TransitiveTagKeys
	var err error
	switch {
	case in.Source.AccessKeyID == "" || in.Source.SecretAccessKey == "":
		err = errors.New("the source credentials for role chaining are empty")
	default:
		err = fillCommon(in.RoleARN, in.SessionName, in.Duration, in.Policy, in.PolicyARNs, &params.DurationSeconds, &params.Policy, &params.PolicyArns)
	}
	if err != nil {
		return nil, inputError(op, err)
	}

	source := aws.Credentials{
		AccessKeyID:     in.Source.AccessKeyID,
		SecretAccessKey: in.Source.SecretAccessKey,
		SessionToken:    in.Source.SessionToken,
		Source:          "stsexchange",
	}
	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	out, err := c.sts.AssumeRole(attemptCtx, params, func(o *sts.Options) {
		o.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return source, nil })
	})
	if err != nil {
		return nil, classify(callInfo{op, c.endpoint, c.timeout, secrets}, err, ctx, attemptCtx)
	}
	return finish(op, out.Credentials, out.AssumedRoleUser, nil, out.ResultMetadata, secrets)
}

func fillCommon(roleARN, sessionName string, d time.Duration, policy string, policyARNs []string,
	durationSeconds **int32, policyField **string, arns *[]types.PolicyDescriptorType) error {
	switch {
	case roleARN == "":
		return errors.New("the role ARN is empty")
	case sessionName == "":
		return errors.New("the role session name is empty")
	case d < 0 || d%time.Second != 0 || d/time.Second > math.MaxInt32:
		return fmt.Errorf("the session duration %v is not a positive whole number of seconds", d)
	}
	if d > 0 {
		*durationSeconds = aws.Int32(int32(d / time.Second))
	}
	if policy != "" {
		*policyField = aws.String(policy)
	}
	for i, a := range policyARNs {
		if a == "" {
			return fmt.Errorf("managed session policy ARN #%d is empty", i+1)
		}
		*arns = append(*arns, types.PolicyDescriptorType{Arn: aws.String(a)})
	}
	return nil
}

func inputError(op string, err error) *Error {
	e := &Error{Op: op, Message: "invalid request: " + err.Error(), Err: err}
	e.applyRule(kindInvalidInput)
	return e
}

// finish checks a successful answer. Values come from whatever endpoint was
// configured, and the credentials end up in GITHUB_ENV, so a line break in
// them could inject variables, and shell syntax could run in a later step;
// such answers, and any value not shaped as STS shapes it, are refused
// without echoing them.
// The answer's other values (also, and the assumed role's ID) are checked
// the same way, though nothing reads them.
func finish(op string, creds *types.Credentials, user *types.AssumedRoleUser, also []field, md middleware.Metadata, secrets []string) (*Result, error) {
	reqID, _ := awsmiddleware.GetRequestIDMetadata(md)
	requestID := sanitize(reqID, maxRequestIDBytes, nil)
	fail := func(msg string) (*Result, error) {
		e := &Error{Op: op, RequestID: requestID, Message: msg, Err: &invalidResponse{msg}}
		if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil {
			e.HTTPStatus = raw.StatusCode
		}
		e.applyRule(kindInvalidResponse)
		return nil, e
	}
	if creds == nil {
		return fail("the answer has no Credentials")
	}
	res := &Result{}
	res.Credentials = Credentials{
		AccessKeyID:     aws.ToString(creds.AccessKeyId),
		SecretAccessKey: aws.ToString(creds.SecretAccessKey),
		SessionToken:    aws.ToString(creds.SessionToken),
		Expiration:      aws.ToTime(creds.Expiration),
	}
	var roleID string
	if user != nil {
		res.AssumedRoleARN = aws.ToString(user.Arn)
		roleID = aws.ToString(user.AssumedRoleId)
	}
	required := []field{
		{"Credentials.AccessKeyId", res.Credentials.AccessKeyID},
		{"Credentials.SecretAccessKey", res.Credentials.SecretAccessKey},
		{"Credentials.SessionToken", res.Credentials.SessionToken},
	}
	for _, f := range required {
		if f.value == "" {
			return fail(f.name + " is empty")
		}
	}
	checked := append(required, field{"AssumedRoleUser.Arn", res.AssumedRoleARN}, field{"AssumedRoleUser.AssumedRoleId", roleID})
	for _, f := range append(checked, also...) {
		if unsafeText(f.value) {
			return fail(f.name + " contains a control character, line break or invalid UTF-8 (value withheld)")
		}
	}
	if msg := shapeProblem(res, roleID); msg != "" {
		return fail(msg + " (value withheld)")
	}
	if res.Credentials.Expiration.IsZero() {
		return fail("Credentials.Expiration is missing")
	}
	return res, nil
}

// limitedClient fails answers larger than limit without reading them whole.
type limitedClient struct {
	client *http.Client
	limit  int64
}

// maxRequestBytes bounds the buffered request form; a web identity token and
// two session policies fit many times over.
const maxRequestBytes = 1 << 20

func (l *limitedClient) Do(req *http.Request) (*http.Response, error) {
	// The SDK closes the request body as soon as Do returns, but net/http's
	// write loop may still make its final read of it; the early close makes
	// that read fail, and the transport then drops the connection while the
	// answer is being read. An in-memory copy the SDK cannot close avoids it.
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(io.LimitReader(req.Body, maxRequestBytes+1))
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("reading the STS request to send it: %w", err)
		}
		if len(body) > maxRequestBytes {
			return nil, fmt.Errorf("the STS request form is over %d bytes", maxRequestBytes)
		}
		req = req.Clone(req.Context())
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > l.limit {
		resp.Body.Close()
		return nil, &errTooLarge{l.limit}
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: l.limit, limit: l.limit}
	return resp, nil
}

type limitedBody struct {
	io.ReadCloser
	left, limit int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &errTooLarge{b.limit}
	}
	// Ask for one byte more than allowed so an exactly-full body is not
	// mistaken for an oversized one.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = -1
		return n, &errTooLarge{b.limit}
	}
	b.left -= int64(n)
	return n, err
}

// newTransport is http.DefaultTransport with the action's proxy decision and
// a TLS 1.2 floor; the per-call context bounds everything else.
func newTransport(proxy func(*url.URL) (*url.URL, error)) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = func(r *http.Request) (*url.URL, error) { return proxy(r.URL) }
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	t.TLSHandshakeTimeout = 10 * time.Second
	t.MaxIdleConns = 4
	t.IdleConnTimeout = 30 * time.Second
	return t
}
