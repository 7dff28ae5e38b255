package localsts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestQueryProtocolErrors(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxBodyBytes = 4096 })
	cases := []struct {
		name        string
		contentType string
		body        string
		status      int
		code        string
		msg         string
	}{
		{"missing action", "application/x-www-form-urlencoded", form("Version", APIVersion), 400, "MissingAction", "Missing Action"},
		{"missing version", "application/x-www-form-urlencoded", form("Action", "AssumeRole"), 400, "InvalidAction", "Could not find operation AssumeRole for version NO_VERSION_SPECIFIED"},
		{"wrong version", "application/x-www-form-urlencoded", form("Action", "AssumeRole", "Version", "2010-01-01"), 400, "InvalidAction", "Could not find operation AssumeRole for version 2010-01-01"},
		{"unknown action", "application/x-www-form-urlencoded", form("Action", "MakeCoffee", "Version", APIVersion), 400, "InvalidAction", "Could not find operation MakeCoffee for version 2011-06-15"},
		{"all required parameters missing", "application/x-www-form-urlencoded", form("Action", "AssumeRoleWithWebIdentity", "Version", APIVersion), 400, "ValidationError",
			"3 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null; Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null; Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null"},
		{"token too short is not echoed", "application/x-www-form-urlencoded", form("Action", "AssumeRoleWithWebIdentity", "Version", APIVersion, "RoleArn", testRole, "RoleSessionName", "ok", "WebIdentityToken", "abc"), 400, "ValidationError",
			"1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4"},
		{"session name too long", "application/x-www-form-urlencoded", form("Action", "AssumeRoleWithWebIdentity", "Version", APIVersion, "RoleArn", testRole, "RoleSessionName", strings.Repeat("a", 65), "WebIdentityToken", "abcd"), 400, "ValidationError",
			"1 validation error detected: Value '" + strings.Repeat("a", 65) + "' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"},
		{"duration not a number", "application/x-www-form-urlencoded", form("Action", "AssumeRoleWithWebIdentity", "Version", APIVersion, "RoleArn", testRole, "RoleSessionName", "ok", "WebIdentityToken", "abcd", "DurationSeconds", "1h"), 400, "ValidationError",
			"1 validation error detected: Value '1h' at 'durationSeconds' failed to satisfy constraint: Member must be an integer"},
		{"JSON body", "application/json", `{"Action":"AssumeRole"}`, 400, "MalformedQueryString", ""},
		{"broken escape", "application/x-www-form-urlencoded", "Action=AssumeRole&Version=%zz", 400, "MalformedQueryString", ""},
		{"body over the limit", "application/x-www-form-urlencoded", form("Action", "AssumeRole", "Pad", strings.Repeat("x", 5000)), 413, "RequestEntityTooLarge", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(t, tc.contentType, tc.body)
			if r.status != tc.status {
				t.Errorf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if !strings.Contains(r.body, "<Code>"+tc.code+"</Code>") || !strings.HasPrefix(r.body, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>`) {
				t.Errorf("body %s, want an ErrorResponse with code %s", r.body, tc.code)
			}
			if tc.msg != "" && !strings.Contains(r.body, "<Message>"+xmlEscape(tc.msg)+"</Message>") {
				t.Errorf("body %s\nwant message %q", r.body, tc.msg)
			}
		})
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", `"`, "&#34;").Replace(s)
}

func TestSigV4Verification(t *testing.T) {
	var skewed atomic.Int64 // seconds added to the server clock
	e := newEnv(t, func(o *Options) {
		o.Clock = func() time.Time { return time.Now().Add(time.Duration(skewed.Load()) * time.Second) }
	})
	first, err := e.assumeWeb(context.Background(), e.client(nil, 1), e.token(t, nil), func(in *sts.AssumeRoleWithWebIdentityInput) {
		in.DurationSeconds = aws.Int32(900)
	})
	if err != nil {
		t.Fatal(err)
	}
	good := aws.Credentials{AccessKeyID: *first.Credentials.AccessKeyId, SecretAccessKey: *first.Credentials.SecretAccessKey, SessionToken: *first.Credentials.SessionToken}
	body := form("Action", "GetCallerIdentity", "Version", APIVersion, "Padding", "a")

	signed := func(creds aws.Credentials, region string, at time.Time) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, e.sts.URL()+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", region, at); err != nil {
			t.Fatal(err)
		}
		return req
	}
	tamper := func(req *http.Request) *http.Request {
		evil := strings.Replace(body, "Padding=a", "Padding=b", 1)
		req.Body = http.NoBody
		r2, _ := http.NewRequest(req.Method, req.URL.String(), strings.NewReader(evil))
		r2.Header = req.Header
		return r2
	}
	wrongSecret := good
	wrongSecret.SecretAccessKey = strings.Repeat("A", 40)
	wrongToken := good
	wrongToken.SessionToken = "forged"
	unknownKey := good
	unknownKey.AccessKeyID = "ASIAAAAAAAAAAAAAAAAA"

	cases := []struct {
		name   string
		req    func() *http.Request
		skew   time.Duration
		status int
		code   string
	}{
		{"good signature passes", func() *http.Request { return signed(good, "us-east-1", time.Now()) }, 0, 200, ""},
		{"any region passes", func() *http.Request { return signed(good, "eu-west-3", time.Now()) }, 0, 200, ""},
		{"tampered body fails", func() *http.Request { return tamper(signed(good, "us-east-1", time.Now())) }, 0, 403, "SignatureDoesNotMatch"},
		{"tampered header fails", func() *http.Request {
			r := signed(good, "us-east-1", time.Now())
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 0, 403, "SignatureDoesNotMatch"},
		{"wrong secret fails", func() *http.Request { return signed(wrongSecret, "us-east-1", time.Now()) }, 0, 403, "SignatureDoesNotMatch"},
		{"wrong session token", func() *http.Request { return signed(wrongToken, "us-east-1", time.Now()) }, 0, 403, "InvalidClientTokenId"},
		{"unknown access key", func() *http.Request { return signed(unknownKey, "us-east-1", time.Now()) }, 0, 403, "InvalidClientTokenId"},
		{"signed too long ago", func() *http.Request { return signed(good, "us-east-1", time.Now().Add(-20*time.Minute)) }, 0, 403, "SignatureDoesNotMatch"},
		{"unsigned", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, e.sts.URL()+"/", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 0, 403, "MissingAuthenticationToken"},
		{"garbled authorization", func() *http.Request {
			r := signed(good, "us-east-1", time.Now())
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			return r
		}, 0, 400, "IncompleteSignature"},
		{"expired credentials", func() *http.Request {
			return signed(good, "us-east-1", time.Now().Add(16*time.Minute))
		}, 16 * time.Minute, 400, "ExpiredToken"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			skewed.Store(int64(tc.skew / time.Second))
			defer skewed.Store(0)
			r := e.do(t, tc.req())
			if r.status != tc.status || (tc.code != "" && !strings.Contains(r.body, "<Code>"+tc.code+"</Code>")) {
				t.Errorf("status %d body %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
}

func TestAnonymousAssumeRoleIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	_, err := e.client(nil, 1).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String(testRole), RoleSessionName: aws.String("anon")})
	code, msg, status := apiError(t, err)
	if code != "MissingAuthenticationToken" || status != 403 || msg != "Request is missing Authentication Token" {
		t.Errorf("got %s (HTTP %d) %q", code, status, msg)
	}
}

func TestRateLimiterThrottles(t *testing.T) {
	// One token per 1000 s: after the burst of 3 nothing refills during the test.
	e := newEnv(t, func(o *Options) { o.RateLimit = 0.001; o.Burst = 3 })
	c := e.client(nil, 1)
	for i := range 3 {
		if _, err := e.assumeWeb(context.Background(), c, e.token(t, nil), nil); err != nil {
			t.Fatalf("request %d within the burst: %v", i, err)
		}
	}
	_, err := e.assumeWeb(context.Background(), c, e.token(t, nil), nil)
	code, msg, status := apiError(t, err)
	if code != "Throttling" || msg != "Rate exceeded" || status != 400 {
		t.Errorf("got %s (HTTP %d) %q, want Throttling (HTTP 400) \"Rate exceeded\"", code, status, msg)
	}
	if got := e.sts.Stats().ByOutcome["Throttling"]; got != 1 {
		t.Errorf("throttled %d, want 1", got)
	}
}

func TestTokenBucketRefills(t *testing.T) {
	b := newBucket(10, 2)
	t0 := time.Unix(1000, 0)
	if got := allows(b, t0, 3); got != [3]bool{true, true, false} {
		t.Fatalf("burst of 2 not enforced: %v", got)
	}
	if !b.allow(t0.Add(100 * time.Millisecond)) {
		t.Error("one token should refill after 100ms at 10/s")
	}
	if b.allow(t0.Add(100 * time.Millisecond)) {
		t.Error("only one token should have refilled")
	}
	if got := allows(b, t0.Add(time.Hour), 3); got != [3]bool{true, true, false} {
		t.Errorf("refill must cap at the burst: %v", got)
	}
}

// allows asks the bucket n times at one instant, in order.
func allows(b *bucket, at time.Time, n int) (out [3]bool) {
	for i := 0; i < n; i++ {
		out[i] = b.allow(at)
	}
	return out
}

func TestTLSServer(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.TLS = true })
	if !strings.HasPrefix(e.sts.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %q", e.sts.URL())
	}
	if _, err := e.assumeWeb(context.Background(), e.client(nil, 1), e.token(t, nil), nil); err != nil {
		t.Fatal(err)
	}
}

func TestParsePolicyArnsInMemberOrder(t *testing.T) {
	got := policyArns(map[string][]string{
		"PolicyArns.member.10.arn": {"j"}, "PolicyArns.member.2.arn": {"b"}, "PolicyArns.member.1.arn": {"a"},
		"PolicyArns.member.x.arn": {"bad"}, "PolicyArns.member.3": {"bad"},
	})
	if strings.Join(got, ",") != "a,b,j" {
		t.Errorf("got %v", got)
	}
}
