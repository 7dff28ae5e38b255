// Package idtoken obtains the GitHub Actions OIDC token: from the runner's
// token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL), or from a file.
//
// Reads are bounded, attempts are bounded, and only failures that can pass
// (network errors, 5xx, 429) are retried. Errors never contain the request
// token or the ID token.
package idtoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
	"github.com/org/oidc-aws-action/pkg/inputfile"
	"github.com/org/oidc-aws-action/pkg/retry"
)

const (
	// EnvRequestURL and EnvRequestToken are set by the runner only for jobs
	// with `permissions: id-token: write`.
	EnvRequestURL   = "ACTIONS_ID_TOKEN_REQUEST_URL"
	EnvRequestToken = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"

	// maxResponseBytes bounds what we read from the token endpoint. Its
	// answer is a small JSON object around a ~2 KiB token.
	maxResponseBytes = 256 << 10
)

// ErrNoTokenPermission means the runner offers no OIDC token to this job.
var ErrNoTokenPermission error = &Error{
	Reason: "the runner offers no OIDC token to this job: " + EnvRequestURL + " and " + EnvRequestToken + " are not set",
	Hint: "add `permissions: id-token: write` to the job (or workflow). " +
		"Pull requests from forks and Dependabot runs never get a token; " +
		"run the AWS step only where a token is offered, e.g. `if: github.event.pull_request.head.repo.fork != true`",
}

// Error is a failed token request or token file. Error() says what went
// wrong; it names neither the caller's stage nor the fix, which is Hint.
type Error struct {
	Attempts   int
	StatusCode int // 0 for transport errors
	Reason     string
	Hint       string // the likely fix, "" when there is nothing to suggest
	Transient  bool
	Err        error
}

func (e *Error) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("%s (after %d attempts)", e.Reason, e.Attempts)
	}
	return e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// Fix is Hint. Callers find the fix of any cause by its Fix method, the
// one way every package's errors carry theirs.
func (e *Error) Fix() string { return e.Hint }

// Client asks the runner for tokens.
type Client struct {
	requestURL   string
	requestToken string
	o            Options
}

// Options configure a Client. The zero value is the runner's: a 10-second
// HTTP client, five attempts per Fetch, real waits.
type Options struct {
	// HTTPClient carries the requests; nil means one with a 10-second
	// timeout. Its redirect policy is replaced: none is followed.
	HTTPClient *http.Client
	// MaxAttempts bounds the attempts per Fetch; 0 or less means 5.
	MaxAttempts int
	// Sleep waits between attempts; nil means a real wait.
	Sleep retry.Sleeper
	// UserAgent is sent with each request; "" means "oidc-aws-action".
	UserAgent string

	// backoff replaces the wait between attempts (tests; the default suits
	// the runner).
	backoff retry.Backoff
}

// FromEnv builds a Client from the runner's variables, or returns
// ErrNoTokenPermission when the job has none.
func FromEnv(getenv func(string) string, o Options) (*Client, error) {
	u, t := getenv(EnvRequestURL), getenv(EnvRequestToken)
	if u == "" || t == "" {
		return nil, ErrNoTokenPermission
	}
	return newFromURL(u, t, o)
}

