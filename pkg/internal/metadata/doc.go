// Package metadata holds tests that keep action.yml, the code and the README
// in agreement (the README's tables, the commands .ci/run takes from it, the
// CONTRIBUTING, SECURITY and LICENSE files it links), and that check what the
// Dockerfile ships: a static, stripped binary that speaks HTTPS with no CA
// files on disk.
//
// It has no code of its own; everything is in its tests. The README's inputs
// and outputs tables are generated from pkg/inputs:
//
//	go test ./pkg/internal/metadata -run TestREADMETables -update-readme
package metadata
