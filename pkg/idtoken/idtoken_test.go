package idtoken

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/retry"
)

const requestToken = "REQTOKEN-s3cr3t-bearer-value"

// testJWT is a syntactically valid token; idtoken only decodes it, so the
// signature need not verify.
var testJWT = func() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT","kid":"k"}`)) + "." +
		enc([]byte(`{"iss":"https://token.actions.githubusercontent.com","sub":"repo:octo-org/octo-repo:ref:refs/heads/main","aud":"sts.amazonaws.com","exp":4102444800}`)) + "." +
		enc([]byte("JWT-SIGNATURE-MARKER"))
}()

// step is how the fake token endpoint answers one request.
type step func(w http.ResponseWriter, r *http.Request)

func status(code int, body string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}
}

func okToken() step { return status(http.StatusOK, `{"count":1,"value":"`+testJWT+`"}`) }

// dropConnection closes the TCP connection without answering.
func dropConnection() step {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		_ = conn.Close()
	}
}

// breakBody promises a body and closes the connection half-way through.
func breakBody() step {
	return func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"value\":\"ey")
		_ = buf.Flush()
		_ = conn.Close()
	}
}

// endpoint is a fake runner token endpoint on loopback that answers with
// steps in order, repeating the last one.
type endpoint struct {
	*httptest.Server
	mu       sync.Mutex
	steps    []step
	requests []*http.Request
}

func newEndpoint(t *testing.T, steps ...step) *endpoint {
	t.Helper()
	e := &endpoint{steps: steps}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		n := len(e.requests)
		e.requests = append(e.requests, r.Clone(context.Background()))
		s := e.steps[min(n, len(e.steps)-1)]
		e.mu.Unlock()
		s(w, r)
	}))
	t.Cleanup(e.Close)
	return e
}

func (e *endpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.requests)
}

func (e *endpoint) request(i int) *http.Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.requests[i]
}

// sleeps records the waits a Client asks for instead of sleeping.
type sleeps struct {
	mu  sync.Mutex
	got []time.Duration
	err error
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, d)
	return s.err
}

func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.got...)
}

// newClient is a client of rawURL that records its waits in s; o's zero
// fields mean four attempts and no User-Agent of the test's own.
func newClient(t *testing.T, rawURL string, s *sleeps, o Options) *Client {
	t.Helper()
	o.Sleep = s.sleep
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 4
	}
	c, err := newFromURL(rawURL, requestToken, o)
	if err != nil {
		t.Fatalf("newFromURL(%q) failed: %v", rawURL, err)
	}
	return c
}

// assertNoSecrets fails if an error or anything it wraps shows the request
// token or the JWT.
func assertNoSecrets(t *testing.T, err error) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, s := range []string{e.Error(), fmt.Sprintf("%+v", e)} {
			for _, secret := range []string{requestToken, testJWT, "JWT-SIGNATURE", strings.Split(testJWT, ".")[1]} {
				if strings.Contains(s, secret) {
					t.Errorf("error text %q contains a secret", s)
				}
			}
		}
	}
}

