// Command rootsprobe verifies a certificate chain against the system roots,
// as an HTTPS client would, at a fixed time. pkg/internal/metadata builds it
// with the shipped binary's flags and runs it with no CA files on disk, to
// show that the roots compiled in by x509roots/fallback are what makes it
// pass.
//
// Usage: rootsprobe CHAIN.pem DNSNAME RFC3339TIME
package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: rootsprobe CHAIN.pem DNSNAME RFC3339TIME")
		os.Exit(2)
	}
	if err := probe(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func probe(file, name, at string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	when, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return err
	}
	var certs []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return err
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return fmt.Errorf("no certificates in %s", file)
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	// Roots left nil: the system pool, exactly what net/http would use.
	chains, err := certs[0].Verify(x509.VerifyOptions{DNSName: name, Intermediates: inter, CurrentTime: when})
	if err != nil {
		return err
	}
	root := chains[0][len(chains[0])-1]
	fmt.Println("verified; root:", root.Subject)
	return nil
}
