package stsexchange

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// brief lists the classes the action's retry loop is designed around; the
// table must agree with it.
var brief = map[string]Class{
	"AccessDenied":            Fatal,
	"InvalidIdentityToken":    RetryOnce,
	"ExpiredTokenException":   RefreshToken,
	"IDPCommunicationError":   Transient,
	"IDPRejectedClaim":        Fatal,
	"Throttling":              Throttled,
	"ThrottlingException":     Throttled,
	"RequestLimitExceeded":    Throttled,
	"InternalFailure":         Transient,
	"ServiceUnavailable":      Transient,
	"InternalError":           Transient,
	"ValidationError":         Fatal,
	"MalformedPolicyDocument": Fatal,
	"PackedPolicyTooLarge":    Fatal,
	"RegionDisabledException": Fatal,
	"InvalidClientTokenId":    Fatal,
	"SignatureDoesNotMatch":   Fatal,
	"ExpiredToken":            Fatal,
	"MissingParameter":        Fatal,
	"InvalidParameterValue":   Fatal,
}

var allKinds = []string{
	kindInvalidInput, kindCallerDeadline, kindAttemptTimeout, kindDNSNotFound, kindConnection,
	kindTLSCertificate, kindTooLarge, kindUndecodable, kindUndecodable4xx, kindInvalidResponse,
	kindRedirect, kindTooManyRequests, kindUnknownClientCode, kindUnknownServerCode,
}

func TestTableIsCompleteAndConsistent(t *testing.T) {
	for code, want := range brief {
		r, ok := codeTable[code]
		if !ok {
			t.Errorf("codeTable lacks %s", code)
			continue
		}
		if r.Class != want {
			t.Errorf("codeTable[%s].Class = %v, want %v", code, r.Class, want)
		}
	}
	for _, k := range allKinds {
		if _, ok := codeTable[k]; !ok {
			t.Errorf("codeTable lacks kind %s", k)
		}
	}
	check := func(where string, r codeRule) {
		if strings.TrimSpace(r.Hint) == "" || strings.ContainsAny(r.Hint, "\r\n") {
			t.Errorf("%s: hint %q must be one non-empty line", where, r.Hint)
		}
		if r.Class < Fatal || r.Class > DropTags {
			t.Errorf("%s: class %v out of range", where, r.Class)
		}
		for i, m := range r.ByMessage {
			if m.Contains == "" || strings.TrimSpace(m.Hint) == "" || strings.ContainsAny(m.Hint, "\r\n") {
				t.Errorf("%s: ByMessage[%d] = %+v needs a phrase and a one-line hint", where, i, m)
			}
		}
	}
	for code, r := range codeTable {
		check(code, r)
		if r.Chain != nil {
			check(code+" (chain)", *r.Chain)
			if r.Chain.Chain != nil {
				t.Errorf("%s: chain rule must not chain again", code)
			}
		}
		for other := range codeTable {
			if other != code && strings.EqualFold(other, code) {
				t.Errorf("codes %s and %s differ only in case", code, other)
			}
		}
	}
	for _, c := range []Class{Fatal, Transient, RefreshToken, RetryOnce, Throttled, DropTags} {
		if strings.HasPrefix(c.String(), "Class(") {
			t.Errorf("class %d has no name", int(c))
		}
	}
}

// TestEveryCodeIsClassifiedFromARealErrorResponse drives every AWS code in
// codeTable through the SDK as an STS ErrorResponse and checks the result matches
// the table, for both operations.
func TestEveryCodeIsClassifiedFromARealErrorResponse(t *testing.T) {
	for code, rule := range codeTable {
		if strings.Contains(code, ".") {
			continue // a Kind, not an AWS code
		}
		for _, op := range []string{opWebIdentity, opAssumeRole} {
			t.Run(code+"/"+op, func(t *testing.T) {
				status := 400
				if rule.Class == Transient {
					status = 503
				}
				f := startSTS(t, xmlAnswer(status, errorXML(code, "message for "+code)))
				c := newTestClient(t, f.URL, nil)
				var err error
				if op == opWebIdentity {
					_, err = callWeb(t, c)
				} else {
					_, err = c.AssumeRole(context.Background(), chainInput())
				}
				e := asError(t, err)
				want, _ := lookup(op, code, "")
				if e.Op != op || e.Code != code || e.Class != want.Class || e.Hint != want.Hint {
					t.Errorf("got op %s code %q class %v hint %q; want %s %q %v %q", e.Op, e.Code, e.Class, e.Hint, op, code, want.Class, want.Hint)
				}
				if e.HTTPStatus != status || e.RequestID != testRequestID || e.Message != "message for "+code {
					t.Errorf("got status %d request ID %q message %q", e.HTTPStatus, e.RequestID, e.Message)
				}
				if len(f.requests()) != 1 {
					t.Errorf("server saw %d requests, want 1 (no SDK retries)", len(f.requests()))
				}
			})
		}
	}
}

