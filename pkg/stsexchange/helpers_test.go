package stsexchange

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// A JWT-shaped token so both the exact-value and the shape redaction apply.
const testToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm9yZy9yZXBvIn0.c2lnbmF0dXJlLXNlY3JldA"

const (
	testRoleARN   = "arn:aws:iam::123456789012:role/deploy"
	testAssumed   = "arn:aws:sts::123456789012:assumed-role/deploy/gha-run"
	testRequestID = "ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE"
	testExpiry    = "2030-01-02T15:04:05Z"
)

// recorded is what the fake STS saw of one request.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Form   url.Values
}

type fakeSTS struct {
	URL string

	mu   sync.Mutex
	reqs []recorded
}

func (f *fakeSTS) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// startSTS runs an STS stand-in on 127.0.0.1 that records each request's form
// and then lets respond write the answer.
func startSTS(t testing.TB, respond http.HandlerFunc) *fakeSTS {
	t.Helper()
	f := &fakeSTS{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Form: form})
		f.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func xmlAnswer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", testRequestID)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

type credsXML struct {
	AccessKeyID, Secret, Token, Expiration string
}

var goodCreds = credsXML{
	AccessKeyID: "ASIAEXAMPLEKEYID0001",
	Secret:      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
	Token:       "FwoGZXIvYXdzEXAMPLESESSIONTOKEN/aExampleSessionTokenOfARealisticLength0123456789+/=",
	Expiration:  testExpiry,
}

func (c credsXML) xml() string {
	return fmt.Sprintf(`<Credentials>
      <SessionToken>%s</SessionToken>
      <SecretAccessKey>%s</SecretAccessKey>
      <Expiration>%s</Expiration>
      <AccessKeyId>%s</AccessKeyId>
    </Credentials>`, c.Token, c.Secret, c.Expiration, c.AccessKeyID)
}

func assumedUserXML(arn string) string {
	return fmt.Sprintf(`<AssumedRoleUser>
      <Arn>%s</Arn>
      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:gha-run</AssumedRoleId>
    </AssumedRoleUser>`, arn)
}

func webIdentityOK(creds credsXML, user string) string {
	return `<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>repo:org/repo:ref:refs/heads/main</SubjectFromWebIdentityToken>
    <Audience>sts.amazonaws.com</Audience>
    ` + user + `
    ` + creds.xml() + `
    <Provider>arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>` + testRequestID + `</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>`
}

func assumeRoleOK(creds credsXML) string {
	return `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    ` + assumedUserXML("arn:aws:sts::210987654321:assumed-role/target/chained") + `
    ` + creds.xml() + `
  </AssumeRoleResult>
  <ResponseMetadata>
    <RequestId>` + testRequestID + `</RequestId>
  </ResponseMetadata>
</AssumeRoleResponse>`
}

func errorXML(code, message string) string {
	return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>` + code + `</Code>
    <Message>` + message + `</Message>
  </Error>
  <RequestId>` + testRequestID + `</RequestId>
</ErrorResponse>`
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// newTestClient points a client at endpoint with an empty environment, so the
// host's proxy variables cannot leak into a test.
func newTestClient(t testing.TB, endpoint string, mod func(*Options)) *Client {
	t.Helper()
	o := Options{Region: "us-east-1", Endpoint: endpoint, Getenv: envMap(nil), Version: "1.2.3"}
	if mod != nil {
		mod(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func webInput() WebIdentityInput {
	return WebIdentityInput{RoleARN: testRoleARN, SessionName: "gha-run", Token: testToken}
}

func chainInput() AssumeRoleInput {
	return AssumeRoleInput{
		RoleARN:     "arn:aws:iam::210987654321:role/target",
		SessionName: "chained",
		Source: Credentials{
			AccessKeyID:     "ASIASOURCEKEY0000001",
			SecretAccessKey: "sourceSecretKeyEXAMPLE0123456789abcdefgh",
			SessionToken:    "sourceSessionTokenEXAMPLE",
			Expiration:      time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
		},
	}
}

// asError asserts err is an *Error and returns it.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	if err == nil {
		t.Fatal("got no error, want *Error")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %q is not an *Error", err, err)
	}
	return e
}

func callWeb(t testing.TB, c *Client) (*Result, error) {
	t.Helper()
	return c.AssumeRoleWithWebIdentity(context.Background(), webInput())
}

// assertNoSecrets fails if any rendering of e contains a secret.
func assertNoSecrets(t testing.TB, e *Error, secrets ...string) {
	t.Helper()
	for _, s := range []string{e.Error(), e.Message, e.Hint, e.Code, e.RequestID} {
		for _, sec := range secrets {
			if sec != "" && strings.Contains(s, sec) {
				t.Errorf("error text %q contains secret %q", s, sec)
			}
		}
		if strings.ContainsAny(s, "\r\n") {
			t.Errorf("error text %q contains a line break", s)
		}
	}
}