func TestFetchSendsTheRunnersRequest(t *testing.T) {
	cases := []struct {
		name      string
		path      string
		audience  string
		wantQuery url.Values
	}{
		{"appends the audience with & after api-version", "/_apis/token?api-version=2.0", "sts.amazonaws.com",
			url.Values{"api-version": {"2.0"}, "audience": {"sts.amazonaws.com"}}},
		{"appends the audience with ? to a URL without a query", "/token", "sts.amazonaws.com",
			url.Values{"audience": {"sts.amazonaws.com"}}},
		{"escapes an audience that is a URL", "/token?api-version=2.0", "https://github.com/octo-org?x=1&y=2 z",
			url.Values{"api-version": {"2.0"}, "audience": {"https://github.com/octo-org?x=1&y=2 z"}}},
		{"sends no audience parameter when none is asked", "/token?api-version=2.0", "",
			url.Values{"api-version": {"2.0"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEndpoint(t, okToken())
			c := newClient(t, e.URL+tc.path, &sleeps{}, Options{UserAgent: "oidc-aws-action/test"})
			tok, err := c.Fetch(context.Background(), tc.audience)
			if err != nil {
				t.Fatalf("Fetch failed: %v", err)
			}
			if tok != testJWT {
				t.Errorf("Fetch returned %q, want the endpoint's value", tok)
			}
			r := e.request(0)
			if r.Method != http.MethodGet {
				t.Errorf("method = %s, want GET", r.Method)
			}
			if got := r.Header.Get("Authorization"); got != "Bearer "+requestToken {
				t.Errorf("Authorization = %q, want %q", got, "Bearer "+requestToken)
			}
			if got := r.Header.Get("User-Agent"); got != "oidc-aws-action/test" {
				t.Errorf("User-Agent = %q", got)
			}
			if got := r.Header.Get("Accept"); got != "application/json" {
				t.Errorf("Accept = %q", got)
			}
			if got := r.URL.Query(); fmt.Sprint(got) != fmt.Sprint(tc.wantQuery) {
				t.Errorf("query = %v (raw %q), want %v", got, r.URL.RawQuery, tc.wantQuery)
			}
			if strings.Count(r.URL.RawQuery, "?") > 0 {
				t.Errorf("raw query %q holds a second ?", r.URL.RawQuery)
			}
		})
	}
}

func TestFetchRetriesTransientFailures(t *testing.T) {
	cases := []struct {
		name string
		fail step
	}{
		{"HTTP 500", status(500, `{"message":"internal"}`)},
		{"HTTP 502", status(502, "<html>bad gateway</html>")},
		{"HTTP 503", status(503, "")},
		{"HTTP 429", status(429, `{"message":"slow down"}`)},
		{"a 200 that is not JSON", status(200, "<html>captive portal</html>")},
		{"a 200 with an empty value", status(200, `{"value":""}`)},
		{"a 200 without a value", status(200, `{}`)},
		{"a 200 whose value is not a JWT", status(200, `{"value":"opaque"}`)},
		{"a dropped connection", dropConnection()},
		{"a connection that breaks mid-answer", breakBody()},
	}
	for _, tc := range cases {
		t.Run("recovers after "+tc.name, func(t *testing.T) {
			e := newEndpoint(t, tc.fail, tc.fail, okToken())
			s := &sleeps{}
			tok, err := newClient(t, e.URL+"/token", s, Options{}).Fetch(context.Background(), "sts.amazonaws.com")
			if err != nil {
				t.Fatalf("Fetch failed after two transient failures: %v", err)
			}
			if tok != testJWT {
				t.Errorf("Fetch returned %q", tok)
			}
			if got := e.count(); got != 3 {
				t.Errorf("endpoint saw %d requests, want 3", got)
			}
			if got := len(s.waits()); got != 2 {
				t.Errorf("client waited %d times, want 2 (once before each retry)", got)
			}
		})
		t.Run("gives up after max attempts on "+tc.name, func(t *testing.T) {
			e := newEndpoint(t, tc.fail)
			s := &sleeps{}
			_, err := newClient(t, e.URL+"/token", s, Options{}).Fetch(context.Background(), "sts.amazonaws.com")
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Fetch error %T (%v), want *idtoken.Error", err, err)
			}
			if !te.Transient || te.Attempts != 4 {
				t.Errorf("Transient = %v, Attempts = %d; want true, 4", te.Transient, te.Attempts)
			}
			if got := e.count(); got != 4 {
				t.Errorf("endpoint saw %d requests, want 4", got)
			}
			if got := len(s.waits()); got != 3 {
				t.Errorf("client waited %d times, want 3", got)
			}
			if !strings.HasSuffix(err.Error(), " (after 4 attempts)") {
				t.Errorf("error %q does not say how many attempts were made", err)
			}
			assertNoSecrets(t, err)
		})
	}
}

