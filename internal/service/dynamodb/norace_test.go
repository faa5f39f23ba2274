//go:build !race

package dynamodb

const raceEnabled = false
