package idtoken

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/org/oidc-aws-action/pkg/claims"
)

// FuzzTokenAnswer feeds arbitrary bodies through the real client as the
// runner's answer. Whatever arrives, Fetch must not panic, must return
// either a decodable JWT or an *Error, and must never echo the request
// token in its error.
func FuzzTokenAnswer(f *testing.F) {
	f.Add(200, []byte(`{"value":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vcjpwdWxsX3JlcXVlc3QifQ.c2ln"}`))
	f.Add(200, []byte(`{"count":3,"value":""}`))
	f.Add(200, []byte(`<html>proxy</html>`))
	f.Add(500, []byte(`{"message":"oops"}`))
	f.Add(401, []byte(``))
	f.Add(200, []byte(`{"value":"a.b.c"}`))

	var body atomic.Value
	var status atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		w.Write(body.Load().([]byte))
	}))
	f.Cleanup(srv.Close)
	const secret = "request-token-never-printed"
	c, err := newFromURL(srv.URL+"/token?api-version=2.0", secret, Options{MaxAttempts: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, code int, b []byte) {
		if code < 200 || code > 599 {
			code = 200
		}
		status.Store(int64(code))
		body.Store(b)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tok, err := c.Fetch(ctx, "sts.amazonaws.com")
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T, want *Error", err)
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatal("the error echoes the request token")
			}
			return
		}
		if _, derr := claims.Decode(tok); derr != nil {
			t.Fatalf("Fetch returned a token that does not decode: %v", derr)
		}
	})
}
