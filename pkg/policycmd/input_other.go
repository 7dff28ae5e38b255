//go:build !unix

package policycmd

// Elsewhere opening a named pipe does not wait for a writer as it does on
// Unix; the regular-file check after opening still applies.
const openNonBlock = 0
