// Package caroots gives crypto/x509 the CA roots compiled into the binary
// (Mozilla's, from the x509roots/fallback module), for the scratch image,
// which has no CA bundle on disk. Go uses them only when the system has no
// roots of its own, so a runner's bundle or SSL_CERT_FILE still wins.
//
// They are registered on first need (Use) rather than at start-up, as the
// fallback package's own init would: parsing them is a large part of a
// credential-process run that answers from its cache and makes no TLS
// connection at all.
package caroots

import (
	"crypto/x509"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Use registers the compiled-in roots, once; call it before anything could
// verify a certificate.
var Use = sync.OnceFunc(func() {
	pool := x509.NewCertPool()
	for root := range bundle.Roots() {
		cert, err := x509.ParseCertificate(root.Certificate)
		if err != nil {
			panic("caroots: a compiled-in CA root does not parse: " + err.Error())
		}
		if root.Constraint != nil {
			pool.AddCertWithConstraint(cert, root.Constraint)
		} else {
			pool.AddCert(cert)
		}
	}
	x509.SetFallbackRoots(pool)
})