// newFromURL builds a Client for a token endpoint URL and its bearer request token.
func newFromURL(requestURL, requestToken string, o Options) (*Client, error) {
	u, err := url.Parse(requestURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &Error{Reason: EnvRequestURL + " is not an http(s) URL", Hint: "leave " + EnvRequestURL + " as the runner sets it"}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Sleep == nil {
		o.Sleep = retry.Sleep
	}
	if o.UserAgent == "" {
		o.UserAgent = "oidc-aws-action"
	}
	if o.backoff.Base == 0 {
		o.backoff = retry.Backoff{Base: 200 * time.Millisecond, Cap: 5 * time.Second}
	}
	// The request token goes to the runner's token URL and nowhere else.
	// Go's client keeps the Authorization header on a redirect to the same
	// host name whatever the scheme and port, so an https endpoint that
	// answered 302 to http://same-host:other-port/ would get it sent there
	// in clear. No redirect is followed; the 3xx answer fails the request.
	hc := *o.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	o.HTTPClient = &hc
	return &Client{requestURL: requestURL, requestToken: requestToken, o: o}, nil
}

// Fetch requests a token for audience, retrying transient failures.
func (c *Client) Fetch(ctx context.Context, audience string) (string, error) {
	var last *Error
	for attempt := 1; ; attempt++ {
		tok, err := c.fetchOnce(ctx, audience)
		if err == nil {
			return tok, nil
		}
		last = err
		last.Attempts = attempt
		if !err.Transient || attempt >= c.o.MaxAttempts || ctx.Err() != nil {
			return "", last
		}
		if serr := c.o.Sleep(ctx, c.o.backoff.Delay(attempt)); serr != nil {
			return "", last
		}
	}
}

func (c *Client) fetchOnce(ctx context.Context, audience string) (string, *Error) {
	u := c.requestURL
	if audience != "" {
		sep := "&"
		if !strings.Contains(u, "?") {
			sep = "?"
		}
		u += sep + "audience=" + url.QueryEscape(audience)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", &Error{Reason: "could not build the request", Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.requestToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.o.UserAgent)
	resp, err := c.o.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", &Error{Reason: "the step's deadline passed while waiting for the runner", Hint: "raise action-timeout-s, or re-run the job if the runner's token service was slow", Err: ctx.Err()}
		}
		return "", &Error{Reason: "could not reach the runner's token endpoint: " + transportReason(err), Transient: true, Err: err,
			Hint: "check the runner's network and proxy settings (HTTPS_PROXY, NO_PROXY)"}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return "", &Error{StatusCode: resp.StatusCode, Reason: "the connection broke while reading the answer", Transient: true, Err: err}
	}
	if len(body) > maxResponseBytes {
		return "", &Error{StatusCode: resp.StatusCode, Reason: fmt.Sprintf("the answer is larger than %d bytes; it is not a token", maxResponseBytes)}
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return "", &Error{StatusCode: resp.StatusCode, Reason: "the runner refused the request token (HTTP " + strconv.Itoa(resp.StatusCode) + ")",
			Hint: "the job's request token is invalid or expired; re-run the job, and check that nothing overrides " + EnvRequestToken}
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", &Error{StatusCode: resp.StatusCode, Reason: "the runner's token endpoint answered HTTP " + strconv.Itoa(resp.StatusCode), Transient: true,
			Hint: "GitHub's token service is failing; re-run the job later (retry-max-attempts bounds the tries)"}
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return "", &Error{StatusCode: resp.StatusCode, Reason: "the runner's token endpoint answered with a redirect (HTTP " + strconv.Itoa(resp.StatusCode) + "), which is not followed: the request token goes only to " + EnvRequestURL,
			Hint: "check that " + EnvRequestURL + " is the runner's own value and that no proxy redirects it"}
	case resp.StatusCode != http.StatusOK:
		return "", &Error{StatusCode: resp.StatusCode, Reason: "the runner's token endpoint answered HTTP " + strconv.Itoa(resp.StatusCode),
			Hint: "check that " + EnvRequestURL + " is the runner's own value"}
	}
	var payload struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &payload); err != nil {
		// A proxy or a runner hiccup can answer 200 with an HTML page; one
		// more try costs little.
		return "", &Error{StatusCode: resp.StatusCode, Reason: "the answer is not JSON", Transient: true, Err: err,
			Hint: "check that " + EnvRequestURL + " is the runner's own value and that no proxy rewrites the answer"}
	}
	if payload.Value == "" {
		return "", &Error{StatusCode: resp.StatusCode, Reason: "the answer holds no token (empty \"value\")", Transient: true,
			Hint: "check that " + EnvRequestURL + " is the runner's own value"}
	}
	if _, err := claims.Decode(payload.Value); err != nil {
		return "", &Error{StatusCode: resp.StatusCode, Reason: "the answer's token is not a JWT", Transient: true, Err: err}
	}
	return payload.Value, nil
}

// transportReason names a transport failure without echoing the URL, which
// carries the runner's signed query parameters.
func transportReason(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	var nerr interface{ Timeout() bool }
	if errors.As(err, &nerr) && nerr.Timeout() {
		return "timed out"
	}
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return strconv.Quote(s)
}

// ReadFile reads a token from a file, as for web-identity-token-file,
// within ctx: a FIFO or device in its place is refused, not waited on.
func ReadFile(ctx context.Context, path string) (string, error) {
	const hint = "check web-identity-token-file: a relative path is read from GITHUB_WORKSPACE, and the file must hold one JWT"
	fail := func(reason string, err error) (string, error) {
		return "", &Error{Reason: `input "web-identity-token-file": ` + strconv.Quote(path) + ": " + reason, Hint: hint, Err: err}
	}
	b, err := inputfile.Read(ctx, path, claims.MaxTokenBytes)
	switch {
	case errors.Is(err, inputfile.ErrTooLarge):
		return fail(fmt.Sprintf("larger than %d bytes, so not a token", claims.MaxTokenBytes), err)
	case err != nil:
		return fail(err.Error(), err)
	}
	tok := strings.TrimSpace(string(b))
	if _, err := claims.Decode(tok); err != nil {
		return fail(err.Error(), err)
	}
	return tok, nil
}