func TestHintsDependOnMessageAndOperation(t *testing.T) {
	cases := []struct {
		name, op, code, message string
		wantClass               Class
		wantHint                string // substring
	}{
		{"provider missing", opWebIdentity, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com", RetryOnce, "create an IAM OIDC identity provider"},
		{"audience mismatch", opWebIdentity, "InvalidIdentityToken", "Incorrect token audience", RetryOnce, "client IDs"},
		{"thumbprint", opWebIdentity, "InvalidIdentityToken", "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint", RetryOnce, "thumbprint"},
		{"other invalid token", opWebIdentity, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider", RetryOnce, "AWS rejected the GitHub token"},
		{"duration too long", opWebIdentity, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", Fatal, "lower role-duration-seconds"},
		{"web access denied", opWebIdentity, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", Fatal, "compare the token's sub and aud"},
		{"chain access denied", opAssumeRole, "AccessDenied", "User: arn:aws:sts::1:assumed-role/a/b is not authorized to perform: sts:AssumeRole", Fatal, "chained role's trust policy"},
		{"web expired token refreshes", opWebIdentity, "ExpiredTokenException", "Token expired: current date/time 1 must be before the expiration date/time 0", RefreshToken, "runner's clock"},
		{"chain expired source is fatal", opAssumeRole, "ExpiredTokenException", "The security token included in the request is expired", Fatal, "source credentials"},
		{"chain bad key", opAssumeRole, "InvalidClientTokenId", "The security token included in the request is invalid.", Fatal, "source credentials"},
		{"code case differs", opWebIdentity, "accessdenied", "x", Fatal, "compare the token's sub and aud"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startSTS(t, xmlAnswer(400, errorXML(tc.code, tc.message)))
			c := newTestClient(t, f.URL, nil)
			var err error
			if tc.op == opWebIdentity {
				_, err = callWeb(t, c)
			} else {
				_, err = c.AssumeRole(context.Background(), chainInput())
			}
			e := asError(t, err)
			if e.Class != tc.wantClass || !strings.Contains(e.Hint, tc.wantHint) {
				t.Errorf("got class %v hint %q; want %v and hint containing %q", e.Class, e.Hint, tc.wantClass, tc.wantHint)
			}
		})
	}
}

func TestUnknownAnswersAreClassifiedByStatus(t *testing.T) {
	cases := []struct {
		name      string
		status    int
		body      string
		wantClass Class
		wantCode  string
		wantKind  string
	}{
		{"unknown code 4xx", 400, errorXML("SomethingNew", "new failure"), Fatal, "SomethingNew", kindUnknownClientCode},
		{"unknown code 5xx", 503, errorXML("SomethingNew", "new failure"), Transient, "SomethingNew", kindUnknownServerCode},
		{"unknown code 429", 429, errorXML("SlowDownPlease", "x"), Throttled, "SlowDownPlease", kindTooManyRequests},
		{"HTML 502 from a proxy", 502, "<html><body><h1>502 Bad Gateway</h1></body></html>", Transient, "", kindUnknownServerCode},
		{"not-XML 504", 504, "upstream timed out", Transient, "", kindUnknownServerCode},
		{"HTML 403 from a proxy", 403, "<html><body>Blocked by policy</body></html>", Fatal, "", kindUndecodable4xx},
		{"broken XML 407", 407, "<html><body>auth <b>required</html>", Fatal, "", kindUndecodable4xx},
		{"empty 400", 400, "", Fatal, "", kindUndecodable4xx},
		{"empty 500", 500, "", Transient, "", kindUnknownServerCode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := startSTS(t, xmlAnswer(tc.status, tc.body))
			_, err := callWeb(t, newTestClient(t, f.URL, nil))
			e := asError(t, err)
			want := codeTable[tc.wantKind]
			if e.Class != tc.wantClass || e.Code != tc.wantCode || e.HTTPStatus != tc.status || e.Hint != want.Hint {
				t.Errorf("got class %v code %q status %d hint %q; want %v %q %d %q", e.Class, e.Code, e.HTTPStatus, e.Hint, tc.wantClass, tc.wantCode, tc.status, want.Hint)
			}
			assertNoSecrets(t, e, testToken)
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	elsewhere := startSTS(t, xmlAnswer(200, webIdentityOK(goodCreds, "")))
	f := startSTS(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
	})
	_, err := callWeb(t, newTestClient(t, f.URL, nil))
	e := asError(t, err)
	if e.Class != Fatal || e.HTTPStatus != 307 || e.Hint != codeTable[kindRedirect].Hint {
		t.Errorf("got %v class %v hint %q", e, e.Class, e.Hint)
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("redirect target saw %d requests; the token must not follow a redirect", n)
	}
}

func TestServerMessagesAreSanitizedAndSecretsRedacted(t *testing.T) {
	long := strings.Repeat("é", 600)
	message := "bad token " + testToken + "\nSECOND LINE\r\u0085\u202e tail " + long
	f := startSTS(t, xmlAnswer(400, errorXML("AccessDenied\nX-Injected", strings.ReplaceAll(message, "\r", "&#13;"))))
	_, err := callWeb(t, newTestClient(t, f.URL, nil))
	e := asError(t, err)
	assertNoSecrets(t, e, testToken, "eyJ")
	if !strings.Contains(e.Message, `bad token [REDACTED]\nSECOND LINE\r\u0085\u202e tail`) {
		t.Errorf("message %q does not show the escaped text", e.Message)
	}
	if len(e.Message) > maxMessageBytes+len("…") || !utf8.ValidString(e.Message) || !strings.HasSuffix(e.Message, "…") {
		t.Errorf("message is %d bytes (valid UTF-8: %v), want at most %d and a truncation mark", len(e.Message), utf8.ValidString(e.Message), maxMessageBytes)
	}
	if e.Code != `AccessDenied\nX-Injected` {
		t.Errorf("code %q, want the escaped code", e.Code)
	}
	if e.Class != Fatal {
		t.Errorf("unknown (mangled) 400 code: class %v, want Fatal", e.Class)
	}
}

func TestChainErrorsRedactSourceCredentials(t *testing.T) {
	in := chainInput()
	f := startSTS(t, xmlAnswer(403, errorXML("SignatureDoesNotMatch", "expected secret "+in.Source.SecretAccessKey+" token "+in.Source.SessionToken)))
	_, err := newTestClient(t, f.URL, nil).AssumeRole(context.Background(), in)
	e := asError(t, err)
	assertNoSecrets(t, e, in.Source.SecretAccessKey, in.Source.SessionToken)
	if e.Class != Fatal || !strings.Contains(e.Hint, "source credentials") {
		t.Errorf("class %v hint %q", e.Class, e.Hint)
	}
}

func TestErrorUnwrapsToUnderlyingCause(t *testing.T) {
	sentinel := errors.New("root cause")
	e := &Error{Op: opWebIdentity, Message: "m", Err: fmt.Errorf("wrapped: %w", sentinel)}
	if !errors.Is(e, sentinel) {
		t.Error("errors.Is does not reach the underlying error")
	}
	var wrapped error = fmt.Errorf("outer: %w", e)
	var got *Error
	if !errors.As(wrapped, &got) || got != e {
		t.Error("errors.As does not find *Error through wrapping")
	}
}

// TestErrorTextGolden pins the human-facing rendering of errors and of the
// whole table.
func TestErrorTextGolden(t *testing.T) {
	var b strings.Builder
	scenarios := []struct {
		name   string
		status int
		body   string
		chain  bool
	}{
		{"access denied", 403, errorXML("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"), false},
		{"no provider", 400, errorXML("InvalidIdentityToken", "No OpenIDConnect provider found in your account for https://token.actions.githubusercontent.com"), false},
		{"duration", 400, errorXML("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."), false},
		{"throttled", 400, errorXML("Throttling", "Rate exceeded"), false},
		{"proxy page", 403, "<html>denied</html>", false},
		{"hostile key", 200, webIdentityOK(credsXML{"A\nB", "s", "t", testExpiry}, ""), false},
		{"chain denied", 403, errorXML("AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/deploy/gha-run is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/target"), true},
		{"chain tags denied", 403, errorXML("AccessDenied", "User: arn:aws:sts::123456789012:assumed-role/deploy/gha-run is not authorized to perform: sts:TagSession on resource: arn:aws:iam::210987654321:role/target"), true},
		{"chain tags too large", 400, errorXML("PackedPolicyTooLarge", "Packed size of session tags consumes 104% of allotted space."), true},
	}
	for _, s := range scenarios {
		f := startSTS(t, xmlAnswer(s.status, s.body))
		c := newTestClient(t, f.URL, nil)
		var err error
		if s.chain {
			_, err = c.AssumeRole(context.Background(), chainInput())
		} else {
			_, err = callWeb(t, c)
		}
		e := asError(t, err)
		fmt.Fprintf(&b, "## %s\nerror: %s\nclass: %v\nhint:  %s\n\n", s.name, e, e.Class, e.Hint)
	}
	b.WriteString("## table\n")
	keys := make([]string, 0, len(codeTable))
	for k := range codeTable {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r := codeTable[k]
		fmt.Fprintf(&b, "%s\t%v\t%s\n", k, r.Class, r.Hint)
		for _, m := range r.ByMessage {
			fmt.Fprintf(&b, "  message %q\t%s\n", m.Contains, m.Hint)
		}
		if r.Chain != nil {
			fmt.Fprintf(&b, "  AssumeRole\t%v\t%s\n", r.Chain.Class, r.Chain.Hint)
			for _, m := range r.Chain.ByMessage {
				fmt.Fprintf(&b, "    message %q\t%s\n", m.Contains, m.Hint)
			}
		}
	}
	golden(t, "errors.golden", b.String())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (run with -update after checking):\n--- got\n%s", path, got)
	}
}