func TestFetchFailsFastOnPermanentErrors(t *testing.T) {
	cases := []struct {
		name     string
		code     int
		wantHint string
	}{
		{"401 blames the request token", 401, EnvRequestToken},
		{"403 blames the request token", 403, EnvRequestToken},
		{"404 blames the request URL", 404, EnvRequestURL},
		{"400 blames the request URL", 400, EnvRequestURL},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEndpoint(t, status(tc.code, `{"message":"no","echo":"`+requestToken+`"}`))
			s := &sleeps{}
			_, err := newClient(t, e.URL+"/token", s, Options{}).Fetch(context.Background(), "sts.amazonaws.com")
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Fetch error %T (%v), want *idtoken.Error", err, err)
			}
			if te.Transient || te.Attempts != 1 || te.StatusCode != tc.code {
				t.Errorf("Transient = %v, Attempts = %d, StatusCode = %d; want false, 1, %d", te.Transient, te.Attempts, te.StatusCode, tc.code)
			}
			if e.count() != 1 || len(s.waits()) != 0 {
				t.Errorf("made %d requests and %d waits, want 1 and 0", e.count(), len(s.waits()))
			}
			msg := err.Error()
			if !strings.Contains(msg, fmt.Sprintf("HTTP %d", tc.code)) {
				t.Errorf("error %q does not give the status", msg)
			}
			if !strings.Contains(te.Hint, tc.wantHint) {
				t.Errorf("error %q has the fix %q, which does not name %s", msg, te.Hint, tc.wantHint)
			}
			assertNoSecrets(t, err)
		})
	}
}

func TestFetchBoundsTheAnswer(t *testing.T) {
	t.Run("rejects an answer over maxResponseBytes without retrying", func(t *testing.T) {
		big := `{"value":"` + testJWT + `","pad":"` + strings.Repeat("x", maxResponseBytes) + `"}`
		e := newEndpoint(t, status(200, big))
		s := &sleeps{}
		_, err := newClient(t, e.URL+"/token", s, Options{}).Fetch(context.Background(), "sts.amazonaws.com")
		var te *Error
		if !errors.As(err, &te) || te.Transient {
			t.Fatalf("Fetch error = %v, want a permanent *idtoken.Error", err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("larger than %d bytes", maxResponseBytes)) {
			t.Errorf("error %q does not give the limit", err)
		}
		if e.count() != 1 {
			t.Errorf("endpoint saw %d requests, want 1", e.count())
		}
		assertNoSecrets(t, err)
	})
	t.Run("accepts an answer of exactly maxResponseBytes", func(t *testing.T) {
		body := `{"value":"` + testJWT + `"}`
		body = body[:len(body)-1] + strings.Repeat(" ", maxResponseBytes-len(body)) + "}"
		if len(body) != maxResponseBytes {
			t.Fatalf("test body is %d bytes", len(body))
		}
		e := newEndpoint(t, status(200, body))
		if _, err := newClient(t, e.URL+"/token", &sleeps{}, Options{}).Fetch(context.Background(), "a"); err != nil {
			t.Fatalf("Fetch of a %d-byte answer failed: %v", maxResponseBytes, err)
		}
	})
}

func TestFetchWaitsWithBackoff(t *testing.T) {
	e := newEndpoint(t, status(503, ""))
	s := &sleeps{}
	b := retry.Backoff{Base: time.Second, Cap: 3 * time.Second, Rand: func() float64 { return 0.5 }}
	_, err := newClient(t, e.URL+"/token", s, Options{backoff: b, MaxAttempts: 5}).Fetch(context.Background(), "a")
	if err == nil {
		t.Fatal("Fetch succeeded against a failing endpoint")
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 1500 * time.Millisecond, 1500 * time.Millisecond}
	if got := s.waits(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("waits = %v, want %v", got, want)
	}
}

func TestFetchStopsWhenTheWaitIsRefused(t *testing.T) {
	e := newEndpoint(t, status(500, ""))
	s := &sleeps{err: retry.ErrDeadline}
	_, err := newClient(t, e.URL+"/token", s, Options{}).Fetch(context.Background(), "a")
	var te *Error
	if !errors.As(err, &te) || te.StatusCode != 500 {
		t.Fatalf("Fetch error = %v, want the last HTTP 500", err)
	}
	if e.count() != 1 {
		t.Errorf("endpoint saw %d requests after the wait was refused, want 1", e.count())
	}
}

func TestFetchStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	})
	_, err := newClient(t, e.URL+"/token", &sleeps{}, Options{}).Fetch(ctx, "a")
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("Fetch error = %v, want *idtoken.Error", err)
	}
	if !errors.Is(err, context.Canceled) || te.Transient {
		t.Errorf("error %v: errors.Is(context.Canceled) = %v, Transient = %v", err, errors.Is(err, context.Canceled), te.Transient)
	}
	if e.count() != 1 {
		t.Errorf("endpoint saw %d requests, want 1", e.count())
	}
}

