package main

// The image is built FROM scratch, so there is no CA bundle on disk: the
// fallback package compiles Mozilla's roots into the binary and registers
// them with crypto/x509, which uses them only when the system has none.
// A runner image that does have a bundle (or SSL_CERT_FILE) still wins.
import _ "golang.org/x/crypto/x509roots/fallback"
