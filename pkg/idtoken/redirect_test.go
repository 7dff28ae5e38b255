package idtoken

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestFetchFollowsNoRedirect(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(status)+" from https to http on the same host and another port", func(t *testing.T) {
			var reached, gotToken atomic.Bool
			elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				reached.Store(true)
				if strings.Contains(r.Header.Get("Authorization"), "request-token") {
					gotToken.Store(true)
				}
				w.Write([]byte(`{"value":"x"}`)) //nolint:errcheck
			}))
			defer elsewhere.Close()
			endpoint := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.URL+"/", status)
			}))
			defer endpoint.Close()
			c, err := newFromURL(endpoint.URL+"/token", "request-token", Options{HTTPClient: endpoint.Client(), MaxAttempts: 3})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Fetch(context.Background(), "sts.amazonaws.com")
			if err == nil || !strings.Contains(err.Error(), "redirect") || !strings.Contains(err.Error(), "not followed") {
				t.Errorf("error %v, want one that says the redirect was not followed", err)
			}
			if gotToken.Load() || reached.Load() {
				t.Errorf("the redirect target was reached (request token sent: %v)", gotToken.Load())
			}
		})
	}
}
