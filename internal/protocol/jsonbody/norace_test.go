//go:build !race

package jsonbody_test

const raceEnabled = false