func TestFetchFromAnUnreachableEndpointIsTransient(t *testing.T) {
	e := newEndpoint(t, okToken())
	u := e.URL + "/token?sig=SIGNED-QUERY"
	e.Close()
	s := &sleeps{}
	_, err := newClient(t, u, s, Options{MaxAttempts: 2}).Fetch(context.Background(), "a")
	var te *Error
	if !errors.As(err, &te) || !te.Transient || te.Attempts != 2 || te.StatusCode != 0 {
		t.Fatalf("Fetch error = %#v, want a transient transport error after 2 attempts", err)
	}
	if !strings.Contains(err.Error(), "could not reach the runner's token endpoint") {
		t.Errorf("error %q does not say the endpoint was unreachable", err)
	}
	if strings.Contains(err.Error(), "SIGNED-QUERY") {
		t.Errorf("error %q echoes the request URL", err)
	}
	assertNoSecrets(t, err)
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "not a url", "ftp://runner/token", "https://", "://x"} {
		t.Run(fmt.Sprintf("rejects %q", u), func(t *testing.T) {
			_, err := newFromURL(u, requestToken, Options{})
			if err == nil {
				t.Fatal("New accepted it")
			}
			if !strings.Contains(err.Error(), EnvRequestURL) {
				t.Errorf("error %q does not name %s", err, EnvRequestURL)
			}
			assertNoSecrets(t, err)
		})
	}
}

func TestFromEnv(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
	}{
		{"without either variable", map[string]string{}},
		{"without the request token", map[string]string{EnvRequestURL: "https://runner/token"}},
		{"without the request URL", map[string]string{EnvRequestToken: requestToken}},
	}
	for _, tc := range cases {
		t.Run("says to add the permission "+tc.name, func(t *testing.T) {
			c, err := FromEnv(func(k string) string { return tc.env[k] }, Options{})
			if c != nil || !errors.Is(err, ErrNoTokenPermission) {
				t.Fatalf("FromEnv = %v, %v; want ErrNoTokenPermission", c, err)
			}
			var te *Error
			if !errors.As(err, &te) || !strings.Contains(te.Hint, "permissions: id-token: write") {
				t.Errorf("error %q does not tell the permission to add", err)
			}
		})
	}
	t.Run("builds a client from the runner's variables", func(t *testing.T) {
		e := newEndpoint(t, okToken())
		env := map[string]string{EnvRequestURL: e.URL + "/token?api-version=2.0", EnvRequestToken: requestToken}
		c, err := FromEnv(func(k string) string { return env[k] }, Options{Sleep: (&sleeps{}).sleep})
		if err != nil {
			t.Fatalf("FromEnv failed: %v", err)
		}
		if _, err := c.Fetch(context.Background(), "sts.amazonaws.com"); err != nil {
			t.Fatalf("Fetch failed: %v", err)
		}
		if got := e.request(0).Header.Get("Authorization"); got != "Bearer "+requestToken {
			t.Errorf("Authorization = %q", got)
		}
	})
}

