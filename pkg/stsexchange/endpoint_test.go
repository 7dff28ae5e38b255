package stsexchange

import (
	"context"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestEndpointResolutionPrecedence(t *testing.T) {
	cases := []struct {
		name       string
		region     string
		explicit   string
		env        map[string]string
		want       string
		wantSource string
	}{
		{"SDK regional default", "us-east-1", "", nil, "https://sts.us-east-1.amazonaws.com", sourceDefault},
		{"China partition default", "cn-north-1", "", nil, "https://sts.cn-north-1.amazonaws.com.cn", sourceDefault},
		{"GovCloud default", "us-gov-west-1", "", nil, "https://sts.us-gov-west-1.amazonaws.com", sourceDefault},
		{"generic env var", "us-east-1", "", map[string]string{"AWS_ENDPOINT_URL": "https://generic.example"}, "https://generic.example", "environment variable AWS_ENDPOINT_URL"},
		{"service env var beats generic", "us-east-1", "", map[string]string{"AWS_ENDPOINT_URL": "https://generic.example", "AWS_ENDPOINT_URL_STS": "https://sts.example/path"}, "https://sts.example/path", "environment variable AWS_ENDPOINT_URL_STS"},
		{"input beats env vars", "us-east-1", "http://127.0.0.1:9000", map[string]string{"AWS_ENDPOINT_URL": "https://generic.example", "AWS_ENDPOINT_URL_STS": "https://sts.example"}, "http://127.0.0.1:9000", sourceInput},
		{"blank values are unset", "us-east-1", "  ", map[string]string{"AWS_ENDPOINT_URL_STS": " ", "AWS_ENDPOINT_URL": ""}, "https://sts.us-east-1.amazonaws.com", sourceDefault},
		{"ignore flag drops env vars", "eu-west-1", "", map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true", "AWS_ENDPOINT_URL_STS": "https://sts.example"}, "https://sts.eu-west-1.amazonaws.com", sourceDefault},
		{"ignore flag keeps the input", "eu-west-1", "https://explicit.example", map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}, "https://explicit.example", sourceInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(Options{Region: tc.region, Endpoint: tc.explicit, Getenv: envMap(tc.env)})
			if err != nil {
				t.Fatal(err)
			}
			if c.Endpoint() != tc.want || c.endpointSource != tc.wantSource {
				t.Errorf("endpoint %q from %q, want %q from %q", c.Endpoint(), c.endpointSource, tc.want, tc.wantSource)
			}
		})
	}
}

func TestEnvironmentEndpointIsWhereTheCallGoes(t *testing.T) {
	f := startSTS(t, xmlAnswer(200, webIdentityOK(goodCreds, "")))
	decoy := startSTS(t, xmlAnswer(500, ""))
	c := newTestClient(t, "", func(o *Options) {
		o.Getenv = envMap(map[string]string{"AWS_ENDPOINT_URL_STS": f.URL + "/sts-prefix", "AWS_ENDPOINT_URL": decoy.URL})
	})
	if _, err := callWeb(t, c); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].Path != "/sts-prefix" {
		t.Errorf("requests %+v, want one to /sts-prefix", reqs)
	}
	if n := len(decoy.requests()); n != 0 {
		t.Errorf("AWS_ENDPOINT_URL got %d requests although AWS_ENDPOINT_URL_STS was set", n)
	}
}

func TestInvalidEndpointErrorNamesItsSource(t *testing.T) {
	cases := []struct {
		name     string
		explicit string
		env      map[string]string
		want     []string
		withheld string
	}{
		{"input without scheme", "sts.amazonaws.com", nil, []string{"input sts-endpoint", `"sts.amazonaws.com"`, "https://"}, ""},
		{"input with other scheme", "ftp://sts.example", nil, []string{"input sts-endpoint", "https://"}, ""},
		{"service env var with password", "", map[string]string{"AWS_ENDPOINT_URL_STS": "https://user:hunter2@sts.example"}, []string{"AWS_ENDPOINT_URL_STS", "user name or password"}, "hunter2"},
		{"unparsable with password", "https://user:hunter2@sts.example:port", nil, []string{"input sts-endpoint", "withheld"}, "hunter2"},
		{"generic env var without host", "", map[string]string{"AWS_ENDPOINT_URL": "https://"}, []string{"environment variable AWS_ENDPOINT_URL", "no host"}, ""},
		{"query string", "https://sts.example/?x=1", nil, []string{"input sts-endpoint", "query"}, ""},
		{"control characters", "https://sts.example/\x7f", nil, []string{"input sts-endpoint"}, ""},
		{"non-ASCII host", "https://sts.bücher.example", nil, []string{"input sts-endpoint", "not ASCII", "xn--"}, ""},
		{"percent-encoded non-ASCII host", "", map[string]string{"AWS_ENDPOINT_URL": "https://sts.b%C3%BCcher.example"}, []string{"environment variable AWS_ENDPOINT_URL", "not ASCII"}, ""},
		{"bad env var shadows nothing", "", map[string]string{"AWS_ENDPOINT_URL_STS": "nonsense", "AWS_ENDPOINT_URL": "https://ok.example"}, []string{"AWS_ENDPOINT_URL_STS"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Region: "us-east-1", Endpoint: tc.explicit, Getenv: envMap(tc.env)})
			if err == nil {
				t.Fatal("New accepted the endpoint")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.withheld != "" && strings.Contains(err.Error(), tc.withheld) {
				t.Errorf("error %q reveals %q", err, tc.withheld)
			}
		})
	}
}

