//go:build !unix

package inputfile

// openFlags: other systems have no FIFOs to block an open; the type check
// after opening still applies.
const openFlags = 0