func TestNonPositiveMaxAttemptsMeansTheDefault(t *testing.T) {
	e := newEndpoint(t, status(500, ""))
	c, err := newFromURL(e.URL, requestToken, Options{MaxAttempts: -3, Sleep: (&sleeps{}).sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Fetch(context.Background(), "a")
	var te *Error
	if !errors.As(err, &te) || te.Attempts != 5 {
		t.Fatalf("error = %v, want 5 attempts (the default)", err)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("reads a token with a trailing newline", func(t *testing.T) {
		tok, err := ReadFile(context.Background(), write("good", testJWT+"\n"))
		if err != nil {
			t.Fatalf("ReadFile failed: %v", err)
		}
		if tok != testJWT {
			t.Errorf("ReadFile = %q, want the token without white space", tok)
		}
	})
	t.Run("reports a missing file", func(t *testing.T) {
		_, err := ReadFile(context.Background(), filepath.Join(dir, "missing"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v does not wrap fs.ErrNotExist", err)
		}
		if err == nil || !strings.Contains(err.Error(), "web-identity-token-file") {
			t.Errorf("error %v does not name the input", err)
		}
	})
	t.Run("refuses a file over the token size limit", func(t *testing.T) {
		_, err := ReadFile(context.Background(), write("big", testJWT+strings.Repeat(" ", 64<<10)))
		if err == nil || !strings.Contains(err.Error(), "larger than") {
			t.Errorf("error = %v, want a size error", err)
		}
		assertNoSecrets(t, err)
	})
	t.Run("refuses a file that holds no JWT", func(t *testing.T) {
		_, err := ReadFile(context.Background(), write("garbage", "this is not a token, but secret-ish text"))
		if err == nil || !strings.Contains(err.Error(), "web-identity-token-file") || !strings.Contains(err.Error(), "cannot be decoded") {
			t.Fatalf("error = %v, want a decode error", err)
		}
		if strings.Contains(err.Error(), "secret-ish") {
			t.Errorf("error %q echoes the file's content", err)
		}
	})
	t.Run("refuses a directory", func(t *testing.T) {
		if _, err := ReadFile(context.Background(), dir); err == nil {
			t.Error("ReadFile of a directory succeeded")
		}
	})
}

func TestErrorText(t *testing.T) {
	cases := []struct {
		name string
		err  *Error
		want string
	}{
		{"a single attempt does not count attempts", &Error{Attempts: 1, Reason: "r"}, "r"},
		{"several attempts are counted", &Error{Attempts: 3, Reason: "r"}, "r (after 3 attempts)"},
		{"the hint stays out of the message: the caller prints the fix", &Error{Attempts: 1, Reason: "r", Hint: "h"}, "r"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
	inner := errors.New("inner")
	if !errors.Is(&Error{Err: inner}, inner) {
		t.Error("Error does not unwrap to its cause")
	}
}

// The answer is parsed as the runner sends it: extra fields are ignored.
func TestFetchIgnoresExtraFields(t *testing.T) {
	b, _ := json.Marshal(map[string]any{"count": 2, "value": testJWT, "other": []int{1}})
	e := newEndpoint(t, status(200, string(b)))
	if tok, err := newClient(t, e.URL, &sleeps{}, Options{}).Fetch(context.Background(), "a"); err != nil || tok != testJWT {
		t.Fatalf("Fetch = %q, %v", tok, err)
	}
}

// pull_request_target runs with the base repository's secrets and token
// while it may check out the pull request's code: never recommend it.
func TestNoTokenHintNeverRecommendsPullRequestTarget(t *testing.T) {
	if msg := ErrNoTokenPermission.Error(); strings.Contains(msg, "pull_request_target") {
		t.Errorf("hint recommends pull_request_target: %s", msg)
	}
}