func TestProxySelectionFollowsInputsThenEnvironment(t *testing.T) {
	const (
		stsHTTPS = "https://sts.us-east-1.amazonaws.com/"
		stsHTTP  = "http://sts.internal.example:8080/"
	)
	cases := []struct {
		name           string
		input, noProxy string
		env            map[string]string
		target         string
		want           string // "" = direct
	}{
		{"nothing set", "", "", nil, stsHTTPS, ""},
		{"HTTPS_PROXY for https", "", "", map[string]string{"HTTPS_PROXY": "http://p1:3128"}, stsHTTPS, "http://p1:3128"},
		{"HTTPS_PROXY not for http", "", "", map[string]string{"HTTPS_PROXY": "http://p1:3128"}, stsHTTP, ""},
		{"lowercase https_proxy", "", "", map[string]string{"https_proxy": "http://p2:3128"}, stsHTTPS, "http://p2:3128"},
		{"uppercase wins", "", "", map[string]string{"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:1"}, stsHTTPS, "http://upper:1"},
		{"HTTP_PROXY for http", "", "", map[string]string{"HTTP_PROXY": "http://p3:3128"}, stsHTTP, "http://p3:3128"},
		{"HTTP_PROXY not for https (as net/http)", "", "", map[string]string{"HTTP_PROXY": "http://p3:3128"}, stsHTTPS, ""},
		{"input for https", "http://in:8080", "", map[string]string{"HTTPS_PROXY": "http://env:1"}, stsHTTPS, "http://in:8080"},
		{"input for http", "http://in:8080", "", map[string]string{"HTTP_PROXY": "http://env:1"}, stsHTTP, "http://in:8080"},
		{"bare host:port means http", "corp-proxy:3128", "", nil, stsHTTPS, "http://corp-proxy:3128"},
		{"NO_PROXY domain suffix", "", "", map[string]string{"HTTPS_PROXY": "http://p1:1", "NO_PROXY": ".amazonaws.com"}, stsHTTPS, ""},
		{"no_proxy lowercase", "", "", map[string]string{"HTTPS_PROXY": "http://p1:1", "no_proxy": "amazonaws.com"}, stsHTTPS, ""},
		{"NO_PROXY star", "", "", map[string]string{"HTTPS_PROXY": "http://p1:1", "NO_PROXY": "*"}, stsHTTPS, ""},
		{"NO_PROXY with port", "", "", map[string]string{"HTTP_PROXY": "http://p1:1", "NO_PROXY": "sts.internal.example:8080"}, stsHTTP, ""},
		{"NO_PROXY other port", "", "", map[string]string{"HTTP_PROXY": "http://p1:1", "NO_PROXY": "sts.internal.example:9999"}, stsHTTP, "http://p1:1"},
		{"no-proxy input replaces NO_PROXY", "", "other.example", map[string]string{"HTTPS_PROXY": "http://p1:1", "NO_PROXY": ".amazonaws.com"}, stsHTTPS, "http://p1:1"},
		{"no-proxy input exempts", "http://in:1", "sts.us-east-1.amazonaws.com", nil, stsHTTPS, ""},
		{"loopback never proxied", "http://in:1", "", nil, "http://127.0.0.1:4566/", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := proxyConfig(Options{HTTPProxy: tc.input, NoProxy: tc.noProxy}, envMap(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			target, _ := url.Parse(tc.target)
			got, err := cfg.ProxyFunc()(target)
			if err != nil {
				t.Fatal(err)
			}
			gotS := ""
			if got != nil {
				gotS = got.String()
			}
			if gotS != tc.want {
				t.Errorf("proxy for %s = %q, want %q", tc.target, gotS, tc.want)
			}
		})
	}
}

func TestInvalidProxyErrorNamesItsSourceWithoutPassword(t *testing.T) {
	cases := []struct {
		name  string
		input string
		env   map[string]string
		want  string
	}{
		{"input with bad scheme", "ftp://user:hunter2@proxy:21", nil, "input http-proxy"},
		{"env with bad scheme", "", map[string]string{"https_proxy": "gopher://user:hunter2@proxy:70"}, "environment variable https_proxy"},
		{"env without host", "", map[string]string{"HTTP_PROXY": "http://user:hunter2@:8080"}, "environment variable HTTP_PROXY"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Options{Region: "us-east-1", HTTPProxy: tc.input, Getenv: envMap(tc.env)})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error %v, want one naming %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q reveals the proxy password", err)
			}
		})
	}
}

