package stsexchange

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Class sorts failed calls by what another attempt could do about them;
// pkg/rolehop's one table of retry rules says what is done for each.
type Class int

// Fatal is the zero value so that an Error built without a class never causes
// a retry storm.
const (
	// Fatal: retrying cannot help; fail with the hint.
	Fatal Class = iota
	// Transient: retry the same request after a backoff.
	Transient
	// RefreshToken: the token expired; a fresh one may pass, once.
	RefreshToken
	// RetryOnce: AWS could not validate the token; one fresh token may
	// pass (GitHub's signing keys may be mid-rotation, and IAM is
	// eventually consistent after a provider is created).
	RetryOnce
	// Throttled: retry after a longer backoff. Throttling hits a whole job
	// matrix at once; short waits just throttle it again.
	Throttled
	// DropTags: the session tags and policies were too large together;
	// retry once without the session tags that are only metadata (role
	// chaining sends tags; AssumeRoleWithWebIdentity never does).
	DropTags
)

func (c Class) String() string {
	switch c {
	case Fatal:
		return "Fatal"
	case Transient:
		return "Transient"
	case RefreshToken:
		return "RefreshToken"
	case RetryOnce:
		return "RetryOnce"
	case Throttled:
		return "Throttled"
	case DropTags:
		return "DropTags"
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Operation names used in Error.Op.
const (
	opWebIdentity = "AssumeRoleWithWebIdentity"
	opAssumeRole  = "AssumeRole"
)

// Error is the only error type AssumeRoleWithWebIdentity and AssumeRole return.
// Every string field is safe to print: control characters are escaped and the
// web identity token and source credentials are redacted. Error() says what
// went wrong; it names neither the caller's stage nor the fix, which is Hint.
type Error struct {
	Op         string // "AssumeRoleWithWebIdentity" or "AssumeRole"
	Code       string // AWS error code; "" when STS gave no error code (transport, timeout, bad response)
	Message    string // sanitized server message or failure description
	RequestID  string
	HTTPStatus int // 0 when no response arrived
	Class      Class
	Hint       string // one line: the likely fix
	Err        error  // underlying error; its text is NOT sanitized, do not print it
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
		if e.Message != "" && e.Message != e.Code {
			b.WriteString(": ")
			b.WriteString(e.Message)
		}
	} else {
		b.WriteString(e.Message)
	}
	var extra []string
	if e.RequestID != "" {
		extra = append(extra, "request ID "+e.RequestID)
	}
	if e.HTTPStatus != 0 {
		extra = append(extra, fmt.Sprintf("HTTP %d", e.HTTPStatus))
	}
	if len(extra) > 0 {
		b.WriteString(" (")
		b.WriteString(strings.Join(extra, ", "))
		b.WriteString(")")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Fix is Hint. Callers find the fix of any cause by its Fix method, the
// one way every package's errors carry theirs.
func (e *Error) Fix() string { return e.Hint }

// codeRule is one row of codeTable.
type codeRule struct {
	Class Class
	Hint  string
	// ByMessage refines Hint when the server message contains a known phrase;
	// the first match wins. It never changes the class.
	ByMessage []messageHint
	// Chain replaces Class, Hint and ByMessage for AssumeRole (role chaining),
	// where the same code has a different cause.
	Chain *codeRule
}

// messageHint is a hint for a server message containing Contains (case-insensitive).
type messageHint struct {
	Contains string
	Hint     string
}

// Keys of codeTable for failures that carry no AWS error code. Error.Code stays ""
// for these; they live in the same table so every class decision and hint is
// in one place.
const (
	kindInvalidInput      = "client.InvalidInput"
	kindCallerDeadline    = "client.CallerDeadline"
	kindAttemptTimeout    = "transport.Timeout"
	kindDNSNotFound       = "transport.DNSNotFound"
	kindConnection        = "transport.Connection"
	kindTLSCertificate    = "transport.TLSCertificate"
	kindTooLarge          = "response.TooLarge"
	kindUndecodable       = "response.Undecodable"
	kindUndecodable4xx    = "response.Undecodable4xx"
	kindInvalidResponse   = "response.Invalid"
	kindRedirect          = "http.Redirect"
	kindTooManyRequests   = "http.TooManyRequests"
	kindUnknownClientCode = "http.UnknownClientError"
	kindUnknownServerCode = "http.UnknownServerError"
)

const hintThrottled = "STS is throttling requests, which are retried with backoff up to retry-max-attempts: raise it, or run fewer jobs at once"

// hintServer is read when every attempt met a server error, so it names
// what to do then rather than promising that the error will pass.
const hintServer = "STS answered with a server error on every attempt: run the job again later, or raise retry-max-attempts"

const hintBadCreds = "the source credentials for role chaining are invalid or expired: check the first role's credentials reached AssumeRole unchanged and have not expired"

// codeTable maps AWS STS error codes (and the kind* keys) to what to do about them.
// Codes not listed here are classified by HTTP status: kindTooManyRequests for
// 429, kindUnknownServerCode for 5xx, kindUnknownClientCode otherwise.
var codeTable = map[string]codeRule{
	"AccessDenied": {
		Class: Fatal,
		Hint:  "the role's trust policy does not admit this token: compare the token's sub and aud claims with the trust policy's ISSUER:sub and ISSUER:aud conditions, and check role-to-assume names the right role",
		Chain: &codeRule{
			Class: Fatal,
			Hint:  "the chained role's trust policy must allow sts:AssumeRole for the first role (and sts:TagSession, unless role-skip-session-tagging is true), with a matching external ID if it requires one; the first role's own permission policy must allow the same actions on the chained role",
			ByMessage: []messageHint{
				{"sts:TagSession", "role chaining sends session tags: allow sts:TagSession for the first role in the chained role's trust policy, or set role-skip-session-tagging: true"},
			},
		},
	},
	"InvalidIdentityToken": {
		Class: RetryOnce,
		Hint:  "AWS rejected the GitHub token: check the IAM OIDC provider for the token's issuer exists, lists the audience as a client ID, and trusts GitHub's certificate",
		ByMessage: []messageHint{
			{"No OpenIDConnect provider found", "create an IAM OIDC identity provider in the role's account for the token's issuer (e.g. https://token.actions.githubusercontent.com)"},
			{"Incorrect token audience", "add the token's audience to the IAM OIDC provider's client IDs (audiences), or set the audience input to one the provider lists"},
			{"thumbprint", "the IAM OIDC provider's thumbprint list does not match the issuer's certificate: update the provider's thumbprints"},
			{"issuer", "the token's issuer does not match the IAM OIDC provider's URL: check the provider URL (and any GitHub enterprise issuer customization)"},
		},
	},
	"ExpiredTokenException": {
		Class: RefreshToken,
		Hint:  "STS found the GitHub token expired, even after a fresh one was requested: check the runner's clock (a self-hosted runner's, usually) against NTP",
		Chain: &codeRule{Class: Fatal, Hint: hintBadCreds},
	},
	"IDPCommunicationError": {
		Class: Transient,
		Hint:  "STS could not reach the identity provider to fetch its keys, on every attempt: for GitHub's issuer, check GitHub's status and run the job again; for GitHub Enterprise Server, AWS must reach the server's /_services/token over the internet",
	},
	"IDPRejectedClaim": {
		Class: Fatal,
		Hint:  "the identity provider rejected a claim in the token: check the token's claims against the IAM OIDC provider configuration",
	},
	"Throttling":               {Class: Throttled, Hint: hintThrottled},
	"ThrottlingException":      {Class: Throttled, Hint: hintThrottled},
	"RequestLimitExceeded":     {Class: Throttled, Hint: hintThrottled},
	"TooManyRequestsException": {Class: Throttled, Hint: hintThrottled},
	"InternalFailure":          {Class: Transient, Hint: hintServer},
	"InternalError":            {Class: Transient, Hint: hintServer},
	"ServiceUnavailable":       {Class: Transient, Hint: hintServer},
	"RequestTimeout":           {Class: Transient, Hint: "STS timed out reading the request on every attempt: check http-proxy and the network between the runner and STS"},
	"RequestExpired": {
		Class: Transient,
		Hint:  "STS says the request's timestamp is too old: the SDK corrects for clock skew on the next attempt; if this persists, fix the runner's clock",
	},
	"ValidationError": {
		Class: Fatal,
		Hint:  "STS rejected a parameter: if the message mentions DurationSeconds, lower role-duration-seconds or raise the role's maximum session duration; otherwise check role-to-assume and role-session-name",
		ByMessage: []messageHint{
			{"DurationSeconds", "role-duration-seconds exceeds the role's maximum session duration: lower role-duration-seconds or raise the role's MaxSessionDuration (role chaining is limited to 1 hour)"},
			{"roleSessionName", "role-session-name must be 2-64 characters of letters, digits and +=,.@_-"},
			{"roleArn", "role-to-assume must be a full role ARN such as arn:aws:iam::123456789012:role/NAME"},
		},
	},
	"MalformedPolicyDocument": {
		Class: Fatal,
		Hint:  "inline-session-policy is not a valid IAM policy document: fix its JSON or its policy grammar",
	},
	"PackedPolicyTooLarge": {
		Class: Fatal,
		Hint:  "the session policies (inline-session-policy and managed-session-policies) are too large after compression: shorten them",
		Chain: &codeRule{
			Class: DropTags,
			Hint:  "the session tags and session policies are too large together after compression: shorten inline-session-policy, managed-session-policies or custom-tags, or set role-skip-session-tagging: true",
		},
	},
	"RegionDisabledException": {
		Class: Fatal,
		Hint:  "STS is not activated in this region for the account: activate it in IAM account settings or use another aws-region",
	},
	"InvalidClientTokenId": {
		Class: Fatal,
		Hint:  "STS did not recognize the access key: check the region is enabled for the account and sts-endpoint is right",
		Chain: &codeRule{Class: Fatal, Hint: hintBadCreds},
	},
	"SignatureDoesNotMatch": {
		Class: Fatal,
		Hint:  "the request signature did not match: check sts-endpoint and any proxy rewriting requests",
		Chain: &codeRule{Class: Fatal, Hint: hintBadCreds},
	},
	"ExpiredToken": {
		Class: Fatal,
		Hint:  "the security token in the request has expired: check the runner's clock",
		Chain: &codeRule{Class: Fatal, Hint: hintBadCreds},
	},
	"IncompleteSignature": {
		Class: Fatal,
		Hint:  "the request signature was incomplete: check that no proxy strips Authorization or X-Amz-* headers",
	},
	"MissingParameter": {
		Class: Fatal,
		Hint:  "a required parameter was missing: check role-to-assume and role-session-name are set",
	},
	"InvalidParameterValue": {
		Class: Fatal,
		Hint:  "STS rejected a parameter value: check role-to-assume, role-session-name, role-duration-seconds and the session policies",
	},
	"InvalidParameterCombination": {
		Class: Fatal,
		Hint:  "STS rejected a combination of parameters: check the action's inputs",
	},
	"InvalidAction": {
		Class: Fatal,
		Hint:  "the endpoint does not implement this STS action: check sts-endpoint points at STS",
	},
	"OptInRequired": {
		Class: Fatal,
		Hint:  "the account is not subscribed to STS in this region: use another aws-region",
	},

	kindInvalidInput: {
		Class: Fatal,
		Hint:  "fix the action's inputs as described",
	},
	kindCallerDeadline: {
		Class: Fatal,
		Hint:  "the overall time allowed for getting credentials ran out; raise action-timeout-s, or check connectivity to STS",
	},
	kindAttemptTimeout: {
		Class: Transient,
		Hint:  "STS (or the proxy) did not answer in time on any attempt: check sts-endpoint (and AWS_ENDPOINT_URL_STS), http-proxy and no-proxy, or raise action-timeout-s",
	},
	kindDNSNotFound: {
		Class: Fatal,
		Hint:  "the STS host name does not exist: check aws-region and sts-endpoint (and AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL)",
	},
	kindConnection: {
		Class: Transient,
		Hint:  "the connection to STS could not be made or was cut on every attempt: check sts-endpoint (and AWS_ENDPOINT_URL_STS), http-proxy, no-proxy and the runner's network",
	},
	kindTLSCertificate: {
		Class: Fatal,
		Hint:  "the STS endpoint's TLS certificate was not trusted: check sts-endpoint and whether a proxy intercepts TLS",
	},
	kindTooLarge: {
		Class: Fatal,
		Hint:  "the endpoint sent far more than an STS answer: check sts-endpoint and http-proxy point at STS",
	},
	kindUndecodable: {
		Class: Transient,
		Hint:  "the STS answer could not be decoded on any attempt, probably cut off in transit: check http-proxy (a proxy may be truncating answers) and sts-endpoint",
	},
	kindUndecodable4xx: {
		Class: Fatal,
		Hint:  "the endpoint answered with something other than an STS error: check sts-endpoint and http-proxy (a proxy may be blocking the request)",
	},
	kindInvalidResponse: {
		Class: Fatal,
		Hint:  "the endpoint's answer is not usable credentials: check sts-endpoint points at a trustworthy STS service",
	},
	kindRedirect: {
		Class: Fatal,
		Hint:  "the endpoint answered with a redirect, which STS never does: set sts-endpoint to the final STS URL",
	},
	kindTooManyRequests: {
		Class: Throttled,
		Hint:  hintThrottled,
	},
	kindUnknownClientCode: {
		Class: Fatal,
		Hint:  "STS rejected the request with an unrecognized error: read the message, and check the action's inputs",
	},
	kindUnknownServerCode: {
		Class: Transient,
		Hint:  hintServer,
	},
}

// lookup finds the rule for key (codes match case-insensitively, as the SDK does)
// and applies the per-operation and per-message refinements.
func lookup(op, key, message string) (codeRule, bool) {
	r, ok := codeTable[key]
	if !ok {
		for k, v := range codeTable {
			if strings.EqualFold(k, key) {
				r, ok = v, true
				break
			}
		}
	}
	if !ok {
		return codeRule{}, false
	}
	if op == opAssumeRole && r.Chain != nil {
		r = *r.Chain
	}
	lower := strings.ToLower(message)
	for _, m := range r.ByMessage {
		if strings.Contains(lower, strings.ToLower(m.Contains)) {
			r.Hint = m.Hint
			break
		}
	}
	return r, true
}

func (e *Error) applyRule(key string) {
	r, _ := lookup(e.Op, key, e.Message)
	e.Class, e.Hint = r.Class, r.Hint
}

// errTooLarge is returned (wrapped) by the body reader when a response exceeds
// Options.MaxResponseBytes.
type errTooLarge struct{ limit int64 }

func (e *errTooLarge) Error() string {
	return fmt.Sprintf("response body exceeds %d bytes", e.limit)
}

// invalidResponse describes a successful-looking answer that cannot be used.
type invalidResponse struct{ msg string }

func (e *invalidResponse) Error() string { return e.msg }

// callInfo is what classify needs to know about the call that failed.
type callInfo struct {
	op       string
	endpoint string
	timeout  time.Duration
	secrets  []string // redacted from every message
}

// classify turns any failure of one call into an *Error. callerCtx is the
// caller's context (not the per-attempt one) so an exhausted overall deadline
// can be told apart from one slow attempt.
func classify(call callInfo, err error, callerCtx, attemptCtx context.Context) *Error {
	op, secrets := call.op, call.secrets
	e := &Error{Op: op, Err: err}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.Response != nil {
		e.HTTPStatus = respErr.Response.StatusCode
		e.RequestID = sanitize(respErr.ServiceRequestID(), maxRequestIDBytes, nil)
	}

	var tooLarge *errTooLarge
	var invalid *invalidResponse
	var apiErr smithy.APIError
	var deserErr *smithy.DeserializationError
	var dnsErr *net.DNSError
	var syntaxErr *xml.SyntaxError
	switch {
	case errors.As(err, &invalid):
		e.Message = invalid.msg
		e.applyRule(kindInvalidResponse)
	case errors.As(err, &tooLarge):
		e.Message = tooLarge.Error()
		e.applyRule(kindTooLarge)
	case errors.As(err, &apiErr) && apiErr.ErrorCode() != "" && apiErr.ErrorCode() != "UnknownError":
		// A coded answer from the server is authoritative even if a deadline
		// passed meanwhile.
		e.Code = sanitize(apiErr.ErrorCode(), maxCodeBytes, nil)
		e.Message = sanitize(apiErr.ErrorMessage(), maxMessageBytes, secrets)
		if r, ok := lookup(op, apiErr.ErrorCode(), apiErr.ErrorMessage()); ok {
			e.Class, e.Hint = r.Class, r.Hint
		} else {
			e.applyRule(statusKind(e.HTTPStatus))
		}
	case callerCtx.Err() != nil:
		e.Message = sanitize("gave up before STS answered: "+contextReason(callerCtx), maxMessageBytes, nil)
		e.applyRule(kindCallerDeadline)
	case attemptCtx.Err() != nil:
		e.Message = sanitize(fmt.Sprintf("no answer from %s within %v", call.endpoint, call.timeout), maxMessageBytes, nil)
		e.applyRule(kindAttemptTimeout)
	case errors.As(err, &deserErr) && isTransportError(deserErr.Err):
		// The body was cut off in transit, whatever the status said.
		e.Message = sanitize("the STS answer was cut off: "+transportText(deserErr.Err), maxMessageBytes, secrets)
		e.applyRule(kindUndecodable)
	case e.HTTPStatus != 0 && (e.HTTPStatus < 200 || e.HTTPStatus >= 300):
		// An error status whose body is not an STS ErrorResponse: a proxy,
		// load balancer or the wrong service answered.
		e.Message = fmt.Sprintf("HTTP %d without an STS error code in the body", e.HTTPStatus)
		kind := statusKind(e.HTTPStatus)
		if kind == kindUnknownClientCode {
			kind = kindUndecodable4xx
		}
		e.applyRule(kind)
	case errors.As(err, &deserErr) && errors.As(deserErr.Err, &syntaxErr):
		// Broken XML in a success answer is how a cut-off body looks.
		e.Message = sanitize("could not decode the STS answer: "+syntaxErr.Error(), maxMessageBytes, secrets)
		e.applyRule(kindUndecodable)
	case errors.As(err, &deserErr):
		// Well-formed XML with an unusable value (e.g. an Expiration that is
		// not a timestamp): the server will say the same again.
		e.Message = sanitize("could not use the STS answer: "+innermost(deserErr.Err).Error(), maxMessageBytes, secrets)
		e.applyRule(kindInvalidResponse)
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		e.Message = sanitize(transportText(err), maxMessageBytes, secrets)
		e.applyRule(kindDNSNotFound)
	case isCertificateError(err):
		e.Message = sanitize(transportText(err), maxMessageBytes, secrets)
		e.applyRule(kindTLSCertificate)
	case isTransportError(err):
		e.Message = sanitize(transportText(err), maxMessageBytes, secrets)
		e.applyRule(kindConnection)
	default:
		// Anything else (SDK parameter validation, serialization) is a
		// problem with the request itself, which a retry repeats.
		e.Message = sanitize(err.Error(), maxMessageBytes, secrets)
		e.applyRule(kindInvalidInput)
	}
	return e
}

func statusKind(status int) string {
	switch {
	case status == 429:
		return kindTooManyRequests
	case status >= 500:
		return kindUnknownServerCode
	case status >= 300 && status < 400:
		return kindRedirect
	default:
		return kindUnknownClientCode
	}
}

func contextReason(ctx context.Context) string {
	if cause := context.Cause(ctx); cause != nil {
		return cause.Error()
	}
	return ctx.Err().Error()
}

func isCertificateError(err error) bool {
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknownAuth) || errors.As(err, &hostErr) ||
		errors.As(err, &invalid) || errors.As(err, &verify)
}

// isTransportError reports failures to send the request or receive the answer:
// refused, reset, closed or timed-out connections, proxy failures and cut bodies.
func isTransportError(err error) bool {
	var netErr net.Error
	var opErr *net.OpError
	var urlErr *url.Error
	var sendErr interface{ ConnectionError() bool }
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &netErr), errors.As(err, &opErr), errors.As(err, &urlErr):
		return true
	case errors.As(err, &sendErr) && sendErr.ConnectionError():
		return true
	}
	return false
}

// transportText prefers the net/http error text ("Post \"URL\": dial tcp …")
// over the SDK's wrapping, which repeats the operation name.
func transportText(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Error()
	}
	return innermost(err).Error()
}

func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
