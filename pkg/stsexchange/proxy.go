package stsexchange

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"
)

// proxySettings is the proxy decision net/http makes from HTTPS_PROXY,
// HTTP_PROXY and NO_PROXY (scheme-specific proxies; NO_PROXY matching of
// domains, IPs, CIDRs and ports; localhost and loopback never proxied), built
// from the action's inputs or the environment.
//
// It is written here rather than taken from golang.org/x/net/http/httpproxy
// because that package links its own copy of x/net/idna and x/text beside the
// copies inside the standard library, only to convert non-ASCII names. This
// one decides exactly as httpproxy does for ASCII names (a differential test
// and fuzz target hold it to that) and refuses the rest: a non-ASCII NO_PROXY
// entry is an error when the settings are built, and a non-ASCII request host
// an error when the proxy is chosen, never a silent difference.
type proxySettings struct {
	// http and https are the proxies for http:// and https:// requests; nil
	// means direct.
	http, https *url.URL
	noProxy     noProxyRules
}

// proxyConfig builds the proxy decision. The http-proxy input, when set, is
// used for both http and https endpoints; the no-proxy input, when set,
// replaces NO_PROXY/no_proxy.
func proxyConfig(o Options, getenv func(string) string) (*proxySettings, error) {
	envAny := func(names ...string) (string, string) {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v, n
			}
		}
		return "", ""
	}
	cfg := &proxySettings{}
	if o.HTTPProxy != "" {
		u, err := parseProxy(o.HTTPProxy)
		if err != nil {
			return nil, fmt.Errorf("input http-proxy: %w", err)
		}
		cfg.http, cfg.https = u, u
	} else {
		v, name := envAny("HTTPS_PROXY", "https_proxy")
		u, err := parseProxy(v)
		if err != nil {
			return nil, fmt.Errorf("environment variable %s: %w", name, err)
		}
		cfg.https = u
		v, name = envAny("HTTP_PROXY", "http_proxy")
		if u, err = parseProxy(v); err != nil {
			return nil, fmt.Errorf("environment variable %s: %w", name, err)
		}
		cfg.http = u
	}
	list, source := o.NoProxy, "input no-proxy"
	if list == "" {
		list, source = envAny("NO_PROXY", "no_proxy")
		source = "environment variable " + source
	}
	rules, err := parseNoProxy(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	cfg.noProxy = rules
	return cfg, nil
}

// ProxyFunc gives the proxy for a request URL, nil for a direct connection.
func (s *proxySettings) ProxyFunc() func(*url.URL) (*url.URL, error) {
	return s.proxyFor
}

func (s *proxySettings) proxyFor(target *url.URL) (*url.URL, error) {
	var proxy *url.URL
	port := target.Port()
	switch target.Scheme {
	case "https":
		proxy = s.https
		if port == "" {
			port = "443"
		}
	case "http":
		proxy = s.http
		if port == "" {
			port = "80"
		}
	}
	if proxy == nil {
		return nil, nil
	}
	host := target.Hostname()
	if !isASCII(host) {
		return nil, fmt.Errorf("cannot decide on a proxy for host %s: it is not ASCII; write it in its xn-- (punycode) form", quote(host, 200))
	}
	if s.noProxy.exempt(host, port) {
		return nil, nil
	}
	return proxy, nil
}

// parseProxy reads a proxy URL as net/http does (a bare host:port means
// http://), so a bad value fails at start-up rather than on every request.
// "" means no proxy.
func parseProxy(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if u2, err2 := url.Parse("http://" + raw); err2 == nil && u2.Host != "" {
			u, err = u2, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("proxy URL is not a URL (want e.g. http://proxy.example:3128): %w", innermost(err))
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("proxy URL %s has scheme %s; want http, https, socks5 or socks5h", quote(u.Redacted(), 200), quote(u.Scheme, 20))
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("proxy URL %s has no host name", quote(u.Redacted(), 200))
	}
	return u, nil
}

// noProxyRules is a parsed NO_PROXY list.
type noProxyRules struct {
	all     bool // "*"
	ips     []ipRule
	domains []domainRule
}

// ipRule exempts a network, or one address on one port or all ports.
type ipRule struct {
	network *net.IPNet
	ip      net.IP
	port    string
}

// domainRule exempts hosts ending in suffix (which starts with a dot), and
// the host suffix names when exact is set, on port or on all ports.
type domainRule struct {
	suffix string
	port   string
	exact  bool
}

var errNonASCIINoProxy = errors.New("is not ASCII; write it in its xn-- (punycode) form")

// parseNoProxy reads a comma-separated NO_PROXY list with net/http's rules:
// entries are trimmed and lower-cased; "*" exempts everything; a CIDR, an IP
// or [IP]:port names addresses; anything else is a domain, with or without a
// leading "." or "*.", which also exempts its subdomains. Malformed entries
// are skipped, as net/http skips them.
func parseNoProxy(list string) (noProxyRules, error) {
	var r noProxyRules
	for _, entry := range strings.Split(list, ",") {
		e := strings.ToLower(strings.TrimSpace(entry))
		if e == "" {
			continue
		}
		if e == "*" {
			return noProxyRules{all: true}, nil
		}
		if _, network, err := net.ParseCIDR(e); err == nil {
			r.ips = append(r.ips, ipRule{network: network})
			continue
		}
		host, port, err := net.SplitHostPort(e)
		switch {
		case err != nil:
			host, port = e, ""
		case host == "":
			continue
		case host[0] == '[' && host[len(host)-1] == ']':
			host = host[1 : len(host)-1]
		}
		if ip := net.ParseIP(host); ip != nil {
			r.ips = append(r.ips, ipRule{ip: ip, port: port})
			continue
		}
		if host == "" {
			continue
		}
		if strings.HasPrefix(host, "*.") {
			host = host[1:]
		}
		rule := domainRule{port: port}
		if host[0] != '.' {
			rule.exact = true
			host = "." + host
		}
		if !isASCII(host) {
			return noProxyRules{}, fmt.Errorf("entry %s %w", quote(strings.TrimSpace(entry), 200), errNonASCIINoProxy)
		}
		rule.suffix = host
		r.domains = append(r.domains, rule)
	}
	return r, nil
}

// exempt reports whether a request to host:port goes direct. host is ASCII.
func (r noProxyRules) exempt(host, port string) bool {
	// Joined and split again as net/http does, which also refuses (goes
	// direct for) a host the two cannot round-trip.
	host, port, err := net.SplitHostPort(net.JoinHostPort(host, port))
	if err != nil || host == "localhost" {
		return true
	}
	var ip net.IP
	if a, err := netip.ParseAddr(host); err == nil {
		ip = net.IP(a.AsSlice())
		if ip.IsLoopback() {
			return true
		}
	}
	if r.all {
		return true
	}
	if ip != nil {
		for _, rule := range r.ips {
			if rule.matches(ip, port) {
				return true
			}
		}
		return false
	}
	host = strings.ToLower(strings.TrimSpace(host))
	for _, rule := range r.domains {
		if strings.HasSuffix(host, rule.suffix) || rule.exact && host == rule.suffix[1:] {
			if rule.port == "" || rule.port == port {
				return true
			}
		}
	}
	return false
}

func (rule ipRule) matches(ip net.IP, port string) bool {
	if rule.network != nil {
		return rule.network.Contains(ip)
	}
	return rule.ip.Equal(ip) && (rule.port == "" || rule.port == port)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