// recordingProxy is a loopback forward proxy: plain-HTTP requests are relayed
// to upstream, CONNECT tunnels are spliced to upstream's address, whatever
// host the client asked for. It records each target the client asked for.
type recordingProxy struct {
	URL string

	mu      sync.Mutex
	targets []string
}

func (p *recordingProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

func startProxy(t *testing.T, upstreamAddr string) *recordingProxy {
	t.Helper()
	p := &recordingProxy{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.targets = append(p.targets, r.Method+" "+r.Host)
		p.mu.Unlock()
		if r.Method == http.MethodConnect {
			up, err := net.Dial("tcp", upstreamAddr)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer up.Close()
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
			done := make(chan struct{})
			go func() { io.Copy(up, buf); close(done) }()
			io.Copy(conn, up)
			<-done
			return
		}
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host = "http", upstreamAddr
		resp, err := (&http.Transport{}).RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func TestHTTPProxyInputIsUsed(t *testing.T) {
	f := startSTS(t, xmlAnswer(200, webIdentityOK(goodCreds, "")))
	proxy := startProxy(t, strings.TrimPrefix(f.URL, "http://"))
	unused := startProxy(t, strings.TrimPrefix(f.URL, "http://"))
	// The endpoint's host is never resolved: only the proxy is dialed.
	c := newTestClient(t, "http://sts.via-proxy.example:8080", func(o *Options) {
		o.HTTPProxy = proxy.URL
		o.Getenv = envMap(map[string]string{"HTTP_PROXY": unused.URL})
	})
	if _, err := callWeb(t, c); err != nil {
		t.Fatal(err)
	}
	if got := proxy.seen(); len(got) != 1 || got[0] != "POST sts.via-proxy.example:8080" {
		t.Errorf("proxy saw %q, want one POST to sts.via-proxy.example:8080", got)
	}
	if got := unused.seen(); len(got) != 0 {
		t.Errorf("environment proxy was used (%q) although http-proxy was set", got)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("STS saw %d requests, want 1", n)
	}
}

func TestHTTPSProxyEnvironmentTunnelsTLS(t *testing.T) {
	tlsSTS := httptest.NewTLSServer(xmlAnswer(200, webIdentityOK(goodCreds, "")))
	t.Cleanup(tlsSTS.Close)
	proxy := startProxy(t, tlsSTS.Listener.Addr().String())

	o := Options{
		Region:   "us-east-1",
		Endpoint: "https://sts.example.com", // a name the test certificate covers
		Getenv:   envMap(map[string]string{"HTTPS_PROXY": proxy.URL}),
	}
	cfg, err := proxyConfig(o, o.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	tr := newTransport(cfg.ProxyFunc())
	pool := x509.NewCertPool()
	pool.AddCert(tlsSTS.Certificate())
	tr.TLSClientConfig.RootCAs = pool
	o.Transport = tr
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := callWeb(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Credentials.AccessKeyID != goodCreds.AccessKeyID {
		t.Errorf("result %+v", res)
	}
	if got := proxy.seen(); len(got) != 1 || got[0] != "CONNECT sts.example.com:443" {
		t.Errorf("proxy saw %q, want one CONNECT sts.example.com:443", got)
	}
}

func TestNoProxyGoesDirect(t *testing.T) {
	f := startSTS(t, xmlAnswer(200, webIdentityOK(goodCreds, "")))
	proxy := startProxy(t, strings.TrimPrefix(f.URL, "http://"))
	for _, tc := range []struct {
		name     string
		noProxy  string
		wantDial string
	}{
		{"matching NO_PROXY dials the endpoint", ".internal.example", "sts.internal.example:80"},
		{"other NO_PROXY dials the proxy", ".elsewhere.example", strings.TrimPrefix(proxy.URL, "http://")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := envMap(map[string]string{"HTTP_PROXY": proxy.URL, "NO_PROXY": tc.noProxy})
			cfg, err := proxyConfig(Options{}, getenv)
			if err != nil {
				t.Fatal(err)
			}
			tr := newTransport(cfg.ProxyFunc())
			var mu sync.Mutex
			var dialed []string
			// Every dial lands on a loopback server; the address asked for
			// shows whether the proxy was bypassed.
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				mu.Lock()
				dialed = append(dialed, addr)
				mu.Unlock()
				target := strings.TrimPrefix(f.URL, "http://")
				if addr == strings.TrimPrefix(proxy.URL, "http://") {
					target = addr
				}
				return (&net.Dialer{}).DialContext(ctx, network, target)
			}
			c := newTestClient(t, "http://sts.internal.example", func(o *Options) { o.Getenv = getenv; o.Transport = tr })
			if _, err := callWeb(t, c); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(dialed) != 1 || dialed[0] != tc.wantDial {
				t.Errorf("dialed %q, want [%q]", dialed, tc.wantDial)
			}
		})
	}
}
