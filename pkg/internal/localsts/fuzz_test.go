package localsts

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseParams(f *testing.F) {
	f.Add("POST", "application/x-www-form-urlencoded", "Action=AssumeRole&Version=2011-06-15&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FX", "")
	f.Add("GET", "", "", "Action=AssumeRoleWithWebIdentity&RoleArn=a")
	f.Add("POST", "text/plain", "x=%zz", "a=1;b=2")
	f.Add("POST", "application/x-www-form-urlencoded; charset=utf-8", "a=%ff&b", "")
	f.Fuzz(func(t *testing.T, method, ct, body, query string) {
		p, err := parseParams(method, ct, []byte(body), query)
		if err != nil {
			return
		}
		if len(p) > maxParams {
			t.Fatalf("%d params accepted", len(p))
		}
		// What was accepted must survive a round trip through the encoding
		// the SDK uses, or the server read something a client cannot send.
		again, err := parseParams("GET", "", nil, url.Values(p).Encode())
		if err != nil || !reflect.DeepEqual(map[string][]string(again), p) {
			t.Fatalf("round trip changed %v into %v (%v)", p, again, err)
		}
	})
}

func FuzzParseJWKS(f *testing.F) {
	f.Add(`{"keys":[{"kty":"RSA","kid":"k","use":"sig","n":"sXch","e":"AQAB"}]}`)
	f.Add(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`)
	f.Add(`{"keys":[{"kty":"RSA","e":"AQAB","n":""}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, doc string) {
		keys, err := parseJWKS([]byte(doc))
		if err == nil && len(keys) == 0 {
			t.Fatal("no error but no keys")
		}
	})
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=ASIAX/20260101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc")
	f.Add("AWS4-HMAC-SHA256 Credential=x")
	f.Add("Bearer x")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := parseAuthorization(h)
		if err != nil {
			return
		}
		if a.AccessKeyID == "" || a.Signature == "" || a.SignedHeaders == "" {
			t.Fatalf("accepted incomplete header: %+v", a)
		}
	})
}

// FuzzServeHTTP drives the whole handler with arbitrary requests: it must
// always answer with a status and never panic.
func FuzzServeHTTP(f *testing.F) {
	s, err := Start(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	f.Add("POST", "application/x-www-form-urlencoded", "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx&RoleSessionName=s1&WebIdentityToken=a.b.c", "")
	f.Add("POST", "application/x-www-form-urlencoded", "Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=y&DurationSeconds=99999999999999999999", "AWS4-HMAC-SHA256 Credential=A/B/C/sts/aws4_request, SignedHeaders=host, Signature=00")
	f.Add("GET", "", "", "")
	f.Fuzz(func(t *testing.T, method, ct, body, auth string) {
		if method != "GET" && method != "POST" && method != "PUT" {
			method = "POST"
		}
		req := httptest.NewRequest(method, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		if auth != "" {
			req.Header["Authorization"] = []string{auth}
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code < 200 || w.Code > 599 {
			t.Fatalf("status %d", w.Code)
		}
		if w.Code != http.StatusOK && !strings.Contains(w.Body.String(), "<ErrorResponse") {
			t.Fatalf("non-200 without ErrorResponse: %d %s", w.Code, w.Body.String())
		}
	})
}
