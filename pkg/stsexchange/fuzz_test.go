package stsexchange

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// cannedTransport answers every request in memory, so the fuzzer drives the
// real SDK deserializers and this package's checks at full speed.
type cannedTransport struct {
	status int
	body   []byte
}

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode:    c.status,
		Status:        http.StatusText(c.status),
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"text/xml"}, "X-Amzn-Requestid": {"req\n-id"}},
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Request:       r,
	}, nil
}

func FuzzWebIdentityResponse(f *testing.F) {
	seeds := []string{
		webIdentityOK(goodCreds, assumedUserXML(testAssumed)),
		webIdentityOK(goodCreds, "<AssumedRoleUser></AssumedRoleUser>"),
		webIdentityOK(credsXML{"A\nB", "s", "t", testExpiry}, ""),
		webIdentityOK(credsXML{"A&#13;B", "s", "t", testExpiry}, ""),
		webIdentityOK(credsXML{"A", "s", "t", "yesterday"}, ""),
		errorXML("AccessDenied", "Not authorized"),
		errorXML("InvalidIdentityToken", "No OpenIDConnect provider found "+testToken),
		errorXML("Throttling\n", "Rate\r\nexceeded"),
		"<html>gateway</html>",
		"",
		"<",
		webIdentityOK(goodCreds, "")[:200],
	}
	for _, s := range seeds {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, success bool) {
		status := 400
		if success {
			status = 200
		}
		c, err := New(Options{
			Region:           "us-east-1",
			Endpoint:         "https://sts.fuzz.example",
			Getenv:           envMap(nil),
			Transport:        cannedTransport{status: status, body: body},
			MaxResponseBytes: 64 << 10,
		})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.AssumeRoleWithWebIdentity(context.Background(), webInput())
		if (res == nil) == (err == nil) {
			t.Fatalf("result %v and error %v: want exactly one", res, err)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if e.Class < Fatal || e.Class > RetryOnce || e.Hint == "" {
				t.Fatalf("class %v hint %q", e.Class, e.Hint)
			}
			text := e.Error()
			if strings.ContainsAny(text, "\r\n") || strings.Contains(text, testToken) || !utf8.ValidString(text) {
				t.Fatalf("unsafe error text %q", text)
			}
			if len(e.Message) > maxMessageBytes+len("…") {
				t.Fatalf("message of %d bytes", len(e.Message))
			}
			return
		}
		if !success {
			t.Fatalf("a 400 answer produced credentials %+v", res)
		}
		for _, v := range []string{res.Credentials.AccessKeyID, res.Credentials.SecretAccessKey, res.Credentials.SessionToken} {
			if v == "" || unsafeText(v) {
				t.Fatalf("unsafe or empty credential %q", v)
			}
		}
		for _, v := range []string{res.AssumedRoleARN} {
			if strings.ContainsAny(v, "\r\n") || unsafeText(v) {
				t.Fatalf("unsafe field %q", v)
			}
		}
		if res.Credentials.Expiration.IsZero() {
			t.Fatal("zero expiration accepted")
		}
	})
}

func FuzzAccountFromARN(f *testing.F) {
	for _, s := range []string{testAssumed, "arn:aws-cn:sts::210987654321:assumed-role/r/s", "arn:::::", "arn:a:b::123456789012", "", "arn:aws:sts::12345678901a:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		got := AccountFromARN(arn)
		if got == "" {
			return
		}
		if len(got) != 12 || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("AccountFromARN(%q) = %q, not 12 digits", arn, got)
		}
		if !strings.HasPrefix(arn, "arn:") || !strings.Contains(arn, ":"+got+":") {
			t.Fatalf("AccountFromARN(%q) = %q, not the account field", arn, got)
		}
	})
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"plain", "line\nbreak\r", "\x00\x1b[31m", "\u202e\u2028", "\xff\xfe", strings.Repeat("é", 300), "x " + testToken + " y"} {
		f.Add(s, "secretValue1")
	}
	f.Fuzz(func(t *testing.T, s, secret string) {
		got := sanitize(s, maxMessageBytes, []string{secret})
		if unsafeText(got) {
			t.Fatalf("sanitize(%q) = %q still unsafe", s, got)
		}
		if len(got) > maxMessageBytes+len("…") {
			t.Fatalf("sanitize gave %d bytes", len(got))
		}
		// An alphanumeric secret cannot be re-formed from escapes (which carry
		// a backslash) or from the redaction mark, so it must be gone.
		if len(secret) >= 8 && strings.Trim(secret, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == "" &&
			!strings.Contains(redacted, secret) && strings.Contains(got, secret) {
			t.Fatalf("secret %q survived sanitize(%q) = %q", secret, s, got)
		}
	})
}

func FuzzValidateEndpoint(f *testing.F) {
	for _, s := range []string{"https://sts.us-east-1.amazonaws.com", "http://127.0.0.1:9000/path", "sts.amazonaws.com", "https://u:p@h", "https://", "https://h/?q", "http://[::1]:80", "https://h/\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		err := validateEndpoint(raw)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("error text %q has a line break", err)
			}
			return
		}
		u, perr := url.Parse(raw)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || unsafeText(raw) {
			t.Fatalf("validateEndpoint accepted %q", raw)
		}
	})
}
