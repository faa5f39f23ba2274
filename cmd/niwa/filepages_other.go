//go:build !linux

package main

// releaseFilePages is Linux-only (it reads /proc/self/smaps); elsewhere
// an idle niwa keeps its executable's pages mapped.
func releaseFilePages() (int64, error) { return 0, nil }

// fileResident is Linux-only; 0 elsewhere.
func fileResident() int64 { return 0 }
