package jobfiles

// For the tests of package jobfiles_test, which run whole steps through
// package action and then forge the state and marker a post step gets.
type CleanupState = cleanupState

const (
	StateKey     = stateKey
	MarkerPrefix = markerPrefix
)
