// Package malformed is TestExpressionsCompile's fixture: one malformed
// expression and one it cannot check.
package malformed

import "github.com/niwa-cloud/niwa/internal/lazyre"

var (
	bad      = lazyre.New(`^(unclosed$`)
	computed = lazyre.New("^" + prefix + "$")
)

const prefix = "a"
