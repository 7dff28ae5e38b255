package stsexchange

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/http/httpproxy"
)

// The proxy decision is net/http's, written out without x/net/idna (see
// proxySettings). These tests hold it to golang.org/x/net/http/httpproxy,
// which stays a test-only dependency for that purpose.

const (
	testHTTPProxy  = "http://plain-proxy.example:3128"
	testHTTPSProxy = "https://tls-proxy.example:3129"
)

// referenceProxy is httpproxy's answer for the same settings.
func referenceProxy(noProxy string, target *url.URL) string {
	cfg := &httpproxy.Config{HTTPProxy: testHTTPProxy, HTTPSProxy: testHTTPSProxy, NoProxy: noProxy}
	u, err := cfg.ProxyFunc()(target)
	if err != nil {
		return "error: " + err.Error()
	}
	if u == nil {
		return ""
	}
	return u.String()
}

// ourProxy is this package's answer; ok is false when it refused (a
// non-ASCII name), which the callers check is the only reason.
func ourProxy(t *testing.T, noProxy string, target *url.URL) (got string, ok bool) {
	t.Helper()
	env := map[string]string{"HTTP_PROXY": testHTTPProxy, "HTTPS_PROXY": testHTTPSProxy, "NO_PROXY": noProxy}
	cfg, err := proxyConfig(Options{}, envMap(env))
	if err != nil {
		if !strings.Contains(err.Error(), "NO_PROXY") || !strings.Contains(err.Error(), "not ASCII") {
			t.Fatalf("NO_PROXY %q: unexpected error %v", noProxy, err)
		}
		return "", false
	}
	u, err := cfg.ProxyFunc()(target)
	if err != nil {
		if !strings.Contains(err.Error(), "not ASCII") {
			t.Fatalf("target %q: unexpected error %v", target, err)
		}
		return "", false
	}
	if u == nil {
		return "", true
	}
	return u.String(), true
}

var (
	differentialNoProxy = []string{
		"", "*", " * ", "*,other.example", "other.example,*",
		"amazonaws.com", ".amazonaws.com", "*.amazonaws.com", "AmazonAWS.COM", " amazonaws.com ,, ",
		"sts.us-east-1.amazonaws.com", "us-east-1.amazonaws.com:443", "amazonaws.com:80", "x.amazonaws.com",
		"sts.internal.example:8080", ".internal.example:9999", "internal.example:8080",
		"10.0.0.0/8", "10.1.2.3", "10.1.2.3:8080", "10.1.2.3:9999", "192.168.0.0/16,fd00::/8",
		"::1", "[::1]:443", "[fd00::5]", "[fd00::5]:8443", "fd00::5", "[[fd00::5]]:8443", "[]:80", ":80",
		".", "*.", "*", "**.example", "*example", "example", "com", ".com:443",
		"localhost", "LOCALHOST", "127.0.0.1", "0.0.0.0/0", "::/0",
		"\u212a.example", // KELVIN SIGN lower-cases to ASCII k
		"\u00a0amazonaws.com\u00a0",
	}
	differentialTargets = []string{
		"https://sts.us-east-1.amazonaws.com/",
		"https://STS.US-EAST-1.AMAZONAWS.COM/",
		"https://sts.us-east-1.amazonaws.com:443/",
		"https://sts.us-east-1.amazonaws.com:8443/",
		"http://sts.internal.example:8080/",
		"http://sts.internal.example/",
		"http://internal.example:8080/",
		"https://k.example/",
		"https://sts.amazonaws.com./",
		"http://10.1.2.3:8080/",
		"http://10.1.2.3/",
		"https://192.168.4.5/",
		"https://[fd00::5]:8443/",
		"https://[fd00::5]/",
		"https://[::ffff:10.1.2.3]/",
		"http://[fe80::1%25eth0]:80/",
		"http://127.0.0.1:4566/",
		"http://127.9.9.9/",
		"http://[::1]:4566/",
		"http://localhost:4566/",
		"http://LOCALHOST:4566/",
		"https://example/",
		"ftp://sts.us-east-1.amazonaws.com/",
	}
)

func TestProxyDecisionMatchesNetHTTP(t *testing.T) {
	n := 0
	for _, np := range differentialNoProxy {
		for _, raw := range differentialTargets {
			target, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			want := referenceProxy(np, target)
			got, ok := ourProxy(t, np, target)
			if !ok {
				t.Errorf("NO_PROXY %q, target %s: refused, but everything here is ASCII (httpproxy: %q)", np, raw, want)
				continue
			}
			if got != want {
				t.Errorf("NO_PROXY %q, target %s: proxy %q, httpproxy says %q", np, raw, got, want)
			}
			n++
		}
	}
	t.Logf("%d decisions compared", n)
}

func TestNonASCIINoProxyEntryIsRefusedNamingItsSource(t *testing.T) {
	cases := []struct {
		name    string
		input   string
		env     map[string]string
		wantErr string
	}{
		{"in the no-proxy input", "ok.example, bücher.example", nil, `input no-proxy: entry "bücher.example" is not ASCII`},
		{"in NO_PROXY", "", map[string]string{"NO_PROXY": "*.ＥＸＡＭＰＬＥ"}, `environment variable NO_PROXY: entry "*.ＥＸＡＭＰＬＥ" is not ASCII`},
		{"in no_proxy", "", map[string]string{"no_proxy": ".bücher.example:443"}, `environment variable no_proxy: entry ".bücher.example:443" is not ASCII`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Region: "us-east-1", NoProxy: tc.input, Getenv: envMap(tc.env)})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "xn--") {
				t.Fatalf("error %v, want it to contain %q and name the xn-- form", err, tc.wantErr)
			}
		})
	}
	t.Run("the same entry in its xn-- form is used", func(t *testing.T) {
		cfg, err := proxyConfig(Options{HTTPProxy: testHTTPProxy, NoProxy: "xn--bcher-kva.example"}, envMap(nil))
		if err != nil {
			t.Fatal(err)
		}
		got, err := cfg.ProxyFunc()(&url.URL{Scheme: "https", Host: "sts.xn--bcher-kva.example"})
		if err != nil || got != nil {
			t.Fatalf("proxy %v, error %v; want a direct connection", got, err)
		}
	})
}

func TestNonASCIITargetHostIsRefusedWhenAProxyApplies(t *testing.T) {
	cfg, err := proxyConfig(Options{HTTPProxy: testHTTPProxy}, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.ProxyFunc()(&url.URL{Scheme: "https", Host: "sts.bücher.example"})
	if err == nil || !strings.Contains(err.Error(), "not ASCII") {
		t.Fatalf("error %v, want the non-ASCII host refused", err)
	}
	// With no proxy for the scheme there is nothing to decide.
	got, err := cfg.ProxyFunc()(&url.URL{Scheme: "ftp", Host: "sts.bücher.example"})
	if err != nil || got != nil {
		t.Fatalf("proxy %v, error %v; want a direct connection", got, err)
	}
}

// FuzzProxyDecision compares the decision with httpproxy's for any NO_PROXY
// list and request host; the only difference allowed is refusing a
// non-ASCII name.
func FuzzProxyDecision(f *testing.F) {
	for _, np := range differentialNoProxy {
		for _, raw := range differentialTargets {
			u, err := url.Parse(raw)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(np, u.Host, u.Scheme == "https")
		}
	}
	f.Add("bücher.example", "xn--bcher-kva.example", true)
	f.Add("xn--bcher-kva.example", "bücher.example", false)
	f.Fuzz(func(t *testing.T, noProxy, host string, https bool) {
		if len(noProxy) > 4096 || len(host) > 1024 {
			return
		}
		target := &url.URL{Scheme: "http", Host: host}
		if https {
			target.Scheme = "https"
		}
		want := referenceProxy(noProxy, target)
		got, ok := ourProxy(t, noProxy, target)
		if !ok {
			if isASCII(strings.ToLower(noProxy)) && isASCII(target.Hostname()) {
				t.Fatalf("NO_PROXY %q, host %q: refused although both are ASCII", noProxy, host)
			}
			return
		}
		if got != want {
			t.Fatalf("NO_PROXY %q, host %q, https %v: proxy %q, httpproxy says %q", noProxy, host, https, got, want)
		}
	})
}
